"""The step-down start KPIs and warm_handoffs (results/step_down.py) on hand-built episodes."""

from __future__ import annotations

import math

import numpy as np

from simiop.model.records import Episode
from simiop.results.columns import Columns
from simiop.results.step_down import step_down_kpis


def _episode(number: int, kind: str, referred: float, admitted: float | None, warm: bool = False) -> Episode:
    return Episode(
        episode_id=number,
        patient_id=number,
        source=kind,
        source_kind=kind,
        track_preference="day",
        payer="commercial",
        acuity="standard",
        referred_day=referred,
        admitted_day=admitted,
        warm_handoff=warm,
    )


def test_shares_count_calendar_days_among_step_downs_admitted_within_ten_days() -> None:
    episodes = [
        _episode(0, "step_down", 1.9, 2.4, warm=True),  # gap 1 calendar day (0.5 elapsed)
        _episode(1, "step_down", 1.1, 3.9),  # gap 2 (2.8 elapsed): still "within 2 days"
        _episode(2, "step_down", 1.9, 4.1),  # gap 3 (2.2 elapsed): not within 2
        _episode(3, "step_down", 0.5, 5.4, warm=True),  # gap 5
        _episode(4, "step_down", 0.5, 6.4),  # gap 6
        _episode(5, "step_down", 0.5, 10.4),  # gap 10: counts, beyond 5
        _episode(6, "step_down", 0.5, 11.4),  # gap 11: left out of the shares, in the median
        _episode(7, "step_down", 0.5, None, warm=True),  # never admitted
        _episode(8, "community", 0.5, 1.4),  # not a step-down
    ]
    kpis = step_down_kpis(Columns(Episode, episodes), np.ones(len(episodes), dtype=bool))
    assert kpis["warm_handoffs"] == 3
    assert kpis["step_down_start_within_2_days_share"] == 2 / 6
    assert kpis["step_down_start_within_5_days_share"] == 4 / 6
    assert kpis["step_down_days_to_start_median"] == 5.0  # of 1, 2, 3, 5, 6, 10, 11


def test_referrals_before_the_warm_up_are_left_out_and_no_step_down_gives_nan() -> None:
    episodes = [_episode(0, "step_down", 0.5, 1.4, warm=True), _episode(1, "community", 8.5, 9.4)]
    kpis = step_down_kpis(Columns(Episode, episodes), np.array([False, True]))
    assert kpis["warm_handoffs"] == 0
    assert math.isnan(kpis["step_down_start_within_2_days_share"])
    assert math.isnan(kpis["step_down_start_within_5_days_share"])
    assert math.isnan(kpis["step_down_days_to_start_median"])
