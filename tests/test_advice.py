"""Tests for simiop.experiments.advice: replication counts, MSER-5 warm-up, Welch's average, plots."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simiop.experiments import advising
from simiop.experiments import evaluate as evaluation
from simiop.experiments.advice import (
    MIN_KEPT_DAYS,
    NEAR_LIMIT,
    Warmup,
    batch_means,
    mser,
    mser_limit,
    mser_warmup,
    pending_within,
    plot_precision,
    plot_warmup,
    relative_half_width,
    replications_needed,
    welch_moving_average,
)
from simiop.results.stats import t_quantile
from tests.conftest import BASELINE, REPO
from tests.test_cli import run

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


# -- answers that are only the limit of a search are never given as advice --------------------------


def test_mser_limit_is_half_the_complete_batches() -> None:
    assert [mser_limit(n) for n in (10, 14, 15, 19, 20, 120, 1095)] == [5, 5, 5, 5, 10, 60, 545]


@given(
    length=st.integers(10, 400),
    start=st.floats(-1000, 1000),
    slope=st.floats(0.01, 100),
    sign=st.sampled_from([-1.0, 1.0]),
)
def test_a_series_that_never_settles_is_no_steady_state(
    length: int, start: float, slope: float, sign: float
) -> None:
    """On a straight ramp, up or down, MSER-5 always runs to its limit, and that is reported, not advised."""
    warmup = mser_warmup(start + sign * slope * np.arange(length))
    assert warmup is not None
    assert warmup.days == warmup.limit == mser_limit(length)
    assert warmup.at_limit


@given(length=st.integers(10, 2000), ramp=st.integers(0, 100), level=st.floats(1, 100))
def test_mser_warmup_stays_within_its_search(length: int, ramp: int, level: float) -> None:
    series = np.concatenate([np.linspace(0.0, level, ramp), np.full(length, level)])
    warmup = mser_warmup(series)
    assert warmup is not None
    assert 0 <= warmup.days <= warmup.limit <= warmup.length // 2
    assert warmup.days % 5 == 0
    assert warmup.at_limit == (warmup.days >= NEAR_LIMIT * warmup.limit)
    assert warmup.kept_days == series.size - warmup.days
    assert warmup.leaves_too_little == (warmup.days > 0 and warmup.kept_days < MIN_KEPT_DAYS)


def test_a_settled_series_gets_a_warm_up_and_a_short_one_a_warning() -> None:
    series = np.concatenate([np.linspace(0.0, 10.0, 50), np.full(950, 10.0)])
    warmup = mser_warmup(series)
    assert warmup is not None
    assert 30 <= warmup.days <= 60
    assert not warmup.at_limit
    assert not warmup.leaves_too_little
    short = mser_warmup(series[:300])
    assert short is not None
    assert not short.at_limit
    assert short.leaves_too_little


def test_mser_warmup_is_none_below_two_batches() -> None:
    assert mser_warmup(np.arange(9.0)) is None
    assert mser_warmup(np.arange(10.0)) is not None


def test_pending_within_tells_a_cut_off_search_from_a_refuted_one() -> None:
    # SPREAD is within 5% from n = 8 on; 12 values cannot confirm 5 more, but nothing refutes it.
    assert replications_needed(SPREAD[:12], 0.05) is None
    assert pending_within(SPREAD[:12], 0.05) == 8
    dip = [90.0, 110.0] + [100.0] * 7 + [130.0]  # within at 8 and 9, then out again at 10
    assert pending_within(dip, 0.05) is None
    assert pending_within([5.0, math.nan, math.nan], 0.05) is None  # one value: no interval


def advise(*args: str) -> tuple[int, str, str]:
    return run("advise", *args, "-j", "1")


def test_advise_says_a_warm_up_at_its_search_limit_is_no_answer() -> None:
    """The baseline fills for months: in 120 days MSER-5 can only answer its limit, half the run."""
    code, out, err = advise(
        str(BASELINE), "--horizon", "120d", "--kpi", "referrals", "--max-replications", "8"
    )
    assert code == 0, err
    [line] = [line for line in out.splitlines() if line.startswith("warm-up:")]
    assert line.startswith("warm-up: no steady state found in 120 days: MSER-5 stopped at ")
    assert "limit of its search (60 days, half the run)" in line
    assert "run a longer --horizon (e.g. 240d)" in line
    assert "suggests discarding" not in out


def test_advise_warns_when_a_warm_up_leaves_less_than_a_year(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(advising, "mser_warmup", lambda series: Warmup(days=20, limit=100, length=200))
    code, out, err = advise(
        str(BASELINE), "--horizon", "200d", "--kpi", "referrals", "--max-replications", "8"
    )
    assert code == 0, err
    assert "warm-up: MSER-5 on the mean daily census suggests discarding the first 20 days of 200" in out
    assert err == (
        f"warning: a warm-up of 20 days leaves 180 days of results, fewer than {MIN_KEPT_DAYS}: steady-state "
        "KPIs would cover only part of the year's seasons; run a longer --horizon\n"
    )


def test_advise_on_a_settled_queue_suggests_a_warm_up_it_can_stand_by() -> None:
    """The M/M/5 check clinic settles in days; whatever MSER-5 answers, a suggestion is never its limit."""
    mmc = REPO / "configs" / "validation" / "mmc.yaml"
    code, out, err = advise(str(mmc), "--horizon", "200d", "--kpi", "admissions", "--max-replications", "8")
    assert code == 0, err
    [line] = [line for line in out.splitlines() if line.startswith("warm-up:")]
    if "suggests discarding" in line:
        days = int(line.split("the first ")[1].split()[0])
        assert days < NEAR_LIMIT * mser_limit(200)
        assert err.startswith(f"warning: a warm-up of {days} days leaves {200 - days} days")
    else:
        assert line.startswith("warm-up: no steady state found in 200 days")


def test_advise_on_a_run_too_short_for_mser_says_so() -> None:
    code, out, err = advise(str(BASELINE), "--horizon", "7d", "--kpi", "referrals", "--max-replications", "8")
    assert code == 0, err
    assert "warm-up: a run of 7 days is too short for MSER-5 (it needs 10 days, 2 batches of 5)" in out


def test_advise_says_when_the_answer_is_the_fewest_replications_it_tries() -> None:
    """A KPI with no spread (this clinic's cost over 20 days) is 'precise' at once: the floor, not an answer."""
    small = REPO / "configs" / "small_day_only.yaml"
    code, out, err = advise(
        str(small), "--horizon", "20d", "--kpi", "total_cost_usd", "--min-replications", "4"
    )
    assert code == 0, err
    assert out.startswith("total_cost_usd: 4 replications give a 95% CI within 0.0% of the mean")
    assert "4 is the fewest tried (--min-replications), so fewer may do as well" in out.splitlines()[0]


def test_advise_says_when_the_search_stopped_before_confirming(monkeypatch: pytest.MonkeyPatch) -> None:
    values = iter([90.0, 110.0] + [100.0] * 10)  # SPREAD: within 5% from 8 replications on

    def cell(task: evaluation.EvaluationTask) -> evaluation.ReplicationValues:
        return evaluation.ReplicationValues(
            task.scenario, task.replication, {"referrals": next(values)}, (0.0,) * 20
        )

    monkeypatch.setattr(evaluation, "evaluate_replication", cell)
    code, out, err = advise(
        str(BASELINE), "--horizon", "20d", "--kpi", "referrals", "--max-replications", "12"
    )
    assert code == 0, err
    assert out.splitlines()[0] == (
        "referrals: within 5.0% from 8 replications on, but not yet confirmed for 5 more: "
        "--max-replications 12 stopped the search; raise it to at least 13"
    )


def test_advise_says_when_a_kpi_has_too_few_values() -> None:
    code, out, err = advise(
        str(BASELINE),
        "--horizon",
        "10d",
        "--kpi",
        "cost_per_completed_episode_usd",
        "--max-replications",
        "8",
    )
    assert code == 0, err
    first = out.splitlines()[0]
    assert first.startswith("cost_per_completed_episode_usd: a value in only ")
    assert "too few for an interval" in first
    assert "nan" not in out


def test_advise_refuses_a_maximum_that_can_never_confirm() -> None:
    code, out, err = run("advise", str(BASELINE), "--kpi", "referrals", "--max-replications", "6")
    assert code == 2
    assert err == (
        "--max-replications: 6 can never confirm an answer: it takes at least --min-replications + "
        "--look-ahead = 8\n"
    )
    assert out == ""


ADVISE_SMALL = (str(BASELINE), "--horizon", "30d", "--kpi", "referrals", "--max-replications", "8")


@pytest.mark.parametrize("name", ["precision.png", "warmup.png", "advise-files.json"])
def test_advise_refuses_to_overwrite_a_file_it_did_not_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """F4: a user's own file at a plot's name is refused in one line, before any replication runs."""
    mine = tmp_path / "plots" / name
    mine.parent.mkdir()
    mine.write_bytes(b"my own slide")

    def no_replications(*args: object, **kwargs: object) -> None:
        raise AssertionError("advise ran replications before refusing")

    monkeypatch.setattr(advising, "advise", no_replications)
    code, out, err = advise(*ADVISE_SMALL, "--out", str(mine.parent))
    assert code == 2
    assert err == (
        f"{mine}: exists and simiop advise did not write it; move it away, choose another --out, "
        "or use --force to overwrite it\n"
    )
    assert out == ""
    assert mine.read_bytes() == b"my own slide"
    assert sorted(p.name for p in mine.parent.iterdir()) == [name]


def test_advise_replaces_its_own_plots_and_force_overwrites_a_user_s(tmp_path: Path) -> None:
    folder = tmp_path / "plots"
    folder.mkdir()
    (folder / "warmup.png").write_bytes(b"my own slide")
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    code, _, err = advise(*ADVISE_SMALL, "--out", str(folder), "--force")
    assert code == 0, err
    assert (folder / "warmup.png").read_bytes().startswith(b"\x89PNG")
    record = json.loads((folder / "advise-files.json").read_text(encoding="utf-8"))
    assert record["files"] == ["advise-files.json", "precision.png", "warmup.png"]
    # again, without --force: its own plots are replaced; a run too short for a warm-up removes its old one
    code, out, err = advise(*ADVISE_SMALL[:2], "5d", *ADVISE_SMALL[3:], "--out", str(folder))
    assert code == 0, err
    assert out.splitlines()[-1] == f"plots written to {folder / 'precision.png'}"
    assert sorted(p.name for p in folder.iterdir()) == ["advise-files.json", "notes.txt", "precision.png"]
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_advise_refuses_a_folder_at_a_plot_s_name_even_with_force(tmp_path: Path) -> None:
    (tmp_path / "plots" / "precision.png").mkdir(parents=True)
    code, _, err = advise(*ADVISE_SMALL, "--out", str(tmp_path / "plots"), "--force")
    assert code == 2
    assert err.splitlines() == [
        f"{tmp_path / 'plots' / 'precision.png'}: is a folder, where advise writes a file; "
        "move it away or choose another --out"
    ]
