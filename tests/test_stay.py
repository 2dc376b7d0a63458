"""A stay drawn at admission: hazards, attendance and dropout, reviews, payer reviews, completion.

Tiny worlds on the baseline's day track (Mon-Thu 09:00-12:00, opening on a
Monday, so programme days are 0, 1, 2, 3, 7, 8, ...), with fixed
distributions so the expected discharge is exact.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simiop.config import SimiopConfig
from simiop.model.patients import PatientKey, PatientStreams, Purpose
from simiop.model.records import ADMINISTRATIVE, COMPLETED, IN_PROGRAMME, NO_START, STEP_UP
from simiop.model.stay import Enrolment, Stay, dropout_day, first_success
from tests.tiny_world import episode, roster_of, stay_world, track_of

START, END = 9 / 24, 12 / 24


def world(**changes: Any) -> SimiopConfig:
    """Two fixed weeks, always attending, no hazards, no progress review, unless ``changes`` say otherwise."""
    return stay_world(2, **changes)


def admit(config: SimiopConfig, payer: str = "medicare", now: float = START, track: str = "day") -> Enrolment:
    state = track_of(config, track)
    roster = roster_of(config)
    first = state.index_from(now, strictly_after=state.continuous)
    rng = np.random.default_rng(1)
    return Stay(config).plan(
        state, episode(0, payer), 0, roster.by_role["therapist"][0], first, int(now), now, rng, lambda: rng
    )


def test_first_success_is_the_geometric_inverse_cdf() -> None:
    assert first_success(0.0, 0.5) == 0
    assert first_success(0.74, 0.5) == 1  # log(0.26) / log(0.5) = 1.94
    assert first_success(0.3, 0.0) == math.inf
    assert first_success(0.99, 1.0) == 0
    draws = [first_success(u, 0.2) for u in np.random.default_rng(3).random(20_000)]
    assert np.mean(draws) == pytest.approx(0.8 / 0.2, rel=0.05)  # failures before the first success


def test_dropout_is_the_end_of_the_day_completing_the_run_of_absences() -> None:
    assert dropout_day([True, False, False, True, False, False, False], 3) == 6
    assert dropout_day([True, False, False, True], 2) == 2
    assert dropout_day([False, True] * 5, 2) == math.inf
    assert dropout_day([True, True, False], 1) == 2
    assert dropout_day([], 1) == math.inf


@given(st.lists(st.booleans(), max_size=40), st.integers(1, 6))
def test_dropout_day_is_where_a_day_by_day_count_of_absences_reaches_the_run(
    attended: list[bool], run_to_dropout: int
) -> None:
    run = 0
    expected = math.inf
    for index, came in enumerate(attended):
        run = 0 if came else run + 1
        if run >= run_to_dropout:
            expected = index
            break
    assert dropout_day(attended, run_to_dropout) == expected
    # As ``plan`` passes it: a numpy bool array's bytes, one per day.
    assert dropout_day(np.array(attended, dtype=bool).tobytes(), run_to_dropout) == expected
    assert dropout_day(np.array(attended, dtype=bool).tobytes(), 0) == dropout_day(attended, 0)


def test_a_plain_stay_completes_at_the_end_of_the_last_day_before_its_planned_end() -> None:
    stay = admit(world())
    # Days 0-3 and 7-10; day 10's next programme day is 14 = admission + 2 weeks.
    assert (stay.state, stay.ends_at, stay.ends_on, stay.at_start) == (COMPLETED, 10 + END, 10, False)
    assert (stay.started, stay.ended) == (8, 8)
    Stay(world()).settle(stay, horizon=28.0)
    assert (stay.episode.programme_days, stay.episode.programme_days_attended) == (8, 8)


def test_three_absences_in_a_row_end_the_stay_at_the_end_of_the_third_day() -> None:
    """Never attending, the run of absences ends the stay as a no-start (issue 19): no day was attended."""
    stay = admit(world(attendance__propensity={"dist": "fixed", "value": 0.0}))
    assert (stay.state, stay.ends_at, stay.started) == (NO_START, 2 + END, 3)


def test_a_certain_hazard_steps_up_at_the_start_of_the_first_day() -> None:
    stay = admit(
        world(length_of_stay__step_up_weekly_hazard=1.0, length_of_stay__administrative_weekly_hazard=1.0)
    )
    assert (stay.state, stay.ends_at, stay.at_start, stay.started) == (STEP_UP, START, True, 0)
    stay = admit(world(length_of_stay__administrative_weekly_hazard=1.0))
    assert (stay.state, stay.ends_at) == (ADMINISTRATIVE, START)


def test_a_progress_review_can_complete_early_or_extend() -> None:
    review = {
        "interval_weeks": 1,
        "extend_probability": 0.0,
        "extension_weeks": 1,
        "max_extensions": 1,
        "early_completion_probability": 1.0,
    }
    stay = admit(world(length_of_stay__progress_review=review))
    assert (stay.state, stay.ends_at, stay.started) == (COMPLETED, 7 + START, 4)  # the first day >= day 7
    extend = {**review, "extend_probability": 1.0, "early_completion_probability": 0.0}
    stay = admit(world(length_of_stay__progress_review=extend))
    # One extension of a week: the last day before day 21 is day 17.
    assert (stay.state, stay.ends_at, stay.started) == (COMPLETED, 17 + END, 12)


def test_a_denied_payer_review_discharges_or_leaves_the_rest_unbilled() -> None:
    denied = {
        "money__payers__commercial__authorization": {
            "unit": "attended_days",
            "initial_days": 5,
            "days_per_approval": 5,
            "approval_probability": 0.0,
            "on_denial": "administrative_discharge",
        },
        "length_of_stay__planned_stay": {"dist": "fixed", "value": 6},
    }
    config = world(**denied)
    stay = admit(config, payer="commercial")
    # Five attended days (0, 1, 2, 3, 7), then a review at the start of day 8, denied.
    assert (stay.state, stay.ends_at, stay.started) == (ADMINISTRATIVE, 8 + START, 5)
    Stay(config).settle(stay, horizon=56.0)
    assert (stay.episode.authorization_reviews, stay.episode.authorization_denied) == (1, True)
    assert stay.episode.programme_days_attended == 5
    rule = denied["money__payers__commercial__authorization"]
    config = world(
        **{**denied, "money__payers__commercial__authorization": {**rule, "on_denial": "continue_unbilled"}}
    )
    stay = admit(config, payer="commercial")
    assert (stay.state, stay.denied_on) == (
        COMPLETED,
        8,
    )  # treated to the end of the plan, unbilled from day 8


def test_payer_reviews_read_the_review_stream_in_order_past_one_batch_of_draws() -> None:
    """A review a day until one is denied: each review takes the stream's next uniform, whatever the batches.

    ``plan`` draws the review uniforms a few at a time; the k-th review must still see the stream's
    k-th number, so a stay with more reviews than one batch is decided as one draw per review decides it.
    """
    daily = {
        "money__payers__commercial__authorization": {
            "unit": "attended_days",
            "initial_days": 1,
            "days_per_approval": 1,
            "approval_probability": 0.9,
            "on_denial": "continue_unbilled",
        },
        "length_of_stay__planned_stay": {"dist": "fixed", "value": 12},
    }
    config = world(**daily)
    state = track_of(config, "day")
    first = state.index_from(START, strictly_after=False)
    for seed in range(40):
        uniforms = np.random.default_rng(seed).random(60)
        denied = int(np.argmax(uniforms >= 0.9))  # the first review denied (0-based)
        stay = Stay(config).plan(
            state,
            episode(0, "commercial"),
            0,
            roster_of(config).by_role["therapist"][0],
            first,
            0,
            START,
            np.random.default_rng(1),
            functools.partial(np.random.default_rng, seed),
        )
        # Reviews at the start of the stay's days 1, 2, ... (one attended day each), the last one denied.
        assert stay.review_days == list(range(1, denied + 2)), seed
        assert stay.denied_at == denied + 1
        assert stay.denied_on == state.days[first + denied + 1]
    assert any(int(np.argmax(np.random.default_rng(seed).random(60) >= 0.9)) >= 8 for seed in range(40))


def test_a_continuous_stay_ends_at_its_planned_instant() -> None:
    config = world(
        tracks__day__weekdays=["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        tracks__day__admission={"policy": "continuous"},
        length_of_stay__planned_stay={"dist": "fixed", "value": 0.5},
    )
    stay = admit(config, now=0.2)
    # 3.5 days from 0.2: days 0-3 started (09:00) and ended (12:00) before 3.7.
    assert (stay.state, stay.ends_on) == (COMPLETED, 3)
    assert stay.ends_at == pytest.approx(3.7)
    assert (stay.started, stay.ended) == (4, 4)
    Stay(config).settle(stay, horizon=3.6)  # the horizon first: day 3 ended at 3.5, before it
    assert (stay.episode.programme_days, stay.started) == (4, 4)


def test_a_stay_is_drawn_again_the_same_from_the_patients_own_stream() -> None:
    config = world(attendance__propensity={"dist": "beta", "mean": 0.8, "concentration": 4})
    streams = PatientStreams(5, 0)
    key = PatientKey.of_referral("community", 12)
    first = admit_with(config, streams.of(key, Purpose.STAY))
    streams.of(PatientKey.of_referral("community", 13), Purpose.STAY).random(50)  # someone else draws
    again = admit_with(config, streams.of(key, Purpose.STAY))
    assert (first.attended, first.ends_at, first.state) == (again.attended, again.ends_at, again.state)
    other = admit_with(config, streams.of(key.readmitted(), Purpose.STAY))
    assert other.attended != first.attended


def admit_with(config: SimiopConfig, rng: np.random.Generator) -> Enrolment:
    state = track_of(config)
    roster = roster_of(config)
    return Stay(config).plan(
        state, episode(0), 0, roster.by_role["therapist"][0], 0, 0, START, rng, lambda: rng
    )


def _plan_in_days(**changes: str) -> SimiopConfig:
    """The baseline with nothing but the plan ending a stay; ``changes``: more ``path=value`` settings."""
    from simiop.config import load_config
    from tests.conftest import BASELINE

    settings = {
        "length_of_stay.planned_stay_unit": "programme_days",
        "length_of_stay.progress_review": "null",
        "length_of_stay.step_up_weekly_hazard": "0",
        "length_of_stay.administrative_weekly_hazard": "0",
        "attendance.propensity": "{dist: fixed, value: 1.0}",
        "money.payers.commercial.authorization": "null",
        "money.payers.medicaid.authorization": "null",
        "attendance.no_start_probability": "0",  # the calibrated baseline's early disengagement (issue 19)
        "length_of_stay.dropout_hazard": "null",
        "length_of_stay.recertification": "null",
    }
    settings.update({path.replace("__", "."): value for path, value in changes.items()})
    return load_config(BASELINE, [f"{path}={value}" for path, value in settings.items()])


@pytest.mark.parametrize("planned", [1, 10])
def test_a_continuous_stay_counts_the_day_joined_toward_a_plan_in_programme_days(planned: int) -> None:
    """Continuous admission during a programme day: that day is held and counts toward the plan.

    As before the rewrite (found by the issue-17 break review): a plan of N programme days holds N
    days, the day joined included, whether or not the patient joined mid-day.
    """
    from simiop.model import simulate

    config = _plan_in_days(
        tracks__day__admission="{policy: continuous}",
        length_of_stay__planned_stay=f"{{dist: fixed, value: {planned}}}",
        simulation__horizon_days="120",
    )
    completed = [e for e in simulate(config, 1, 0).episodes if e.track == "day" and e.end_state == COMPLETED]
    assert completed
    assert {e.programme_days for e in completed} == {planned}
    # Some joined during a day (they attended one day fewer than they held), some did not.
    assert {e.programme_days - e.programme_days_attended for e in completed} == {0, 1}


def test_a_stay_is_drawn_no_further_than_the_horizon_whatever_its_plan() -> None:
    """A plan far past the run (10^6 weeks) draws attendance only to the first day after the horizon.

    Before, the attendance vector and the track's list of days followed the plan: a 1-year run took
    70 s and 6 GB (issue-17 break review). The stays are censored as they were.
    """
    from simiop.model import simulate

    config = _plan_in_days(
        length_of_stay__planned_stay_unit="weeks",
        length_of_stay__planned_stay="{dist: fixed, value: 1000000}",
        simulation__horizon_days="60",
    )
    admitted = [e for e in simulate(config, 1, 0).episodes if e.admitted_day is not None]
    assert admitted
    assert {e.end_state for e in admitted} == {IN_PROGRAMME}
    state = track_of(config)
    therapist = roster_of(config).by_role["therapist"][0]
    rng = np.random.default_rng(3)
    enrolment = Stay(config, horizon=60.0).plan(
        state, episode(0), 0, therapist, 0, 0, START, rng, lambda: rng
    )
    days_before_the_horizon = sum(1 for start in state.starts if start < 60.0)
    assert len(enrolment.attended) == days_before_the_horizon + 1  # and one day past it
    assert enrolment.ends_at >= 60.0  # never within the run


def test_a_stay_that_no_uniform_can_change_draws_only_its_plan() -> None:
    """No family sessions, no hazards, everyone always comes: the plan is the stream's only draw.

    The same stay as when the three uniforms (family, step-up, administrative) are drawn: they
    decide nothing here, and the stream is the patient's own.
    """
    config = world(
        length_of_stay__planned_stay={"dist": "exponential", "mean": 2.0},
        services__family=None,
        money__payers__commercial__authorization=None,  # no payer review draws either
    )
    rng = np.random.default_rng(5)
    enrolment = admit_with(config, rng)
    fresh = np.random.default_rng(5)
    planned = float(fresh.exponential(2.0))
    assert float(rng.random()) == float(fresh.random())  # nothing else was drawn
    drawn = np.random.default_rng(5)
    stay = Stay(config)
    stay._uniforms_unused = False  # the general path: the three uniforms drawn after the plan
    state = track_of(config)
    general = stay.plan(
        state, episode(0), 0, roster_of(config).by_role["therapist"][0], 0, 0, START, drawn, lambda: drawn
    )
    assert (enrolment.ends_at, enrolment.state, enrolment.attended, enrolment.care.family) == (
        general.ends_at,
        general.state,
        general.attended,
        general.care.family,
    )
    assert 7 * planned - 7 < enrolment.ends_at <= 7 * planned  # the plan's last programme day, its week
    with_family = Stay(world(length_of_stay__planned_stay={"dist": "exponential", "mean": 2.0}))
    assert not with_family._uniforms_unused


def test_everyone_always_attends_only_with_a_fixed_propensity_of_one() -> None:
    assert Stay(world()).always_attends
    assert all(admit(world()).attended)
    assert not Stay(world(attendance__propensity={"dist": "fixed", "value": 0.9})).always_attends
    assert not Stay(
        world(attendance__propensity={"dist": "beta", "mean": 0.99, "concentration": 500})
    ).always_attends


def _fields(enrolment: Enrolment) -> tuple[Any, ...]:
    """Every field of an enrolment but its track (its care plan's too), and the episode's fields the stay writes."""
    import dataclasses

    values = [
        getattr(enrolment, f.name)
        for f in dataclasses.fields(enrolment)
        if f.name not in ("care", "episode", "track")
    ]
    care = enrolment.care
    episode = enrolment.episode
    return (
        *values,
        *(getattr(care, f.name) for f in dataclasses.fields(care)),
        episode.admitted_day,
        episode.therapist,
        episode.group,
    )


def _no_payer_reviews(**changes: Any) -> SimiopConfig:
    """``world`` with no payer's authorization reviews: only the plan can end a stay."""
    return world(
        money__payers__commercial__authorization=None, money__payers__medicaid__authorization=None, **changes
    )


_SEVEN_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


@pytest.mark.parametrize(
    ("changes", "now", "horizon"),
    [
        ({"length_of_stay__planned_stay": {"dist": "exponential", "mean": 2.0}}, START, math.inf),
        ({"length_of_stay__planned_stay": {"dist": "exponential", "mean": 2.0}}, START, 20.0),  # cut
        (
            {
                "length_of_stay__planned_stay": {"dist": "exponential", "mean": 0.5},
                "tracks__day__weekdays": _SEVEN_DAYS,
                "tracks__day__admission": {"policy": "continuous"},
                "services__family": None,
            },
            10.4,  # during a programme day: the day joined is held
            math.inf,
        ),
        (
            {
                "length_of_stay__planned_stay": {"dist": "exponential", "mean": 0.5},
                "tracks__day__weekdays": _SEVEN_DAYS,
                "tracks__day__admission": {"policy": "continuous"},
            },
            3.2,
            6.0,
        ),
        (
            {
                "length_of_stay__planned_stay_unit": "programme_days",
                "length_of_stay__planned_stay": {"dist": "exponential", "mean": 6.0},
            },
            START,
            math.inf,
        ),
    ],
)
def test_the_short_path_of_a_plain_stay_draws_and_ends_it_as_the_long_way(
    changes: dict[str, Any], now: float, horizon: float
) -> None:
    """Only the plan can end these stays (``Stay.plain``): ``plan``'s short path gives the same
    enrolment, episode fields and stream position as its long way, over many patients' draws."""
    config = _no_payer_reviews(**changes)
    short, long = Stay(config, horizon), Stay(config, horizon)
    assert short.plain
    long.plain = False
    therapist = roster_of(config).by_role["therapist"][0]
    for seed in range(40):
        made = []
        for stay in (short, long):
            state = track_of(config)
            first = state.index_from(now, strictly_after=state.continuous)
            rng = np.random.default_rng(seed)
            enrolment = stay.plan(
                state,
                episode(0),
                0,
                therapist,
                first,
                int(now),
                now,
                rng,
                functools.partial(lambda r: r, rng),
            )
            made.append((_fields(enrolment), float(rng.random())))
        assert made[0] == made[1]


def test_a_stay_with_any_rule_besides_its_plan_takes_the_long_way() -> None:
    assert not Stay(world(length_of_stay__step_up_weekly_hazard=0.1)).plain
    assert not Stay(world(attendance__propensity={"dist": "fixed", "value": 0.9})).plain
    assert not Stay(world(length_of_stay__max_stay_days=30)).plain
    assert not Stay(world()).plain  # the commercial payer's authorization reviews
    assert not Stay(world(money__payers__medicaid__authorization=None)).plain  # commercial's still
    assert Stay(_no_payer_reviews()).plain
    assert not Stay(_no_payer_reviews(), no_starts_possible=True).plain
