"""An experiment file's until: key (issue 20), and --until errors that blame the command line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from simiop.config import ConfigError
from simiop.experiments.plan import experiment_plan
from tests.conftest import BASELINE
from tests.test_cli import run


def _experiment(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "e.yaml"
    path.write_text(f"base: {BASELINE}\n{body}", encoding="utf-8")
    return path


def test_until_ends_every_scenario_on_that_day_from_its_own_opening(tmp_path: Path) -> None:
    path = _experiment(
        tmp_path, "until: 2028-06-30\nscenarios:\n  later:\n    set: {clinic.opening_date: 2028-01-03}\n"
    )
    plan = experiment_plan(path)
    base, later = (s.config for s in plan.scenarios)
    assert base.simulation.until == later.simulation.until == dt.date(2028, 6, 30)
    assert base.simulation.horizon_days == (dt.date(2028, 6, 30) - base.clinic.opening_date).days + 1
    assert later.simulation.horizon_days == (dt.date(2028, 6, 30) - dt.date(2028, 1, 3)).days + 1
    assert plan.scenarios[0].changes == {"simulation.until": "2028-06-30"}


def test_the_command_line_replaces_the_files_until(tmp_path: Path) -> None:
    path = _experiment(tmp_path, "until: 2028-06-30\n")
    by_option = experiment_plan(path, until="2027-06-30")
    assert by_option.scenarios[0].config.simulation.until == dt.date(2027, 6, 30)
    by_horizon = experiment_plan(path, horizon_days="90d")
    assert by_horizon.scenarios[0].config.simulation.until is None
    assert by_horizon.scenarios[0].config.simulation.horizon_days == 90


def test_a_scenarios_own_end_of_run_replaces_the_files(tmp_path: Path) -> None:
    path = _experiment(
        tmp_path, "until: 2028-06-30\nscenarios:\n  short:\n    set: {simulation.horizon_days: 30}\n"
    )
    short = experiment_plan(path).scenarios[1]
    assert (short.config.simulation.horizon_days, short.config.simulation.until) == (30, None)
    assert short.changes == {"simulation.horizon_days": 30}


@pytest.mark.parametrize(
    ("body", "line"),
    [
        (
            "until: 2020-01-01\n",
            "e.yaml: until: simulation.until: the run's last day (inclusive) is before clinic.opening_date",
        ),
        ("until: 2029-02-30\n", "e.yaml: until: not a valid date (got '2029-02-30'"),
        ("until: 2029-01-01\nhorizon: 1y\n", "e.yaml: until: horizon: is given too; the run ends one way"),
        (
            "until: 2029-01-01\nset: {simulation.fiscal_years: 2}\n",
            "e.yaml: set.simulation.fiscal_years: sets simulation.fiscal_years, and the experiment's until: key "
            "ends the run; give the end of the run once",
        ),
    ],
)
def test_a_bad_until_in_the_file_blames_the_file(tmp_path: Path, body: str, line: str) -> None:
    path = _experiment(tmp_path, body)
    code, _, err = run("experiment", str(path), "--dry-run")
    assert code == 2
    assert err.strip().splitlines()[-1].startswith(f"{path.parent}/{line}"), err


def test_a_bad_until_from_the_command_line_blames_the_command_line_even_in_a_scenario(tmp_path: Path) -> None:
    """The scenario's later opening makes --until fall before it: the option is named, with the scenario."""
    path = _experiment(tmp_path, "scenarios:\n  later:\n    set: {clinic.opening_date: 2028-03-01}\n")
    code, _, err = run("experiment", str(path), "--until", "2028-01-01", "--dry-run")
    assert code == 2
    assert err.strip().splitlines()[-1] == (
        "command line: --until 2028-01-01: simulation.until: the run's last day (inclusive) is before "
        "clinic.opening_date, in scenarios.later.set (got 2028-01-01; allowed on or after 2028-03-01)"
    )
    with pytest.raises(ConfigError) as raised:
        experiment_plan(path, until="2028-01-01")
    assert raised.value.lines()[0].startswith("arguments: until=2028-01-01: simulation.until:")


def test_until_on_the_command_line_refuses_a_scenarios_own_horizon(tmp_path: Path) -> None:
    path = _experiment(tmp_path, "scenarios:\n  short:\n    set: {simulation.horizon_days: 30}\n")
    code, _, err = run("experiment", str(path), "--until", "2028-01-01", "--dry-run")
    assert code == 2
    assert (
        "scenarios.short.set.simulation.horizon_days: sets simulation.horizon_days, which --until 2028-01-01"
        in err
    )


@pytest.mark.parametrize(
    ("way", "last"),
    [
        (
            "simulation.fiscal_years=1",
            dt.date(2028, 6, 30),
        ),  # opened 2027-01-04: the partial year, then FY2028
        ("simulation.until=2027-12-31", dt.date(2027, 12, 31)),
    ],
)
def test_one_set_of_another_end_of_run_replaces_the_files_horizon(way: str, last: dt.date) -> None:
    """--set simulation.fiscal_years=1 on a file with horizon_days runs to the end of a whole fiscal year, as
    --until would (it was refused as two ways of ending the run); validate agrees."""
    from simiop.cli.common import command_line_overrides
    from simiop.config import load_config

    config = load_config(BASELINE, command_line_overrides([way]))
    assert config.simulation.horizon_days == (last - config.clinic.opening_date).days + 1
    code, out, err = run("validate", str(BASELINE), "--set", way)
    assert (code, out.strip()) == (0, f"{BASELINE}: ok"), err


def test_two_sets_of_ways_to_end_the_run_are_still_refused() -> None:
    code, _, err = run(
        "validate",
        str(BASELINE),
        "--set",
        "simulation.fiscal_years=1",
        "--set",
        "simulation.until=2027-12-31",
    )
    assert code == 2
    assert "the run ends one way" in err
