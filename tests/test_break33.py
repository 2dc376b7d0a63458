"""break33: JSON files simiop reads back (a result folder's manifest, the report's record, a sensitivity
study's stored values) nested thousands deep by hand were a RecursionError traceback; now each is one
line, or counts as unreadable where an unreadable file already had a meaning."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from simiop.app.cache import prune
from simiop.calibrate.synthetic import NotAResultError, run_config
from simiop.config import ConfigError
from simiop.experiments.manifest import MANIFEST, read_manifest
from simiop.experiments.owned import REPORT_RECORD, recorded_files
from simiop.sensitivity.run import _read_value
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
