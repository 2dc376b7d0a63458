"""simiop.calibrate fits values in the form the simulator applies them: plans cut to programme days and
stopped at recertification, no-starts made from early dropouts (known answers)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from simiop.calibrate.adjust import before_start, split_no_starts
from simiop.calibrate.extract import Extract
from simiop.calibrate.pipeline import plan_rules
from simiop.calibrate.stay import fit_stay, plans, stays
from simiop.config import load_config
from tests.conftest import BASELINE
from tests.test_calibrate_fits import OPENING, day, episode

DAY_TRACK = (0, 1, 2, 3)  # the baseline's day track: mon-thu


def test_a_completion_is_interval_censored_and_a_recertified_plan_right_censored() -> None:
    rules = plan_rules(load_config(BASELINE))
    assert OPENING.weekday() == 0
    extract = Extract(
        "t",
        (
            # completed on a Thursday: the plan ended after day 3 and by the next Monday (day 7)
            episode(0, day(0), admitted=day(0), discharged=day(3), discharge_type="completed", track="day"),
            # a Medicare plan completed on day 70: past the first recertification (60 days), censored there
            episode(
                1,
                day(0),
                admitted=day(0),
                discharged=day(70),
                discharge_type="completed",
                track="day",
                payer="medicare",
            ),
            episode(2, day(0), admitted=day(0), discharged=day(9), discharge_type="dropout", track="day"),
        ),
        day(100),
    )
    plan = plans(extract, stays(extract), rules)
    assert list(plan.low) == pytest.approx([3 / 7, 60 / 7, 9 / 7])
    assert plan.high[0] == pytest.approx(1.0)
    assert math.isinf(plan.high[1])
    assert math.isinf(plan.high[2])


def _programme_plans(seed: int, n: int) -> Extract:
    """Plans gamma(mean 8 weeks, sd 2) ended as the simulator ends them: on the last mon-thu programme day
    before admission + 7 x plan."""
    rng = np.random.default_rng(seed)
    episodes = []
    for index in range(n):
        admitted = int(rng.integers(0, 52)) * 7 + int(rng.integers(0, 4))  # a programme day
        end = admitted + rng.gamma(16.0, 0.5) * 7
        last = math.ceil(end) - 1
        while last % 7 not in DAY_TRACK or last >= end:
            last -= 1
        episodes.append(
            episode(
                index,
                day(admitted),
                admitted=day(admitted),
                discharged=day(last),
                discharge_type="completed",
                track="day",
                payer="commercial",
            )
        )
    return Extract("t", tuple(episodes), day(52 * 7 + 200))


def test_planned_stay_in_the_simulator_form_is_recovered_where_exact_times_are_biased() -> None:
    extract = _programme_plans(seed=3, n=500)
    rules = dataclasses.replace(plan_rules(load_config(BASELINE)), reviews=None)  # plans without reviews
    only = {"length_of_stay.planned_stay": "gamma", "length_of_stay.dropout_hazard": "1_pieces"}
    part, _ = fit_stay(extract, only, rules)
    naive, _ = fit_stay(extract, only)
    mean = next(e for e in part.estimates if e.path == "length_of_stay.planned_stay.mean")
    exact = next(e for e in naive.estimates if e.path == "length_of_stay.planned_stay.mean")
    assert mean.low < 8.0 < mean.high
    assert exact.high < 8.0  # completions cut to a programme day: exact times are short by ~1.5 days


def test_split_no_starts_known_answer() -> None:
    p0, hazard = split_no_starts(0.08, 1000, 0.04, 500.0, lambda h: (0.02, 0.01))
    expected_p0 = (0.08 - 0.03) / 0.97
    assert p0 == pytest.approx(expected_p0)
    added = 1000 * (1 - expected_p0) * 0.02
    assert hazard == pytest.approx(1 - 0.96 * math.exp(-added / 500.0))


def test_before_start_with_full_attendance_is_the_first_days_hazard() -> None:
    q_hazard, q_absences = before_start(0.99999, 1e6, 3, 5.0, 0.2)
    assert q_absences == 0.0
    assert q_hazard == pytest.approx(1 - 0.8 ** (1 / 5), rel=1e-3)  # everyone attends day 0
    q_low, q_runs = before_start(0.5, 2.0, 3, 5.0, 0.2)
    assert q_runs > 0.05  # low attendance: runs of 3 absences before a first attended day
    assert q_low > q_hazard  # and more days before the first attended one
