"""Checks of a run's sessions.csv against the config and the other tables (issue 18, plan section i).

The rules the model enforces on staff time (nobody in two places, work only
inside a shift and within the daily and weekly direct-care limits, care only by
staff of the patient's shift) are checked here on the rendered CSV text, not on
the model's records, through the same public helpers the model uses
(``simiop.config.clock``). A model bug therefore cannot hide in a shared
internal structure: only what a user can read is trusted.

``check_sessions(config, tables)`` takes the CSV texts by table name:
``sessions``, ``episodes``, ``daily`` and ``staff``, as ``render_tables``
makes them. Every check raises AssertionError with a message that names the
check and the offending row, so a test can tell which one failed.

The tables print floats with 4 decimals, so sums are compared within
``TOLERANCE`` per row added (not 1e-6 as on unrounded records).
"""

from __future__ import annotations

import csv
import io
import itertools
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from simiop.config import SimiopConfig
from simiop.config.clock import (
    Window,
    daily_direct_limit_minutes,
    programme_minutes,
    pull_out_slots,
    session_times,
    shift_windows,
    weekly_direct_limit_hours,
    window_hours,
)
from simiop.config.staff import StaffRole
from simiop.model.calendar import ClinicCalendar

SESSION_COLUMNS = (
    "date", "day", "kind", "track", "group", "session", "placement", "start_time", "end_time",
    "start_minute", "end_minute", "staff", "cover", "room", "patients", "outcome", "reason",
)  # fmt: skip
"""The columns of sessions.csv, in order (plan section f)."""

GROUP = "group"
INTAKE = "intake"
CARE_COUNTS = {
    "individual": "individual_sessions",
    "family": "family_sessions",
    "prescriber_initial": "prescriber_visits",
    "prescriber_follow_up": "prescriber_visits",
}
"""Care kinds and the episodes.csv column that counts them."""

KINDS = frozenset({GROUP, INTAKE, *CARE_COUNTS})
OUTCOMES = {GROUP: {"held", "cancelled"}, INTAKE: {"held", "no_show"}}
"""Outcomes each kind may have; care kinds are held or missed."""
CANCELLED_COLUMNS = {"too_few": "cancelled_too_few", "no_facilitator": "cancelled_no_facilitator",
                     "no_room": "cancelled_no_room"}  # fmt: skip
MISSED_REASONS = frozenset({"no_staff_on_shift", "staff_absent", "no_staff_time", "no_slot"})
STAFF_HOURS = ("group_hours", "individual_hours", "prescriber_hours", "family_hours", "intake_hours")

EPS = 1e-9
"""Touching intervals (end == next start) do not overlap."""
TOLERANCE = 1e-4
"""Per row summed: minutes and hours are printed with 4 decimals (half a unit of the last place each)."""


@dataclass(frozen=True)
class Row:
    """One parsed row of sessions.csv."""

    line: int
    day: int
    kind: str
    track: str
    group: str
    session: int | None
    placement: str
    start: float | None
    end: float | None
    staff: tuple[str, ...]
    cover: bool
    room: str
    patients: tuple[str, ...]
    outcome: str
    reason: str

    @property
    def busy(self) -> bool:
        """Whether the row occupies its staff: held, or an intake no-show (the seat's person waited)."""
        return self.outcome == "held" or (self.kind == INTAKE and self.outcome == "no_show")

    @property
    def minutes(self) -> float:
        assert self.start is not None
        assert self.end is not None
        return self.end - self.start

    def __str__(self) -> str:
        return f"sessions.csv line {self.line} ({self.kind} day {self.day} {self.start}-{self.end})"


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _ids(text: str) -> tuple[str, ...]:
    return tuple(text.split(";")) if text else ()


def _minute(text: str) -> float | None:
    return float(text) if text else None


def parse_sessions(text: str) -> list[Row]:
    """The rows of sessions.csv, after checking its header and each row's own consistency."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    assert tuple(header) == SESSION_COLUMNS, f"sessions.csv header {header}"
    rows = []
    for line, fields in enumerate(reader, start=2):
        data = dict(zip(SESSION_COLUMNS, fields, strict=True))
        row = Row(
            line=line,
            day=int(data["day"]),
            kind=data["kind"],
            track=data["track"],
            group=data["group"],
            session=int(data["session"]) if data["session"] else None,
            placement=data["placement"],
            start=_minute(data["start_minute"]),
            end=_minute(data["end_minute"]),
            staff=_ids(data["staff"]),
            cover=data["cover"] == "1",
            room=data["room"],
            patients=_ids(data["patients"]),
            outcome=data["outcome"],
            reason=data["reason"],
        )
        assert row.kind in KINDS, f"{row}: unknown kind {row.kind!r}"
        assert row.outcome in OUTCOMES.get(row.kind, {"held", "missed"}), f"{row}: outcome {row.outcome!r}"
        if row.busy:
            assert row.start is not None, f"{row}: no start"
            assert row.end is not None, f"{row}: no end"
            assert row.end > row.start, f"{row}: ends before it starts"
            assert row.staff, f"{row}: held with no staff"
            assert not row.reason, f"{row}: a reason on a held row"
        if row.outcome == "missed":
            assert row.reason in MISSED_REASONS, f"{row}: missed for reason {row.reason!r}"
        if row.outcome == "cancelled":
            assert row.reason in CANCELLED_COLUMNS, f"{row}: cancelled for reason {row.reason!r}"
        rows.append(row)
    return rows


class Staff:
    """Each person id's role, shift window and limits, from the config (``<role>_<n>``, ``<role>_cover_<n>``)."""

    def __init__(self, config: SimiopConfig) -> None:
        self.roles = dict(config.staff.roles)
        self.windows = shift_windows(config)

    def role_name(self, person: str) -> str:
        name = person.rsplit("_", 1)[0]
        if name not in self.roles and name.endswith("_cover"):
            name = name.removesuffix("_cover")
        assert name in self.roles, f"staff id {person!r} names no role of the config"
        return name

    def role(self, person: str) -> StaffRole:
        return self.roles[self.role_name(person)]

    def window(self, person: str) -> Window:
        return self.windows[self.role(person).shift]

    def daily_limit(self, person: str) -> float:
        return daily_direct_limit_minutes(self.role(person), window_hours(self.window(person)))

    def weekly_limit(self, person: str) -> float:
        return weekly_direct_limit_hours(self.role(person)) * 60.0


def _no_overlap(intervals: Iterable[tuple[float, float, Row]], what: str) -> None:
    ordered = sorted(intervals, key=lambda item: (item[0], item[1]))
    for (_, end, first), (start, _, second) in itertools.pairwise(ordered):
        assert start >= end - EPS, f"{what}: {first} overlaps {second}"


def check_no_double_booking(rows: list[Row]) -> None:
    """1. A person, or a group room, is in one session at a time (intake no-shows keep their person busy)."""
    by_person: dict[tuple[int, str], list[tuple[float, float, Row]]] = defaultdict(list)
    by_room: dict[tuple[int, str], list[tuple[float, float, Row]]] = defaultdict(list)
    for row in rows:
        if row.busy:
            assert row.start is not None
            assert row.end is not None
            for person in row.staff:
                by_person[row.day, person].append((row.start, row.end, row))
            if row.kind == GROUP:
                by_room[row.day, row.room].append((row.start, row.end, row))
    for (day, person), intervals in by_person.items():
        _no_overlap(intervals, f"double-booked: {person} on day {day}")
    for (day, room), intervals in by_room.items():
        _no_overlap(intervals, f"room double-booked: {room} on day {day}")


def check_inside_shifts(staff: Staff, rows: list[Row]) -> None:
    """2. Every busy row lies inside the shift window of each of its staff's roles."""
    for row in rows:
        if row.busy:
            assert row.start is not None
            assert row.end is not None
            for person in row.staff:
                low, high = staff.window(person)
                inside = low - EPS <= row.start and row.end <= high + EPS
                assert inside, f"outside shift: {row} for {person} (window {low:g}-{high:g})"


def check_direct_limits(staff: Staff, rows: list[Row], calendar: ClinicCalendar) -> None:
    """3. Held minutes per person and day within the daily direct limit, per person and week the weekly one."""
    daily: defaultdict[tuple[int, str], float] = defaultdict(float)
    weekly: defaultdict[tuple[int, str], float] = defaultdict(float)
    daily_rows: Counter[tuple[int, str]] = Counter()
    weekly_rows: Counter[tuple[int, str]] = Counter()
    for row in rows:
        if row.outcome == "held":
            week = calendar.week_of(row.day)
            for person in row.staff:
                daily[row.day, person] += row.minutes
                weekly[week, person] += row.minutes
                daily_rows[row.day, person] += 1
                weekly_rows[week, person] += 1
    for (day, person), minutes in daily.items():
        limit = staff.daily_limit(person)
        assert minutes <= limit + TOLERANCE * daily_rows[day, person], (
            f"over the daily limit: {person} on day {day}: {minutes:g} min > {limit:g}"
        )
    for (week, person), minutes in weekly.items():
        limit = staff.weekly_limit(person)
        assert minutes <= limit + TOLERANCE * weekly_rows[week, person], (
            f"over the weekly limit: {person} in week {week}: {minutes:g} min > {limit:g}"
        )


def check_patients_in_one_place(rows: list[Row]) -> None:
    """4. A patient is in at most one held session at a time (groups they are listed in, care, intake)."""
    by_patient: dict[tuple[int, str], list[tuple[float, float, Row]]] = defaultdict(list)
    for row in rows:
        if row.outcome == "held":
            assert row.start is not None
            assert row.end is not None
            for patient in row.patients:
                by_patient[row.day, patient].append((row.start, row.end, row))
    for (day, patient), intervals in by_patient.items():
        _no_overlap(intervals, f"patient in two places: {patient} on day {day}")


def check_services_match_episodes(
    config: SimiopConfig, rows: list[Row], episodes: list[dict[str, str]]
) -> None:
    """5. Held rows per episode agree with episodes.csv counts and hours; pull-outs replace groups."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    hours: defaultdict[str, float] = defaultdict(float)
    added: Counter[str] = Counter()
    for row in rows:
        if row.outcome != "held" or row.kind == INTAKE:
            continue
        column = "group_sessions_attended" if row.kind == GROUP else CARE_COUNTS[row.kind]
        for patient in row.patients:
            counts[patient][column] += 1
            hours[patient] += row.minutes / 60.0
            added[patient] += 1
    for episode in episodes:
        name = episode["episode_id"]
        for column in ("group_sessions_attended", *sorted(set(CARE_COUNTS.values()))):
            expected = int(episode[column] or 0)
            assert counts[name][column] == expected, (
                f"count mismatch: episode {name} {column}: {counts[name][column]} rows, episodes.csv {expected}"
            )
        expected_hours = float(episode["service_hours"] or 0)
        assert abs(hours[name] - expected_hours) <= TOLERANCE * (1 + added[name]), (
            f"service hours mismatch: episode {name}: rows {hours[name]:.6f} h, episodes.csv {expected_hours}"
        )
    known = {episode["episode_id"] for episode in episodes}
    assert set(counts) <= known, f"rows name episodes not in episodes.csv: {sorted(set(counts) - known)[:5]}"
    check_pull_outs(config, rows)


def check_pull_outs(config: SimiopConfig, rows: list[Row]) -> None:
    """5b. A pulled-out patient is not in that session's group; with the pull-outs, their day has every session."""
    listed: dict[tuple[int, str, str], set[int]] = defaultdict(set)
    for row in rows:
        if row.kind == GROUP and row.outcome == "held":
            assert row.session is not None, f"{row}: a group row without its session"
            for patient in row.patients:
                assert row.session not in listed[row.day, row.track, patient], (
                    f"patient in two places: {patient} in two groups of session {row.session}, {row}"
                )
                listed[row.day, row.track, patient].add(row.session)
    pulled: dict[tuple[int, str, str], set[int]] = defaultdict(set)
    for row in rows:
        if row.outcome == "held" and row.placement == "pull_out":
            assert row.session is not None, f"{row}: a pull-out without its session"
            for patient in row.patients:
                key = (row.day, row.track, patient)
                # .get: a pull-out from a group that did not run is free time, with no group rows at all
                assert row.session not in listed.get(key, ()), (
                    f"pulled out yet in the group: {patient}, {row}"
                )
                assert row.session not in pulled[key], f"pulled out twice from one session: {patient}, {row}"
                pulled[key].add(row.session)
    for (day, track, patient), sessions in listed.items():
        everything = set(range(config.tracks[track].group_sessions_per_day))
        assert sessions | pulled[day, track, patient] == everything, (
            f"group sessions lost: {patient} on day {day} in sessions {sorted(sessions)}, pulled out of "
            f"{sorted(pulled[day, track, patient])}, of {len(everything)}"
        )


def check_groups_match_daily(config: SimiopConfig, rows: list[Row], daily: list[dict[str, str]]) -> None:
    """6. Group rows per (day, track) agree with daily.csv: run, cancelled by reason, attendances, hours."""
    run: Counter[tuple[int, str]] = Counter()
    cancelled: Counter[tuple[int, str, str]] = Counter()
    attendances: Counter[tuple[int, str]] = Counter()
    hours: defaultdict[tuple[int, str], float] = defaultdict(float)
    added: Counter[tuple[int, str]] = Counter()
    for row in rows:
        if row.kind != GROUP:
            continue
        key = (row.day, row.track)
        if row.outcome == "held":
            needed = config.tracks[row.track].facilitators_per_group
            assert len(row.staff) == needed, f"{row}: {len(row.staff)} facilitators, the track needs {needed}"
            run[key] += 1
            attendances[key] += len(row.patients)
            hours[key] += len(row.staff) * row.minutes / 60.0
            added[key] += 1
        else:
            cancelled[row.day, row.track, row.reason] += 1
    for line in daily:
        key = (int(line["day"]), line["track"])
        sessions = config.tracks[key[1]].group_sessions_per_day
        assert run[key] == sessions * int(line["groups_run"]), (
            f"groups_run mismatch: day {key[0]} track {key[1]}: {run[key]} held rows, daily.csv "
            f"{line['groups_run']} x {sessions} sessions"
        )
        for reason, column in CANCELLED_COLUMNS.items():
            found = cancelled[key[0], key[1], reason]
            assert found == sessions * int(line[column]), (
                f"{column} mismatch: day {key[0]} track {key[1]}: {found} rows, daily.csv {line[column]} x {sessions}"
            )
        assert attendances[key] == int(line["group_attendances"]), (
            f"group_attendances mismatch: day {key[0]} track {key[1]}: {attendances[key]} in rows, daily.csv "
            f"{line['group_attendances']}"
        )
        expected = float(line["facilitation_hours"])
        assert abs(hours[key] - expected) <= TOLERANCE * (1 + added[key]), (
            f"facilitation_hours mismatch: day {key[0]} track {key[1]}: rows {hours[key]:.6f}, daily.csv {expected}"
        )


def check_shift_matching(config: SimiopConfig, staff: Staff, rows: list[Row]) -> None:
    """7. A held care session of a track's patient is given only by staff working that track's shift."""
    for row in rows:
        if row.outcome == "held" and row.kind in CARE_COUNTS:
            shift = config.tracks[row.track].shift
            for person in row.staff:
                assert staff.role(person).shift in (shift, "both"), (
                    f"wrong shift: {person} ({staff.role(person).shift}) in {row} of a {shift} track"
                )


def check_hours_match_staff(staff: Staff, rows: list[Row], table: list[dict[str, str]]) -> None:
    """8. Held minutes per (day, role), each person counted, agree with the hours of staff.csv."""
    hours: defaultdict[tuple[int, str], float] = defaultdict(float)
    added: Counter[tuple[int, str]] = Counter()
    for row in rows:
        if row.outcome == "held":
            for person in row.staff:
                key = (row.day, staff.role_name(person))
                hours[key] += row.minutes / 60.0
                added[key] += 1
    seen = set()
    for line in table:
        key = (int(line["day"]), line["role"])
        seen.add(key)
        expected = sum(float(line[column]) for column in STAFF_HOURS)
        assert abs(hours[key] - expected) <= TOLERANCE * (len(STAFF_HOURS) + added[key]), (
            f"staff hours mismatch: day {key[0]} role {key[1]}: rows {hours[key]:.6f} h, staff.csv {expected:.4f}"
        )
    missing = sorted(set(hours) - seen)
    assert not missing, f"staff hours mismatch: rows for (day, role) with no staff.csv row: {missing[:5]}"


def check_four_plus_share(
    config: SimiopConfig, rows: list[Row], daily: list[dict[str, str]], kpis: Mapping[str, float]
) -> None:
    """5c. The share of attended patient-days (from the warm-up on) with 4+ held services is the KPI's."""
    start = config.simulation.warmup_days
    services: Counter[tuple[int, str]] = Counter()
    for row in rows:
        if row.outcome == "held" and row.kind != INTAKE and row.day >= start:
            for patient in row.patients:
                services[row.day, patient] += 1
    attended = sum(int(line["attended"]) for line in daily if int(line["day"]) >= start)
    four_plus = sum(1 for count in services.values() if count >= 4)
    share = four_plus / attended if attended else float("nan")
    expected = kpis["share_attended_days_4plus_services"]
    assert (share != share and expected != expected) or abs(share - expected) <= 1e-9, (
        f"4+ services share mismatch: rows {share}, kpi {expected}"
    )


def check_sessions(
    config: SimiopConfig, tables: Mapping[str, str], kpis: Mapping[str, float] | None = None
) -> None:
    """Every check of plan section (i) on the rendered tables; the 4+ share only when ``kpis`` is given."""
    rows = parse_sessions(tables["sessions"])
    episodes = read_csv(tables["episodes"])
    daily = read_csv(tables["daily"])
    staff = Staff(config)
    check_no_double_booking(rows)
    check_facilitator_blocks(config, rows)
    check_inside_shifts(staff, rows)
    check_direct_limits(staff, rows, ClinicCalendar.for_config(config))
    check_patients_in_one_place(rows)
    check_services_match_episodes(config, rows, episodes)
    check_groups_match_daily(config, rows, daily)
    check_shift_matching(config, staff, rows)
    check_hours_match_staff(staff, rows, read_csv(tables["staff"]))
    check_timetable(config, rows)
    check_placements(config, rows)
    check_cover(config, staff, rows)
    if kpis is not None:
        check_four_plus_share(config, rows, daily, kpis)


def _care_spec(config: SimiopConfig, kind: str) -> tuple[tuple[str, ...], float]:
    """(allowed placements, session minutes) of a care kind, from the config's services."""
    services = config.services
    if kind == "individual":
        assert services.individual_therapy is not None, "individual rows without services.individual_therapy"
        return services.individual_therapy.placement, services.individual_therapy.session_minutes
    if kind == "family":
        assert services.family is not None, "family rows without services.family"
        return services.family.placement, services.family.session_minutes
    assert services.prescriber is not None, "prescriber rows without services.prescriber"
    minutes = (
        services.prescriber.initial_minutes
        if kind == "prescriber_initial"
        else services.prescriber.follow_up_minutes
    )
    return services.prescriber.placement, minutes


def check_timetable(config: SimiopConfig, rows: list[Row]) -> None:
    """9. Group rows at their track's clock times; care rows as long as the config's sessions."""
    for row in rows:
        if row.kind == GROUP and row.start is not None:
            assert row.session is not None, f"{row}: a group row without its session"
            expected = session_times(config.tracks[row.track])[row.session]
            assert row.end is not None
            on_time = abs(row.start - expected[0]) <= TOLERANCE and abs(row.end - expected[1]) <= TOLERANCE
            assert on_time, (
                f"off the timetable: {row}, track {row.track} session {row.session} runs {expected[0]:g}-{expected[1]:g}"
            )
        if row.kind in CARE_COUNTS and row.outcome == "held":
            minutes = _care_spec(config, row.kind)[1]
            assert abs(row.minutes - minutes) <= 2 * TOLERANCE, (
                f"wrong length: {row}, the config says {minutes:g} min"
            )


def check_placements(config: SimiopConfig, rows: list[Row]) -> None:
    """10. Held care in one of its service's placements: a pull-out inside its group session's slot and
    within max_pull_outs_per_day a patient-day, before/after next to the programme day within
    services.outside_window_minutes."""
    reach = config.services.outside_window_minutes
    pulls: Counter[tuple[int, str]] = Counter()
    for row in rows:
        if row.kind not in CARE_COUNTS or row.outcome != "held":
            continue
        assert row.start is not None
        assert row.end is not None
        allowed = _care_spec(config, row.kind)[0]
        assert row.placement in allowed, (
            f"placement not allowed: {row} placed {row.placement!r}, allowed {allowed}"
        )
        track = config.tracks[row.track]
        begin, finish = programme_minutes(track)
        if row.placement == "pull_out":
            assert row.session is not None, f"{row}: a pull-out without its session"
            low, high = pull_out_slots(track)[row.session]
            inside = low - EPS <= row.start and row.end <= high + EPS
            assert inside, f"pull-out outside its slot: {row}, slot {low:g}-{high:g}"
            for patient in row.patients:
                pulls[row.day, patient] += 1
        elif row.placement == "before":
            inside = begin - reach - EPS <= row.start and row.end <= begin + EPS
            assert inside, (
                f"before outside its window: {row}, programme day from {begin:g}, reach {reach:g} min"
            )
        else:
            inside = finish - EPS <= row.start and row.end <= finish + reach + EPS
            assert inside, (
                f"after outside its window: {row}, programme day to {finish:g}, reach {reach:g} min"
            )
    most = config.services.max_pull_outs_per_day
    for (day, patient), count in pulls.items():
        assert count <= most, f"too many pull-outs: {patient} on day {day}: {count} > {most}"


def check_cover(config: SimiopConfig, staff: Staff, rows: list[Row]) -> None:
    """11. Cover people only for a role with a pool, on groups, flagged, and no more a day than the pool."""
    called: defaultdict[tuple[int, str], set[str]] = defaultdict(set)
    for row in rows:
        if not row.busy:
            continue
        covers = [person for person in row.staff if "_cover_" in person]
        assert row.cover == bool(covers), f"cover flag wrong: {row} cover={int(row.cover)}, staff {row.staff}"
        for person in covers:
            role = staff.role(person)
            assert role.cover is not None, f"cover without a pool: {person} in {row}"
            assert row.kind == GROUP, f"cover person on care: {person} in {row}"
            called[row.day, staff.role_name(person)].add(person)
    for (day, role_name), people in called.items():
        pool = config.staff.roles[role_name].cover
        assert pool is not None
        assert len(people) <= pool.people_per_day, (
            f"cover pool exceeded: {role_name} on day {day}: {len(people)} > {pool.people_per_day}"
        )


def check_facilitator_blocks(config: SimiopConfig, rows: list[Row]) -> None:
    """1b. A facilitator of a held group is busy for the track's whole programme day, breaks included:
    no care or intake of theirs overlaps it (nothing is fitted into the breaks)."""
    blocked: defaultdict[tuple[int, str], set[str]] = defaultdict(set)
    for row in rows:
        if row.kind == GROUP and row.outcome == "held":
            for person in row.staff:
                blocked[row.day, person].add(row.track)
    for row in rows:
        if not row.busy or row.kind == GROUP:
            continue
        assert row.start is not None
        assert row.end is not None
        for person in row.staff:
            for track in sorted(blocked.get((row.day, person), ())):
                begin, finish = programme_minutes(config.tracks[track])
                apart = row.end <= begin + EPS or row.start >= finish - EPS
                assert apart, (
                    f"in a facilitator's programme day: {person} in {row}, track {track} {begin:g}-{finish:g}"
                )
