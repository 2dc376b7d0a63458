"""One replication's activity per calendar period: the raw material of grant projections.

Grant writers budget by month, by fiscal quarter and by fiscal year, and
funders ask what a clinic does in its first, second and third year. Each
replication therefore counts its activity in all four kinds of period, from
opening day on (projections forecast a new clinic, so the warm-up is not
discarded). The counts are made in the worker, from the full records, so
they exist even when a sweep keeps none of the per-replication tables; the
across-replication means and confidence intervals are ``projections.py``'s job.

Patients served cannot be summed from months into quarters (one person
served in March and April is one person in the quarter), so every kind of
period is counted directly rather than rolled up.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from simiop.billing import (
    BilledRun,
    bill,
    meets_standard,
    patient_weeks,
    staff_row_costs,
    year_shares,
)
from simiop.config.durations import add_months, add_years, fiscal_start, whole_days
from simiop.config.model import SimiopConfig
from simiop.model.records import COMPLETED, DROPOUT, END_STATES, NO_START, STEP_UP, EndState, Records
from simiop.results.grouping import distinct
from simiop.results.tables import to_csv

MONTH = "month"
QUARTER = "quarter"
FISCAL_YEAR = "fiscal_year"
PROGRAMME_YEAR = "programme_year"
PERIOD_KINDS = (MONTH, QUARTER, FISCAL_YEAR, PROGRAMME_YEAR)

PERIOD_COLUMNS = ("period_kind", "period", "start_date", "end_date", "days")
"""Columns naming a period; ``days`` is how many of its days fall inside the horizon."""

METRICS: dict[str, str] = {
    "referrals": "referrals received (readmissions included)",
    "admissions": "admissions to a track",
    "completions": "discharges as completed (step-down to outpatient)",
    "dropouts": "discharges as dropout",
    "step_ups": "discharges as step-up to PHP/inpatient",
    "unduplicated_patients_served": "distinct people enrolled on at least one day of the period (no-starts, "
    "who never attended a day, excluded); a person enrolled in two periods counts in both, so the periods "
    "add up to more than the run's unduplicated total",
    "sessions_delivered": "patient sessions delivered: each patient at each group, individual, "
    "prescriber or family session counts one (the services payers count)",
    "group_sessions_held": "group sessions held: clock sessions (e.g. 50 minutes; a programme day holds "
    "group_sessions_per_day of them), one per group that met, serving several patients; not the group-days "
    "that the KPIs group_days_run and the like count",
    "service_hours": "hours of services patients received",
    "billable_days": "patient-days billable under the payer's rules",
    "billable_days_basic": "billable days at the basic rate (fewer than 4 services)",
    "billable_days_4plus_services": "billable days at the 4+ services rate",
    "patient_weeks": "patient-weeks with at least one attended day (a week counts in the period "
    "of its first attended day)",
    "share_patient_weeks_meeting_9h": "share of those patient-weeks with at least 9 service hours",
    "charges_usd": "per diems and professional fees billed for services in the period (allowed amounts, USD)",
    "revenue_usd": "revenue earned: the cash due (payer's part + collected patient share) for services "
    "in the period, by date of service (USD)",
    "cash_collected_usd": "cash received in the period, by payment date (service date + the payer's "
    "payment_lag_days); cash due after the horizon is in no period (USD)",
    "staff_cost_usd": "salaries and benefits of employed FTE, and per-diem cover where recorded (USD)",
    "fixed_cost_usd": "money.fixed_costs_usd_per_year over the period's days, each day 1/365 or 1/366 of it "
    "(the days of its fiscal year) (USD)",
    "total_cost_usd": "staff + fixed cost (USD)",
    "cost_per_completed_episode_usd": "total cost / completions in the period (USD); empty when none",
}
"""Metric -> meaning; revenue_usd_<payer> columns follow revenue_usd, one per payer."""


@dataclass(frozen=True)
class Period:
    """One month, fiscal quarter, fiscal year or programme year, as days since opening [first, end)."""

    kind: str
    label: str
    first_day: int
    end_day: int
    start_date: dt.date
    end_date: dt.date
    """Last calendar date of the whole period (inclusive), even beyond the horizon."""


def _fiscal_label(year_start: dt.date) -> str:
    """Fiscal years are named by the calendar year in which they end (FY2027 = Jul 2026-Jun 2027)."""
    return f"FY{add_months(year_start, 11).year}"


def _windows(
    opening: dt.date, horizon_end: dt.date, kind: str, fiscal_month: int
) -> Iterator[tuple[str, dt.date, dt.date]]:
    """(label, first date, first date of the next period) for every period overlapping the run."""
    if kind == PROGRAMME_YEAR:
        year = 0
        while add_years(opening, year) < horizon_end:
            yield f"Year {year + 1}", add_years(opening, year), add_years(opening, year + 1)
            year += 1
        return
    step = {MONTH: 1, QUARTER: 3, FISCAL_YEAR: 12}[kind]
    fiscal = fiscal_start(opening, fiscal_month)
    start = dt.date(opening.year, opening.month, 1) if kind == MONTH else fiscal
    while kind == QUARTER and add_months(start, 3) <= opening:
        start = add_months(start, 3)
    while start < horizon_end:
        following = add_months(start, step)
        if kind == MONTH:
            label = f"{start:%Y-%m}"
        elif kind == QUARTER:
            year_start = fiscal_start(start, fiscal_month)
            quarter = ((start.year - year_start.year) * 12 + start.month - year_start.month) // 3 + 1
            label = f"{_fiscal_label(year_start)} Q{quarter}"
        else:
            label = _fiscal_label(start)
        yield label, start, following
        start = following


def periods(config: SimiopConfig) -> list[Period]:
    """Every period of every kind that overlaps the run, in kind order then time order."""
    return list(_periods(*_period_key(config)))


def _period_key(config: SimiopConfig) -> tuple[dt.date, int, int]:
    """What the periods of a run depend on: opening date, horizon in whole days, fiscal year's month."""
    return (
        config.clinic.opening_date,
        whole_days(config.simulation.horizon_days),
        config.money.fiscal_year_start_month,
    )


@lru_cache(maxsize=8)
def _periods(opening: dt.date, horizon: int, fiscal_month: int) -> tuple[Period, ...]:
    """``periods``, worked out once per opening, horizon and fiscal year (every cell of a run has the
    same; a few hundred date steps in Python were a third of periods.csv's time)."""
    horizon_end = opening + dt.timedelta(days=horizon)
    found = []
    for kind in PERIOD_KINDS:
        for label, start, following in _windows(opening, horizon_end, kind, fiscal_month):
            found.append(
                Period(
                    kind,
                    label,
                    max(0, (start - opening).days),
                    min(horizon, (following - opening).days),
                    start,
                    following - dt.timedelta(days=1),
                )
            )
    return tuple(found)


_LOOKED_UP_BELOW = 100_000
"""Days since opening below which ``_Index`` looks a day's periods up in a table (of at most this many
days, 3 MB) rather than searching; a run's days and payment dates are far below it."""


class _Index:
    """Maps days since opening to the periods that hold them: one period of each kind per day.

    Positions number every period (kind order, then time, as ``periods``
    lists them); a row is counted once per kind, the kinds one after the
    other, so each period still adds its rows in row order.
    """

    def __init__(self, all_periods: list[Period]) -> None:
        self.size = len(all_periods)
        self.kinds: list[tuple[int, np.ndarray]] = []
        for kind in PERIOD_KINDS:
            offset = next(index for index, period in enumerate(all_periods) if period.kind == kind)
            starts = np.array([p.first_day for p in all_periods if p.kind == kind], dtype=float)
            self.kinds.append((offset - 1, starts))
        self._of_days: np.ndarray | None = None
        """``of`` every day from 0, made on first use by ``add_whole``."""

    def of(self, days: np.ndarray) -> np.ndarray:
        """Per kind (rows) and day (columns), the position of the period holding the day.

        Periods begin at midnight, so a time's period is its whole day's:
        times from opening on are looked up per whole day (``of_whole``),
        other times (none in a run) searched for.
        """
        if days.size and days.min() >= 0.0 and days.max() < _LOOKED_UP_BELOW:
            return self.of_whole(days)
        return self._searched(days)

    def _searched(self, days: np.ndarray) -> np.ndarray:
        if not days.size:
            return np.zeros((len(self.kinds), 0), dtype=np.intp)
        return np.stack(
            [offset + np.searchsorted(starts, days, side="right") for offset, starts in self.kinds]
        )

    def count(self, days: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return self.add(self.of(days), weights)

    def add(self, positions: np.ndarray, weights: np.ndarray | None = None, groups: int = 1) -> np.ndarray:
        """Per period, the rows at ``positions`` counted, or their ``weights`` added in row order.

        One ``bincount`` per kind (a row of ``positions``), with the weights as
        they are: the kinds hold different periods, so each period's total is
        its kind's alone (adding the others' zeros changes no bit), and no
        copy of the weights per kind is made. ``groups``: positions may also
        be ``group * size + period`` (per group and period; groups x size bins).
        """
        size = self.size * groups
        found = np.zeros(size)
        for kind in np.atleast_2d(positions):
            found += np.bincount(kind, weights=weights, minlength=size)[:size]
        return found

    def of_whole(self, days: np.ndarray) -> np.ndarray:
        """``of`` for times from opening on, looked up by whole day in a table of every day rather than
        searched (a time and its whole day are in the same periods: periods begin at midnight)."""
        if not days.size or not (days.min() >= 0.0 and days.max() < _LOOKED_UP_BELOW):
            return self._searched(days)
        whole_days = days.astype(np.intp)  # truncated: the whole day, for times from 0 on
        size = int(whole_days.max()) + 1
        table = self._of_days  # read once: an index is shared by the cells of a run (``_index``), and a
        if table is None or table.shape[1] < size:  # thread's table must not be swapped for a shorter one
            table = self._of_days = self._searched(np.arange(size, dtype=float))
        found: np.ndarray = np.take(table, whole_days, axis=1)  # rows whole, as ``add`` reads them
        return found

    def add_whole(self, days: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Per period, the rows counted, or their ``weights`` added, when every weight is a whole number.

        ``days``: each row's whole day. Whole numbers add exactly in any order,
        so the rows are added per day first (one pass over the rows) and the
        days per period; only weights with fractions need ``add``'s row order.
        """
        if not days.size:
            return np.zeros(self.size)
        per_day = np.bincount(days.astype(np.intp), weights=weights)
        return self.add(self.of_whole(np.arange(per_day.size)), per_day)

    def served(self, patients: np.ndarray, firsts: np.ndarray, lasts: np.ndarray) -> np.ndarray:
        """Per period, the distinct patients enrolled in it (an episode spans periods firsts..lasts)."""
        if not patients.size:
            return np.zeros(self.size)
        spans = (lasts - firsts + 1).ravel()
        starts = np.repeat(np.cumsum(spans) - spans, spans)
        positions = np.repeat(firsts.ravel(), spans) + np.arange(int(spans.sum())) - starts
        people = int(patients.max()) + 1
        everyone = np.broadcast_to(patients, firsts.shape).ravel()
        pairs = distinct(positions * people + np.repeat(everyone, spans))
        return self.add(pairs // people)


@lru_cache(maxsize=8)
def _index(opening: dt.date, horizon: int, fiscal_month: int) -> _Index:
    """The ``_Index`` of ``_periods(...)``, made once per run like the periods (its table of every
    day's periods is then made once too)."""
    return _Index(list(_periods(opening, horizon, fiscal_month)))


def period_metrics(config: SimiopConfig, run: BilledRun | Records) -> list[tuple[Period, dict[str, float]]]:
    """Every period with its metrics for one replication (metric order: METRICS, payers after revenue)."""
    all_periods, per_period = _metric_columns(config, run)
    return [
        (period, {name: column[position] for name, column in per_period.items()})
        for position, period in enumerate(all_periods)
    ]


def _metric_columns(
    config: SimiopConfig, run: BilledRun | Records
) -> tuple[tuple[Period, ...], dict[str, list[float]]]:
    """Every period (``periods``' order) and each metric's value per period, as one list per metric
    (``period_metrics``' values, column by column: periods.csv formats them a column at a time)."""
    run = run if isinstance(run, BilledRun) else bill(config, run)
    key = _period_key(config)
    all_periods = _periods(*key)
    horizon = float(whole_days(config.simulation.horizon_days))
    payers = run.payers
    recorded = run.columns
    episodes = recorded.episodes
    referred = episodes.array("referred_day")
    admitted_all = episodes.array("admitted_day")
    is_admitted = ~np.isnan(admitted_all)
    admitted_day = admitted_all[is_admitted]
    state = recorded.end_states()
    # People served: the admitted who did not end as a no-start (one who never attended a day).
    served = (state != END_STATES.index(NO_START))[is_admitted]
    patients = episodes.array("patient_id", "int")[is_admitted]
    # Enrolled until the discharge, or until the horizon for those still enrolled then.
    ended_all = episodes.array("ended_day")
    censored = recorded.censored()
    open_ended = censored | np.isnan(ended_all)
    ended_or_horizon = np.where(open_ended, horizon, ended_all)[is_admitted]
    enrolled_until = np.maximum(ended_or_horizon - 1e-9, admitted_day)

    def ended_as(end_state: EndState) -> np.ndarray:
        ended: np.ndarray = ended_all[~open_ended & (state == END_STATES.index(end_state))]
        return ended

    completed, dropped, stepped = ended_as(COMPLETED), ended_as(DROPOUT), ended_as(STEP_UP)
    rows = recorded.patient_days
    bills = run.days
    day = rows.array("day")
    services = rows.array("services")
    hours = rows.array("hours")
    billable = bills.billable
    four_plus = bills.four_plus
    revenue = bills.revenue_usd
    charges = bills.charges_usd
    paid_day = bills.paid_day
    paid_in_run = paid_day < horizon
    payer = run.payer_of_day
    first_row, week_hours = patient_weeks(run)
    week_met = meets_standard(week_hours).astype(float)
    track_days = recorded.track_days
    sessions_per_day = np.array([t.group_sessions_per_day for t in config.tracks.values()], dtype=float)
    track_day = track_days.array("day")
    held = track_days.array("groups_run") * sessions_per_day[track_days.codes("track", list(config.tracks))]
    staff = recorded.staff_days
    staff_day = staff.array("day")
    staff_cost = staff_row_costs(config, staff, staff.codes("role", list(config.staff.roles)))

    index = _index(*key)
    at_day = index.of_whole(day)
    columns = {
        "referrals": index.count(referred),
        "admissions": index.count(admitted_day),
        "completions": index.count(completed),
        "dropouts": index.count(dropped),
        "step_ups": index.count(stepped),
        "unduplicated_patients_served": index.served(
            patients[served], index.of(admitted_day[served]), index.of(enrolled_until[served])
        ),
        "sessions_delivered": index.add_whole(day, services),
        "group_sessions_held": index.add_whole(track_day, held),
        "service_hours": index.add(at_day, hours),
        "billable_days": index.add_whole(day[billable]),
        "billable_days_basic": index.add_whole(day[billable & ~four_plus]),
        "billable_days_4plus_services": index.add_whole(day[four_plus]),
        "patient_weeks": index.add_whole(day[first_row]),
        "weeks_met": index.add_whole(day[first_row], week_met),
        "charges_usd": index.add(at_day, charges),
        "revenue_usd": index.add(at_day, revenue),
        "cash_collected_usd": index.count(paid_day[paid_in_run], revenue[paid_in_run]),
    }
    # Every payer's revenue per period in one pass: bins (payer, period), each adding its rows in row
    # order as one pass per payer over its own rows did (same bits, without selecting each payer's rows).
    by_payer = index.add(at_day + index.size * payer, revenue, len(payers)).reshape(len(payers), index.size)
    for position, name in enumerate(payers):
        columns[f"revenue_usd_{name}"] = by_payer[position]
    columns["staff_cost_usd"] = index.add(index.of_whole(staff_day), staff_cost)
    per_period = {name: column.tolist() for name, column in columns.items()}
    # The derived metrics, period by period in Python floats as ever (the same bits), a column at a time.
    weeks, met = per_period.pop("patient_weeks"), per_period.pop("weeks_met")
    per_period["patient_weeks"] = weeks
    per_period["share_patient_weeks_meeting_9h"] = [
        met_weeks / all_weeks if all_weeks else math.nan
        for all_weeks, met_weeks in zip(weeks, met, strict=True)
    ]
    # Each day accrues 1/365 or 1/366 of the year's fixed costs (billing.fiscal_year_days): a whole fiscal
    # year holds exactly fixed_costs_usd_per_year.
    fixed_per_year = config.money.fixed_costs_usd_per_year
    last = max((period.end_day for period in all_periods), default=0)
    accrued = np.concatenate(([0.0], np.cumsum(year_shares(config, 0, last))))
    fixed = [
        fixed_per_year * float(accrued[period.end_day] - accrued[period.first_day]) for period in all_periods
    ]
    per_period["fixed_cost_usd"] = fixed
    total = [
        staff + fixed_cost for staff, fixed_cost in zip(per_period["staff_cost_usd"], fixed, strict=True)
    ]
    per_period["total_cost_usd"] = total
    per_period["cost_per_completed_episode_usd"] = [
        cost / completions if completions else math.nan
        for cost, completions in zip(total, per_period["completions"], strict=True)
    ]
    return all_periods, per_period


def metric_names(config: SimiopConfig) -> list[str]:
    """The metric columns of periods.csv, in order."""
    names = []
    for name in METRICS:
        names.append(name)
        if name == "revenue_usd":
            names.extend(f"revenue_usd_{payer}" for payer in config.money.payers)
    return names


def _value(value: float) -> str:
    return "" if math.isnan(value) else f"{value:.10g}"


def render_periods(config: SimiopConfig, run: BilledRun | Records) -> str:
    """periods.csv of one replication: one row per period, one column per metric.

    Each metric's values are formatted a column at a time (``_metric_columns``), not looked up
    period by period in a dict per period.
    """
    names = metric_names(config)
    all_periods, per_period = _metric_columns(config, run)
    return to_csv(
        [*PERIOD_COLUMNS, *names],
        zip(
            [period.kind for period in all_periods],
            [period.label for period in all_periods],
            [period.start_date.isoformat() for period in all_periods],
            [period.end_date.isoformat() for period in all_periods],
            [period.end_day - period.first_day for period in all_periods],
            *([_value(value) for value in per_period[name]] for name in names),
            strict=True,
        ),
    )
