"""The stay's scalar shortcuts (stay.py) give numpy's numbers, and the shared ``care.NO_CARE`` cannot be
changed by accident."""

from __future__ import annotations

import bisect
import copy
import itertools
import math
import pickle

import numpy as np
import pytest

from simiop.model.care import NO_CARE, CarePlan
from simiop.model.stay import (
    _whole,
    first_success_by_week,
    first_success_of_logs,
    steepest_weeks,
    weekly_to_daily,
)


def _numpy_way(u: float, logs: np.ndarray, days: list[int], start: int, stop: int, admitted_on: int) -> float:
    """The dropout hazard's day as ``Stay`` found it before the scalar loop: weeks as an array, each
    day's log by fancy index (a negative week from the end), then ``first_success_of_logs``."""
    weeks = (np.array(days[start:stop], dtype=np.int64) - admitted_on) // 7
    return first_success_of_logs(u, logs[np.minimum(weeks, len(logs) - 1)])


@pytest.mark.parametrize(
    "weekly",
    [[0.06, 0.04, 0.02, 0.01], [0.5], [0.0, 1.0, 0.2], [0.3, 0.0], [0.9, 0.9, 0.5], [0.0]],
)
@pytest.mark.parametrize("days_per_week", [3, 5, 7])
def test_first_success_by_week_is_numpys(weekly: list[float], days_per_week: int) -> None:
    """The same day (or NEVER) as the numpy way for random stays: holidays in the calendar, admissions
    before, on and after the first day (a negative week), empty stays, a probability of 1 (-inf), and
    uniforms near 1 (the hazard fires early) as well as uniform ones (the shortcut rules most out)."""
    with np.errstate(divide="ignore"):
        logs = np.log1p(-np.array([weekly_to_daily(p, days_per_week) for p in weekly]))
    as_list = logs.tolist()
    steep = steepest_weeks(as_list)
    days = [d for d in range(2000) if d % 7 < days_per_week and d % 13 != 5]
    rng = np.random.default_rng(17)
    fired = never = 0
    for i in range(1500):
        u = float(rng.random()) if i % 3 else min(1.0 - float(rng.random()) ** 8, 0.999999999)
        start = int(rng.integers(0, 300))
        stop = start + int(rng.integers(0, 120))
        admitted_on = days[start] - int(rng.integers(-3, 6))
        expected = _numpy_way(u, logs, days, start, stop, admitted_on)
        assert first_success_by_week(u, as_list, days, start, stop, admitted_on) == expected
        assert first_success_by_week(u, as_list, days, start, stop, admitted_on, steep) == expected
        fired += expected != math.inf
        never += expected == math.inf
    if any(weekly):  # both answers were exercised
        assert fired > 0
        assert never > 0


def test_the_steepest_weeks_are_those_below_the_last_most_negative_first() -> None:
    """The bound's weeks: only those whose log is below the last week's (later weeks all take the last),
    in ascending order; -inf (a probability of 1) first."""
    assert steepest_weeks([-0.01, -0.03, -0.002, -0.005]) == [-0.03, -0.01]
    assert steepest_weeks([-0.001, -0.5]) == []
    assert steepest_weeks([-math.inf, 0.0, -0.2]) == [-math.inf]
    assert steepest_weeks([-0.3]) == []


def test_the_seven_a_week_bound_and_the_exact_sum_agree_on_who_never_fires() -> None:
    """Five days a week for four weeks at week logs -0.1, -0.05, then -0.01: the sum is -0.85 (survival
    0.427: it fires iff u < 0.573); the bound, 7 days at -0.1 and 7 at -0.05 then 6 at -0.01, is -1.11
    (0.330: it rules out u > 0.670 alone). Below the bound's reach the exact sum decides; the day found is
    the same whether or not the steepest weeks are given."""
    logs = [-0.1, -0.05, -0.01]
    days = [d for d in range(28) if d % 7 < 5]
    for u, fires in ((0.2, True), (0.57, True), (0.58, False), (0.66, False), (0.68, False), (0.99, False)):
        found = first_success_by_week(u, logs, days, 0, len(days), 0, steepest_weeks(logs))
        assert (found != math.inf) == fires
        assert found == first_success_by_week(u, logs, days, 0, len(days), 0)
    assert first_success_by_week(0.2, logs, days, 0, len(days), 0) == 2  # -0.3 < log(0.8) = -0.223


def test_no_care_cannot_be_changed() -> None:
    """Every stay of a run without care shares NO_CARE: setting or deleting a field raises and leaves it
    as it was (nothing ever due)."""
    for name, value in (("next_due", 3.0), ("family", True), ("individual_this_week", 1)):
        with pytest.raises(AttributeError, match="NO_CARE"):
            setattr(NO_CARE, name, value)
    with pytest.raises(AttributeError, match="NO_CARE"):
        del NO_CARE.next_family_day
    assert isinstance(NO_CARE, CarePlan)
    assert not NO_CARE.family
    assert not NO_CARE.prescriber_seen
    assert NO_CARE.next_due == NO_CARE.next_family_day == NO_CARE.next_prescriber_day == math.inf
    assert (NO_CARE.individual_week, NO_CARE.individual_this_week) == (-1, 0)


def test_no_care_stays_itself_when_copied_or_pickled() -> None:
    """A copy or a pickled round trip (e.g. records sent between processes) is NO_CARE itself, still
    shared and still read-only; an ordinary plan stays writable."""
    assert copy.copy(NO_CARE) is NO_CARE
    assert copy.deepcopy(NO_CARE) is NO_CARE
    assert pickle.loads(pickle.dumps(NO_CARE)) is NO_CARE
    plan = CarePlan(False, 1.0, 2.0)
    plan.next_due = 5.0
    assert pickle.loads(pickle.dumps(plan)).next_due == 5.0


def test_a_whole_key_finds_what_the_fractional_one_finds_in_a_list_of_whole_days() -> None:
    """``stay._whole``: bisect_left over whole days (with holidays skipped) and attended-day counts gives
    the same index for ceil(x) as for x, for fractional, whole and negative x and any bounds."""
    rng = np.random.default_rng(4)
    days = [d for d in range(-20, 900) if d % 7 < 5 and d % 11 != 3]
    counts = list(itertools.accumulate((rng.random(300) < 0.8).tolist(), initial=0))
    for values in (days, counts):
        for _ in range(3000):
            x = float(rng.uniform(-30.0, values[-1] + 30.0))
            if rng.random() < 0.3:
                x = float(round(x))
            low = int(rng.integers(0, len(values)))
            high = int(rng.integers(low, len(values) + 1))
            assert bisect.bisect_left(values, _whole(x), low, high) == bisect.bisect_left(
                values, x, low, high
            )
