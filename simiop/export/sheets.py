"""The sheets of the results workbook, as plain rows read from a finished result folder.

Every number is copied from the folder's CSV files (summary.csv,
projections.csv, comparison.csv, kpis.csv) or its manifest, never
recomputed, so the workbook and the folder cannot disagree. Columns are
read by name: a column a later simiop adds to a CSV file (another interval,
a flag) appears in the workbook without a change here.

The workbook is a list of sheet producers (``SHEETS``), each a function of
the folder returning a ``Sheet`` or None when it does not apply (the
Comparison sheet of a single run): a new sheet is one more producer in the
list. No spreadsheet library is imported here.
"""

from __future__ import annotations

import datetime as dt
import math
import shlex
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import simiop
from simiop.experiments.runner import KPIS, SUMMARY
from simiop.report.data import ResultFolder, load, read_rows
from simiop.results.budget import scenario_budget
from simiop.results.periods import FISCAL_YEAR, METRICS, MONTH, PROGRAMME_YEAR, QUARTER
from simiop.results.projections import PERIOD_FACTS, PROJECTIONS

Cell = str | float | int | bool | dt.date | None
"""A cell: text, a number, a yes/no, a date, or empty (an undefined value, ``nan`` in the CSV files)."""

TEXT_COLUMNS = frozenset(
    {"scenario", "kpi", "metric", "compared_with", "direction", "period_kind", "period", "better"}
)
"""CSV columns that name things: kept as text even when a name looks like a number."""

DATE_COLUMNS = frozenset({"start_date", "end_date"})
"""CSV columns holding ISO dates: written as dates, so a spreadsheet can sort and compute with them."""


@dataclass(frozen=True)
class Sheet:
    """One sheet: its rows (the first ``frozen_rows`` are its header) and what it holds, for the README sheet.

    ``frozen_columns`` columns on the left name each row (scenario, KPI, unit)
    and stay in view when scrolling right, as the header rows do when
    scrolling down.
    """

    name: str
    about: str
    rows: list[tuple[Cell, ...]]
    frozen_rows: int = 1
    frozen_columns: int = 0


@dataclass
class ExportSource:
    """A finished result folder, read once: the report's view of it and the CSV rows with every column."""

    folder: ResultFolder
    summary: list[dict[str, str]]
    projections: list[dict[str, str]]
    kpis: list[dict[str, str]]
    comparison: list[dict[str, str]]

    @property
    def manifest(self) -> dict[str, Any]:
        return self.folder.manifest


def read_source(out: Path) -> ExportSource:
    """Read a finished result folder as the report does (ConfigError naming it when it is not one)."""
    folder = load(out)
    return ExportSource(
        folder,
        read_rows(out / SUMMARY),
        read_rows(out / PROJECTIONS),
        read_rows(out / KPIS),
        folder.comparison,
    )


SheetProducer = Callable[[ExportSource], Sheet | None]


# --- cells and units -------------------------------------------------------------------------------


def cell(column: str, text: str) -> Cell:
    """A CSV cell as the workbook holds it: a number when it is one, a date, text, or empty for ``nan``."""
    if text in ("", "nan"):
        return None
    if column in TEXT_COLUMNS:
        return text
    if column in DATE_COLUMNS:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return text
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return text
    if math.isinf(value):  # a spreadsheet has no infinite number: kept as the CSV says it
        return text
    return None if math.isnan(value) else value


def unit_of(name: str) -> str:
    """The unit of a KPI or metric, read from its name's suffix (the names carry their units)."""
    if "_usd" in name:
        return "USD"
    if "percent" in name:
        return "%"
    if name.endswith(("_rate", "_share")) or name.startswith("share_") or "_share_" in name:
        return "share (0-1)"
    if "_days" in name or name.startswith("days"):
        return "days"
    if "hours" in name:
        return "hours"
    if "fte" in name:
        return "FTE"
    if name.startswith("group_size") or name == "caseload":
        return "patients"
    return "count"


def _ordered(values: Iterable[str]) -> list[str]:
    """Distinct values in first-seen order."""
    return list(dict.fromkeys(values))


def _columns(rows: Sequence[Mapping[str, str]]) -> list[str]:
    return list(rows[0]) if rows else []


# --- the sheets --------------------------------------------------------------------------------------


def _long_sheet(name: str, about: str, rows: list[dict[str, str]], key: str) -> Sheet:
    """A long CSV table as it is, with a unit column after its ``key`` column (the KPI)."""
    columns = _columns(rows)
    header: list[Cell] = []
    for column in columns:
        header.append(column)
        if column == key:
            header.append("unit")
    body: list[tuple[Cell, ...]] = []
    for row in rows:
        values: list[Cell] = []
        for column in columns:
            values.append(cell(column, row[column]))
            if column == key:
                values.append(unit_of(row[column]))
        body.append(tuple(values))
    named = columns.index(key) + 2 if key in columns else 0
    return Sheet(name, about, [tuple(header), *body], frozen_columns=named)


def summary_sheet(source: ExportSource) -> Sheet:
    return _long_sheet(
        "Summary",
        "summary.csv: every KPI of every scenario across replications (mean, sd, intervals); "
        "one row per scenario and KPI",
        source.summary,
        "kpi",
    )


def comparison_sheet(source: ExportSource) -> Sheet | None:
    if not source.comparison:
        return None
    return _long_sheet(
        "Comparison",
        "comparison.csv: each scenario against the one it is compared with, replication by "
        "replication (paired differences with their 95% confidence interval)",
        source.comparison,
        "kpi",
    )


_PERIOD_NAMES = {
    FISCAL_YEAR: ("Projections", "fiscal year"),
    QUARTER: ("Projections by quarter", "fiscal quarter"),
    MONTH: ("Projections by month", "calendar month"),
    PROGRAMME_YEAR: ("Projections by year open", "year since opening"),
}
"""Period kind -> (sheet name, what one column is); the fiscal years come first, as a grant asks for them."""

_FIRST_STATISTIC = "mean"
_LAST_STATISTICS = ("sd", "n")


def _statistics(columns: Sequence[str]) -> list[str]:
    """projections.csv's per-period statistics in the order a reader wants: the mean, its intervals
    and ranges (every other column, as the file orders them), then sd and n."""
    naming = {"scenario", "metric", *PERIOD_FACTS}
    middle = [c for c in columns if c not in naming and c != _FIRST_STATISTIC and c not in _LAST_STATISTICS]
    ordered = [_FIRST_STATISTIC, *middle, *_LAST_STATISTICS]
    return [c for c in ordered if c in columns]


def projection_sheet(kind: str) -> SheetProducer:
    """The producer of one period kind's wide projections: one column per period."""
    name, column_is = _PERIOD_NAMES[kind]

    def produce(source: ExportSource) -> Sheet | None:
        rows = [row for row in source.projections if row["period_kind"] == kind]
        if not rows:
            return None
        columns = _columns(rows)
        periods = _ordered(row["period"] for row in rows)
        position = {period: i for i, period in enumerate(periods)}
        # The period's own columns (dates, days inside the run, any a later simiop adds) become rows
        # of each scenario: two scenarios of an experiment may differ in them.
        period_facts = [c for c in PERIOD_FACTS if c not in ("period_kind", "period") and c in columns]
        statistics = _statistics(columns)
        grid: dict[tuple[str, str, str], list[Cell]] = {}
        for row in rows:
            at = position[row["period"]]
            for fact in period_facts:
                grid.setdefault((row["scenario"], "period", fact), [None] * len(periods))[at] = cell(
                    fact, row[fact]
                )
            for statistic in statistics:
                values = grid.setdefault((row["scenario"], row["metric"], statistic), [None] * len(periods))
                values[at] = cell(statistic, row[statistic])
        body = [
            (scenario, metric, _row_unit(metric, statistic), statistic, *values)
            for (scenario, metric, statistic), values in grid.items()
        ]
        header: tuple[Cell, ...] = ("scenario", "metric", "unit", "statistic", *periods)
        about = (
            f"projections.csv, one column per {column_is}: for each scenario the period's dates and days "
            "inside the run, then each metric's mean, intervals and ranges, sd and n across replications"
        )
        return Sheet(name, about, [header, *body], frozen_columns=4)

    produce.__name__ = f"projection_sheet_{kind}"
    return produce


def _row_unit(metric: str, statistic: str) -> str:
    if metric == "period":
        return "days" if statistic == "days" else ("date" if statistic in DATE_COLUMNS else "")
    if statistic == "n":
        return "replications"
    return unit_of(metric)


def kpis_sheet(source: ExportSource) -> Sheet:
    """kpis.csv, wide: one row per scenario and KPI, one column per replication."""
    replications = _ordered(row["replication"] for row in source.kpis)
    position = {replication: i for i, replication in enumerate(replications)}
    grid: dict[tuple[str, str], list[Cell]] = {}
    for row in source.kpis:
        values = grid.setdefault((row["scenario"], row["kpi"]), [None] * len(replications))
        values[position[row["replication"]]] = cell("value", row["value"])
    header: tuple[Cell, ...] = ("scenario", "kpi", "unit", *(f"replication {r}" for r in replications))
    body = [(scenario, kpi, unit_of(kpi), *values) for (scenario, kpi), values in grid.items()]
    return Sheet(
        "KPIs",
        "kpis.csv: every KPI's value in each replication (a column per replication, numbered from 0 "
        "as in the folder's scenarios/<scenario>/rNNNN)",
        [header, *body],
        frozen_columns=3,
    )


def flatten(data: Any, path: str = "") -> Iterable[tuple[str, Any]]:
    """(path, value) for every leaf of nested dicts and lists, paths as ``--set`` reads them
    (``tracks.day.group_size.max``, ``staff.shifts[0]``); an empty dict or list is one leaf."""
    if isinstance(data, dict) and data:
        for key, value in data.items():
            yield from flatten(value, f"{path}.{key}" if path else str(key))
    elif isinstance(data, list) and data:
        for index, value in enumerate(data):
            yield from flatten(value, f"{path}[{index}]")
    else:
        yield path, data


def _input_cell(value: Any) -> Cell:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    return str(value)  # an empty dict or list


def inputs_sheet(source: ExportSource) -> Sheet:
    """Each scenario's resolved config from the manifest, one row per field, a column per scenario."""
    scenarios = source.manifest.get("plan", {}).get("scenarios", [])
    names = [str(s.get("name", "")) for s in scenarios]
    values = [dict(flatten(s.get("config", {}))) for s in scenarios]
    paths = _ordered(path for flat in values for path in flat)
    several = len(names) > 1
    header: tuple[Cell, ...] = ("path", *(("differs",) if several else ()), *names)
    body: list[tuple[Cell, ...]] = []
    for path in paths:
        found = [_input_cell(flat.get(path)) for flat in values]
        differs: tuple[Cell, ...] = (len({repr(v) for v in found}) > 1,) if several else ()
        body.append((path, *differs, *found))
    return Sheet(
        "Inputs",
        "every scenario's resolved config (each default filled in), one row per field named as "
        "--set names it, units in the field names"
        + ("; differs is TRUE where the scenarios' values differ" if several else ""),
        [header, *body],
        frozen_columns=2 if several else 1,
    )


def budget_sheet(source: ExportSource) -> Sheet:
    """The grant budget of every scenario (simiop.results.budget, as ``simiop budget`` prints it), wide:
    a row per scenario, budget line and statistic (mean, 95% CI of the mean, outcome range), a column
    per fiscal year and the Total; None where a figure is undefined (FTE do not add up to a total)."""
    folder = source.folder
    header: tuple[Cell, ...] = ()
    rows: list[tuple[Cell, ...]] = []
    for scenario in folder.plan.scenarios:
        budget = scenario_budget(folder.out, scenario, folder.plan.replications)
        header = ("scenario", "line", "unit", "statistic", *budget.headings)
        for line in budget.rows:
            for statistic in _BUDGET_STATISTICS:
                values = [getattr(cell, statistic) for cell in line.cells]
                if statistic != "mean" and not any(cell.varies for cell in line.cells):
                    continue  # the same in every replication: the mean alone, without an interval
                rows.append((scenario.name, line.label, line.unit, statistic, *(_number(v) for v in values)))
    about = (
        "The grant budget per fiscal year and in total (money.budget; docs/outputs.md, 'The grant budget'): "
        "the same figures as `simiop budget DIR`, with the 95% CI of the mean and the 95% outcome range "
        "(t prediction interval, as in summary.csv) of each figure that varies across replications."
    )
    return Sheet("Budget", about, [header, *rows], frozen_columns=4)


_BUDGET_STATISTICS = ("mean", "ci95_low", "ci95_high", "range_low", "range_high")


def _number(value: float) -> float | None:
    """A budget figure as a spreadsheet number; NaN (undefined) as an empty cell."""
    return None if math.isnan(value) else value


SHEETS: tuple[SheetProducer, ...] = (
    summary_sheet,
    projection_sheet(FISCAL_YEAR),
    budget_sheet,
    comparison_sheet,
    kpis_sheet,
    projection_sheet(QUARTER),
    projection_sheet(MONTH),
    projection_sheet(PROGRAMME_YEAR),
    inputs_sheet,
)
"""Every sheet after the README, in workbook order; a producer returning None leaves its sheet out."""


# --- the README sheet -------------------------------------------------------------------------------

README = "README"

_MEANINGS = (
    ("mean", "the average across replications (each replication is one possible future)"),
    (
        "outcome95_low, outcome95_high",
        "the 95% outcome range: where the outcome of one more replication (one possible future of "
        "the clinic) is expected to fall; it does not narrow as replications are added",
    ),
    ("sd", "the standard deviation across replications (n - 1 in the denominator)"),
    (
        "ci95_low, ci95_high",
        "the 95% confidence interval of the mean: how precisely the average is known. It is not "
        "the range of likely outcomes, and it narrows as replications are added",
    ),
    ("n", "replications with a defined value"),
    ("empty cell", "undefined (nan in the CSV files), e.g. a cost per completion with no completions"),
    ("other columns", "as docs/outputs.md describes the CSV file of the same name"),
)


def readme_sheet(source: ExportSource, sheets: Sequence[Sheet]) -> Sheet:
    """Where the numbers come from: the folder, the command, the seed, the versions, and each sheet."""
    manifest = source.manifest
    plan = manifest.get("plan", {})
    rows: list[tuple[Cell, ...]] = [
        ("item", "value"),
        (
            "what this is",
            "The results of a simiop simulation, copied from the files of its result folder "
            "(numbers are numbers; nothing is recomputed)",
        ),
        ("created from folder", str(source.folder.out.resolve())),
        ("command", shlex.join(str(part) for part in manifest.get("command", []))),
        ("kind", plan.get("kind")),
        ("name", plan.get("name")),
        ("description", plan.get("description") or None),
        ("seed", plan.get("seed")),
        ("replications", plan.get("replications")),
        ("scenarios", "; ".join(str(s.get("name", "")) for s in plan.get("scenarios", []))),
        ("compared with", plan.get("compare_to")),
        ("per-replication tables kept", ", ".join(plan.get("tables", [])) or "none"),
        ("run started (UTC)", manifest.get("started")),
        ("run finished (UTC)", manifest.get("finished")),
        ("plan key", manifest.get("plan_key")),
    ]
    rows += [(f"scenario: {name}", about) for name, about in _scenarios(plan.get("scenarios", []))]
    rows += [(f"version: {name}", str(version)) for name, version in manifest.get("versions", {}).items()]
    rows.append(("exported by simiop", simiop.__version__))
    rows += [(f"sheet: {sheet.name}", sheet.about) for sheet in sheets]
    present = {*_columns(source.summary), *_columns(source.projections), "empty cell", "other columns"}
    rows += [
        (f"column: {names}", meaning)
        for names, meaning in _MEANINGS
        if all(name in present for name in names.split(", "))  # only the columns this folder has
    ]
    rows += [(f"metric: {name}", meaning) for name, meaning in METRICS.items()]
    return Sheet(README, "this sheet: where the numbers come from", rows, frozen_columns=1)


def _scenarios(scenarios: Iterable[Mapping[str, Any]]) -> Iterable[tuple[str, str]]:
    """Each scenario's description and what it changes from the config file (``path=value``, ...; options
    such as --horizon included, as the manifest records them)."""
    for scenario in scenarios:
        changes = ", ".join(f"{path}={value}" for path, value in dict(scenario.get("changes", {})).items())
        parts = [
            str(scenario.get("description") or ""),
            f"changes from the config file: {changes}" if changes else "as the config file",
        ]
        yield str(scenario.get("name", "")), "; ".join(part for part in parts if part)


def workbook_sheets(source: ExportSource, producers: Sequence[SheetProducer] = SHEETS) -> list[Sheet]:
    """The README sheet, then every sheet that applies to this folder."""
    sheets = [sheet for sheet in (produce(source) for produce in producers) if sheet is not None]
    return [readme_sheet(source, sheets), *sheets]


def created_time(source: ExportSource) -> dt.datetime:
    """The workbook's creation time: when the run finished, so one folder always gives the same bytes."""
    finished = source.manifest.get("finished") or source.manifest.get("started")
    try:
        return dt.datetime.fromisoformat(str(finished)).replace(tzinfo=None)
    except ValueError:
        return dt.datetime(2000, 1, 1)
