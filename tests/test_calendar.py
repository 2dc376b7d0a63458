"""The clinic calendar's weeks: week_of and week_start agree for any opening weekday."""

from __future__ import annotations

import datetime as dt

import pytest

from simiop.model.calendar import ClinicCalendar


@pytest.mark.parametrize("opening", [dt.date(2027, 1, 4), dt.date(2027, 1, 7), dt.date(2027, 1, 10)])
def test_each_week_starts_on_its_monday(opening: dt.date) -> None:
    calendar = ClinicCalendar(opening, [], 60)
    for week in range(1, 8):
        start = calendar.week_start(week)
        assert calendar.weekday_of(start) == "mon"
        assert (calendar.week_of(start - 1), calendar.week_of(start)) == (week - 1, week)
    assert calendar.week_start(0) == -opening.weekday()  # week 0 may begin before opening


def test_a_thursday_opening_has_its_second_week_from_day_4() -> None:
    calendar = ClinicCalendar(dt.date(2027, 1, 7), [], 28)  # a Thursday
    assert calendar.week_start(1) == 4
