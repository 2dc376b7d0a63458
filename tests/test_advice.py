"""Tests for simiop.experiments.advice: replication counts, MSER-5 warm-up, Welch's average, plots."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from simiop.experiments.advice import (
    batch_means,
    mser,
    plot_precision,
    plot_warmup,
    relative_half_width,
    replications_needed,
    welch_moving_average,
)
from simiop.results.stats import t_quantile

# Prefix n (n >= 2) of SPREAD has mean 100 and sum of squared deviations 200, so
# relative_half_width = t_{0.975, n-1} * sqrt(200 / (n (n - 1))) / 100: 0.0534 at n = 7, 0.0447 at n = 8.
SPREAD = [90.0, 110.0] + [100.0] * 11


def test_relative_half_width_by_hand() -> None:
    for n in range(2, len(SPREAD) + 1):
        expected = t_quantile(0.975, n - 1) * math.sqrt(200 / (n * (n - 1))) / 100
        assert relative_half_width(SPREAD[:n]) == pytest.approx(expected, rel=1e-12)
    assert relative_half_width(SPREAD[:7]) == pytest.approx(0.05339, abs=1e-5)
    assert relative_half_width(SPREAD[:8]) == pytest.approx(0.04469, abs=1e-5)


def test_relative_half_width_edge_cases() -> None:
    assert math.isnan(relative_half_width([5.0]))
    assert math.isnan(relative_half_width([5.0, math.nan]))
    assert relative_half_width([-1.0, 1.0]) == math.inf
    assert relative_half_width([0.0, 0.0, 0.0]) == 0.0
    assert relative_half_width([-4.0, -4.0]) == 0.0
    assert relative_half_width([-2.0, -4.0]) == pytest.approx(
        12.7062047 * math.sqrt(2) / math.sqrt(2) / 3, rel=1e-8
    )


def test_replications_needed_by_hand() -> None:
    # Within 5% from n = 8 on, and the look-ahead of 5 needs values up to n = 13.
    assert replications_needed(SPREAD, 0.05) == 8
    assert replications_needed(SPREAD, 0.06) == 7
    assert replications_needed(SPREAD, 0.05, look_ahead=0) == 8


def test_replications_needed_waits_for_the_look_ahead_values() -> None:
    assert replications_needed(SPREAD[:12], 0.05) is None  # n = 8 is within, but 13 is not there yet
    assert replications_needed(SPREAD[:12], 0.05, look_ahead=4) == 8
    assert replications_needed(SPREAD[:7], 0.05, look_ahead=0) is None


def test_replications_needed_does_not_stop_on_a_dip() -> None:
    # Within 5% at n = 8 and 9, then the outlier at n = 10 pushes it back to 0.074; within again from n = 15.
    values = [90.0, 110.0] + [100.0] * 7 + [130.0] + [100.0] * 30
    assert relative_half_width(values[:9]) < 0.05 < relative_half_width(values[:10])
    assert relative_half_width(values[:14]) > 0.05 >= relative_half_width(values[:15])
    assert replications_needed(values, 0.05) == 15
    assert replications_needed(values, 0.05, look_ahead=1) == 8  # too short a look-ahead is fooled
    assert replications_needed(values[:19], 0.05) is None


def test_replications_needed_respects_the_minimum() -> None:
    constant = [50.0] * 10
    assert replications_needed(constant, 0.01, look_ahead=2) == 3
    assert replications_needed(constant, 0.01, look_ahead=2, min_replications=2) == 2
    assert replications_needed(constant, 0.01, look_ahead=2, min_replications=6) == 6


def test_replications_needed_none_when_never_precise() -> None:
    generator = np.random.default_rng(3)
    noisy = (100 + generator.normal(0, 50, size=10)).tolist()
    assert replications_needed(noisy, 0.001) is None
    assert replications_needed([], 0.1) is None


@pytest.mark.parametrize(
    ("precision", "look_ahead", "minimum"),
    [(0.0, 5, 3), (-0.1, 5, 3), (math.nan, 5, 3), (0.1, -1, 3), (0.1, 5, 0)],
)
def test_replications_needed_rejects_bad_arguments(precision: float, look_ahead: int, minimum: int) -> None:
    with pytest.raises(ValueError, match=r"must be"):
        replications_needed(SPREAD, precision, look_ahead=look_ahead, min_replications=minimum)


def test_batch_means_drops_the_incomplete_batch() -> None:
    np.testing.assert_array_equal(batch_means([1, 2, 3, 4, 5, 6, 7], 3), [2.0, 5.0])
    np.testing.assert_array_equal(batch_means([1, 2, 3], 1), [1.0, 2.0, 3.0])
    assert batch_means([1, 2], 3).size == 0
    with pytest.raises(ValueError, match=r"batch must be >= 1"):
        batch_means([1, 2, 3], 0)


def test_mser_by_hand() -> None:
    # Batch means Y = 4, 0, 2, 0, 2, 0 (k = 6): MSER(0..3) = 13.33/36, 4.8/25, 4/16, 2.67/9; d = 1 wins.
    assert mser([4, 0, 2, 0, 2, 0], batch=1) == 1
    assert mser(np.repeat([4.0, 0, 2, 0, 2, 0], 5)) == 5
    assert mser([0.0] * 5 + [1.0] * 5) == 5  # k = 2: d = 1 leaves one batch, with no spread


def test_mser_ties_go_to_the_smallest_truncation() -> None:
    assert mser([3.0] * 50) == 0


def test_mser_finds_an_initial_transient() -> None:
    generator = np.random.default_rng(2024)
    series = np.concatenate([np.linspace(0.0, 10.0, 200), 10.0 + generator.normal(0.0, 1.0, size=800)])
    truncation = mser(series)
    assert 150 <= truncation <= 300
    assert truncation % 5 == 0


def test_mser_on_stationary_noise_truncates_little() -> None:
    generator = np.random.default_rng(11)
    for _ in range(5):
        assert mser(10.0 + generator.normal(0.0, 1.0, size=1000)) <= 100


def test_mser_rejects_short_or_non_finite_series() -> None:
    with pytest.raises(ValueError, match=r"at least 2 batches"):
        mser([1.0] * 9)
    with pytest.raises(ValueError, match=r"finite"):
        mser([1.0] * 9 + [math.nan])


def test_welch_moving_average_by_hand() -> None:
    series = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 10.0]
    # w = 2, m = 7: i = 1 -> [1]; i = 2 -> [1, 2, 3]; i = 3 -> Y1..Y5; i = 4 -> Y2..Y6; i = 5 -> Y3..Y7.
    expected = [1.0, 2.0, 3.0, 4.0, (3 + 4 + 5 + 6 + 10) / 5]
    np.testing.assert_allclose(welch_moving_average(series, 2), expected, rtol=1e-15)
    zigzag = [0.0, 3.0, 0.0, 3.0, 0.0, 6.0]
    # w = 1: i = 1 -> [0]; then centred triples.
    np.testing.assert_allclose(welch_moving_average(zigzag, 1), [0.0, 1.0, 2.0, 1.0, 3.0], rtol=1e-15)


def test_welch_moving_average_length_and_validation() -> None:
    assert welch_moving_average(np.arange(100.0), 10).shape == (90,)
    np.testing.assert_allclose(welch_moving_average(np.arange(100.0), 10), np.arange(90.0), atol=1e-12)
    with pytest.raises(ValueError, match=r"window must be >= 1"):
        welch_moving_average([1.0, 2.0, 3.0], 0)
    with pytest.raises(ValueError, match=r"too short"):
        welch_moving_average([1.0, 2.0, 3.0], 3)


def warmup_series() -> np.ndarray:
    generator = np.random.default_rng(5)
    ramp = np.minimum(np.arange(120.0) / 6.0, 10.0)
    return ramp + generator.normal(0.0, 1.0, size=(4, 120))


def test_plot_warmup_writes_a_deterministic_png(tmp_path: Path) -> None:
    series = warmup_series()
    first, second = tmp_path / "warmup.png", tmp_path / "again.png"
    for path in (first, second):
        plot_warmup(series, path, window=5, truncation=60, ylabel="census", title="Census after opening")
    data = first.read_bytes()
    assert data.startswith(b"\x89PNG")
    assert len(data) > 1000
    assert data == second.read_bytes()
    assert b"Matplotlib" not in data  # no version in the metadata
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again.png", "warmup.png"]  # no temporary left


def test_plot_warmup_rejects_a_flat_array(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"replications, days"):
        plot_warmup(np.arange(50.0), tmp_path / "x.png", window=5, truncation=0, ylabel="y", title="t")
    assert not (tmp_path / "x.png").exists()


def test_plot_precision_writes_a_deterministic_png(tmp_path: Path) -> None:
    values = (100 + np.random.default_rng(9).normal(0.0, 10.0, size=20)).tolist()
    needed = replications_needed(values, 0.1)
    assert needed is not None
    first, second = tmp_path / "precision.png", tmp_path / "again.png"
    for path in (first, second):
        plot_precision(values, path, precision=0.1, needed=needed, kpi="admissions")
    data = first.read_bytes()
    assert data.startswith(b"\x89PNG")
    assert data == second.read_bytes()


def test_plot_precision_copes_with_degenerate_values(tmp_path: Path) -> None:
    """One value (no interval), then a zero mean (infinite width), a zero width and a NaN."""
    for name, values in (("one", [3.0]), ("zeros", [0.0, 0.0, 1.0, -1.0, math.nan, 5.0])):
        path = tmp_path / f"{name}.png"
        plot_precision(values, path, precision=0.05, needed=None, kpi="wait")
        assert path.read_bytes().startswith(b"\x89PNG")
    with pytest.raises(ValueError, match=r"must not be empty"):
        plot_precision([], tmp_path / "empty.png", precision=0.05, needed=None, kpi="wait")
