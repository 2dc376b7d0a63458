"""The clinic calendar: simulation days <-> dates and weekdays, holidays, times of day.

The clock is in days (floats); day 0 is midnight at the start of the opening
date, so every event has a calendar date and a weekday.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from functools import cache

import numpy as np

from simiop.config.base import WEEKDAYS, Weekday, hours_of
from simiop.config.closures import closures
from simiop.config.durations import whole_days
from simiop.config.model import SimiopConfig

HOURS_PER_DAY = 24.0


class ClinicCalendar:
    """Dates, weekdays and closures for the days of one run."""

    def __init__(self, opening: dt.date, holidays: Iterable[dt.date], horizon_days: float) -> None:
        self.opening = opening
        self.days = whole_days(horizon_days)
        """Days in the run: a run covers whole days, from midnight at opening to midnight after the last."""
        self.horizon_days = float(self.days)
        self._holidays = {(date - opening).days for date in holidays}
        self._opening_weekday = opening.weekday()

    @classmethod
    def for_config(cls, config: SimiopConfig) -> ClinicCalendar:
        """The calendar of a run of ``config``: the one place that maps config to calendar.

        Its closures come from ``simiop.config.closures.closures``, as do those the config checks see.
        """
        horizon = config.simulation.horizon_days
        return cls(config.clinic.opening_date, closures(config.clinic, horizon), horizon)

    def date_of(self, day: int) -> dt.date:
        return self.opening + dt.timedelta(days=day)

    def weekday_of(self, day: int) -> Weekday:
        return WEEKDAYS[(self._opening_weekday + day) % 7]

    def is_holiday(self, day: int) -> bool:
        return day in self._holidays

    @property
    def opening_weekday(self) -> int:
        """The weekday number of day 0 (0 = Monday): ``week_of(day)`` is ``(opening_weekday + day) // 7``."""
        return self._opening_weekday

    def week_of(self, day: int) -> int:
        """Calendar week (Monday to Sunday) counted from the week of opening: weekly rules use it."""
        return (self._opening_weekday + day) // 7

    def week_start(self, week: int) -> int:
        """The first day (Monday) of calendar ``week`` (week_of's count; day 0 may fall later in week 0)."""
        return 7 * week - self._opening_weekday

    def day_of_year(self, day: int) -> int:
        return self.date_of(day).timetuple().tm_yday

    def open_days(self, start: int, stop: int, on: Sequence[bool]) -> np.ndarray:
        """The days in [start, stop) whose weekday is marked in ``on`` (by number, 0 = Monday) and that
        are not holidays, in order (any days, past the run's too): a track's days found in one go."""
        days = np.arange(start, stop, dtype=np.int64)
        keep: np.ndarray = np.asarray(on, dtype=bool)[(self._opening_weekday + days) % 7]
        if self._holidays:
            keep &= ~np.isin(days, np.fromiter(self._holidays, dtype=np.int64, count=len(self._holidays)))
        chosen: np.ndarray = days[keep]
        return chosen

    def days_on(self, weekdays: Iterable[Weekday]) -> list[int]:
        """Every open (non-holiday) day of the run falling on one of ``weekdays``, in order."""
        wanted = set(weekdays)
        return [d for d in range(self.days) if self.weekday_of(d) in wanted and not self.is_holiday(d)]


def at(day: int, time_of_day: str) -> float:
    """Simulation time of a clock time on a given day."""
    return day + _fraction_of_day(time_of_day)


@cache
def _fraction_of_day(time_of_day: str) -> float:
    """The part of a day before a clock time, worked out once per clock time (intake asks per slot)."""
    return hours_of(time_of_day) / HOURS_PER_DAY
