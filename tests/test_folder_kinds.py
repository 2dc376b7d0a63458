"""budget, export and report given a sensitivity or optimisation folder: one line saying what it is and
what to run instead, exit 2 (they read the tables of simiop run or simiop experiment, which those
folders do not have)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.test_cli import run

MMC = REPO / "configs" / "validation" / "mmc.yaml"

SENSITIVITY = f"""
base: {MMC}
method: oat
replications: 1
horizon: 90
kpis: [admissions]
inputs:
  seats: {{paths: [tracks.programme.group_size.max], integer: true, low: 4, high: 6}}
"""

OPTIMISE = f"""
base: {MMC}
horizon: 90
variables:
  seats: {{paths: [tracks.programme.group_size.max], levels: [5, 6]}}
objective: {{variable: seats}}
constraints:
  - {{kpi: wait_referral_to_admission_days_mean, at_most: 5, tolerance: 1}}
first_stage: 3
batch: 3
max_replications: 3
"""


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("kinds")
    found = {}
    for kind, text in (("sensitivity", SENSITIVITY), ("optimise", OPTIMISE)):
        spec = root / f"{kind}.yaml"
        spec.write_text(text, encoding="utf-8")
        code, _, err = run(kind, str(spec), "--out", str(root / kind), "--executor", "serial")
        assert code == 0, err
        found[kind] = root / kind
    return found


@pytest.mark.parametrize("kind", ["sensitivity", "optimise"])
@pytest.mark.parametrize("command", ["budget", "export", "report"])
def test_a_study_folder_given_to_a_run_command_says_what_it_is(
    folders: dict[str, Path], tmp_path: Path, kind: str, command: str
) -> None:
    folder = folders[kind]
    if command == "report" and kind == "sensitivity":  # report draws a sensitivity folder: it works there
        code, _, err = run("report", str(folder))
        assert code == 0, err
        return
    extra = ["--xlsx", str(tmp_path / "x.xlsx")] if command == "export" else []
    code, out, err = run(command, str(folder), *extra)
    assert code == 2
    lines = (out + err).strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(
        f"{folder}: is a{'n optimisation' if kind == 'optimise' else ' sensitivity'} folder"
    )
    named = ["simiop report"] if kind == "sensitivity" else ["optimise.html", "chosen.yaml"]
    for name in named:
        assert name in lines[0]
        if name.endswith((".html", ".yaml")):  # a file it names is there
            assert (folder / name).is_file()
    assert not (tmp_path / "x.xlsx").exists()
