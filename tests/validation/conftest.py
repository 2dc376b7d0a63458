"""Shared runs for the validation tests, and a report of every compared value at the end of pytest."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from simiop.config import load_config
from simiop.experiments.cells import cell_dir
from simiop.experiments.executors import ProcessExecutor
from simiop.experiments.plan import run_plan_for
from simiop.experiments.runner import run_plan
from simiop.results.stats import Summary
from tests.conftest import BASELINE, REPO

MMC = REPO / "configs" / "validation" / "mmc.yaml"
_REPORT: list[str] = []


def report(check: str, expected: float, summary: Summary, unit: str = "") -> None:
    """Remember one comparison for the summary printed after the tests."""
    _REPORT.append(
        f"{check:<58} expected {expected:10.4f}{unit}   simulated {summary.mean:10.4f}{unit} "
        f"(95% CI {summary.ci95_low:.4f} to {summary.ci95_high:.4f}, n={summary.n})"
    )


def report_range(check: str, low: float, high: float, summary: Summary, unit: str = "") -> None:
    """Remember one comparison with a published range (high may be inf: "at least low")."""
    _REPORT.append(
        f"{check:<58} range {low:.4f} to {high:.4f}{unit}   simulated {summary.mean:10.4f}{unit} "
        f"(95% CI {summary.ci95_low:.4f} to {summary.ci95_high:.4f}, n={summary.n})"
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _REPORT:
        terminalreporter.section("validation: analytic value against the simulation's 95% CI")
        for line in _REPORT:
            terminalreporter.write_line(line)


@dataclass(frozen=True)
class Cells:
    """Per-replication tables of one run made by the experiment runner."""

    out: Path
    replications: int
    warmup_days: float

    def rows(self, replication: int, table: str) -> list[dict[str, str]]:
        with (cell_dir(self.out, "base", replication) / f"{table}.csv").open(encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    def kpis(self, name: str) -> list[float]:
        values = []
        for r in range(self.replications):
            values += [float(row["value"]) for row in self.rows(r, "kpis") if row["kpi"] == name]
        return values


def run_cells(
    out: Path,
    config: Path,
    overrides: Sequence[str],
    replications: int,
    tables: Sequence[str] = ("episodes",),
) -> Cells:
    """Run ``replications`` of a config on two worker processes through the experiment runner."""
    loaded = load_config(config, overrides)
    plan = run_plan_for(loaded, config.stem, replications=replications, tables=tables)
    executor = ProcessExecutor(2)
    try:
        run_plan(plan, out, executor)
    finally:
        executor.close()
    return Cells(out, replications, loaded.simulation.warmup_days)


@pytest.fixture(scope="session")
def erlang_c_cells(tmp_path_factory: pytest.TempPathFactory) -> Cells:
    return run_cells(tmp_path_factory.mktemp("erlang_c"), MMC, [], 40)


@pytest.fixture(scope="session")
def erlang_b_cells(tmp_path_factory: pytest.TempPathFactory) -> Cells:
    return run_cells(
        tmp_path_factory.mktemp("erlang_b"), MMC, ["tracks.programme.wait_list.when_full=leave"], 40
    )


@pytest.fixture(scope="session")
def baseline_cells(tmp_path_factory: pytest.TempPathFactory) -> Cells:
    """Six years of the baseline, the first two discarded: Little's law needs a long, settled window.

    With one year discarded the census was still rising across the window
    (16.9 at its start, 18.7 at its end, day track, 20 replications), so more
    patient-nights ran past its end than came in from before its start, and
    L / (lambda W) sat at 0.996 (60 replications), below 1 by more than its CI.
    """
    overrides = ["simulation.horizon_days=2190", "simulation.warmup_days=730"]
    return run_cells(tmp_path_factory.mktemp("baseline"), BASELINE, overrides, 20, ("episodes", "daily"))
