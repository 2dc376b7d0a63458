"""The grant budget: per fiscal year and for the grant period, costs by line, revenue and the net.

A grant application asks for a budget by fiscal year with a total column:
FTE and personnel cost by role, fringe, other direct costs, start-up before
opening, indirect costs, and what the programme earns against them. The
simulation's results hold the parts (periods.csv of every replication: staff
cost, fixed cost, revenue earned and collected); the assumptions it does not
make (salary escalation, inflation, pre-opening costs, an indirect rate) come
from ``money.budget`` (simiop/config/budget.py). Fringe is each role's
``benefits_rate``, the rate the results already charge.

Computed from a finished result folder on demand (``simiop budget DIR``),
not written at the end of a run: the budget is a view of files the folder
already has, and new budget assumptions can be tried without re-running.

How each line is made, per fiscal year (FY) k = 0, 1, ... from the FY of
opening, for the days of that FY inside the run:

- FTE by role: employed FTE averaged over those days (count and hires x fte;
  the same in every replication).
- Salaries by role: annual salary x FTE-days / days of the FY (365 or 366) x (1 + escalation)^k: a whole
  FY of one FTE is the annual salary, as the results accrue it (simiop.billing.fiscal_year_days).
- Fringe: each role's salaries x its benefits_rate.
- Per-diem cover: the staff cost of the replication's periods.csv less the
  salaries and benefits above (what cover people were paid by the hour, no
  fringe), x (1 + escalation)^k.
- Other direct costs: money.fixed_costs_usd_per_year x the share of the FY's days
  inside the run x (1 + inflation)^k.
- Start-up: pre-opening months of salary and fringe of the people at opening,
  and one-off items, all in the FY of opening (grant year 1) at its rates.
- Indirect: rate x base (MTDC, total direct costs, or salaries and wages).
- Revenue earned (by date of service) and collected (cash by date paid, after
  each payer's payment lag), as periods.csv has them; payer rates are not
  inflated.
- Net surplus/deficit = revenue earned - total cost; net cash = revenue
  collected - total cost.

Each line is computed per replication, then summarised: the mean, the 95%
confidence interval of that mean, and the outcome range, the 95% t prediction
interval for one more replication: where one year's result is likely to fall.
Both come from ``simiop.results.stats.summarise``, as in summary.csv and
projections.csv, so one name has one meaning (percentiles of a handful of
replications are about their min and max, narrower than the CI of the mean with
4 replications; stats.py says why not them). Bounds of a line that cannot be
negative (every line but the two net lines) are clipped at 0.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from simiop.config.model import SimiopConfig
from simiop.config.staff import StaffRole
from simiop.results.periods import FISCAL_YEAR
from simiop.results.projections import PERIODS, ScenarioPeriods, read_periods
from simiop.results.stats import MIN_REPLICATIONS, Summary, clip, summarise

if TYPE_CHECKING:
    from simiop.experiments.plan import ScenarioPlan

TOTAL = "Total"
Unit = Literal["FTE", "USD"]
LineKind = Literal[
    "fte",
    "fte_total",
    "salaries",
    "salaries_and_wages",
    "fringe",
    "cover",
    "personnel",
    "other_direct",
    "startup",
    "total_direct",
    "indirect",
    "total_cost",
    "revenue_earned",
    "revenue_collected",
    "net",
    "net_cash",
]
"""What a budget line holds (``fte`` and ``salaries`` come once per role, their ``role`` set)."""

CAN_BE_NEGATIVE: frozenset[LineKind] = frozenset({"net", "net_cash"})
"""Lines whose bounds are not clipped at 0 (a deficit is negative; no cost or revenue is)."""
BASE_NAMES = {
    "modified_total_direct_costs": "modified total direct costs (MTDC, 2 CFR 200.1)",
    "total_direct_costs": "total direct costs",
    "salaries_and_wages": "salaries and wages",
}


@dataclass(frozen=True)
class FiscalYear:
    """One budget column: a fiscal year, the part of it inside the run, and its escalation index."""

    label: str
    start_date: dt.date
    end_date: dt.date
    days: int
    """Days of the FY inside the run."""
    index: int
    """0 for the FY of opening, 1 for the next, ...: the power of the yearly rises."""

    @property
    def whole_days(self) -> int:
        return (self.end_date - self.start_date).days + 1

    @property
    def partial(self) -> bool:
        return self.days < self.whole_days

    @property
    def heading(self) -> str:
        """The column heading: the FY's name, and its share of days when the run covers part of it."""
        return f"{self.label} ({self.days} of {self.whole_days} days)" if self.partial else self.label


@dataclass(frozen=True)
class BudgetCell:
    """One figure: the mean across replications, its 95% CI, and the outcome range (NaN where none)."""

    mean: float
    ci95_low: float
    ci95_high: float
    range_low: float
    range_high: float
    varies: bool
    """Whether the replications disagree; a figure that does not has no interval."""


@dataclass(frozen=True)
class BudgetRow:
    """One budget line: its kind, role (for per-role lines), label, unit, and a cell per column."""

    kind: LineKind
    role: str
    label: str
    unit: Unit
    cells: tuple[BudgetCell, ...]
    """One per fiscal year, then the total of the grant period (NaN mean for FTE: FTE do not add up)."""
    summaries: tuple[Summary | None, ...] = ()
    """The cells' summaries across replications (as summary.csv has them), None where a cell has none (the
    FTE total); projections.csv's budget rows are these."""

    @property
    def metric(self) -> str:
        """The line's metric name in projections.csv: ``budget_`` + its kind (+ ``_<role>``), ``_usd`` for
        money; the two net lines say surplus, so that their bounds are not clipped at 0 (results.kinds)."""
        name = {"net": "net_surplus", "net_cash": "net_cash_surplus"}.get(self.kind, self.kind)
        unit = "_usd" if self.unit == "USD" else ""
        return f"budget_{name}{unit}" + (f"_{self.role}" if self.role else "")


@dataclass(frozen=True)
class Budget:
    """A scenario's budget: the fiscal years, the lines, and what it assumed."""

    scenario: str
    years: tuple[FiscalYear, ...]
    rows: tuple[BudgetRow, ...]
    replications: int
    assumptions: str

    @property
    def headings(self) -> list[str]:
        return [year.heading for year in self.years] + [TOTAL]


def fiscal_years(periods: ScenarioPeriods) -> list[FiscalYear]:
    """The fiscal years of one scenario's periods, in time order."""
    found = [key for key in periods.values if key[0] == FISCAL_YEAR]
    return [
        FiscalYear(label, dt.date.fromisoformat(start), dt.date.fromisoformat(end), int(days), index)
        for index, (_, label, start, end, days) in enumerate(found)
    ]


def _employed_fte_days(role: StaffRole, opening: dt.date, first: int, end: int) -> float:
    """FTE-days employed in days [first, end) since opening (hires count from their date, or opening)."""
    starts = [0] * role.count + [
        max(0, (hire.date - opening).days) for hire in role.hires for _ in range(hire.count)
    ]
    return role.fte * sum(max(0, end - max(first, start)) for start in starts)


def _summary(values: np.ndarray, floor: float = -math.inf) -> Summary:
    """Mean, CI of the mean and outcome range (t prediction interval) of one figure, bounds >= ``floor``."""
    return clip(summarise(values.tolist()), low=floor)


def _cell(summary: Summary) -> BudgetCell:
    """A figure as printed: no interval when there is no replication, one, or all alike."""
    if summary.n < 2 or summary.constant:
        nan = math.nan
        return BudgetCell(summary.mean, nan, nan, nan, nan, False)
    return BudgetCell(
        summary.mean,
        summary.ci95_low,
        summary.ci95_high,
        summary.outcome95_low,
        summary.outcome95_high,
        True,
    )


def _row(kind: LineKind, label: str, unit: Unit, per_year: np.ndarray, role: str = "") -> BudgetRow:
    """``per_year``: (years, replications); the total column adds the years (USD) or is blank (FTE)."""
    floor = -math.inf if kind in CAN_BE_NEGATIVE else 0.0
    summaries: list[Summary | None] = [_summary(year, floor) for year in per_year]
    summaries.append(_summary(per_year.sum(axis=0), floor) if unit == "USD" else None)
    nan = math.nan
    cells = [_cell(found) if found else BudgetCell(nan, nan, nan, nan, nan, False) for found in summaries]
    return BudgetRow(kind, role, label, unit, tuple(cells), tuple(summaries))


def compute_budget(config: SimiopConfig, periods: ScenarioPeriods, replications: int) -> Budget:
    """The budget of one scenario from its config and its replications' periods (periods.csv)."""
    budget = config.money.budget
    opening = config.clinic.opening_date
    years = fiscal_years(periods)
    keys = [key for key in periods.values if key[0] == FISCAL_YEAR]

    def metric(name: str) -> np.ndarray:
        """(years, replications) of one periods.csv metric."""
        return np.array([periods.values[key][name] for key in keys], dtype=float).reshape(len(keys), -1)

    staff_cost, fixed_cost = metric("staff_cost_usd"), metric("fixed_cost_usd")
    earned, collected = metric("revenue_usd"), metric("cash_collected_usd")
    runs = staff_cost.shape[1]
    escalation = np.array([(1 + budget.salary_escalation_per_year) ** y.index for y in years])[:, None]
    inflation = np.array([(1 + budget.other_cost_inflation_per_year) ** y.index for y in years])[:, None]
    ones = np.ones((len(years), runs))

    rows: list[BudgetRow] = []
    salaries_by_role, fringe, unescalated_staff = [], np.zeros((len(years), runs)), np.zeros((len(years), 1))
    first_day = 0
    spans = []
    for year in years:
        spans.append((first_day, first_day + year.days))
        first_day += year.days
    days = np.array([max(y.days, 1) for y in years], dtype=float)[:, None]
    whole = np.array([y.whole_days for y in years], dtype=float)[:, None]  # 365 or 366: what a day accrues
    fte_total = np.zeros((len(years), 1))
    for name, role in config.staff.roles.items():
        fte_days = np.array([_employed_fte_days(role, opening, a, b) for a, b in spans])[:, None]
        base = role.annual_salary_usd * fte_days / whole
        unescalated_staff += base * (1 + role.benefits_rate)
        salary = base * escalation * ones
        salaries_by_role.append((name, salary))
        fringe += salary * role.benefits_rate
        fte_total += fte_days
        rows.append(_row("fte", f"FTE, {name}", "FTE", fte_days / days * ones, name))
    rows.append(_row("fte_total", "FTE, total", "FTE", fte_total / days * ones))
    for name, salary in salaries_by_role:
        rows.append(_row("salaries", f"Salaries, {name}", "USD", salary, name))
    salaries = sum((salary for _, salary in salaries_by_role), np.zeros((len(years), runs)))
    # Cover: what the results paid beyond salaries and benefits, to the cent (the rest is rounding).
    cover = np.maximum(np.round(staff_cost - unescalated_staff, 2), 0.0) * escalation
    wages = salaries + cover
    personnel = wages + fringe
    other = fixed_cost * inflation
    startup_salary = np.zeros((len(years), runs))
    startup_fringe = np.zeros((len(years), runs))
    startup_items = np.zeros((len(years), runs))
    if years:
        for name, months in budget.startup.salary_months_before_opening.items():
            role = config.staff.roles[name]
            pay = role.annual_salary_usd * role.count * role.fte * months / 12
            startup_salary[0] += pay
            startup_fringe[0] += pay * role.benefits_rate
        startup_items[0] += sum(budget.startup.one_off_usd.values())
    startup = startup_salary + startup_fringe + startup_items
    direct = personnel + other + startup
    indirect_spec = budget.indirect
    if indirect_spec.base == "total_direct_costs":
        base = direct
    elif indirect_spec.base == "salaries_and_wages":
        base = wages + startup_salary
    else:
        excluded = indirect_spec.excluded_from_mtdc_usd_per_year * np.array([y.days for y in years])[:, None]
        base = direct - excluded / whole * inflation
    indirect = indirect_spec.rate * base
    total = direct + indirect
    rows += [
        _row("salaries_and_wages", "Salaries and wages (incl. per-diem cover)", "USD", wages),
        _row("cover", "  of which per-diem cover (no fringe)", "USD", cover),
        _row("fringe", "Fringe benefits", "USD", fringe),
        _row("personnel", "Personnel (salaries, wages and fringe)", "USD", personnel),
        _row("other_direct", "Other direct costs", "USD", other),
        _row("startup", "Start-up before opening", "USD", startup),
        _row("total_direct", "Total direct costs", "USD", direct),
        _row("indirect", _indirect_label(indirect_spec.rate, indirect_spec.base), "USD", indirect),
        _row("total_cost", "Total cost", "USD", total),
        _row("revenue_earned", "Revenue earned (by date of service)", "USD", earned),
        _row("revenue_collected", "Revenue collected (cash, by date paid)", "USD", collected),
        _row("net", "Net surplus/deficit (revenue earned - total cost)", "USD", earned - total),
        _row("net_cash", "Net cash (revenue collected - total cost)", "USD", collected - total),
    ]
    return Budget(
        periods.name, tuple(years), tuple(rows), replications, assumptions(config, years, replications)
    )


def _indirect_label(rate: float, base: str) -> str:
    short = {"modified_total_direct_costs": "MTDC", "total_direct_costs": "total direct costs"}
    return (
        f"Indirect costs ({_percent(rate)} of {short.get(base, 'salaries and wages')})"
        if rate
        else "Indirect costs"
    )


def _rising(share: float, start: str) -> str:
    return f"rising {_percent(share)} a year from {start}, compounding" if share else "not escalated"


def _percent(share: float) -> str:
    return f"{share * 100:.4g}%"


def _usd(amount: float) -> str:
    return f"${amount:,.0f}"


def assumptions(config: SimiopConfig, years: Sequence[FiscalYear], replications: int) -> str:
    """The short paragraph a budget narrative needs: where each figure comes from."""
    budget = config.money.budget
    if not years:
        return "The run covers no fiscal year."
    first, last = years[0], years[-1]
    roles = config.staff.roles
    fringe = ", ".join(f"{name} {_percent(role.benefits_rate)}" for name, role in roles.items())
    span = first.label if len(years) == 1 else f"{first.label}-{last.label}"
    partial = [year.heading for year in years if year.partial]
    second = years[1].label if len(years) > 1 else "the next year"
    parts = [
        f"Budget for {span}, from opening on {config.clinic.opening_date.isoformat()} for "
        f"{sum(y.days for y in years)} day{'s' if sum(y.days for y in years) != 1 else ''}"
        + (f" (partial years: {', '.join(partial)})" if partial else "")
        + f"; each figure is the mean of {replications} simulated replication"
        + ("s" if replications != 1 else "")
        + ".",
        "Salaries are the configured salaries of the employed FTE (hires from their start date), "
        f"{_rising(budget.salary_escalation_per_year, second)}; "
        f"fringe is each role's benefits rate on salary ({fringe}); per-diem cover is paid by the hour, "
        "without fringe, and rises with salaries.",
        f"Other direct costs are the fixed costs ({_usd(config.money.fixed_costs_usd_per_year)} a year in "
        f"{first.label}), "
        f"{_rising(budget.other_cost_inflation_per_year, second)}.",
    ]
    startup = budget.startup
    months = ", ".join(
        f"{m:g} month{'' if m == 1 else 's'} of {name}"
        for name, m in startup.salary_months_before_opening.items()
    )
    items = ", ".join(f"{name} {_usd(usd)}" for name, usd in startup.one_off_usd.items())
    if months or items:
        parts.append(
            "Start-up before opening ("
            + "; ".join(
                p
                for p in (f"salary and fringe of the staff at opening: {months}" if months else "", items)
                if p
            )
            + f") is budgeted in {first.label}, the fiscal year of opening."
        )
    else:
        parts.append("No start-up costs before opening are budgeted.")
    indirect = budget.indirect
    if indirect.rate > 0:
        excluded = indirect.excluded_from_mtdc_usd_per_year
        parts.append(
            f"Indirect costs are {_percent(indirect.rate)} of {BASE_NAMES[indirect.base]}"
            + (f", which leave out {_usd(excluded)} a year of rent and equipment" if excluded else "")
            + (
                " (start-up items count in it as supplies and services)"
                if indirect.base == "modified_total_direct_costs" and startup.one_off_usd
                else ""
            )
            + "."
        )
    else:
        parts.append("No indirect costs are budgeted.")
    parts.append(
        "Revenue earned is the cash due for the services delivered in the year (the payers' part and the "
        "patients' share collected), by date of service, at the configured payer rates (not inflated); "
        "revenue collected is the cash received in the year after each payer's payment lag (cash due after "
        "the last day falls in no year). Net surplus/deficit is revenue earned less total cost; net cash is "
        "revenue collected less total cost."
    )
    if replications > 1:
        parts.append(
            "Under a figure that varies between replications: the 95% confidence interval of its mean, and "
            "its outcome range, the 95% prediction interval for one more replication (where one year's "
            "result is likely to fall; it does not shrink with more replications); bounds of costs and "
            "revenue are clipped at 0."
        )
    if replications < MIN_REPLICATIONS:
        parts.append(
            f"Warning: {replications} replication{'s are' if replications != 1 else ' is'} too few for "
            f"intervals to trust (fewer than {MIN_REPLICATIONS}): run with -r {MIN_REPLICATIONS} or more."
        )
    return " ".join(parts)


def budget_of_folder(out: Path, scenario: str | None = None) -> Budget:
    """The budget of one scenario (default: the base) of a finished result folder.

    ConfigError (naming the folder) when it is not a finished result folder;
    KeyError for an unknown scenario.
    """
    from simiop.report.data import load

    folder = load(out)
    plan = folder.plan
    wanted = folder.base.name if scenario is None else scenario  # "" is a name asked for, not "the base"
    found = [s for s in plan.scenarios if s.name == wanted]
    if not found:
        raise KeyError(f"no scenario {wanted!r}; scenarios are {', '.join(s.name for s in plan.scenarios)}")
    return scenario_budget(out, found[0], plan.replications)


def scenario_budget(out: Path, scenario: ScenarioPlan, replications: int) -> Budget:
    """The budget of one scenario of the result folder ``out``, from its replications' periods.csv."""
    from simiop.config import ConfigError, Problem
    from simiop.experiments.cells import cell_dir

    reading: list[Path] = [out]

    def cells() -> Iterator[tuple[str, Path]]:
        for r in range(replications):
            reading[0] = cell_dir(out, scenario.name, r)
            yield scenario.name, reading[0]

    try:
        periods = read_periods(cells())
    except (OSError, ValueError, IndexError) as exc:
        # An interrupted run, a file removed or damaged since: one line naming it, as the report says it.
        name = (reading[0] / PERIODS).relative_to(out).as_posix()
        reason = (exc.strerror or str(exc)).lower() if isinstance(exc, OSError) else str(exc)
        raise ConfigError(
            str(out), [Problem("", f"{name} cannot be read ({reason}); `simiop reproduce` checks every file")]
        ) from None
    return compute_budget(scenario.config, periods[0], replications)


GRANT_PERIOD = "grant_period"
"""projections.csv's period kind of the budget's total column: the fiscal years of the run together."""


def grant_period_key(years: Sequence[FiscalYear]) -> tuple[str, ...]:
    """The grant period's period columns (PERIOD_COLUMNS): its kind, 'FY2028-FY2030', first and last date,
    days inside the run."""
    span = years[0].label if len(years) == 1 else f"{years[0].label}-{years[-1].label}"
    days = sum(year.days for year in years)
    return (GRANT_PERIOD, span, years[0].start_date.isoformat(), years[-1].end_date.isoformat(), str(days))


def projection_lines(budget: Budget) -> Iterator[tuple[tuple[str, ...], str, Summary]]:
    """The budget as projections.csv rows: (period columns, metric, summary) for every line in every fiscal
    year, then every money line over the grant period (period kind ``grant_period``), each line's
    ``BudgetRow.metric`` its metric. FTE have no grant-period total (FTE of different years do not add)."""
    if not budget.years:
        return
    keys = [
        (FISCAL_YEAR, year.label, year.start_date.isoformat(), year.end_date.isoformat(), str(year.days))
        for year in budget.years
    ]
    for at, key in enumerate(keys):
        for row in budget.rows:
            found = row.summaries[at]
            if found is not None:
                yield key, row.metric, found
    total = grant_period_key(budget.years)
    for row in budget.rows:
        found = row.summaries[-1]
        if found is not None:
            yield total, row.metric, found


def budget_rows(out: Path, scenario: str | None = None) -> list[BudgetRow]:
    """The budget of a result folder as typed rows (one per line; cells: fiscal years, then Total)."""
    return list(budget_of_folder(out, scenario).rows)


# --- Printing ----------------------------------------------------------------------------------------------


def _figure(value: float, unit: Unit) -> str:
    if math.isnan(value):
        return ""
    if unit == "FTE":
        return f"{value:.2f}"
    rounded = round(value)
    return f"{rounded:,}" if rounded != 0 else "0"


def _span(low: float, high: float, unit: Unit) -> str:
    if math.isnan(low) or math.isnan(high):
        return ""
    return f"{_figure(low, unit)} to {_figure(high, unit)}"


def table_rows(budget: Budget) -> list[list[str]]:
    """The wide table as text: a header, then each line and, under a line that varies, its intervals."""
    lines = [["Line (USD unless FTE)", *budget.headings]]
    for row in budget.rows:
        lines.append([row.label, *(_figure(cell.mean, row.unit) for cell in row.cells)])
        if any(cell.varies for cell in row.cells) and budget.replications > 1:
            lines.append(
                ["  95% CI of the mean", *(_span(c.ci95_low, c.ci95_high, row.unit) for c in row.cells)]
            )
            lines.append(
                [
                    "  95% outcome range",
                    *(_span(c.range_low, c.range_high, row.unit) for c in row.cells),
                ]
            )
    return lines


def render(budget: Budget, style: Literal["tsv", "markdown"] = "tsv") -> str:
    """The budget table (tab-separated or a markdown table), a blank line, and the assumptions paragraph."""
    lines = table_rows(budget)
    if style == "markdown":
        escaped = [[cell.replace("|", "\\|") or " " for cell in line] for line in lines]
        text = [
            "| " + " | ".join(escaped[0]) + " |",
            "|" + "|".join([":---", *["---:"] * (len(escaped[0]) - 1)]) + "|",
            *("| " + " | ".join(line) + " |" for line in escaped[1:]),
        ]
    else:
        text = ["\t".join(line) for line in lines]
    return "\n".join([*text, "", budget.assumptions]) + "\n"
