"""Run a plan into a result directory: resumable, atomic per cell, identical whatever the executor.

The directory is claimed by writing the manifest (status "running") before
any cell runs. Running the same plan into it again resumes: finished cells
are kept and only the missing ones run. A directory holding another plan's
results is refused unless ``force``, so two experiments can never mix; with
``force`` only the files simiop wrote there are removed (see owned.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from hashlib import sha256
from pathlib import Path
from typing import Any

from simiop.atomic import OutputWriteError, write_text_atomic, writing_into
from simiop.config import ConfigError
from simiop.experiments.cells import (
    SCENARIOS_DIR,
    CellResult,
    CellTask,
    WrittenCell,
    cell_dir,
    cell_file_names,
    cell_files,
    is_finished,
    publish_cell,
    remove_cell_folder,
    remove_partial_cells,
    run_and_write_cell,
    run_cell,
    write_cell,
)
from simiop.experiments.executors import Executor, ProcessExecutor
from simiop.experiments.manifest import (
    COMPLETE,
    MANIFEST,
    RUNNING,
    checksums,
    now,
    read_manifest,
    write_manifest,
)
from simiop.experiments.owned import remove_files, written_by_simiop
from simiop.experiments.plan import Plan
from simiop.results.budget import compute_budget, projection_lines
from simiop.results.projections import PROJECTIONS, projections_table, read_periods
from simiop.results.stats import load_quantiles, needs_scipy
from simiop.results.summary import ScenarioKpis, comparison_table, kpis_table, read_cell_kpis, summary_table

KPIS = "kpis.csv"
SUMMARY = "summary.csv"
COMPARISON = "comparison.csv"
Progress = Callable[[int, int], None]
"""Called with (cells finished, cells in the plan) as cells finish."""


class OutputDirError(Exception):
    """The output directory cannot be used as asked (another experiment's results, not a folder, ...)."""


@dataclass(frozen=True)
class Outcome:
    """What a run did: cells run now, cells kept from an earlier run, and the manifest written."""

    out: Path
    plan: Plan
    cells_run: int
    cells_kept: int
    manifest: dict[str, Any]
    scenarios: list[ScenarioKpis]
    """Every cell's KPIs, as read back for the tables (callers need not read them again)."""
    groups_scheduled: dict[str, list[dict[str, float]]] = field(default_factory=dict)
    """Scenario -> each replication's scheduled group-days by track (CellResult.groups_scheduled), in
    replication order; only for scenarios whose every cell ran now and kept daily.csv."""


def claim(out: Path, plan: Plan, force: bool) -> dict[str, Any] | None:
    """Check that ``out`` may receive ``plan``'s results: empty, the same plan (resumed), or forced.

    Returns the manifest of the same plan's earlier run when resuming (its
    record of the files written is carried on), else None. Forced over another
    run's results, removes the files simiop wrote there and nothing else.
    Every reason to refuse is checked before anything is removed, so a
    refused command leaves the folder exactly as it was.
    """
    if out.exists() and not out.is_dir():
        raise OutputDirError(f"{out}: exists and is not a folder")
    if not out.is_dir() or not any(out.iterdir()):
        return None
    has_manifest = (out / MANIFEST).exists()
    document: dict[str, Any] | None = None
    if has_manifest:
        try:
            document = read_manifest(out)
        except ConfigError:
            document = None
    same = document is not None and document.get("plan_key") == plan.key()
    if not same and not force:
        raise OutputDirError(
            f"{out}: holds the results of a different run or experiment (or another simiop version); "
            "use --force to replace them, or choose another --out"
            if has_manifest
            else f"{out}: is not empty and holds no simiop manifest; choose an empty or new folder "
            "(or --force to write into it anyway)"
        )
    _refuse_unusable_cells(out, plan, unaccounted=not has_manifest)
    if same:
        return document
    if has_manifest:
        remove_files(out, written_by_simiop(out, document))
    return None


def _refuse_unusable_cells(out: Path, plan: Plan, *, unaccounted: bool) -> None:
    """Refuse a folder whose cell paths this run could not use, before anything in it is changed.

    A cell's path that is a file (or a cell file's name that is a folder)
    cannot receive the cell. ``unaccounted``: the folder has no manifest, so
    cell files in it (a finished cell copied in, say) cannot be told from
    this run's and would be taken for finished replications. A user's own
    file in a cell folder is no reason to refuse: the cell's files are
    written beside it.
    """
    for scenario, replication in plan.cells():
        folder = cell_dir(out, scenario.name, replication)
        where = folder.relative_to(out).as_posix()
        for path in (folder.parent.parent, folder.parent, folder):
            if path.exists() and not path.is_dir():
                raise OutputDirError(
                    f"{out}: {path.relative_to(out).as_posix()} is a file, where this run writes the "
                    f"folder {where}; move it away or choose another --out"
                )
        if not folder.is_dir():
            continue
        blocked = sorted(name for name in cell_file_names(plan.tables) if (folder / name).is_dir())
        if blocked:
            raise OutputDirError(
                f"{out}: {where}/{blocked[0]} is a folder, where this run writes a file; "
                "move it away or choose another --out"
            )
        if unaccounted and cell_files(folder):
            raise OutputDirError(
                f"{out}: {where} holds result files that no simiop manifest accounts for and that would be "
                "taken for a finished replication; move it away or choose another --out"
            )


def run_plan(
    plan: Plan,
    out: Path,
    executor: Executor,
    *,
    force: bool = False,
    command: Sequence[str] = (),
    progress: Progress | None = None,
) -> Outcome:
    """Run every unfinished cell of ``plan`` into ``out``, then write the tables and the manifest.

    A folder that cannot be written raises OutputWriteError: with ``started``
    false when nothing was written (the folder is left as it was), true when
    the run stopped part way (finished cells are kept; running again resumes).
    """
    with writing_into(out, started=False):
        previous = claim(out, plan, force)
        created = _missing_ancestor(out)
        out.mkdir(parents=True, exist_ok=True)
    started = now()
    provenance: dict[str, Any] = {"command": command, "started": started, "executor": executor.name}
    # what an earlier run of this plan wrote stays on record until this run has written it again
    kept = previous.get("files") if previous is not None else None
    earlier = dict(kept) if isinstance(kept, Mapping) else {}
    try:
        with writing_into(out, started=False):
            write_manifest(out, plan, status=RUNNING, workers=executor.workers, files=earlier, **provenance)
    except OutputWriteError:
        if created is not None:  # leave no empty folder behind: it was made by this call
            _remove_empty_folders(out, created)
        raise
    remove_partial_cells(out)
    with writing_into(out, started=True):
        _clear_incomplete_cells(out, plan)
    expected = cell_file_names(plan.tables)
    tasks = [
        CellTask(scenario.name, replication, scenario.config, plan.seed, plan.tables)
        for scenario, replication in plan.cells()
        if not is_finished(out, scenario.name, replication, expected)
    ]
    total = len(plan.cells())
    finished = total - len(tasks)
    if progress is not None:
        progress(finished, total)
    digests: dict[str, str] = {}  # of the files written now, taken while the workers run the next cells
    scheduled: dict[tuple[str, int], dict[str, float]] = {}
    # A process pool's workers share this disk: each writes its cell's files (cells.run_and_write_cell),
    # into the folder named absolutely (a forkserver's or spawned worker's current folder may differ).
    # Only when the cells keep tables (megabytes each; 3.2 MB a 3-year baseline cell with every table):
    # kpis.csv and periods.csv alone (18 KB) cost nothing to send, and a worker's file creation can wait
    # on the parent's flush of the cell before, time its CPU then does not work (issue 17, measured).
    in_workers = isinstance(executor, ProcessExecutor) and bool(plan.tables)
    cell: Callable[[CellTask], CellResult | WrittenCell] = (
        partial(run_and_write_cell, out.absolute()) if in_workers else run_cell
    )
    try:
        for result in executor.map_unordered(cell, tasks):
            if result.groups_scheduled is not None:
                scheduled[(result.scenario, result.replication)] = result.groups_scheduled
            where = cell_dir(out, result.scenario, result.replication).relative_to(out).as_posix()
            if isinstance(result, WrittenCell):
                if result.error is not None:
                    raise OutputWriteError(out, _as_given(out, result.error), started=True)
                with writing_into(out, started=True):
                    publish_cell(
                        out, result.scenario, result.replication, result.partial, sorted(result.digests)
                    )
                digests.update((f"{where}/{name}", digest) for name, digest in result.digests.items())
            else:
                with writing_into(out, started=True):
                    write_cell(out, result)
                digests.update(
                    (f"{where}/{name}", sha256(data).hexdigest()) for name, data in result.files.items()
                )
            if finished == total - len(tasks) and plan.replications > 1 and needs_scipy(plan.replications):
                load_quantiles()  # the first cell: the summaries' import is done while the workers run on
            finished += 1
            if progress is not None:
                progress(finished, total)
    except BaseException:
        if in_workers:  # cells the workers were writing when the run stopped: leave no temporary folder
            executor.close()
            remove_partial_cells(out)
        raise
    scenarios = read_scenarios(out, plan)
    with writing_into(out, started=True):
        written = write_tables(out, plan, scenarios)
        manifest = write_manifest(
            out,
            plan,
            status=COMPLETE,
            workers=executor.workers,
            files=checksums(out, [*written, *_plan_cell_files(out, plan)], digests),
            finished=now(),
            **provenance,
        )
    return Outcome(
        out, plan, len(tasks), total - len(tasks), manifest, scenarios, _every_cell(plan, scheduled)
    )


def _as_given(out: Path, error: OSError) -> OSError:
    """A worker's write error about a path under ``out.absolute()`` (where it wrote), about the same path
    under ``out`` as given: the message names the file as the run's own write errors do."""
    if not isinstance(error.filename, str) or error.errno is None:
        return error
    path, root = Path(error.filename), out.absolute()
    if root not in path.parents:
        return error
    return OSError(error.errno, error.strerror, str(out / path.relative_to(root)))


def _every_cell(
    plan: Plan, found: Mapping[tuple[str, int], dict[str, float]]
) -> dict[str, list[dict[str, float]]]:
    """Per scenario, ``found``'s value of each replication in order; a scenario missing one is left out."""
    return {
        scenario.name: [found[(scenario.name, r)] for r in range(plan.replications)]
        for scenario in plan.scenarios
        if all((scenario.name, r) in found for r in range(plan.replications))
    }


def _clear_incomplete_cells(out: Path, plan: Plan) -> None:
    """A cell folder missing one of its files (deleted since) loses its other files, so the cell runs again.

    Only the cell's own files are removed: a user's file in the folder stays,
    and the cell is written again beside it.
    """
    expected = cell_file_names(plan.tables)
    for scenario, replication in plan.cells():
        folder = cell_dir(out, scenario.name, replication)
        if folder.is_dir() and not is_finished(out, scenario.name, replication, expected):
            remove_cell_folder(folder)


def _missing_ancestor(out: Path) -> Path | None:
    """The outermost folder of ``out``'s path that does not exist yet (None if ``out`` exists)."""
    missing = None
    for folder in (out, *out.parents):
        if folder.exists():
            break
        missing = folder
    return missing


def _remove_empty_folders(out: Path, outermost: Path) -> None:
    """Remove ``out`` and its parents up to ``outermost``, as far as they are empty."""
    for folder in (out, *out.parents):
        try:
            folder.rmdir()
        except OSError:
            return
        if folder == outermost:
            return


def _plan_cell_files(out: Path, plan: Plan) -> list[Path]:
    """The files of the plan's cells (not of any other folder that looks like a cell)."""
    return [
        path
        for scenario, replication in plan.cells()
        for path in cell_files(cell_dir(out, scenario.name, replication))
    ]


def read_scenarios(out: Path, plan: Plan) -> list[ScenarioKpis]:
    """Every cell's KPIs, by scenario in plan order and replication in ascending order."""
    scenarios = []
    for scenario in plan.scenarios:
        kpis = ScenarioKpis(scenario.name)
        for replication in range(plan.replications):
            read_cell_kpis(cell_dir(out, scenario.name, replication) / KPIS, kpis, replication)
        scenarios.append(kpis)
    return scenarios


def write_tables(out: Path, plan: Plan, scenarios: list[ScenarioKpis]) -> list[Path]:
    """kpis.csv, summary.csv, projections.csv, each scenario's summary.csv, comparison.csv (experiments)."""
    periods = read_periods((s.name, cell_dir(out, s.name, r)) for s, r in plan.cells())
    configs = {scenario.name: scenario.config for scenario in plan.scenarios}
    budgets = {  # the grant budget's lines by fiscal year and for the grant period (simiop/results/budget.py)
        found.name: list(projection_lines(compute_budget(configs[found.name], found, plan.replications)))
        for found in periods
    }
    tables = {
        out / KPIS: kpis_table(scenarios),
        out / SUMMARY: summary_table(scenarios),
        out / PROJECTIONS: projections_table(periods, budgets),
    }
    if plan.kind == "experiment":
        for scenario in scenarios:
            tables[out / SCENARIOS_DIR / scenario.name / SUMMARY] = summary_table([scenario])
        if plan.compare_to is not None and len(scenarios) > 1:
            tables[out / COMPARISON] = comparison_table(scenarios, plan.compare_to)
    for path, text in tables.items():
        write_text_atomic(path, text)
    return list(tables)
