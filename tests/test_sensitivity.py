"""simiop sensitivity: known answers through the same analysis code, the simulated pipeline, spec errors.

Analytic checks (pure numpy, fast): the Ishigami function and a Sobol' G
function, whose first-order and total indices are known in closed form
(Saltelli et al. 2010, Comput Phys Commun 181:259; Sobol' 1993), must fall
inside the bootstrap CIs the analysis reports; the law-of-total-variance
split of PSA must recover a known input and noise variance. Simulated
checks (tiny horizons): an input that cannot change admissions (a per-diem
rate) has a total index whose CI covers 0, and on the M/M/c clinic every OAT
change has the sign of the Erlang C derivative.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from simiop.cli import main
from simiop.queueing import mmc_mean_wait
from simiop.sensitivity import read_study, run_sensitivity
from simiop.sensitivity.analysis import morris_indices, psa_summary, sobol_indices
from simiop.sensitivity.design import unit_design
from tests.conftest import BASELINE

ROOT = Path(__file__).resolve().parents[1]
MMC = ROOT / "configs" / "validation" / "mmc.yaml"


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.asarray(np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0]))


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Analytic S1 and ST of Ishigami on [-pi, pi]^3 (Saltelli et al. 2010, appendix)."""
    pi = math.pi
    v1 = 0.5 * (1 + b * pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * pi**8 * (1 / 18 - 1 / 50)
    total = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / total, np.array([v1 + v13, v2, v13]) / total


def sobol_g(x: np.ndarray, a: np.ndarray) -> np.ndarray:
    return np.asarray(np.prod((np.abs(4 * x - 2) + a) / (1 + a), axis=1))


def sobol_g_indices(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Analytic S1 and ST of the G function: V_i = 1 / (3 (1 + a_i)^2)."""
    v = 1 / (3 * (1 + a) ** 2)
    total = np.prod(1 + v) - 1
    st = np.array([v[i] * np.prod(np.delete(1 + v, i)) for i in range(len(a))]) / total
    return v / total, st


def _within(estimate: np.ndarray, half_width: np.ndarray, truth: np.ndarray) -> np.ndarray:
    return np.asarray(np.abs(estimate - truth) <= half_width)


def test_ishigami_indices_inside_their_bootstrap_intervals() -> None:
    unit = unit_design("sobol", 2048, 3, seed=11)
    y = ishigami(-math.pi + 2 * math.pi * unit)
    found = sobol_indices(y[:, None], 3, resamples=300, seed=5)
    s1, st = ishigami_indices()
    assert _within(found.s1, found.s1_conf, s1).all(), (found.s1, found.s1_conf, s1)
    assert _within(found.st, found.st_conf, st).all(), (found.st, found.st_conf, st)
    assert math.isnan(found.noise_share)  # one replication: the noise is not measured


def test_sobol_g_indices_inside_their_bootstrap_intervals_and_morris_ranks_them() -> None:
    a = np.array([0.0, 1.0, 4.5, 9.0, 99.0, 99.0])
    unit = unit_design("sobol", 1024, len(a), seed=3)
    found = sobol_indices(sobol_g(unit, a)[:, None], len(a), resamples=300, seed=7)
    s1, st = sobol_g_indices(a)
    assert _within(found.s1, found.s1_conf, s1).all(), (found.s1, found.s1_conf, s1)
    assert _within(found.st, found.st_conf, st).all(), (found.st, found.st_conf, st)
    trajectories = unit_design("morris", 40, len(a), seed=3, levels=4)
    screened = morris_indices(trajectories, sobol_g(trajectories, a)[:, None], 4, 200, seed=1)
    assert list(np.argsort(-screened.mu_star)[:3]) == [0, 1, 2]  # the smaller a, the more important


def test_noise_share_and_total_variance_split_recover_known_parts() -> None:
    rng = np.random.default_rng(1)
    sets, replications = 400, 8
    theta = rng.normal(10, 2.0, sets)  # input part: variance 4
    y = theta[:, None] + rng.normal(0, 3.0, (sets, replications))  # stochastic part: variance 9
    found = psa_summary(y)
    assert found.input_variance == pytest.approx(4.0, rel=0.2)
    assert found.stochastic_variance == pytest.approx(9.0, rel=0.1)
    assert found.input_share == pytest.approx(4 / 13, abs=0.06)


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


INERT = """
base: {base}
method: sobol
samples: 8
replications: 1
bootstrap: 100
horizon: 60
kpis: [admissions]
inputs:
  commercial_per_diem:
    paths: [money.payers.commercial.per_diem_usd]
    low: 200
    high: 300
  step_down_rate:
    paths: [referrals.sources.step_down.weekly_rate]
    low: 2.0
    high: 5.0
"""


def test_an_input_that_cannot_change_a_kpi_has_a_total_index_covering_zero(tmp_path: Path) -> None:
    spec = _write(tmp_path, "inert.yaml", INERT.format(base=BASELINE))
    outcome = run_sensitivity(spec, tmp_path / "out", executor="serial", report=False)
    rows = [line.split(",") for line in (tmp_path / "out" / "sobol.csv").read_text().splitlines()[1:]]
    total = {row[1]: (float(row[5]), float(row[6])) for row in rows}
    index, half = total["commercial_per_diem"]
    assert index - half <= 0.0 <= index + half
    assert total["step_down_rate"][0] > 0.0  # the referral rate does move admissions
    assert outcome.values.shape == (8 * 4, 1, 1)


MMC_OAT = """
base: {base}
method: oat
replications: 3
horizon: 400
kpis: [wait_referral_to_admission_days_mean]
inputs:
  arrival_rate:
    paths: [referrals.sources.arrivals.weekly_rate]
    low: 6.0
    high: 8.0
  mean_stay:
    paths: [length_of_stay.planned_stay.mean]
    low: 0.4
    high: 0.6
  seats:
    paths: [tracks.programme.group_size.max]
    low: 4
    high: 6
    integer: true
"""


@pytest.fixture(scope="module")
def mmc_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("mmc")
    spec = _write(folder, "mmc_oat.yaml", MMC_OAT.format(base=MMC))
    run_sensitivity(spec, folder / "out", executor="serial")
    return folder


def test_mmc_oat_signs_match_the_erlang_c_derivative(mmc_folder: Path) -> None:
    rows = [line.split(",") for line in (mmc_folder / "out" / "oat.csv").read_text().splitlines()[1:]]
    effect = {row[1]: float(row[7]) - float(row[6]) for row in rows}  # high mean - low mean
    lam, stay_weeks, seats = 1.0, 3.5, 5  # per day: 7/week, 0.5 weeks

    def wait(rate: float = lam, stay: float = stay_weeks, servers: int = seats) -> float:
        return mmc_mean_wait(servers, rate, 1.0 / stay)

    analytic = {
        "arrival_rate": wait(rate=8 / 7) - wait(rate=6 / 7),
        "mean_stay": wait(stay=0.6 * 7) - wait(stay=0.4 * 7),
        "seats": wait(servers=6) - wait(servers=4),
    }
    assert {name: np.sign(v) for name, v in effect.items()} == {
        name: np.sign(v) for name, v in analytic.items()
    }
    report = (mmc_folder / "out" / "report.html").read_text()
    assert "tornado_wait_referral_to_admission_days_mean" in report
    assert "The inputs that matter most" in (mmc_folder / "out" / "findings.txt").read_text()


def test_resume_keeps_stored_values_and_reproduce_matches(mmc_folder: Path) -> None:
    out = mmc_folder / "out"
    before = json.loads((out / "manifest.json").read_text())["files"]
    removed = sorted((out / "values").iterdir())[:4]
    for path in removed:
        path.unlink()
    partial = out / "values" / ".p000000-r0000.json.x1y2.tmp"  # as a run killed while writing leaves it
    partial.write_text("{", encoding="utf-8")
    again = run_sensitivity(mmc_folder / "mmc_oat.yaml", out, executor="serial", report=False)
    assert (again.cells_run, again.cells_kept) == (4, 7 * 3 - 4)
    assert json.loads((out / "manifest.json").read_text())["files"] == before
    assert not partial.exists()
    result = CliRunner().invoke(
        main, ["reproduce", str(out), "--out", str(mmc_folder / "again"), "--executor", "serial"]
    )
    assert result.exit_code == 0, result.output
    assert f"{len(before)} of {len(before)} files match" in result.output


def test_values_are_the_same_for_any_executor(tmp_path: Path) -> None:
    text = (
        MMC_OAT.format(base=MMC)
        .replace("horizon: 400", "horizon: 120")
        .replace("replications: 3", "replications: 2")
    )
    spec = _write(tmp_path, "small.yaml", text)
    serial = run_sensitivity(spec, tmp_path / "serial", executor="serial", report=False)
    pooled = run_sensitivity(spec, tmp_path / "pooled", executor="processes", jobs=2, report=False)
    assert serial.manifest["files"] == pooled.manifest["files"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("method: oat", "bad.yaml: methd: "),
        ("low: 6.0", "bad.yaml: inputs.arrival_rate.high: must be above low"),
        (
            "paths: [referrals.sources.arrivals.weekly_rate]",
            "bad.yaml: inputs.arrival_rate.paths[0]: no such field in the base config",
        ),
        ("replications: 3", "bad.yaml: samples: not read by method oat"),
        (
            "paths: [tracks.programme.group_size.max]",
            "bad.yaml: inputs.arrival_rate.paths[0]: sets the same field as inputs.seats.paths[1]",
        ),
    ],
)
def test_spec_errors_are_one_line_naming_the_field(tmp_path: Path, change: str, expected: str) -> None:
    broken = {
        "method: oat": "methd: oat\nmethod: oat",
        "low: 6.0": "low: 9.0",
        "paths: [referrals.sources.arrivals.weekly_rate]": "paths: [referrals.sources.arrivals.weekly_rates]",
        "replications: 3": "replications: 3\nsamples: 8",
        "paths: [tracks.programme.group_size.max]": "paths: [tracks.programme.group_size.max, referrals.sources.arrivals.weekly_rate]",
    }[change]
    text = MMC_OAT.format(base=MMC).replace(change, broken, 1)
    spec = _write(tmp_path, "bad.yaml", text)
    result = CliRunner().invoke(main, ["sensitivity", str(spec), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(str(tmp_path))
    assert expected in lines[0]
    assert not (tmp_path / "out").exists()


def test_shipped_specs_read() -> None:
    study = read_study(ROOT / "experiments" / "sensitivity_baseline.yaml")
    assert study.spec.method == "oat"
    assert "net_surplus_usd" in study.spec.kpis
    assert len(study.design().labels) == 1 + 2 * len(study.spec.inputs)
    psa = read_study(ROOT / "experiments" / "sensitivity_psa_staffing.yaml")
    assert list(psa.options()) == ["two_day_groups", "three_day_groups"]
    assert psa.options()["three_day_groups"].tracks["day"].groups == 3


def test_shipped_referral_volume_uses_the_configs_multiplier() -> None:
    """referrals.volume (issue 21) scales every source at once; the sources' own rates stay as written."""
    for name in ("sensitivity_baseline", "sensitivity_psa_staffing"):
        text = (ROOT / "experiments" / f"{name}.yaml").read_text(encoding="utf-8")
        assert "paths: [referrals.volume]" in text
    study = read_study(ROOT / "experiments" / "sensitivity_baseline.yaml")
    assert study.spec.inputs["referral_volume"].paths == ("referrals.volume",)
    design = study.design()
    column = design.inputs.index("referral_volume")
    for row, config in zip(design.values, study.point_configs(design), strict=True):
        assert config.referrals.volume == (1.0 if math.isnan(row[column]) else row[column])
        assert {k: s.weekly_rate for k, s in config.referrals.sources.items()} == {
            k: s.weekly_rate for k, s in study.base.referrals.sources.items()
        }


PSA = """
base: {base}
method: psa
samples: 8
replications: 2
horizon: 90
kpis: [wait_referral_to_admission_days_mean, admissions]
inputs:
  arrival_rate:
    paths: [referrals.sources.arrivals.weekly_rate]
    low: 6.0
    high: 8.0
    distribution: {{dist: normal, mean: 7, sd: 0.5}}
  mean_stay:
    paths: [length_of_stay.planned_stay.mean]
    low: 0.4
    high: 0.6
    distribution: {{dist: beta, a: 2, b: 2}}
targets:
  - {{kpi: wait_referral_to_admission_days_mean, at_most: 0.5}}
options:
  five_seats: {{set: {{tracks.programme.group_size.max: 5}}}}
  seven_seats: {{set: {{tracks.programme.group_size.max: 7}}}}
"""


def test_psa_splits_variance_and_compares_options_under_the_same_input_sets(tmp_path: Path) -> None:
    spec = _write(tmp_path, "psa.yaml", PSA.format(base=MMC))
    outcome = run_sensitivity(spec, tmp_path / "out", executor="serial")
    assert outcome.values.shape == (2 * 8, 2, 2)
    design = outcome.design.values
    assert (design[:, 0] >= 6.0).all()
    assert (design[:, 0] <= 8.0).all()
    rows = {
        (row[0], row[1]): row
        for row in (line.split(",") for line in (tmp_path / "out" / "psa.csv").read_text().splitlines()[1:])
    }
    for row in rows.values():
        assert float(row[6]) >= 0.0  # input variance, floored at 0
        assert float(row[7]) >= 0.0  # stochastic variance
    met = {
        (row[0], row[1]): float(row[2])
        for row in (
            line.split(",") for line in (tmp_path / "out" / "psa_targets.csv").read_text().splitlines()[1:]
        )
    }
    wait = "wait_referral_to_admission_days_mean <= 0.5"
    assert met["seven_seats", wait] >= met["five_seats", wait]  # more seats never wait longer here
    figures = {path.name for path in (tmp_path / "out" / "figures").iterdir()}
    assert "acceptability_wait_referral_to_admission_days_mean.png" in figures
    assert "psa_admissions.png" in figures


def test_morris_runs_through_the_pipeline_and_ranks_the_arrival_rate_first_for_admissions(
    tmp_path: Path,
) -> None:
    text = PSA.format(base=MMC).replace("method: psa", "method: morris").replace("samples: 8", "samples: 3")
    spec = _write(tmp_path, "morris.yaml", text.split("targets:")[0])
    outcome = run_sensitivity(spec, tmp_path / "out", executor="serial")
    assert outcome.values.shape == (3 * 3, 2, 2)
    ranked = [line.split(",") for line in (tmp_path / "out" / "importance.csv").read_text().splitlines()[1:]]
    assert [row[2] for row in ranked if row[0] == "admissions" and row[1] == "1"] == ["arrival_rate"]
    assert (tmp_path / "out" / "figures" / "morris_admissions.png").is_file()


def test_an_unknown_kpi_is_named_and_leaves_no_folder(tmp_path: Path) -> None:
    text = MMC_OAT.format(base=MMC).replace("horizon: 400", "horizon: 60")
    text = text.replace("[wait_referral_to_admission_days_mean]", "[people_helped]")
    spec = _write(tmp_path, "kpi.yaml", text)
    result = CliRunner().invoke(
        main, ["sensitivity", str(spec), "--out", str(tmp_path / "out"), "--executor", "serial"]
    )
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"{spec}: kpis: the model reports no such KPI (got 'people_helped'; allowed a column of kpis.csv or net_surplus_usd)"
    ]
    assert not (tmp_path / "out").exists()


def test_an_experiment_command_given_a_sensitivity_file_says_which_command_runs_it(tmp_path: Path) -> None:
    spec = ROOT / "experiments" / "sensitivity_baseline.yaml"
    result = CliRunner().invoke(main, ["experiment", str(spec), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert (
        "this is a sensitivity file, not an experiment file; run it with: simiop sensitivity" in result.output
    )


def test_report_command_redraws_a_sensitivity_folder_from_its_stored_values(mmc_folder: Path) -> None:
    out = mmc_folder / "out"
    (out / "report.html").unlink()
    result = CliRunner().invoke(main, ["report", str(out)])
    assert result.exit_code == 0, result.output
    assert "tornado_wait_referral_to_admission_days_mean" in (out / "report.html").read_text()


def test_command_line_options_replace_the_files_replications_and_horizon(tmp_path: Path) -> None:
    spec = _write(tmp_path, "mmc_oat.yaml", MMC_OAT.format(base=MMC))
    out = tmp_path / "out"
    arguments = [
        "sensitivity",
        str(spec),
        "--out",
        str(out),
        "-r",
        "1",
        "--horizon",
        "60",
        "--executor",
        "serial",
    ]
    result = CliRunner().invoke(main, [*arguments, "--no-report"])
    assert result.exit_code == 0, result.output
    assert f"7 replications run; results in {out}/" in result.output  # not "0 kept", as if all were lost
    again = CliRunner().invoke(main, [*arguments, "--no-report"])
    assert f"0 replications run, 7 kept from before; results in {out}/" in again.output
    recorded = json.loads((out / "manifest.json").read_text())["sensitivity"]
    assert recorded["spec"]["replications"] == 1
    assert recorded["base_config"]["simulation"]["horizon_days"] == 60
    assert not (out / "report.html").exists()


def test_a_target_on_a_kpi_not_studied_is_refused(tmp_path: Path) -> None:
    extra = "at_most: 0.5}\n  - {kpi: revenue_usd, at_least: 0}"
    text = PSA.format(base=MMC).replace("at_most: 0.5}", extra)
    spec = _write(tmp_path, "psa.yaml", text)
    result = CliRunner().invoke(main, ["sensitivity", str(spec), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "psa.yaml: targets[1].kpi: not one of kpis (got 'revenue_usd'" in result.output


def test_a_target_no_value_of_its_kpi_can_meet_is_refused(tmp_path: Path) -> None:
    """A wait at most -1 could only show a probability of 0 of meeting it: refused before any run, in one
    line naming the field (the same rule as simiop optimise's constraints)."""
    spec = _write(tmp_path, "psa.yaml", PSA.format(base=MMC).replace("at_most: 0.5}", "at_most: -1}"))
    result = CliRunner().invoke(main, ["sensitivity", str(spec), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.output.strip().endswith(
        "psa.yaml: targets[0].at_most: wait_referral_to_admission_days_mean is never below 0, so the "
        "target cannot be met (got -1; allowed >= 0)"
    ), result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_one_replication_names_no_input_as_told_from_noise(tmp_path: Path) -> None:
    """With one replication a change has no CI, so no run can tell it from noise (docs/sensitivity.md)."""
    spec = _write(tmp_path, "mmc_oat.yaml", MMC_OAT.format(base=MMC))
    out = tmp_path / "out"
    arguments = ["sensitivity", str(spec), "--out", str(out), "-r", "1", "--horizon", "60"]
    result = CliRunner().invoke(main, [*arguments, "--executor", "serial", "--no-report"])
    assert result.exit_code == 0, result.output
    findings = (out / "findings.txt").read_text(encoding="utf-8")
    assert "no input has an effect these runs can tell from noise" in findings, findings
    assert "seats" not in findings, findings
    assert "arrival" not in findings, findings


def test_a_psa_option_setting_a_field_an_input_varies_is_refused(tmp_path: Path) -> None:
    """The input's value would replace the option's at every point: both options the same clinic."""
    text = PSA.format(base=MMC).replace(
        "seven_seats: {set: {tracks.programme.group_size.max: 7}}",
        "longer_stays: {set: {length_of_stay.planned_stay.mean: 0.7}}",
    )
    spec = _write(tmp_path, "psa.yaml", text)
    result = CliRunner().invoke(main, ["sensitivity", str(spec), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"{spec}: options.longer_stays.set.length_of_stay.planned_stay.mean: sets a field that "
        "inputs.mean_stay.paths[0] varies; the input would silently win (allowed a field no input varies "
        "(vary it by the options or by an input, not both))"
    ]
    assert not (tmp_path / "out").exists()
