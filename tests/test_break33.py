"""break33: JSON files simiop reads back (a result folder's manifest, the report's record, a sensitivity
study's stored values) nested thousands deep by hand were a RecursionError traceback; now each is one
line, or counts as unreadable where an unreadable file already had a meaning."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from simiop.app.cache import prune
from simiop.calibrate.synthetic import NotAResultError, run_config
from simiop.config import ConfigError
from simiop.experiments.manifest import MANIFEST, read_manifest
from simiop.experiments.owned import REPORT_RECORD, recorded_files
from simiop.experiments.spec import MAX_GRID_SCENARIOS, ExperimentSpec
from simiop.sensitivity.run import _read_value
from tests.conftest import BASELINE
from tests.test_cli import run

DEEP = "[" * 100_000 + "]" * 100_000
"""Valid JSON that Python's json module cannot decode without passing the recursion limit."""


def deep_file(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(DEEP, encoding="utf-8")
    return path


def test_a_manifest_nested_too_deeply_is_one_line_for_every_reader(tmp_path: Path) -> None:
    folder = tmp_path / "results"
    deep_file(folder / MANIFEST)
    with pytest.raises(ConfigError, match="cannot be read as JSON"):
        read_manifest(folder)
    for command in ("report", "reproduce", "budget"):
        code, out, err = run(command, str(folder))
        assert code == 2, (command, out, err)
        assert err.splitlines() == [f"{folder / MANIFEST}: {err.split(': ', 1)[1].rstrip()}"], (command, err)
        assert "cannot be read as JSON" in err, (command, err)
    with pytest.raises(NotAResultError):
        run_config(folder)


def test_simiop_apps_clean_up_leaves_a_folder_whose_manifest_is_nested_too_deeply(tmp_path: Path) -> None:
    """It was the start of ``simiop app`` that failed: prune read every folder's manifest."""
    folder = tmp_path / "runs" / ("a" * 24)
    manifest = deep_file(folder / MANIFEST)
    old = time.time() - 90 * 86_400
    os.utime(manifest, (old, old))
    assert prune(tmp_path / "runs", 30) == []
    assert manifest.read_text(encoding="utf-8") == DEEP


def test_records_and_stored_values_nested_too_deeply_count_as_unreadable(tmp_path: Path) -> None:
    deep_file(tmp_path / REPORT_RECORD)
    assert recorded_files(tmp_path, REPORT_RECORD) is None
    assert _read_value(deep_file(tmp_path / "values" / "p000000-r0000.json"), ("admissions",)) is None


def _grid_spec(tmp_path: Path, factors: int) -> Path:
    """An experiment file whose grid has ``factors`` factors of ten levels (10**factors scenarios)."""
    lines = [f"base: {BASELINE}", "replications: 2", "grid:"]
    lines += [
        f"  f{i}: {{paths: [staff.roles.therapist.count], levels: {list(range(1, 11))}}}"
        for i in range(factors)
    ]
    spec = tmp_path / f"grid{factors}.yaml"
    spec.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return spec


def test_a_grid_of_too_many_combinations_is_one_line_before_any_is_made(tmp_path: Path) -> None:
    """break33: eight factors of ten levels (10**8 scenarios) held 13 GB in simiop experiment --dry-run
    before it was stopped; now one line naming the grid, and 10**4 (the limit) still reads. The spec alone
    first: without the limit it is read, and the test stops before the command line tries 10**8."""
    grid = {f"f{i}": {"paths": ["tracks.day.groups"], "levels": list(range(10))} for i in range(5)}
    with pytest.raises(ValidationError, match="too many scenarios"):
        ExperimentSpec.model_validate({"base": "x.yaml", "grid": grid})
    del grid["f4"]
    assert MAX_GRID_SCENARIOS == 10**4
    assert len(ExperimentSpec.model_validate({"base": "x.yaml", "grid": grid}).grid) == 4
    spec = _grid_spec(tmp_path, 8)
    code, out, err = run("experiment", str(spec), "--dry-run")
    assert code == 2, (out, err)
    assert err.splitlines() == [
        f"{spec}: grid: every combination of levels is a scenario: 10 (f0) x 10 (f1) x 10 (f2) x 10 (f3) x "
        "10 (f4) x 10 (f5) x 10 (f6) x 10 (f7) levels are too many scenarios (got 100000000; allowed at most "
        "10,000: fewer factors or levels, or simiop optimise with a screening section for a large space)"
    ]
