"""KPIs of staff time on the clock (issue 18), on hand-made records with exact expected values.

One small run is written out by hand: a week of warm-up, then a few days of
groups, care and intake on the clock (sessions), the staff rows, the
patient-days and the daily rows they imply. Every expected value below is
worked out in the comment next to it, from those rows alone; rows before the
warm-up are there to show they do not count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

import numpy as np
import pytest

from simiop.billing import annual_staff_cost_usd, bill, totals
from simiop.config import SimiopConfig, load_config
from simiop.model.records import (
    Episode,
    PatientDay,
    PatientDays,
    Records,
    RowColumns,
    SessionRow,
    StaffDay,
    TrackDay,
)
from simiop.results.columns import Columns, RunColumns, columns_of
from simiop.results.kpis import _optional_sum, compute_kpis
from simiop.results.periods import period_metrics
from simiop.results.session_kpis import groups_covered, missed_care_kpis, role_of
from tests.conftest import BASELINE, accrued_years

WARMUP = 7
NAN = float("nan")
ROLES = ("therapist", "evening_therapist", "intake_clinician", "prescriber")


def config(*changes: str) -> SimiopConfig:
    """The baseline over 28 days with a week of warm-up, and ``changes``."""
    return load_config(BASELINE, ["simulation.horizon_days=28", f"simulation.warmup_days={WARMUP}", *changes])


CONFIG = config()


def _episode(episode_id: int, track: str) -> Episode:
    return Episode(
        episode_id=episode_id,
        patient_id=episode_id,
        source="step_down",
        source_kind="step_down",
        track_preference=track,
        payer="commercial",
        acuity="standard",
        referred_day=0.0,
        track=track,
        admitted_day=0.0,
        end_state="censored_in_programme",
    )


def _session(
    day: int,
    kind: str,
    track: str,
    start: float,
    minutes: float,
    staff: tuple[str, ...],
    patients: tuple[int, ...],
    *,
    session: int = -1,
    placement: str = "programme",
    cover: int = 0,
    outcome: str = "held",
    reason: str = "",
) -> SessionRow:
    return SessionRow(
        day=day,
        kind=kind,  # type: ignore[arg-type]
        track=track,
        group=0 if kind == "group" else -1,
        session=session,
        placement=placement,  # type: ignore[arg-type]
        start_minute=start,
        end_minute=start + minutes,
        staff=staff,
        cover=cover,
        room="",
        patients=patients,
        outcome=outcome,  # type: ignore[arg-type]
        reason=reason,  # type: ignore[arg-type]
    )


def _groups(
    day: int,
    track: str,
    first: float,
    staff: tuple[str, ...],
    by_session: list[tuple[int, ...]],
    cover: int = 0,
) -> list[SessionRow]:
    """A group's three 50-minute sessions an hour apart from ``first``, each with its patients."""
    return [
        _session(day, "group", track, first + 60 * k, 50, staff, patients, session=k, cover=cover)
        for k, patients in enumerate(by_session)
    ]


def _missed(day: int, kind: str, track: str, patient: int, reason: str) -> SessionRow:
    return _session(
        day, kind, track, NAN, NAN, (), (patient,), placement="before", outcome="missed", reason=reason
    )


SESSIONS = [
    # Before the warm-up: four services for episode 0 and a missed session, none of which counts.
    *_groups(5, "day", 540, ("therapist_1",), [(0,), (0,), (0,)]),
    _session(5, "individual", "day", 720, 50, ("therapist_1",), (0,), placement="after"),
    _missed(2, "individual", "day", 0, "no_slot"),
    # Day 7, day track: episode 2 is pulled out of session 1 for an individual session with therapist_2;
    # episode 0 has its three groups and an individual session after them (4 services).
    *_groups(7, "day", 540, ("therapist_1",), [(0, 2), (0,), (0, 2)]),
    _session(7, "individual", "day", 600, 50, ("therapist_2",), (2,), session=1, placement="pull_out"),
    _session(7, "individual", "day", 720, 50, ("therapist_1",), (0,), placement="after"),
    # Day 8: the day group again (no patients needed), an evening group led by a cover person,
    # an intake held and a no-show, and episode 1's individual session missed (therapist absent).
    *_groups(8, "day", 540, ("therapist_1",), [(), (), ()]),
    *_groups(8, "evening", 1080, ("evening_therapist_cover_1",), [(1,), (1,), (1,)], cover=1),
    _session(8, "intake", "", 540, 90, ("intake_clinician_1",), (5,), placement="intake_slot"),
    _session(
        8, "intake", "", 630, 90, ("intake_clinician_1",), (6,), placement="intake_slot", outcome="no_show"
    ),
    _missed(8, "individual", "evening", 1, "staff_absent"),
    # Day 9: a family session nobody on the evening shift can give, and a cancelled evening group.
    _missed(9, "family", "evening", 1, "no_staff_on_shift"),
    _session(
        9, "group", "evening", 1080, 50, (), (), session=0, outcome="cancelled", reason="no_facilitator"
    ),
]

TRACK_DAYS = [
    TrackDay(day=5, track="day", attended=1, cancelled_no_facilitator=1),
    TrackDay(day=7, track="day", attended=2),
    TrackDay(day=8, track="day", attended=0, cancelled_no_room=1),
    TrackDay(day=8, track="evening", attended=1),
    TrackDay(day=9, track="evening", attended=0, cancelled_no_facilitator=1, cancelled_too_few=2),
]

STAFF_DAYS = [
    StaffDay(day=3, role="therapist", employed=3, employed_fte=3.0, group_hours=100.0),  # before the warm-up
    StaffDay(day=7, role="therapist", employed=3, employed_fte=3.0, group_hours=7.5, individual_hours=2.5),
    StaffDay(day=8, role="therapist", employed=3, employed_fte=3.0, group_hours=5.0, family_hours=1.0),
    StaffDay(day=7, role="evening_therapist", employed=1, employed_fte=1.0, group_hours=2.5),
    StaffDay(day=7, role="intake_clinician", employed=1, employed_fte=1.0, intake_hours=2.0),
    StaffDay(day=7, role="prescriber", employed=1, employed_fte=0.5, prescriber_hours=1.0),
]

INDIVIDUAL_H = 50 / 60


def _day(episode_id: int, day: int, individual: bool) -> PatientDay:
    extra = INDIVIDUAL_H if individual else 0.0
    return PatientDay(
        episode_id,
        day,
        day // 7,
        3 + individual,
        2.5 + extra,
        groups=3,
        programme_hours=3.0,
        individual_hours=extra,
    )


PATIENT_DAYS = [
    _day(0, 3, True),  # week 0, before the warm-up
    _day(0, 7, True),  # episode 0 week 1: covered
    _day(2, 7, True),  # episode 2 week 1: covered
    _day(1, 8, False),  # episode 1 week 1: not covered
    _day(0, 14, False),  # episode 0 week 2: not covered
    _day(1, 15, True),  # episode 1 week 2: covered
]


def records(sessions: list[SessionRow] = SESSIONS) -> Records:
    made = Records(seed=0, replication=0, horizon_days=28.0)
    made.episodes = [_episode(0, "day"), _episode(1, "evening"), _episode(2, "day")]
    made.track_days = list(TRACK_DAYS)
    made.staff_days = RowColumns.of(StaffDay, STAFF_DAYS)
    made.patient_days = PatientDays.of(PATIENT_DAYS)
    made.sessions = RowColumns.of(SessionRow, sessions)
    return made


@pytest.fixture(scope="module")
def kpis() -> dict[str, float]:
    return compute_kpis(CONFIG, records())


def _paid(fte_days: float) -> float:
    return fte_days * 40 / 7


def test_utilisation_is_direct_hours_over_the_paid_hours_left_for_direct_care(kpis: dict[str, float]) -> None:
    # therapist from day 7: 3 + 3 FTE-days, 7.5 + 2.5 + 5 + 1 = 16 direct hours; share 0.35
    assert kpis["staff_contracted_share_therapist"] == pytest.approx(16 / _paid(6), rel=1e-12)
    assert kpis["staff_utilisation_therapist"] == pytest.approx(16 / (_paid(6) * 0.65), rel=1e-12)
    assert kpis["staff_utilisation_evening_therapist"] == pytest.approx(2.5 / (_paid(1) * 0.65), rel=1e-12)
    # the intake clinician's share is the baseline's 0.25 (four assessments fill the day)
    assert kpis["staff_utilisation_intake_clinician"] == pytest.approx(2.0 / (_paid(1) * 0.75), rel=1e-12)
    # the prescriber is half time with share 0.40
    assert kpis["staff_contracted_share_prescriber"] == pytest.approx(1.0 / _paid(0.5), rel=1e-12)
    assert kpis["staff_utilisation_prescriber"] == pytest.approx(1.0 / (_paid(0.5) * 0.6), rel=1e-12)


def test_utilisation_by_shift_adds_the_roles_of_the_shift(kpis: dict[str, float]) -> None:
    # day: therapist and intake clinician; evening: the evening therapist; both: the prescriber
    day = (16 + 2.0) / (_paid(6) * 0.65 + _paid(1) * 0.75)
    assert kpis["staff_utilisation_shift_day"] == pytest.approx(day, rel=1e-12)
    assert kpis["staff_utilisation_shift_evening"] == kpis["staff_utilisation_evening_therapist"]
    assert kpis["staff_utilisation_shift_both"] == kpis["staff_utilisation_prescriber"]


def test_a_shift_nobody_works_has_no_utilisation() -> None:
    changed = config("staff.roles.prescriber.shift=day")
    found = compute_kpis(changed, records())
    assert "staff_utilisation_shift_both" not in found
    assert [k for k in found if k.startswith("staff_utilisation_shift_")] == [
        "staff_utilisation_shift_day",
        "staff_utilisation_shift_evening",
    ]


def test_with_no_non_direct_share_utilisation_is_the_contracted_share_to_the_bit() -> None:
    overrides = [f"staff.roles.{role}.non_direct_share=0" for role in ROLES]
    changed = config(*overrides)
    found = compute_kpis(changed, records())
    for role in ROLES:
        assert found[f"staff_utilisation_{role}"] == found[f"staff_contracted_share_{role}"]


def test_direct_hours_per_person_day_from_held_sessions(kpis: dict[str, float]) -> None:
    # therapist person-days from day 7: therapist_1 day 7 150 + 50 min, therapist_2 day 7 50 min,
    # therapist_1 day 8 150 min: 10/3, 5/6 and 5/2 h; p95 of three values (linear): 5/2 + 0.9 * (10/3 - 5/2)
    assert kpis["staff_direct_hours_per_day_max_therapist"] == pytest.approx(10 / 3, rel=1e-12)
    assert kpis["staff_direct_hours_per_day_p95_therapist"] == pytest.approx(3.25, rel=1e-12)
    # the cover person counts in their role; the intake no-show is not direct care
    assert kpis["staff_direct_hours_per_day_max_evening_therapist"] == pytest.approx(2.5, rel=1e-12)
    assert kpis["staff_direct_hours_per_day_p95_evening_therapist"] == pytest.approx(2.5, rel=1e-12)
    assert kpis["staff_direct_hours_per_day_max_intake_clinician"] == pytest.approx(1.5, rel=1e-12)
    assert math.isnan(kpis["staff_direct_hours_per_day_max_prescriber"])
    assert math.isnan(kpis["staff_direct_hours_per_day_p95_prescriber"])


def test_four_plus_share_counts_held_services_per_patient_day(kpis: dict[str, float]) -> None:
    # from day 7: episode 0 on day 7 has 3 groups + 1 individual; episode 2 has 2 groups + a pull-out;
    # episode 1 on day 8 has 3 groups. Attended days (daily rows from day 7): 2 + 0 + 1 + 0 = 3.
    assert kpis["share_attended_days_4plus_services"] == pytest.approx(1 / 3, rel=1e-12)


def test_weekly_individual_coverage_per_track_and_in_all(kpis: dict[str, float]) -> None:
    # patient-weeks from day 7: day track (0, w1) yes, (2, w1) yes, (0, w2) no; evening (1, w1) no, (1, w2) yes
    assert kpis["individual_therapy_weekly_coverage_day"] == pytest.approx(2 / 3, rel=1e-12)
    assert kpis["individual_therapy_weekly_coverage_evening"] == pytest.approx(1 / 2, rel=1e-12)
    assert kpis["individual_therapy_weekly_coverage"] == pytest.approx(3 / 5, rel=1e-12)


def test_missed_care_by_kind_and_reason(kpis: dict[str, float]) -> None:
    missed = {k: v for k, v in kpis.items() if k.startswith("care_missed_")}
    kinds = ("individual", "family", "prescriber_initial", "prescriber_follow_up")
    reasons = ("no_staff_on_shift", "staff_absent", "no_staff_time", "no_slot")
    assert list(missed) == [f"care_missed_{kind}_{reason}" for kind in kinds for reason in reasons]
    assert {k: v for k, v in missed.items() if v} == {
        "care_missed_individual_staff_absent": 1.0,
        "care_missed_family_no_staff_on_shift": 1.0,
    }  # the day-2 no_slot is before the warm-up


def test_cancellations_per_track_and_groups_covered(kpis: dict[str, float]) -> None:
    assert kpis["group_days_cancelled_no_facilitator_evening"] == 1
    assert kpis["group_days_cancelled_no_facilitator_day"] == 0  # day 5 is before the warm-up
    assert kpis["group_days_cancelled_too_few_evening"] == 2
    assert kpis["group_days_cancelled_too_few_day"] == 0
    assert kpis["group_days_cancelled_no_room_day"] == 1
    assert kpis["group_days_cancelled_no_room_evening"] == 0
    for reason in ("too_few", "no_facilitator", "no_room"):
        by_track = kpis[f"group_days_cancelled_{reason}_day"] + kpis[f"group_days_cancelled_{reason}_evening"]
        assert by_track == kpis[f"group_days_cancelled_{reason}"]
    assert kpis["group_days_covered"] == 1  # one group-day, three sessions with cover
    assert kpis["cover_hours"] == 0.0  # staff rows without cover columns
    assert kpis["cover_cost_usd"] == 0.0


def test_with_no_sessions_counts_are_zero_and_person_day_figures_nan() -> None:
    found = compute_kpis(CONFIG, records([]))
    assert found["share_attended_days_4plus_services"] == 0.0  # 3 attended days, none with 4 services
    assert found["group_days_covered"] == 0
    assert all(found[k] == 0 for k in found if k.startswith("care_missed_"))
    assert all(
        math.isnan(found[f"staff_direct_hours_per_day_{q}_{role}"]) for q in ("max", "p95") for role in ROLES
    )
    # utilisation comes from staff rows, coverage from patient-days: neither needs sessions
    assert (
        found["staff_utilisation_therapist"] == compute_kpis(CONFIG, records())["staff_utilisation_therapist"]
    )
    assert found["individual_therapy_weekly_coverage"] == pytest.approx(3 / 5, rel=1e-12)


def test_with_nothing_attended_the_shares_are_nan() -> None:
    empty = Records(seed=0, replication=0, horizon_days=28.0)
    found = compute_kpis(CONFIG, empty)
    assert math.isnan(found["share_attended_days_4plus_services"])
    assert math.isnan(found["individual_therapy_weekly_coverage"])
    assert math.isnan(found["individual_therapy_weekly_coverage_day"])


def test_services_left_out_have_no_coverage_or_missed_kpis() -> None:
    changed = config("services.individual_therapy=null", "services.family=null")
    found = compute_kpis(changed, records())
    assert not [k for k in found if k.startswith("individual_therapy_weekly_coverage")]
    assert [k for k in found if k.startswith("care_missed_")] == [
        f"care_missed_{kind}_{reason}"
        for kind in ("prescriber_initial", "prescriber_follow_up")
        for reason in ("no_staff_on_shift", "staff_absent", "no_staff_time", "no_slot")
    ]


def test_role_of_a_person_id() -> None:
    roles = ("therapist", "evening_therapist", "night_cover")
    assert role_of("therapist_3", roles) == "therapist"
    assert role_of("evening_therapist_12", roles) == "evening_therapist"
    assert role_of("evening_therapist_cover_2", roles) == "evening_therapist"
    assert role_of("night_cover_1", roles) == "night_cover"  # a role whose name ends in _cover
    assert role_of("nurse_1", roles) is None


@dataclass(slots=True)
class CoveredStaffDay(StaffDay):
    """A staff row with the cover columns the model may add (plan section e)."""

    cover_hours: float = 0.0
    cover_cost_usd: float = 0.0


def _with_cover(rows: list[CoveredStaffDay]) -> RunColumns:
    made = columns_of(records())
    return replace(made, staff_days=Columns(CoveredStaffDay, RowColumns.of(CoveredStaffDay, rows)))


def test_cover_columns_add_to_staff_cost_and_their_kpis() -> None:
    plain = [
        CoveredStaffDay(**{f.name: getattr(row, f.name) for f in fields(StaffDay)}) for row in STAFF_DAYS
    ]
    covered = [
        *plain,
        CoveredStaffDay(day=2, role="evening_therapist", cover_hours=4.0, cover_cost_usd=180.0),
    ]
    covered.append(CoveredStaffDay(day=8, role="evening_therapist", cover_hours=5.5, cover_cost_usd=247.5))
    without, with_cover = bill(CONFIG, _with_cover(plain)), bill(CONFIG, _with_cover(covered))
    before, after = totals(CONFIG, without, WARMUP), totals(CONFIG, with_cover, WARMUP)
    assert after.staff_cost_usd - before.staff_cost_usd == pytest.approx(247.5, abs=1e-9)  # day 2: warm-up
    assert after.staff_cost_by_role_usd["evening_therapist"] == pytest.approx(
        before.staff_cost_by_role_usd["evening_therapist"] + 247.5, abs=1e-9
    )
    assert after.staff_cost_by_role_usd["therapist"] == before.staff_cost_by_role_usd["therapist"]
    found = compute_kpis(CONFIG, with_cover)
    assert found["cover_hours"] == 5.5
    assert found["cover_cost_usd"] == 247.5
    assert found["staff_cost_usd"] == after.staff_cost_usd
    assert compute_kpis(CONFIG, without)["cover_cost_usd"] == 0.0
    monthly = [m["staff_cost_usd"] for p, m in period_metrics(CONFIG, with_cover) if p.kind == "month"]
    plain_monthly = [m["staff_cost_usd"] for p, m in period_metrics(CONFIG, without) if p.kind == "month"]
    assert sum(monthly) - sum(plain_monthly) == pytest.approx(180.0 + 247.5, abs=1e-9)  # from opening


def test_without_cover_columns_staff_cost_is_the_salaries_to_the_bit() -> None:
    salaries = sum(
        annual_staff_cost_usd(CONFIG.staff.roles[row.role])
        * row.employed_fte
        * accrued_years(CONFIG, range(row.day, row.day + 1))
        for row in STAFF_DAYS
        if row.day >= WARMUP
    )
    assert totals(CONFIG, bill(CONFIG, records()), WARMUP).staff_cost_usd == pytest.approx(
        salaries, rel=1e-12
    )
    rows = [CoveredStaffDay(**{f.name: getattr(row, f.name) for f in fields(StaffDay)}) for row in STAFF_DAYS]
    assert totals(CONFIG, bill(CONFIG, _with_cover(rows)), WARMUP) == totals(
        CONFIG, bill(CONFIG, records()), WARMUP
    )


@dataclass
class _CoveredDay:
    day: int
    cover_hours: float
    cover_cost_usd: float


def test_optional_cover_columns_are_summed_when_the_records_have_them() -> None:
    rows = [_CoveredDay(3, 4.0, 180.0), _CoveredDay(8, 5.5, 247.5)]
    columns = Columns(_CoveredDay, rows)
    counted = columns.array("day", "int") >= WARMUP
    assert _optional_sum(columns, "cover_cost_usd", counted) == 247.5
    assert _optional_sum(columns, "cover_hours", np.ones(2, dtype=bool)) == 9.5
    assert _optional_sum(columns, "no_such_column", counted) == 0.0


def test_missed_care_and_groups_covered_count_from_the_warm_up_on() -> None:
    """Missed rows count by (kind, reason) and a covered group once for all its sessions, from ``from_day``;
    a kind or reason outside the lists, a held row, an uncovered group and earlier days do not count."""

    def row(
        day: int, kind: str, outcome: str, reason: str = "", cover: int = 0, group: int = -1
    ) -> SessionRow:
        return SessionRow(day, kind, "day", group, 0, "", NAN, NAN, (), cover, "", (1,), outcome, reason)  # type: ignore[arg-type]

    rows = [
        row(3, "individual", "missed", "no_staff_time"),  # before from_day
        row(5, "individual", "missed", "no_staff_time"),
        row(6, "individual", "missed", "no_staff_time"),
        row(6, "family", "missed", "no_slot"),
        row(6, "family", "held"),
        row(5, "group", "held", cover=1, group=0),
        row(5, "group", "held", cover=1, group=0),  # the same group-day's next session
        row(5, "group", "held", cover=1, group=1),
        row(6, "group", "held", cover=0, group=0),
        row(6, "group", "cancelled", "no_facilitator", cover=1, group=2),
        row(2, "group", "held", cover=1, group=0),  # before from_day
    ]
    sessions = Columns(SessionRow, RowColumns.of(SessionRow, rows))
    found = missed_care_kpis(CONFIG, sessions, 5)
    assert found["care_missed_individual_no_staff_time"] == 2
    assert found["care_missed_family_no_slot"] == 1
    assert sum(found.values()) == 3
    assert groups_covered(sessions, 5) == 2


def test_weekly_coverage_from_billings_patient_weeks_is_the_coverage_grouped_again() -> None:
    """With no warm-up every patient-day counts: the patient-weeks billing grouped are used as they are,
    and give what grouping the counted days again gives (here with a warm-up: grouped again)."""
    from simiop.results.session_kpis import weekly_individual_coverage

    for warmup_days in (WARMUP, 0):
        setting = load_config(
            BASELINE, ["simulation.horizon_days=28", f"simulation.warmup_days={warmup_days}"]
        )
        run = bill(setting, records())
        warmup = setting.simulation.warmup_days
        shared = weekly_individual_coverage(
            setting, run.columns, run.episode_of_day, warmup, (run.weeks[0], run.week_of_day)
        )
        alone = weekly_individual_coverage(setting, run.columns, run.episode_of_day, warmup)
        assert shared == alone
        assert not math.isnan(shared["individual_therapy_weekly_coverage"])
