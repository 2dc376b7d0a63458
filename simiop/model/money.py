"""Money: revenue by each payer's billing rules, and staff and fixed costs.

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
from collections import defaultdict
from dataclasses import dataclass

from simiop.config.model import SimiopConfig
from simiop.config.money import Payer
from simiop.config.staff import StaffRole
from simiop.model.records import Episode, PatientDay, Records
from simiop.streams import RandomStreams

DAYS_PER_YEAR = 365.25
STANDARD_WEEKLY_HOURS = 9.0
"""The weekly service hours an IOP patient-week should reach (Medicare's 9 h); KPIs report the share."""

FEWER_SERVICES = "fewer_services"
SHORT_DAY = "short_day"
CLAIM_EDIT_WEEK = "claim_edit_week"
REVIEW_DENIED = "review_denied"
UNBILLED_REASONS = (REVIEW_DENIED, FEWER_SERVICES, SHORT_DAY, CLAIM_EDIT_WEEK)
"""Why an attended day's per diem is not billed, in the order the rules are checked."""

HOURS_SLACK = 1e-9


def meets_standard(hours: float) -> bool:
    """Whether a patient-week's hours reach the 9-hour standard (with float rounding tolerance)."""
    return hours >= STANDARD_WEEKLY_HOURS - HOURS_SLACK


def counted_services(payer: Payer, row: PatientDay) -> int:
    """Services of the day that count toward this payer's per diem (each group session is one)."""
    counted = payer.services_counted
    return (
        row.groups
        + int(row.individual_hours > 0 and "individual_therapy" in counted)
        + int(row.family_hours > 0 and "family" in counted)
        + int(row.prescriber_hours > 0 and "prescriber" in counted)
    )


def billing_hours(payer: Payer, row: PatientDay) -> float:
    """Hours of the day this payer counts: the programme block if the group ran, plus counted sessions."""
    counted = payer.services_counted
    return (
        row.programme_hours
        + (row.individual_hours if "individual_therapy" in counted else 0.0)
        + (row.family_hours if "family" in counted else 0.0)
        + (row.prescriber_hours if "prescriber" in counted else 0.0)
    )


def professional_fee(payer: Payer, row: PatientDay) -> float:
    """The professional fee of the day's prescriber visit, where the payer pays it separately."""
    fees = payer.professional_fees
    if fees is None or row.prescriber_hours <= 0:
        return 0.0
    return fees.prescriber_initial_usd if row.prescriber_initial else fees.prescriber_follow_up_usd


def per_diem(payer: Payer, row: PatientDay, week_hours: float) -> tuple[float, bool, str]:
    """(per diem, at the 4+ rate, reason not billed or '') of one attended day under one payer."""
    services = counted_services(payer, row)
    if services < payer.min_services_per_day:
        return 0.0, False, FEWER_SERVICES
    if billing_hours(payer, row) < payer.min_hours_per_day - HOURS_SLACK:
        return 0.0, False, SHORT_DAY
    weekly = payer.weekly_requirement
    if weekly.kind == "claim_edit" and week_hours < weekly.hours - HOURS_SLACK:
        return 0.0, False, CLAIM_EDIT_WEEK
    four_plus = services >= 4 and payer.per_diem_4plus_services_usd is not None
    rate = payer.per_diem_4plus_services_usd if four_plus else payer.per_diem_usd
    return float(rate or 0.0), four_plus, ""


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


def daily_staff_cost_usd(role: StaffRole) -> float:
    """Salary and benefits of one FTE for one calendar day (cost accrues every day, open or not)."""
    return role.annual_salary_usd * (1.0 + role.benefits_rate) / DAYS_PER_YEAR


def bill(config: SimiopConfig, records: Records) -> None:
    """Apply the payers' rules to every attended day, once, at the end of the run.

    Fills each PatientDay's per diem, professional fee, reason, the payer's
    and the patient's parts and the cash, and each episode's totals. Days are
    taken in the order they happened, so a deductible is met by the first.
    """
    episodes = {episode.episode_id: episode for episode in records.episodes}
    payers = config.money.payers
    opening = config.clinic.opening_date
    year_of: dict[int, int] = {}  # calendar year of a day, worked out once per day, not per patient-day
    deductible_paid: dict[tuple[int, str, int], float] = defaultdict(float)
    week_hours: dict[tuple[int, int], float] = defaultdict(float)
    if any(payer.weekly_requirement.kind == "claim_edit" for payer in payers.values()):
        for row in records.patient_days:
            payer = payers[episodes[row.episode_id].payer]
            if payer.weekly_requirement.kind == "claim_edit":
                week_hours[(row.episode_id, row.week)] += billing_hours(payer, row)
    for row in records.patient_days:
        episode = episodes[row.episode_id]
        payer = payers[episode.payer]
        if row.review_denied:  # the payer refused to authorize more days: nothing of the day is billed
            rate, row.four_plus, row.reason = 0.0, False, REVIEW_DENIED
        else:
            rate, row.four_plus, row.reason = per_diem(payer, row, week_hours[(row.episode_id, row.week)])
        row.billable = not row.reason
        row.per_diem_usd = rate
        row.professional_usd = 0.0 if row.review_denied else professional_fee(payer, row)
        charges = row.per_diem_usd + row.professional_usd
        year = year_of.get(row.day)
        if year is None:
            year = year_of[row.day] = (opening + dt.timedelta(days=row.day)).year
        key = (episode.patient_id, episode.payer, year)
        deductible = min(charges, max(0.0, payer.deductible_usd_per_year - deductible_paid[key]))
        deductible_paid[key] += deductible
        row.patient_share_usd = deductible + payer.coinsurance * (charges - deductible)
        row.payer_paid_usd = charges - row.patient_share_usd
        row.revenue_usd = row.payer_paid_usd + payer.collection_rate * row.patient_share_usd
        episode.billable_days += int(row.billable)
        episode.charges_usd += charges
        episode.revenue_usd += row.revenue_usd
    _date_payments(config, records, episodes)


def _date_payments(config: SimiopConfig, records: Records, episodes: dict[int, Episode]) -> None:
    """Each day's cash date: the day of service plus a lag drawn from the payer's own stream."""
    streams = RandomStreams(records.seed, records.replication)
    paid_by_payer: dict[str, list[PatientDay]] = defaultdict(list)  # in the order the days happened
    for row in records.patient_days:
        row.paid_day = float(row.day)
        if row.revenue_usd > 0:
            paid_by_payer[episodes[row.episode_id].payer].append(row)
    for name, payer in config.money.payers.items():
        rows = paid_by_payer[name]
        lag = payer.payment_lag_days
        if lag is None or not rows:
            continue
        lags = lag.sample(streams.get(f"money.payment_lag.{name}"), len(rows)).tolist()
        for row, days in zip(rows, lags, strict=True):
            row.paid_day = row.day + days


def totals(config: SimiopConfig, records: Records, from_day: float = 0.0) -> Billing:
    """Revenue and cost from ``from_day`` on (the warm-up), from a billed run; changes nothing."""
    payer_of = {episode.episode_id: episode.payer for episode in records.episodes}
    revenue_by_payer: dict[str, float] = defaultdict(float)
    attended_by_payer: dict[str, int] = defaultdict(int)
    billable_by_payer: dict[str, int] = defaultdict(int)
    week_hours: dict[tuple[int, int], float] = defaultdict(float)
    unbilled = dict.fromkeys(UNBILLED_REASONS, 0)
    attended = billable = billable_4plus = 0
    per_diem_total = per_diem_4plus = professional_total = payer_total = patient_total = collected_total = 0.0
    cash = unpaid = 0.0
    for row in records.patient_days:
        if from_day <= row.paid_day < records.horizon_days:
            cash += row.revenue_usd
        if row.day < from_day:
            continue
        if row.paid_day >= records.horizon_days:
            unpaid += row.revenue_usd
        attended += 1
        payer = payer_of[row.episode_id]
        week_hours[(row.episode_id, row.week)] += row.hours
        revenue_by_payer[payer] += row.revenue_usd
        attended_by_payer[payer] += 1
        per_diem_total += row.per_diem_usd
        per_diem_4plus += row.per_diem_usd if row.four_plus else 0.0
        professional_total += row.professional_usd
        payer_total += row.payer_paid_usd
        patient_total += row.patient_share_usd
        collected_total += row.revenue_usd - row.payer_paid_usd
        if row.billable:
            billable += 1
            billable_by_payer[payer] += 1
            billable_4plus += int(row.four_plus)
        else:
            unbilled[row.reason] += 1
    staff_cost_by_role: dict[str, float] = defaultdict(float)
    for staff_day in records.staff_days:
        if staff_day.day < from_day:
            continue
        daily = daily_staff_cost_usd(config.staff.roles[staff_day.role])
        staff_cost_by_role[staff_day.role] += daily * staff_day.employed_fte
    # The same whole days as the staff rows above: day d counts when d >= from_day.
    days_counted = max(0, math.ceil(records.horizon_days) - max(0, math.ceil(from_day)))
    return Billing(
        attended_days=attended,
        billable_days=billable,
        billable_days_4plus=billable_4plus,
        patient_weeks=len(week_hours),
        patient_weeks_meeting_9h=sum(1 for hours in week_hours.values() if meets_standard(hours)),
        per_diem_usd=per_diem_total,
        per_diem_4plus_usd=per_diem_4plus,
        professional_usd=professional_total,
        payer_paid_usd=payer_total,
        patient_share_usd=patient_total,
        patient_collected_usd=collected_total,
        revenue_usd=sum(revenue_by_payer.values()),
        cash_collected_usd=cash,
        unpaid_at_horizon_usd=unpaid,
        revenue_by_payer_usd=dict(sorted(revenue_by_payer.items())),
        attended_days_by_payer=dict(sorted(attended_by_payer.items())),
        billable_days_by_payer=dict(sorted(billable_by_payer.items())),
        unbilled_days_by_reason=unbilled,
        staff_cost_usd=sum(staff_cost_by_role.values()),
        staff_cost_by_role_usd=dict(sorted(staff_cost_by_role.items())),
        fixed_cost_usd=config.money.fixed_costs_usd_per_year * days_counted / DAYS_PER_YEAR,
    )
