"""Rows kept as columns (RowColumns): the roster's staff rows, rows on demand, Columns reads the lists."""

from __future__ import annotations

import pytest

from simiop.model.records import RowColumns, StaffDay
from simiop.results.columns import Columns
from tests.tiny_world import roster_of, tiny_config


def two_rows() -> list[StaffDay]:
    return [StaffDay(0, "therapist", 2, 1, 0), StaffDay(0, "prescriber", 1, 1, 0.5, prescriber_hours=1.0)]


def test_rows_round_trip_and_compare_by_value() -> None:
    rows = RowColumns.of(StaffDay, two_rows())
    assert len(rows) == 2
    assert rows.rows() == list(rows) == two_rows()
    assert rows[1] == two_rows()[1]
    assert rows.columns()["employed_fte"] == [0, 0.5]
    assert type(rows.columns()["employed_fte"][0]) is int  # kept as recorded: staff.csv prints "0"
    assert rows == RowColumns.of(StaffDay, two_rows())
    assert rows != RowColumns.of(StaffDay, two_rows()[:1])
    assert len(RowColumns(StaffDay)) == 0


def test_columns_must_be_the_fields_in_order() -> None:
    with pytest.raises(ValueError, match="not the fields of StaffDay"):
        RowColumns(StaffDay, {"role": [], "day": []})


def test_columns_use_the_lists_as_they_are() -> None:
    rows = RowColumns.of(StaffDay, two_rows())
    columns = Columns(StaffDay, rows)
    assert columns.size == 2
    assert columns.values("role") is rows.columns()["role"]
    assert columns.array("employed_fte").tolist() == [0.0, 0.5]
    assert columns.codes("role", ["prescriber", "therapist"]).tolist() == [1, 0]


def test_the_rosters_rows_are_in_day_then_role_order_with_what_was_booked() -> None:
    config = tiny_config()
    roster = roster_of(config)
    person = roster.by_role["therapist"][0]
    roster.book(person, 1, 0, 3.0, "group")
    roster.book(person, 1, 0, 1.0, "family")
    roster.book(roster.by_role["intake_clinician"][0], 2, 0, 1.5, "intake")
    roster.assign(person, 1)
    roster.close_days()
    staff = roster.staff_days()
    roles = sorted(config.staff.roles)
    columns = staff.columns()
    assert columns["day"][: 2 * len(roles)] == [0] * len(roles) + [1] * len(roles)
    assert columns["role"][: len(roles)] == roles
    on_day_1 = staff[len(roles) + roles.index("therapist")]
    assert (on_day_1.day, on_day_1.role, on_day_1.group_hours, on_day_1.family_hours) == (
        1,
        "therapist",
        3.0,
        1.0,
    )
    assert on_day_1 == roster.row("therapist", 1)
    assert on_day_1.caseload == 1
    assert roster.row("therapist", 0).caseload == 0
    assert staff[2 * len(roles) + roles.index("intake_clinician")].intake_hours == 1.5
    assert len(staff) == config.simulation.horizon_days * len(roles)


def test_a_row_from_the_roster_is_a_copy() -> None:
    roster = roster_of(tiny_config())
    row = roster.row("therapist", 0)
    row.group_hours = 99.0
    assert roster.row("therapist", 0).group_hours == 0.0
