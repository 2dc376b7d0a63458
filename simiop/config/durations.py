"""Durations as people write them on a command line or in an experiment file: 90d, 26w, 18m, 3y."""

from __future__ import annotations

import datetime as dt
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


def add_months(date: dt.date, months: int) -> dt.date:
    """The 1st of the month ``months`` after ``date``'s month (periods and fiscal years start on a 1st)."""
    index = date.year * 12 + date.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def add_years(date: dt.date, years: int) -> dt.date:
    """The same day ``years`` calendar years on; 29 February becomes 1 March in a year without one."""
    try:
        return date.replace(year=date.year + years)
    except ValueError:  # 29 February in a year without one
        return dt.date(date.year + years, 3, 1)


def fiscal_start(date: dt.date, start_month: int) -> dt.date:
    """The first day of the fiscal year (starting in ``start_month``) that holds ``date``."""
    year = date.year if date.month >= start_month else date.year - 1
    return dt.date(year, start_month, 1)


def calendar_duration_days(text: str, opening: dt.date) -> float:
    """A duration in days from ``opening``, with years as calendar years: '3y' from 2027-01-04 is 1,096 days.

    Whole years are counted on the calendar (to the same date, so a leap day inside adds one day, as
    funders' year-one to year-three do); a fraction of a year is that share of 365 days (1.5y from
    2027-01-04: 365 + 182.5). Other units are as ``duration_days`` reads them (a month is a twelfth of
    365 days). ValueError when the text is not a duration.
    """
    days = duration_days(text)
    match = _DURATION.match(text)
    assert match is not None  # duration_days has accepted it
    if match.group(2) != "y":
        return days
    years = float(match.group(1))
    whole = int(years)
    return float((add_years(opening, whole) - opening).days) + (years - whole) * 365.0


def fiscal_years_end(opening: dt.date, years: int, start_month: int) -> dt.date:
    """The day after ``years`` whole fiscal years following opening.

    A clinic opening on the first day of a fiscal year runs exactly those
    years; one opening mid-year first runs out the partial year it opened in,
    which does not count as one of them (it is marked partial in the tables):
    ``fiscal_years: 3`` then still gives three whole fiscal years to report.
    """
    first = fiscal_start(opening, start_month)
    if first < opening:
        first = add_months(first, 12)
    return add_months(first, 12 * years)
