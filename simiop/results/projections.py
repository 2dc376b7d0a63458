"""Grant projections: each period's metrics across replications: mean, 95% CI and 95% outcome range.

Built from every cell's periods.csv on disk, in scenario and replication
order, like the other across-replication tables, so the bytes do not depend
on the number of workers or on resumption. A cost per completed episode is a
ratio per replication; replications without a completion in the period are
left out of its n rather than counted as zero.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from simiop.results.periods import PERIOD_COLUMNS
from simiop.results.stats import Summary
from simiop.results.summary import INTERVAL_COLUMNS, interval_cells, kpi_summary
from simiop.results.tables import to_csv

PERIODS = "periods.csv"
PROJECTIONS = "projections.csv"
PERIOD_FACTS = (*PERIOD_COLUMNS, "partial")
"""projections.csv's columns about a period itself (not about a metric in it)."""

PROJECTION_COLUMNS = ("scenario", *PERIOD_FACTS, "metric", *INTERVAL_COLUMNS)
"""``partial`` is 1 for a period the run covers only part of (the clinic opened, or the run ended, inside
it: ``days`` says how many of its days), else 0; a partial year's totals are not a year's."""


def is_partial(start_date: str, end_date: str, days: str | int) -> bool:
    """Whether the run covers fewer days of the period than it has (periods.csv's dates are the whole
    period's, ``days`` the ones inside the run)."""
    length = (dt.date.fromisoformat(end_date) - dt.date.fromisoformat(start_date)).days + 1
    return int(days) < length


@dataclass
class ScenarioPeriods:
    """One scenario's period metrics: (period columns) -> metric -> one value per replication."""

    name: str
    values: dict[tuple[str, ...], dict[str, list[float]]] = field(default_factory=dict)

    def add_cell(self, path: Path) -> None:
        """Append one cell's periods.csv: each metric's value (empty as NaN) to its period's list.

        Read as plain rows (``csv.reader``), not as a dict per row: a run of
        100 cells reads 5,500 rows here, in the parent, after the workers
        are done. A short row's missing fields read as NaN; blank lines are skipped.
        """
        with path.open(encoding="utf-8", newline="") as handle:
            rows = csv.reader(handle)
            header = next(rows, None)
            if header is None:
                return
            positions = [header.index(column) for column in PERIOD_COLUMNS]
            named = [(position, name) for position, name in enumerate(header) if position not in positions]
            nan = float("nan")
            for row in rows:
                if not row:
                    continue
                row.extend([""] * (len(header) - len(row)))
                key = tuple(row[position] for position in positions)
                metrics = self.values.setdefault(key, {})
                for position, metric in named:
                    text = row[position]
                    metrics.setdefault(metric, []).append(float(text) if text else nan)

    def summaries(self) -> Iterable[tuple[tuple[str, ...], str, Summary]]:
        for key, metrics in self.values.items():
            for metric, values in metrics.items():
                yield key, metric, kpi_summary(metric, values)


def read_periods(cells: Iterable[tuple[str, Path]]) -> list[ScenarioPeriods]:
    """(scenario, cell folder) in plan order -> each scenario's periods, scenarios in first-seen order."""
    scenarios: dict[str, ScenarioPeriods] = {}
    for name, folder in cells:
        scenarios.setdefault(name, ScenarioPeriods(name)).add_cell(folder / PERIODS)
    return list(scenarios.values())


ProjectionLine = tuple[tuple[str, ...], str, Summary]
"""(period columns, metric, summary across replications): one row of projections.csv after its scenario."""


def projections_table(
    scenarios: Iterable[ScenarioPeriods], extra: Mapping[str, Iterable[ProjectionLine]] | None = None
) -> str:
    """Long table: scenario, period (marked partial or not), metric, then a summary across replications as
    in summary.csv. ``extra``: more rows of each scenario, after its periods' metrics (the grant budget's
    lines, simiop.results.budget.projection_lines)."""
    more = extra or {}
    return to_csv(
        PROJECTION_COLUMNS,
        (
            [scenario.name, *key, int(is_partial(*key[2:5])), metric, *interval_cells(summary)]
            for scenario in scenarios
            for key, metric, summary in itertools.chain(scenario.summaries(), more.get(scenario.name, ()))
        ),
    )
