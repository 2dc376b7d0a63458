"""Re-run a calibration from its manifest alone and check every file, by checksum (``simiop reproduce``).

The same two checks as for a run (``simiop.experiments.reproduce``): the original folder still holds the
bytes its manifest recorded, and the re-run made the same bytes again. The inputs are read from the paths
the manifest recorded (absolute, or relative to the calibration's folder when it was moved with its data)
and must still have the recorded SHA-256 (simiop.calibrate.record.inputs_of).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simiop.calibrate.record import Calibrated, calibrate_into, inputs_of
from simiop.experiments.manifest import MANIFEST, command_line
from simiop.experiments.reproduce import CheckedFiles, FileCheck, check_files


@dataclass(frozen=True, repr=False)
class CalibrationReproduction(CheckedFiles):
    """What reproducing a calibration found: one check per file, the re-run and the original manifest."""

    checks: list[FileCheck]
    outcome: Calibrated
    original: dict[str, Any]

    def rerun_manifest(self) -> dict[str, Any]:
        return self.outcome.manifest

    def __repr__(self) -> str:
        return f"<Reproduction of a calibration in {self.outcome.out}: {self.summary()}>"


def reproduce_calibration(
    source: Path, out: Path, original: dict[str, Any], *, force: bool = False
) -> CalibrationReproduction:
    """Calibrate again into ``out`` from the inputs and options ``source``/manifest.json records; check
    every file in both. CalibrateError when an input is gone or changed, or ``out`` is refused."""
    inputs, options = inputs_of(original, str(source / MANIFEST), source)
    outcome = calibrate_into(out, inputs, options, force=force, command=command_line())
    checks = check_files(source, original.get("files", {}), outcome.manifest["files"])
    return CalibrationReproduction(checks, outcome, original)
