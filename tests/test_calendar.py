"""The clinic calendar: weeks (week_of and week_start agree for any opening weekday), open days, clock times."""

from __future__ import annotations

import datetime as dt

import pytest

from simiop.model.calendar import ClinicCalendar, at


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


def test_open_days_are_the_marked_weekdays_less_holidays() -> None:
    calendar = ClinicCalendar(dt.date(2027, 1, 4), [dt.date(2027, 1, 6), dt.date(2027, 3, 1)], 28)
    mon_wed = [True, False, True, False, False, False, False]
    assert calendar.open_days(0, 15, mon_wed).tolist() == [0, 7, 9, 14]  # day 2 (a Wednesday) is a holiday
    assert calendar.open_days(50, 60, mon_wed).tolist() == [51, 58]  # day 56 (2027-03-01) past the run
    assert calendar.open_days(3, 3, mon_wed).tolist() == []


def test_a_clock_time_on_a_day_is_that_part_of_the_day() -> None:
    assert at(3, "09:00") == 3 + 9 / 24
    assert at(0, "18:30") == 18.5 / 24
    assert at(7, "09:00") - at(6, "09:00") == 1.0
