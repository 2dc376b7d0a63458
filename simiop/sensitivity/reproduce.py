"""``simiop reproduce`` of a sensitivity folder: the study rebuilt from its manifest, re-run and compared."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simiop.config import ConfigError, Problem
from simiop.experiments.executors import Executor
from simiop.experiments.manifest import MANIFEST, command_line
from simiop.experiments.plan import Plan, ScenarioPlan
from simiop.experiments.reproduce import Reproduction, check_files
from simiop.experiments.runner import Outcome, Progress
from simiop.sensitivity.parameter_sets import ParameterSets, file_sha256
from simiop.sensitivity.run import run_study
from simiop.sensitivity.study import Study


def check_parameter_file(sets: ParameterSets, source: str) -> None:
    """ConfigError (one line) when the parameter-set file the study read is gone or now differs.

    The sets themselves are in the manifest, but a reproduction is meant to confirm the run from its
    inputs: a changed file would give different results, so the difference is reported, not hidden.
    """
    path = Path(sets.file)
    if not path.is_file():
        raise ConfigError(
            source,
            [
                Problem(
                    "sensitivity.parameter_sets.file",
                    "the parameter-set file is gone",
                    repr(sets.file),
                    "the file the run read",
                )
            ],
        )
    if file_sha256(path) != sets.sha256:
        raise ConfigError(
            source,
            [
                Problem(
                    "sensitivity.parameter_sets.file",
                    "the parameter-set file changed since the run (SHA-256 differs)",
                    repr(sets.file),
                    f"the file as read (SHA-256 {sets.sha256[:12]}...); run simiop sensitivity again",
                )
            ],
        )


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
    if study.parameter_sets is not None:
        check_parameter_file(study.parameter_sets, str(source / MANIFEST))
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
