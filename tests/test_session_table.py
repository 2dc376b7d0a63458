"""The sessions record as int-coded columns: SessionLog writes a key code and the patients per row (a day
per day) and orders each day's rows once; SessionTable reads fields through its keys, as Columns reads rows."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simiop.billing import bill
from simiop.model.calendar import ClinicCalendar
from simiop.model.records import RowColumns, SessionRow
from simiop.model.session_table import KEY_FIELDS, NO_TIME, SessionTable, positions_within
from simiop.model.sessions import FlatRow, RowPatients, SessionLog
from simiop.results.columns import Columns
from simiop.results.tables import SESSION_COLUMNS, iso_dates, render_columns, render_sessions, session_columns
from tests.test_tables import CONFIG, tiny

NAN = float("nan")


def _held(kind: str, start: float, person: str, k: int = -1) -> tuple[object, ...]:
    return (kind, "day", -1, k, "after", start, start + 50.0, (person,), 0, f"office:{person}", "held", "")


def _missed(kind: str, reason: str) -> tuple[object, ...]:
    return (kind, "day", -1, -1, "", NO_TIME, NO_TIME, (), 0, "", "missed", reason)


def test_each_closed_day_is_ordered_by_start_then_kind_ties_and_missed_rows_as_written() -> None:
    log = SessionLog()
    # Day 3, written care first: a missed row, two individual sessions at 600 (two people), a family
    # session at 540, a group at 600 (groups sort before individual at the same minute), a second missed.
    log.add(3, _missed("individual", "no_slot"), [1])
    log.add(3, _held("individual", 600.0, "therapist_2"), [2])
    log.add(3, _held("individual", 600.0, "therapist_1"), [3])
    log.add(3, _held("family", 540.0, "therapist_1"), [4])
    group = ("group", "day", 0, 0, "programme", 600.0, 650.0, ("therapist_3",), 0, "group_room_1", "held", "")
    log.add(3, group, [5, 6])
    log.add(3, _missed("family", "staff_absent"), [7])
    log.close_day()
    log.close_day()  # nothing written since: no empty day
    log.add(4, _missed("individual", "no_slot"), [9])  # day 4 is not closed: records() closes it
    log.add(4, _held("family", 500.0, "therapist_1"), [8])
    table = log.records()
    assert table.day.tolist() == [3, 3, 3, 3, 3, 3, 4, 4]
    assert [patients[0] for patients in table.patients] == [4, 5, 2, 3, 1, 7, 8, 9]
    assert [row.kind for row in table.rows()] == [
        "family", "group", "individual", "individual", "individual", "family", "family", "individual"
    ]  # fmt: skip
    assert len(table.keys) == 7  # each distinct key once: day 4's missed row shares day 3's key
    assert table.key.tolist()[-1] == table.key.tolist()[4]
    assert log.code(group) == 4
    assert log.code(_missed("individual", "no_slot")) == 0


def test_days_closed_apart_are_never_mixed_and_an_empty_log_is_an_empty_table() -> None:
    log = SessionLog()
    log.add(0, _held("individual", 700.0, "therapist_1"), [1])
    log.close_day()
    log.add(1, _held("individual", 500.0, "therapist_1"), [2])
    assert log.records().day.tolist() == [0, 1]  # 500 is earlier, but on the next day closed
    assert len(SessionLog().records()) == 0
    assert SessionLog().records().rows() == []


def test_a_group_row_lists_its_patients_as_they_are_when_the_table_is_made() -> None:
    log = SessionLog()
    log.add(2, ("group", "day", 0, 0, "programme", 540.0, 590.0, (), 0, "", "held", ""), [10, 11, 12])
    FlatRow(log, 0, 0, 3).remove(11)  # care pulled the patient out of this session
    assert log.records()[0].patients == (10, 12)


def _rows() -> list[SessionRow]:
    return [
        SessionRow(7, "group", "day", 0, 0, "programme", 540.0, 590.0, ("therapist_1", "therapist_2"), 1,
                   "group_room_1", (0, 4, 70000), "held", ""),
        SessionRow(7, "family", "day", -1, -1, "", NAN, NAN, (), 0, "", (4,), "missed", "no_staff_time"),
        SessionRow(8, "family", "day", -1, -1, "", NAN, NAN, (), 0, "", (5,), "missed", "no_staff_time"),
        SessionRow(8, "group", "day", 1, 0, "programme", 540.0, 590.0, (), 0, "", (), "cancelled", "too_few"),
    ]  # fmt: skip


def test_hand_made_rows_are_coded_once_and_read_back_as_columns_read_them() -> None:
    rows = RowColumns.of(SessionRow, _rows())
    table = SessionTable.coded(rows)
    assert SessionTable.coded(table) is table
    assert len(table) == 4
    assert len(table.keys) == 3
    assert table.key.tolist() == [0, 1, 1, 2]
    columns = Columns(SessionRow, rows)
    for name in ("day", "kind", "group", "staff", "cover", "room", "patients", "outcome", "reason"):
        assert table.values(name) == columns.values(name), name
    for name, dtype in (("day", "int"), ("group", "int"), ("cover", "int"), ("end_minute", "float")):
        assert np.array_equal(table.array(name, dtype), columns.array(name, dtype), equal_nan=True), name
    labels = ("held", "missed")
    assert (
        table.codes("outcome", labels).tolist() == columns.codes("outcome", labels).tolist() == [0, 1, 1, -1]
    )
    assert [math.isnan(row.start_minute) for row in table] == [False, True, True, False]
    assert table[3] == _rows()[3]
    assert table == SessionTable.coded(RowColumns.of(SessionRow, _rows()))
    assert table != SessionTable.coded(RowColumns.of(SessionRow, _rows()[:3]))
    assert table.key_values("room") == ["group_room_1", "", ""]
    with pytest.raises(KeyError, match="not a key field"):
        table.key_values("patients")


def test_patient_ids_are_every_row_and_id_pair_in_order() -> None:
    rows, ids = SessionTable.coded(RowColumns.of(SessionRow, _rows())).patient_ids()
    assert rows.tolist() == [0, 0, 0, 1, 2]
    assert ids.tolist() == [0, 4, 70000, 4, 5]


def test_sizes_are_each_rows_number_of_patients_counted_or_as_given_flat() -> None:
    rows = _rows()
    coded = SessionTable.coded(RowColumns.of(SessionRow, rows))
    assert coded.sizes().tolist() == [len(row.patients) for row in rows]
    flat = SessionTable.from_flat(
        np.zeros(3), np.zeros(3), np.array([2, 0, 1]), np.array([5, 6, 7]), coded.keys
    )
    assert flat.sizes().tolist() == [2, 0, 1]
    assert [list(members) for members in flat.patients] == [[5, 6], [], [7]]


def test_a_table_refuses_columns_of_different_lengths_or_unknown_keys() -> None:
    key = tuple(range(len(KEY_FIELDS)))
    with pytest.raises(ValueError, match="2 days, 1 keys and 1 patient lists"):
        SessionTable([1, 2], [0], [[1]], [key])
    with pytest.raises(ValueError, match="outside the 1 keys"):
        SessionTable([1], [1], [[1]], [key])


def test_positions_within_ragged_pieces() -> None:
    assert positions_within(np.array([2, 0, 3, 1])).tolist() == [0, 1, 0, 1, 2, 0]
    assert positions_within(np.array([], dtype=np.intp)).tolist() == []


def test_sessions_csv_from_the_codes_is_the_column_rendering_with_ids_beyond_the_table() -> None:
    """An id past the table of formatted ints (70000), several ids, none, and two days' prefixes."""
    records = tiny()
    records.sessions = RowColumns.of(SessionRow, _rows())
    run = bill(CONFIG, records)
    dates = iso_dates(ClinicCalendar.for_config(CONFIG))
    text = render_sessions(run, dates)
    assert text == render_columns(list(SESSION_COLUMNS), session_columns(run, dates))
    assert ",therapist_1;therapist_2,1,group_room_1,0;4;70000,held,\n" in text
    assert text.endswith(",,0,,,cancelled,too_few\n")


def test_a_day_s_rows_carry_the_day_set_before_them_and_another_day_closes_the_open_one() -> None:
    log = SessionLog()
    log.at_day(5)
    log.key.append(log.code(_held("individual", 700.0, "therapist_1")))  # a hot path's row: no day of its own
    log.sizes.append(1)  # a one-patient row: its id, flat
    log.ids.append(1)
    log.at_day(5)  # the same day again: still open, sorted with what follows
    log.key.append(log.code(_held("family", 600.0, "therapist_1")))
    log.sizes.append(1)
    log.ids.append(2)
    log.add(6, _held("individual", 500.0, "therapist_1"), [3])  # another day: day 5's rows are closed first
    table = log.records()
    assert table.day.tolist() == [5, 5, 6]
    assert [patients[0] for patients in table.patients] == [2, 1, 3]  # 600 before 700 on day 5; 500 on day 6


def test_the_flat_record_keeps_each_row_s_patients_through_pull_outs_and_each_day_s_order() -> None:
    """The log's patients are one flat column (a size per row): rows of 0, 1 and many patients, a held group's
    rows from which care pulls a patient out of one row (marked, left out), reordered per day closed, come
    out as each row's own ids, flat (``patient_ids``) and as lists (``patients``)."""
    log = SessionLog()
    log.add(1, _held("individual", 700.0, "therapist_1"), [1])
    at, first = len(log.ids), len(log.key)
    for k, start in enumerate((540.0, 600.0, 660.0)):  # a held group: three rows of the same four patients
        group = ("group", "day", 0, k, "programme", start, start + 50.0, ("therapist_2",), 0, "group_room_1")
        log.add(1, (*group, "held", ""), [4, 5, 6, 7])
    held = RowPatients(log, at, first, 3, 4)
    held[1].remove(5)  # care pulls patient 5 out of session 1 only
    held[-1].remove(7)  # and patient 7 out of session 2
    assert [list(row) for row in held] == [[4, 5, 6, 7], [4, 6, 7], [4, 5, 6]]
    assert len(held[1]) == 3
    assert held[1] == [4, 6, 7]
    with pytest.raises(ValueError, match="not in list"):
        held[1].remove(5)  # already out of that row
    with pytest.raises(IndexError):
        held[3]
    log.add(1, _missed("individual", "no_slot"), [8])
    log.add(1, _held("family", 500.0, "therapist_1"), [2, 3])
    log.add(1, _held("intake", 400.0, "therapist_1"), [])  # a row of nobody
    log.add(2, _held("individual", 450.0, "therapist_1"), [9])  # the next day: day 1 is closed first
    table = log.records()
    expected = [[], [2, 3], [4, 5, 6, 7], [4, 6, 7], [4, 5, 6], [1], [8], [9]]
    assert table.day.tolist() == [1] * 7 + [2]
    assert [list(p) for p in table.patients] == expected
    rows_of, ids = table.patient_ids()
    assert ids.tolist() == [i for p in expected for i in p]
    assert rows_of.tolist() == [row for row, p in enumerate(expected) for _ in p]
    assert table == SessionTable(table.day, table.key, [tuple(p) for p in expected], table.keys)
    with pytest.raises(ValueError, match="ids for rows of"):
        SessionTable.from_flat(table.day, table.key, np.ones(table.size, dtype=np.intp), ids, table.keys)
