"""What values a KPI or projection metric can take, known from its name: counts, shares, money, amounts.

Why: the intervals of ``simiop.results.stats`` are symmetric t intervals, so a
count near 0 or a share near 1 gets a bound no replication could give
("serve 0 people (95% CI -6 to 7)", "attendance 89.7% (79.2% to 100.1%)").
Knowing each name's possible values lets the summaries clip those bounds
and say so (``clipped``).

The kind comes from the name, by the first rule that matches (``RULES``), so
a KPI added later with a name in the house style (``*_usd``, ``*_share``,
``*_days_mean``, ...) is known without being listed. A name no rule matches
is ``unknown`` and never clipped: a wrong limit would hide a real value,
while a missing one only leaves an impossible bound, which a test catches
for every KPI and period metric of the example clinic.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Final, Literal

from simiop.results.stats import Summary, clip

Kind = Literal["count", "share", "money", "amount", "signed", "unknown"]
"""count: whole events or days (>= 0); share: a part of a whole (0 to 1); money: an amount in USD
(>= 0); amount: a duration, a size or a mean of those (>= 0); signed: may be negative (a net
surplus or deficit, a difference); unknown: no rule matched (not clipped)."""

COUNT: Final[Kind] = "count"
SHARE: Final[Kind] = "share"
MONEY: Final[Kind] = "money"
AMOUNT: Final[Kind] = "amount"
SIGNED: Final[Kind] = "signed"
UNKNOWN: Final[Kind] = "unknown"

_COUNTS = (
    "referrals",
    "readmission_referrals",
    "assessments",
    "admissions",
    "completions",
    "dropouts",
    "step_ups",
    "administrative_discharges",
    "unduplicated_patients_served",
    "censored",
    "end_state_",
    "no_starts",
    "warm_handoffs",
    "recertifications",
    "max_stay_discharges",
    "group_days_",
    "group_sessions_",
    "group_size_largest",
    "authorization_",
    "attended_days",
    "billable_days",
    "unbilled_days_",
    "care_missed_",
    "sessions_delivered",
    "patient_weeks",
    "simulated_events",
)
"""Names, or name prefixes, of counts."""

RULES: Final[tuple[tuple[re.Pattern[str], Kind], ...]] = (
    # The families whose names end in a track's name first: the user names the track, so a name such as
    # census_mean_job_share must not be read as a share (nor census_mean_change as signed).
    (re.compile(r"^(census_mean_|wait_list_mean_)"), AMOUNT),
    (re.compile(r"^(occupancy_|individual_therapy_weekly_coverage_)"), SHARE),
    (re.compile(r"^group_days_cancelled_"), COUNT),
    (re.compile(r"^net_|surplus|deficit|balance|difference|change"), SIGNED),
    (re.compile(r"_usd(_|$)"), MONEY),  # before shares: patient_share_usd is money
    # Staff measures before shares: direct hours over contracted hours may exceed 1 with overtime.
    (re.compile(r"^staff_|(^|_)(hours|fte)(_|$)"), AMOUNT),
    (re.compile(r"(^|_)share(_|$)|^occupancy_|^attendance_rate$|_coverage(_|$)"), SHARE),
    (
        re.compile(
            r"^(wait_|intake_days_|length_of_stay_|step_down_days_|census_|caseload_|group_size_mean)"
        ),
        AMOUNT,
    ),
    (re.compile("^(" + "|".join(re.escape(name) for name in _COUNTS) + ")"), COUNT),
)
"""(pattern searched in the name, kind): the first that matches names the kind."""

LIMITS: Final[dict[Kind, tuple[float, float]]] = {
    COUNT: (0.0, math.inf),
    SHARE: (0.0, 1.0),
    MONEY: (0.0, math.inf),
    AMOUNT: (0.0, math.inf),
    SIGNED: (-math.inf, math.inf),
    UNKNOWN: (-math.inf, math.inf),
}
"""Each kind's possible values, (lowest, highest)."""


@lru_cache(maxsize=4096)
def kind_of(name: str) -> Kind:
    """The kind of the KPI or period metric ``name`` (``unknown`` when no rule matches)."""
    return next((kind for pattern, kind in RULES if pattern.search(name)), UNKNOWN)


def possible(name: str) -> tuple[float, float]:
    """(lowest, highest) value ``name`` can take."""
    return LIMITS[kind_of(name)]


UNMET = "the target cannot be met"
"""What ``unreachable_bound``'s reason ends with."""


def unreachable_bound(
    name: str, at_most: float | None, at_least: float | None
) -> tuple[str, str, float, str] | None:
    """Why a target's bound on ``name`` can never be met, as (field, reason, value, allowed) for a config
    error (``rule_error``), or None: at most a value below every value the KPI can take (a count at most
    -1) or at least one above them (a share at least 1.2). A bound at the limit (a count at most 0) is
    met; an unknown name is never refused here."""
    low, high = possible(name)
    if at_most is not None and at_most < low:
        return "at_most", f"{name} is never below {low:g}, so {UNMET}", at_most, f">= {low:g}"
    if at_least is not None and at_least > high:
        return "at_least", f"{name} is never above {high:g}, so {UNMET}", at_least, f"<= {high:g}"
    return None


def clip_to_possible(name: str, summary: Summary) -> Summary:
    """``summary`` of ``name`` with its interval bounds clipped to the values ``name`` can take."""
    low, high = possible(name)
    return clip(summary, low, high)
