"""Money: per-diem revenue by payer's billing rules, and staff and fixed costs.

Revenue follows each payer's rules per attended day: at least
min_services_per_day services that day, a patient-week reaching
min_weekly_hours (Medicare's 9 h), and the 4+ services rate where set.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from simiop.config.model import SimiopConfig
from simiop.config.staff import StaffRole
from simiop.model.records import Records

DAYS_PER_YEAR = 365.25
STANDARD_WEEKLY_HOURS = 9.0
"""The weekly service hours an IOP patient-week should reach (Medicare's 9 h); KPIs report the share."""


def meets_standard(hours: float) -> bool:
    """Whether a patient-week's hours reach the 9-hour standard (with float rounding tolerance)."""
    return hours >= STANDARD_WEEKLY_HOURS - 1e-9


@dataclass(frozen=True)
class Billing:
    """Totals of one run, from the warm-up on."""

    billable_days: int
    billable_days_4plus: int
    patient_weeks: int
    patient_weeks_meeting_9h: int
    revenue_usd: float
    revenue_by_payer_usd: dict[str, float]
    staff_cost_usd: float
    staff_cost_by_role_usd: dict[str, float]
    fixed_cost_usd: float


def daily_staff_cost_usd(role: StaffRole) -> float:
    """Salary and benefits of one FTE for one calendar day (cost accrues every day, open or not)."""
    return role.annual_salary_usd * (1.0 + role.benefits_rate) / DAYS_PER_YEAR


def bill(config: SimiopConfig, records: Records) -> None:
    """Apply the payers' rules to every attended day, once, at the end of the run.

    Fills each PatientDay's billable flag and revenue and each episode's totals.
    """
    episodes = {episode.episode_id: episode for episode in records.episodes}
    week_hours: dict[tuple[int, int], float] = defaultdict(float)
    for row in records.patient_days:
        week_hours[(row.episode_id, row.week)] += row.hours
    for row in records.patient_days:
        episode = episodes[row.episode_id]
        payer = config.money.payers[episode.payer]
        if row.services < payer.min_services_per_day:
            continue
        if week_hours[(row.episode_id, row.week)] < payer.min_weekly_hours - 1e-9:
            continue
        row.four_plus = row.services >= 4 and payer.per_diem_4plus_services_usd is not None
        rate = payer.per_diem_4plus_services_usd if row.four_plus else payer.per_diem_usd
        row.billable = True
        row.revenue_usd = float(rate or 0.0) * payer.collection_rate
        episode.billable_days += 1
        episode.revenue_usd += row.revenue_usd


def totals(config: SimiopConfig, records: Records, from_day: float = 0.0) -> Billing:
    """Revenue and cost from ``from_day`` on (the warm-up), from a billed run; changes nothing."""
    payer_of = {episode.episode_id: episode.payer for episode in records.episodes}
    revenue_by_payer: dict[str, float] = defaultdict(float)
    week_hours: dict[tuple[int, int], float] = defaultdict(float)
    billable = billable_4plus = 0
    for row in records.patient_days:
        if row.day < from_day:
            continue
        week_hours[(row.episode_id, row.week)] += row.hours
        if row.billable:
            billable += 1
            billable_4plus += int(row.four_plus)
            revenue_by_payer[payer_of[row.episode_id]] += row.revenue_usd
    staff_cost_by_role: dict[str, float] = defaultdict(float)
    for staff_day in records.staff_days:
        if staff_day.day < from_day:
            continue
        daily = daily_staff_cost_usd(config.staff.roles[staff_day.role])
        staff_cost_by_role[staff_day.role] += daily * staff_day.employed_fte
    # The same whole days as the staff rows above: day d counts when d >= from_day.
    days_counted = max(0, math.ceil(records.horizon_days) - max(0, math.ceil(from_day)))
    return Billing(
        billable_days=billable,
        billable_days_4plus=billable_4plus,
        patient_weeks=len(week_hours),
        patient_weeks_meeting_9h=sum(1 for hours in week_hours.values() if meets_standard(hours)),
        revenue_usd=sum(revenue_by_payer.values()),
        revenue_by_payer_usd=dict(sorted(revenue_by_payer.items())),
        staff_cost_usd=sum(staff_cost_by_role.values()),
        staff_cost_by_role_usd=dict(sorted(staff_cost_by_role.items())),
        fixed_cost_usd=config.money.fixed_costs_usd_per_year * days_counted / DAYS_PER_YEAR,
    )
