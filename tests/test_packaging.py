"""The installed package, not the source tree: the console script, its package data, and CI matching the README."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def installed_simiop() -> Path:
    """The console script pip put next to this interpreter; missing means the package is not installed."""
    script = Path(sys.executable).parent / "simiop"
    assert script.exists(), f"simiop is not installed in this environment ({script}); see README quick start"
    return script


def test_installed_script_runs_init_and_validate_outside_the_repo(tmp_path: Path) -> None:
    script = installed_simiop()
    for args in (["--version"], ["init", "clinic.yaml"], ["validate", "clinic.yaml"]):
        done = subprocess.run([str(script), *args], cwd=tmp_path, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "clinic.yaml").read_text(encoding="utf-8").startswith("# simiop example clinic")


def test_ci_installs_the_project_as_the_readme_says() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    test_commands = [line for line in readme.splitlines() if "-m pytest" in line and "pip install" in line]
    assert len(test_commands) == 1
    (spec,) = re.findall(r'pip install ("[^"]+"|\S+)', test_commands[0])
    assert f'pip" install --quiet {spec}' in ci
    assert "-m pytest" in ci
