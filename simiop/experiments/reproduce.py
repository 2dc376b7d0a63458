"""Re-run a result directory from its manifest alone and compare the new files with the old, by checksum."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simiop.experiments.executors import Executor
from simiop.experiments.manifest import COMPLETE, command_line, plan_of, read_manifest
from simiop.experiments.runner import Outcome, OutputDirError, Progress, run_plan

MATCH = "match"
DIFFERS = "differs"
MISSING = "missing"
EXTRA = "extra"


@dataclass(frozen=True)
class FileCheck:
    """One output file: the same bytes again (match), different bytes, not made again, or new."""

    name: str
    status: str


@dataclass(frozen=True)
class Reproduction:
    checks: list[FileCheck]
    outcome: Outcome
    original: dict[str, Any]

    @property
    def identical(self) -> bool:
        return bool(self.checks) and all(check.status == MATCH for check in self.checks)

    def version_changes(self) -> dict[str, tuple[str, str]]:
        """Versions that differ between the original run and this one (a likely cause of differences)."""
        before = self.original.get("versions", {})
        after = self.outcome.manifest["versions"]
        return {
            name: (str(before.get(name)), str(after[name]))
            for name in after
            if name != "platform" and before.get(name) != after[name]
        }


def compare_files(original: dict[str, str], new: dict[str, str]) -> list[FileCheck]:
    checks = [
        FileCheck(name, MATCH if new.get(name) == digest else (DIFFERS if name in new else MISSING))
        for name, digest in original.items()
    ]
    checks += [FileCheck(name, EXTRA) for name in new if name not in original]
    return checks


def reproduce(
    source: Path, out: Path, executor: Executor, *, force: bool = False, progress: Progress | None = None
) -> Reproduction:
    """Run the plan recorded in ``source``/manifest.json into ``out`` and check every file."""
    original = read_manifest(source)
    if original.get("status") != COMPLETE:
        raise OutputDirError(
            f"{source}: the run recorded there did not finish; rerun its command to complete it first"
        )
    if out.resolve() == source.resolve():
        raise OutputDirError(f"{out}: reproduce into a new folder, not into the original")
    plan = plan_of(source, original)
    outcome = run_plan(plan, out, executor, force=force, command=command_line(), progress=progress)
    return Reproduction(compare_files(original["files"], outcome.manifest["files"]), outcome, original)
