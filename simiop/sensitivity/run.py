"""Run a sensitivity study into a result folder: resumable per (point, replication), then its tables.

Each replication of each sample point is simulated by the in-memory
evaluation's worker (``simiop.experiments.evaluate.evaluate_replication``)
with the study's seed and the replication's number, so every point sees the
same random streams (common random numbers) whatever executor or number of
workers runs it. Its KPIs are written at once, atomically, to
values/pNNNNNN-rNNNN.json; running the same study into the folder again
keeps those files and simulates only what is missing. When every value is
there the tables are written and then manifest.json, with the SHA-256 of
every file, so ``simiop reproduce`` can re-run the study and compare.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from simiop.atomic import write_text_atomic, writing_into
from simiop.config import ConfigError, Problem
from simiop.experiments.evaluate import EvaluationTask, evaluate_replication
from simiop.experiments.executors import Executor
from simiop.experiments.manifest import (
    COMPLETE,
    FORMAT,
    MANIFEST,
    RUNNING,
    checksums,
    now,
    read_manifest,
    versions,
)
from simiop.experiments.owned import remove_files, written_by_simiop
from simiop.experiments.runner import OutputDirError
from simiop.jsonfile import read_json
from simiop.sensitivity.design import Design
from simiop.sensitivity.study import Study, derive, design_table, raw_kpis
from simiop.sensitivity.tables import write_tables

VALUES_DIR = "values"
_VALUE_FILE = re.compile(r"^p(\d{6})-r(\d{4})\.json$")
_PARTIAL_VALUE = re.compile(r"^\.p\d{6}-r\d{4}\.json\..+\.tmp$")
"""A value file's temporary (simiop.atomic), left behind only by a run killed while writing it."""
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SensitivityOutcome:
    """What a run did and found: values[point, replication, kpi] (point option-major), the design, tables."""

    out: Path
    study: Study
    design: Design
    values: np.ndarray
    options: tuple[str, ...]
    cells_run: int
    cells_kept: int
    manifest: dict[str, Any]
    sentence: str


def value_path(out: Path, point: int, replication: int) -> Path:
    return out / VALUES_DIR / f"p{point:06d}-r{replication:04d}.json"


def _read_value(path: Path, kpis: tuple[str, ...]) -> list[float] | None:
    """A stored replication's KPI values, or None when missing or not whole (it is then run again)."""
    try:
        document = read_json(path)
        return [float(document[name]) for name in kpis]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _claim(out: Path, study: Study, force: bool) -> dict[str, str]:
    """Refuse a folder holding anything but this study's (unless ``force``: then remove simiop's files).

    Returns the files an earlier run of this study recorded (kept on record until written again).
    """
    if out.exists() and not out.is_dir():
        raise OutputDirError(f"{out}: exists and is not a folder")
    if not out.is_dir() or not any(out.iterdir()):
        return {}
    document: dict[str, Any] | None = None
    if (out / MANIFEST).exists():
        try:
            document = read_manifest(out)
        except ConfigError:
            document = None
    if document is not None and document.get("plan_key") == study.key():
        files = document.get("files")
        return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}
    if not force:
        raise OutputDirError(
            f"{out}: holds the results of a different run, experiment or study (or another simiop version); "
            "use --force to replace them, or choose another --out"
            if (out / MANIFEST).exists()
            else f"{out}: is not empty and holds no simiop manifest; choose an empty or new folder"
        )
    names = written_by_simiop(out, document) if (out / MANIFEST).exists() else []
    values = out / VALUES_DIR
    if document is not None and document.get("kind") == "sensitivity" and values.is_dir():
        names += [f"{VALUES_DIR}/{p.name}" for p in values.iterdir() if _VALUE_FILE.match(p.name)]
    remove_files(out, names)
    return {}


def _unclaim(out: Path, created: bool) -> None:
    """Remove the manifest and the empty values folder this run wrote (and ``out`` if this run made it)."""
    remove_files(out, [MANIFEST])
    for folder in (out / VALUES_DIR, *((out,) if created else ())):
        try:
            folder.rmdir()
        except OSError:
            return


def _manifest(
    out: Path,
    study: Study,
    status: str,
    command: Sequence[str],
    started: str,
    executor: Executor,
    files: dict[str, str] | None = None,
    finished: str | None = None,
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "simiop_manifest": FORMAT,
        "kind": "sensitivity",
        "status": status,
        "plan_key": study.key(),
        "command": list(command),
        "versions": versions(),
        "executor": {"name": executor.name, "workers": executor.workers},
        "started": started,
        "finished": finished,
        "sensitivity": study.identity(),
        "files": dict(files or {}),
    }
    write_text_atomic(out / MANIFEST, json.dumps(document, indent=2) + "\n")
    return document


def run_study(
    study: Study,
    out: Path,
    executor: Executor,
    *,
    force: bool = False,
    command: Sequence[str] = (),
    progress: Progress | None = None,
) -> SensitivityOutcome:
    """Simulate every (point, replication) not yet stored in ``out``, then write the tables and manifest.

    Raises OutputDirError (folder refused, nothing changed), OutputWriteError
    (the folder cannot be written; stored values are kept), ConfigError
    (a KPI the model does not report, named as the file's ``kpis`` field).
    """
    with writing_into(out, started=False):
        earlier = _claim(out, study, force)
        created = not out.exists()
        out.mkdir(parents=True, exist_ok=True)
        started = now()
        _manifest(out, study, RUNNING, command, started, executor, earlier)
    design = study.design()
    configs = study.point_configs(design)
    options = tuple(study.options())
    kpis = study.spec.kpis
    needed = raw_kpis(kpis)
    replications = study.spec.replications
    (out / VALUES_DIR).mkdir(exist_ok=True)
    with writing_into(out, started=True):
        remove_files(
            out,
            [f"{VALUES_DIR}/{p.name}" for p in (out / VALUES_DIR).iterdir() if _PARTIAL_VALUE.match(p.name)],
        )
    values = np.full((len(configs), replications, len(kpis)), np.nan)
    tasks = []
    for r in range(replications):  # replication-major: a partial run covers every point
        for point, config in enumerate(configs):
            found = _read_value(value_path(out, point, r), kpis)
            if found is None:
                tasks.append(EvaluationTask(point, r, config, study.seed, False))
            else:
                values[point, r] = found
    total = len(configs) * replications
    done = total - len(tasks)
    if progress is not None:
        progress(done, total)
    for result in executor.map_unordered(evaluate_replication, tasks):
        missing = [name for name in needed if name not in result.kpis]
        if missing:
            if done == 0:  # nothing stored: leave the folder as a fresh one, so the fixed file can use it
                _unclaim(out, created)
            raise ConfigError(
                study.source or study.name,
                [
                    Problem(
                        "kpis",
                        "the model reports no such KPI",
                        repr(missing[0]),
                        "a column of kpis.csv or net_surplus_usd",
                    )
                ],
            )
        wanted = derive(kpis, result.kpis)
        with writing_into(out, started=True):
            write_text_atomic(value_path(out, result.scenario, result.replication), json.dumps(wanted) + "\n")
        values[result.scenario, result.replication] = [wanted[name] for name in kpis]
        done += 1
        if progress is not None:
            progress(done, total)
    with writing_into(out, started=True):
        write_text_atomic(out / "design.csv", design_table(design, study.spec.inputs))
        written, sentence = write_tables(out, study, design, values, options)
        files = [out / "design.csv", *written]
        files += [value_path(out, p, r) for r in range(replications) for p in range(len(configs))]
        manifest = _manifest(
            out, study, COMPLETE, command, started, executor, checksums(out, files), finished=now()
        )
    return SensitivityOutcome(
        out, study, design, values, options, len(tasks), total - len(tasks), manifest, sentence
    )


def is_sensitivity_folder(out: Path) -> bool:
    """Whether ``out`` holds a readable manifest written by ``simiop sensitivity``."""
    try:
        return read_manifest(out).get("kind") == "sensitivity"
    except ConfigError:
        return False


def open_study(out: Path) -> SensitivityOutcome:
    """A finished sensitivity folder read back from its manifest and stored values (nothing is run).

    ConfigError when the folder is not a finished sensitivity run or a stored value is missing.
    """
    document = read_manifest(out)
    source = str(out / MANIFEST)
    if document.get("kind") != "sensitivity":
        raise ConfigError(source, [Problem("kind", "not a simiop sensitivity folder")])
    if document.get("status") != COMPLETE:
        raise ConfigError(
            source, [Problem("status", "the run did not finish; run its command again to complete it")]
        )
    study = Study.from_identity(document.get("sensitivity", {}), source)
    design = study.design()
    options = tuple(study.options())
    points = len(design.labels) * len(options)
    kpis = study.spec.kpis
    values = np.full((points, study.spec.replications, len(kpis)), np.nan)
    for point in range(points):
        for r in range(study.spec.replications):
            found = _read_value(value_path(out, point, r), kpis)
            if found is None:
                where = value_path(out, point, r).relative_to(out).as_posix()
                raise ConfigError(
                    str(out), [Problem(where, "missing or damaged; run the study again to remake it")]
                )
            values[point, r] = found
    try:
        sentence = (out / "findings.txt").read_text(encoding="utf-8").strip()
    except OSError:
        sentence = ""
    return SensitivityOutcome(
        out, study, design, values, options, 0, points * study.spec.replications, document, sentence
    )
