"""Durations as people write them on a command line or in an experiment file: 90d, 26w, 18m, 3y."""

from __future__ import annotations

import math
import re

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([dwmy]?)\s*$")
_DAYS_PER_UNIT = {"": 1.0, "d": 1.0, "w": 7.0, "m": 365.0 / 12.0, "y": 365.0}
DURATION_EXAMPLES = "e.g. 90d, 26w, 18m, 3y or a number of days"


def duration_days(text: str) -> float:
    """'1095', '90d', '26w', '18m' or '3y' in days (a year is 365 days, a month a twelfth of that).

    ValueError when the text is not such a duration.
    """
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration (allowed {DURATION_EXAMPLES})")
    return float(match.group(1)) * _DAYS_PER_UNIT[match.group(2)]


WHOLE_DAY_TOLERANCE = 1e-9
"""How far above a whole number a horizon may be and still count as that number (float arithmetic)."""


def whole_days(days: float) -> int:
    """A horizon in whole days: a fraction of a day is rounded up (7m = 212.9 days -> 213, 0.5 -> 1).

    The model records one row per day and per role and day, costs accrue per
    whole day, and periods are whole days, so a run covers whole days only:
    rounding up keeps at least the time asked for, and never gives zero days.
    """
    return max(1, math.ceil(days - WHOLE_DAY_TOLERANCE))


def warmup_whole_days(days: float) -> int:
    """A warm-up in whole days: a fraction of a day is rounded up (10.5 -> 11), 0 stays 0.

    The same rule as the horizon's (whole_days): KPIs count flows from a time
    and costs, census and staff from a day, so a part day of warm-up would
    split them (flows from 300.5, costs from day 301). Rounding up discards
    at least the time asked for.
    """
    return max(0, math.ceil(days - WHOLE_DAY_TOLERANCE))
