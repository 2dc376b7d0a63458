"""Tests for simiop.results.stats: the t quantile, replication summaries and paired differences."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pytest
from scipy import special, stats

from simiop.results.stats import (
    FEW_REPLICATIONS,
    MIN_REPLICATIONS,
    WIDE_CI,
    WIDE_CI_SHARE,
    Summary,
    _t_quantile,
    clip,
    flags_for,
    needs_scipy,
    paired_difference,
    read_bounds,
    read_flags,
    summarise,
    t_quantile,
)
from simiop.results.summary import ScenarioKpis, read_cell_kpis
from simiop.results.t975 import T975

PROBABILITIES = [p for p in np.linspace(0.0005, 0.9995, 1999).tolist() if p != 0.5] + [
    1e-12,
    1e-8,
    0.5 - 1e-12,
    0.5 + 1e-12,
    1 - 1e-9,
]


def cauchy_quantile(p: float) -> float:
    """df = 1: tan(pi (p - 1/2)), written as -+cot(pi min(p, 1-p)) in the tails where that form keeps its digits."""
    if p < 0.25:
        return -1.0 / math.tan(math.pi * p)
    if p > 0.75:
        return 1.0 / math.tan(math.pi * (1.0 - p))  # 1 - p is exact here
    return math.tan(math.pi * (p - 0.5))


def test_t_quantile_df1_matches_the_cauchy_closed_form() -> None:
    for p in PROBABILITIES[::4] + PROBABILITIES[-5:]:
        assert t_quantile(p, 1) == pytest.approx(cauchy_quantile(p), rel=1e-10), p


def test_t_quantile_df2_matches_its_closed_form() -> None:
    for p in PROBABILITIES[::2] + PROBABILITIES[-5:]:
        expected = (2 * p - 1) / math.sqrt(2 * p * (1 - p))
        assert t_quantile(p, 2) == pytest.approx(expected, rel=1e-10), p


def test_t_quantile_df4_matches_its_closed_form() -> None:
    for p in np.linspace(0.01, 0.99, 97).tolist():
        alpha = 4 * p * (1 - p)
        q = math.cos(math.acos(math.sqrt(alpha)) / 3) / math.sqrt(alpha)
        expected = math.copysign(2 * math.sqrt(q - 1), p - 0.5)
        assert t_quantile(p, 4) == pytest.approx(expected, rel=1e-9), p


@pytest.mark.parametrize(
    ("df", "expected"),
    [
        (1, 12.7062047),
        (2, 4.30265273),
        (4, 2.77644511),
        (9, 2.26215716),
        (29, 2.04522964),
        (99, 1.98421695),
    ],
)
def test_t_quantile_matches_table_values(df: int, expected: float) -> None:
    assert t_quantile(0.975, df) == pytest.approx(expected, abs=6e-8)


def test_t_quantile_approaches_the_normal_for_huge_df() -> None:
    assert t_quantile(0.975, 1e6) == pytest.approx(1.959964, abs=1e-5)
    assert t_quantile(0.975, 1e6) > NormalDist().inv_cdf(0.975)


@pytest.mark.parametrize("df", [1e4, 1e5, 1e6])
def test_t_quantile_matches_the_cornish_fisher_expansion_for_large_df(df: float) -> None:
    """Hill's expansion in powers of 1/df, to 1/df^4: far more accurate than 1e-11 at these df."""
    for p in (1e-6, 0.01, 0.3, 0.6, 0.975, 0.999):
        z = NormalDist().inv_cdf(p)
        g1 = (z**3 + z) / 4
        g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
        g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
        g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
        expected = z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4
        assert t_quantile(p, df) == pytest.approx(expected, rel=1e-10), p


@pytest.mark.parametrize("df", [0.5, 1, 2.5, 3, 7, 30, 1000])
def test_t_quantile_is_antisymmetric_and_zero_at_the_median(df: float) -> None:
    assert t_quantile(0.5, df) == 0.0
    for upper in (1 - 1e-9, 0.999, 0.9, 0.7, 0.51, 0.5000001):
        lower = 1 - upper  # exact, so lower + upper == 1 exactly
        assert t_quantile(lower, df) == pytest.approx(-t_quantile(upper, df), rel=1e-12)
        assert t_quantile(lower, df) < 0 < t_quantile(upper, df)


@pytest.mark.parametrize("df", [0.3, 1.5, 3, 12, 77.7, 400])
def test_t_quantile_inverts_the_cdf(df: float) -> None:
    for p in (1e-10, 0.001, 0.05, 0.3, 0.5 - 1e-9, 0.7, 0.975, 1 - 1e-7):
        assert float(special.stdtr(df, t_quantile(p, df))) == pytest.approx(p, rel=1e-11)


@pytest.mark.parametrize("df", [1, 2.5, 9, 99, 1e5])
def test_t_quantile_agrees_with_scipy_stats_away_from_the_median(df: float) -> None:
    """scipy.stats.t.ppf is the reference; near the median it loses its digits, so compare from 0.3 out."""
    for p in (1e-9, 0.001, 0.025, 0.3, 0.7, 0.975, 0.999, 1 - 1e-9):
        assert t_quantile(p, df) == pytest.approx(float(stats.t.ppf(p, df)), rel=1e-10), p


def test_importing_the_statistics_does_not_import_scipy() -> None:
    """scipy costs 0.2 s or more to import; only the first confidence interval of a process pays it."""
    probe = "import sys, simiop.results.stats; print('scipy' in sys.modules)"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "False"


def test_the_t975_table_is_what_scipy_computes() -> None:
    """Every kept 0.975 quantile is scipy's (through ``_t_quantile``) bit for bit, and t_quantile returns
    it for integral df; fractional df, other probabilities and df beyond the table go to scipy."""
    assert len(T975) == 1000
    for df in range(1, len(T975) + 1):
        assert T975[df - 1] == _t_quantile(0.975, float(df)), df
        assert t_quantile(0.975, df) == T975[df - 1]
    assert t_quantile(0.975, 99) == pytest.approx(float(stats.t.ppf(0.975, 99)), rel=1e-12)
    assert t_quantile(0.975, 1001) == _t_quantile(0.975, 1001.0) < T975[-1]
    assert T975[0] < t_quantile(0.975, 0.5)  # fractional df: scipy, not the table
    assert t_quantile(0.025, 9) == -T975[8]
    assert not needs_scipy(1001)
    assert needs_scipy(1002)


def test_the_t975_module_is_what_its_tool_writes() -> None:
    """simiop/results/t975.py is generated: ``tools/t975_table.py --check`` says whether it is up to date."""
    tool = Path(__file__).resolve().parent.parent / "tools" / "t975_table.py"
    done = subprocess.run([sys.executable, str(tool), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "up to date"


def test_a_summary_of_up_to_1001_values_does_not_import_scipy() -> None:
    """The intervals of 2 to 1001 replications use the kept 0.975 quantiles: scipy is not imported."""
    probe = (
        "import sys\n"
        "from simiop.results.stats import summarise, paired_difference\n"
        "a = summarise([1.0, 2.0, 4.0]); b = summarise([float(i % 7) for i in range(1001)])\n"
        "c = paired_difference([1.0, 2.0, 3.0], [2.0, 2.5, 5.0])\n"
        "print(a.ci95_low < a.mean < a.ci95_high, b.outcome95_low < b.mean, c.n, 'scipy' in sys.modules)"
    )
    shown = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert shown.split() == ["True", "True", "3", "False"]


def test_t_quantile_falls_with_df_including_fractional_df() -> None:
    values = [t_quantile(0.975, df) for df in (0.5, 1, 1.5, 2, 2.5, 3, 10, 100)]
    assert values == sorted(values, reverse=True)
    assert len(set(values)) == len(values)


def test_t_quantile_is_infinite_beyond_the_float_range() -> None:
    assert t_quantile(1e-10, 0.01) == -math.inf
    assert t_quantile(1 - 1e-10, 0.01) == math.inf


@pytest.mark.parametrize(
    ("p", "df"),
    [(0.0, 3), (1.0, 3), (-0.1, 3), (math.nan, 3), (0.5, 0), (0.5, -1), (0.5, math.inf), (0.5, math.nan)],
)
def test_t_quantile_rejects_bad_arguments(p: float, df: float) -> None:
    with pytest.raises(ValueError, match=r"must be"):
        t_quantile(p, df)


def test_summarise_known_data() -> None:
    summary = summarise([1.0, 2.0, 3.0, 4.0])
    half = 3.18244630528371 * 1.2909944487358056 / 2  # t_{0.975, 3} * sd / sqrt(4)
    assert summary.n == 4
    assert summary.mean == pytest.approx(2.5, abs=1e-15)
    assert summary.sd == pytest.approx(1.2909944487358056, rel=1e-14)
    assert summary.ci95_low == pytest.approx(2.5 - half, rel=1e-12)
    assert summary.ci95_high == pytest.approx(2.5 + half, rel=1e-12)
    assert summary.half_width == pytest.approx(half, rel=1e-12)
    assert summary.ci95_low == pytest.approx(0.44573974323948, rel=1e-12)


def test_summarise_ignores_nan_and_inf() -> None:
    with_junk = summarise([1.0, math.nan, 2.0, math.inf, 3.0, -math.inf, 4.0])
    assert with_junk == summarise([1.0, 2.0, 3.0, 4.0])
    assert with_junk.n == 4


def test_summarise_accepts_any_iterable() -> None:
    assert summarise(float(v) for v in range(1, 5)) == summarise([1.0, 2.0, 3.0, 4.0])


@pytest.mark.parametrize("values", [[], [math.nan, math.inf]])
def test_summarise_of_nothing_is_all_nan(values: list[float]) -> None:
    summary = summarise(values)
    assert summary.n == 0
    assert all(math.isnan(v) for v in (summary.mean, summary.sd, summary.ci95_low, summary.ci95_high))
    assert math.isnan(summary.half_width)


def test_summarise_of_one_value_has_a_mean_and_nothing_else() -> None:
    summary = summarise([7.5, math.nan])
    assert summary.n == 1
    assert summary.mean == 7.5
    assert math.isnan(summary.sd)
    assert math.isnan(summary.ci95_low)
    assert math.isnan(summary.ci95_high)
    assert math.isnan(summary.half_width)


def test_summarise_of_identical_values_has_a_zero_width_interval() -> None:
    summary = summarise([0.1, 0.1, 0.1])
    assert summary == Summary(3, 0.1, 0.0, 0.1, 0.1, 0.1, 0.1, ("few_replications",))
    assert summary.half_width == 0.0
    assert summary.constant


def test_summary_is_frozen() -> None:
    summary = summarise([1.0, 2.0])
    with pytest.raises(AttributeError):
        summary.mean = 3.0  # type: ignore[misc]


def test_t_interval_covers_the_true_mean_about_95_percent_of_the_time() -> None:
    generator = np.random.Generator(np.random.PCG64(20240611))
    samples = generator.normal(0.0, 1.0, size=(2000, 5))
    summaries = [summarise(row.tolist()) for row in samples]
    covered = sum(s.ci95_low <= 0.0 <= s.ci95_high for s in summaries)
    assert 0.93 <= covered / 2000 <= 0.97
    assert all(s.n == 5 for s in summaries)


def test_paired_difference_matches_a_manual_calculation() -> None:
    base = [10.0, 12.0, 9.0, 11.0, 13.0]
    other = [11.0, 14.0, 9.5, 12.0, 15.5]
    differences = [1.0, 2.0, 0.5, 1.0, 2.5]
    summary = paired_difference(base, other)
    assert summary == summarise(differences)
    mean = sum(differences) / 5
    sd = math.sqrt(sum((d - mean) ** 2 for d in differences) / 4)
    assert summary.mean == pytest.approx(1.4, rel=1e-14)
    assert summary.sd == pytest.approx(sd, rel=1e-14)
    assert summary.half_width == pytest.approx(2.7764451051977934 * sd / math.sqrt(5), rel=1e-12)


def test_paired_difference_is_sharper_than_unpaired_under_positive_correlation() -> None:
    generator = np.random.default_rng(7)
    common = generator.normal(100.0, 10.0, size=20)
    base = common + generator.normal(0.0, 1.0, size=20)
    other = common + 2.0 + generator.normal(0.0, 1.0, size=20)
    paired = paired_difference(base.tolist(), other.tolist())
    unpaired_half = math.hypot(summarise(base.tolist()).half_width, summarise(other.tolist()).half_width)
    assert paired.half_width < unpaired_half / 3
    assert paired.ci95_low > 0.0


def test_paired_difference_drops_pairs_with_a_non_finite_side() -> None:
    base = [1.0, math.nan, 3.0, 4.0, 5.0]
    other = [2.0, 5.0, math.inf, 6.0, 8.0]
    summary = paired_difference(base, other)
    assert summary.n == 3
    assert summary == summarise([1.0, 2.0, 3.0])


def test_paired_difference_rejects_unequal_lengths() -> None:
    with pytest.raises(ValueError, match=r"same length"):
        paired_difference([1.0, 2.0], [1.0, 2.0, 3.0])


def test_a_cells_kpis_are_appended_by_name_with_a_missing_kpi_as_nan(tmp_path: Path) -> None:
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_text("replication,kpi,value\n0,referrals,12\n0,revenue_usd,3.5\n", encoding="utf-8")
    second.write_text("replication,kpi,value\n\n1,revenue_usd,4\n1,admissions,7\n", encoding="utf-8")
    scenario = ScenarioKpis("base")
    read_cell_kpis(first, scenario, 0)
    read_cell_kpis(second, scenario, 1)
    assert scenario.replications == [0, 1]
    assert scenario.text == {
        "referrals": ["12", "nan"],
        "revenue_usd": ["3.5", "4"],
        "admissions": ["nan", "7"],
    }


def test_loading_the_quantiles_ahead_imports_scipy_special_which_importing_stats_does_not() -> None:
    script = (
        "import sys; import simiop.results.stats as stats; before = 'scipy.special' in sys.modules; "
        "stats.load_quantiles(); print(before, 'scipy.special' in sys.modules)"
    )
    shown = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert shown.stdout.split() == ["False", "True"]


KNOWN = [12.0, 15.0, 9.0, 14.0, 11.0, 16.0, 10.0, 13.0]


def test_the_outcome_range_is_the_t_prediction_interval_of_numpy_and_scipy() -> None:
    """mean +- t(0.975, n-1) * sd * sqrt(1 + 1/n), against numpy's sd and scipy.stats' t."""
    summary = summarise(KNOWN)
    data = np.array(KNOWN)
    n = data.size
    spread = stats.t.ppf(0.975, n - 1) * data.std(ddof=1) * math.sqrt(1 + 1 / n)
    assert summary.outcome95_low == pytest.approx(data.mean() - spread, rel=1e-12)
    assert summary.outcome95_high == pytest.approx(data.mean() + spread, rel=1e-12)
    # By hand for these eight values: mean 12.5, sd sqrt(6), t(0.975, 7) = 2.364624...
    assert summary.outcome95_high - 12.5 == pytest.approx(
        2.3646243 * math.sqrt(6) * math.sqrt(9 / 8), rel=1e-7
    )
    # Wider than the CI of the mean by exactly sqrt(n + 1)
    assert (summary.outcome95_high - summary.outcome95_low) / (summary.ci95_high - summary.ci95_low) == (
        pytest.approx(math.sqrt(n + 1), rel=1e-12)
    )


def test_the_outcome_range_holds_95_percent_of_further_replications_and_does_not_shrink() -> None:
    """For normal values the prediction interval covers a new draw 95% of the time, for small n too,
    and its width tends to 2 * 1.96 sd as n grows, while the CI of the mean narrows."""
    generator = np.random.Generator(np.random.PCG64(20261130))
    samples = generator.normal(0.0, 1.0, size=(4000, 6))
    summaries = [summarise(row[:5].tolist()) for row in samples]
    covered = sum(
        s.outcome95_low <= row[5] <= s.outcome95_high for s, row in zip(summaries, samples, strict=True)
    )
    assert 0.935 <= covered / 4000 <= 0.965
    large = summarise(generator.normal(0.0, 1.0, size=4000).tolist())
    assert large.outcome95_high - large.outcome95_low == pytest.approx(2 * 1.96, rel=0.05)
    assert large.ci95_high - large.ci95_low < 0.1


def test_clip_moves_impossible_bounds_to_the_limit_and_names_them() -> None:
    summary = summarise([0.0, 1.0])  # a count: mean 0.5, CI about -5.9 to 6.9
    assert summary.ci95_low < 0
    assert summary.outcome95_low < 0
    clipped = clip(summary, 0.0)
    assert clipped.ci95_low == 0.0
    assert clipped.outcome95_low == 0.0
    assert clipped.ci95_high == summary.ci95_high
    assert clipped.mean == summary.mean
    assert clipped.clipped == ("ci95_low", "outcome95_low")
    share = clip(summarise([0.90, 0.98, 0.99]), 0.0, 1.0)
    assert share.ci95_high == 1.0
    assert share.outcome95_high == 1.0
    assert share.clipped == ("ci95_high", "outcome95_high")
    inside = summarise([10.0, 11.0, 12.0])
    assert clip(inside, 0.0) is inside  # nothing to move, nothing named


def test_clip_leaves_missing_bounds_alone() -> None:
    one = clip(summarise([-3.0]), 0.0)
    assert one.clipped == ()
    assert math.isnan(one.ci95_low)
    assert math.isnan(one.outcome95_low)


def test_a_value_the_same_in_every_replication_is_constant_with_point_intervals() -> None:
    summary = summarise([2_199_584.0] * 4)
    assert summary.constant
    assert (
        summary.ci95_low
        == summary.ci95_high
        == summary.outcome95_low
        == summary.outcome95_high
        == 2_199_584.0
    )
    assert WIDE_CI not in summary.flags
    assert not summarise([1.0, 2.0]).constant
    assert not summarise([5.0]).constant  # one value: no spread known


@pytest.mark.parametrize(
    ("values", "flags"),
    [
        ([5.0], (FEW_REPLICATIONS,)),
        ([], (FEW_REPLICATIONS,)),
        ([100.0 + i for i in range(MIN_REPLICATIONS)], ()),
        ([100.0 + i for i in range(MIN_REPLICATIONS - 1)], (FEW_REPLICATIONS,)),
        ([0.0, 1.0] * (MIN_REPLICATIONS // 2), (WIDE_CI,)),  # mean 0.5, half-width about 0.36
        ([0.0, 1.0], (FEW_REPLICATIONS, WIDE_CI)),
        ([-1.0, 1.0] * MIN_REPLICATIONS, (WIDE_CI,)),  # mean 0 with spread
        ([0.0] * MIN_REPLICATIONS, ()),  # mean 0 without spread
    ],
)
def test_flags_name_too_few_replications_and_a_wide_ci(values: list[float], flags: tuple[str, ...]) -> None:
    assert summarise(values).flags == flags


def test_the_wide_ci_flag_is_at_the_stated_share_of_the_mean() -> None:
    assert flags_for(MIN_REPLICATIONS, 100.0, 100.0 * WIDE_CI_SHARE) == ()
    assert flags_for(MIN_REPLICATIONS, 100.0, 100.0 * WIDE_CI_SHARE * 1.001) == (WIDE_CI,)
    assert flags_for(MIN_REPLICATIONS, -100.0, 100.0 * WIDE_CI_SHARE * 1.001) == (WIDE_CI,)


def test_flags_and_clipped_bounds_read_back_from_their_csv_cells() -> None:
    assert read_flags("few_replications;wide_ci") == (FEW_REPLICATIONS, WIDE_CI)
    assert read_flags("") == ()
    assert read_flags("some_later_flag;wide_ci") == (WIDE_CI,)
    assert read_bounds("ci95_low;outcome95_low") == ("ci95_low", "outcome95_low")
    assert read_bounds("") == ()
