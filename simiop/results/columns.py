"""A run's records as columns: each field of each table as one list, and as a numpy array, made once.

Billing, KPIs, periods and the tables each read a few fields of every row.
Read from the row objects, that was a Python attribute lookup per row, per
field, per reader. Here each field is taken out of the rows once (one C-level
``map(attrgetter)`` per field, on first use) and every reader takes the
columns it needs. The lists keep the values exactly as recorded (an int
stays an int, None stays None), so the tables print them as before; the
arrays are for arithmetic. Patient-days, the largest record, are columns
already (PatientDays): their arrays are used as they are, with no row objects;
so are the staff rows (RowColumns, lists as recorded).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, fields
from functools import cached_property
from operator import attrgetter
from typing import Any

import numpy as np

from simiop.model.records import (
    CENSORED,
    DISCHARGES,
    END_STATES,
    Booking,
    Episode,
    PatientDay,
    PatientDays,
    Records,
    RowColumns,
    StaffDay,
    TrackDay,
    small_ints,
)
from simiop.model.session_table import SessionTable

_DTYPE_NAMES = {"i": "int", "f": "float", "b": "bool"}
"""numpy's kind of an array -> the name ``Columns.array`` is asked for with that dtype."""


class Columns:
    """The rows of one record type as columns, in row order; each column is built on first use."""

    def __init__(
        self,
        row_type: type,
        rows: Sequence[object] | RowColumns[Any] | PatientDays,
        *,
        tabled: bool = True,
        whole_rows: bool = False,
    ) -> None:
        declared = fields(row_type)
        self.names: tuple[str, ...] = tuple(f.name for f in declared)
        """The record's fields, in declaration order (the column order of its table)."""
        self.float_names: frozenset[str] = frozenset(f.name for f in declared if f.type in (float, "float"))
        """Fields annotated ``float``: the tables print those with 4 decimals."""
        self.text_names: frozenset[str] = frozenset(
            f.name for f in declared if f.type in (str, "str", "str | None", "Optional[str]")
        )
        """Fields annotated ``str`` (or ``str | None``): the tables read those by ``factorized``."""
        self._optional = frozenset(f.name for f in declared if "None" in str(f.type))
        self._tabled = tabled
        """Whether a table prints these rows: then every field is wanted as a list anyway, and arrays
        are made from the lists; otherwise an array is read straight from the rows."""
        self._whole_rows = whole_rows
        """Whether every field will be read (a table prints them all): then the first field asked for
        takes every field from row objects in one pass (``_take_all``), each row read once."""
        self.size = len(rows)
        self._columnar = isinstance(rows, PatientDays)
        """Whether the record is columns already (its arrays are what was recorded, in its dtypes)."""
        self._rows: Sequence[object] = () if isinstance(rows, (PatientDays, RowColumns)) else rows
        self._values: dict[str, list[Any]] = dict(rows.columns()) if isinstance(rows, RowColumns) else {}
        """Columns recorded as lists (RowColumns) are these lists, as they are."""
        self._arrays: dict[tuple[str, str], np.ndarray] = {}
        if isinstance(rows, PatientDays):  # columns already: each array under its own dtype's name
            for name, array in rows.columns().items():
                self._arrays[(name, _DTYPE_NAMES[array.dtype.kind])] = array
        self._codes: dict[tuple[str, tuple[str, ...]], np.ndarray] = {}
        self._factorized: dict[str, tuple[list[Any], np.ndarray]] = {}

    def __len__(self) -> int:
        return self.size

    def values(self, name: str) -> list[Any]:
        """One field of every row, as recorded (Python objects)."""
        found = self._values.get(name)
        if found is None:
            if name not in self.names:
                raise KeyError(f"{name!r} is not a field; fields: {', '.join(self.names)}")
            if self._columnar:
                found = next(array for (field, _), array in self._arrays.items() if field == name).tolist()
            elif self._whole_rows:
                self._take_all()
                return self._values[name]
            else:
                found = list(map(attrgetter(name), self._rows))
            self._values[name] = found
        return found

    def _take_all(self) -> None:
        """Every field not taken yet, from row objects in one pass: one ``attrgetter`` of all of them per
        row, the tuples turned into columns by ``zip``. A field at a time read every row once per field
        (1.1-1.2 ms more a cell for episodes.csv and daily.csv inside real cells, where the rows are
        read for a table anyway; when no table prints them, a field at a time is cheaper)."""
        missing = [name for name in self.names if name not in self._values]
        if len(missing) == 1 or not self._rows:
            for name in missing:
                self._values[name] = list(map(attrgetter(name), self._rows))
            return
        columns = zip(*map(attrgetter(*missing), self._rows), strict=True)
        for name, column in zip(missing, columns, strict=True):
            self._values[name] = list(column)

    def array(self, name: str, dtype: str = "float") -> np.ndarray:
        """One field as a numpy array (``float``: None becomes nan; ``int``; ``bool``), made once."""
        key = (name, dtype)
        found = self._arrays.get(key)
        if found is None:
            made = next((array for (field, _), array in self._arrays.items() if field == name), None)
            if made is not None and name not in self._optional:  # the same field as another dtype
                found = made.astype(np.dtype(dtype))
            elif self._tabled or name in self._values or name in self._optional:  # None becomes nan
                values = self.values(name)
                if name not in self._optional:  # numbers only: read as they are, with no shape to find
                    found = small_ints(values, np.dtype(dtype))  # np.fromiter, as bytes when all are 0..255
                elif dtype == "float":  # numpy reads None as nan itself: no list with nan in between
                    found = np.array(values, dtype=float)
                else:
                    found = np.array(values, dtype=np.dtype(dtype))
            else:  # straight from the rows: no list in between when only the array is wanted
                if name not in self.names:
                    raise KeyError(f"{name!r} is not a field; fields: {', '.join(self.names)}")
                found = np.fromiter(map(attrgetter(name), self._rows), dtype=np.dtype(dtype), count=self.size)
            self._arrays[key] = found
        return found

    def factorized(self, name: str) -> tuple[list[Any], np.ndarray]:
        """One field as its distinct values (in the order first recorded) and each row's position among
        them (intp), made once.

        Text fields hold a few distinct values over thousands of rows: grouping
        (``codes``) and the tables (simiop/results/tables.py formats each
        distinct text once) both read them this way, so each row is looked up
        once for all of them rather than once per reader. Values are told apart
        by equality, as dict keys are.
        """
        found = self._factorized.get(name)
        if found is None:
            values = self.values(name)
            position = {value: index for index, value in enumerate(dict.fromkeys(values))}
            codes = np.fromiter(map(position.__getitem__, values), dtype=np.intp, count=len(values))
            found = self._factorized[name] = (list(position), codes)
        return found

    def codes(self, name: str, labels: Sequence[str]) -> np.ndarray:
        """A text field as positions in ``labels`` (ints, for grouping); -1 for a value not listed."""
        key = (name, tuple(labels))
        found = self._codes.get(key)
        if found is None:
            position = {label: index for index, label in enumerate(labels)}
            distinct, codes = self.factorized(name)
            per_distinct = np.array([position.get(value, -1) for value in distinct], dtype=np.intp)
            found = self._codes[key] = per_distinct[codes]
        return found


@dataclass(frozen=True)
class RunColumns:
    """Everything one replication recorded, as columns; built once by ``columns_of``."""

    seed: int
    replication: int
    horizon_days: float
    events: int
    episodes: Columns
    track_days: Columns
    staff_days: Columns
    patient_days: Columns
    bookings: Columns
    sessions: SessionTable
    """Every session on the clock (sessions.csv): held, cancelled or missed, as int-coded columns."""

    @cached_property
    def episode_of_day(self) -> np.ndarray:
        """For each patient-day, the position of its episode in ``episodes`` (for joins by bincount)."""
        return self.episode_rows()

    def episode_rows(self) -> np.ndarray:
        """For each patient-day, the position of its episode in ``episodes`` (see ``episode_of_day``)."""
        ids = self.episodes.array("episode_id", "int")
        days = self.patient_days.array("episode_id", "int")
        if ids.size and np.array_equal(ids, np.arange(ids.size)):  # the model numbers episodes 0, 1, ...
            return days.astype(np.intp)
        order = np.argsort(ids, kind="stable")
        return order[np.searchsorted(ids, days, sorter=order)]

    def end_states(self) -> np.ndarray:
        """Per episode, its end state as a position in END_STATES."""
        return self.episodes.codes("end_state", END_STATES)

    def censored(self) -> np.ndarray:
        """Per episode, whether the horizon came before it ended."""
        return np.isin(self.end_states(), [END_STATES.index(state) for state in CENSORED])

    def discharged(self) -> np.ndarray:
        """Per episode, whether it ended in a discharge from the programme."""
        return np.isin(self.end_states(), [END_STATES.index(state) for state in DISCHARGES])


def columns_of(records: Records, printed: Collection[str] | None = None) -> RunColumns:
    """The run's records as columns (each column is taken from the rows on first use).

    ``printed``: the tables that will be rendered from them (``render_tables``' names), if known: the
    row objects of a printed table (episodes, daily) are then read in one pass for all their fields, and
    those of a table not printed a field at a time, a number field straight into its array.
    """
    # A table known not to be printed reads its number fields straight into arrays (``tabled=False``):
    # a list per field would be made only to be read once more by numpy (0.3-0.4 ms a 3-year cell with
    # ``--tables none``). Unknown (None): a table may be printed later, so lists first, as ever.
    episodes_printed = printed is None or "episodes" in printed
    daily_printed = printed is None or "daily" in printed
    printed = () if printed is None else printed
    return RunColumns(
        seed=records.seed,
        replication=records.replication,
        horizon_days=records.horizon_days,
        events=records.events,
        episodes=Columns(
            Episode, records.episodes, tabled=episodes_printed, whole_rows="episodes" in printed
        ),
        track_days=Columns(TrackDay, records.track_days, tabled=daily_printed, whole_rows="daily" in printed),
        staff_days=Columns(StaffDay, records.staff_days),
        patient_days=Columns(PatientDay, records.patient_days, tabled=False),
        bookings=Columns(Booking, records.bookings, tabled=False),
        sessions=SessionTable.coded(records.sessions),
    )
