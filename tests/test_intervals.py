"""Two intervals, named plainly: summary.csv, the printed run summary and the report (issue 20).

The CI of the mean and the 95% outcome range, bounds clipped to what a KPI can
take, flags for too few replications or a wide CI, and a value the same in
every replication printed once.
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from simiop.results.kinds import (
    AMOUNT,
    COUNT,
    MONEY,
    SHARE,
    SIGNED,
    UNKNOWN,
    clip_to_possible,
    kind_of,
    possible,
)
from simiop.results.labels import HEADLINE
from simiop.results.stats import MIN_REPLICATIONS, summarise
from simiop.results.summary import SUMMARY_COLUMNS
from tests.conftest import BASELINE
from tests.test_cli import run


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def two_replications(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """`simiop run configs/baseline.yaml -r 2 --horizon 60d`, with its report: the folder and what it printed."""
    out = tmp_path_factory.mktemp("intervals") / "run"
    code, stdout, err = run(
        "run", str(BASELINE), "-r", "2", "--horizon", "60d", "-j", "1", "--tables", "none", "--out", str(out)
    )
    assert code == 0, err
    return out, stdout


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("unduplicated_patients_served", COUNT),
        ("end_state_dropout", COUNT),
        ("dropouts_after_week_4", COUNT),  # 'after' holds 'fte': not an amount
        ("attendance_rate", SHARE),
        ("dropouts_within_14_days_share", SHARE),
        ("occupancy_day", SHARE),
        ("individual_therapy_weekly_coverage_evening", SHARE),
        ("patient_share_usd", MONEY),  # money, though it says 'share'
        ("revenue_usd_medicaid", MONEY),
        ("staff_contracted_share_therapist", AMOUNT),  # direct over paid hours: may pass 1 with overtime
        ("wait_referral_to_admission_days_median", AMOUNT),
        ("service_hours", AMOUNT),
        ("net_surplus_usd", SIGNED),
        ("something_new", UNKNOWN),
    ],
)
def test_kinds_come_from_names(name: str, kind: str) -> None:
    assert kind_of(name) == kind


def test_possible_values_of_each_kind() -> None:
    assert possible("admissions") == (0.0, math.inf)
    assert possible("attendance_rate") == (0.0, 1.0)
    assert possible("net_surplus_usd") == (-math.inf, math.inf)
    assert possible("something_new") == (-math.inf, math.inf)  # unknown: never clipped
    deficit = clip_to_possible("net_surplus_usd", summarise([-10.0, 5.0]))
    assert deficit.clipped == ()
    assert deficit.ci95_low < -10.0


def test_every_kpi_and_period_metric_of_the_baseline_has_a_known_kind(
    two_replications: tuple[Path, str],
) -> None:
    """A KPI added later with a name no rule knows would print impossible bounds: this names it."""
    out, _ = two_replications
    names = {row["kpi"] for row in read_rows(out / "summary.csv")}
    names |= {row["metric"] for row in read_rows(out / "projections.csv")}
    assert len(names) > 150
    assert sorted(name for name in names if kind_of(name) == UNKNOWN) == []


def test_summary_csv_has_both_intervals_clipped_and_flagged(two_replications: tuple[Path, str]) -> None:
    out, _ = two_replications
    rows = read_rows(out / "summary.csv")
    assert tuple(rows[0]) == SUMMARY_COLUMNS
    assert SUMMARY_COLUMNS[:7] == ("scenario", "kpi", "n", "mean", "sd", "ci95_low", "ci95_high")  # as before
    kpis: dict[tuple[str, str], list[float]] = {(row["kpi"], row["scenario"]): [] for row in rows}
    for row in read_rows(out / "kpis.csv"):
        kpis[(row["kpi"], row["scenario"])].append(float(row["value"]))
    clipped = 0
    for row in rows:
        low, high = possible(row["kpi"])
        values = np.array([v for v in kpis[(row["kpi"], row["scenario"])] if math.isfinite(v)])
        if values.size == 2 and values[0] != values[1]:
            spread = stats.t.ppf(0.975, 1) * values.std(ddof=1) * math.sqrt(1.5)
            expected = (max(values.mean() - spread, low), min(values.mean() + spread, high))
            found = (float(row["outcome95_low"]), float(row["outcome95_high"]))
            assert found == pytest.approx(expected, rel=1e-9, abs=1e-12), row
        for column in ("ci95_low", "ci95_high", "outcome95_low", "outcome95_high"):
            value = float(row[column])
            assert math.isnan(value) or low <= value <= high, (row, column)
        assert row["flags"].split(";")[0] == "few_replications", row  # 2 replications < MIN_REPLICATIONS
        clipped += bool(row["clipped"])
    assert clipped > 10  # 60 days, 2 replications: many counts near 0
    completions = next(row for row in rows if row["kpi"] == "completions")
    assert completions["clipped"] == "ci95_low;outcome95_low"
    assert float(completions["ci95_low"]) == 0.0


def test_the_printed_summary_has_no_impossible_bound_and_says_two_replications_are_too_few(
    two_replications: tuple[Path, str],
) -> None:
    _, stdout = two_replications
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if "95% CI of the mean" in line)
    assert "95% outcome range" in lines[start]
    table = lines[start + 1 : start + 1 + len(HEADLINE)]
    for (_, label, _), line in zip(HEADLINE, table, strict=True):
        assert line.strip().startswith(label), line
        assert not re.search(r"-\d", line.removeprefix("  " + label)), line  # no negative bound
        for percent in re.findall(r"(\d+\.\d)%", line):
            assert float(percent) <= 100.0, line
    assert "warning: 2 replications are too few" in stdout
    assert f"fewer than {MIN_REPLICATIONS}" in stdout
    assert "clipped to what is possible" in stdout
    total_cost = next(line for line in table if "total cost (USD)" in line)
    assert "same in every replication" in total_cost  # 60 days: salaries and fixed costs only
    assert not re.search(r"([\d,]+) to \1\b", total_cost)


def test_the_report_shows_the_outcome_range_and_says_what_each_interval_means(
    two_replications: tuple[Path, str],
) -> None:
    out, _ = two_replications
    html = (out / "report.html").read_text(encoding="utf-8")
    section = html.split("<h2>Projections</h2>", 1)[1].split("<h2>", 1)[0]
    assert "95% outcome range</b> is where one replication" in section
    assert "confidence interval of the mean</b> says only how precisely" in section
    assert "Only 2 replications per scenario: too few" in section
    year = next(
        row
        for row in read_rows(out / "projections.csv")
        if row["period_kind"] == "programme_year" and row["metric"] == "admissions"
    )
    outcome = f"{float(year['outcome95_low']):,.0f} to {float(year['outcome95_high']):,.0f}"
    ci = f"{float(year['ci95_low']):,.0f} to {float(year['ci95_high']):,.0f}"
    assert outcome != ci
    assert f"<small>{outcome}</small>" in section  # the outcome range by default, not the CI
    assert f"<small>{ci}</small>" not in section
    key = html.split("<h2>Key results</h2>", 1)[1].split("<h2>", 1)[0]
    assert "<th>95% CI of the mean</th><th>95% outcome range</th>" in key
    assert "same in every replication" in key
    assert "(95% CI -" not in html
    assert "95% outcome range" in html.split('class="headline">', 1)[1].split("</p>", 1)[0]


def test_with_enough_replications_the_warning_names_exactly_the_flagged_headline_kpis(tmp_path: Path) -> None:
    code, stdout, err = run(
        "run", str(BASELINE), "-r", str(MIN_REPLICATIONS), "--horizon", "60d", "-j", "1",
        "--tables", "none", "--no-report", "--out", str(tmp_path / "out"),
    )  # fmt: skip
    assert code == 0, err
    assert "too few" not in stdout
    summary = {row["kpi"]: row for row in read_rows(tmp_path / "out" / "summary.csv")}
    flagged = [label for kpi, label, _ in HEADLINE if summary[kpi]["flags"]]
    assert flagged  # 60 days: some counts are small and their CIs wide
    warning = next(line for line in stdout.splitlines() if line.startswith("warning: read with care"))
    named = [label for _, label, _ in HEADLINE if label in warning]
    assert named == flagged
    for line in stdout.splitlines():
        label = next((label for _, label, _ in HEADLINE if line.startswith("  " + label + " ")), None)
        if label is not None:
            assert line.endswith("!") == (label in flagged), line


def test_an_experiment_with_few_replications_says_so(tmp_path: Path) -> None:
    """The experiment table shows means only, but comparison.csv and the headline rest on paired CIs."""
    spec = tmp_path / "two.yaml"
    spec.write_text(
        f"description: two\nbase: {BASELINE}\nreplications: 2\n"
        "scenarios:\n  more:\n    description: one more therapist\n"
        "    set: {staff.roles.therapist.count: 4}\n",
        encoding="utf-8",
    )
    code, stdout, err = run(
        "experiment", str(spec), "--horizon", "30d", "-j", "1", "--tables", "none", "--no-report",
        "--out", str(tmp_path / "out"),
    )  # fmt: skip
    assert code == 0, err
    assert (
        f"warning: 2 replications are too few for the comparison's intervals to trust (fewer than "
        f"{MIN_REPLICATIONS}): run -r {MIN_REPLICATIONS} or more"
    ) in stdout.splitlines()
