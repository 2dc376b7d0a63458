"""Re-run a result directory from its manifest alone and check every file, by checksum.

Two checks per file listed in the manifest: the original folder still holds
exactly the bytes its manifest recorded (a file edited or deleted since would
otherwise pass unnoticed), and the re-run made the same bytes again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simiop.experiments.executors import Executor
from simiop.experiments.manifest import COMPLETE, command_line, plan_of, read_manifest, sha256_of
from simiop.experiments.runner import Outcome, OutputDirError, Progress, run_plan

if TYPE_CHECKING:
    from simiop.calibrate.reproduce import CalibrationReproduction
    from simiop.optimisation.reproduce import OptimiseReproduction

MATCH = "match"
DIFFERS = "differs"
MISSING = "missing"
EXTRA = "extra"
STATUSES = (DIFFERS, MISSING, EXTRA, MATCH)


@dataclass(frozen=True)
class FileCheck:
    """One output file: its status, and the comparison that gave it.

    ``status`` is ``match`` only when the original folder's file and the
    re-run's both have the checksum the manifest recorded. Otherwise it is
    ``differs`` or ``missing`` (in the original folder first, then in the
    re-run), or ``extra`` for a file the re-run made that the manifest does
    not list; ``reason`` says which.
    """

    name: str
    status: str
    reason: str = ""


_UNREADABLE = "unreadable"


def _digest(path: Path) -> str | None:
    """SHA-256 of a file, None when it is not there, 'unreadable' when it cannot be read."""
    try:
        return sha256_of(path) if path.is_file() else None
    except OSError:
        return _UNREADABLE


def _check(name: str, recorded: str, in_folder: str | None, in_rerun: str | None) -> FileCheck:
    if in_folder is None:
        return FileCheck(name, MISSING, "listed in the manifest but gone from the folder")
    if in_folder == _UNREADABLE:
        return FileCheck(name, DIFFERS, "the folder's file cannot be read")
    if in_folder != recorded:
        rerun = "the re-run matches the manifest" if in_rerun == recorded else "the re-run differs too"
        return FileCheck(name, DIFFERS, f"the folder's file changed since the manifest was written; {rerun}")
    if in_rerun is None:
        return FileCheck(name, MISSING, "the re-run did not make it")
    if in_rerun != recorded:
        return FileCheck(name, DIFFERS, "the re-run made different bytes")
    return FileCheck(name, MATCH)


def check_files(source: Path, recorded: Mapping[str, str], rerun: Mapping[str, str]) -> list[FileCheck]:
    """Every file of the manifest, checked in ``source`` and against the re-run's checksums; then extras."""
    checks = [
        _check(name, digest, _digest(source / name), rerun.get(name)) for name, digest in recorded.items()
    ]
    checks += [
        FileCheck(name, EXTRA, "made by the re-run, not listed in the manifest")
        for name in rerun
        if name not in recorded
    ]
    return checks


class CheckedFiles:
    """What every kind of reproduction reports (a run or experiment here, an optimisation in
    ``simiop.optimisation.reproduce``): one check per file and the original manifest, against the
    re-run's manifest (``rerun_manifest``).

    One definition of "identical", the summary line and the version changes, so that
    ``simiop reproduce`` says the same of every kind of folder.
    """

    checks: list[FileCheck]
    original: dict[str, Any]

    def rerun_manifest(self) -> dict[str, Any]:
        """The manifest the re-run wrote."""
        raise NotImplementedError

    @property
    def identical(self) -> bool:
        return bool(self.checks) and all(check.status == MATCH for check in self.checks)

    @property
    def problems(self) -> list[FileCheck]:
        """The checks that are not a match, in manifest order."""
        return [check for check in self.checks if check.status != MATCH]

    def summary(self) -> str:
        """One line: how many files match, and how many differ, are missing or extra."""
        counts = Counter(check.status for check in self.checks)
        line = f"{counts[MATCH]} of {len(self.checks)} files match"
        others = [f"{counts[status]} {status}" for status in STATUSES if status != MATCH and counts[status]]
        return line + (f" ({', '.join(others)})" if others else "")

    def version_changes(self) -> dict[str, tuple[str, str]]:
        """Versions that differ between the original run and this one (a likely cause of differences)."""
        before = self.original.get("versions", {})
        after = self.rerun_manifest()["versions"]
        return {
            name: (str(before.get(name)), str(after[name]))
            for name in after
            if name != "platform" and before.get(name) != after[name]
        }


@dataclass(frozen=True, repr=False)
class Reproduction(CheckedFiles):
    """What ``reproduce`` found: one check per file, the re-run's outcome and the original manifest."""

    checks: list[FileCheck]
    outcome: Outcome
    original: dict[str, Any]

    def rerun_manifest(self) -> dict[str, Any]:
        return self.outcome.manifest

    def __repr__(self) -> str:
        return f"<Reproduction of {self.outcome.plan.name!r} in {self.outcome.out}: {self.summary()}>"


REPRODUCED = "-reproduced"
"""Suffix of the default folder for a re-run: DIR-reproduced, beside DIR."""


def default_out(source: Path) -> Path:
    """DIR-reproduced beside DIR, named after the folder DIR stands for.

    The name is taken from the path as typed when it has one, and from the
    resolved path when it has none (``.``, ``./``) or is ``..``: the path as
    typed would give no name at all, or a folder ``..-reproduced`` inside
    the current folder (which may be inside DIR itself).
    """
    folder = source if source.name not in ("", "..") else source.resolve()
    if not folder.name:
        raise OutputDirError(f"{source}: is the root folder; give --out for the re-run")
    return folder.with_name(folder.name + REPRODUCED)


def reproduce(
    source: Path, out: Path, executor: Executor, *, force: bool = False, progress: Progress | None = None
) -> Reproduction | OptimiseReproduction | CalibrationReproduction:
    """Run the plan recorded in ``source``/manifest.json into ``out`` and check every file in both.

    An optimisation's folder (``simiop optimise``) is re-run as an optimisation, a calibration's
    (``simiop calibrate``) as a calibration.
    """
    original = read_manifest(source)
    if original.get("status") != COMPLETE:
        raise OutputDirError(
            f"{source}: the run recorded there did not finish; rerun its command to complete it first"
        )
    if out.resolve() == source.resolve():
        raise OutputDirError(f"{out}: reproduce into a new folder, not into the original")
    if source.resolve() in out.resolve().parents:
        raise OutputDirError(
            f"{out}: is inside the original folder {source}; reproduce into a folder outside it, "
            "so that the original stays as its manifest recorded it"
        )
    if original.get("kind") == "sensitivity":  # simiop sensitivity's folders record a study, not a plan
        from simiop.sensitivity.reproduce import reproduce_study

        return reproduce_study(source, out, original, executor, force=force, progress=progress)
    if original.get("kind") == "optimise":
        from simiop.optimisation.reproduce import reproduce_optimisation

        return reproduce_optimisation(source, out, executor, original, force=force)
    if original.get("kind") == "calibrate":
        from simiop.calibrate.reproduce import reproduce_calibration

        return reproduce_calibration(source, out, original, force=force)
    plan = plan_of(source, original)
    outcome = run_plan(plan, out, executor, force=force, command=command_line(), progress=progress)
    checks = check_files(source, original["files"], outcome.manifest["files"])
    return Reproduction(checks, outcome, original)
