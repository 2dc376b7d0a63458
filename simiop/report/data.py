"""A finished result folder, read back for the report: the plan, the summary tables and the cells' tables.

The report is drawn only from files on disk (never from a run in memory), so
``simiop report DIR`` on a folder copied from another machine draws exactly
what the automatic report at the end of the run drew.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from simiop.config import ConfigError, Problem
from simiop.experiments.cells import cell_dir
from simiop.experiments.manifest import COMPLETE, check_plan_kind, plan_of, read_manifest
from simiop.experiments.plan import Plan, ScenarioPlan
from simiop.experiments.runner import COMPARISON, KPIS, SUMMARY
from simiop.results.projections import PROJECTIONS, is_partial
from simiop.results.stats import Summary, read_bounds, read_flags


def read_rows(path: Path, required: tuple[str, ...] = ()) -> list[dict[str, str]]:
    """A CSV file's rows as dicts; ConfigError naming the file when its header lacks one of ``required``
    (an emptied or hand-edited file)."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        _check_header(path, reader.fieldnames or [], required)
        return list(reader)


def _check_header(path: Path, header: Sequence[str], required: tuple[str, ...]) -> None:
    missing = [name for name in required if name not in header]
    if missing:
        raise ConfigError(
            str(path), [Problem("", f"missing column(s) {', '.join(missing)}; was it written by simiop?")]
        )


def number(text: str) -> float:
    return float(text) if text not in ("", "nan") else math.nan


@dataclass(frozen=True)
class Projection:
    """One row of projections.csv: a period's metric across replications."""

    scenario: str
    kind: str
    period: str
    start_date: str
    end_date: str
    days: int
    metric: str
    summary: Summary

    @property
    def partial(self) -> bool:
        """Whether the run covers only part of the period (projections.csv ``partial``)."""
        return is_partial(self.start_date, self.end_date, self.days)

    @property
    def label(self) -> str:
        """The period's name, with "partial, N days" when the run covers only part of it."""
        return f"{self.period} (partial, {self.days} days)" if self.partial else self.period


@dataclass
class ResultFolder:
    """What the report needs from one result folder, read once."""

    out: Path
    manifest: dict[str, Any]
    plan: Plan
    summary: dict[tuple[str, str], Summary]
    """(scenario, kpi) -> across-replication summary, from summary.csv."""
    kpi_values: dict[tuple[str, str], list[float]]
    """(scenario, kpi) -> one value per replication, from kpis.csv."""
    comparison: list[dict[str, str]]
    projections: list[Projection]
    _tables: dict[tuple[str, str, tuple[str, ...]], list[dict[str, np.ndarray]]] = field(default_factory=dict)

    @property
    def base(self) -> ScenarioPlan:
        """The scenario drawn in detail: the one compared against, or the only one."""
        name = self.plan.compare_to or self.plan.scenarios[0].name
        return next(s for s in self.plan.scenarios if s.name == name)

    def has_table(self, table: str) -> bool:
        return table in self.plan.tables

    def cells(self, scenario: str, table: str, columns: Sequence[str]) -> list[dict[str, np.ndarray]]:
        """Every replication's ``table`` of ``scenario``: the named columns, numeric where possible.

        Only the columns a figure needs are parsed: a 100-replication report
        reads a few hundred thousand rows, and converting every column of
        every row cost more than drawing.
        """
        key = (scenario, table, tuple(columns))
        if key not in self._tables:
            self._tables[key] = [
                self._read(cell_dir(self.out, scenario, r) / f"{table}.csv", columns)
                for r in range(self.plan.replications)
            ]
        return self._tables[key]

    def _read(self, path: Path, columns: Sequence[str]) -> dict[str, np.ndarray]:
        """One cell's table; a file gone or unreadable since the run is one line naming it, not a crash."""
        try:
            return _columns(path, columns)
        except OSError as exc:
            name = path.relative_to(self.out).as_posix()
            reason = (exc.strerror or str(exc)).lower()
            raise ConfigError(
                str(self.out),
                [Problem("", f"{name} cannot be read ({reason}); `simiop reproduce` checks every file")],
            ) from None

    def values(self, scenario: str, kpi: str) -> np.ndarray:
        return np.array(self.kpi_values.get((scenario, kpi), []), dtype=float)

    def projection_rows(self, scenario: str, kind: str) -> Iterator[Projection]:
        return (p for p in self.projections if p.scenario == scenario and p.kind == kind)


def _columns(path: Path, wanted: Sequence[str]) -> dict[str, np.ndarray]:
    """The ``wanted`` columns of a CSV file: float arrays (empty cells NaN) or, for text, object arrays."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        positions = [header.index(name) for name in wanted]
        rows = list(reader)
    columns: dict[str, np.ndarray] = {}
    for name, position in zip(wanted, positions, strict=True):
        texts = [row[position] for row in rows]
        try:  # Python's float per cell: 40% less than numpy's conversion of a text array (issue 17)
            columns[name] = np.array([float(text) if text else math.nan for text in texts], dtype=float)
        except ValueError:
            columns[name] = np.array(texts, dtype=str).astype(object)
    return columns


def _summary(row: dict[str, str]) -> Summary:
    """A summary.csv or projections.csv row; a folder from before the outcome range reads it as NaN."""
    return Summary(
        int(row["n"]),
        number(row["mean"]),
        number(row["sd"]),
        number(row["ci95_low"]),
        number(row["ci95_high"]),
        number(row.get("outcome95_low", "")),
        number(row.get("outcome95_high", "")),
        flags=read_flags(row.get("flags", "")),
        clipped=read_bounds(row.get("clipped", "")),
    )


def _kpi_values(path: Path) -> dict[tuple[str, str], list[float]]:
    """kpis.csv as (scenario, kpi) -> one value per replication, in file order.

    Read as plain rows, not a dict per row: 100 replications are some 17,000
    rows, read at the end of every run for the terminal's lines (issue 17).
    A short row's missing value reads as NaN; blank lines are skipped. ConfigError naming the file
    when its header lacks one of those three columns (an emptied or hand-edited file).
    """
    found: dict[tuple[str, str], list[float]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        header = next(rows, [])
        _check_header(path, header, ("scenario", "kpi", "value"))
        scenario, kpi, value = (header.index(name) for name in ("scenario", "kpi", "value"))
        for row in rows:
            if row:
                found.setdefault((row[scenario], row[kpi]), []).append(
                    number(row[value]) if len(row) > value else math.nan
                )
    return found


def load(out: Path) -> ResultFolder:
    """Read a finished result folder; ConfigError naming the folder when it is not one."""
    manifest = read_manifest(out)
    check_plan_kind(out, manifest)  # before the status: an unfinished study is still not a run
    if manifest.get("status") != COMPLETE:
        raise ConfigError(
            str(out),
            [Problem("", "the run is not finished; run the same command again to finish it first")],
        )
    plan = plan_of(out, manifest)
    missing = [name for name in (SUMMARY, KPIS, PROJECTIONS) if not (out / name).is_file()]
    if missing:
        raise ConfigError(str(out), [Problem("", f"missing {', '.join(missing)}; was it written by simiop?")])
    summary_columns = ("n", "mean", "sd", "ci95_low", "ci95_high")
    try:
        summary = {
            (row["scenario"], row["kpi"]): _summary(row)
            for row in read_rows(out / SUMMARY, ("scenario", "kpi", *summary_columns))
        }
    except ValueError as error:  # a cell that is not a number: a hand-edited file
        raise ConfigError(str(out / SUMMARY), [Problem("", f"{error}; was it written by simiop?")]) from None
    kpi_values = _kpi_values(out / KPIS)
    projection_columns = ("scenario", "period_kind", "period", "start_date", "end_date", "days", "metric")
    try:
        projections = [
            Projection(
                row["scenario"],
                row["period_kind"],
                row["period"],
                row["start_date"],
                row["end_date"],
                int(row["days"]),
                row["metric"],
                _summary(row),
            )
            for row in read_rows(out / PROJECTIONS, (*projection_columns, *summary_columns))
        ]
    except ValueError as error:
        raise ConfigError(
            str(out / PROJECTIONS), [Problem("", f"{error}; was it written by simiop?")]
        ) from None
    comparison = read_rows(out / COMPARISON) if (out / COMPARISON).is_file() else []
    return ResultFolder(out, manifest, plan, summary, kpi_values, comparison, projections)
