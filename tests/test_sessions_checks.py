"""The sessions.csv checker (tests/sessions_checks.py) on hand-made tables: a valid set passes, and each
check fails on a corruption aimed at it, with its own message (the checks run in order, so the message
also shows that no earlier check was fooled).

The world: the baseline config on its opening Monday (day 0). The day track's group 0 runs its three
sessions with therapist_1; patient 2 is pulled out of session 1 for individual therapy with therapist_2;
patient 3 has a 50-minute family session before the programme day with therapist_3; group 1 is cancelled for want
of a facilitator. The evening group runs with evening_therapist_1, and evening patient 4 sees the
prescriber (shift both) at 17:00. Intake: one assessment held, one no-show; one individual session missed.
"""

from __future__ import annotations

import copy
import csv
import io
from collections.abc import Callable
from typing import Any

import pytest

from simiop.config import load_config
from simiop.config.clock import clock_text
from simiop.model.calendar import ClinicCalendar
from tests.conftest import BASELINE
from tests.sessions_checks import (
    SESSION_COLUMNS,
    Staff,
    check_direct_limits,
    check_sessions,
    parse_sessions,
)

CONFIG = load_config(BASELINE)

Table = list[dict[str, Any]]


def session(kind: str, start: float | None, end: float | None, staff: str = "", patients: str = "", **more: Any) -> dict[str, Any]:  # fmt: skip
    row: dict[str, Any] = {column: "" for column in SESSION_COLUMNS}
    row.update(date="2027-01-04", day=0, kind=kind, staff=staff, patients=patients, cover=0, outcome="held")
    if start is not None and end is not None:
        row.update(start_time=clock_text(start), end_time=clock_text(end), start_minute=f"{start:.4f}",
                   end_minute=f"{end:.4f}")  # fmt: skip
    row.update(more)
    return row


def group(
    track: str, index: int, k: int, start: float, staff: str, patients: str, **more: Any
) -> dict[str, Any]:
    return session("group", start, start + 50, staff, patients, track=track, group=index, session=k,
                   placement="programme", room=f"group_room_{index + 1}", **more)  # fmt: skip


def valid() -> dict[str, Table]:
    sessions = [
        group("day", 0, 0, 540, "therapist_1", "1;2;3"),
        group("day", 0, 1, 600, "therapist_1", "1;3"),
        group("day", 0, 2, 660, "therapist_1", "1;2;3"),
        *(
            group("day", 1, k, 540 + 60 * k, "", "", outcome="cancelled", reason="no_facilitator")
            for k in range(3)
        ),
        session("individual", 600, 650, "therapist_2", "2", track="day", session=1, placement="pull_out",
                room="office:therapist_2"),
        session("family", 490, 540, "therapist_3", "3", track="day", placement="before",
                room="office:therapist_3"),
        session("individual", None, None, "", "5", track="evening", outcome="missed", reason="staff_absent"),
        session("prescriber_initial", 1020, 1080, "prescriber_1", "4", track="evening", placement="before",
                room="office:prescriber_1"),
        *(group("evening", 0, k, 1080 + 60 * k, "evening_therapist_1", "4;5;6") for k in range(3)),
        session("intake", 810, 900, "intake_clinician_1", "7", placement="intake_slot",
                room="office:intake_clinician_1"),
        session("intake", 930, 1020, "intake_clinician_1", "8", placement="intake_slot", outcome="no_show",
                room="office:intake_clinician_1"),
    ]  # fmt: skip
    zero = {"individual_sessions": 0, "prescriber_visits": 0, "family_sessions": 0}
    episodes = [
        {"episode_id": "1", **zero, "group_sessions_attended": 3, "service_hours": "2.5000"},
        {"episode_id": "2", **zero, "group_sessions_attended": 2, "individual_sessions": 1, "service_hours": "2.5000"},
        {"episode_id": "3", **zero, "group_sessions_attended": 3, "family_sessions": 1, "service_hours": "3.3333"},
        {"episode_id": "4", **zero, "group_sessions_attended": 3, "prescriber_visits": 1, "service_hours": "3.5000"},
        {"episode_id": "5", **zero, "group_sessions_attended": 3, "service_hours": "2.5000"},
        {"episode_id": "6", **zero, "group_sessions_attended": 3, "service_hours": "2.5000"},
        {"episode_id": "7", **zero, "group_sessions_attended": 0, "service_hours": ""},
        {"episode_id": "8", **zero, "group_sessions_attended": 0, "service_hours": ""},
    ]  # fmt: skip
    none = {"cancelled_too_few": 0, "cancelled_no_facilitator": 0, "cancelled_no_room": 0}
    daily = [
        {"day": 0, "track": "day", "attended": 3, "groups_run": 1, **none, "cancelled_no_facilitator": 1,
         "group_attendances": 8, "facilitation_hours": "2.5000"},
        {"day": 0, "track": "evening", "attended": 3, "groups_run": 1, **none, "group_attendances": 9,
         "facilitation_hours": "2.5000"},
        {"day": 1, "track": "day", "attended": 0, "groups_run": 0, **none, "group_attendances": 0,
         "facilitation_hours": "0.0000"},
    ]  # fmt: skip
    hours = dict.fromkeys(("group_hours", "individual_hours", "prescriber_hours", "family_hours", "intake_hours"), "0.0000")  # fmt: skip
    staff = [
        {"day": 0, "role": "therapist", **hours, "group_hours": "2.5000", "individual_hours": "0.8333",
         "family_hours": "0.8333"},
        {"day": 0, "role": "evening_therapist", **hours, "group_hours": "2.5000"},
        {"day": 0, "role": "intake_clinician", **hours, "intake_hours": "1.5000"},
        {"day": 0, "role": "prescriber", **hours, "prescriber_hours": "1.0000"},
    ]  # fmt: skip
    return {"sessions": sessions, "episodes": episodes, "daily": daily, "staff": staff}


def rendered(tables: dict[str, Table]) -> dict[str, str]:
    texts = {}
    for name, rows in tables.items():
        out = io.StringIO()
        columns = list(SESSION_COLUMNS) if name == "sessions" else list(rows[0])
        writer = csv.DictWriter(out, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        texts[name] = out.getvalue()
    return texts


def test_a_valid_set_passes_every_check() -> None:
    check_sessions(CONFIG, rendered(valid()), {"share_attended_days_4plus_services": 2 / 6})


def _find(rows: Table, **match: Any) -> dict[str, Any]:
    found = [row for row in rows if all(row[key] == value for key, value in match.items())]
    assert len(found) == 1, match
    return found[0]


def _move(row: dict[str, Any], start: float, end: float) -> None:
    row.update(start_time=clock_text(start), end_time=clock_text(end), start_minute=f"{start:.4f}",
               end_minute=f"{end:.4f}")  # fmt: skip


def _double_booked(tables: dict[str, Table]) -> None:
    _find(tables["sessions"], kind="individual", outcome="held")["staff"] = "therapist_1"


def _room_double_booked(tables: dict[str, Table]) -> None:
    _find(tables["sessions"], track="evening", session=0)["room"] = "group_room_1"
    _move(_find(tables["sessions"], track="evening", session=0), 560, 610)


def _outside_shift(tables: dict[str, Table]) -> None:
    _move(_find(tables["sessions"], kind="family"), 430, 480)  # 07:10-08:00, the day shift starts at 08:00


def _over_the_daily_limit(tables: dict[str, Table]) -> None:
    for start in (480, 720, 780, 840, 900, 960):  # 7 x 50 = 350 min > 8 h x 0.65 = 312
        tables["sessions"].append(session("individual", start, start + 50, "therapist_2", "9", track="day",
                                          placement="after"))  # fmt: skip


def _patient_in_two_places(tables: dict[str, Table]) -> None:
    family = _find(tables["sessions"], kind="family")
    family["patients"] = "1"
    _move(family, 600, 650)  # while patient 1 is in group session 1


def _count_mismatch(tables: dict[str, Table]) -> None:
    _find(tables["episodes"], episode_id="2")["individual_sessions"] = 0


def _hours_mismatch(tables: dict[str, Table]) -> None:
    _find(tables["episodes"], episode_id="1")["service_hours"] = "3.0000"


def _group_lost(tables: dict[str, Table]) -> None:
    """Patient 2 left out of session 2 though not pulled out: every count elsewhere agrees."""
    _find(tables["sessions"], track="day", group=0, session=2)["patients"] = "1;3"
    episode = _find(tables["episodes"], episode_id="2")
    episode.update(group_sessions_attended=1, service_hours="1.6667")
    _find(tables["daily"], day=0, track="day")["group_attendances"] = 7


def _pulled_out_yet_in_the_group(tables: dict[str, Table]) -> None:
    """The pull-out row names session 2, where patient 2 sits in the group (at another time than the row)."""
    _find(tables["sessions"], kind="individual", outcome="held")["session"] = 2


def _groups_run(tables: dict[str, Table]) -> None:
    _find(tables["daily"], day=0, track="evening")["groups_run"] = 2


def _cancelled(tables: dict[str, Table]) -> None:
    _find(tables["daily"], day=0, track="day")["cancelled_no_facilitator"] = 0


def _facilitation_hours(tables: dict[str, Table]) -> None:
    _find(tables["daily"], day=0, track="day")["facilitation_hours"] = "3.0000"  # hours_per_day, not n x S


def _wrong_shift(tables: dict[str, Table]) -> None:
    visit = _find(tables["sessions"], kind="prescriber_initial")
    visit.update(staff="therapist_3", room="office:therapist_3")
    _move(visit, 960, 1020)  # inside the day window: only the shift match is wrong
    therapist = _find(tables["staff"], role="therapist")
    therapist["prescriber_hours"] = "1.0000"
    _find(tables["staff"], role="prescriber")["prescriber_hours"] = "0.0000"


def _staff_hours(tables: dict[str, Table]) -> None:
    _find(tables["staff"], role="intake_clinician")["intake_hours"] = "3.0000"  # the no-show charged


def _unknown_person(tables: dict[str, Table]) -> None:
    _find(tables["sessions"], kind="family")["staff"] = "nurse_1"


def _care_in_a_break(tables: dict[str, Table]) -> None:
    """therapist_1 leads day group 0 (09:00-12:00) and sees a family in the 10-minute break after session 0."""
    family = _find(tables["sessions"], kind="family")
    family.update(staff="therapist_1", room="office:therapist_1")
    _move(family, 590, 600)


def _off_the_timetable(tables: dict[str, Table]) -> None:
    _move(_find(tables["sessions"], track="evening", session=1), 1130, 1180)  # a 10-minute break, not 18:50


def _wrong_length(tables: dict[str, Table]) -> None:
    _move(_find(tables["sessions"], kind="family"), 480, 540)  # 60 min; the baseline's family sessions are 50
    _find(tables["episodes"], episode_id="3")["service_hours"] = "3.5000"
    _find(tables["staff"], role="therapist")["family_hours"] = "1.0000"


def _pull_out_outside_its_slot(tables: dict[str, Table]) -> None:
    _move(_find(tables["sessions"], kind="individual", outcome="held"), 590, 640)  # slot 1 is 10:00-11:00


def _before_too_early(tables: dict[str, Table]) -> None:
    _find(tables["sessions"], kind="prescriber_initial")["placement"] = "after"  # 17:00 is before 18:00


def _too_many_pull_outs(tables: dict[str, Table]) -> None:
    """Patient 2 pulled out of sessions 1 and 2: baseline max_pull_outs_per_day is 1."""
    tables["sessions"].append(session("prescriber_follow_up", 660, 680, "prescriber_1", "2", track="day",
                                      session=2, placement="pull_out"))  # fmt: skip
    _find(tables["sessions"], track="day", group=0, session=2)["patients"] = "1;3"
    _find(tables["episodes"], episode_id="2").update(
        prescriber_visits=1, group_sessions_attended=1, service_hours="2.0000"
    )
    _find(tables["daily"], day=0, track="day")["group_attendances"] = 7
    _find(tables["staff"], role="prescriber")["prescriber_hours"] = "1.3333"


def _cover_without_a_pool(tables: dict[str, Table]) -> None:
    for k in range(3):
        _find(tables["sessions"], track="evening", session=k).update(
            staff="evening_therapist_cover_1", cover=1
        )


def _cover_flag(tables: dict[str, Table]) -> None:
    _find(tables["sessions"], track="evening", session=0)["cover"] = 1


CORRUPTIONS: list[tuple[Callable[[dict[str, Table]], None], str]] = [
    (_double_booked, "double-booked: therapist_1 on day 0"),
    (_room_double_booked, "room double-booked: group_room_1 on day 0"),
    (_outside_shift, "outside shift: "),
    (_over_the_daily_limit, "over the daily limit: therapist_2 on day 0: 350 min > 312"),
    (_patient_in_two_places, "patient in two places: 1 on day 0"),
    (_count_mismatch, "count mismatch: episode 2 individual_sessions: 1 rows, episodes.csv 0"),
    (_hours_mismatch, "service hours mismatch: episode 1"),
    (_group_lost, r"group sessions lost: 2 on day 0 in sessions \[0\], pulled out of \[1\], of 3"),
    (_pulled_out_yet_in_the_group, "pulled out yet in the group: 2"),
    (_groups_run, "groups_run mismatch: day 0 track evening"),
    (_cancelled, "cancelled_no_facilitator mismatch: day 0 track day"),
    (_facilitation_hours, "facilitation_hours mismatch: day 0 track day"),
    (_wrong_shift, r"wrong shift: therapist_3 \(day\)"),
    (_staff_hours, "staff hours mismatch: day 0 role intake_clinician"),
    (_unknown_person, "staff id 'nurse_1' names no role"),
    (_care_in_a_break, "in a facilitator's programme day: therapist_1 in "),
    (_off_the_timetable, "off the timetable: "),
    (_wrong_length, "wrong length: "),
    (_pull_out_outside_its_slot, "pull-out outside its slot: "),
    (_before_too_early, "after outside its window: "),
    (_too_many_pull_outs, "too many pull-outs: 2 on day 0: 2 > 1"),
    (_cover_without_a_pool, "cover without a pool: evening_therapist_cover_1"),
    (_cover_flag, "cover flag wrong: "),
]


@pytest.mark.parametrize(
    ("corrupt", "message"), CORRUPTIONS, ids=[c[0].__name__.strip("_") for c in CORRUPTIONS]
)
def test_each_check_fails_on_its_corruption(
    corrupt: Callable[[dict[str, Table]], None], message: str
) -> None:
    tables = copy.deepcopy(valid())
    corrupt(tables)
    with pytest.raises(AssertionError, match=f"^{message}"):
        check_sessions(CONFIG, rendered(tables))


def test_the_four_plus_share_is_checked_against_the_kpi() -> None:
    with pytest.raises(AssertionError, match="4\\+ services share mismatch"):
        check_sessions(CONFIG, rendered(valid()), {"share_attended_days_4plus_services": 0.5})


def test_over_the_weekly_limit_with_every_day_within_its_own() -> None:
    """Six days of 300 minutes (each under 312) in the opening week: 1800 > 26 h = 1560 minutes."""
    rows = [
        session("individual", start, start + 50, "therapist_2", "9", track="day", placement="after", day=day)
        for day in range(6)
        for start in (480, 540, 600, 660, 720, 780)
    ]
    parsed = parse_sessions(rendered({"sessions": rows})["sessions"])
    calendar = ClinicCalendar.for_config(CONFIG)
    check_direct_limits(Staff(CONFIG), parsed[:30], calendar)  # five days: 1500 min, within the week
    with pytest.raises(
        AssertionError, match=r"^over the weekly limit: therapist_2 in week 0: 1800 min > 1560"
    ):
        check_direct_limits(Staff(CONFIG), parsed, calendar)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"outcome": "held", "reason": "staff_absent"}, "no start"),
        ({"outcome": "missed", "reason": "asleep"}, "missed for reason 'asleep'"),
        ({"kind": "massage"}, "unknown kind 'massage'"),
    ],
)
def test_a_row_inconsistent_in_itself_is_refused(change: dict[str, Any], message: str) -> None:
    tables = copy.deepcopy(valid())
    _find(tables["sessions"], kind="individual", outcome="missed").update(change)
    with pytest.raises(AssertionError, match=message):
        check_sessions(CONFIG, rendered(tables))


def test_a_wrong_header_is_refused() -> None:
    texts = rendered(valid())
    texts["sessions"] = texts["sessions"].replace("start_minute", "start", 1)
    with pytest.raises(AssertionError, match=r"sessions\.csv header"):
        check_sessions(CONFIG, texts)


def test_a_placement_the_service_does_not_allow_is_refused() -> None:
    """The valid world's family session is before the programme day: refused where family may only come after."""
    config = load_config(BASELINE, ["services.family.placement=[after]"])
    check_sessions(CONFIG, rendered(valid()))
    with pytest.raises(AssertionError, match=r"^placement not allowed: .*family.* placed 'before'"):
        check_sessions(config, rendered(valid()))


def test_a_cover_pool_allows_its_people_up_to_its_size() -> None:
    """Cover people on the evening group pass with a pool of the role, and fail past its people_per_day."""
    pool = "staff.roles.evening_therapist.cover={people_per_day: 1, hourly_cost_usd: 45}"
    config = load_config(BASELINE, [pool])
    tables = copy.deepcopy(valid())
    for k in range(3):
        _find(tables["sessions"], track="evening", session=k).update(
            staff="evening_therapist_cover_1", cover=1
        )
    check_sessions(config, rendered(tables))
    _find(tables["sessions"], track="evening", session=2)["staff"] = "evening_therapist_cover_2"
    with pytest.raises(AssertionError, match=r"^cover pool exceeded: evening_therapist on day 0: 2 > 1"):
        check_sessions(config, rendered(tables))
