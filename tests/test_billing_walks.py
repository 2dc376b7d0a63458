"""Billing's patient-weeks and deductibles against the plain loops they replace."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from simiop.billing import _week_hours
from simiop.config import SimiopConfig
from simiop.results.columns import RunColumns


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


def _plain_deductibles(
    config: SimiopConfig, columns: RunColumns, code: np.ndarray, charges: np.ndarray
) -> np.ndarray:
    """The walk over every due day in order with a running total per (patient, payer, year)."""
    import datetime as dt

    yearly = [payer.deductible_usd_per_year for payer in config.money.payers.values()]
    deductible = np.zeros(charges.size)
    day = columns.patient_days.array("day", "int")
    patient = columns.episodes.array("patient_id", "int")[columns.episode_of_day]
    paid: dict[tuple[int, int, int], float] = {}
    for row in range(charges.size):
        payer = int(code[row])
        if not (yearly[payer] > 0 and charges[row] > 0):
            continue
        year = (config.clinic.opening_date + dt.timedelta(days=int(day[row]))).year
        key = (int(patient[row]), payer, year)
        so_far = paid.get(key, 0.0)
        left = yearly[payer] - so_far
        if left <= 0.0:
            continue
        part = min(float(charges[row]), max(0.0, left))
        paid[key] = so_far + part
        deductible[row] = part
    return deductible


def test_deductibles_walked_per_patient_year_are_the_walk_over_every_day() -> None:
    """Charges of every size (a third of the days free, some exactly a deductible's rest), over a year
    end: each (patient, payer, year)'s walk stopped once met gives the one walk's parts to the bit."""
    from simiop.billing import _deductibles, bill
    from simiop.config import load_config
    from simiop.model import simulate
    from tests.conftest import BASELINE

    config = load_config(BASELINE, ["simulation.horizon_days=400", "clinic.opening_date=2027-09-01"])
    run = bill(config, simulate(config, 3, 0))
    rng = np.random.default_rng(4)
    size = run.days.charges_usd.size
    assert size > 500
    for charges in (
        run.days.charges_usd,
        rng.choice([0.0, 0.1, 0.2, 150.0, 333.33, 1e4], size=size) * rng.integers(0, 3, size=size),
    ):
        fast = _deductibles(config, run.columns, run.payer_of_day, charges)
        assert fast.tobytes() == _plain_deductibles(config, run.columns, run.payer_of_day, charges).tobytes()
        assert fast.any()
