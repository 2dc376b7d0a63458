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
    return _by_order(keys, np.argsort(keys, kind="stable"))  # equal keys keep their row order


def distinct_pairs(major: np.ndarray, minor: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``distinct_rows(major * (minor.max() + 1) + minor)`` of int pairs (``minor`` >= 0, rows >= 1).

    When ``minor`` never decreases from row to row (the week of patient-days
    in day order), the keys of one ``major`` (an episode) come in row order
    already, so one stable sort of ``major`` alone puts every key in order,
    equal keys in row order: the stable sort of the keys, found by numpy's
    radix sort when ``major`` fits in 16 bits (0.06 against 0.25 ms for the
    14,649 patient-days of a 3-year baseline run). Otherwise the keys are
    sorted as ``distinct_rows`` does.
    """
    keys = major * (int(minor.max()) + 1) + minor
    return _by_order(keys, pairs_order(major, minor, keys))


def pairs_order(major: np.ndarray, minor: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """The stable ``argsort`` of ``keys``, which are ``major * (minor.max() + 1) + minor`` (rows >= 1):
    by one radix sort of ``major`` alone when ``minor`` never decreases from row to row and ``major``
    fits in 16 bits (see ``distinct_pairs``), else by sorting the keys."""
    if (
        major.min() >= 0
        and major.max() < 1 << 16
        and minor.min() >= 0
        and bool(np.all(minor[1:] >= minor[:-1]))
    ):
        return np.argsort(major.astype(np.uint16), kind="stable")
    return np.argsort(keys, kind="stable")


def _by_order(keys: np.ndarray, order: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``distinct_rows``' arrays from ``order``, the stable sort of ``keys``."""
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
