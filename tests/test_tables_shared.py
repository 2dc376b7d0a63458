"""Columns read once for every reader: text fields factorized (shared by grouping and the tables), and the
printed fields the same as the one-column-at-a-time way."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from simiop.model.records import RowColumns, StaffDay, TrackDay
from simiop.results import csv_matrix as matrix
from simiop.results.columns import Columns
from simiop.results.tables import _plain_field, _recorded_floats_field, record_fields

_DATES = matrix.table([f"d{day}" for day in range(10)] + [""])


@given(st.lists(st.sampled_from(["therapist", "prescriber", "a,b", 'say "hi"', "", "ü"]), max_size=40))
def test_factorized_text_gives_each_rows_value_and_codes_by_labels(roles: list[str]) -> None:
    rows = Columns(StaffDay, [StaffDay(day % 10, role) for day, role in enumerate(roles)])
    distinct, codes = rows.factorized("role")
    assert list(distinct) == list(dict.fromkeys(roles))  # first recorded first
    assert [distinct[code] for code in codes.tolist()] == roles
    assert rows.factorized("role")[1] is codes  # made once
    labels = ["prescriber", "therapist"]
    assert rows.codes("role", labels).tolist() == [labels.index(r) if r in labels else -1 for r in roles]


def _one_at_a_time(rows: Columns) -> list[str]:
    """record_fields' columns as each column alone printed them before (the reference)."""
    texts = [matrix.texts(_plain_field(rows.values(rows.names[0])))]  # the day, as an int (dates aside)
    for name in rows.names:
        values = rows.values(name)
        field = (
            _recorded_floats_field(values, rows.array(name))
            if name in rows.float_names
            else _plain_field(values)
        )
        texts.append(matrix.texts(field))
    return [",".join(row) for row in zip(*texts, strict=True)]


def _record_fields_rows(rows: Columns) -> list[str]:
    header, fields = record_fields(rows, _DATES)
    assert header == ["date", *rows.names]
    texts = [matrix.texts(field) for field in fields[1:]]
    day = [str(value) for value in rows.values(rows.names[0])]
    return [",".join(row) for row in zip(day, *texts, strict=True)]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["therapist", "prescriber", "x,y"]),
            st.integers(0, 10**5),
            st.one_of(
                st.floats(0, 1e6, allow_nan=False),
                st.floats(-1e3, 1e3, allow_nan=False),
                st.integers(0, 40),  # a float field holding an int prints as the int
                st.sampled_from([0.125, 2.5, 1e-5, 0.00005, -0.0, math.inf]),
            ),
            st.floats(0, 40, allow_nan=False),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_record_fields_print_each_column_as_it_printed_alone(
    rows: list[tuple[str, int, float, float]],
) -> None:
    """Float fields (some holding ints: those print as the int), text read by its codes."""
    staff = Columns(
        StaffDay,
        RowColumns.of(
            StaffDay,
            [
                StaffDay(day % 10, role, employed, group_hours=hours, cover_hours=cover)
                for day, (role, employed, hours, cover) in enumerate(rows)
            ],
        ),
    )
    assert _record_fields_rows(staff) == _one_at_a_time(staff)


def test_a_text_field_holding_other_values_prints_them_as_csv_writer_would() -> None:
    """A field annotated str that holds an int or None: the types are not what the annotation says, so
    the column goes the plain way (str of each, None empty)."""
    days = [TrackDay(0, "day"), TrackDay(1, 7), TrackDay(2, None), TrackDay(3, "a,b")]  # type: ignore[arg-type]
    rows = Columns(TrackDay, days)
    assert _record_fields_rows(rows) == _one_at_a_time(rows)
    assert [line.split(",")[2] for line in _record_fields_rows(rows)] == ["day", "7", "", '"a']


def test_rows_read_whole_give_each_field_as_a_field_at_a_time_does() -> None:
    """A printed table's rows read in one pass for every field (``whole_rows``): the same lists (ints
    stay ints, None stays None) and arrays as reading a field at a time, fields asked before kept."""
    days = [
        TrackDay(day, "day" if day % 3 else "evening", census=day, facilitation_hours=day / 4)
        for day in range(7)
    ]
    days[2].individual_hours = 0  # an int in a float field, as recorded
    one_by_one, whole = Columns(TrackDay, days), Columns(TrackDay, days, whole_rows=True)
    first = whole.values("census")
    assert first == one_by_one.values("census") == list(range(7))
    for name in TrackDay.__dataclass_fields__:
        assert whole.values(name) == one_by_one.values(name)
        assert list(map(type, whole.values(name))) == list(map(type, one_by_one.values(name)))
    assert whole.values("census") is first  # taken once
    assert np.array_equal(whole.array("facilitation_hours"), one_by_one.array("facilitation_hours"))
    empty = Columns(TrackDay, [], whole_rows=True)
    assert empty.values("track") == []


def test_columns_of_reads_printed_tables_rows_whole() -> None:
    from simiop.model.records import Records
    from simiop.results.columns import columns_of

    records = Records(seed=1, replication=0, horizon_days=7.0, track_days=[TrackDay(0, "day")])
    assert not columns_of(records).track_days._whole_rows
    printed = columns_of(records, ("daily", "staff"))
    assert printed.track_days._whole_rows
    assert not printed.episodes._whole_rows
    assert printed.track_days.values("track") == ["day"]
