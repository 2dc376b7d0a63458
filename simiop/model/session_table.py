"""sessions.csv's rows as int-coded columns: per row its day, the code of its key, and its patients.

A 3-year run has about 21,000 session rows but only a hundred or two distinct
ones once the day and the patients are set aside: a row's other twelve fields
(kind, track, group, session, placement, start and end minute, staff, cover,
room, outcome, reason; its *key*) are a group's session k at its clock time
with its facilitators and room, an individual session pulled out of slot k
with one therapist, a family session missed for want of staff time, and so
on. The after-pass (``SessionLog`` in simiop/model/sessions.py) writes each
row as its day, the position of its key in a table of distinct keys, and its
patients list, with no tuple per row to sort, transpose and code afterwards.

Every field of every row is then a key field looked up by numpy (a per-key
array indexed by the key codes): the KPIs compare codes
(simiop/results/session_kpis.py) and sessions.csv formats each key once
(simiop/results/tables.py). ``values`` and ``rows`` decode the rows for tests
and notebooks; hand-made records (RowColumns of SessionRow) are coded by
``SessionTable.coded``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import fields
from itertools import chain
from typing import Any

import numpy as np

from simiop.model.records import RowColumns, SessionRow

SESSION_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(SessionRow))
"""SessionRow's fields in order: sessions.csv's columns but the date and clock times."""
KEY_FIELDS: tuple[str, ...] = tuple(name for name in SESSION_FIELDS if name not in ("day", "patients"))
"""The fields of a row's key, in SessionRow's order."""
_POSITION = {name: position for position, name in enumerate(KEY_FIELDS)}

SessionKey = tuple[Any, ...]
"""A row's KEY_FIELDS values in order (a missed session's start and end are ``NO_TIME``)."""

NO_TIME = math.nan
"""Start and end of a session that has no time (a missed care session): one object, so keys holding it
compare equal (nan never equals another nan, but a tuple compares its items by identity first)."""


class SessionTable:
    """Every session of a run (sessions.csv's rows, in file order) as int-coded columns.

    ``day`` (int64) and ``key`` (positions in ``keys``) are numpy arrays of one
    value per row; ``patients`` holds each row's episode ids as recorded
    (lists from the after-pass, tuples from hand-made rows); ``keys`` holds
    each distinct key once. ``values``, ``array`` and ``codes`` read a field
    as ``simiop.results.columns.Columns`` does, from the per-key values.
    """

    row_type = SessionRow
    names = SESSION_FIELDS

    def __init__(
        self,
        day: np.ndarray | Sequence[int] = (),
        key: np.ndarray | Sequence[int] = (),
        patients: Sequence[Sequence[int]] = (),
        keys: Sequence[SessionKey] = (),
    ) -> None:
        self.day: np.ndarray = np.array(day, dtype=np.int64)
        self.key: np.ndarray = np.array(key, dtype=np.intp)
        if not (self.day.shape == self.key.shape == (len(patients),)):
            raise ValueError(f"{self.day.size} days, {self.key.size} keys and {len(patients)} patient lists")
        if self.key.size and not 0 <= int(self.key.min()) <= int(self.key.max()) < len(keys):
            raise ValueError(f"key codes outside the {len(keys)} keys")
        self.day.flags.writeable = False
        self.key.flags.writeable = False
        self._patients: Sequence[Sequence[int]] | None = patients
        self.keys: tuple[SessionKey, ...] = tuple(keys)
        self.size = len(patients)
        self._per_key: dict[tuple[str, str], np.ndarray] = {}
        self._flat: tuple[np.ndarray, np.ndarray] | None = None
        self._sizes: np.ndarray | None = None
        """Each row's number of patients, for a table made from flat ids (``from_flat``)."""

    @classmethod
    def from_flat(
        cls, day: np.ndarray, key: np.ndarray, sizes: np.ndarray, ids: np.ndarray, keys: Sequence[SessionKey]
    ) -> SessionTable:
        """A table whose patients are given flat: ``ids`` (int64) holds every row's episode ids in row order,
        ``sizes`` (one per row) how many of them are each row's. ValueError if the lengths disagree.

        What the after-pass's ``SessionLog.records`` makes: the results code reads the patients flat
        (``patient_ids``), so no list per row is made unless ``patients`` is asked for (tests, notebooks).
        """
        sizes = np.asarray(sizes, dtype=np.intp)
        ids = np.asarray(ids, dtype=np.int64)
        if int(sizes.sum()) != ids.size:
            raise ValueError(f"{ids.size} ids for rows of {int(sizes.sum())} patients")
        table = cls(day, key, [()] * sizes.size, keys)  # __init__'s checks; the patients are cut when asked
        table._patients = None
        table._sizes = sizes
        table._flat = (np.repeat(np.arange(sizes.size), sizes), ids)
        return table

    @property
    def patients(self) -> Sequence[Sequence[int]]:
        """Each row's episode ids: as given, or (``from_flat``) lists cut from the flat ids at first ask."""
        if self._patients is None:
            assert self._sizes is not None
            assert self._flat is not None
            ids = self._flat[1].tolist()
            ends = np.cumsum(self._sizes).tolist()
            self._patients = [ids[start:end] for start, end in zip([0, *ends[:-1]], ends, strict=True)]
        return self._patients

    @classmethod
    def coded(cls, rows: SessionTable | RowColumns[SessionRow]) -> SessionTable:
        """The table of a run's sessions record: itself, or hand-made rows (RowColumns) coded.

        A time that is nan is coded as ``NO_TIME``, so every missed session of one kind shares its key.
        """
        if isinstance(rows, SessionTable):
            return rows
        columns = rows.columns()
        codes: dict[SessionKey, int] = {}
        key = [
            codes.setdefault(tuple(NO_TIME if value != value else value for value in found), len(codes))
            for found in zip(*(columns[name] for name in KEY_FIELDS), strict=True)
        ]
        patients = [tuple(members) for members in columns["patients"]]
        return cls(columns["day"], key, patients, list(codes))

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        return f"SessionTable({self.size} rows, {len(self.keys)} keys)"

    def key_values(self, name: str) -> list[Any]:
        """One key field of each distinct key, in code order."""
        try:
            position = _POSITION[name]
        except KeyError:
            raise KeyError(f"{name!r} is not a key field; key fields: {', '.join(KEY_FIELDS)}") from None
        return [key[position] for key in self.keys]

    def key_array(self, name: str, dtype: str = "float") -> np.ndarray:
        """One numeric key field of each distinct key as an array (made once; index it with ``key``)."""
        found = self._per_key.get((name, dtype))
        if found is None:
            found = self._per_key[(name, dtype)] = np.array(self.key_values(name), dtype=np.dtype(dtype))
        return found

    def values(self, name: str) -> list[Any]:
        """One field of every row as Python objects (patients as tuples), as a row would hold it."""
        if name == "day":
            day: list[Any] = self.day.tolist()
            return day
        if name == "patients":
            return [tuple(members) for members in self.patients]
        table = np.empty(len(self.keys), dtype=object)
        table[:] = self.key_values(name)
        found: list[Any] = table[self.key].tolist()
        return found

    def array(self, name: str, dtype: str = "float") -> np.ndarray:
        """One numeric field of every row as an array (``float``: a missed session's times are nan)."""
        found: np.ndarray = (
            self.day.astype(np.dtype(dtype), copy=False)
            if name == "day"
            else self.key_array(name, dtype)[self.key]
        )
        return found

    def codes(self, name: str, labels: Sequence[str]) -> np.ndarray:
        """A text field of every row as positions in ``labels``; -1 for a value not listed."""
        position = {label: index for index, label in enumerate(labels)}
        per_key = np.array([position.get(value, -1) for value in self.key_values(name)], dtype=np.intp)
        found: np.ndarray = per_key[self.key]
        return found

    def patient_ids(self) -> tuple[np.ndarray, np.ndarray]:
        """Every (row, episode id) pair of the rows' patients, in row order then as listed: (rows, ids)."""
        if self._flat is None:
            sizes = np.fromiter(map(len, self.patients), dtype=np.intp, count=self.size)
            total = int(sizes.sum())
            ids = np.fromiter(chain.from_iterable(self.patients), dtype=np.int64, count=total)
            self._flat = (np.repeat(np.arange(self.size), sizes), ids)
        return self._flat

    def sizes(self) -> np.ndarray:
        """Each row's number of patients (intp): as given flat (``from_flat``), else counted."""
        if self._sizes is None:
            rows, _ = self.patient_ids()
            self._sizes = np.bincount(rows, minlength=self.size).astype(np.intp, copy=False)
        return self._sizes

    def columns(self) -> dict[str, list[Any]]:
        """Field name -> its values in row order (decoded: for tests and notebooks)."""
        return {name: self.values(name) for name in SESSION_FIELDS}

    def rows(self) -> list[SessionRow]:
        """Every row as an object (tests and notebooks; the run itself never makes them)."""
        return [SessionRow(*row) for row in zip(*self.columns().values(), strict=True)]

    def __getitem__(self, index: int) -> SessionRow:
        key = self.keys[int(self.key[index])]
        return SessionRow(*(int(self.day[index]), *key[:-2], tuple(self.patients[index]), *key[-2:]))

    def __iter__(self) -> Iterator[SessionRow]:
        return iter(self.rows())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SessionTable):
            return NotImplemented
        return self.rows() == other.rows()

    __hash__ = None  # type: ignore[assignment]


def positions_within(sizes: np.ndarray) -> np.ndarray:
    """For consecutive pieces of ``sizes``, each element's position within its piece (0 to size - 1 of
    each piece in turn): with ``np.repeat(first, sizes)``, the index of every element of ragged pieces."""
    within: np.ndarray = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    return within
