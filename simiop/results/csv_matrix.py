"""CSV fields laid out as byte matrices: a table's text with no Python string per field.

A table of a 3-year run is 100,000-odd fields (staff.csv alone 4,380 rows of
15). Formatted one Python string each and joined row by row, the strings were
most of the time the tables took, even with every repeated value formatted
once. Here a column is a *field matrix*: a ``uint8`` array of one row per
table row holding that field's UTF-8 bytes, padded to the column's width with
``PAD``, a byte that never occurs in UTF-8 (0xFF). A table is its columns
side by side with a column of commas between them and line breaks at the end
(``render``); dropping every ``PAD`` byte of the whole matrix and decoding
it once gives the text, byte for byte what the one-string-per-field path
wrote. So any text can be laid out (a NUL or a line break too), and the
column functions need not agree on where the padding goes.

The columns are made by numpy: ints and fixed-point numbers as digit
columns (``ints``, ``whole_dot_fraction``, ``fixed``), text by looking each
row's code up in a small matrix of the distinct texts (``table`` and
``looked_up``); only what numpy cannot format exactly is formatted by
Python (``fixed`` hands it ties, negatives and huge values) and laid out
with the rest. simiop/results/tables.py builds its tables from these;
``texts`` turns a field matrix back into one string per row (tests, and
the list-returning helpers there).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np

PAD = 0xFF
"""The padding byte: never part of UTF-8 text, so dropping it leaves the fields' bytes exactly."""
_PAD_BYTE = bytes([PAD])
_ZERO = ord("0")
_COMMA = ord(",")
_LINE_BREAK = ord("\n")


def blank(rows: int) -> np.ndarray:
    """A column of ``rows`` empty fields (width 0)."""
    return np.zeros((rows, 0), dtype=np.uint8)


def table(texts: Sequence[str]) -> np.ndarray:
    """The field matrix of ``texts``, one row each (a lookup table for ``looked_up``, or a column)."""
    encoded = [text.encode("utf-8") for text in texts]
    width = max(map(len, encoded), default=0)
    if not width:
        return blank(len(encoded))
    flat = bytearray(b"".join([data.ljust(width, _PAD_BYTE) for data in encoded]))  # writable
    return np.frombuffer(flat, dtype=np.uint8).reshape(len(encoded), width)


def looked_up(texts: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Row i is ``texts[codes[i]]``: a column of few distinct texts (``texts`` from ``table``)."""
    found: np.ndarray = np.take(texts, codes, axis=0)
    return found


def _digits(whole: np.ndarray, width: int, out: np.ndarray, *, leading_zeros: bool = False) -> None:
    """Write each non-negative int's decimal digits into ``out`` (rows x ``width``), right-aligned,
    leading zeros as PAD (the last digit always shows, so 0 is "0") unless ``leading_zeros``."""
    for column in range(width):  # one scalar divisor at a time: numpy divides by a scalar fast
        power = 10 ** (width - 1 - column)
        digit = (whole // power % 10 + _ZERO).astype(np.uint8)
        if power > 1 and not leading_zeros:
            digit[whole < power] = PAD
        out[:, column] = digit


_LOOKED_UP_WIDTH = 4
"""Ints below 10**this have their digits looked up in a table (``_digit_table``) rather than worked
out: a table of 10**4 rows is made in 0.2 ms once per process, one of 10**5 took 6 ms."""


@cache
def _digit_table(width: int, *, leading_zeros: bool = False) -> np.ndarray:
    """The digits of 0 .. 10**width - 1 (rows), right-aligned in ``width`` columns, made once: a column's
    digits are then one ``take`` from it rather than two divisions per digit."""
    every = np.arange(10**width, dtype=np.int64)
    found = np.empty((every.size, width), dtype=np.uint8)
    _digits(every, width, found, leading_zeros=leading_zeros)
    found.flags.writeable = False
    return found


def _laid_out(whole: np.ndarray, width: int) -> np.ndarray:
    """``_digits`` of non-negative ints whose largest has ``width`` digits, as a new field matrix."""
    if width <= _LOOKED_UP_WIDTH:
        return np.take(_digit_table(_LOOKED_UP_WIDTH), whole, axis=0)[:, _LOOKED_UP_WIDTH - width :]
    out = np.empty((whole.size, width), dtype=np.uint8)
    _digits(whole, width, out)
    return out


def ints(values: np.ndarray) -> np.ndarray:
    """``str(value)`` of each int of an int array; a negative value makes Python format the column."""
    if not values.size:
        return blank(0)
    if int(values.min()) < 0:
        return table(list(map(str, values.tolist())))
    return _laid_out(values, len(str(int(values.max()))))


def whole_dot_fraction(whole: np.ndarray, fraction: np.ndarray, places: int) -> np.ndarray:
    """``"%d.%0<places>d" % (whole, fraction)`` of each pair (ints, 0 <= fraction < 10**places).

    A negative whole part (never a day of a run) makes Python format the column.
    """
    if not whole.size or int(whole.min()) < 0:
        pattern = f"%d.%0{places}d"
        return table([pattern % pair for pair in zip(whole.tolist(), fraction.tolist(), strict=True)])
    dot = np.full((whole.size, 1), ord("."), dtype=np.uint8)
    decimals = np.take(_digit_table(places, leading_zeros=True), fraction, axis=0)
    return np.concatenate((_laid_out(whole, len(str(int(whole.max())))), dot, decimals), axis=1)


_EXACT_BELOW = 2.0**31
"""Values below this, scaled by 10**places (<= 4), keep their rounding error far below the margin."""
_TIE_MARGIN = 1e-6
"""How far from a half the scaled value must be for numpy's rounding to be Python's (see ``fixed``)."""


def fixed(values: np.ndarray, places: int, empty: np.ndarray | None = None) -> np.ndarray:
    """Each float as ``f"{value:.<places>f}"`` prints it, an empty field where ``empty`` is True.

    Python rounds the exact binary value to ``places`` decimals. numpy's
    ``value * 10**places`` is off by at most one unit in the last place
    (< 1e-6 below 2**31 / 10**places), so its nearest integer is Python's
    rounding unless the scaled value is within ``_TIE_MARGIN`` of a half;
    those values, negative ones (and -0.0), very large ones, inf and nan
    (not marked empty) are formatted by Python.
    """
    scale = 10**places
    scaled = values * scale
    python = np.signbit(values) | ~(np.abs(scaled) < _EXACT_BELOW)
    with np.errstate(invalid="ignore"):  # inf - inf: nan, not near a half, and Python's already
        python |= np.abs(np.abs(scaled - np.floor(scaled)) - 0.5) <= _TIE_MARGIN
    if empty is not None:
        python &= ~empty
        exact = ~(python | empty)
    else:
        exact = ~python
    whole = np.rint(scaled[exact]).astype(np.int64)
    numpy_made = whole_dot_fraction(whole // scale, whole % scale, places)
    if exact.all():
        return numpy_made
    pattern = f"{{:.{places}f}}".format
    python_made = table([pattern(value) for value in values[python].tolist()])
    out = np.full((values.size, max(numpy_made.shape[1], python_made.shape[1])), PAD, dtype=np.uint8)
    out[exact, : numpy_made.shape[1]] = numpy_made
    out[python, : python_made.shape[1]] = python_made
    return out


def emptied(field: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``field`` with the fields of ``rows`` (a boolean mask) made empty (in place; returned)."""
    field[rows] = PAD
    return field


def render(header: str, columns: Sequence[np.ndarray]) -> str:
    """``header`` (a CSV line with its line break) and the rows of ``columns`` (field matrices of one
    length, at least one), each row's fields joined by commas and ended by a line break."""
    rows = columns[0].shape[0]
    comma = np.full((rows, 1), _COMMA, dtype=np.uint8)
    pieces: list[np.ndarray] = []
    for column in columns:
        pieces += [column, comma]
    pieces[-1] = np.full((rows, 1), _LINE_BREAK, dtype=np.uint8)
    return header + decoded(np.concatenate(pieces, axis=1))


def decoded(field: np.ndarray) -> str:
    """The text of a field matrix's bytes in row order, its padding dropped (decoded once, as UTF-8).

    (``np.compress`` of the same mask measured faster alone but 1.6 ms a cell slower inside a cell.)
    """
    flat = field.ravel()
    return str(flat[flat != PAD], "utf-8")  # decoded from the array's buffer: no bytes copy in between


def texts(field: np.ndarray) -> list[str]:
    """Each row of a field matrix as its text (the inverse of ``table``)."""
    if not field.shape[0]:
        return []
    ends = np.cumsum(np.count_nonzero(field != PAD, axis=1)).tolist()
    data = field[field != PAD].tobytes()
    return [data[start:end].decode("utf-8") for start, end in zip([0, *ends[:-1]], ends, strict=True)]
