"""Re-run an optimisation from its manifest alone and check every file, by checksum (``simiop reproduce``).

The same two checks as for a run or an experiment
(``simiop.experiments.reproduce``): the original folder still holds the bytes
its manifest recorded, and the re-run made the same bytes again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simiop.experiments.executors import Executor
from simiop.experiments.manifest import MANIFEST, command_line
from simiop.experiments.reproduce import CheckedFiles, FileCheck, check_files
from simiop.optimisation.runner import Optimisation, from_identity, optimise


@dataclass(frozen=True, repr=False)
class OptimiseReproduction(CheckedFiles):
    """What reproducing an optimisation found: one check per file, the re-run and the original manifest."""

    checks: list[FileCheck]
    outcome: Optimisation
    original: dict[str, Any]

    def rerun_manifest(self) -> dict[str, Any]:
        return self.outcome.manifest

    def __repr__(self) -> str:
        return f"<Reproduction of {self.outcome.problem.name!r} in {self.outcome.out}: {self.summary()}>"


def reproduce_optimisation(
    source: Path, out: Path, executor: Executor, original: dict[str, Any], *, force: bool = False
) -> OptimiseReproduction:
    """Run the optimisation recorded in ``source``/manifest.json into ``out``; check every file in both."""
    study = from_identity(original.get("optimisation", {}), str(source / MANIFEST))
    outcome = optimise(study, out, executor, force=force, command=command_line())
    checks = check_files(source, original.get("files", {}), outcome.manifest["files"])
    return OptimiseReproduction(checks, outcome, original)
