"""Distinct int keys by one sort (simiop/results/grouping.py) are np.unique's, array for array."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from simiop.results.grouping import distinct, distinct_pairs, distinct_rows


@given(st.lists(st.integers(-(2**40), 2**40) | st.integers(0, 5), max_size=80))
def test_distinct_is_np_unique(values: list[int]) -> None:
    keys = np.array(values, dtype=np.int64)
    assert np.array_equal(distinct(keys), np.unique(keys))


@given(st.lists(st.integers(0, 12), max_size=80))
def test_distinct_rows_are_np_uniques_first_rows_and_inverse(values: list[int]) -> None:
    """Repeats everywhere: the first occurrence of each key is its earliest row, as np.unique's index."""
    keys = np.array(values, dtype=np.int64)
    found, first, inverse = distinct_rows(keys)
    expected = np.unique(keys, return_index=True, return_inverse=True)
    for mine, theirs in zip((found, first, inverse), expected, strict=True):
        assert np.array_equal(mine, theirs.reshape(-1))
    assert np.array_equal(found[inverse], keys)


@given(
    st.lists(
        st.tuples(st.integers(0, 9) | st.integers(60_000, 70_000), st.integers(0, 6)), min_size=1, max_size=80
    ),
    st.booleans(),
)
def test_distinct_pairs_are_np_uniques_of_their_keys(pairs: list[tuple[int, int]], in_order: bool) -> None:
    """Pairs whose minor never decreases (the radix path, or the sorted keys once a major passes 16 bits)
    and in any order (the keys sorted): np.unique's arrays of major * (minor.max() + 1) + minor."""
    if in_order:
        pairs = [(major, minor) for (major, _), minor in zip(pairs, sorted(p[1] for p in pairs), strict=True)]
    major = np.array([p[0] for p in pairs], dtype=np.int64)
    minor = np.array([p[1] for p in pairs], dtype=np.int64)
    keys = major * (int(minor.max()) + 1) + minor
    expected = np.unique(keys, return_index=True, return_inverse=True)
    for mine, theirs in zip(distinct_pairs(major, minor), expected, strict=True):
        assert np.array_equal(mine, theirs.reshape(-1))
