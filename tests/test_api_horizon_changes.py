"""The API's ``changes`` end the run as ``--set`` does: one way of ending it replaces the config's way."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

import simiop
from simiop.config import ConfigError, load_config
from simiop.config.durations import fiscal_years_end
from tests.conftest import BASELINE


def test_with_changes_fiscal_years_replaces_the_files_horizon_days() -> None:
    config = load_config(BASELINE)
    assert config.simulation.horizon_days is not None  # the file ends the run by horizon_days
    changed = simiop.with_changes(config, {"simulation.fiscal_years": 3})
    assert changed.simulation.fiscal_years == 3
    end = changed.clinic.opening_date + dt.timedelta(days=changed.simulation.horizon_days)
    assert end == fiscal_years_end(changed.clinic.opening_date, 3, changed.money.fiscal_year_start_month)


def test_load_config_changes_until_replaces_the_files_horizon_days() -> None:
    config = simiop.load_config(BASELINE, changes={"simulation.until": "2027-03-31"})
    assert config.simulation.horizon_days == 87


def test_two_ways_in_changes_are_still_refused_naming_both() -> None:
    with pytest.raises(ConfigError) as caught:
        simiop.load_config(BASELINE, changes={"simulation.until": "2027-03-31", "simulation.fiscal_years": 1})
    (line,) = caught.value.lines()
    assert "simulation.fiscal_years: given together with simulation.until" in line


def test_run_changes_until_replaces_the_files_horizon_and_is_recorded(tmp_path: Path) -> None:
    results = simiop.run(
        BASELINE,
        changes={"simulation.until": "2027-02-14"},
        replications=1,
        out=tmp_path / "out",
        jobs=1,
        executor="serial",
        tables="none",
        report=False,
    )
    manifest = json.loads((results.out / "manifest.json").read_text())
    assert "2027-02-14" in json.dumps(manifest)
    assert {scenario.config.simulation.horizon_days for scenario in results.plan.scenarios} == {42}


def test_run_refuses_a_horizon_argument_with_a_horizon_change() -> None:
    with pytest.raises(ConfigError):
        simiop.run(BASELINE, horizon=30, changes={"simulation.fiscal_years": 3}, replications=1)


def test_command_line_two_ways_set_are_refused_naming_the_two_given(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from simiop.cli import main

    sets = ["--set", "simulation.until=2030-06-30", "--set", "simulation.fiscal_years=2"]
    result = CliRunner().invoke(main, ["run", str(BASELINE), "--out", str(tmp_path / "o"), *sets])
    assert result.exit_code == 2
    assert "given together with" in result.output
    assert "horizon_days" not in result.output.split("(got")[0]
    assert "simulation.fiscal_years: given together with simulation.until" in result.output
