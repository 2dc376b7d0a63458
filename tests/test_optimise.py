"""``simiop optimise``: spec errors, the M/M/c answer against Erlang C, workers, resume, reproduce.

The M/M/c check runs one seed here (the quick profile); SIMIOP_OPTIMISE_MMC_RUNS=N (e.g. 40) repeats
it with N seeds and asserts the share of runs giving the Erlang C answer is at least the nominal
confidence within binomial error (the long profile, on demand).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest

import simiop
from simiop.experiments.executors import ProcessExecutor, SerialExecutor
from simiop.experiments.manifest import MANIFEST, read_manifest
from simiop.optimisation import runner as optimise_runner
from simiop.optimisation.runner import optimise, resolve
from simiop.queueing import mmc_mean_wait
from tests.conftest import REPO
from tests.test_cli import run

MMC = REPO / "configs" / "validation" / "mmc.yaml"
RUNS = int(os.environ.get("SIMIOP_OPTIMISE_MMC_RUNS", "1"))


def mmc_spec(tmp_path: Path, *, levels: str = "[5, 6, 7]", horizon: int = 1000, extra: str = "") -> Path:
    path = tmp_path / "mmc_optimise.yaml"
    path.write_text(
        f"""
base: {MMC}
horizon: {horizon}
variables:
  seats: {{paths: [tracks.programme.group_size.max], levels: {levels}}}
objective: {{variable: seats}}
constraints:
  - {{kpi: wait_referral_to_admission_days_mean, at_most: 0.5, tolerance: 0.15}}
first_stage: 10
batch: 10
{extra}""",
        encoding="utf-8",
    )
    return path


def erlang_answer() -> int:
    """The fewest seats whose M/M/c mean wait (1 arrival a day, mean stay 3.5 days) is at most 0.5 days."""
    return next(c for c in range(4, 20) if mmc_mean_wait(c, 1.0, 1 / 3.5) <= 0.5)


def outputs(out: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(out.iterdir()) if path.name != MANIFEST}


def test_mmc_answer_matches_erlang_c(tmp_path: Path) -> None:
    expected = erlang_answer()
    assert expected == 6
    # Both neighbours are further than the tolerance from the target: the answer is decided.
    assert mmc_mean_wait(expected - 1, 1.0, 1 / 3.5) >= 0.5 + 0.15
    assert mmc_mean_wait(expected, 1.0, 1 / 3.5) <= 0.5 - 0.15
    spec = mmc_spec(tmp_path, levels="[5, 6, 7]")
    right = 0
    for seed in range(RUNS):
        found = optimise(resolve(spec, seed=4242 + seed), tmp_path / f"out{seed}", SerialExecutor())
        right += found.chosen == f"seats={expected}"
        assert found.selection.guaranteed
    assert right / RUNS >= (0.95 - 3 * math.sqrt(0.05 * 0.95 / RUNS) if RUNS > 1 else 1.0)


def test_results_do_not_depend_on_workers_and_reproduce(tmp_path: Path) -> None:
    spec = mmc_spec(tmp_path, levels="[5, 6]", horizon=150)
    one = optimise(resolve(spec), tmp_path / "one", SerialExecutor())
    executor = ProcessExecutor(2)
    try:
        two = optimise(resolve(spec), tmp_path / "two", executor)
    finally:
        executor.close()
    assert one.selection.replications == two.selection.replications > 0
    assert outputs(tmp_path / "one") == outputs(tmp_path / "two")
    assert set(outputs(tmp_path / "one")) >= {
        "selection.csv",
        "values.csv",
        "optimise.html",
        "candidates.png",
    }
    again = simiop.reproduce(tmp_path / "one", tmp_path / "again", jobs=1, executor="serial")
    assert again.identical, again.summary()
    assert read_manifest(tmp_path / "one")["kind"] == "optimise"


def test_resume_after_interruption_reuses_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = mmc_spec(tmp_path, levels="[5, 6]", horizon=150)
    whole = optimise(resolve(spec), tmp_path / "whole", SerialExecutor())
    calls = {"n": 0}
    real = optimise_runner.evaluate

    def interrupted(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(optimise_runner, "evaluate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        optimise(resolve(spec), tmp_path / "resumed", SerialExecutor())
    assert read_manifest(tmp_path / "resumed")["status"] == "running"
    monkeypatch.setattr(optimise_runner, "evaluate", real)
    resumed = optimise(resolve(spec), tmp_path / "resumed", SerialExecutor())
    assert resumed.reused == 10  # the first batch, saved before the interruption
    assert resumed.simulated == whole.simulated - 10
    assert outputs(tmp_path / "resumed") == outputs(tmp_path / "whole")


def test_chosen_config_runs_and_cli_reports_the_guarantee(tmp_path: Path) -> None:
    spec = mmc_spec(tmp_path, levels="[6, 7]", horizon=300)
    code, out, err = run("optimise", str(spec), "--out", str(tmp_path / "out"), "--executor", "serial")
    assert code == 0, err
    assert "answer: seats=6" in out
    assert "With 95% confidence, seats=6 is the candidate with the lowest seats" in out
    chosen = simiop.load_config(tmp_path / "out" / "chosen.yaml")
    assert chosen.tracks["programme"].group_size.max == 6
    code, out, err = run("optimise", str(spec), "--out", str(tmp_path / "out"), "--executor", "serial")
    assert code == 0, err
    assert "0 simulated now" in out  # every value reused from the finished run


def test_fewer_replications_than_fixed_sample(tmp_path: Path) -> None:
    from simiop.optimisation.outputs import fixed_sample_replications

    found = optimise(
        resolve(mmc_spec(tmp_path, levels="[5, 6]", horizon=300)), tmp_path / "out", SerialExecutor()
    )
    assert found.selection.replications < fixed_sample_replications(found.problem, found.selection)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("colour: red", "colour"),
        ("confidence: 1.5", "confidence"),
        ("first_stage: 1", "first_stage"),
    ],
)
def test_spec_errors_are_one_line(tmp_path: Path, extra: str, message: str) -> None:
    spec = mmc_spec(tmp_path, extra=extra)
    line = refused_in_one_line(spec, tmp_path / "out")
    assert str(spec) in line
    assert message in line


def refused_in_one_line(spec: Path, out: Path) -> str:
    """The one line ``simiop optimise SPEC --out OUT`` refuses SPEC with (exit 2), having made no OUT."""
    code, _, err = run("optimise", str(spec), "--out", str(out))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert not out.exists()
    return lines[0]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("objective: {kpi: staff_cost_usd, variable: seats}", "exactly one of kpi, weights, variable"),
        ("objective: {kpi: staff_cost_usd}", "indifference_zone"),
        ("objective: {variable: nothing}", "no such variable"),
        (
            "objective: {variable: seats}\nconstraints: [{kpi: x, at_most: 1, tolerance: 0.1, kind: chance}]",
            "share",
        ),
        ("objective: {variable: seats}\nconstraints: [{kpi: x, tolerance: 0.1}]", "at_most"),
        # a bound no value of the KPI meets: a wait (>= 0) at most -1, an attendance share at least 1.2
        (
            "objective: {variable: seats}\n"
            "constraints: [{kpi: wait_referral_to_admission_days_mean, at_most: -1, tolerance: 0.1}]",
            "constraints[0].at_most: wait_referral_to_admission_days_mean is never below 0, so the target "
            "cannot be met",
        ),
        (
            "objective: {variable: seats}\nconstraints: [{kpi: wait_referral_to_admission_days_mean, "
            "at_most: 1, tolerance: 0.1}, {kpi: attendance_rate, at_least: 1.2, tolerance: 0.01}]",
            "constraints[1].at_least: attendance_rate is never above 1, so the target cannot be met",
        ),
    ],
)
def test_objective_and_constraint_rules(tmp_path: Path, body: str, message: str) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(
        f"base: {MMC}\nvariables:\n  seats: {{paths: [tracks.programme.group_size.max], levels: [5, 6]}}\n{body}\n",
        encoding="utf-8",
    )
    code, _, err = run("optimise", str(spec), "--out", str(tmp_path / "out"))
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert message in err


def test_unknown_kpi_and_bad_level_are_one_line(tmp_path: Path) -> None:
    spec = mmc_spec(tmp_path, extra="")
    text = spec.read_text(encoding="utf-8").replace("wait_referral_to_admission_days_mean", "no_such_kpi")
    spec.write_text(text, encoding="utf-8")
    code, _, err = run("optimise", str(spec), "--out", str(tmp_path / "out"), "--executor", "serial")
    assert code == 2
    assert "no_such_kpi" in err
    assert len(err.strip().splitlines()) == 1, err
    bad = mmc_spec(tmp_path, levels="[5, -1]")
    code, _, err = run("optimise", str(bad), "--out", str(tmp_path / "out2"))
    assert code == 2
    assert "seats=-1" in err
    assert "group_size.max" in err


def test_other_results_are_not_overwritten(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    code, _, err = run("optimise", str(mmc_spec(tmp_path)), "--out", str(out), "--executor", "serial")
    assert code == 2
    assert "--force" in err
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_shipped_specs_are_valid() -> None:
    for name in ("optimise_staffing.yaml", "optimise_mmc.yaml"):
        study = resolve(REPO / "experiments" / name)
        assert len(study.configs) == len(study.names) > 1
        assert np.isfinite(study.seed)
        for config in study.configs:  # every candidate passes the staffing rules (warnings computed)
            config.warnings()


def test_an_optimisation_file_given_to_experiment_says_what_to_run(tmp_path: Path) -> None:
    spec = mmc_spec(tmp_path)
    code, _, err = run("experiment", str(spec), "--out", str(tmp_path / "out"))
    assert code == 2
    assert f"simiop optimise {spec}" in err


def test_help() -> None:
    code, out, _ = run("optimise", "--help")
    assert code == 0
    assert "Andradottir & Kim 2010" in out


def test_a_deterministic_objective_that_varies_is_one_line(tmp_path: Path) -> None:
    spec = tmp_path / "vary.yaml"
    spec.write_text(
        f"base: {MMC}\nhorizon: 100\n"
        "variables:\n  seats: {paths: [tracks.programme.group_size.max], levels: [5, 6]}\n"
        "objective: {kpi: wait_referral_to_admission_days_mean, deterministic: true}\n"
        "constraints: [{kpi: wait_referral_to_admission_days_mean, at_most: 0.5, tolerance: 0.15}]\n",
        encoding="utf-8",
    )
    code, _, err = run("optimise", str(spec), "--out", str(tmp_path / "out"), "--executor", "serial")
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert "objective.deterministic: true, but seats=" in err
    assert "not deterministic" in err


def test_an_unknown_kpi_names_its_field_and_leaves_out_free_for_the_fixed_file(tmp_path: Path) -> None:
    spec = mmc_spec(tmp_path, horizon=60)
    good = spec.read_text(encoding="utf-8")
    spec.write_text(good.replace("wait_referral_to_admission_days_mean", "no_such_kpi"), encoding="utf-8")
    out = tmp_path / "out"
    code, _, err = run("optimise", str(spec), "--out", str(out), "--executor", "serial")
    assert code == 2
    assert err.strip() == (
        f"{spec}: constraints[0].kpi: no KPI named 'no_such_kpi' (allowed: a column of kpis.csv of a run)"
    )
    assert not out.exists()  # no claim left: the fixed file runs into the same --out
    spec.write_text(good.replace("at_most: 0.5", "at_most: 50"), encoding="utf-8")
    code, _, err = run("optimise", str(spec), "--out", str(out), "--executor", "serial")
    assert code == 0, err


def test_a_variable_objective_without_targets_is_one_line(tmp_path: Path) -> None:
    spec = mmc_spec(tmp_path)
    text = spec.read_text(encoding="utf-8").replace(
        "constraints:\n  - {kpi: wait_referral_to_admission_days_mean, at_most: 0.5, tolerance: 0.15}\n",
        "constraints: []\n",
    )
    spec.write_text(text, encoding="utf-8")
    code, _, err = run("optimise", str(spec), "--out", str(tmp_path / "out"), "--executor", "serial")
    assert code == 2
    assert err.strip().startswith(f"{spec}: constraints: nothing to check"), err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("extra", "other"),
    [
        ("set: {tracks.programme.group_size.max: 3}", "set.tracks.programme.group_size.max"),
        (
            "variables:\n  seats: {paths: [tracks.programme.group_size.max], levels: [5, 6]}\n"
            "  more: {paths: [tracks.programme.group_size], levels: [{min: 1, max: 9}], labels: [nine]}",
            "variables.more.paths[0]",
        ),
    ],
)
def test_two_entries_setting_one_field_are_refused(tmp_path: Path, extra: str, other: str) -> None:
    """The later would silently win, so a candidate named seats=5 could run with 9 seats."""
    spec = mmc_spec(tmp_path)
    text = spec.read_text(encoding="utf-8")
    if extra.startswith("variables:"):
        text = text.replace(
            "variables:\n  seats: {paths: [tracks.programme.group_size.max], levels: [5, 6, 7]}", extra
        )
    else:
        text += extra + "\n"
    spec.write_text(text, encoding="utf-8")
    code, _, err = run("optimise", str(spec), "--out", str(tmp_path / "out"), "--executor", "serial")
    assert code == 2
    assert err.strip().startswith(f"{spec}: variables.seats.paths[0]: sets the same field as {other}"), err
    assert len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "out").exists()


def test_an_eliminated_candidate_names_the_candidate_that_beat_it() -> None:
    """selection.csv read 'eliminated by candidate 2 (at 22)': a number the table never shows."""
    from types import SimpleNamespace

    from simiop.optimisation.outputs import reasons

    result = SimpleNamespace(
        status="feasible", reason="feasible; eliminated by candidate 2 on the objective (at 22)"
    )
    selection = SimpleNamespace(candidates=[result])
    study = SimpleNamespace(names=["seats=5", "seats=6", "seats=7"], spec=SimpleNamespace(constraints=()))
    assert reasons(study, selection, 0) == (  # type: ignore[arg-type]
        "feasible; eliminated by seats=7 on the objective (after 22 replications)"
    )
