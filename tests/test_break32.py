"""Breaks found in the fresh breaker's round 32: each test failed before its fix."""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from pathlib import Path

import pytest

from simiop.app.cache import APP_COMMAND, prune
from simiop.calibrate import record
from simiop.calibrate.record import Inputs, Options, identity, inputs_of
from simiop.experiments.manifest import FORMAT, MANIFEST

DAY = 86_400.0


def _project(root: Path) -> tuple[Path, Path, Path]:
    """A project folder: an extract and a base config under it, and where its calibration goes."""
    (root / "data").mkdir(parents=True)
    extract, base = root / "data" / "extract.csv", root / "base.yaml"
    extract.write_text("episode,day\n1,0\n", encoding="utf-8")
    base.write_text("config_version: 1\n", encoding="utf-8")
    (root / "cal").mkdir()
    return extract, base, root / "cal"


def test_a_copied_project_reproduces_when_the_original_input_changed_later(tmp_path: Path) -> None:
    """A project copied whole, whose original extract is edited afterwards: the copy's extract beside its
    results still has the recorded SHA-256, so it is the one read (the SHA-256 decides), not refused."""
    extract, base, cal = _project(tmp_path / "project")
    document = {"calibration": identity(Inputs(extract, base), Options(), cal)}
    shutil.copytree(tmp_path / "project", tmp_path / "copy")
    extract.write_text("episode,day\n1,5\n", encoding="utf-8")  # the original moves on
    inputs, _ = inputs_of(document, "manifest.json", tmp_path / "copy" / "cal")
    assert inputs.extract.resolve() == (tmp_path / "copy" / "data" / "extract.csv").resolve()
    assert inputs.base == base  # unchanged where it was read: still read there


def test_a_changed_input_with_no_good_copy_is_still_refused_naming_it(tmp_path: Path) -> None:
    extract, base, cal = _project(tmp_path / "project")
    document = {"calibration": identity(Inputs(extract, base), Options(), cal)}
    extract.write_text("episode,day\n1,5\n", encoding="utf-8")
    with pytest.raises(record.CalibrateError) as caught:
        inputs_of(document, "manifest.json", cal)
    assert len(caught.value.lines) == 1
    assert "input extract" in caught.value.lines[0]
    assert "changed since the calibration" in caught.value.lines[0]


def test_an_input_on_another_drive_is_recorded_without_a_relative_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On Windows os.path.relpath raises ValueError for paths on two drives (ntpath); the calibration
    must still record the input (absolute path and SHA-256), not fail with a traceback."""
    extract, base, cal = _project(tmp_path / "project")

    def other_drive(path: str, start: str | None = None) -> str:
        raise ValueError("path is on mount 'D:', start on mount 'C:'")

    monkeypatch.setattr(os.path, "relpath", other_drive)  # record.py calls os.path.relpath
    entry = identity(Inputs(extract, base), Options(), cal)["inputs"]["extract"]
    assert entry["path"] == str(extract.resolve())
    assert "relative" not in entry
    assert len(entry["sha256"]) == 64


def _app_run(folder: Path, files: dict[str, str], age_days: float) -> None:
    """A result folder as the app's run leaves it: its files and a manifest naming the app's plan and the
    app as what made it."""
    folder.mkdir(parents=True)
    for name in files:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("x\n", encoding="utf-8")
    manifest = {
        "simiop_manifest": FORMAT,
        "command": list(APP_COMMAND),
        "plan": {"name": "clinic"},
        "files": files,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    stamp = time.time() - age_days * DAY
    os.utime(folder / MANIFEST, (stamp, stamp))


def test_prune_never_follows_a_symlinked_subfolder_out_of_the_runs_folder(tmp_path: Path) -> None:
    """An old app folder whose 'scenarios' is a symlink to a folder elsewhere: the files there are not
    under the runs folder and stay; the folder's own files go."""
    outside = tmp_path / "elsewhere" / "scenarios" / "base"
    outside.mkdir(parents=True)
    (outside / "kpis.csv").write_text("precious\n", encoding="utf-8")
    folder = tmp_path / "runs" / ("a" * 24)
    _app_run(folder, {"summary.csv": "0" * 64, "scenarios/base/kpis.csv": "0" * 64}, 40)
    shutil.rmtree(folder / "scenarios")
    (folder / "scenarios").symlink_to(tmp_path / "elsewhere" / "scenarios", target_is_directory=True)
    prune(tmp_path / "runs", 30)
    assert (outside / "kpis.csv").read_text(encoding="utf-8") == "precious\n"
    assert not (folder / "summary.csv").exists()


def test_prune_of_an_unreadable_runs_folder_removes_nothing_and_raises_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A runs folder that cannot be listed (no read permission) is left as it is, as the docstring says
    of a folder that cannot be read: simiop app must not stop with a traceback before serving."""
    root = tmp_path / "runs"
    _app_run(root / ("b" * 24), {"summary.csv": "0" * 64}, 40)

    def refused(self: Path) -> None:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "iterdir", refused)
    assert prune(root, 30) == []


@pytest.mark.parametrize(
    ("kpi", "bound"),
    [
        ("census_mean_job_share", 5.0),  # a track named job_share: its census is people, not a share
        ("wait_list_mean_coverage", 3.0),  # a track named coverage
        ("group_days_cancelled_too_few_job_share", 2.0),
    ],
)
def test_a_track_named_like_a_share_keeps_its_kpis_kinds(kpi: str, bound: float) -> None:
    """KPIs that end in a track's name take their kind from their family, not from the track's name: a
    constraint at least 5 on the mean census of track job_share is a possible one (and its summary's
    interval is not clipped to 0-1)."""
    from simiop.optimisation.spec import Target
    from simiop.results.kinds import possible

    assert possible(kpi) == (0.0, math.inf)
    assert Target.model_validate({"kpi": kpi, "at_least": bound, "tolerance": 1.0}).bound == bound
