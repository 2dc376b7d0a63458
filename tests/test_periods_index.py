"""The period index: rows counted into every period of every kind that holds their day."""

from __future__ import annotations

import numpy as np

from simiop.config import load_config
from simiop.results.periods import _Index, periods
from tests.conftest import BASELINE


def _index() -> _Index:
    return _Index(periods(load_config(BASELINE, ["simulation.horizon_days=400"])))


def test_whole_weights_added_per_day_first_equal_the_row_by_row_sum() -> None:
    index = _index()
    rng = np.random.default_rng(7)
    days = np.sort(rng.integers(0, 400, size=3000)).astype(float)
    weights = rng.integers(0, 9, size=3000).astype(float)
    assert np.array_equal(index.add_whole(days, weights), index.add(index.of(days), weights))
    assert np.array_equal(index.add_whole(days), index.add(index.of(days)))
    assert index.add_whole(days).sum() == 3000 * 4  # each row once in a period of each of the four kinds


def test_rows_on_the_first_and_last_day_and_no_rows() -> None:
    index = _index()
    days = np.array([0.0, 0.0, 399.0])
    counted = index.add_whole(days)
    first, last = index.of(np.array([0.0])).ravel(), index.of(np.array([399.0])).ravel()
    assert counted[first].tolist() == [2.0] * 4
    assert counted[last].tolist() == [1.0] * 4
    assert index.add_whole(days[:1]).sum() == 4  # a shorter run of days after a longer one
    assert index.add_whole(np.array([])).tolist() == [0.0] * index.size


def test_whole_days_looked_up_are_the_periods_searched() -> None:
    index = _index()
    days = np.array([0.0, 399.0, 31.0, 31.0, 200.0, 0.0])
    assert np.array_equal(index.of_whole(days), index.of(days))
    assert np.array_equal(index.of_whole(days[:2]), index.of(days[:2]))  # a table made already
    assert np.array_equal(index.of_whole(np.array([-1.0, 3.0])), index.of(np.array([-1.0, 3.0])))
    assert index.of_whole(np.array([])).shape == (4, 0)


def test_times_within_a_day_are_in_its_periods_whether_looked_up_or_searched() -> None:
    index = _index()
    rng = np.random.default_rng(11)
    times = np.concatenate([rng.uniform(0.0, 420.0, size=2000), [0.0, 30.999999, 31.0, 31.5, 1e-9]])
    assert np.array_equal(index.of(times), index._searched(times))
    assert np.array_equal(index.of(times), index.of_whole(np.floor(times)))
    odd = np.array([-0.5, 3.25, np.nan, 2e5])  # before opening, missing, beyond the table: searched
    assert np.array_equal(index.of(odd), index._searched(odd))
    assert index.of(np.array([])).shape == (4, 0)


def test_weights_added_kind_by_kind_are_the_row_order_sums_of_each_period() -> None:
    index = _index()
    rng = np.random.default_rng(3)
    days = np.sort(rng.uniform(0.0, 400.0, size=500))
    weights = rng.uniform(0.0, 1000.0, size=500)
    added = index.add(index.of(days), weights)
    positions = index.of(days)
    expected = [0.0] * index.size
    for row in range(days.size):  # a plain loop: each period adds its rows in row order
        for kind in range(positions.shape[0]):
            expected[positions[kind, row]] += weights[row]
    assert added.tolist() == expected


def test_per_group_sums_in_one_pass_are_each_groups_own_sums_to_the_bit() -> None:
    """``add`` with ``groups`` (every payer's revenue at once) gives each group's rows added in row
    order, as ``add`` over that group's rows alone: the same bits, -0.0 and empty groups included."""
    index = _index()
    rng = np.random.default_rng(5)
    days = np.sort(rng.uniform(0.0, 400.0, size=2000))
    weights = rng.normal(0.0, 1e3, size=2000) * rng.integers(0, 2, size=2000)
    weights[::97] = -0.0
    group = rng.integers(0, 3, size=2000)  # group 3 of 4 has no rows
    positions = index.of(days)
    together = index.add(positions + index.size * group, weights, 4).reshape(4, index.size)
    for code in range(4):
        alone = index.add(positions[:, group == code], weights[group == code])
        assert together[code].tobytes() == alone.tobytes()


def test_the_periods_of_a_run_are_made_once_and_copied_for_the_caller() -> None:
    from simiop.results.periods import _index as index_of
    from simiop.results.periods import _period_key

    config = load_config(BASELINE, ["simulation.horizon_days=400"])
    first, second = periods(config), periods(config)
    assert first == second
    assert first is not second
    first.clear()  # the caller's copy: the next caller still gets every period
    assert periods(config) == second
    assert index_of(*_period_key(config)) is index_of(*_period_key(config))
    assert index_of(*_period_key(config)).size == len(second)


def test_periods_csv_is_each_periods_metrics_written_row_by_row() -> None:
    """periods.csv formatted a column at a time is csv.writer's rows of ``period_metrics`` (empty for nan,
    10 significant digits), and a cost per completion with no completions is empty."""
    import math

    from simiop.model import simulate
    from simiop.results.periods import PERIOD_COLUMNS, metric_names, period_metrics, render_periods
    from simiop.results.tables import to_csv

    config = load_config(BASELINE, ["simulation.horizon_days=120"])
    records = simulate(config)
    names = metric_names(config)
    rows = [
        [
            period.kind,
            period.label,
            period.start_date.isoformat(),
            period.end_date.isoformat(),
            period.end_day - period.first_day,
            *("" if math.isnan(values[name]) else f"{values[name]:.10g}" for name in names),
        ]
        for period, values in period_metrics(config, records)
    ]
    assert render_periods(config, records) == to_csv([*PERIOD_COLUMNS, *names], rows)
    assert any(row[5 + names.index("cost_per_completed_episode_usd")] == "" for row in rows)
