"""Key performance indicators of one replication, named with their units.

Flow counts and waits use referrals made on or after the warm-up; census,
staff and money use days on or after it. The warm-up is whole days (the
config rounds a part day up), so both start at the same midnight. With no
warm-up (a clinic opening from empty) everything counts.

Everything is read from the run's columns and its bill (simiop/billing.py),
made once per run; sums add in row order, as the loops they replaced did, so
each KPI is the same to the last bit. The KPIs of staff time on the clock
(direct hours per person-day, services per patient-day, missed care) are read
from the sessions, the source of truth the tests check: see
simiop/results/session_kpis.py.
"""

from __future__ import annotations

import numpy as np

from simiop.billing import COVER_COST, BilledRun, bill, running_sum, totals
from simiop.config.model import SimiopConfig
from simiop.model.records import CENSORED, COMPLETED, DISCHARGES, DROPOUT, END_STATES, NO_START, Records
from simiop.results.columns import Columns
from simiop.results.intake_kpis import intake_booked_ahead
from simiop.results.labels import DISCHARGE_KPIS, end_state_kpi
from simiop.results.session_kpis import (
    cancellations_by_track,
    direct_hours_kpis,
    four_plus_share,
    groups_covered,
    missed_care_kpis,
    shift_utilisation,
    weekly_individual_coverage,
)
from simiop.results.step_down import step_down_kpis

_NAN = float("nan")


def _stats(prefix: str, data: np.ndarray) -> dict[str, float]:
    if data.size == 0:
        return {f"{prefix}_mean": _NAN, f"{prefix}_median": _NAN, f"{prefix}_p90": _NAN}
    return {
        f"{prefix}_mean": float(data.mean()),
        f"{prefix}_median": float(np.median(data)),
        f"{prefix}_p90": float(np.quantile(data, 0.9)),
    }


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else _NAN


def _int_sum(values: np.ndarray) -> int:
    return int(values.sum())


def _optional_sum(columns: Columns, name: str, rows: np.ndarray) -> float:
    """The sum of a column the records may not have (0.0 without it), in row order."""
    return running_sum(columns.array(name)[rows]) if name in columns.names else 0.0


def stay_limit_kpis(
    episodes: Columns, admitted: np.ndarray, discharged: np.ndarray, stay_days: np.ndarray
) -> dict[str, float]:
    """Recertifications held and stopped (admitted episodes), stays ended by the maximum stay, and the
    share of discharges whose stay ran over 60 calendar days (the long tail recertification cuts)."""
    over = int(np.count_nonzero(stay_days[discharged] > 60.0))
    return {
        "recertifications": _int_sum(episodes.array("recertifications", "int")[admitted]),
        "recertifications_stopped": _int_sum(episodes.array("recertification_stopped", "int")[admitted]),
        "max_stay_discharges": _int_sum(episodes.array("max_stay_discharge", "int")[discharged]),
        "stays_over_60_days_share": _ratio(over, int(np.count_nonzero(discharged))),
    }


DROPOUT_WEEKS = (("dropouts_week_1", 0, 7), ("dropouts_week_2", 7, 14), ("dropouts_weeks_3_4", 14, 28))
"""Dropouts by calendar week of stay (ended - admitted, days): KPI, from, to; later: dropouts_after_week_4."""


def disengagement_kpis(
    states: dict[str, int], admissions: int, dropout_stays: np.ndarray
) -> dict[str, float]:
    """No-starts, the discharge mix as shares of discharges, and when dropouts leave.

    ``states``: episodes per end state; ``dropout_stays``: each dropout's stay in days (ended - admitted).
    Discharges (the published denominator) are completed, dropout, step-up and administrative: a no-start
    is not one. Dropout "within 14 days" is a stay of at most 14 days (front-loading, docs/outputs.md).
    """
    discharges = sum(states[state] for state in DISCHARGES)
    kpis: dict[str, float] = {
        "no_starts": states[NO_START],
        "no_start_share_of_admissions": _ratio(states[NO_START], admissions),
        "completion_share_of_discharges": _ratio(states[COMPLETED], discharges),
        "dropout_share_of_discharges": _ratio(states[DROPOUT], discharges),
    }
    for name, low, high in DROPOUT_WEEKS:
        kpis[name] = int(np.count_nonzero((dropout_stays >= low) & (dropout_stays < high)))
    kpis["dropouts_after_week_4"] = int(np.count_nonzero(dropout_stays >= DROPOUT_WEEKS[-1][2]))
    kpis["dropouts_within_14_days_share"] = _ratio(
        int(np.count_nonzero(dropout_stays <= 14.0)), dropout_stays.size
    )
    return kpis


def compute_kpis(config: SimiopConfig, run: BilledRun | Records) -> dict[str, float]:
    """Every KPI of DESIGN.md for one replication, in a stable order (records are billed first)."""
    run = run if isinstance(run, BilledRun) else bill(config, run)
    warmup = config.simulation.warmup_days
    columns = run.columns
    episodes = columns.episodes
    counted = episodes.array("referred_day") >= warmup
    end_state = columns.end_states()
    state_counts = np.bincount(end_state[counted], minlength=len(END_STATES))
    states = dict(zip(END_STATES, state_counts.tolist(), strict=True))
    admitted_day_all = episodes.array("admitted_day")
    admitted = counted & ~np.isnan(admitted_day_all)
    discharged = admitted & columns.discharged()
    referred = episodes.array("referred_day")
    assessed = episodes.array("assessed_day")
    ended = episodes.array("ended_day")
    was_assessed = counted & ~np.isnan(assessed)
    served = admitted & (end_state != END_STATES.index(NO_START))
    kpis: dict[str, float] = {
        "referrals": int(counted.sum()),
        "readmission_referrals": int(np.count_nonzero(~np.isnan(episodes.array("readmission_of"))[counted])),
        "assessments": int(was_assessed.sum()),
        "admissions": int(admitted.sum()),
        **{kpi: states[state] for state, kpi in DISCHARGE_KPIS.items()},
        "unduplicated_patients_served": len(set(episodes.array("patient_id", "int")[served].tolist())),
        "censored": sum(states[s] for s in CENSORED),
    }
    kpis.update({end_state_kpi(state): states[state] for state in END_STATES})
    dropped = counted & (end_state == END_STATES.index(DROPOUT))
    kpis.update(disengagement_kpis(states, int(admitted.sum()), ended[dropped] - admitted_day_all[dropped]))
    kpis.update(_stats("wait_referral_to_assessment_days", assessed[was_assessed] - referred[was_assessed]))
    kpis.update(intake_booked_ahead(episodes, columns.bookings, counted))
    both = admitted & ~np.isnan(assessed)
    kpis.update(_stats("wait_assessment_to_admission_days", admitted_day_all[both] - assessed[both]))
    kpis.update(_stats("wait_referral_to_admission_days", admitted_day_all[admitted] - referred[admitted]))
    kpis.update(step_down_kpis(episodes, counted))
    kpis.update(
        _stats(
            "length_of_stay_days",
            np.nan_to_num(ended[discharged], nan=0.0) - admitted_day_all[discharged],
        )
    )
    kpis.update(stay_limit_kpis(episodes, admitted, discharged, ended - admitted_day_all))
    programme_days = episodes.array("programme_days", "int")[discharged]
    kpis["length_of_stay_programme_days_mean"] = float(programme_days.mean()) if programme_days.size else _NAN

    days = columns.track_days
    in_days = days.array("day", "int") >= warmup
    tracks = list(config.tracks)
    track = days.codes("track", tracks)
    census_all, wait_all = days.array("census", "int"), days.array("wait_list", "int")
    for position, (name, spec) in enumerate(config.tracks.items()):
        if not spec.enabled:
            continue
        rows = in_days & (track == position)
        census = float(census_all[rows].mean()) if rows.any() else _NAN
        kpis[f"census_mean_{name}"] = census
        kpis[f"occupancy_{name}"] = _ratio(census, spec.seats)
        kpis[f"wait_list_mean_{name}"] = float(wait_all[rows].mean()) if rows.any() else _NAN
    attended = _int_sum(days.array("attended", "int")[in_days])
    kpis["attendance_rate"] = _ratio(attended, attended + _int_sum(days.array("absent", "int")[in_days]))
    for field in (
        "groups_scheduled",
        "groups_run",
        "groups_merged",
        "cancelled_too_few",
        "cancelled_no_facilitator",
        "cancelled_no_room",
    ):
        kpis[f"group_days_{field.removeprefix('groups_')}"] = _int_sum(days.array(field, "int")[in_days])
    kpis.update(cancellations_by_track(config, columns, warmup))
    kpis["group_days_covered"] = groups_covered(columns.sessions, warmup)
    largest = days.array("largest_group", "int")[in_days]
    kpis["group_size_largest"] = int(largest.max()) if largest.size else 0
    sessions_per_day = np.array([t.group_sessions_per_day for t in config.tracks.values()], dtype=np.int64)
    held = _int_sum((days.array("groups_run", "int") * sessions_per_day[track])[in_days])
    kpis["group_size_mean_attending"] = _ratio(
        _int_sum(days.array("group_attendances", "int")[in_days]), held
    )

    staff = columns.staff_days
    in_staff = staff.array("day", "int") >= warmup
    roles = list(config.staff.roles)
    role = staff.codes("role", roles)
    # A row's hours in the order StaffDay.hours adds them; builtin sum() over the rows, as before.
    hours = (
        staff.array("group_hours")
        + staff.array("individual_hours")
        + staff.array("prescriber_hours")
        + staff.array("family_hours")
        + staff.array("intake_hours")
    )
    employed, caseload = staff.array("employed_fte"), staff.array("caseload", "int")
    direct: dict[str, float] = {}
    direct_capacity: dict[str, float] = {}
    for position, (name, role_spec) in enumerate(config.staff.roles.items()):
        rows = in_staff & (role == position)
        employed_fte_days = sum(employed[rows].tolist())
        paid = employed_fte_days * role_spec.weekly_hours / 7.0
        # Direct-care hours the paid hours allow: the rest is documentation, meetings and supervision.
        direct_capacity[name] = paid - role_spec.non_direct_share * paid
        direct[name] = sum(hours[rows].tolist())
        kpis[f"staff_utilisation_{name}"] = _ratio(direct[name], direct_capacity[name])
        kpis[f"staff_contracted_share_{name}"] = _ratio(direct[name], paid)
        kpis[f"caseload_mean_per_fte_{name}"] = _ratio(_int_sum(caseload[rows]), employed_fte_days)
    kpis.update(shift_utilisation(config, direct, direct_capacity))
    kpis.update(direct_hours_kpis(columns.sessions, roles, warmup))
    kpis["cover_hours"] = _optional_sum(staff, "cover_hours", in_staff)
    kpis["cover_cost_usd"] = _optional_sum(staff, COVER_COST, in_staff)

    billing = totals(config, run, warmup)
    kpis["authorization_reviews"] = _int_sum(episodes.array("authorization_reviews", "int")[admitted])
    kpis["authorization_denials"] = _int_sum(episodes.array("authorization_denied", "int")[admitted])
    kpis["attended_days"] = billing.attended_days
    kpis["billable_days"] = billing.billable_days
    kpis["billable_days_4plus_services"] = billing.billable_days_4plus
    kpis["share_attended_days_4plus_services"] = four_plus_share(columns.sessions, attended, warmup)
    if config.services.individual_therapy is not None:
        kpis.update(
            weekly_individual_coverage(
                config, columns, run.episode_of_day, warmup, (run.weeks[0], run.week_of_day)
            )
        )
    kpis.update(missed_care_kpis(config, columns.sessions, warmup))
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
    kpis["cost_per_admission_usd"] = _ratio(total_cost, kpis["admissions"])
    kpis["cost_per_completed_episode_usd"] = _ratio(total_cost, states[COMPLETED])
    kpis["simulated_events"] = columns.events
    return {name: float(value) for name, value in kpis.items()}
