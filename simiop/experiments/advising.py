"""How many replications, and how long a warm-up? Run replications until the answer is known.

Replications are run in rounds on the executor, through the in-memory
evaluation (``evaluate.py``); the answer depends only on the KPI values in
replication order (each a pure function of seed and replication), so it does
not depend on the number of workers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from simiop.config import SimiopConfig
from simiop.experiments.advice import Warmup, mser_warmup, replications_needed
from simiop.experiments.evaluate import UnknownKpiError, evaluate
from simiop.experiments.executors import Executor


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
    values: list[float] = []
    censuses: list[np.ndarray] = []
    needed: int | None = None
    batch = max(2 * executor.workers, min_replications + look_ahead)
    while needed is None and len(values) < max_replications:
        start = len(values)

        def done(count: int, _total: int, start: int = start) -> None:
            if progress is not None:
                progress(start + count, max_replications)

        evaluation = evaluate(
            {"base": config},
            range(start, min(start + batch, max_replications)),
            seed,
            executor,
            kpis=[kpi],
            daily_census=True,
            progress=done,
        )
        values.extend(evaluation.values[0, :, 0].tolist())
        assert evaluation.census is not None  # asked for with daily_census=True
        censuses.append(evaluation.census[0])
        needed = replications_needed(values, precision, look_ahead, min_replications)
        batch = max(2 * executor.workers, look_ahead)
    census = np.concatenate(censuses)
    warmup = mser_warmup(census.mean(axis=0))
    return Advice(
        kpi, precision, values, needed, census, warmup, min_replications, max_replications, look_ahead
    )


__all__ = ["Advice", "UnknownKpiError", "advise"]
