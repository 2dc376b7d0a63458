"""Records turned into columns once: exact values of tiny records, joins and end-state masks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simiop.model.records import Episode, PatientDay, PatientDays, Records, StaffDay
from simiop.results.columns import Columns, columns_of


def episode(episode_id: int, end_state: str, **fields: object) -> Episode:
    made = Episode(
        episode_id=episode_id,
        patient_id=10 + episode_id,
        source="gp",
        source_kind="community",
        track_preference="day",
        payer="medicaid",
        acuity="standard",
        referred_day=float(episode_id),
    )
    made.end_state = end_state  # type: ignore[assignment]
    for name, value in fields.items():
        setattr(made, name, value)
    return made


def test_values_are_kept_as_recorded_and_arrays_convert_them() -> None:
    rows = Columns(StaffDay, [StaffDay(0, "therapist", employed_fte=0), StaffDay(1, "prescriber", 2, 1, 1.5)])
    assert rows.size == len(rows) == 2
    assert rows.names[:3] == ("day", "role", "employed")
    assert "employed_fte" in rows.float_names
    assert "employed" not in rows.float_names
    fte = rows.values("employed_fte")
    assert fte == [0, 1.5]
    assert type(fte[0]) is int
    assert rows.values("employed_fte") is fte  # taken from the rows once
    assert rows.array("employed_fte").tolist() == [0.0, 1.5]
    assert rows.array("employed", "int").dtype == np.int64
    assert rows.codes("role", ["prescriber", "therapist"]).tolist() == [1, 0]
    assert rows.codes("role", ["prescriber"]).tolist() == [-1, 0]
    with pytest.raises(KeyError, match="not a field"):
        rows.values("hours")


def test_none_becomes_nan_in_float_arrays() -> None:
    rows = Columns(Episode, [episode(0, "completed", assessed_day=2.5), episode(1, "declined")])
    assessed = rows.array("assessed_day")
    assert assessed[0] == 2.5
    assert math.isnan(assessed[1])
    assert rows.values("assessed_day") == [2.5, None]


def test_arrays_hold_the_recorded_values_exactly_and_are_made_once() -> None:
    big = 2**53 + 1  # an int a float cannot hold: the int array keeps it
    rows = Columns(
        Episode,
        [
            episode(0, "completed", programme_days=big, group=1, service_hours=0.1 + 0.2),
            episode(1, "declined"),
        ],
    )
    days = rows.array("programme_days", "int")
    assert days.tolist() == [big, 0]
    assert rows.array("programme_days", "int") is days  # made once
    assert rows.array("programme_days").tolist() == [float(big), 0.0]
    assert rows.array("service_hours").tolist() == [0.1 + 0.2, 0.0]
    assert rows.array("authorization_denied", "bool").tolist() == [False, False]
    group = rows.array("group")
    assert group[0] == 1.0
    assert math.isnan(group[1])
    with pytest.raises(TypeError):
        rows.array("group", "int")  # an optional int with a None has no int array


def test_end_state_masks() -> None:
    records = Records(seed=0, replication=0, horizon_days=10.0)
    records.episodes = [
        episode(0, "completed"),
        episode(1, "censored_in_programme"),
        episode(2, "dropout"),
        episode(3, "lost_before_contact"),
        episode(4, "no_start"),
    ]
    columns = columns_of(records)
    assert columns.censored().tolist() == [False, True, False, False, False]
    assert columns.discharged().tolist() == [True, False, True, False, False]  # a no-start is not one
    assert columns.end_states().tolist() == [9, 15, 10, 0, 8]  # positions in END_STATES


@pytest.mark.parametrize("ids", [[0, 1, 2], [7, 3, 5]])
def test_each_patient_day_finds_its_episode_row(ids: list[int]) -> None:
    records = Records(seed=0, replication=0, horizon_days=10.0)
    records.episodes = [episode(episode_id, "completed") for episode_id in ids]
    records.patient_days = PatientDays.of(
        [PatientDay(ids[2], 0, 0, 3, 2.5), PatientDay(ids[0], 1, 0, 3, 2.5)]
    )
    columns = columns_of(records)
    assert columns.episode_rows().tolist() == [2, 0]


def test_an_empty_run() -> None:
    columns = columns_of(Records(seed=4, replication=2, horizon_days=7.0))
    assert (columns.seed, columns.replication, columns.horizon_days) == (4, 2, 7.0)
    assert columns.patient_days.size == 0
    assert columns.episode_rows().size == 0
    assert columns.staff_days.array("day").size == 0


def test_optional_floats_read_by_numpy_are_the_values_with_nan_for_none_to_the_bit() -> None:
    """numpy's own None -> nan gives the array a comprehension with math.nan gave (ints as floats)."""
    values: list[float | int | None] = [0.1 + 0.2, None, 3, -0.0, None, 1e300, 7.25]
    rows = Columns(
        Episode, [episode(index, "declined", assessed_day=value) for index, value in enumerate(values)]
    )
    expected = np.array([math.nan if value is None else value for value in values], dtype=float)
    assert rows.array("assessed_day").tobytes() == expected.tobytes()
