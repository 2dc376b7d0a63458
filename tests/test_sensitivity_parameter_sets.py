"""simiop sensitivity psa with ``parameter_sets:``: a calibration's parameter sets as the input sets.

A small parameter_sets.csv in the format simiop calibrate documents (docs/calibrate.md) on the M/M/c
clinic: each PSA input set is one row applied onto the base (whole-number fields rounded, a mix's
shares rescaled to sum to 1, an empty cell keeping the base's value); the run resumes, reproduces,
gives the same files for any executor, and reproduce refuses once the file has changed. Bad files are
one line naming the spec and the field, exit 2.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from simiop.cli import main
from simiop.sensitivity import read_study, run_sensitivity

ROOT = Path(__file__).resolve().parents[1]
MMC = ROOT / "configs" / "validation" / "mmc.yaml"

SETS = """set,referrals.sources.arrivals.weekly_rate,intake.outcomes.admit,intake.outcomes.decline,tracks.programme.group_size.max
0,6.5,0.9,0.1,4.6
1,7.5,0.8,0.25,5.2
2,8,,,6
3,6,0.95,0.05,5
"""

SPEC = """
base: {base}
method: psa
replications: 2
horizon: 60
kpis: [admissions, wait_referral_to_admission_days_mean]
parameter_sets: {{file: sets.csv}}
"""


def _folder(tmp_path: Path, sets: str = SETS, spec: str = SPEC) -> Path:
    (tmp_path / "sets.csv").write_text(sets, encoding="utf-8")
    path = tmp_path / "psa_sets.yaml"
    path.write_text(spec.format(base=MMC), encoding="utf-8")
    return path


def test_each_input_set_is_one_row_applied_onto_the_base(tmp_path: Path) -> None:
    study = read_study(_folder(tmp_path))
    design = study.design()
    assert design.inputs == (
        "referrals.sources.arrivals.weekly_rate",
        "intake.outcomes.admit",
        "intake.outcomes.decline",
        "tracks.programme.group_size.max",
    )
    configs = study.point_configs(design)
    assert len(configs) == 4
    rates = [c.referrals.sources["arrivals"].weekly_rate for c in configs]
    assert rates == [6.5, 7.5, 8.0, 6.0]
    seats = [c.tracks["programme"].group_size.max for c in configs]
    assert seats == [5, 5, 6, 5]  # a whole-number field takes the rounded value
    first = configs[0].intake.outcomes.model_dump()
    assert math.isclose(math.fsum(first.values()), 1.0, abs_tol=1e-12)
    assert math.isclose(first["admit"], 0.9)
    assert math.isclose(first["decline"], 0.1)
    second = configs[1].intake.outcomes.model_dump()  # 0.8 + 0.25 given: rescaled to sum to 1
    assert math.isclose(second["admit"], 0.8 / 1.05)
    assert math.isclose(second["decline"], 0.25 / 1.05)
    assert configs[2].intake.outcomes == study.base.intake.outcomes  # empty cells keep the base's


def test_samples_takes_the_first_sets_and_inputs_are_drawn_beside_them(tmp_path: Path) -> None:
    spec = SPEC + "samples: 3\ninputs:\n  stay:\n    paths: [length_of_stay.planned_stay.mean]\n"
    spec += "    low: 0.4\n    high: 0.6\n"
    study = read_study(_folder(tmp_path, spec=spec))
    design = study.design()
    assert design.values.shape == (3, 5)
    assert design.inputs[0] == "stay"
    assert ((design.values[:, 0] >= 0.4) & (design.values[:, 0] <= 0.6)).all()
    assert list(design.values[:, 1]) == [6.5, 7.5, 8.0]


def test_run_resume_reproduce_and_any_executor(tmp_path: Path) -> None:
    spec = _folder(tmp_path)
    outcome = run_sensitivity(spec, tmp_path / "out", executor="serial")
    assert outcome.values.shape == (4, 2, 2)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    recorded = manifest["sensitivity"]["parameter_sets"]
    assert recorded["sha256"] == hashlib.sha256(SETS.encode()).hexdigest()
    assert recorded["rows"][2][1] is None  # the empty cell, kept as "the base's value"
    importance = (tmp_path / "out" / "psa_importance.csv").read_text()
    assert "referrals.sources.arrivals.weekly_rate" in importance
    assert "parameter sets of" in (tmp_path / "out" / "report.html").read_text()
    again = run_sensitivity(spec, tmp_path / "out", executor="serial", report=False)
    assert (again.cells_run, again.cells_kept) == (0, 8)
    pooled = run_sensitivity(spec, tmp_path / "pooled", executor="processes", jobs=2, report=False)
    assert pooled.manifest["files"] == manifest["files"]
    runner = CliRunner()
    result = runner.invoke(main, ["reproduce", str(tmp_path / "out"), "--out", str(tmp_path / "again")])
    assert result.exit_code == 0, result.output
    (tmp_path / "sets.csv").write_text(SETS.replace("6.5", "6.6"), encoding="utf-8")
    result = runner.invoke(main, ["reproduce", str(tmp_path / "out"), "--out", str(tmp_path / "changed")])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, lines
    assert "parameter-set file changed since the run" in lines[0]
    assert not (tmp_path / "changed").exists()
    result = runner.invoke(main, ["report", str(tmp_path / "out")])  # the sets are in the manifest
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("sets", "spec_change", "expected"),
    [
        (None, ("sets.csv", "missing.csv"), "parameter_sets.file: no such file"),
        ("path,estimate\nx,1\n", None, "wrong columns"),
        (
            SETS.replace("intake.outcomes.admit", "intake.outcome.admit"),
            None,
            "is no field of the base config",
        ),
        (SETS.replace(",6.5,", ",lots,"), None, "row 2, column referrals.sources.arrivals.weekly_rate"),
        (SETS, ("method: psa", "method: oat"), "parameter_sets: read only by method psa"),
        (
            SETS.replace(",6.5,", ",-1,"),
            None,
            "parameter_sets at point p0: referrals.sources.arrivals.weekly_rate",
        ),
        (SETS, ("replications: 2", "replications: 2\nsamples: 9"), "samples: more than the 4 parameter sets"),
        (
            SETS,
            (
                "replications: 2",
                "replications: 2\ninputs: {{r: {{paths: [referrals.sources.arrivals.weekly_rate], low: 6, high: 8}}}}",
            ),
            "sets the same field",
        ),
    ],
)
def test_bad_parameter_sets_are_one_line_and_exit_2(
    tmp_path: Path, sets: str | None, spec_change: tuple[str, str] | None, expected: str
) -> None:
    spec = SPEC if spec_change is None else SPEC.replace(*spec_change)
    path = _folder(tmp_path, SETS if sets is None else sets, spec)
    result = CliRunner().invoke(main, ["sensitivity", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(str(path)), lines
    assert expected in lines[0], lines
    assert not (tmp_path / "out").exists()
