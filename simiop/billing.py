"""Money: revenue by each payer's billing rules, and staff and fixed costs, worked out after the run.

The simulation records what was furnished; billing is a function of those
records and the config, computed once per run from the records' columns
(simiop/results/columns.py) and read by the KPIs, the periods and the tables
alike. It lives outside ``simiop.model`` because nothing in the patient flow
depends on it.

Each attended day is billed under its payer's rules (simiop/config/money.py):
the day's per diem needs ``min_services_per_day`` services (a group session is
one; individual, family and prescriber sessions only where the payer counts
them) and ``min_hours_per_day`` billing hours; the 4+ services rate applies
where the payer has one. A ``claim_edit`` weekly requirement refuses the days
of a week whose billing hours fall short; a ``plan_of_care`` one never refuses
a day (it is checked on scheduled hours by ``simiop validate``). Prescriber
visits earn their professional fee where the payer pays one, whatever the
per diem does. After a payer's concurrent review is denied and the patient
continues (``on_denial: continue_unbilled``), nothing of their days is billed
(reason ``review_denied``).

The day's charges (per diem + professional fee, the payer's allowed amount)
are split as Medicare splits an OPPS payment (42 CFR 419.41(c)): the patient
first pays what is left of their calendar-year deductible, then the
coinsurance share of the rest; the payer pays the remainder. The clinic
collects all of the payer's part and ``collection_rate`` of the patient's.
The cash arrives ``payment_lag_days`` after the day of service, one draw per
day with cash from the payer's own stream ``money.payment_lag.<payer>``
(derived from the run's seed and replication like every stream), so revenue
is *earned* on the date of service and *collected* on the date paid.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Literal, get_args

import numpy as np

from simiop.config.durations import add_years, fiscal_start
from simiop.config.model import SimiopConfig
from simiop.config.staff import StaffRole
from simiop.model.records import Records
from simiop.results.columns import Columns, RunColumns, columns_of
from simiop.results.grouping import distinct_pairs
from simiop.streams import RandomStreams

STANDARD_WEEKLY_HOURS = 9.0
"""The weekly service hours an IOP patient-week should reach (Medicare's 9 h); KPIs report the share."""

UnbilledReason = Literal["review_denied", "fewer_services", "short_day", "claim_edit_week"]
"""Why an attended day's per diem is not billed, in the order the rules are checked."""
REVIEW_DENIED: Final = "review_denied"
FEWER_SERVICES: Final = "fewer_services"
SHORT_DAY: Final = "short_day"
CLAIM_EDIT_WEEK: Final = "claim_edit_week"
UNBILLED_REASONS: tuple[UnbilledReason, ...] = get_args(UnbilledReason)
BILLED = -1
"""The reason code of a billed day (``DayBills.reason`` holds positions in UNBILLED_REASONS)."""

HOURS_SLACK = 1e-9


def meets_standard(hours: np.ndarray) -> np.ndarray:
    """Whether each patient-week's hours reach the 9-hour standard (with float rounding tolerance)."""
    met: np.ndarray = hours >= STANDARD_WEEKLY_HOURS - HOURS_SLACK
    return met


COVER_COST = "cover_cost_usd"
"""The staff.csv column of a role's per-diem cover cost that day (issue 18): added to staff cost when the
records have it, so cover paid by the hour counts wherever salaries do (totals, KPIs, periods)."""


def staff_row_costs(config: SimiopConfig, staff: Columns, role: np.ndarray) -> np.ndarray:
    """Each staff row's cost (USD): its role's salary and benefits per employed FTE for that day, plus its
    cover; the one computation behind staff cost in the KPIs (``totals``) and in periods.csv.

    ``role`` is each row's position in ``config.staff.roles``. A day accrues
    1/365 or 1/366 of the annual amount (``annual_staff_cost_usd``), the
    length of its fiscal year (``fiscal_year_days``). Cover is what the
    role's per-diem people were paid that day (staff.csv ``cover_cost_usd``,
    0 without a cover pool).
    """
    annual = np.array([annual_staff_cost_usd(spec) for spec in config.staff.roles.values()])
    year_days = year_days_of(config, staff.array("day"))
    cost: np.ndarray = annual[role] * staff.array("employed_fte") / year_days + staff.array(COVER_COST)
    return cost


def annual_staff_cost_usd(role: StaffRole) -> float:
    """Salary and benefits of one FTE for a whole year (USD/year); it accrues every calendar day, open or
    not, a day's share being 1 / the days of its fiscal year (``fiscal_year_days``)."""
    return role.annual_salary_usd * (1.0 + role.benefits_rate)


def fiscal_year_days(opening: dt.date, fiscal_month: int, days: np.ndarray) -> np.ndarray:
    """The length (365 or 366 days) of the fiscal year starting in ``fiscal_month`` that holds each of
    ``days`` (whole days since ``opening``; shape kept).

    Annual amounts (salaries, benefits, fixed costs) accrue by the day at 1 / this length, so a whole
    fiscal year of a budget shows exactly the annual figure a grant application states (dividing by
    365.25, as simiop did before 2026-12, showed $119,918 of a $120,000 a year in a 365-day year).
    """
    whole = np.asarray(days, dtype=np.int64)
    last = int(whole.max()) if whole.size else 0
    starts: list[int] = []
    lengths: list[int] = []
    start = fiscal_start(opening, fiscal_month)
    while not starts or starts[-1] <= last:
        following = add_years(start, 1)
        starts.append((start - opening).days)
        lengths.append((following - start).days)
        start = following
    found = np.searchsorted(np.array(starts), whole, side="right") - 1
    return np.array(lengths, dtype=float)[found]


def year_days_of(config: SimiopConfig, days: np.ndarray) -> np.ndarray:
    """``fiscal_year_days`` of ``days`` for the config's opening date and fiscal year."""
    return fiscal_year_days(config.clinic.opening_date, config.money.fiscal_year_start_month, days)


def year_shares(config: SimiopConfig, first: int, end: int) -> np.ndarray:
    """Each whole day's share of its fiscal year, for days [first, end) since opening (shape (end - first,)):
    what one day accrues of an annual amount."""
    return 1.0 / year_days_of(config, np.arange(first, max(first, end)))


def running_sum(values: np.ndarray) -> float:
    """The sum of ``values`` added one by one in order, as a Python loop adds them (0.0 when empty).

    numpy's ``sum`` adds pairwise, which can differ in the last bit; the pins
    and the CSV bytes were made by adding in row order, and ``cumsum`` does.
    """
    return float(np.cumsum(values)[-1]) if values.size else 0.0


def grouped_sums(groups: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Per group, its values added in row order (``bincount`` adds in order, like a Python loop)."""
    return np.bincount(groups, weights=values, minlength=size)[:size] if groups.size else np.zeros(size)


@dataclass(frozen=True)
class DayBill:
    """One attended day's bill: a row of DayBills, for reading a run by hand (tests, notebooks)."""

    billable: bool
    four_plus: bool
    per_diem_usd: float
    professional_usd: float
    reason: UnbilledReason | Literal[""]
    patient_share_usd: float
    payer_paid_usd: float
    revenue_usd: float
    paid_day: float
    services_counted: int


@dataclass(frozen=True)
class DayBills:
    """How each attended patient-day was billed, one array per field, in the order of the records' rows."""

    billable: np.ndarray
    four_plus: np.ndarray
    """Billed at the 4+ services rate."""
    per_diem_usd: np.ndarray
    """The per diem charged (allowed) for the day; 0 when the day does not qualify."""
    professional_usd: np.ndarray
    """Professional fees charged for the day's prescriber visit, billed apart from the per diem."""
    reason: np.ndarray
    """Why the day's per diem was not billed: a position in UNBILLED_REASONS, or BILLED (-1)."""
    patient_share_usd: np.ndarray
    """The patient's part of the day's charges (deductible and coinsurance)."""
    payer_paid_usd: np.ndarray
    """The payer's part of the day's charges."""
    revenue_usd: np.ndarray
    """Cash the clinic collects for the day: the payer's part and the collected part of the patient's."""
    paid_day: np.ndarray
    """Simulation day the cash arrives: the day of service plus the payer's payment lag."""
    services_counted: np.ndarray
    """Services of the day that count toward the payer's per diem (each group session is one)."""

    @property
    def charges_usd(self) -> np.ndarray:
        """The day's charges: per diem and professional fee (the allowed amounts)."""
        charges: np.ndarray = self.per_diem_usd + self.professional_usd
        return charges

    def reasons(self) -> list[UnbilledReason | Literal[""]]:
        """Each day's reason as its name ('' when billed)."""
        names: tuple[UnbilledReason | Literal[""], ...] = (*UNBILLED_REASONS, "")
        return [names[code] for code in self.reason.tolist()]

    def rows(self) -> list[DayBill]:
        """Every day's bill as one object per day, in the order of the records' rows."""
        return [
            DayBill(*values)
            for values in zip(
                self.billable.tolist(),
                self.four_plus.tolist(),
                self.per_diem_usd.tolist(),
                self.professional_usd.tolist(),
                self.reasons(),
                self.patient_share_usd.tolist(),
                self.payer_paid_usd.tolist(),
                self.revenue_usd.tolist(),
                self.paid_day.tolist(),
                self.services_counted.tolist(),
                strict=True,
            )
        ]


@dataclass(frozen=True)
class EpisodeBills:
    """Each episode's billed totals, in the order of the records' episodes."""

    billable_days: np.ndarray
    charges_usd: np.ndarray
    """Per diems and professional fees billed for the episode (allowed amounts)."""
    revenue_usd: np.ndarray
    """The payer's part and the collected patient share of every day of the episode, whenever paid."""


@dataclass(frozen=True)
class BilledRun:
    """One replication's records as columns, with their bill: what KPIs, periods and tables read."""

    columns: RunColumns
    days: DayBills
    episodes: EpisodeBills
    payers: tuple[str, ...]
    """The config's payers, in config order (the positions ``payer_of_day`` holds)."""
    payer_of_day: np.ndarray
    """Per patient-day, the position of its episode's payer in ``payers``."""
    episode_of_day: np.ndarray
    """Per patient-day, the position of its episode in the records' episodes."""
    weeks: tuple[np.ndarray, np.ndarray] = field(init=False, repr=False, compare=False)
    """(first row, service hours) of every patient-week, worked out once (see ``patient_weeks``)."""
    week_of_day: np.ndarray = field(init=False, repr=False, compare=False)
    """Per patient-day, the position of its patient-week in ``weeks`` (the KPIs' weekly coverage)."""

    def __post_init__(self) -> None:
        days = self.columns.patient_days
        first, hours, week_of_day = _week_hours(
            self.episode_of_day, days.array("week", "int"), days.array("hours")
        )
        object.__setattr__(self, "weeks", (first, hours))
        object.__setattr__(self, "week_of_day", week_of_day)


def bill(config: SimiopConfig, records: Records | RunColumns) -> BilledRun:
    """Apply the payers' rules to every attended day, once, after the run.

    Works out each day's per diem, professional fee, reason, the payer's and
    the patient's parts and the cash date, and each episode's totals. Days
    are taken in the order they happened, so a deductible is met by the
    first; every sum adds in that order, so the figures are those of a plain
    loop over the days, to the last bit.
    """
    columns = records if isinstance(records, RunColumns) else columns_of(records)
    payer_names = tuple(config.money.payers)
    payers = list(config.money.payers.values())
    rows = columns.patient_days
    episode_of_day = columns.episode_of_day
    payer_of_episode = columns.episodes.codes("payer", payer_names)
    if (payer_of_episode < 0).any():
        unknown = columns.episodes.values("payer")[int(np.argmin(payer_of_episode))]
        raise ValueError(f"episode payer {unknown!r} is not in money.payers ({', '.join(payer_names)})")
    code = payer_of_episode[episode_of_day]
    n = rows.size

    def setting(values: Sequence[object]) -> np.ndarray:
        return np.array(values)[code] if n else np.zeros(0, dtype=np.array(values).dtype)

    def counts(service: str) -> np.ndarray:
        return setting([service in payer.counted for payer in payers])

    groups = rows.array("groups", "int")
    programme_hours = rows.array("programme_hours")
    individual = rows.array("individual_hours")
    family = rows.array("family_hours")
    prescriber = rows.array("prescriber_hours")
    counts_individual, counts_family, counts_prescriber = (
        counts("individual_therapy"),
        counts("family"),
        counts("prescriber"),
    )
    services = (
        groups
        + ((individual > 0) & counts_individual)
        + ((family > 0) & counts_family)
        + ((prescriber > 0) & counts_prescriber)
    )
    # Added in the order a payer's billing hours always were: programme, individual, family, prescriber.
    hours = (
        programme_hours
        + np.where(counts_individual, individual, 0.0)
        + np.where(counts_family, family, 0.0)
        + np.where(counts_prescriber, prescriber, 0.0)
    )
    review_denied = rows.array("review_denied", "bool")
    fewer = services < setting([payer.min_services_per_day for payer in payers])
    short = hours < setting([payer.min_hours_per_day - HOURS_SLACK for payer in payers])
    claim_edit = setting([payer.weekly_requirement.kind == "claim_edit" for payer in payers])
    short_week = np.zeros(n, dtype=bool)
    if claim_edit.any():
        weeks = episode_of_day * (int(rows.array("week", "int").max()) + 1) + rows.array("week", "int")
        keys, week_of_day = np.unique(weeks[claim_edit], return_inverse=True)
        week_hours = grouped_sums(week_of_day, hours[claim_edit], keys.size)
        threshold = setting([(payer.weekly_requirement.hours or 0.0) - HOURS_SLACK for payer in payers])
        short_week[claim_edit] = week_hours[week_of_day] < threshold[claim_edit]
    reason = np.select(
        [review_denied, fewer, short, short_week],
        [
            UNBILLED_REASONS.index(state)
            for state in (REVIEW_DENIED, FEWER_SERVICES, SHORT_DAY, CLAIM_EDIT_WEEK)
        ],
        BILLED,
    )
    billable = reason == BILLED
    has_4plus = setting([payer.per_diem_4plus_services_usd is not None for payer in payers])
    four_plus = billable & (services >= 4) & has_4plus
    rate = np.where(
        four_plus,
        setting([float(payer.per_diem_4plus_services_usd or 0.0) for payer in payers]),
        setting([float(payer.per_diem_usd or 0.0) for payer in payers]),
    )
    per_diem = np.where(billable, rate, 0.0)
    fees = [payer.professional_fees for payer in payers]
    fee = np.where(
        rows.array("prescriber_initial", "bool"),
        setting([0.0 if f is None else f.prescriber_initial_usd for f in fees]),
        setting([0.0 if f is None else f.prescriber_follow_up_usd for f in fees]),
    )
    professional = np.where(
        (prescriber > 0) & setting([f is not None for f in fees]) & ~review_denied, fee, 0.0
    )
    charges = per_diem + professional

    deductible = _deductibles(config, columns, code, charges)
    coinsurance = setting([payer.coinsurance for payer in payers])
    patient_share = deductible + coinsurance * (charges - deductible)
    payer_paid = charges - patient_share
    revenue = payer_paid + setting([payer.collection_rate for payer in payers]) * patient_share
    paid_day = _paid_days(config, columns, code, revenue)

    size = columns.episodes.size
    episodes = EpisodeBills(
        billable_days=np.bincount(episode_of_day[billable], minlength=size)[:size],
        charges_usd=grouped_sums(episode_of_day, charges, size),
        revenue_usd=grouped_sums(episode_of_day, revenue, size),
    )
    days = DayBills(
        billable=billable,
        four_plus=four_plus,
        per_diem_usd=per_diem,
        professional_usd=professional,
        reason=reason,
        patient_share_usd=patient_share,
        payer_paid_usd=payer_paid,
        revenue_usd=revenue,
        paid_day=paid_day,
        services_counted=services,
    )
    return BilledRun(
        columns=columns,
        days=days,
        episodes=episodes,
        payers=payer_names,
        payer_of_day=code,
        episode_of_day=episode_of_day,
    )


def _deductibles(
    config: SimiopConfig, columns: RunColumns, code: np.ndarray, charges: np.ndarray
) -> np.ndarray:
    """The part of each day's charges that goes to the patient's calendar-year deductible.

    A deductible is met by the first charges of each (patient, payer,
    calendar year), so this is a walk in day order; it visits only days with
    charges of payers that have a deductible, and a group's days stop
    mattering once its deductible is met (what is left is 0 after that).
    """
    deductible = np.zeros(charges.size)
    yearly = [payer.deductible_usd_per_year for payer in config.money.payers.values()]
    if not any(amount > 0 for amount in yearly) or not charges.size:
        return deductible
    rows = columns.patient_days
    due = np.flatnonzero((np.array(yearly)[code] > 0) & (charges > 0))
    if not due.size:
        return deductible
    opening = np.datetime64(config.clinic.opening_date, "D")
    day = rows.array("day", "int")[due]
    year = (opening + day.astype("timedelta64[D]")).astype("datetime64[Y]").astype(np.int64)
    patient = columns.episodes.array("patient_id", "int")[columns.episode_of_day[due]]
    payer = code[due]
    # Each (patient, payer, year)'s days side by side, still in day order (a stable sort), so each one's
    # walk stops at its first day with nothing left: what is paid never shrinks (parts are >= 0), so a
    # deductible met stays met, and the days after it (most of them) are never visited. The parts are
    # those of one walk over every day in order with a running total per (patient, payer, year).
    span = year - year.min()
    key = (patient * len(yearly) + payer) * (int(span.max()) + 1) + span
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], order.size]
    rows_in_order, amounts = due[order].tolist(), charges[due][order].tolist()
    for start, end, paying in zip(starts.tolist(), ends.tolist(), payer[order][starts].tolist(), strict=True):
        allowance = yearly[paying]
        so_far = 0.0
        for position in range(start, end):
            left = allowance - so_far
            if left <= 0.0:
                break
            part = min(amounts[position], max(0.0, left))
            so_far = so_far + part
            deductible[rows_in_order[position]] = part
    return deductible


def _paid_days(
    config: SimiopConfig, columns: RunColumns, code: np.ndarray, revenue: np.ndarray
) -> np.ndarray:
    """Each day's cash date: the day of service plus a lag drawn from the payer's own stream."""
    paid_day: np.ndarray = columns.patient_days.array("day").copy()
    streams = RandomStreams(columns.seed, columns.replication)
    earning = revenue > 0
    for position, (name, payer) in enumerate(config.money.payers.items()):
        lag = payer.payment_lag_days
        if lag is None:
            continue
        rows = np.flatnonzero(earning & (code == position))  # in the order the days happened
        if rows.size:
            paid_day[rows] += lag.sample(streams.get(f"money.payment_lag.{name}"), rows.size)
    return paid_day


@dataclass(frozen=True)
class Billing:
    """Totals of one run, from the warm-up on."""

    attended_days: int
    billable_days: int
    billable_days_4plus: int
    patient_weeks: int
    patient_weeks_meeting_9h: int
    per_diem_usd: float
    per_diem_4plus_usd: float
    professional_usd: float
    payer_paid_usd: float
    patient_share_usd: float
    patient_collected_usd: float
    revenue_usd: float
    cash_collected_usd: float
    """Cash whose payment date falls from ``from_day`` to the horizon (services before from_day included)."""
    unpaid_at_horizon_usd: float
    """Revenue of services from ``from_day`` on whose cash comes after the horizon (accounts receivable)."""
    revenue_by_payer_usd: dict[str, float]
    attended_days_by_payer: dict[str, int]
    billable_days_by_payer: dict[str, int]
    unbilled_days_by_reason: dict[str, int]
    staff_cost_usd: float
    staff_cost_by_role_usd: dict[str, float]
    fixed_cost_usd: float


def _first_seen_order(codes: np.ndarray, size: int) -> list[int]:
    """The codes 0..size-1 present, in the order they first appear (as a dict filled by a loop keeps them)."""
    first = {code: int(np.argmax(codes == code)) for code in range(size) if (codes == code).any()}
    return sorted(first, key=first.__getitem__)


def _week_hours(
    episode_of_day: np.ndarray, week: np.ndarray, hours: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(first row of each patient-week, its hours added in row order, each row's patient-week),
    patient-weeks in key order (episode, then week)."""
    if not week.size:
        return np.zeros(0, dtype=np.intp), np.zeros(0), np.zeros(0, dtype=np.intp)
    found, first, inverse = distinct_pairs(episode_of_day, week)  # ``first``: each key's first occurrence
    return first, grouped_sums(inverse, hours, found.size), inverse


def patient_weeks(run: BilledRun, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(first row, service hours) of every patient-week with an attended day among ``rows`` (default all)."""
    if rows is None or rows.all():
        return run.weeks
    days = run.columns.patient_days
    episode, week, hours = run.episode_of_day, days.array("week", "int"), days.array("hours")
    first, summed, _ = _week_hours(episode[rows], week[rows], hours[rows])
    return np.flatnonzero(rows)[first], summed


def totals(config: SimiopConfig, run: BilledRun | Records, from_day: float = 0.0) -> Billing:
    """Revenue and cost from ``from_day`` on (the warm-up), from a billed run; changes nothing.

    Sums add in row order, as a loop over the days does, so the KPIs are
    those of that loop to the last bit.
    """
    run = run if isinstance(run, BilledRun) else bill(config, run)
    days, horizon = run.days, run.columns.horizon_days
    day = run.columns.patient_days.array("day")
    revenue = days.revenue_usd
    cash = running_sum(revenue[(from_day <= days.paid_day) & (days.paid_day < horizon)])
    counted = day >= from_day
    unpaid = running_sum(revenue[counted & (days.paid_day >= horizon)])
    payer = run.payer_of_day[counted]
    billable = days.billable[counted]
    four_plus = days.four_plus[counted]
    per_diem = days.per_diem_usd[counted]
    payer_paid = days.payer_paid_usd[counted]
    size = len(run.payers)
    revenue_sums = grouped_sums(payer, revenue[counted], size)
    attended_counts = np.bincount(payer, minlength=size)
    billable_counts = np.bincount(payer[billable], minlength=size)
    seen = _first_seen_order(payer, size)
    revenue_by_payer = {run.payers[code]: float(revenue_sums[code]) for code in seen}
    billed_payers = set(np.flatnonzero(billable_counts).tolist())  # the payers of a billable day
    unbilled_codes = np.bincount(days.reason[counted][~billable], minlength=len(UNBILLED_REASONS))
    _, weekly = patient_weeks(run, counted)
    staff = run.columns.staff_days
    staff_counted = staff.array("day") >= from_day
    roles = list(config.staff.roles)
    all_roles = staff.codes("role", roles)
    role = all_roles[staff_counted]
    staff_cost = grouped_sums(role, staff_row_costs(config, staff, all_roles)[staff_counted], len(roles))
    staff_cost_by_role = {
        roles[code]: float(staff_cost[code]) for code in _first_seen_order(role, len(roles))
    }
    # The same whole days as the staff rows above: day d counts when d >= from_day.
    fixed_years = running_sum(year_shares(config, max(0, math.ceil(from_day)), math.ceil(horizon)))
    return Billing(
        attended_days=int(counted.sum()),
        billable_days=int(billable.sum()),
        billable_days_4plus=int(four_plus[billable].sum()),
        patient_weeks=weekly.size,
        patient_weeks_meeting_9h=int(np.count_nonzero(meets_standard(weekly))),
        per_diem_usd=running_sum(per_diem),
        per_diem_4plus_usd=running_sum(per_diem[four_plus]),
        professional_usd=running_sum(days.professional_usd[counted]),
        payer_paid_usd=running_sum(payer_paid),
        patient_share_usd=running_sum(days.patient_share_usd[counted]),
        patient_collected_usd=running_sum(revenue[counted] - payer_paid),
        revenue_usd=sum(revenue_by_payer.values()),
        cash_collected_usd=cash,
        unpaid_at_horizon_usd=unpaid,
        revenue_by_payer_usd=dict(sorted(revenue_by_payer.items())),
        attended_days_by_payer={
            run.payers[code]: int(attended_counts[code]) for code in sorted_names(run.payers, seen)
        },
        billable_days_by_payer={
            run.payers[code]: int(billable_counts[code]) for code in sorted_names(run.payers, billed_payers)
        },
        unbilled_days_by_reason=dict(zip(UNBILLED_REASONS, unbilled_codes.tolist(), strict=True)),
        staff_cost_usd=sum(staff_cost_by_role.values()),
        staff_cost_by_role_usd=dict(sorted(staff_cost_by_role.items())),
        fixed_cost_usd=config.money.fixed_costs_usd_per_year * fixed_years,
    )


def sorted_names(names: tuple[str, ...], codes: list[int] | set[int]) -> list[int]:
    """Codes ordered by the names they stand for (as ``dict(sorted(...))`` orders a name-keyed dict)."""
    return sorted(codes, key=lambda code: names[code])
