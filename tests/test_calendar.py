"""The clinic calendar: weeks (week_of and week_start agree for any opening weekday), open days, and a
track's programme days listed in stretches as stepping day by day would list them."""

from __future__ import annotations

import datetime as dt

import pytest

from simiop.config.base import WEEKDAYS, Weekday
from simiop.model.calendar import ClinicCalendar, at
from tests.tiny_world import tiny_config, track_of


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


def _stepped(calendar: ClinicCalendar, weekdays: set[str], count: int) -> tuple[list[int], list[int]]:
    """Programme days and each one's next track weekday, found by stepping day by day."""
    days: list[int] = []
    following: list[int] = []
    day = -1
    while len(days) < count:
        day += 1
        if calendar.weekday_of(day) in weekdays and not calendar.is_holiday(day):
            after = day + 1
            while calendar.weekday_of(after) not in weekdays:
                after += 1
            days.append(day)
            following.append(after)
    return days, following


def test_open_days_are_the_marked_weekdays_less_holidays() -> None:
    calendar = ClinicCalendar(dt.date(2027, 1, 4), [dt.date(2027, 1, 6), dt.date(2027, 3, 1)], 28)
    mon_wed = [True, False, True, False, False, False, False]
    assert calendar.open_days(0, 15, mon_wed).tolist() == [0, 7, 9, 14]  # day 2 (a Wednesday) is a holiday
    assert calendar.open_days(50, 60, mon_wed).tolist() == [51, 58]  # day 56 (2027-03-01) past the run
    assert calendar.open_days(3, 3, mon_wed).tolist() == []


@pytest.mark.parametrize("weekdays", [("mon", "tue", "thu"), ("sat",), tuple(WEEKDAYS)])
def test_a_track_lists_its_days_as_stepping_day_by_day_would(weekdays: tuple[Weekday, ...]) -> None:
    holidays = ["2027-01-05", "2027-05-31", "2027-07-05", "2027-12-25", "2028-01-01"]
    config = tiny_config(tracks__day__weekdays=list(weekdays), clinic__holidays=holidays)
    track = track_of(config)
    calendar = track.calendar
    track.list_through(3)
    assert len(track.days) >= 3
    track.list_through(700)  # past the run's 28 days: stays are drawn whatever the horizon
    days, following = _stepped(calendar, set(weekdays), len(track.days))
    assert (track.days, track.next_day) == (days, following)
    assert all(type(day) is int for day in track.days)
    assert track.starts == [day + track.start_fraction for day in days]
    assert track.ends == [day + track.end_fraction for day in days]
    admitting = [d for d in range(calendar.days) if d in set(days)]  # continuous/rolling: every track day
    assert track.admission_starts == [day + track.start_fraction for day in admitting]


def test_a_clock_time_on_a_day_is_that_part_of_the_day() -> None:
    assert at(3, "09:00") == 3 + 9 / 24
    assert at(0, "18:30") == 18.5 / 24
    assert at(7, "09:00") - at(6, "09:00") == 1.0
