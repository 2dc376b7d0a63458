"""Breaks found by trying the web app as a new user would (issue 21), each pinned by a test."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.test_app_pages import app, texts, version  # also restores MPLBACKEND after importing streamlit

pytest.importorskip("streamlit")

from simiop.app.editing import yaml_text  # noqa: E402
from simiop.cli import main  # noqa: E402


def test_a_problem_about_a_section_is_shown_once_as_validate_prints_it(tmp_path: Path) -> None:
    at = app()
    for track in ("day", "evening"):
        at.toggle(key=f"{version(at)}:tracks.{track}.enabled").set_value(False).run()
    assert not at.exception
    saved = tmp_path / "clinic.yaml"
    saved.write_text(yaml_text(at.session_state.data), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(saved)])
    assert result.exit_code == 2
    expected = result.output.strip().replace(str(saved), "clinic.yaml")
    assert texts(at.error).count(expected) == 1
