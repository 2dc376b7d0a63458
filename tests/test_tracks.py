"""A track's programme days, listed in stretches as stepping day by day would list them, and its groups."""

from __future__ import annotations

import random

import pytest

from simiop.config.base import WEEKDAYS, Weekday
from simiop.model.calendar import ClinicCalendar
from tests.tiny_world import tiny_config, track_of


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


def test_a_track_fills_its_emptiest_group_first_and_the_first_of_equals() -> None:
    config = tiny_config(tracks__day__groups=3, tracks__day__group_size={"min": 1, "max": 2})
    track = track_of(config)
    assert track.open_group() == 0
    sizes = []
    while (group := track.open_group()) is not None:
        track.groups[group].append(None)  # type: ignore[arg-type]
        sizes.append(group)
    assert sizes == [0, 1, 2, 0, 1, 2]  # then every group is full
    track.groups[1].pop()
    assert track.open_group() == 1


def test_a_track_of_no_groups_has_no_open_group() -> None:
    """groups: 0 is a staffing what-if (test_staffing builds one): such a track never admits."""
    track = track_of(tiny_config(tracks__day__groups=2))
    track.groups = []
    assert track.open_group() is None


@pytest.mark.parametrize("seed", range(4))
def test_the_index_at_the_clocks_time_is_index_from_for_times_that_never_go_back(seed: int) -> None:
    """``index_now`` (a cursor per kind, days listed as it runs out) answers as ``index_from`` for
    non-decreasing times: repeated times, times at a day's very start, gaps of many weeks past the days
    listed so far, both kinds asked in turn."""
    rng = random.Random(seed)
    holidays = ["2027-01-05", "2027-05-31", "2027-07-05"]
    config = tiny_config(tracks__day__weekdays=["mon", "wed", "thu"], clinic__holidays=holidays)
    cursor, reference = track_of(config), track_of(config)
    time = 0.0
    for _ in range(400):
        step = rng.choice([0.0, 0.0, 0.1, 0.5, 1.0, 3.0, 40.0])
        time += step
        if rng.random() < 0.3:  # exactly at a programme day's start
            reference.list_until(time)
            time = max(
                time, reference.starts[min(len(reference.starts) - 1, reference.index_from(time, False))]
            )
        for strictly_after in rng.sample([True, False], 2):
            assert cursor.index_now(time, strictly_after) == reference.index_from(time, strictly_after)
    assert cursor.days[: len(reference.days)] == reference.days[: len(cursor.days)]
    assert time > 365  # well past the first year listed
