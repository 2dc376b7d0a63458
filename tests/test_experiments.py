"""Experiments: replications with CIs, common random numbers, resumable and reproducible result folders."""

from __future__ import annotations

import csv
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simiop.config import ConfigError
from simiop.experiments.cells import cell_dir
from simiop.experiments.executors import ProcessExecutor, SerialExecutor, chunk_size
from simiop.experiments.manifest import MANIFEST, read_manifest, sha256_of
from simiop.experiments.plan import experiment_plan
from simiop.results.stats import paired_difference, summarise
from tests.conftest import BASELINE, EXPERIMENTS, REPO
from tests.test_cli import run

SMALL = f"""
description: a small test experiment
base: {BASELINE}
replications: 3
horizon: 60d
scenarios:
  same_as_base:
    description: changes nothing, so it must equal the base exactly
    set: {{staff.roles.therapist.count: 3}}
  fewer_seats:
    set: {{tracks.day.groups: 1}}
grid:
  cap:
    paths: [tracks.day.group_size.max, tracks.evening.group_size.max]
    levels: [8, 12]
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def outputs(out: Path) -> dict[str, bytes]:
    """Every file under ``out`` except the manifest (which records times and the command line)."""
    return {
        path.relative_to(out).as_posix(): path.read_bytes()
        for path in sorted(out.rglob("*"))
        if path.is_file() and path.name != MANIFEST
    }


def finished_cells(out: Path) -> int:
    """Cell folders renamed into place (a half-written one is named rNNNN.partial-PID)."""
    return sum(1 for path in (out / "scenarios").glob("*/r*") if path.name.isalnum())


def experiment(tmp_path: Path, out: str, *extra: str, text: str = SMALL) -> tuple[int, str, str]:
    spec = write(tmp_path / "small.yaml", text)
    return run("experiment", str(spec), "--out", str(tmp_path / out), *extra)


def test_run_replications_identical_for_any_number_of_jobs(tmp_path: Path) -> None:
    common = ("run", str(BASELINE), "--horizon", "90d", "--replications", "4", "--tables", "daily")
    assert run(*common, "--jobs", "1", "--out", str(tmp_path / "a"))[0] == 0
    assert run(*common, "--jobs", "2", "--out", str(tmp_path / "b"))[0] == 0
    a, b = outputs(tmp_path / "a"), outputs(tmp_path / "b")
    assert a == b  # the report too: its figures and page depend only on the results
    assert sorted(name for name in a if not name.startswith("figures/")) == [
        "kpis.csv",
        "projections.csv",
        "report.html",
        *(
            f"scenarios/base/r000{r}/{name}"
            for r in range(4)
            for name in ("daily.csv", "kpis.csv", "periods.csv")
        ),
        "summary.csv",
    ]
    manifests = [read_manifest(tmp_path / name) for name in "ab"]
    assert manifests[0]["files"] == manifests[1]["files"]
    assert manifests[0]["executor"] == {"name": "serial", "workers": 1}
    assert manifests[1]["executor"] == {"name": "processes", "workers": 2}


def test_summary_is_the_t_interval_of_the_replications(tmp_path: Path) -> None:
    code, stdout, _ = run(
        "run", str(BASELINE), "--horizon", "60d", "-r", "5", "-j", "1", "--tables", "none",
        "--out", str(tmp_path),
    )  # fmt: skip
    assert code == 0
    assert "95% CI" in stdout
    values: dict[str, list[float]] = {}
    for row in read_rows(tmp_path / "kpis.csv"):
        values.setdefault(row["kpi"], []).append(float(row["value"]))
    summary = {row["kpi"]: row for row in read_rows(tmp_path / "summary.csv")}
    assert list(summary) == list(values)
    for kpi in ("admissions", "attendance_rate", "wait_referral_to_admission_days_median"):
        expected = summarise(values[kpi])
        row = summary[kpi]
        assert int(row["n"]) == 5
        assert float(row["mean"]) == pytest.approx(expected.mean, rel=1e-9)
        assert float(row["ci95_low"]) == pytest.approx(expected.ci95_low, rel=1e-9)
        assert float(row["ci95_high"]) == pytest.approx(expected.ci95_high, rel=1e-9)
        assert float(row["ci95_low"]) < float(row["mean"]) < float(row["ci95_high"])


def test_experiment_uses_common_random_numbers_and_paired_comparisons(tmp_path: Path) -> None:
    code, stdout, stderr = experiment(tmp_path, "out", "--jobs", "2", "--tables", "none")
    assert code == 0, stderr
    out = tmp_path / "out"
    names = ["base", "same_as_base", "fewer_seats", "cap=8", "cap=12"]
    assert all(name in stdout for name in names)
    for r in range(3):  # an unchanged scenario reproduces the base replication by replication
        base = (cell_dir(out, "base", r) / "kpis.csv").read_bytes()
        assert (cell_dir(out, "same_as_base", r) / "kpis.csv").read_bytes() == base
        assert (cell_dir(out, "fewer_seats", r) / "kpis.csv").read_bytes() != base
    kpis: dict[tuple[str, str], list[float]] = {}
    for row in read_rows(out / "kpis.csv"):
        kpis.setdefault((row["scenario"], row["kpi"]), []).append(float(row["value"]))
    comparison = {(row["scenario"], row["kpi"]): row for row in read_rows(out / "comparison.csv")}
    assert {scenario for scenario, _ in comparison} == set(names) - {"base"}
    same = comparison["same_as_base", "admissions"]
    assert float(same["difference_mean"]) == 0.0
    assert same["direction"] == "same"
    row = comparison["fewer_seats", "occupancy_day"]
    expected = paired_difference(kpis["base", "occupancy_day"], kpis["fewer_seats", "occupancy_day"])
    assert float(row["difference_mean"]) == pytest.approx(expected.mean, rel=1e-9)
    assert float(row["ci95_low"]) == pytest.approx(expected.ci95_low, rel=1e-9)
    assert row["direction"] in {"higher", "unclear"}  # half the seats: the same patients fill more of them
    assert comparison["fewer_seats", "group_days_scheduled"]["direction"] == "lower"
    for name in names:
        per_scenario = read_rows(out / "scenarios" / name / "summary.csv")
        assert {r["scenario"] for r in per_scenario} == {name}
    manifest = read_manifest(out)
    assert [s["name"] for s in manifest["plan"]["scenarios"]] == names
    assert manifest["plan"]["scenarios"][4]["changes"]["tracks.day.group_size.max"] == 12
    for name, digest in manifest["files"].items():
        assert sha256_of(out / name) == digest


def test_resume_keeps_finished_cells_and_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    assert experiment(tmp_path, "whole", "-j", "1", "--tables", "daily")[0] == 0
    assert experiment(tmp_path, "partial", "-j", "1", "--tables", "daily")[0] == 0
    partial = tmp_path / "partial"
    kept = cell_dir(partial, "base", 0)
    kept_time = (kept / "kpis.csv").stat().st_mtime_ns
    for scenario, r in (("cap=8", 2), ("fewer_seats", 1)):  # as if killed before these finished
        shutil.rmtree(cell_dir(partial, scenario, r))
    (partial / "summary.csv").unlink()
    half_written = cell_dir(partial, "cap=12", 1).with_name("r0001.partial-99999")
    half_written.mkdir()
    (half_written / "kpis.csv").write_text("replication,kpi\n0,adm", encoding="utf-8")
    code, stdout, _ = experiment(tmp_path, "partial", "-j", "2", "--tables", "daily")
    assert code == 0
    assert "13 cells kept from before" in stdout
    assert (kept / "kpis.csv").stat().st_mtime_ns == kept_time
    assert not half_written.exists()
    assert outputs(partial) == outputs(tmp_path / "whole")


def test_killed_experiment_resumes_to_the_same_files(tmp_path: Path) -> None:
    spec = write(tmp_path / "long.yaml", SMALL.replace("replications: 3", "replications: 12"))
    command = [sys.executable, "-m", "simiop", "experiment", str(spec), "--tables", "none", "-j", "1"]
    whole = subprocess.run([*command, "--out", str(tmp_path / "whole")], capture_output=True, check=False)
    assert whole.returncode == 0, whole.stderr
    process = subprocess.Popen([*command, "--out", str(tmp_path / "killed")], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and finished_cells(tmp_path / "killed") < 5:
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    finished = finished_cells(tmp_path / "killed")
    assert 5 <= finished < 60, "the kill must land part-way through"
    assert read_manifest(tmp_path / "killed")["status"] == "running"
    resumed = subprocess.run([*command, "--out", str(tmp_path / "killed")], capture_output=True, check=False)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{finished} cells kept from before" in resumed.stdout.decode()
    assert outputs(tmp_path / "killed") == outputs(tmp_path / "whole")
    assert read_manifest(tmp_path / "killed")["files"] == read_manifest(tmp_path / "whole")["files"]


def test_interrupt_exits_130_and_a_rerun_completes(tmp_path: Path) -> None:
    # 200 cells: enough that a fast model is still running when the signal arrives.
    spec = write(tmp_path / "long.yaml", SMALL.replace("replications: 3", "replications: 40"))
    command = [sys.executable, "-m", "simiop", "experiment", str(spec), "--tables", "none", "-j", "2"]
    out = tmp_path / "out"
    process = subprocess.Popen(
        [*command, "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        # A pytest started in the background (`pytest &`) ignores SIGINT, and children inherit that:
        # give the run Ctrl-C's default action, as a terminal would.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and finished_cells(out) < 3:
        time.sleep(0.005)
    process.send_signal(signal.SIGINT)  # what Ctrl-C sends
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert b"run the same command to resume" in stderr
    assert b"Traceback" not in stderr
    rerun = subprocess.run([*command, "--out", str(out)], capture_output=True, check=False)
    assert rerun.returncode == 0
    assert read_manifest(out)["status"] == "complete"


def test_a_different_experiment_is_refused_unless_forced(tmp_path: Path) -> None:
    assert experiment(tmp_path, "out", "-j", "1", "--tables", "none")[0] == 0
    code, _, err = experiment(tmp_path, "out", "-j", "1", "--tables", "none", "--seed", "7")
    assert code == 2
    assert "holds the results of a different run or experiment" in err
    assert "--force" in err
    code, _, _ = experiment(tmp_path, "out", "-j", "1", "--tables", "none", "--seed", "7", "--force")
    assert code == 0
    assert read_manifest(tmp_path / "out")["plan"]["seed"] == 7
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    write(stranger / "thesis.tex", "precious")
    code, _, err = run("run", str(BASELINE), "--horizon", "30d", "-r", "1", "--out", str(stranger))
    assert code == 2
    assert "is not empty and holds no simiop manifest" in err
    assert (stranger / "thesis.tex").read_text(encoding="utf-8") == "precious"


def test_reproduce_matches_every_file_and_catches_a_difference(tmp_path: Path) -> None:
    assert experiment(tmp_path, "out", "-j", "2", "--tables", "daily")[0] == 0
    (tmp_path / "small.yaml").unlink()  # the manifest alone must be enough
    code, stdout, _ = run(
        "reproduce", str(tmp_path / "out"), "--out", str(tmp_path / "again"), "-j", "1", "--verbose"
    )
    assert code == 0, stdout
    files = read_manifest(tmp_path / "out")["files"]
    lines = stdout.splitlines()
    assert sorted(line.split()[1] for line in lines if line.startswith("match ")) == sorted(files)
    assert f"{len(files)} of {len(files)} files match" in stdout
    manifest = json.loads((tmp_path / "out" / MANIFEST).read_text(encoding="utf-8"))
    manifest["files"]["summary.csv"] = "0" * 64
    (tmp_path / "out" / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    code, stdout, _ = run("reproduce", str(tmp_path / "out"), "--out", str(tmp_path / "third"), "-j", "1")
    assert code == 1
    assert "differs  summary.csv" in stdout


def test_reproduce_refuses_what_it_cannot_use(tmp_path: Path) -> None:
    code, _, err = run("reproduce", str(tmp_path))
    assert code == 2
    assert "no manifest: not a simiop result directory" in err
    write(tmp_path / MANIFEST, "{not json")
    code, _, err = run("reproduce", str(tmp_path))
    assert code == 2
    assert "cannot be read as JSON" in err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (SMALL + "replicatoins: 3\n", "replicatoins: unknown key"),
        (SMALL.replace("tracks.day.groups: 1", "tracks.day.grups: 1"), "scenarios.fewer_seats.set: tracks.day.grups: unknown key; did you mean 'groups'?"),
        (SMALL.replace("tracks.day.groups: 1", "tracks.dya.groups: 1"), "scenarios.fewer_seats.set.tracks.dya.groups: tracks has no key 'dya'"),
        (SMALL.replace("tracks.day.groups: 1", "tracks.day.groups: -1"), "scenarios.fewer_seats.set: tracks.day.groups"),
        (SMALL.replace("levels: [8, 12]", "levels: [8, 40]"), "grid cap=40: "),
        (SMALL.replace("levels: [8, 12]", "levels: [[8], [12]]"), "grid.cap.levels[0]: every level needs a short label"),
        (SMALL + "compare_to: nobody\n", "compare_to: no such scenario"),
        (SMALL.replace("horizon: 60d", "horizon: soon"), "horizon: not a duration"),
        (SMALL.replace(str(BASELINE), "missing.yaml"), "base: no such config file"),
        ("- a list\n", "expected a mapping at the top level"),
    ],
)  # fmt: skip
def test_bad_experiment_files_exit_2_naming_the_field(tmp_path: Path, text: str, message: str) -> None:
    code, _, err = experiment(tmp_path, "out", text=text)
    assert code == 2
    assert err.startswith(str(tmp_path / "small.yaml")), err
    assert message in err, err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_every_level_without_a_label_is_reported(tmp_path: Path) -> None:
    """Only the first was reported: label it, rerun, meet the next."""
    code, _, err = experiment(
        tmp_path, "out", text=SMALL.replace("levels: [8, 12]", "levels: [[8], 10, [12]]")
    )
    assert code == 2
    assert [line.split(": ", 2)[1] for line in err.splitlines()] == [
        "grid.cap.levels[0]",
        "grid.cap.levels[2]",
    ]
    assert all("every level needs a short label" in line for line in err.splitlines())


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.stem)
def test_shipped_experiments_resolve_and_change_what_they_say(path: Path) -> None:
    plan = experiment_plan(path)
    base = plan.scenarios[0]
    assert base.name == "base"
    assert plan.replications >= 20
    for scenario in plan.scenarios[1:]:
        assert scenario.changes, scenario.name
        assert scenario.config != base.config or _base_level(scenario.name, path), scenario.name


def _base_level(name: str, path: Path) -> bool:
    """A grid cell may coincide with the base (e.g. therapists=3 when the base has 3)."""
    return "=" in name or path.stem == "wait_list"


def test_shipped_experiments_cover_the_administrators_questions() -> None:
    changed: set[str] = set()
    for path in EXPERIMENTS:
        for scenario in experiment_plan(path).scenarios:
            changed.update(scenario.changes)
    for field in (
        "staff.roles.therapist.count",
        "tracks.day.group_size.max",
        "tracks.day.weekdays",
        "tracks.evening.enabled",
        "tracks.day.admission",
        "tracks.day.wait_list.discipline",
    ):
        assert field in changed


def test_a_shipped_experiment_runs(tmp_path: Path) -> None:
    code, _, stderr = run(
        "experiment", str(REPO / "experiments" / "days_per_week.yaml"), "-r", "2", "--horizon", "45d",
        "--tables", "none", "--out", str(tmp_path),
    )  # fmt: skip
    assert code == 0, stderr
    rows = {(r["scenario"], r["kpi"]): r for r in read_rows(tmp_path / "comparison.csv")}
    assert float(rows["day_track_days=5", "group_days_scheduled"]["difference_mean"]) > 0
    assert float(rows["day_track_days=3", "group_days_scheduled"]["difference_mean"]) < 0


def test_executors_return_every_result() -> None:
    tasks = list(range(37))
    pool = ProcessExecutor(2)
    try:
        assert sorted(pool.map_unordered(abs, [-t for t in tasks])) == tasks
    finally:
        pool.close()
    assert list(SerialExecutor().map_unordered(abs, [-1, 2])) == [1, 2]
    assert chunk_size(100, 2, None) == 1  # duration unknown: one at a time
    assert chunk_size(100, 2, 0.5) == 1  # long tasks: one at a time, so workers finish together
    assert chunk_size(10_000, 2, 0.001) == 50  # short tasks: 50 ms of work per message
    assert chunk_size(40, 2, 0.001) == 5  # ... but a quarter of each worker's share at most


def test_experiment_plan_errors_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        experiment_plan(write(tmp_path / "x.yaml", SMALL + "seed: -1\n"))
    assert caught.value.lines() == [
        f"{tmp_path / 'x.yaml'}: seed: out of range (got -1; allowed 0 to 9223372036854775807)"
    ]


def test_result_files_and_manifest_are_documented(tmp_path: Path) -> None:
    docs = (REPO / "docs" / "outputs.md").read_text(encoding="utf-8")
    assert experiment(tmp_path, "out", "-j", "1", "--tables", "none")[0] == 0
    out = tmp_path / "out"
    payers = {"medicare", "medicaid", "commercial", "self_pay"}
    cell = out / "scenarios" / "base" / "r0000"
    for path in (
        out / "kpis.csv",
        out / "summary.csv",
        out / "comparison.csv",
        out / "projections.csv",
        cell / "periods.csv",
    ):
        with path.open(encoding="utf-8") as handle:
            for column in handle.readline().strip().split(","):
                payer = column.removeprefix("revenue_usd_")
                column = "revenue_usd_<payer>" if payer in payers else column
                assert f"`{column}`" in docs, (path.name, column)
    with (out / "projections.csv").open(encoding="utf-8") as handle:
        assert {row["period_kind"] for row in csv.DictReader(handle)} == {
            "month",
            "quarter",
            "fiscal_year",
            "programme_year",
            "grant_period",
        }
    for figure in (out / "figures").glob("*.png"):
        assert f"| `{figure.stem}` |" in docs, figure.name
    manifest = read_manifest(out)
    for key in (*manifest, *manifest["plan"], *manifest["plan"]["scenarios"][0]):
        assert f"`{key}`" in docs or f"`plan.{key}`" in docs, key


def test_advise_finds_the_replications_needed_whatever_the_jobs(tmp_path: Path) -> None:
    common = ("advise", str(BASELINE), "--horizon", "120d", "--kpi", "referrals", "--precision", "0.05")
    code, one, err = run(*common, "-j", "1", "--out", str(tmp_path / "plots"))
    assert code == 0, err
    code, two, _ = run(*common, "-j", "2")
    assert code == 0
    assert one.splitlines()[0] == two.splitlines()[0]
    needed = int(one.split("replications give")[0].split()[-1])
    assert 3 <= needed <= 60
    assert "warm-up: no steady state found in 120 days" in one  # still filling: MSER-5 at its limit
    for name in ("precision.png", "warmup.png"):
        assert (tmp_path / "plots" / name).read_bytes().startswith(b"\x89PNG")


def test_advise_names_an_unknown_kpi(tmp_path: Path) -> None:
    code, _, err = run("advise", str(BASELINE), "--horizon", "30d", "--kpi", "admisions", "-j", "1")
    assert code == 2
    assert err.startswith("--kpi: no KPI named 'admisions' (did you mean admissions")


def test_dry_run_lists_scenarios_and_runs_nothing(tmp_path: Path) -> None:
    spec = write(tmp_path / "small.yaml", SMALL)
    code, stdout, _ = run("experiment", str(spec), "--dry-run")
    assert code == 0
    lines = stdout.splitlines()
    assert lines[0] == "small: 5 scenarios x 3 replications = 15 cells, seed 20270104, compared with base"
    assert "  fewer_seats: simulation.horizon_days=60.0, tracks.day.groups=1" in lines
    assert (
        "  cap=8: simulation.horizon_days=60.0, tracks.day.group_size.max=8, tracks.evening.group_size.max=8"
        in lines
    )
    assert sorted(path.name for path in tmp_path.iterdir()) == ["small.yaml"]
    code, _, err = run("experiment", str(spec))
    assert code == 2
    assert err.startswith("--out: required")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("run", str(BASELINE), "--out", "x", "--tables", "episodes,staf"), "--tables: 'episodes,staf': allowed all, none"),
        (("run", str(BASELINE), "--out", "x", "--horizon", "soon"), "--horizon: 'soon' is not a duration"),
        (("advise", str(BASELINE), "--kpi", "referrals", "--min-replications", "9", "--max-replications", "5"), "--min-replications: 9 is more than"),
    ],
)  # fmt: skip
def test_bad_options_exit_2_with_one_line(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    code, _, err = run(*args)
    assert code == 2
    assert err.startswith(message), err
    assert len(err.splitlines()) == 1


def test_reproduce_defaults_to_a_sibling_folder(tmp_path: Path) -> None:
    out = tmp_path / "first"
    assert run("run", str(BASELINE), "--horizon", "20d", "-r", "2", "-j", "1", "--out", str(out))[0] == 0
    code, stdout, _ = run("reproduce", str(out), "-j", "1")
    assert code == 0
    assert (tmp_path / "first-reproduced" / MANIFEST).is_file()
    assert f"re-run in {tmp_path / 'first-reproduced'}/" in stdout
    code, _, err = run("reproduce", str(out), "--out", str(out))
    assert code == 2
    assert "reproduce into a new folder" in err
