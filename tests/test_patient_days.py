"""Patient-days recorded as columns (PatientDays): exact columns of tiny records, rows on demand."""

from __future__ import annotations

import numpy as np
import pytest

from simiop.model.records import PatientDay, PatientDays
from simiop.results.columns import Columns


def recorded() -> PatientDays:
    """Two track-days as care writes them: 3 patients on day 7 (groups ran for two), 1 on day 8 (none ran)."""
    days = PatientDays()
    days.track_days.append((0, 7, 1, 3, 3.0, 2.5))  # first row, day, week, groups, programme h, group h
    days.episode_id.extend([4, 5, 6])
    days.ran.extend([True, True, False])
    days.individual[0].append(0)
    days.individual[1].append(50 / 60)
    days.prescriber[0].extend([0, 2])
    days.prescriber[1].extend([1.0, 1 / 3])
    days.prescriber_initial.append(0)
    days.family[0].append(0)
    days.family[1].append(0.7)
    days.track_days.append((3, 8, 1, 2, 2.0, 5 / 3))
    days.episode_id.append(4)
    days.ran.append(False)
    days.review_denied.append(3)
    return days


def test_the_record_spreads_into_every_field_of_every_row() -> None:
    columns = recorded().columns()
    assert tuple(columns) == PatientDays.NAMES
    assert columns["episode_id"].tolist() == [4, 5, 6, 4]
    assert columns["day"].tolist() == [7, 7, 7, 8]
    assert columns["week"].tolist() == [1, 1, 1, 1]
    assert columns["groups"].tolist() == [3, 3, 0, 0]
    assert columns["programme_hours"].tolist() == [3.0, 3.0, 0.0, 0.0]
    assert columns["services"].tolist() == [3 + 3, 3, 1, 0]
    assert columns["individual_hours"].tolist() == [50 / 60, 0.0, 0.0, 0.0]
    assert columns["prescriber_hours"].tolist() == [1.0, 0.0, 1 / 3, 0.0]
    assert columns["family_hours"].tolist() == [0.7, 0.0, 0.0, 0.0]
    assert columns["prescriber_initial"].tolist() == [True, False, False, False]
    assert columns["review_denied"].tolist() == [False, False, False, True]
    assert not columns["hours"].flags.writeable


def test_hours_are_added_in_the_order_care_adds_them() -> None:
    hours = recorded().columns()["hours"].tolist()
    extra = 0.0
    for part in (50 / 60, 1.0, 0.7):  # individual, prescriber, family, one by one as care adds them
        extra += part
    assert hours[0] == 2.5 + extra  # the same bits, not just close
    assert 2.5 + extra != ((2.5 + 50 / 60) + 1.0) + 0.7  # the order matters for these values
    assert hours[1:] == [2.5, 1 / 3, 0.0]


def test_rows_are_made_on_demand_and_round_trip() -> None:
    days = recorded()
    rows = days.rows()
    assert len(days) == 4
    assert rows[0] == PatientDay(
        4, 7, 1, 6, 2.5 + (50 / 60 + 1.0 + 0.7), 3, 3.0, 50 / 60, 0.7, 1.0, True, False
    )
    assert days[3] == rows[3] == PatientDay(4, 8, 1, 0, 0.0, review_denied=True)
    assert type(days[0].day) is int
    assert list(days) == rows
    again = PatientDays.of(rows)
    assert again == days
    assert len(again) == 4
    assert again != PatientDays.of(rows[:3])


def test_a_record_that_grows_is_spread_again() -> None:
    days = recorded()
    assert len(days.columns()["day"]) == 4
    days.track_days.append((4, 9, 1, 3, 3.0, 2.5))
    days.episode_id.append(7)
    days.ran.append(True)
    assert days.columns()["day"].tolist() == [7, 7, 7, 8, 9]
    assert len(days) == 5


def test_an_empty_record() -> None:
    columns = PatientDays().columns()
    assert all(column.size == 0 for column in columns.values())
    assert PatientDays() == PatientDays.of([])
    assert PatientDays().rows() == []


def test_columns_read_the_arrays_as_they_are() -> None:
    days = recorded()
    columns = Columns(PatientDay, days, tabled=False)
    assert columns.size == 4
    assert columns.array("day", "int") is days.columns()["day"]  # no copy, no row objects
    assert columns.array("day").tolist() == [7.0, 7.0, 7.0, 8.0]
    assert columns.array("review_denied", "bool") is days.columns()["review_denied"]
    assert columns.values("groups") == [3, 3, 0, 0]
    assert type(columns.values("groups")[0]) is int
    assert columns.array("hours").dtype == np.float64
    with pytest.raises(KeyError, match="not a field"):
        columns.array("minutes")


def test_rows_after_a_denied_review_are_marked_by_episode_and_day() -> None:
    days = recorded()
    days.denied_from[5] = 7  # episode 5 from day 7 on (its one row); episode 6 from a later day
    days.denied_from[6] = 8
    assert days.columns()["review_denied"].tolist() == [False, True, False, True]
    late = recorded()
    late.denied_from[42] = 0  # an episode with no rows marks none
    assert late.columns()["review_denied"].tolist() == [False, False, False, True]
