"""Distinct int keys and each row's group, by one sort: what ``np.unique`` gives, for the results' keys.

Billing, the KPIs and the periods group rows by int keys built from a few
columns (episode and week, day and person, period and patient): tens of
thousands of keys per run. numpy 2's ``np.unique`` finds the distinct values
of such an array by hashing and then sorts them, and with ``return_inverse``
sorts without the stable order's run detection; one stable ``argsort`` and a
comparison of neighbours give the same arrays in a fraction of the time
(measured in benchmarks/README.md). Only for ints: ``np.unique`` counts
every nan as one value, a comparison of neighbours would not.
"""

from __future__ import annotations

import numpy as np


def distinct(keys: np.ndarray) -> np.ndarray:
    """``np.unique(keys)``: the distinct ints, sorted."""
    ordered = np.sort(keys)
    kept: np.ndarray = ordered[_starts(ordered)]
    return kept


def distinct_rows(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``np.unique(keys, return_index=True, return_inverse=True)``: the distinct ints, sorted; the row
    of each one's first occurrence; and per row, the position of its key among the distinct ones."""
    order = np.argsort(keys, kind="stable")  # equal keys keep their row order: the first comes first
    ordered = keys[order]
    starts = _starts(ordered)
    inverse = np.empty(keys.size, dtype=np.intp)
    inverse[order] = np.cumsum(starts) - 1
    return ordered[starts], order[starts], inverse


def _starts(ordered: np.ndarray) -> np.ndarray:
    """Where each run of equal values of a sorted array begins (a boolean mask)."""
    starts = np.ones(ordered.size, dtype=bool)
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    return starts
