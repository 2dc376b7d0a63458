"""Grant projections: periods tile the run, every kind of period adds up to the run's totals, CIs as stated."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

from simiop.billing import totals
from simiop.config import SimiopConfig, validate_config
from simiop.model import simulate
from simiop.model.records import COMPLETED, Records
from simiop.results.kinds import possible
from simiop.results.periods import MONTH, PERIOD_KINDS, period_metrics, periods, render_periods
from simiop.results.projections import read_periods
from simiop.results.stats import summarise
from tests.conftest import BASELINE
from tests.test_cli import run

ADDITIVE = (
    "referrals",
    "admissions",
    "completions",
    "dropouts",
    "step_ups",
    "sessions_delivered",
    "group_sessions_held",
    "service_hours",
    "billable_days",
    "billable_days_basic",
    "billable_days_4plus_services",
    "patient_weeks",
    "revenue_usd",
    "staff_cost_usd",
    "fixed_cost_usd",
)


def config_with(data: dict[str, Any], **changes: Any) -> SimiopConfig:
    data["simulation"]["horizon_days"] = changes.get("horizon", 500)
    data["money"]["fiscal_year_start_month"] = changes.get("fiscal", 7)
    data["money"]["fixed_costs_usd_per_year"] = 36525.0
    data["clinic"]["opening_date"] = changes.get("opening", "2027-01-04")
    return validate_config(data, "test")


@pytest.fixture(scope="module")
def simulated(request: pytest.FixtureRequest) -> tuple[SimiopConfig, Records]:
    import yaml

    data = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    config = config_with(data)
    return config, simulate(config, config.simulation.seed, 0)


def test_each_kind_of_period_tiles_the_run(simulated: tuple[SimiopConfig, Records]) -> None:
    config, _ = simulated
    horizon = math.ceil(config.simulation.horizon_days)
    for kind in PERIOD_KINDS:
        found = [p for p in periods(config) if p.kind == kind]
        assert found[0].first_day == 0
        assert found[-1].end_day == horizon
        for before, after in itertools.pairwise(found):
            assert before.end_day == after.first_day
            assert before.end_date + dt.timedelta(days=1) == after.start_date
        assert sum(p.end_day - p.first_day for p in found) == horizon


def test_every_kind_adds_up_to_the_run_totals(simulated: tuple[SimiopConfig, Records]) -> None:
    config, records = simulated
    rows = period_metrics(config, records)
    billing = totals(config, records)
    expected = {
        "referrals": len(records.episodes),
        "admissions": sum(e.admitted_day is not None for e in records.episodes),
        "completions": sum(e.end_state == COMPLETED for e in records.episodes),
        "sessions_delivered": sum(d.services for d in records.patient_days),
        "service_hours": sum(d.hours for d in records.patient_days),
        "billable_days": billing.billable_days,
        "billable_days_4plus_services": billing.billable_days_4plus,
        "patient_weeks": billing.patient_weeks,
        "revenue_usd": billing.revenue_usd,
        "staff_cost_usd": billing.staff_cost_usd,
        "fixed_cost_usd": billing.fixed_cost_usd,
    }
    assert expected["admissions"] > 100
    assert expected["revenue_usd"] > 0
    for kind in PERIOD_KINDS:
        kind_rows = [values for period, values in rows if period.kind == kind]
        for metric in ADDITIVE:
            total = sum(values[metric] for values in kind_rows)
            if metric in expected:
                assert total == pytest.approx(expected[metric], rel=1e-9), (kind, metric)
            month_total = sum(values[metric] for period, values in rows if period.kind == MONTH)
            assert total == pytest.approx(month_total, rel=1e-9), (kind, metric)
        for values in kind_rows:
            assert (
                values["billable_days"]
                == values["billable_days_basic"] + values["billable_days_4plus_services"]
            )
            assert values["total_cost_usd"] == pytest.approx(
                values["staff_cost_usd"] + values["fixed_cost_usd"]
            )
            assert sum(values[f"revenue_usd_{payer}"] for payer in config.money.payers) == pytest.approx(
                values["revenue_usd"]
            )


def test_people_served_are_counted_once_per_period_not_summed(
    simulated: tuple[SimiopConfig, Records],
) -> None:
    config, records = simulated
    rows = period_metrics(config, records)
    months = [(p, v) for p, v in rows if p.kind == MONTH]
    for period, values in rows:
        if period.kind == MONTH:
            continue
        inside = [
            v["unduplicated_patients_served"]
            for p, v in months
            if period.first_day <= p.first_day < period.end_day
        ]
        assert max(inside) <= values["unduplicated_patients_served"] <= sum(inside)
    years = [v["unduplicated_patients_served"] for p, v in rows if p.kind == "programme_year"]
    admitted = {e.patient_id for e in records.episodes if e.admitted_day is not None}
    assert max(years) <= len(admitted) <= sum(years)
    # Someone enrolled across a month boundary is served in both months: the sum of months exceeds the people.
    assert sum(v["unduplicated_patients_served"] for _, v in months) > len(admitted)


@pytest.mark.parametrize(
    ("fiscal", "first_year", "first_quarter", "first_month"),
    [
        (7, ("FY2027", "2026-07-01", "2027-06-30"), "FY2027 Q3", "2027-01"),
        (10, ("FY2027", "2026-10-01", "2027-09-30"), "FY2027 Q2", "2027-01"),
        (1, ("FY2027", "2027-01-01", "2027-12-31"), "FY2027 Q1", "2027-01"),
    ],
)
def test_fiscal_years_are_named_by_the_year_they_end(
    baseline_data: dict[str, Any],
    fiscal: int,
    first_year: tuple[str, str, str],
    first_quarter: str,
    first_month: str,
) -> None:
    config = config_with(baseline_data, fiscal=fiscal)
    found = periods(config)
    year = next(p for p in found if p.kind == "fiscal_year")
    assert (year.label, year.start_date.isoformat(), year.end_date.isoformat()) == first_year
    assert year.end_day - year.first_day == (year.end_date - config.clinic.opening_date).days + 1
    assert next(p for p in found if p.kind == "quarter").label == first_quarter
    assert next(p for p in found if p.kind == MONTH).label == first_month
    assert [p.label for p in found if p.kind == "programme_year"] == ["Year 1", "Year 2"]


def test_a_29_february_opening_has_programme_years(baseline_data: dict[str, Any]) -> None:
    config = config_with(baseline_data, opening="2028-02-29", horizon=800)
    years = [p for p in periods(config) if p.kind == "programme_year"]
    assert [p.start_date.isoformat() for p in years] == ["2028-02-29", "2029-03-01", "2030-03-01"]


def test_cost_per_completion_is_empty_without_completions(baseline_data: dict[str, Any]) -> None:
    config = config_with(baseline_data, horizon=10)
    text = render_periods(config, simulate(config, 1, 0))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows
    assert all(row["completions"] == "0" for row in rows)
    assert all(row["cost_per_completed_episode_usd"] == "" for row in rows)


def test_projections_are_the_t_intervals_and_outcome_ranges_of_the_cells_periods_clipped(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    code, _, err = run(
        "run",
        str(BASELINE),
        "-r",
        "3",
        "--horizon",
        "200d",
        "--tables",
        "none",
        "--no-report",
        "-j",
        "1",
        "--out",
        str(out),
    )
    assert code == 0, err
    cells = []
    for r in range(3):
        with (out / "scenarios" / "base" / f"r000{r}" / "periods.csv").open(encoding="utf-8") as handle:
            cells.append(list(csv.DictReader(handle)))
    with (out / "projections.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    projections = [row for row in rows if not row["metric"].startswith("budget_")]  # test_budget's
    assert all(
        row["period_kind"] in ("fiscal_year", "grant_period") for row in rows if row not in projections
    )
    metrics = [
        name
        for name in cells[0][0]
        if name not in ("period_kind", "period", "start_date", "end_date", "days")
    ]
    assert len(projections) == len(cells[0]) * len(metrics)
    for row in projections:
        index = next(
            i
            for i, c in enumerate(cells[0])
            if (c["period_kind"], c["period"]) == (row["period_kind"], row["period"])
        )
        values = [
            float(cell[index][row["metric"]]) if cell[index][row["metric"]] else math.nan for cell in cells
        ]
        expected = summarise(values)
        assert int(row["n"]) == expected.n
        low, high = possible(row["metric"])
        finite = np.array([v for v in values if math.isfinite(v)])
        n = finite.size
        outcome = (math.nan, math.nan)
        if n > 1:  # the prediction interval, from numpy and scipy.stats rather than simiop's own t
            spread = float(stats.t.ppf(0.975, n - 1) * finite.std(ddof=1) * math.sqrt(1 + 1 / n))
            outcome = (float(finite.mean()) - spread, float(finite.mean()) + spread)
        clipped = []
        for column, value in (
            ("mean", expected.mean),
            ("ci95_low", expected.ci95_low),
            ("ci95_high", expected.ci95_high),
            ("outcome95_low", outcome[0]),
            ("outcome95_high", outcome[1]),
        ):
            wanted = min(max(value, low), high) if math.isfinite(value) else value
            if math.isfinite(value) and wanted != value:
                clipped.append(column)
            assert float(row[column]) == pytest.approx(wanted, rel=1e-9, nan_ok=True), (row, column)
        assert row["clipped"] == ";".join(clipped), row
        assert row["flags"].split(";")[0] == "few_replications"  # 3 replications
    assert any(row["clipped"] for row in projections)  # 3 replications of 200 days: some counts near 0
    assert any(float(row["outcome95_high"]) > float(row["ci95_high"]) for row in projections)


def test_a_cells_periods_are_read_period_by_period_with_empty_fields_and_short_rows_as_nan(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "r0000"
    folder.mkdir()
    (folder / "periods.csv").write_text(
        "period_kind,period,start_date,end_date,days,referrals,cost_usd\n"
        "month,2026-01,2026-01-01,2026-01-31,31,4,12.5\n"
        "\n"
        "month,2026-02,2026-02-01,2026-02-28,28,,7\n"
        "month,2026-03,2026-03-01,2026-03-31,31,2\n",
        encoding="utf-8",
    )
    [scenario] = read_periods([("base", folder), ("base", folder)])
    assert scenario.name == "base"
    assert list(scenario.values) == [
        ("month", "2026-01", "2026-01-01", "2026-01-31", "31"),
        ("month", "2026-02", "2026-02-01", "2026-02-28", "28"),
        ("month", "2026-03", "2026-03-01", "2026-03-31", "31"),
    ]
    january, february, march = scenario.values.values()
    assert january == {"referrals": [4.0, 4.0], "cost_usd": [12.5, 12.5]}
    assert math.isnan(february["referrals"][0])
    assert february["cost_usd"] == [7.0, 7.0]
    assert march["referrals"] == [2.0, 2.0]
    assert all(math.isnan(value) for value in march["cost_usd"])
