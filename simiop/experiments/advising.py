"""How many replications, and how long a warm-up? Run replications until the answer is known.

Replications are run in rounds on the executor; the answer depends only on
the KPI values in replication order (each a pure function of seed and
replication), so it does not depend on the number of workers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from simiop.config import SimiopConfig
from simiop.experiments.advice import Warmup, mser_warmup, replications_needed
from simiop.experiments.executors import Executor


@dataclass(frozen=True)
class AdviceTask:
    config: SimiopConfig
    seed: int
    replication: int


@dataclass(frozen=True)
class AdviceCell:
    """A replication's KPIs and its daily census (all tracks), the warm-up series."""

    replication: int
    kpis: dict[str, float]
    census: tuple[float, ...]


def run_advice_cell(task: AdviceTask) -> AdviceCell:
    from simiop.billing import bill
    from simiop.model import simulate
    from simiop.results.kpis import compute_kpis

    records = simulate(task.config, task.seed, task.replication)
    days = int(np.ceil(task.config.simulation.horizon_days))
    census = np.zeros(days)
    for row in records.track_days:
        if row.day < days:
            census[row.day] += row.census
    kpis = compute_kpis(task.config, bill(task.config, records))
    return AdviceCell(task.replication, kpis, tuple(census.tolist()))


@dataclass(frozen=True)
class Advice:
    kpi: str
    precision: float
    values: list[float]
    """The KPI in replication order, every replication run."""
    needed: int | None
    """Replications for the precision (None: not reached within the maximum)."""
    census: np.ndarray
    """Daily census, shape (replications, days)."""
    warmup: Warmup | None
    """MSER-5 on the mean daily census (None: the run is too short for two batches)."""
    min_replications: int = 3
    max_replications: int = 200
    look_ahead: int = 5

    @property
    def needed_is_the_minimum(self) -> bool:
        """The answer is the fewest replications the search tries, so fewer may do as well."""
        return self.needed is not None and self.needed == self.min_replications

    @property
    def finite_values(self) -> int:
        """Replications in which the KPI has a value (it can be undefined in a short run)."""
        return int(np.isfinite(np.asarray(self.values, dtype=float)).sum())


class UnknownKpiError(ValueError):
    def __init__(self, kpi: str, known: list[str]) -> None:
        super().__init__(kpi)
        self.known = known


def advise(
    config: SimiopConfig,
    kpi: str,
    precision: float,
    executor: Executor,
    *,
    seed: int,
    min_replications: int = 3,
    max_replications: int = 200,
    look_ahead: int = 5,
    progress: Callable[[int, int], None] | None = None,
) -> Advice:
    """Run replications until ``kpi``'s relative 95% CI half-width stays within ``precision``.

    The confidence-interval method with a look-ahead (Hoad, Robinson & Davies
    2010): the half-width must stay within the precision for ``look_ahead``
    more replications, so a lucky early dip does not end the search.
    """
    cells: dict[int, AdviceCell] = {}
    needed: int | None = None
    batch = max(2 * executor.workers, min_replications + look_ahead)
    while needed is None and len(cells) < max_replications:
        start = len(cells)
        tasks = [AdviceTask(config, seed, r) for r in range(start, min(start + batch, max_replications))]
        for cell in executor.map_unordered(run_advice_cell, tasks):
            if kpi not in cell.kpis:
                raise UnknownKpiError(kpi, list(cell.kpis))
            cells[cell.replication] = cell
            if progress is not None:
                progress(len(cells), max_replications)
        values = [cells[r].kpis[kpi] for r in range(len(cells))]
        needed = replications_needed(values, precision, look_ahead, min_replications)
        batch = max(2 * executor.workers, look_ahead)
    census = np.array([cells[r].census for r in range(len(cells))])
    warmup = mser_warmup(census.mean(axis=0))
    return Advice(
        kpi, precision, values, needed, census, warmup, min_replications, max_replications, look_ahead
    )
