"""Key performance indicators of one replication, named with their units.

Flow counts and waits use referrals made on or after the warm-up; census,
staff and money use days on or after it. The warm-up is whole days (the
config rounds a part day up), so both start at the same midnight. With no
warm-up (a clinic opening from empty) everything counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import numpy as np

from simiop.config.model import SimiopConfig
from simiop.model.money import totals
from simiop.model.records import CENSORED, DISCHARGES, END_STATES, Records

_NAN = float("nan")


def _stats(prefix: str, values: Iterable[float]) -> dict[str, float]:
    data = np.fromiter(values, dtype=float)
    if data.size == 0:
        return {f"{prefix}_mean": _NAN, f"{prefix}_median": _NAN, f"{prefix}_p90": _NAN}
    return {
        f"{prefix}_mean": float(data.mean()),
        f"{prefix}_median": float(np.median(data)),
        f"{prefix}_p90": float(np.quantile(data, 0.9)),
    }


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else _NAN


def compute_kpis(config: SimiopConfig, records: Records) -> dict[str, float]:
    """Every KPI of DESIGN.md for one replication, in a stable order."""
    warmup = config.simulation.warmup_days
    episodes = [e for e in records.episodes if e.referred_day >= warmup]
    states = Counter(e.end_state for e in episodes)
    admitted = [e for e in episodes if e.admitted_day is not None]
    discharged = [e for e in admitted if e.end_state in DISCHARGES]
    kpis: dict[str, float] = {
        "referrals": len(episodes),
        "readmission_referrals": sum(1 for e in episodes if e.readmission_of is not None),
        "assessments": sum(1 for e in episodes if e.assessed_day is not None),
        "admissions": len(admitted),
        "completions": states["completed"],
        "dropouts": states["dropout"],
        "step_ups": states["step_up"],
        "administrative_discharges": states["administrative"],
        "unduplicated_patients_served": len({e.patient_id for e in admitted}),
        "censored": sum(states[s] for s in CENSORED),
    }
    kpis.update({f"end_state_{state}": states[state] for state in END_STATES})
    kpis.update(
        _stats(
            "wait_referral_to_assessment_days",
            (e.assessed_day - e.referred_day for e in episodes if e.assessed_day is not None),
        )
    )
    kpis.update(
        _stats(
            "wait_assessment_to_admission_days",
            (
                e.admitted_day - e.assessed_day
                for e in admitted
                if e.admitted_day is not None and e.assessed_day is not None
            ),
        )
    )
    kpis.update(
        _stats(
            "wait_referral_to_admission_days", ((e.admitted_day or 0.0) - e.referred_day for e in admitted)
        )
    )
    kpis.update(
        _stats("length_of_stay_days", ((e.ended_day or 0.0) - (e.admitted_day or 0.0) for e in discharged))
    )
    kpis["length_of_stay_programme_days_mean"] = (
        float(np.mean([e.programme_days for e in discharged])) if discharged else _NAN
    )

    days = [row for row in records.track_days if row.day >= warmup]
    for track, spec in config.tracks.items():
        if not spec.enabled:
            continue
        rows = [row for row in days if row.track == track]
        census = float(np.mean([row.census for row in rows])) if rows else _NAN
        kpis[f"census_mean_{track}"] = census
        kpis[f"occupancy_{track}"] = _ratio(census, spec.seats)
        kpis[f"wait_list_mean_{track}"] = float(np.mean([row.wait_list for row in rows])) if rows else _NAN
    attended = sum(row.attended for row in days)
    kpis["attendance_rate"] = _ratio(attended, attended + sum(row.absent for row in days))
    for field in (
        "groups_scheduled",
        "groups_run",
        "groups_merged",
        "cancelled_too_few",
        "cancelled_no_facilitator",
        "cancelled_no_room",
    ):
        kpis[f"group_sessions_{field.removeprefix('groups_')}"] = sum(getattr(row, field) for row in days)
    kpis["group_size_largest"] = max((row.largest_group for row in days), default=0)
    sessions_per_day = {name: t.group_sessions_per_day for name, t in config.tracks.items()}
    held = sum(row.groups_run * sessions_per_day[row.track] for row in days)
    kpis["group_size_mean_attending"] = _ratio(sum(row.group_attendances for row in days), held)

    staff = [row for row in records.staff_days if row.day >= warmup]
    for role, role_spec in config.staff.roles.items():
        role_rows = [row for row in staff if row.role == role]
        employed_fte_days = sum(row.employed_fte for row in role_rows)
        available = employed_fte_days * role_spec.weekly_hours / 7.0
        kpis[f"staff_utilisation_{role}"] = _ratio(sum(row.hours for row in role_rows), available)
        kpis[f"caseload_mean_per_fte_{role}"] = _ratio(
            sum(row.caseload for row in role_rows), employed_fte_days
        )

    billing = totals(config, records, warmup)
    kpis["authorization_reviews"] = sum(e.authorization_reviews for e in admitted)
    kpis["authorization_denials"] = sum(e.authorization_denied for e in admitted)
    kpis["attended_days"] = billing.attended_days
    kpis["billable_days"] = billing.billable_days
    kpis["billable_days_4plus_services"] = billing.billable_days_4plus
    kpis["billable_share_of_attended_days"] = _ratio(billing.billable_days, billing.attended_days)
    for payer in config.money.payers:
        kpis[f"billable_share_{payer}"] = _ratio(
            billing.billable_days_by_payer.get(payer, 0), billing.attended_days_by_payer.get(payer, 0)
        )
    for reason, days_unbilled in billing.unbilled_days_by_reason.items():
        kpis[f"unbilled_days_{reason}"] = days_unbilled
    kpis["share_patient_weeks_meeting_9h"] = _ratio(billing.patient_weeks_meeting_9h, billing.patient_weeks)
    kpis["per_diem_charges_usd"] = billing.per_diem_usd
    kpis["per_diem_basic_charges_usd"] = billing.per_diem_usd - billing.per_diem_4plus_usd
    kpis["per_diem_4plus_charges_usd"] = billing.per_diem_4plus_usd
    kpis["professional_fees_usd"] = billing.professional_usd
    kpis["charges_usd"] = billing.per_diem_usd + billing.professional_usd
    kpis["payer_payments_usd"] = billing.payer_paid_usd
    kpis["patient_share_usd"] = billing.patient_share_usd
    kpis["patient_share_collected_usd"] = billing.patient_collected_usd
    kpis["revenue_usd"] = billing.revenue_usd
    for payer in config.money.payers:
        kpis[f"revenue_usd_{payer}"] = billing.revenue_by_payer_usd.get(payer, 0.0)
    kpis["cash_collected_usd"] = billing.cash_collected_usd
    kpis["revenue_unpaid_at_horizon_usd"] = billing.unpaid_at_horizon_usd
    kpis["staff_cost_usd"] = billing.staff_cost_usd
    kpis["fixed_cost_usd"] = billing.fixed_cost_usd
    total_cost = billing.staff_cost_usd + billing.fixed_cost_usd
    kpis["total_cost_usd"] = total_cost
    kpis["cost_per_admission_usd"] = _ratio(total_cost, len(admitted))
    kpis["cost_per_completed_episode_usd"] = _ratio(total_cost, states["completed"])
    kpis["simulated_events"] = records.events
    return {name: float(value) for name, value in kpis.items()}
