"""Early disengagement (issue 19): the dropout hazard by week of stay, and no-starts.

Tiny worlds on the baseline's day track (Mon-Thu 09:00-12:00, opening on Monday 2027-01-04, so
programme days are 0, 1, 2, 3, 7, 8, ...), everyone attending and no other hazard unless a test says
otherwise, so every discharge is exact.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simiop.config import ConfigError, SimiopConfig, load_config
from simiop.model import simulate
from simiop.model.patients import PatientKey, PatientStreams, Purpose
from simiop.model.records import COMPLETED, DROPOUT, IN_PROGRAMME, NO_START, STEP_UP
from simiop.model.stay import Enrolment, Stay, first_success, piecewise_first_success
from simiop.results.kpis import compute_kpis, disengagement_kpis
from simiop.results.periods import PROGRAMME_YEAR, period_metrics
from tests.conftest import REPO
from tests.invariants import check_invariants
from tests.tiny_world import episode, roster_of, stay_world, track_of

START, END = 9 / 24, 12 / 24


def world(**changes: Any) -> SimiopConfig:
    """Two fixed weeks, always attending, no hazards, no reviews, unless ``changes`` say otherwise."""
    return stay_world(2, **changes)


def hazard(*weekly: float) -> dict[str, Any]:
    return {"length_of_stay__dropout_hazard": {"weekly_by_week": list(weekly)}}


def admit(config: SimiopConfig, day: int = 0, disengage_seed: int = 2) -> Enrolment:
    """Admit one patient at the start of ``day``'s programme day (its first programme day on or after)."""
    state = track_of(config)
    now = day + START
    first = state.index_from(now, strictly_after=False)
    rng = np.random.default_rng(1)
    other = np.random.default_rng(disengage_seed)
    therapist = roster_of(config).by_role["therapist"][0]
    return Stay(config).plan(
        state,
        episode(0, "medicare"),
        0,
        therapist,
        first,
        day,
        now,
        rng,
        lambda: rng,
        disengage=lambda: other,
    )


# -- the dropout hazard ----------------------------------------------------------------------------


def test_a_certain_hazard_ends_the_stay_at_the_start_of_the_first_programme_day_as_a_no_start() -> None:
    """The hazard fires before any day is attended: the patient never started (no_start, not dropout)."""
    for day in (0, 2):  # a Monday and a Wednesday admission
        stay = admit(world(**hazard(1.0)), day=day)
        assert (stay.state, stay.ends_at, stay.at_start, stay.started) == (NO_START, day + START, True, 0)


def test_a_hazard_of_week_two_fires_on_the_first_programme_day_of_the_second_calendar_week_of_stay() -> None:
    stay = admit(world(**hazard(0.0, 1.0)))
    assert (stay.state, stay.ends_at, stay.started) == (DROPOUT, 7 + START, 4)  # days 0-3 held
    # Admitted on Wednesday: week 2 of the stay starts the next Wednesday (day 9), not on Monday.
    stay = admit(world(**hazard(0.0, 1.0)), day=2)
    assert (stay.state, stay.ends_at, stay.started) == (DROPOUT, 9 + START, 4)  # days 2, 3, 7, 8
    # Monday of week 2 a holiday: the hazard fires on the week's first programme day, Tuesday.
    closed = world(**hazard(0.0, 1.0), clinic__holidays=["2027-01-11"])
    stay = admit(closed)
    assert (stay.state, stay.ends_at, stay.started) == (DROPOUT, 8 + START, 4)


def test_the_last_weekly_value_holds_for_every_later_week() -> None:
    stay = admit(world(**hazard(0.0, 0.0, 1.0), length_of_stay__planned_stay={"dist": "fixed", "value": 8}))
    assert (stay.state, stay.ends_at) == (DROPOUT, 14 + START)
    zero = admit(world(**hazard(0.0)))
    assert (zero.state, zero.ends_at) == (COMPLETED, 10 + END)  # never fires: the plan completes


def test_a_step_up_on_the_same_day_comes_before_the_dropout_hazard() -> None:
    stay = admit(world(**hazard(1.0), length_of_stay__step_up_weekly_hazard=1.0))
    assert (stay.state, stay.ends_at) == (STEP_UP, START)


def test_the_inverse_cdf_matches_known_geometric_draws() -> None:
    assert piecewise_first_success(0.74, np.full(5, 0.5)) == first_success(0.74, 0.5) == 1
    assert piecewise_first_success(0.0, np.array([0.0, 0.0, 0.2])) == 2  # the first day it can fire
    assert piecewise_first_success(0.999, np.array([0.0, 1.0, 0.0])) == 1  # certain on day 1
    assert piecewise_first_success(0.5, np.zeros(10)) == math.inf
    assert piecewise_first_success(0.5, np.array([])) == math.inf
    assert piecewise_first_success(0.9, np.full(3, 0.1)) == math.inf  # beyond the stay's days


@given(
    st.lists(st.sampled_from([0.0, 0.01, 0.05, 0.1, 0.3, 0.5, 0.9, 1.0]), min_size=1, max_size=30),
    st.floats(0.0, 1.0, exclude_max=True),
)
def test_the_inverse_cdf_is_the_day_by_day_survival_draw(daily: list[float], u: float) -> None:
    """Brute force: walk the days, multiplying the chance of surviving each; it fires on the first day
    the chance of having survived falls below 1 - u (the same uniform, read as a survival threshold)."""
    log_survival = 0.0
    expected = math.inf
    for day, p in enumerate(daily):
        log_survival += math.log1p(-p) if p < 1.0 else -math.inf
        if log_survival < math.log1p(-u):
            expected = day
            break
    assert piecewise_first_success(u, np.array(daily)) == expected


def test_the_inverse_cdf_gives_each_day_its_piecewise_geometric_probability() -> None:
    """Over an even grid of uniforms, the share firing on each day is P(survive to it) x its p."""
    daily = np.array([0.3, 0.3, 0.1, 0.1, 0.0, 0.5])
    n = 20_000
    days = [piecewise_first_success((i + 0.5) / n, daily) for i in range(n)]
    survive = 1.0
    for day, p in enumerate(daily):
        assert days.count(day) == pytest.approx(n * survive * p, abs=1.0)
        survive *= 1.0 - p
    assert days.count(math.inf) == pytest.approx(n * survive, abs=1.0)


# -- no-starts -------------------------------------------------------------------------------------


def test_a_no_start_attends_nothing_and_ends_as_no_start_after_the_run_of_absences() -> None:
    config = world(attendance__no_start_probability=1.0)
    stay = admit(config)
    assert not any(stay.attended)
    assert (stay.state, stay.ends_at, stay.started) == (NO_START, 2 + END, 3)  # 3 absences: days 0-2
    Stay(config).settle(stay, horizon=28.0)
    assert (stay.episode.programme_days, stay.episode.programme_days_attended) == (3, 0)
    assert not Stay(config).always_attends


def test_a_no_start_is_not_a_dropout_of_the_hazard_but_a_step_up_still_competes() -> None:
    stay = admit(world(attendance__no_start_probability=1.0, **hazard(1.0)))
    assert (stay.state, stay.ends_at) == (NO_START, 2 + END)
    stay = admit(world(attendance__no_start_probability=1.0, length_of_stay__step_up_weekly_hazard=1.0))
    assert (stay.state, stay.ends_at) == (STEP_UP, START)


def test_plan_refuses_to_draw_disengagement_without_its_stream() -> None:
    config = world(attendance__no_start_probability=0.5)
    state = track_of(config)
    rng = np.random.default_rng(1)
    therapist = roster_of(config).by_role["therapist"][0]
    with pytest.raises(ValueError, match="DISENGAGE"):
        Stay(config).plan(state, episode(0), 0, therapist, 0, 0, START, rng, lambda: rng)


def test_a_run_where_nobody_starts_serves_and_bills_nobody() -> None:
    config = world(attendance__no_start_probability=1.0, simulation__horizon_days=56)
    records = simulate(config, 3, 0)
    check_invariants(config, records)
    admitted = [e for e in records.episodes if e.admitted_day is not None]
    ended = [e for e in admitted if e.end_state != IN_PROGRAMME]
    assert ended
    assert all(e.end_state == NO_START for e in ended)
    kpis = compute_kpis(config, records)
    assert kpis["no_starts"] == kpis["end_state_no_start"] == len(ended)
    assert kpis["no_start_share_of_admissions"] == len(ended) / len(admitted)
    assert kpis["attended_days"] == kpis["billable_days"] == kpis["revenue_usd"] == 0
    assert kpis["completions"] == kpis["dropouts"] == 0
    assert math.isnan(kpis["completion_share_of_discharges"])  # no discharge at all
    # Served: only the admitted still in the programme at the horizon (not yet known to be no-starts).
    still_in = {e.patient_id for e in admitted if e.end_state == IN_PROGRAMME}
    assert kpis["unduplicated_patients_served"] == len(still_in)
    (year,) = [m for p, m in period_metrics(config, records) if p.kind == PROGRAMME_YEAR]
    assert year["unduplicated_patients_served"] == len(still_in)
    assert year["admissions"] == len(admitted)


def test_a_run_with_the_hazard_counts_dropouts_by_week_of_stay() -> None:
    config = world(
        **hazard(0.3, 0.2, 0.1),
        attendance__propensity={"dist": "beta", "mean": 0.85, "concentration": 10},
        attendance__no_start_probability=0.1,
        length_of_stay__planned_stay={"dist": "fixed", "value": 6},
        simulation__horizon_days=180,
    )
    records = simulate(config, 5, 0)
    check_invariants(config, records)
    kpis = compute_kpis(config, records)
    weeks = ("dropouts_week_1", "dropouts_week_2", "dropouts_weeks_3_4", "dropouts_after_week_4")
    assert sum(kpis[name] for name in weeks) == kpis["dropouts"] > 0
    assert kpis["no_starts"] > 0
    stays = [e.ended_day - e.admitted_day for e in records.episodes if e.end_state == DROPOUT]  # type: ignore[operator]
    assert kpis["dropouts_week_1"] == sum(stay < 7 for stay in stays)
    assert kpis["dropouts_within_14_days_share"] == sum(stay <= 14 for stay in stays) / len(stays)


# -- common random numbers ---------------------------------------------------------------------------


def _stays(config: SimiopConfig, patients: int = 60) -> list[Enrolment]:
    """Each of ``patients`` referrals admitted on day 0, drawn from its own streams as the model does."""
    streams = PatientStreams(11, 0)
    stay, state = Stay(config), track_of(config)
    therapist = roster_of(config).by_role["therapist"][0]
    enrolments = []
    for referral in range(patients):
        key = PatientKey.of_referral("gp", referral)
        enrolments.append(
            stay.plan(
                state,
                episode(referral),
                0,
                therapist,
                0,
                0,
                START,
                streams.of(key, Purpose.STAY),
                lambda key=key: streams.of(key, Purpose.REVIEWS),  # type: ignore[misc]
                disengage=lambda key=key: streams.of(key, Purpose.DISENGAGE),  # type: ignore[misc]
            )
        )
    return enrolments


def test_turning_disengagement_on_moves_no_attendance_draw() -> None:
    sometimes = {"attendance__propensity": {"dist": "beta", "mean": 0.85, "concentration": 10}}
    off = _stays(world(**sometimes))
    with_hazard = _stays(world(**sometimes, **hazard(0.2, 0.1)))
    with_no_starts = _stays(world(**sometimes, attendance__no_start_probability=0.3))
    zero = _stays(world(**sometimes, **hazard(0.0)))
    assert [s.attended for s in with_hazard] == [s.attended for s in off]
    assert any(s.ends_at < o.ends_at for s, o in zip(with_hazard, off, strict=True))
    assert all(s.ends_at <= o.ends_at for s, o in zip(with_hazard, off, strict=True))
    started = [(s, o) for s, o in zip(with_no_starts, off, strict=True) if s.state != NO_START]
    assert 0 < len(started) < len(off)
    assert all(s.attended == o.attended and s.ends_at == o.ends_at for s, o in started)
    assert [(s.state, s.ends_at, s.attended) for s in zero] == [(s.state, s.ends_at, s.attended) for s in off]


# -- config --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("weekly", [[], [1.5], [-0.1, 0.2]])
def test_a_hazard_outside_zero_to_one_or_empty_is_refused(weekly: list[float]) -> None:
    with pytest.raises(ConfigError):
        world(length_of_stay__dropout_hazard={"weekly_by_week": weekly})


def test_both_dropout_rules_on_with_absence_dropout_switched_off_is_a_warning() -> None:
    assert not world(**hazard(0.1), attendance__no_start_probability=0.1).warnings()
    quiet = world(
        **hazard(0.1), attendance__no_start_probability=0.1, attendance__consecutive_absences_to_dropout=60
    )
    warnings = [w for w in quiet.warnings() if "dropout_hazard" in w or "no_start" in w]
    assert len(warnings) == 2
    assert "both dropout rules are on" in warnings[0]


def test_disengagement_kpis_on_hand_counted_episodes() -> None:
    states = {"completed": 5, "dropout": 4, "step_up": 1, "administrative": 0, "no_start": 2}
    stays = np.array([0.4, 6.9, 7.0, 14.0])  # days from admission to each dropout
    kpis = disengagement_kpis(states, 12, stays)
    assert kpis == {
        "no_starts": 2,
        "no_start_share_of_admissions": 2 / 12,
        "completion_share_of_discharges": 5 / 10,
        "dropout_share_of_discharges": 4 / 10,
        "dropouts_week_1": 2,
        "dropouts_week_2": 1,
        "dropouts_weeks_3_4": 1,
        "dropouts_after_week_4": 0,
        "dropouts_within_14_days_share": 1.0,
    }
    none = disengagement_kpis({**states, "dropout": 0}, 0, np.array([]))
    assert math.isnan(none["no_start_share_of_admissions"])
    assert math.isnan(none["dropouts_within_14_days_share"])


def test_a_caller_may_admit_someone_known_never_to_start() -> None:
    """The warm hand-off's no-show: a no-start whatever the draw, with the same end as a drawn one."""
    config = world()
    state = track_of(config)
    therapist = roster_of(config).by_role["therapist"][0]
    rng = np.random.default_rng(1)
    stay = Stay(config, no_starts_possible=True)
    assert not stay.always_attends
    forced = stay.plan(state, episode(0), 0, therapist, 0, 0, START, rng, lambda: rng, never_starts=True)
    assert not any(forced.attended)
    assert (forced.state, forced.ends_at, forced.started) == (NO_START, 2 + END, 3)
    with pytest.raises(ValueError, match="no_starts_possible"):
        Stay(config).plan(state, episode(1), 0, therapist, 0, 0, START, rng, lambda: rng, never_starts=True)


def test_leaving_before_the_first_attended_day_is_a_no_start_whoever_was_drawn() -> None:
    """docs/model.md and outputs.md: an admitted patient who leaves before attending a day is a no-start,
    drawn as one or not (issue 19: "admissions who never attend a day"); a drawn no-start whose stay the
    maximum stay ends first ends as at_max_stay, not no_start."""
    never_comes = admit(world(attendance__propensity={"dist": "fixed", "value": 0.0}))
    assert not any(never_comes.attended)
    assert (never_comes.state, never_comes.ends_at, never_comes.started) == (NO_START, 2 + END, 3)
    cut = admit(
        world(attendance__no_start_probability=1.0, length_of_stay__max_stay_days=1.0),
    )
    assert not any(cut.attended)
    assert (cut.state, cut.ends_at, cut.started) == (COMPLETED, 0 + END, 1)


def test_the_dropout_hazard_runs_on_a_continuous_track_whose_stays_may_end_before_a_programme_day() -> None:
    """Issue-19 break test: under continuous admission a stay can end before its first programme day starts
    (no days to spread the hazard over); the empty day list was a float array and the run ended in an
    IndexError traceback."""
    config = load_config(
        REPO / "configs" / "validation" / "mmc.yaml",
        ["simulation.horizon_days=120", "length_of_stay.dropout_hazard={weekly_by_week: [0.3]}"],
    )
    records = simulate(config, config.simulation.seed, 0)
    check_invariants(config, records)
    states = [e.end_state for e in records.episodes]
    assert DROPOUT in states
    assert COMPLETED in states
