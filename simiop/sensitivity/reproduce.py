"""``simiop reproduce`` of a sensitivity folder: the study rebuilt from its manifest, re-run and compared."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simiop.experiments.executors import Executor
from simiop.experiments.manifest import MANIFEST, command_line
from simiop.experiments.plan import Plan, ScenarioPlan
from simiop.experiments.reproduce import Reproduction, check_files
from simiop.experiments.runner import Outcome, Progress
from simiop.sensitivity.run import run_study
from simiop.sensitivity.study import Study


def reproduce_study(
    source: Path,
    out: Path,
    original: dict[str, Any],
    executor: Executor,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> Reproduction:
    """Re-run the study recorded in ``original`` (``source``'s manifest) into ``out``; check every file."""
    study = Study.from_identity(original.get("sensitivity", {}), str(source / MANIFEST))
    found = run_study(study, out, executor, force=force, command=command_line(), progress=progress)
    record = Plan(
        kind="run",
        name=study.name,
        scenarios=(ScenarioPlan("base", study.base, "the study's base config"),),
        seed=study.seed,
        replications=study.spec.replications,
        tables=(),
    )
    outcome = Outcome(out, record, found.cells_run, found.cells_kept, found.manifest, [])
    return Reproduction(check_files(source, original["files"], found.manifest["files"]), outcome, original)
