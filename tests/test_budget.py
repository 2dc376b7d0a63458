"""The grant budget: every line worked out by hand, the defaults budget what the results report, the command."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from scipy import stats

from simiop.billing import fiscal_year_days, year_shares
from simiop.config import SimiopConfig, load_config, validate_config
from simiop.results.budget import Budget, BudgetRow, budget_rows, compute_budget, projection_lines, render
from simiop.results.kinds import possible
from simiop.results.projections import ScenarioPeriods
from tests.conftest import BASELINE
from tests.test_cli import run

FY2028 = ("fiscal_year", "FY2028", "2027-07-01", "2028-06-30", "366")
FY2029 = ("fiscal_year", "FY2029", "2028-07-01", "2029-06-30", "365")
ANNUAL = 36525.0
"""Every role's annual salary, and the fixed costs a year: what a whole fiscal year of one FTE accrues,
366 days (FY2028) or 365 (FY2029) alike."""


def hand_config(data: dict[str, Any], **budget: Any) -> SimiopConfig:
    """The baseline with every salary 36,525/year, fringe 20%, fixed costs 36,525/year, opening 2027-07-01."""
    data["clinic"]["opening_date"] = "2027-07-01"
    data["simulation"]["horizon_days"] = 731
    for role in data["staff"]["roles"].values():
        role["annual_salary_usd"] = 36525.0
        role["benefits_rate"] = 0.2
        role["hires"] = []
    data["money"]["fixed_costs_usd_per_year"] = 36525.0
    data["money"]["budget"] = budget
    return validate_config(data, "test")


def total_fte(config: SimiopConfig) -> float:
    return sum(role.count * role.fte for role in config.staff.roles.values())


def periods_of(
    config: SimiopConfig, cover: float, earned: list[float], collected: list[float]
) -> ScenarioPeriods:
    """Two replications over FY2028 and FY2029; replication 1 paid ``cover`` for per-diem staff in FY2029."""
    fte = total_fte(config)
    scenario = ScenarioPeriods("base")
    for position, key in enumerate((FY2028, FY2029)):
        staff = ANNUAL * 1.2 * fte  # a whole fiscal year: the annual salaries and benefits
        scenario.values[key] = {
            "staff_cost_usd": [staff, staff + (cover if position == 1 else 0.0)],
            "fixed_cost_usd": [ANNUAL] * 2,
            "revenue_usd": earned[2 * position : 2 * position + 2],
            "cash_collected_usd": collected[2 * position : 2 * position + 2],
        }
    return scenario


def line(budget: Budget, kind: str, role: str = "") -> BudgetRow:
    return next(row for row in budget.rows if row.kind == kind and row.role == role)


def means(row: BudgetRow) -> list[float]:
    return [cell.mean for cell in row.cells]


def test_every_line_by_hand(baseline_data: dict[str, Any]) -> None:
    config = hand_config(
        baseline_data,
        salary_escalation_per_year=0.03,
        other_cost_inflation_per_year=0.02,
        startup={"salary_months_before_opening": {"therapist": 2}, "one_off_usd": {"furniture": 5000}},
        indirect={"rate": 0.1, "excluded_from_mtdc_usd_per_year": 18262.5},
    )
    earned, collected = (
        [300_000.0, 310_000.0, 400_000.0, 420_000.0],
        [250_000.0, 260_000.0, 410_000.0, 430_000.0],
    )
    budget = compute_budget(config, periods_of(config, 1000.0, earned, collected), 2)
    fte = total_fte(config)
    assert [year.label for year in budget.years] == ["FY2028", "FY2029"]
    assert means(line(budget, "fte_total"))[:2] == pytest.approx([fte, fte])
    assert budget.headings == ["FY2028", "FY2029", "Total"]

    therapist = config.staff.roles["therapist"]
    assert means(line(budget, "fte", "therapist"))[:2] == [therapist.count * therapist.fte] * 2
    assert math.isnan(line(budget, "fte", "therapist").cells[2].mean)  # FTE do not add up over years
    salaries = [ANNUAL * fte, ANNUAL * fte * 1.03]  # whole fiscal years; 3% from the second one
    cover = [0.0, 1000.0 / 2 * 1.03]  # the mean of 0 and 1,000, escalated with salaries
    fringe = [0.2 * s for s in salaries]  # no fringe on cover
    other = [ANNUAL, ANNUAL * 1.02]
    startup_salary = 36525.0 * therapist.count * therapist.fte * 2 / 12
    startup = [startup_salary * 1.2 + 5000, 0.0]  # all in the fiscal year of opening
    direct = [salaries[y] + cover[y] + fringe[y] + other[y] + startup[y] for y in range(2)]
    mtdc = [direct[0] - 18262.5, direct[1] - 18262.5 * 1.02]  # 18,262.50 a year, whole years
    indirect = [0.1 * base for base in mtdc]
    total = [direct[y] + indirect[y] for y in range(2)]
    expected = {
        "salaries_and_wages": [salaries[y] + cover[y] for y in range(2)],
        "cover": cover,
        "fringe": fringe,
        "other_direct": other,
        "startup": startup,
        "total_direct": direct,
        "indirect": indirect,
        "total_cost": total,
        "revenue_earned": [305_000.0, 410_000.0],
        "revenue_collected": [255_000.0, 420_000.0],
        "net": [305_000.0 - total[0], 410_000.0 - total[1]],
        "net_cash": [255_000.0 - total[0], 420_000.0 - total[1]],
    }
    for kind, values in expected.items():
        found = means(line(budget, kind))
        assert found[:2] == pytest.approx(values, abs=1e-6), kind
        assert found[2] == pytest.approx(sum(values), abs=1e-6), kind

    net = line(budget, "net")
    assert net.cells[0].varies
    # The outcome range is the t prediction interval of the two replications (as summary.csv), not clipped
    spread = stats.t.ppf(0.975, 1) * math.sqrt(2 * 5_000.0**2) * math.sqrt(1 + 1 / 2)
    assert net.cells[0].range_low == pytest.approx(305_000 - total[0] - spread)
    assert not line(budget, "other_direct").cells[0].varies
    assert math.isnan(line(budget, "other_direct").cells[0].ci95_low)  # the same in every replication


def test_a_hire_counts_from_its_date(baseline_data: dict[str, Any]) -> None:
    config = hand_config(baseline_data)
    baseline_data["staff"]["roles"]["therapist"]["hires"] = [{"date": "2028-01-01", "count": 2}]  # day 184
    hired = validate_config(baseline_data, "test")
    plain = compute_budget(config, periods_of(config, 0.0, [0.0] * 4, [0.0] * 4), 2)
    budget = compute_budget(hired, periods_of(config, 0.0, [0.0] * 4, [0.0] * 4), 2)
    fte = means(line(budget, "fte", "therapist"))[:2]
    at_opening = means(line(plain, "fte", "therapist"))[0]
    assert fte == pytest.approx(
        [at_opening + 2 * 182 / 366, at_opening + 2]
    )  # the baseline's therapists: fte 1
    salaries = means(line(budget, "salaries", "therapist"))
    assert salaries[0] - means(line(plain, "salaries", "therapist"))[0] == pytest.approx(
        ANNUAL * 2 * 182 / 366
    )


def test_salaries_and_wages_base_leaves_fringe_out(baseline_data: dict[str, Any]) -> None:
    config = hand_config(baseline_data, indirect={"rate": 0.5, "base": "salaries_and_wages"})
    budget = compute_budget(config, periods_of(config, 0.0, [0.0] * 4, [0.0] * 4), 2)
    assert means(line(budget, "indirect")) == pytest.approx(
        [0.5 * ANNUAL * total_fte(config)] * 2 + [0.5 * ANNUAL * total_fte(config) * 2]
    )


def test_the_defaults_budget_what_the_results_report(tmp_path: Path) -> None:
    """No money.budget: each fiscal year's total cost and revenue are periods.csv's (a hire in the year too)."""
    out = tmp_path / "out"
    hire = "staff.roles.therapist.hires=[{date: 2027-06-01, count: 1}]"  # salaries from a date in the year
    code, _, err = run(
        "run", str(BASELINE), "--out", str(out), "--horizon", "400", "--replications", "2", "--set", hire
    )
    assert code == 0, err
    rows = budget_rows(out)
    assert {row.kind for row in rows if row.kind in ("startup", "indirect")} == {"startup", "indirect"}
    assert means(line_of(rows, "startup")) == [0.0] * len(rows[0].cells)
    assert means(line_of(rows, "indirect")) == [0.0] * len(rows[0].cells)
    assert means(line_of(rows, "cover")) == [0.0] * len(rows[0].cells)  # the baseline has no cover pool
    for name in ("revenue_usd", "total_cost_usd", "cash_collected_usd"):
        per_replication = [
            fiscal_years_of(out / "scenarios" / "base" / f"r{r:04d}" / "periods.csv", name) for r in (0, 1)
        ]
        mean_per_year = [sum(values) / 2 for values in zip(*per_replication, strict=True)]
        kind = {
            "revenue_usd": "revenue_earned",
            "total_cost_usd": "total_cost",
            "cash_collected_usd": "revenue_collected",
        }[name]
        assert means(line_of(rows, kind))[:-1] == pytest.approx(mean_per_year, rel=1e-9), (
            name
        )  # periods.csv: 10 digits

    docs = (BASELINE.parents[1] / "docs" / "outputs.md").read_text(encoding="utf-8")
    for row in rows:
        documented = row.label.strip().split(" (")[0]  # the label without its parenthesis
        if row.role:
            documented = documented.replace(row.role, "<role>")
        assert f"`{documented}" in docs, row.label

    code, text, _ = run("budget", str(out))
    assert code == 0
    table, assumptions = text.split("\n\n")
    lines = [row.split("\t") for row in table.splitlines()]
    assert lines[0] == [
        "Line (USD unless FTE)",
        "FY2027 (178 of 365 days)",
        "FY2028 (222 of 366 days)",
        "Total",
    ]
    assert {len(row) for row in lines} == {4}
    assert any(row[0] == "  95% outcome range" for row in lines)
    assert "mean of 2 simulated replications" in assumptions
    assert "No indirect costs" in assumptions

    code, text, _ = run("budget", str(out), "--format", "markdown")
    assert code == 0
    assert text.splitlines()[1] == "|:---|---:|---:|---:|"

    # projections.csv holds the same lines (issue 20): each fiscal year's, and the grant period's total.
    with (out / "projections.csv").open(encoding="utf-8", newline="") as handle:
        projected = {
            (row["period_kind"], row["period"], row["metric"]): row
            for row in csv.DictReader(handle)
            if row["metric"].startswith("budget_")
        }
    years = ["FY2027", "FY2028"]
    for row in rows:
        for at, year in enumerate(years):
            found = projected[("fiscal_year", year, row.metric)]
            assert float(found["mean"]) == pytest.approx(row.cells[at].mean, rel=1e-9), (row.metric, year)
        total = projected.get(("grant_period", "FY2027-FY2028", row.metric))
        if row.unit == "FTE":
            assert total is None  # FTE of two years do not add up
        else:
            assert total is not None
            assert float(total["mean"]) == pytest.approx(row.cells[-1].mean, rel=1e-9)
            assert (total["days"], total["partial"]) == ("400", "1")
    assert len(projected) == len(rows) * 3 - sum(row.unit == "FTE" for row in rows)


def line_of(rows: list[BudgetRow], kind: str) -> BudgetRow:
    return next(row for row in rows if row.kind == kind)


def fiscal_years_of(path: Path, name: str) -> list[float]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [float(row[name]) for row in csv.DictReader(handle) if row["period_kind"] == "fiscal_year"]


def test_projection_lines_name_every_line_in_every_year_and_the_grant_period(
    baseline_data: dict[str, Any],
) -> None:
    """projections.csv's budget rows: budget_<line>[_usd][_<role>]; the net lines are signed (not clipped)."""
    config = hand_config(baseline_data, indirect={"rate": 0.1})
    budget = compute_budget(config, periods_of(config, 0.0, [1e5, 2e5, 3e5, 4e5], [1e5, 2e5, 3e5, 4e5]), 2)
    lines = list(projection_lines(budget))
    total = ("grant_period", "FY2028-FY2029", "2027-07-01", "2029-06-30", "731")
    assert {key for key, _, _ in lines} == {FY2028, FY2029, total}
    named = {(key, metric): summary for key, metric, summary in lines}
    assert named[FY2028, "budget_fte_therapist"].mean == baseline_data["staff"]["roles"]["therapist"]["count"]
    assert (total, "budget_fte_therapist") not in named
    assert named[total, "budget_total_cost_usd"].mean == pytest.approx(
        named[FY2028, "budget_total_cost_usd"].mean + named[FY2029, "budget_total_cost_usd"].mean
    )
    net = named[FY2028, "budget_net_surplus_usd"]
    assert (net.mean < 0, net.ci95_low < 0, net.clipped) == (True, True, ())  # a deficit keeps its bounds
    assert possible("budget_net_surplus_usd")[0] == -math.inf
    assert possible("budget_total_cost_usd")[0] == possible("budget_fte_total")[0] == 0.0
    assert len(lines) == 3 * len(budget.rows) - sum(row.unit == "FTE" for row in budget.rows)


def test_render_prints_a_constant_once(baseline_data: dict[str, Any]) -> None:
    config = hand_config(baseline_data)
    budget = compute_budget(config, periods_of(config, 0.0, [1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0]), 2)
    table = render(budget).split("\n\n")[0].splitlines()
    assert "95% CI" not in "\n".join(table)  # nothing varies: no intervals
    assert table[-2].split("\t") == [
        "Net surplus/deficit (revenue earned - total cost)",
        *(f"{round(v):,}" for v in means(line(budget, "net"))),
    ]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ("money.budget.salary_escalation_per_year=0.9", "money.budget.salary_escalation_per_year"),
        (
            "money.budget.startup.salary_months_before_opening.janitor=2",
            "salary_months_before_opening.janitor",
        ),
        (
            "money.budget.indirect.excluded_from_mtdc_usd_per_year=1e8",
            "money.budget.indirect.excluded_from_mtdc_usd_per_year: more than the fixed costs",
        ),
        ("money.budget.indirect.base=tdc", "money.budget.indirect.base"),
        ("money.budget.colour=3", "money.budget.colour"),
    ],
)
def test_a_bad_budget_field_is_one_line_and_exit_2(change: str, named: str) -> None:
    code, _, err = run("validate", str(BASELINE), "--set", change)
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert named in err
    assert "Traceback" not in err


def test_a_start_up_role_that_staff_lacks_is_one_line(baseline_data: dict[str, Any], tmp_path: Path) -> None:
    baseline_data["money"]["budget"] = {
        "startup": {"salary_months_before_opening": {"janitor": 2, "therapist": 1}}
    }
    path = tmp_path / "clinic.yaml"
    path.write_text(yaml.safe_dump(baseline_data), encoding="utf-8")
    code, _, err = run("validate", str(path))
    assert code == 2
    assert err.strip().splitlines() == [
        f"{path}: money.budget.startup.salary_months_before_opening.janitor: unknown staff role (got janitor; "
        "allowed evening_therapist, intake_clinician, prescriber, therapist)"
    ]


def test_budget_of_a_folder_that_is_not_a_result_is_one_line(tmp_path: Path) -> None:
    code, _, err = run("budget", str(tmp_path))
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "manifest" in err


@pytest.mark.parametrize("what", ["a file", "nothing"])
def test_budget_of_a_file_or_a_missing_folder_is_one_line(tmp_path: Path, what: str) -> None:
    target = tmp_path / "clinic.yaml"
    if what == "a file":
        target.write_text("config_version: 1\n")
    code, _, err = run("budget", str(target))
    assert code == 2
    assert err.strip().splitlines() == [
        f"{target}: no such folder (DIR is a result folder of `simiop run` or `simiop experiment`)"
    ]


def test_budget_is_a_command_with_help() -> None:
    code, out, _ = run("--help")
    assert code == 0
    assert "  budget " in out
    code, out, _ = run("budget", "--help")
    assert code == 0
    assert out.startswith("Usage: ")
    assert "--format [tsv|markdown]" in out


def test_an_unknown_scenario_is_one_line(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run("run", str(BASELINE), "--out", str(out), "--horizon", "60", "--replications", "1")[0] == 0
    code, _, err = run("budget", str(out), "--scenario", "nope")
    assert code == 2
    assert err == "--scenario: no scenario 'nope'; scenarios are base\n"
    code, text, _ = run("budget", str(out))
    assert code == 0
    assert "95% CI" not in text  # one replication: no interval
    assert "mean of 1 simulated replication." in text


def test_budget_of_an_experiment_says_on_stderr_which_scenario_it_shows(tmp_path: Path) -> None:
    """An experiment's budget is its base unless --scenario says otherwise: stderr names it and the others
    (the table on stdout stays as pasted); a one-scenario run and a chosen scenario say nothing more."""
    spec = tmp_path / "two.yaml"
    spec.write_text(
        yaml.safe_dump(
            {"base": str(BASELINE), "scenarios": {"more": {"set": {"staff.roles.therapist.count": 4}}}}
        ),
        encoding="utf-8",
    )
    out = tmp_path / "exp"
    code, _, err = run(
        "experiment", str(spec), "--out", str(out), "-r", "1", "--horizon", "30", "--no-report"
    )
    assert code == 0, err
    code, text, err = run("budget", str(out))
    assert code == 0
    assert err == (
        f"simiop budget: scenario 'base', the base of the 2 in {out} (base, more); --scenario NAME budgets "
        "another\n"
    )
    code, chosen, err = run("budget", str(out), "--scenario", "more")
    assert (code, err) == (0, "")
    assert chosen != text  # four therapists, not three: another budget


def test_the_outcome_range_is_the_prediction_interval_of_summary_csv(baseline_data: dict[str, Any]) -> None:
    """The budget's outcome range is summarise's t prediction interval (as summary.csv and projections.csv),
    clipped at 0 for revenue and not for net; two replications' percentiles would sit inside the CI."""
    from simiop.results.stats import summarise

    config = hand_config(baseline_data)
    earned = [1000.0, 3000.0, 5000.0, 9000.0]
    budget = compute_budget(config, periods_of(config, 0.0, earned, earned), 2)
    revenue = line(budget, "revenue_earned").cells[0]
    expected = summarise([1000.0, 3000.0])
    assert expected.ci95_low < 0  # unclipped, the CI would say a negative revenue
    assert revenue.ci95_low == 0.0
    assert revenue.range_low == 0.0
    assert revenue.range_high == pytest.approx(expected.outcome95_high)
    assert revenue.range_high > revenue.ci95_high  # wider than the CI of the mean, as a range must be
    net = line(budget, "net").cells[0]
    net_values = [value - line(budget, "total_cost").cells[0].mean for value in (1000.0, 3000.0)]
    assert net.range_low == pytest.approx(summarise(net_values).outcome95_low)  # a deficit stays negative
    total = line(budget, "revenue_earned").cells[-1]
    assert total.range_high == pytest.approx(summarise([6000.0, 12000.0]).outcome95_high)


def test_too_few_replications_are_warned_in_the_assumptions(baseline_data: dict[str, Any]) -> None:
    config = hand_config(baseline_data)
    budget = compute_budget(config, periods_of(config, 0.0, [1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0]), 2)
    assert "2 replications are too few for intervals to trust" in budget.assumptions
    assert "95% prediction interval" in budget.assumptions


@pytest.mark.parametrize("damage", ["removed", "garbled"])
def test_a_cell_without_its_periods_csv_is_one_line_for_budget_and_export(
    tmp_path: Path, damage: str
) -> None:
    """An interrupted run or a file removed since: budget and export name the file; no workbook is left."""
    out = tmp_path / "out"
    code, _, err = run("run", str(BASELINE), "--out", str(out), "--horizon", "30", "-r", "2", "--no-report")
    assert code == 0, err
    periods = out / "scenarios" / "base" / "r0001" / "periods.csv"
    if damage == "removed":
        periods.unlink()
    else:
        periods.write_text("garbage\n", encoding="utf-8")
    code, _, err = run("budget", str(out))
    assert code == 2
    (line,) = err.strip().splitlines()
    assert line.startswith(f"{out}: scenarios/base/r0001/periods.csv cannot be read (")
    workbook = tmp_path / "results.xlsx"
    code, _, err = run("export", str(out), "--xlsx", str(workbook))
    assert code == 2
    assert err.strip().splitlines() == [line]
    assert not workbook.exists()
    assert not list(tmp_path.glob("*.xlsx*"))  # no half-written workbook either


def test_a_one_day_run_says_one_day(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, stdout, err = run(
        "run", str(BASELINE), "--out", str(out), "--until", "2027-01-04", "-r", "2", "--no-report"
    )
    assert code == 0, err
    assert ": 1 day, seed " in stdout
    code, text, _ = run("budget", str(out))
    assert code == 0
    assert "from opening on 2027-01-04 for 1 day (partial years: FY2027 (1 of 365 days))" in text


def test_start_up_months_for_a_role_with_nobody_at_opening_are_warned(baseline_data: dict[str, Any]) -> None:
    data = copy.deepcopy(baseline_data)
    data["staff"]["roles"]["intake_clinician"]["count"] = 0
    data["staff"]["roles"]["intake_clinician"]["hires"] = [{"date": "2027-02-01", "count": 1}]
    data["money"]["budget"] = {
        "startup": {"salary_months_before_opening": {"intake_clinician": 3, "therapist": 2}}
    }
    warnings = [line for line in validate_config(data, "test").warnings() if "money.budget" in line]
    assert warnings == [
        "warning: money.budget.startup.salary_months_before_opening.intake_clinician: the role has nobody at "
        "opening (count 0), and start-up salary is for the people at opening, so these months budget nothing "
        "(got 3; allowed a role with count > 0, or 0)"
    ]


def test_fiscal_year_days_give_each_day_its_fiscal_years_length() -> None:
    """2027-01-04 opening, fiscal years from July: FY2027 has 365 days, FY2028 366 (29 February 2028),
    FY2029 365; a whole fiscal year's days accrue exactly one year."""
    opening = dt.date(2027, 1, 4)
    july_2027, july_2028, july_2029 = ((dt.date(y, 7, 1) - opening).days for y in (2027, 2028, 2029))
    days = np.array([0, july_2027 - 1, july_2027, july_2028 - 1, july_2028, july_2029 - 1])
    assert fiscal_year_days(opening, 7, days).tolist() == [365, 365, 366, 366, 365, 365]
    assert fiscal_year_days(opening, 1, np.array([0, 361, 362])).tolist() == [365, 365, 366]  # 2028 from 362
    assert math.fsum(year_shares(load_config(BASELINE), july_2027, july_2028)) == pytest.approx(
        1.0, abs=1e-12
    )


def test_a_whole_fiscal_year_budgets_the_annual_salaries_and_fixed_costs(tmp_path: Path) -> None:
    """What a grant application states: 3 therapists at $68,030 are $204,090 in a whole fiscal year of 366
    days and of 365 alike, and $120,000 of fixed costs a year are $120,000 (at 1/365.25 a day they showed
    $204,509 / $203,950 and $120,246 / $119,918)."""
    out = tmp_path / "out"
    changes = ("clinic.opening_date=2027-07-01", "simulation.fiscal_years=2")
    code, _, err = run(
        "run", str(BASELINE), "--out", str(out), "-r", "2", "--tables", "none", "--no-report",
        *(item for change in changes for item in ("--set", change)),
    )  # fmt: skip
    assert code == 0, err
    rows = budget_rows(out)
    config = load_config(BASELINE)
    therapist = config.staff.roles["therapist"]
    salaries = next(row for row in rows if row.kind == "salaries" and row.role == "therapist")
    assert means(salaries) == pytest.approx(
        [therapist.annual_salary_usd * therapist.count] * 2 + [2 * 204_090.0]
    )
    fixed = config.money.fixed_costs_usd_per_year
    assert means(line_of(rows, "other_direct")) == pytest.approx([fixed, fixed, 2 * fixed])
