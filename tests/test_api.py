"""The Python API: the same result files as the command line, tables with or without pandas, errors that name."""

from __future__ import annotations

import csv
import doctest
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import simiop
import simiop.api
from simiop.config import ConfigError
from tests.conftest import BASELINE, REPO
from tests.test_cli import run as cli

SMALL: dict[str, Any] = {"horizon": "60d", "replications": 2, "jobs": 1, "report": False}


def outputs(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> simiop.Results:
    return simiop.run(BASELINE, out=tmp_path_factory.mktemp("api") / "out", **SMALL)


def test_the_docstring_examples_run() -> None:
    outcome = doctest.testmod(simiop.api, optionflags=doctest.ELLIPSIS)
    assert outcome.attempted >= 5
    assert outcome.failed == 0


def test_api_and_command_line_write_the_same_files(tmp_path: Path) -> None:
    code, _, err = cli(
        "run",
        str(BASELINE),
        "--horizon",
        "60d",
        "-r",
        "2",
        "-j",
        "1",
        "--no-report",
        "--out",
        str(tmp_path / "cli"),
    )
    assert code == 0, err
    simiop.run(BASELINE, out=tmp_path / "api", **SMALL)
    made_by_cli, made_by_api = outputs(tmp_path / "cli"), outputs(tmp_path / "api")
    manifests = [made_by_cli.pop("manifest.json"), made_by_api.pop("manifest.json")]
    assert made_by_cli == made_by_api
    keys = [simiop.open_results(tmp_path / name).folder.manifest["plan_key"] for name in ("cli", "api")]
    assert keys[0] == keys[1]
    assert manifests[0] != manifests[1]  # only the command line and the times differ


def test_results_read_kpis_as_summary_csv_does(results: simiop.Results) -> None:
    with (results.out / "summary.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    admissions = next(row for row in rows if row["kpi"] == "admissions")
    assert results.mean("admissions") == pytest.approx(float(admissions["mean"]), rel=1e-9)
    expected = (float(admissions["ci95_low"]), float(admissions["ci95_high"]))
    assert results.interval("admissions") == pytest.approx(expected, rel=1e-9)
    assert len(results.values("admissions")) == 2
    assert results.scenarios == ["base"]


def test_tables_are_dataframes_with_pandas_and_rows_without(
    results: simiop.Results, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = results.summary(kpis=["admissions", "referrals"])
    assert sorted(frame.kpi) == ["admissions", "referrals"]
    assert frame["mean"].dtype.kind == "f"
    monkeypatch.setitem(sys.modules, "pandas", None)  # as if pandas were not installed
    rows = results.summary(kpis=["admissions"])
    assert isinstance(rows, list)
    assert rows[0]["kpi"] == "admissions"
    assert isinstance(rows[0]["mean"], float)
    episodes = results.table("episodes", replication=1)
    assert {"episode_id", "end_state", "admitted_day"} <= set(episodes[0])
    years = results.projections("programme_year")
    assert {row["period"] for row in years} == {"Year 1"}
    grant = results.projections("grant_period")  # the budget's total over the fiscal years (issue 20)
    budget = results.budget()
    total = {row["metric"]: row for row in grant}
    cost = next(line for line in budget.rows if line.kind == "total_cost")
    assert float(total["budget_total_cost_usd"]["mean"]) == pytest.approx(cost.cells[-1].mean, rel=1e-9)


def test_a_figure_draws_inline_and_unknown_names_are_listed(results: simiop.Results) -> None:
    figure = results.figure("census_by_track")
    assert figure._repr_png_().startswith(b"\x89PNG")  # type: ignore[attr-defined]
    assert "census_by_track" in results.figure_names()
    with pytest.raises(KeyError, match="census_by_track"):
        results.figure("census")
    with pytest.raises(KeyError, match="no KPI 'admisions'"):
        results.mean("admisions")
    with pytest.raises(KeyError, match="scenarios are base"):
        results.mean("admissions", scenario="other")
    with pytest.raises(ValueError, match="kind must be one of"):
        results.projections("fortnight")


def test_a_figure_whose_table_was_not_kept_says_so(tmp_path: Path) -> None:
    lean = simiop.run(BASELINE, out=tmp_path / "lean", tables="none", **SMALL)
    with pytest.raises(ValueError, match=r"needs daily\.csv"):
        lean.figure("census_by_track")
    with pytest.raises(FileNotFoundError, match="not kept"):
        lean.table("episodes")
    assert lean.figure("referral_funnel") is not None


def test_changes_are_checked_like_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="grups"):
        simiop.load_config(BASELINE, changes={"tracks.day.grups": 2})
    with pytest.raises(ConfigError, match=r"tracks\.day\.groups"):
        simiop.load_config(BASELINE, changes={"tracks.day.groups": -1})
    config = simiop.load_config(BASELINE)
    changed = simiop.with_changes(config, {"tracks.day.groups": 3})
    assert (config.tracks["day"].groups, changed.tracks["day"].groups) == (2, 3)


def test_an_experiment_through_the_api(tmp_path: Path) -> None:
    spec = tmp_path / "e.yaml"
    spec.write_text(
        f"base: {BASELINE}\nreplications: 2\nhorizon: 45d\n"
        "scenarios:\n  fewer_seats:\n    set: {tracks.day.groups: 1}\n",
        encoding="utf-8",
    )
    results = simiop.run_experiment(spec, jobs=1, report=False, out=tmp_path / "out")
    assert results.scenarios == ["base", "fewer_seats"]
    comparison = results.comparison()
    assert set(comparison.scenario) == {"fewer_seats"}
    assert "differences_from_base" in results.figure_names()
    assert "fewer_seats" in results.headline() or "scenarios were each simulated" in results.headline()


def test_results_go_to_a_new_temporary_folder_by_default() -> None:
    results = simiop.run(BASELINE, horizon="20d", replications=1, jobs=1, report=False)
    assert (results.out / "manifest.json").is_file()
    assert results.out.name.startswith("simiop-baseline-")


def test_open_results_refuses_a_folder_that_is_not_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no manifest"):
        simiop.open_results(tmp_path)


def test_import_simiop_stays_light_until_the_api_is_used() -> None:
    code = (
        "import sys, simiop; heavy = {'numpy', 'simpy', 'matplotlib', 'pydantic'} & set(sys.modules); "
        "print(sorted(heavy)); simiop.run; print('numpy' in sys.modules)"
    )
    printed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    ).stdout.split("\n")
    assert printed[:2] == ["[]", "True"]


def test_tables_are_read_by_one_rule_in_one_order() -> None:
    """The tables are part of the plan key, so the API and --tables must agree on order and spelling."""
    from simiop.experiments.plan import parse_tables

    assert parse_tables("staff, daily") == parse_tables(["daily", "staff"]) == ("daily", "staff")
    assert parse_tables("all") == ("episodes", "daily", "staff", "sessions")
    assert parse_tables("none") == parse_tables([]) == ()
    with pytest.raises(
        ValueError, match="allowed all, none or a comma list of episodes, daily, staff, sessions"
    ):
        parse_tables(["daily", "staf"])
    code, _, err = cli("run", str(BASELINE), "--out", "x", "--tables", "staf")
    assert code == 2
    assert err.strip() == (
        "--tables: 'staf': allowed all, none or a comma list of episodes, daily, staff, sessions, bookings "
        "(all: episodes, daily, staff, sessions)"
    )


def test_results_budget_is_the_budget_command_s(results: simiop.Results) -> None:
    """Results.budget() gives what `simiop budget` prints for the folder (issue 20)."""
    from simiop.results.budget import budget_of_folder, render

    budget = results.budget()
    assert render(budget) == render(budget_of_folder(results.out))
    assert math.isfinite(budget.rows[-1].cells[-1].mean)  # the last line's Total is a number
    with pytest.raises(KeyError, match="no scenario 'nope'"):
        results.budget("nope")
