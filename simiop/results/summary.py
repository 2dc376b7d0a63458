"""Across-replication tables: every KPI of every cell, its summary per scenario, and paired comparisons.

They are always built from the cells' kpis.csv files on disk, in scenario and
replication order, so a resumed experiment and an uninterrupted one, or runs
on one worker and on many, give byte-identical tables.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from simiop.results.directions import verdict
from simiop.results.kinds import clip_to_possible
from simiop.results.stats import Summary, paired_difference, summarise
from simiop.results.tables import to_csv

INTERVAL_COLUMNS = (
    "n",
    "mean",
    "sd",
    "ci95_low",
    "ci95_high",
    "outcome95_low",
    "outcome95_high",
    "clipped",
    "flags",
)
"""A summary's columns in summary.csv and projections.csv. The first five are those of older
versions, in the same places, so readers that know only those still work."""
SUMMARY_COLUMNS = ("scenario", "kpi", *INTERVAL_COLUMNS)
COMPARISON_COLUMNS = (
    "scenario",
    "compared_with",
    "kpi",
    "n_pairs",
    "compared_with_mean",
    "scenario_mean",
    "difference_mean",
    "difference_sd",
    "ci95_low",
    "ci95_high",
    "difference_percent",
    "direction",
    "verdict",
)


@dataclass
class ScenarioKpis:
    """One scenario's KPI values, replication by replication (text as written, and as numbers)."""

    name: str
    replications: list[int] = field(default_factory=list)
    text: dict[str, list[str]] = field(default_factory=dict)

    def values(self, kpi: str) -> list[float]:
        return [float(value) for value in self.text.get(kpi, [])]


def read_cell_kpis(path: Path, scenario: ScenarioKpis, replication: int) -> None:
    """Append one cell's kpis.csv to its scenario; a KPI missing from the cell reads as NaN."""
    with path.open(encoding="utf-8", newline="") as handle:
        lines = csv.reader(handle)
        header = next(lines, [])
        named, valued = header.index("kpi"), header.index("value")
        rows = {row[named]: row[valued] if len(row) > valued else "" for row in lines if row}
    count = len(scenario.replications)
    for kpi in rows:
        scenario.text.setdefault(kpi, ["nan"] * count)
    for kpi, column in scenario.text.items():
        column.append(rows.get(kpi, "nan"))
    scenario.replications.append(replication)


def _number(value: float) -> str:
    return f"{value:.10g}"


def interval_cells(summary: Summary) -> list[object]:
    """A summary as the INTERVAL_COLUMNS cells: numbers to 10 significant digits, lists joined by ';'."""
    numbers = (
        summary.mean,
        summary.sd,
        summary.ci95_low,
        summary.ci95_high,
        summary.outcome95_low,
        summary.outcome95_high,
    )
    return [summary.n, *(_number(v) for v in numbers), ";".join(summary.clipped), ";".join(summary.flags)]


def kpi_summary(kpi: str, values: Iterable[float]) -> Summary:
    """One KPI's (or period metric's) summary across replications, bounds clipped to its possible values."""
    return clip_to_possible(kpi, summarise(values))


def kpis_table(scenarios: Sequence[ScenarioKpis]) -> str:
    """Long table: scenario, replication, kpi, value."""
    return to_csv(
        ["scenario", "replication", "kpi", "value"],
        (
            [s.name, replication, kpi, column[i]]
            for s in scenarios
            for i, replication in enumerate(s.replications)
            for kpi, column in s.text.items()
        ),
    )


def summary_table(scenarios: Iterable[ScenarioKpis]) -> str:
    """Per scenario and KPI: n (finite values), mean, sd, the 95% CI of the mean, the 95% outcome range,
    which bounds were clipped to possible values, and flags."""
    return to_csv(
        SUMMARY_COLUMNS,
        (
            [s.name, kpi, *interval_cells(kpi_summary(kpi, s.values(kpi)))]
            for s in scenarios
            for kpi in s.text
        ),
    )


def direction(difference: Summary) -> str:
    """'higher' or 'lower' when the paired 95% CI excludes zero, 'unclear' when it spans it,
    'same' when every pair is equal (common random numbers and an unchanged KPI)."""
    if difference.n < 2 or math.isnan(difference.ci95_low):
        return ""
    if difference.ci95_low == difference.ci95_high == 0.0:
        return "same"
    if difference.ci95_low > 0:
        return "higher"
    if difference.ci95_high < 0:
        return "lower"
    return "unclear"


def comparison_table(scenarios: Sequence[ScenarioKpis], compared_with: str) -> str:
    """Each scenario's KPIs against ``compared_with``, replication by replication (common random numbers)."""
    base = next(s for s in scenarios if s.name == compared_with)
    rows = []
    for scenario in scenarios:
        if scenario.name == compared_with:
            continue
        if scenario.replications != base.replications:
            raise ValueError(f"{scenario.name} and {compared_with} have different replications")
        for kpi in scenario.text:
            if kpi not in base.text:
                continue
            before, after = base.values(kpi), scenario.values(kpi)
            difference = paired_difference(before, after)
            moved = direction(difference)
            base_mean, scenario_mean = summarise(before).mean, summarise(after).mean
            percent = 100.0 * difference.mean / abs(base_mean) if base_mean else math.nan
            rows.append(
                [
                    scenario.name,
                    compared_with,
                    kpi,
                    difference.n,
                    _number(base_mean),
                    _number(scenario_mean),
                    _number(difference.mean),
                    _number(difference.sd),
                    _number(difference.ci95_low),
                    _number(difference.ci95_high),
                    _number(percent),
                    moved,
                    verdict(kpi, moved),
                ]
            )
    return to_csv(COMPARISON_COLUMNS, rows)
