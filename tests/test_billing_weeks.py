"""Billing's patient-weeks (first row, hours added in row order, each row's week) against a plain loop."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from simiop.billing import _week_hours


@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 9), st.floats(0.0, 12.0)), max_size=60))
def test_patient_weeks_are_a_plain_loops(rows: list[tuple[int, int, float]]) -> None:
    episode = np.array([row[0] for row in rows], dtype=np.intp)
    week = np.array([row[1] for row in rows], dtype=np.int64)
    hours = np.array([row[2] for row in rows], dtype=float)
    first, summed, week_of_day = _week_hours(episode, week, hours)
    plain: dict[tuple[int, int], list[float | int]] = {}
    for position, (person, number, spent) in enumerate(rows):
        found = plain.setdefault((person, number), [position, 0.0])
        found[1] += spent
    keys = sorted(plain)
    assert first.tolist() == [plain[key][0] for key in keys]
    assert summed.tobytes() == np.array([plain[key][1] for key in keys], dtype=float).tobytes()
    assert week_of_day.tolist() == [keys.index((person, number)) for person, number, _ in rows]
