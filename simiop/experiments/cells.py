"""One cell of an experiment: one replication of one scenario, run in a worker, written by the parent.

A cell is the unit of work, of parallelism and of resumption. The worker
returns the cell's files as bytes, so any executor (a local process pool or a
cluster whose workers share no disk with us) can run it; the parent writes
each cell into its own folder and renames it into place, so a folder that
exists is a finished cell and an interrupted write leaves only a temporary
folder that the next run removes.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from simiop.atomic import write_bytes_synced
from simiop.config import SimiopConfig

SCENARIOS_DIR = "scenarios"
_PARTIAL = ".partial-"


@dataclass(frozen=True)
class CellTask:
    """What a worker needs to run one cell; picklable and self-contained."""

    scenario: str
    replication: int
    config: SimiopConfig
    seed: int
    tables: tuple[str, ...]


@dataclass(frozen=True)
class CellResult:
    """A finished cell: its output files by name."""

    scenario: str
    replication: int
    files: dict[str, bytes]


def run_cell(task: CellTask) -> CellResult:
    """Simulate one replication of one scenario and render its tables.

    The streams depend only on (seed, replication), never on the scenario,
    so every scenario's replication r shares the base's random numbers.
    """
    from simiop.model import simulate
    from simiop.model.calendar import ClinicCalendar
    from simiop.results.kpis import compute_kpis
    from simiop.results.periods import render_periods
    from simiop.results.projections import PERIODS
    from simiop.results.tables import render_tables

    records = simulate(task.config, task.seed, task.replication)
    kpis = compute_kpis(task.config, records)
    tables = render_tables(records, ClinicCalendar.for_config(task.config), kpis, task.tables)
    tables[PERIODS] = render_periods(task.config, records)
    return CellResult(
        task.scenario, task.replication, {name: text.encode("utf-8") for name, text in tables.items()}
    )


def cell_dir(out: Path, scenario: str, replication: int) -> Path:
    """The folder of one cell: OUT/scenarios/<scenario>/r0007."""
    return out / SCENARIOS_DIR / scenario / f"r{replication:04d}"


def is_finished(out: Path, scenario: str, replication: int) -> bool:
    return cell_dir(out, scenario, replication).is_dir()


def write_cell(out: Path, result: CellResult) -> None:
    """Write every file of a cell into a temporary folder, then rename the folder into place."""
    final = cell_dir(out, result.scenario, result.replication)
    final.parent.mkdir(parents=True, exist_ok=True)
    partial = final.with_name(f"{final.name}{_PARTIAL}{os.getpid()}")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir()
    for name, data in sorted(result.files.items()):
        write_bytes_synced(partial / name, data)
    if final.exists():  # finished by an earlier run: identical by construction, keep it
        shutil.rmtree(partial)
        return
    os.rename(partial, final)


def remove_partial_cells(out: Path) -> int:
    """Delete the temporary folders of cells whose writing was interrupted; how many there were."""
    root = out / SCENARIOS_DIR
    partials = [path for path in root.glob(f"*/*{_PARTIAL}*")] if root.is_dir() else []
    for path in partials:
        shutil.rmtree(path, ignore_errors=True)
    return len(partials)


def cell_files(out: Path) -> Iterator[Path]:
    """Every file of every finished cell, in a stable order."""
    root = out / SCENARIOS_DIR
    if root.is_dir():
        yield from sorted(
            path for path in root.glob("*/r*/*") if path.is_file() and _PARTIAL not in path.parent.name
        )
