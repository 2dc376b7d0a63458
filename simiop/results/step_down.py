"""How soon step-down referrals start, measured as the one published figure is.

The figure (a vendor analysis of its client hospitals: among step-downs
admitted to PHP/IOP within 10 days of inpatient discharge, 47.7% started the
next day or with one day between, 82.1% within 4 days after that) counts
calendar days, not elapsed time. So a step-down's gap here is the number of
midnights between referral and admission, floor(admitted day) - floor(referred
day), the referral being taken as the inpatient discharge; the shares are
among step-down referrals (source kind ``step_down``, readmissions after a
step-up included) admitted with a gap of at most 10.
"""

from __future__ import annotations

import numpy as np

from simiop.results.columns import Columns

WITHIN_DAYS = 10
"""Only step-downs admitted within this many calendar days of referral count in the shares."""


def step_down_kpis(episodes: Columns, counted: np.ndarray) -> dict[str, float]:
    """warm_handoffs, the shares of step-downs starting within 2 and 5 calendar days, and the median gap.

    ``counted``: the episodes referred on or after the warm-up.
    """
    admitted_day = episodes.array("admitted_day")
    step_down = np.array([kind == "step_down" for kind in episodes.values("source_kind")], dtype=bool)
    admitted = counted & step_down & ~np.isnan(admitted_day)
    gap = np.floor(admitted_day[admitted]) - np.floor(episodes.array("referred_day")[admitted])
    near = gap[gap <= WITHIN_DAYS]
    nan = float("nan")
    return {
        "warm_handoffs": int(np.count_nonzero(episodes.array("warm_handoff", "bool")[counted])),
        "step_down_start_within_2_days_share": float(np.mean(near <= 2)) if near.size else nan,
        "step_down_start_within_5_days_share": float(np.mean(near <= 5)) if near.size else nan,
        "step_down_days_to_start_median": float(np.median(gap)) if gap.size else nan,
    }
