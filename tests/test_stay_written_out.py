"""``Stay.plan``'s written-out rules give the numbers of the functions they replace (stay.py).

``plan`` works out the step-up and administrative hazards from a divisor read once a run
(``_log_of_survival``), rules most stays out of the dropout hazard with a bound kept per number of days
(``_lowest_sum``) before calling ``first_success_by_week``, looks for the run of absences in the drawn
bytes itself and keeps the track's numbers once a run (``_track_numbers``): each is checked here against
the plain function on random inputs, with the edge cases (probabilities of 0 and 1, -inf logs, empty runs).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

from simiop.config import SimiopConfig, load_config
from simiop.model.patients import PatientKey, PatientStreams, Purpose
from simiop.model.records import COMPLETED
from simiop.model.stay import (
    _MAX_BOUNDED_DAYS,
    _SUM_SLACK,
    NEVER,
    Enrolment,
    Stay,
    _log_of_survival,
    _lowest_sum,
    dropout_day,
    first_success,
    first_success_by_week,
    steepest_weeks,
    weekly_to_daily,
)
from tests.tiny_world import episode, roster_of, stay_world, track_of

START = 9 / 24


def _written_out(u: float, p: float) -> float:
    """``plan``'s hazard day: the divisor read once, ``first_success`` only for a p outside (0, 1)."""
    log = _log_of_survival(p)
    return math.floor(math.log1p(-u) / log) if log else first_success(u, p)


@pytest.mark.parametrize("p", [0.0, -0.1, 1e-300, 0.0007, 0.02, 0.5, 0.999, 1.0, 1.5])
def test_the_hazard_day_from_a_divisor_read_once_is_first_success(p: float) -> None:
    """The same day (an int, or NEVER) for 2,000 uniforms, 0 and the largest below 1 among them."""
    uniforms = [0.0, math.nextafter(1.0, 0.0), *np.random.default_rng(5).random(2000).tolist()]
    for u in uniforms:
        expected = first_success(u, p)
        got = _written_out(u, p)
        assert got == expected
        assert type(got) is type(expected)


def _per_day_bound(count: int, steep: list[float], last_log: float) -> float:
    """The bound by its definition, day by day: the first ``count`` days' logs when each ``steep`` week
    has its 7 days and every day after has ``last_log`` (summed exactly: ``_lowest_sum`` multiplies)."""
    per_day = [log for log in steep for _ in range(7)] + [last_log] * count
    return math.fsum(per_day[:count])


@pytest.mark.parametrize(
    "weekly", [[0.06, 0.04, 0.02, 0.01], [0.5], [0.0, 1.0, 0.2], [0.3, 0.0], [0.9, 0.9, 0.5], [0.0]]
)
def test_the_bound_kept_per_day_count_rules_out_only_stays_that_never_fire(weekly: list[float]) -> None:
    """``_lowest_sum`` is the bound its definition gives day by day (within rounding, -inf included), a stay ``plan`` rules out
    with it (no call) is one ``first_success_by_week`` finds never fires, and handed to
    ``first_success_by_week`` it gives the day the function finds alone."""
    days_per_week = 4
    with np.errstate(divide="ignore"):
        logs = np.log1p(-np.array([weekly_to_daily(p, days_per_week) for p in weekly])).tolist()
    steep = steepest_weeks(logs)
    days = [d for d in range(3000) if d % 7 < days_per_week and d % 11 != 3]
    rng = np.random.default_rng(23)
    ruled_out = 0
    for count in range(0, 150):
        lowest = _lowest_sum(count, steep, logs[-1])
        by_day = _per_day_bound(count, steep, logs[-1])
        assert (
            lowest == pytest.approx(by_day, rel=1e-12, abs=1e-12)
            or (math.isinf(lowest) and lowest == by_day)
            or (count == 0 and math.isnan(lowest))  # 0 days x a certain week's -inf: never used (count > 0)
        )
        for _ in range(10):
            u = float(rng.random())
            start = int(rng.integers(0, 400))
            admitted_on = days[start] - int(rng.integers(0, 4))
            expected = first_success_by_week(u, logs, days, start, start + count, admitted_on, steep)
            # The bound handed in (as ``plan`` does) decides as the bound worked out inside.
            assert (
                first_success_by_week(u, logs, days, start, start + count, admitted_on, steep, lowest)
                == expected
            )
            if (
                count > 0
                and days[start] >= admitted_on
                and count <= _MAX_BOUNDED_DAYS
                and lowest > math.log1p(-u) + _SUM_SLACK * abs(lowest)
            ):
                ruled_out += 1
                assert expected == NEVER
    if weekly != [0.0, 1.0, 0.2]:  # a certain week fires every stay that reaches it: none ruled out
        assert ruled_out > 0


@pytest.mark.parametrize("run", [1, 2, 3, 5])
def test_the_run_of_absences_found_in_the_drawn_bytes_is_dropout_day(run: int) -> None:
    """``plan``'s key of the dropout (the end of the day completing the run) from ``bytes.find`` is
    ``dropout_day``'s, for random attendance of 0-60 days at several propensities."""
    rng = np.random.default_rng(run)
    absences = bytes(run)
    for i in range(3000):
        drawn = (rng.random(int(rng.integers(0, 61))) < (0.3, 0.7, 0.95)[i % 3]).tobytes()
        found = drawn.find(absences)
        key = NEVER if found < 0 else 2 * (found + run - 1) + 1
        assert key == 2 * dropout_day(drawn, run) + 1


def test_the_tracks_numbers_are_read_from_the_rules_once() -> None:
    """The hazards kept per track and acuity are ``_daily_hazards`` with their divisors, the horizon's
    day is ``_beyond_of``'s, an extension in programme days is the review's weeks on the track's week,
    and a second admission reads the same numbers (no new ones)."""
    config = load_config("configs/baseline.yaml", ["simulation.horizon_days=200"])
    stay = Stay(config, horizon=200.0)
    track = track_of(config, "day")
    numbers = stay._track_numbers(track)
    assert stay._by_track[track.name] is numbers
    assert numbers.beyond == stay._beyond_of(track) == track.index_from(200.0, strictly_after=False)
    review = config.length_of_stay.progress_review
    assert review is not None
    assert numbers.extension_programme_days == math.ceil(review.extension_weeks * track.days_per_week)
    assert numbers.hazards is not None
    for acuity in config.referrals.acuity_classes:
        hazards = numbers.hazards[acuity]
        assert hazards is not None
        p_step_up, p_administrative = stay._daily_hazards(track.days_per_week, acuity)
        assert hazards == (p_step_up, p_administrative, math.log1p(-p_step_up), math.log1p(-p_administrative))
    assert numbers.dropout_logs == stay._dropout_logs(track.days_per_week)
    assert numbers.dropout_logs is not None
    assert numbers.dropout_logs[1] == steepest_weeks(numbers.dropout_logs[0])
    no_hazards = load_config(
        "configs/baseline.yaml",
        ["length_of_stay.step_up_weekly_hazard=0", "length_of_stay.administrative_weekly_hazard=0"],
    )
    assert Stay(no_hazards)._track_numbers(track_of(no_hazards, "day")).hazards is None


def test_with_no_hazard_a_patients_acuity_is_not_looked_up() -> None:
    """As before the numbers were kept per track: with neither hazard on, an acuity that is no class of
    the config decides nothing (the stay is drawn); with a hazard on, it is an error, as it was."""
    config = stay_world(2)
    patient = episode(0, "medicare")
    patient.acuity = "no_such_class"
    state = track_of(config, "day")
    first = state.index_from(START, strictly_after=False)
    therapist = roster_of(config).by_role["therapist"][0]
    rng = np.random.default_rng(1)
    stay = Stay(config).plan(state, patient, 0, therapist, first, 0, START, rng, lambda: rng)
    assert stay.state == COMPLETED
    hazard = stay_world(2, length_of_stay__step_up_weekly_hazard=0.1)
    with pytest.raises(KeyError):
        Stay(hazard).plan(track_of(hazard, "day"), patient, 0, therapist, first, 0, START, rng, lambda: rng)


_WEEKLY_REVIEW = {
    "interval_weeks": 1,
    "extend_probability": 0.0,
    "extension_weeks": 1,
    "max_extensions": 0,
    "early_completion_probability": 0.0,
}
_WEEKLY_PAYER = {
    "money__payers__commercial__authorization": {
        "unit": "calendar_days",
        "initial_days": 7,
        "days_per_approval": 7,
        "approval_probability": 0.5,
        "on_denial": "continue_unbilled",
    }
}


def _admit_reviewed(config: SimiopConfig, payer: str, review_seed: int) -> Enrolment:
    """Admit at the start of day 0 (the tiny world's day track: days 0-3, 7-10, ...); the stay, review and
    recertification streams are separate generators, the review stream's from ``review_seed``."""
    state = track_of(config, "day")
    first = state.index_from(START, strictly_after=False)
    return Stay(config).plan(
        state,
        episode(0, payer),
        0,
        roster_of(config).by_role["therapist"][0],
        first,
        0,
        START,
        np.random.default_rng(1),
        functools.partial(np.random.default_rng, review_seed),
        recert_stream=lambda: np.random.default_rng(2),
    )


def test_on_a_shared_day_the_progress_review_draws_before_the_payer_review() -> None:
    """Weekly progress reviews (which decide nothing) and weekly payer reviews fall on the same days (stay
    days 4, 8, 12 of a 4-week plan): each day the progress review takes the review stream's next uniform
    first, so the k-th payer review reads uniform 2k + 1, until one is denied; progress reviews go on."""
    config = stay_world(4, length_of_stay__progress_review=_WEEKLY_REVIEW, **_WEEKLY_PAYER)
    seen = set()
    for seed in range(30):
        uniforms = np.random.default_rng(seed).random(8).tolist()
        expected: list[int] = []
        denied = None
        for k, index in enumerate((4, 8, 12)):
            expected.append(index)
            if uniforms[2 * k + 1] >= 0.5:
                denied = index
                break
        stay = _admit_reviewed(config, "commercial", seed)
        assert (stay.review_days, stay.denied_at, stay.state) == (expected, denied, COMPLETED), seed
        seen.add(denied)
    assert {None, 4, 8, 12} <= seen  # every outcome exercised


@pytest.mark.parametrize("early", [0.0, 1.0])
def test_on_a_shared_day_a_recertification_comes_after_the_progress_review_and_before_the_payer(
    early: float,
) -> None:
    """A recertification not granted on the day of a progress and a payer review (stay day 4): the
    progress review first (an early completion ends the stay there, with no recertification held),
    else the recertification ends it at that day's start, before the payer review is held."""
    config = stay_world(
        4,
        length_of_stay__progress_review={**_WEEKLY_REVIEW, "early_completion_probability": early},
        length_of_stay__recertification={"continue_probability": 0.0, "first_after_days": 7},
        **_WEEKLY_PAYER,
    )
    stay = _admit_reviewed(config, "commercial", 3)
    assert (stay.ends_at, stay.at_start, stay.review_days) == (7 + START, True, [])
    if early:
        assert (stay.state, stay.recert_days, stay.recert_stopped) == (COMPLETED, (), False)
    else:
        assert (stay.recert_days, stay.recert_stopped) == ((4,), True)


def test_payer_reviews_after_a_recertification_read_the_review_streams_next_numbers() -> None:
    """The recertification uniforms are drawn when the stay reaches its first date; the review stream,
    sharing the patients' one generator (``PatientStreams``), is asked for again after it and moved past
    what it gave. A payer review a day (one attended day each, always attending) until one is denied, with
    recertifications held every week from day 7 between them: the k-th review still reads the review
    stream's k-th number, also when the reviews take a second batch of draws after a recertification."""
    config = stay_world(
        6,
        length_of_stay__recertification={
            "continue_probability": 1.0,
            "first_after_days": 7,
            "interval_days": 7,
        },
        money__payers__commercial__authorization={
            "unit": "attended_days",
            "initial_days": 1,
            "days_per_approval": 1,
            "approval_probability": 0.9,
            "on_denial": "continue_unbilled",
        },
    )
    state = track_of(config, "day")
    first = state.index_from(START, strictly_after=False)
    therapist = roster_of(config).by_role["therapist"][0]
    shared = PatientStreams(7, 0)
    late = 0
    for referral in range(60):
        key = PatientKey(11, referral)
        uniforms = PatientStreams(7, 0).of(key, Purpose.REVIEWS).random(40)
        denials = np.flatnonzero(uniforms >= 0.9)
        denied = 1 + int(denials[0]) if denials.size else 41  # reviews at the starts of stay days 1, 2, ...
        stay = Stay(config).plan(
            state,
            episode(referral, "commercial"),
            0,
            therapist,
            first,
            0,
            START,
            PatientStreams(7, 0).of(key, Purpose.STAY),
            functools.partial(shared.of, key, Purpose.REVIEWS),
            recert_stream=functools.partial(shared.of, key, Purpose.RECERT),
        )
        assert stay.recert_days[0] == 4  # the first recertification (day 7) came before review 5
        if stay.denied_at is None:  # the stay ended before the review that would deny
            assert stay.review_days == list(range(1, len(stay.review_days) + 1)), referral
            assert len(stay.review_days) < denied, referral
            continue
        assert (stay.review_days, stay.denied_at) == (list(range(1, denied + 1)), denied), referral
        late += denied > 8  # a second batch of review draws, after a recertification
    assert late > 5
