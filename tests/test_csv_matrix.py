"""Field matrices (simiop/results/csv_matrix.py): each column laid out by numpy prints as Python printed
each value, and a table of them is what csv.writer wrote row by row."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from simiop.results import csv_matrix as matrix
from simiop.results.tables import _plain_field, csv_field


@given(st.lists(st.text(), max_size=30))
def test_any_text_comes_back_from_its_table(values: list[str]) -> None:
    """NUL, line breaks, accents and emoji: the padding byte is none of UTF-8's, so nothing is lost."""
    assert matrix.texts(matrix.table(values)) == values


@given(st.lists(st.integers(0, 10**12), max_size=40) | st.lists(st.integers(-(10**6), 10**6), max_size=40))
def test_ints_print_as_str(values: list[int]) -> None:
    """Every width, the digit table's (below 10**4) and beyond it, 0, and negatives (Python's)."""
    assert matrix.texts(matrix.ints(np.array(values, dtype=np.int64))) == list(map(str, values))


def test_ints_at_the_edges_of_the_digit_table() -> None:
    values = [0, 9, 10, 9999, 10000, 99999, 100000, 1, 0]
    assert matrix.texts(matrix.ints(np.array(values, dtype=np.int64))) == list(map(str, values))
    assert matrix.ints(np.zeros(0, dtype=np.int64)).shape == (0, 0)


@given(st.lists(st.tuples(st.integers(0, 10**9), st.integers(0, 9999)), max_size=30), st.sampled_from([2, 4]))
def test_whole_dot_fraction_prints_as_the_pattern(pairs: list[tuple[int, int]], places: int) -> None:
    pairs = [(whole, fraction % 10**places) for whole, fraction in pairs]
    whole = np.array([pair[0] for pair in pairs], dtype=np.int64)
    fraction = np.array([pair[1] for pair in pairs], dtype=np.int64)
    expected = [f"%d.%0{places}d" % pair for pair in pairs]
    assert matrix.texts(matrix.whole_dot_fraction(whole, fraction, places)) == expected


@given(
    st.lists(
        st.one_of(
            st.floats(),  # nan, inf, -0.0, huge and tiny values included
            st.integers(0, 10**7).map(lambda k: k / 10**4 + 0.00005),  # a half at the fifth place
            st.integers(0, 10**7).map(lambda k: k / 100 + 0.005),
            st.sampled_from([0.0, 0.5, 3.0, 1 / 3]),
        ),
        max_size=40,
    ),
    st.sampled_from([2, 4]),
    st.booleans(),
)
def test_fixed_prints_as_pythons_format(values: list[float], places: int, nan_empty: bool) -> None:
    """Without ``empty`` a nan prints as Python prints it; with it, the marked rows are empty."""
    array = np.array(values, dtype=float)
    empty = np.isnan(array) if nan_empty else None
    expected = ["" if nan_empty and math.isnan(v) else f"{v:.{places}f}" for v in values]
    assert matrix.texts(matrix.fixed(array, places, empty)) == expected


def writer_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


@given(st.lists(st.tuples(st.text(), st.integers(0, 10**6), st.floats(0, 1e6)), max_size=20))
def test_render_writes_csv_writers_rows(rows: list[tuple[str, int, float]]) -> None:
    """Quoted text (commas, quotes, line breaks), ints and floats side by side, and no rows at all."""
    texts = [csv_field(row[0]) for row in rows]
    columns = [
        matrix.table(texts),
        matrix.ints(np.array([row[1] for row in rows], dtype=np.int64)),
        matrix.fixed(np.array([row[2] for row in rows], dtype=float), 4),
    ]
    if not rows:
        columns = [matrix.blank(0)] * 3
    expected = writer_text([[row[0], str(row[1]), f"{row[2]:.4f}"] for row in rows])
    assert matrix.render("a,b,c\n", columns) == "a,b,c\n" + expected


@given(st.lists(st.one_of(st.none(), st.integers(0, 2**40), st.integers(-5, 5)), max_size=30))
def test_optional_ints_from_their_float_array_print_as_one_by_one(values: list[int | None]) -> None:
    """An optional id (None as empty) read from its float array (None as nan), as each value printed."""
    floats = np.array([math.nan if value is None else value for value in values], dtype=float)
    expected = ["" if value is None else str(value) for value in values]
    assert matrix.texts(_plain_field(values, float_array=lambda: floats)) == expected
    assert matrix.texts(_plain_field(values)) == expected


def test_optional_ints_beyond_floats_exact_range_are_printed_by_python() -> None:
    values = [2**60 + 1, None, 3]
    floats = np.array([float(2**60 + 1), math.nan, 3.0])
    assert matrix.texts(_plain_field(values, float_array=lambda: floats)) == [str(2**60 + 1), "", "3"]


def test_render_of_empty_and_single_columns() -> None:
    """A column of width 0 (every field empty) between others, and one column alone (no comma)."""
    ints = matrix.ints(np.array([5, 60], dtype=np.int64))
    assert matrix.render("h\n", [ints, matrix.blank(2), ints]) == "h\n5,,5\n60,,60\n"
    assert matrix.render("h\n", [ints]) == "h\n5\n60\n"
    assert matrix.render("h\n", [matrix.blank(2)]) == "h\n\n\n"


@given(st.lists(st.text(), max_size=30))
def test_decoded_is_the_rows_texts_joined(values: list[str]) -> None:
    assert matrix.decoded(matrix.table(values)) == "".join(values)


def test_emptied_rows_print_nothing() -> None:
    field = matrix.ints(np.array([12, 7, 345], dtype=np.int64))
    assert matrix.texts(matrix.emptied(field, np.array([False, True, False]))) == ["12", "", "345"]
