"""Tests for simiop.experiments.evaluate: KPI values in memory, [scenario, replication, kpi], no files.

Short horizons keep each replication to a few hundredths of a second; the
values are checked against simulate + compute_kpis run directly.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import simiop
from simiop.config import SimiopConfig, load_config
from simiop.experiments import evaluate as evaluation
from simiop.experiments.evaluate import Evaluation, UnknownKpiError, census_by_day, evaluate
from simiop.experiments.executors import ProcessExecutor
from simiop.model import simulate
from simiop.results.kpis import compute_kpis
from tests.conftest import BASELINE, REPO

SMALL = REPO / "configs" / "small_day_only.yaml"
SEED = 7


def _config(path: Path = BASELINE, days: int = 40, *changes: str) -> SimiopConfig:
    return load_config(path, [f"simulation.horizon_days={days}", *changes])


@pytest.fixture(scope="module")
def two_scenarios() -> dict[str, SimiopConfig]:
    return {
        "base": _config(),
        "smaller_groups": _config(BASELINE, 40, "tracks.day.group_size.max=6"),
    }


@pytest.fixture(scope="module")
def serial(two_scenarios: dict[str, SimiopConfig]) -> Evaluation:
    return evaluate(two_scenarios, 3, SEED)


def _direct(config: SimiopConfig, replication: int) -> dict[str, float]:
    return compute_kpis(config, simulate(config, SEED, replication))


def test_values_are_those_of_simulate_and_compute_kpis(
    two_scenarios: dict[str, SimiopConfig], serial: Evaluation
) -> None:
    assert serial.scenarios == ("base", "smaller_groups")
    assert serial.replications == (0, 1, 2)
    for s, config in enumerate(two_scenarios.values()):
        for r in range(3):
            direct = _direct(config, r)
            assert serial.kpis == tuple(direct)  # one scenario's KPIs, in the model's order
            got = serial.values[s, r]
            expected = np.array(list(direct.values()))
            assert np.array_equal(got, expected, equal_nan=True), (s, r)
    assert serial.values.dtype == np.float64
    assert serial.values.shape == (2, 3, len(serial.kpis))
    assert serial.census is None
    with pytest.raises(ValueError, match=r"read-only"):
        serial.values[0, 0, 0] = 1.0


def test_the_scenarios_differ_where_the_configs_do(serial: Evaluation) -> None:
    """Common random numbers: the same referrals arrive in both scenarios; what the clinic does differs."""
    referrals = serial.kpi("referrals")
    assert np.array_equal(referrals[0], referrals[1])
    assert not np.array_equal(serial.values[0], serial.values[1], equal_nan=True)


def test_two_workers_give_the_same_bits_as_one(
    two_scenarios: dict[str, SimiopConfig], serial: Evaluation
) -> None:
    executor = ProcessExecutor(2)
    try:
        parallel = evaluate(two_scenarios, 3, SEED, executor)
    finally:
        executor.close()
    assert parallel.kpis == serial.kpis
    assert parallel.values.tobytes() == serial.values.tobytes()


def test_replications_given_by_number_in_rounds_match_one_call(
    two_scenarios: dict[str, SimiopConfig], serial: Evaluation
) -> None:
    """The advice adds rounds of replications; each round's values are those a single call gives."""
    later = evaluate(two_scenarios, [2, 1], SEED)
    assert later.replications == (2, 1)
    assert later.values[:, 0].tobytes() == serial.values[:, 2].tobytes()
    assert later.values[:, 1].tobytes() == serial.values[:, 1].tobytes()
    first = evaluate(two_scenarios, range(1), SEED)
    assert np.concatenate([first.values, later.values[:, ::-1]], axis=1).tobytes() == serial.values.tobytes()


def test_a_scenario_s_own_seed_is_ignored(two_scenarios: dict[str, SimiopConfig]) -> None:
    reseeded = _config(BASELINE, 40, "simulation.seed=999")
    found = evaluate({"a": two_scenarios["base"], "b": reseeded}, 2, SEED)
    assert found.values[0].tobytes() == found.values[1].tobytes()
    other_seed = evaluate(two_scenarios["base"], 2, SEED + 1)
    assert other_seed.scenarios == ("base",)
    assert not np.array_equal(other_seed.values[0], found.values[0], equal_nan=True)


def test_kpis_selects_and_orders_the_kpi_axis(
    serial: Evaluation, two_scenarios: dict[str, SimiopConfig]
) -> None:
    chosen = evaluate(two_scenarios, 3, SEED, kpis=["admissions", "referrals"])
    assert chosen.kpis == ("admissions", "referrals")
    assert chosen.values.shape == (2, 3, 2)
    assert np.array_equal(chosen.kpi("admissions"), serial.kpi("admissions"))
    assert np.array_equal(chosen.values[:, :, 1], serial.kpi("referrals"))
    assert np.array_equal(chosen.scenario("smaller_groups"), chosen.values[1])


def test_an_unknown_kpi_is_refused_with_the_known_names() -> None:
    with pytest.raises(UnknownKpiError) as caught:
        evaluate(_config(days=10), 2, SEED, kpis=["referals"])
    assert caught.value.kpi == "referals"
    assert "referrals" in caught.value.known
    assert str(caught.value).startswith("kpis: no KPI named 'referals'")


def test_a_kpi_reported_by_a_later_scenario_only_is_known() -> None:
    """The small clinic (first) has no evening track; the baseline (second) has: NaN, not an error."""
    found = evaluate(
        {"small": _config(SMALL, 10), "baseline": _config(days=10)}, 1, SEED, kpis=["census_mean_evening"]
    )
    assert math.isnan(found.values[0, 0, 0])
    assert math.isfinite(found.values[1, 0, 0])


def test_lookups_of_missing_names_fail(serial: Evaluation) -> None:
    with pytest.raises(UnknownKpiError):
        serial.kpi("nope")
    with pytest.raises(KeyError, match=r"no scenario 'nope'; scenarios are base, smaller_groups"):
        serial.scenario("nope")


def test_a_kpi_only_one_scenario_reports_is_nan_in_the_other() -> None:
    """The baseline has an evening track, the small clinic none: its evening census is NaN there."""
    found = evaluate({"baseline": _config(days=20), "small": _config(SMALL, 20)}, 1, SEED)
    evening = found.kpi("census_mean_evening")
    assert math.isfinite(evening[0, 0])
    assert math.isnan(evening[1, 0])
    small_direct = compute_kpis(_config(SMALL, 20), simulate(_config(SMALL, 20), SEED, 0))
    for name, value in small_direct.items():
        assert found.kpi(name)[1, 0] == pytest.approx(value, nan_ok=True, rel=0, abs=0)
    assert set(found.kpis) >= set(small_direct)


def test_daily_census_is_the_census_of_every_day() -> None:
    short, longer = _config(days=15), _config(days=25)
    found = evaluate({"short": short, "long": longer}, [0, 1], SEED, daily_census=True)
    assert found.census is not None
    assert found.census.shape == (2, 2, 25)
    for r in (0, 1):
        expected = census_by_day(longer, simulate(longer, SEED, r))
        assert np.array_equal(found.census[1, r], expected)
        assert np.array_equal(found.census[0, r, :15], census_by_day(short, simulate(short, SEED, r)))
    assert np.isnan(found.census[0, :, 15:]).all()
    assert found.census[1].sum() > 0


def test_census_by_day_sums_the_tracks_by_hand() -> None:
    config = _config(days=12)
    records = simulate(config, SEED, 0)
    expected = [0.0] * 12
    for row in records.track_days:
        expected[row.day] += row.census
    assert census_by_day(config, records).tolist() == expected


def test_progress_counts_every_replication() -> None:
    seen: list[tuple[int, int]] = []
    evaluate(
        [_config(days=10), _config(days=10)], 2, SEED, progress=lambda done, total: seen.append((done, total))
    )
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_nothing_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    found = simiop.evaluate([str(BASELINE)], replications=1, seed=SEED, jobs=1, kpis=["referrals"])
    assert found.scenarios == ("0",)
    assert list(tmp_path.iterdir()) == []


def test_the_api_defaults_come_from_the_first_config() -> None:
    config = _config(BASELINE, 10, "simulation.replications=2", "simulation.seed=11")
    found = simiop.evaluate(config, jobs=1, kpis=["referrals"])
    assert found.replications == (0, 1)
    assert found.values[0, :, 0].tolist() == [_kpi(config, 11, r) for r in (0, 1)]


def _kpi(config: SimiopConfig, seed: int, replication: int) -> float:
    return compute_kpis(config, simulate(config, seed, replication))["referrals"]


BAD: list[tuple[dict[str, Any], type[Exception], str]] = [
    ({"configs": {}}, ValueError, "configs: no scenario given"),
    ({"configs": []}, ValueError, "configs: no scenario given"),
    ({"configs": 5}, TypeError, "configs: got int; allowed a SimiopConfig"),
    ({"configs": {"": None}}, ValueError, "configs: scenario name '' is not a non-empty string"),
    ({"configs": {"a": "baseline.yaml"}}, TypeError, "configs['a']: got str; allowed a SimiopConfig"),
    ({"replications": 0}, ValueError, "replications: got 0; allowed a whole number >= 1"),
    ({"replications": True}, TypeError, "replications: got True"),
    ({"replications": 2.5}, TypeError, "replications: got 2.5"),
    ({"replications": []}, ValueError, "replications: got an empty list"),
    ({"replications": [0, -1]}, ValueError, "replications: got -1 in the list"),
    ({"replications": [1, 1]}, ValueError, "replications: 1 is listed twice"),
    ({"replications": [0, 1.0]}, TypeError, "replications: got 1.0 in the list"),
    ({"replications": None}, TypeError, "replications: got None"),
    ({"seed": -1}, ValueError, "seed: got -1; allowed a whole number from 0 to 9223372036854775807"),
    ({"seed": 2**63}, ValueError, "seed: got 9223372036854775808"),
    ({"seed": 1.5}, TypeError, "seed: got 1.5"),
    ({"seed": None}, TypeError, "seed: got None"),
    ({"kpis": "referrals"}, TypeError, "kpis: got the string 'referrals'; allowed a list of KPI names"),
    ({"kpis": []}, ValueError, "kpis: got an empty list"),
    ({"kpis": ["referrals", "referrals"]}, ValueError, "kpis: 'referrals' is listed twice"),
    ({"kpis": [3]}, TypeError, "kpis: got 3; allowed KPI names"),
]


@pytest.mark.parametrize(("change", "error", "message"), BAD)
def test_bad_arguments_are_refused_before_anything_runs(
    change: dict[str, Any], error: type[Exception], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_run(task: object) -> None:
        raise AssertionError("a replication ran")

    monkeypatch.setattr(evaluation, "evaluate_replication", no_run)
    arguments: dict[str, Any] = {"configs": _config(days=5), "replications": 2, "seed": SEED, **change}
    with pytest.raises(error) as caught:
        evaluate(**arguments)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


API_BAD: list[tuple[dict[str, Any], type[Exception], str]] = [
    ({"replications": 0}, ValueError, "replications: got 0"),
    ({"configs": {}}, ValueError, "configs: no scenario given"),
    # A dict or a number where configs belong is named as such, not met as an AttributeError (review L2).
    ({"configs": {"a": {"x": 1}}}, TypeError, "configs['a']: got dict; allowed a SimiopConfig"),
    ({"configs": 42}, TypeError, "configs: got int; allowed a SimiopConfig"),
    ({"jobs": 0}, ValueError, "jobs: got 0; allowed a whole number >= 1, or None for every core"),
    ({"jobs": -1}, ValueError, "jobs: got -1"),
    ({"jobs": 1.5}, TypeError, "jobs: got 1.5"),
    ({"jobs": True}, TypeError, "jobs: got True"),
]


@pytest.mark.parametrize(("change", "error", "message"), API_BAD)
def test_the_api_refuses_bad_arguments_before_starting_workers(
    change: dict[str, Any], error: type[Exception], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_executor(*args: object) -> None:
        raise AssertionError("an executor was started")

    monkeypatch.setattr("simiop.experiments.executors.make_executor", no_executor)
    arguments: dict[str, Any] = {"configs": _config(days=5), "jobs": 2, **change}
    with pytest.raises(error) as caught:
        simiop.evaluate(**arguments)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_the_api_reads_replication_numbers_from_a_generator_once() -> None:
    """``replications`` is any iterable: a generator is read once, checked and run (review M3)."""
    config = _config(days=14)
    found = simiop.evaluate(
        config, replications=(r for r in (0, 2)), jobs=1, executor="serial", kpis=["referrals"]
    )
    assert found.replications == (0, 2)
    assert found.values[0, :, 0].tolist() == [_kpi(config, config.simulation.seed, r) for r in (0, 2)]
