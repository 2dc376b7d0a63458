"""One cell of an experiment: one replication of one scenario, run in a worker, written by the parent.

A cell is the unit of work, of parallelism and of resumption. The worker
returns the cell's files as bytes, so any executor (a local process pool or a
cluster whose workers share no disk with us) can run it; the parent writes
each cell into its own folder and renames it into place, so a folder
holding every file of its cell is a finished cell, and an interrupted write
leaves only a temporary folder that the next run removes. Only the files a
cell writes (CELL_FILES) are ever removed from a cell folder: a file anyone
else put there (a user's notes) stays, and the cell's files are written
beside it.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path
from typing import TYPE_CHECKING

from simiop.atomic import flush_folder, write_bytes_new
from simiop.collector import collector_paused
from simiop.config import SimiopConfig
from simiop.experiments.plan import KNOWN_TABLES

if TYPE_CHECKING:
    from simiop.results.columns import Columns

SCENARIOS_DIR = "scenarios"
_PARTIAL = ".partial-"


def cell_file_names(tables: Iterable[str]) -> frozenset[str]:
    """The files of a cell that keeps ``tables``: kpis.csv and periods.csv always, and one CSV per table."""
    return frozenset({"kpis.csv", "periods.csv", *(f"{table}.csv" for table in tables)})


CELL_FILES = cell_file_names(KNOWN_TABLES)
"""Every file name a cell can hold: the only names simiop writes, and so removes, in a cell folder."""
_CELL = re.compile(r"r[0-9]{4,}")
_PARTIAL_CELL = re.compile(rf"r[0-9]{{4,}}{re.escape(_PARTIAL)}[0-9]+")


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
    groups_scheduled: dict[str, float] | None = None
    """Each track's scheduled group-days from the warm-up on, as daily.csv sums them (None when the cell
    keeps no daily.csv): "what limits the clinic" at the end of a run reads them here, not from the file."""


def run_cell(task: CellTask) -> CellResult:
    """Simulate one replication of one scenario and render its tables.

    The streams depend only on (seed, replication), never on the scenario,
    so every scenario's replication r shares the base's random numbers.
    The collector is paused for the whole cell and comes back on only once
    its records are gone (``collector_paused``): turned on while they were
    alive, its first pass scanned them all.
    """
    with collector_paused():
        return _run_cell(task)


def _run_cell(task: CellTask) -> CellResult:
    from simiop.billing import bill
    from simiop.model import simulate
    from simiop.model.calendar import ClinicCalendar
    from simiop.results.columns import columns_of
    from simiop.results.kpis import compute_kpis
    from simiop.results.periods import render_periods
    from simiop.results.projections import PERIODS
    from simiop.results.tables import render_tables

    records = simulate(task.config, task.seed, task.replication)
    run = bill(task.config, columns_of(records, task.tables))  # once, read by all below
    kpis = compute_kpis(task.config, run)
    tables = render_tables(run, ClinicCalendar.for_config(task.config), kpis, task.tables)
    tables[PERIODS] = render_periods(task.config, run)
    return CellResult(
        task.scenario,
        task.replication,
        {name: text.encode("utf-8") for name, text in tables.items()},
        scheduled_groups(task.config, run.columns.track_days) if "daily" in task.tables else None,
    )


def scheduled_groups(config: SimiopConfig, track_days: Columns) -> dict[str, float]:
    """Each configured track's scheduled group-days from the warm-up on (daily.csv's ``groups_scheduled``
    summed over its rows with ``day`` >= ``simulation.warmup_days``), as floats, as
    ``simiop.report.limits.scheduled_groups_by_track`` sums them from the file."""
    if not track_days.size:
        return {track: 0.0 for track in config.tracks}
    counted = track_days.array("day", "int") >= config.simulation.warmup_days
    groups = track_days.array("groups_scheduled", "int")
    tracks = track_days.codes("track", list(config.tracks))
    return {
        track: float(groups[counted & (tracks == code)].sum()) for code, track in enumerate(config.tracks)
    }


def cell_dir(out: Path, scenario: str, replication: int) -> Path:
    """The folder of one cell: OUT/scenarios/<scenario>/r0007."""
    return out / SCENARIOS_DIR / scenario / f"r{replication:04d}"


def is_finished(out: Path, scenario: str, replication: int, names: Iterable[str]) -> bool:
    """Whether the cell's folder holds all its files ``names`` (a user's file beside them is fine)."""
    folder = cell_dir(out, scenario, replication)
    return all((folder / name).is_file() for name in names)


def write_cell(out: Path, result: CellResult) -> None:
    """Write a cell's files into a temporary folder, flush them to disk at once, then rename it into place.

    Why this is atomic: a cell folder under its final name appears only by
    the rename, which comes after every file of the cell is whole on disk
    (one flush for the folder, ``flush_folder``). A run killed before the
    rename leaves only the temporary folder, which the next run deletes
    (``remove_partial_cells``) and whose cell it runs again; killed after,
    the cell is finished and kept. The rename itself is not flushed: a power
    cut can lose it, which again leaves the temporary folder, never a
    finished-looking folder with an empty file.

    If a write fails (disk full, ...) the temporary folder is removed before
    the error propagates, so no half-written cell is left behind. A cell
    folder already there holds a user's own files only (the runner removes
    an unfinished cell's files before it runs the cell again): each file is
    then renamed into it, so the cell counts as finished only once the last
    one is there, and the user's files stay.
    """
    partial = write_partial(out, result)
    publish_cell(out, result.scenario, result.replication, partial, sorted(result.files))


def write_partial(out: Path, result: CellResult) -> Path:
    """The first half of ``write_cell``: the cell's files written into its temporary folder, not yet
    flushed to disk; that folder. A failed write removes the folder before the error propagates."""
    final = cell_dir(out, result.scenario, result.replication)
    final.parent.mkdir(parents=True, exist_ok=True)
    partial = final.with_name(f"{final.name}{_PARTIAL}{os.getpid()}")
    remove_cell_folder(partial)
    partial.mkdir(exist_ok=True)
    try:
        for name, data in sorted(result.files.items()):
            write_bytes_new(partial / name, data)
    except BaseException:
        remove_cell_folder(partial)
        raise
    return partial


def publish_cell(out: Path, scenario: str, replication: int, partial: Path, names: list[str]) -> None:
    """The second half of ``write_cell``: flush the files ``names`` of the temporary folder ``partial``
    to disk at once, then rename it (or, into a folder holding a user's files, each file) into place."""
    final = cell_dir(out, scenario, replication)
    try:
        flush_folder(partial, names)
        if final.is_dir() and all((final / name).is_file() for name in names):
            remove_cell_folder(partial)  # finished by an earlier run: identical by construction, keep it
            return
        if final.is_dir():
            for name in names:
                os.replace(partial / name, final / name)
            partial.rmdir()
            return
        os.rename(partial, final)
    except BaseException:
        remove_cell_folder(partial)
        raise


@dataclass(frozen=True)
class WrittenCell:
    """A cell run and written by a worker that shares this machine's disk: its files are in ``partial``
    (its temporary folder, not yet flushed to disk nor renamed: ``publish_cell`` does both, in the
    parent), or ``error`` says why they could not be written (the folder is then gone)."""

    scenario: str
    replication: int
    partial: Path
    digests: dict[str, str]
    """File name -> SHA-256 (hex) of the bytes written: the manifest's checksums."""
    groups_scheduled: dict[str, float] | None = None
    """As ``CellResult.groups_scheduled``."""
    error: OSError | None = None


def run_and_write_cell(out: Path, task: CellTask) -> WrittenCell:
    """``run_cell``, then its files written into the cell's temporary folder under ``out``, here.

    For workers on this machine (the process pool): a cell's files (3.2 MB
    for a 3-year baseline cell with every table) then never cross a pipe to
    the parent, which only flushes and renames the folder (``publish_cell``);
    writing them and taking their digests is done by the workers, side by
    side, rather than one cell after another in the parent. The bytes and
    the folder's atomic appearance are ``write_cell``'s. A write that fails
    (disk full) comes back as ``error``, an OSError the parent reports as it
    reports its own; the cell's temporary folder is gone by then.
    """
    result = run_cell(task)
    digests = {name: sha256(data).hexdigest() for name, data in result.files.items()}
    try:
        partial = write_partial(out, result)
    except OSError as exc:
        where = cell_dir(out, task.scenario, task.replication)
        return WrittenCell(task.scenario, task.replication, where, digests, result.groups_scheduled, exc)
    return WrittenCell(task.scenario, task.replication, partial, digests, result.groups_scheduled)


def remove_cell_folder(folder: Path) -> bool:
    """Remove the files simiop writes in a cell folder, then the folder if now empty; whether it is gone.

    Errors are ignored (this tidies up; the caller reports the error that matters).
    """
    if not folder.is_dir():
        return not folder.exists()
    for name in CELL_FILES:
        with contextlib.suppress(OSError):
            (folder / name).unlink(missing_ok=True)
    try:
        folder.rmdir()
    except OSError:
        return False
    return True


def remove_partial_cells(out: Path) -> int:
    """Delete the temporary folders of cells whose writing was interrupted; how many there were."""
    partials = [path for path in _cell_folders(out) if _PARTIAL_CELL.fullmatch(path.name)]
    for path in partials:
        remove_cell_folder(path)
    return len(partials)


def _cell_folders(out: Path) -> list[Path]:
    """Every cell folder (finished or partial) under OUT/scenarios/<scenario>/."""
    root = out / SCENARIOS_DIR
    if not root.is_dir():
        return []
    return sorted(
        path
        for path in root.glob("*/r*")
        if path.is_dir() and (_CELL.fullmatch(path.name) or _PARTIAL_CELL.fullmatch(path.name))
    )


def cell_files(folder: Path) -> list[Path]:
    """The files simiop wrote in one cell folder (finished or partial), in a stable order."""
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.iterdir() if path.name in CELL_FILES and path.is_file())


def all_cell_files(out: Path) -> Iterator[Path]:
    """The files simiop wrote in every cell folder under ``out``, finished or partial."""
    for folder in _cell_folders(out):
        yield from cell_files(folder)
