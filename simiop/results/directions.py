"""Which way is better for every KPI: the one registry comparisons, figures and headlines read.

A comparison says a scenario is *better* or *worse* than the base only where
the clinic's goals give the KPI a direction: more people served and more
revenue are better, a longer wait, a higher cost and more cancelled groups are
worse. Many KPIs have no better direction (``none``): inputs (referrals),
composition (length of stay, the share of dropouts in the first 14 days) and
quantities with a target band rather than a direction (occupancy, staff
utilisation, where both too low and too high are bad). Those are never called
better or worse.

Decisions reviewed for issue 20:

- ``occupancy_<track>`` and ``staff_utilisation_<role>``: none. Higher looks
  like efficiency, but a full track turns referrals away and staff with no
  slack cancel groups and miss care; lower wastes paid seats and hours. Their
  bad side is said where it binds: simiop/results/constraints.py names a track
  at 85% mean occupancy and a role at 90% utilisation. Colouring a rise green
  would praise the scenario that turns people away.
- ``admissions``: higher. With the same referrals, each admission is someone
  let into care rather than lost at intake or on the wait list, and admissions
  are what a programme's access is counted in. Readmissions count too, so the
  goal a headline names is ``unduplicated_patients_served``, also higher.
- ``group_days_run`` and ``group_days_scheduled``: none. More groups run may be
  fewer cancellations (those are lower-is-better KPIs of their own) or simply
  more groups scheduled, at more cost.

A KPI is looked up by its exact name first, then by the longest matching
prefix (the families named per track, role, payer, shift or reason:
``occupancy_day``, ``revenue_usd_medicaid``). A KPI with no entry raises
KeyError, and tests/test_directions.py runs every shipped config and fails when
a KPI has no declared direction, so a new KPI cannot be added without one.
"""

from __future__ import annotations

from typing import Final, Literal

Better = Literal["higher", "lower", "none"]
"""The direction in which a KPI is better; ``none``: neither (an input, a mix, a target band)."""

Verdict = Literal["better", "worse", "unclear", "neutral"]
"""A scenario's KPI against the base: better or worse when the paired 95% CI excludes zero, unclear when
it does not (or every pair is equal, or there are too few pairs), neutral when the KPI has no direction."""

HIGHER: Final = "higher"
LOWER: Final = "lower"
NONE: Final = "none"

BETTER: Final[dict[str, Better]] = {
    # Flow: people reached, admitted, served, and how their stays end.
    "referrals": NONE,
    "readmission_referrals": NONE,
    "assessments": NONE,
    "admissions": HIGHER,
    "unduplicated_patients_served": HIGHER,
    "completions": HIGHER,
    "dropouts": LOWER,
    "step_ups": NONE,
    "administrative_discharges": LOWER,
    "censored": NONE,
    "end_state_lost_before_contact": LOWER,
    "end_state_gave_up_before_intake": LOWER,
    "end_state_no_show_at_intake": LOWER,
    "end_state_redirected_step_up": NONE,
    "end_state_redirected_outpatient": NONE,
    "end_state_declined": NONE,
    "end_state_left_track_full": LOWER,
    "end_state_left_wait_list": LOWER,
    "end_state_no_start": LOWER,
    "end_state_completed": HIGHER,
    "end_state_dropout": LOWER,
    "end_state_step_up": NONE,
    "end_state_administrative": LOWER,
    "end_state_censored_waiting_for_intake": NONE,
    "end_state_censored_on_wait_list": NONE,
    "end_state_censored_in_programme": NONE,
    "no_starts": LOWER,
    "no_start_share_of_admissions": LOWER,
    "completion_share_of_discharges": HIGHER,
    "dropout_share_of_discharges": LOWER,
    "dropouts_within_14_days_share": NONE,
    "intake_days_booked_ahead_mean": LOWER,  # a crowded intake book: fewer come, more give up
    "warm_handoffs": HIGHER,
    "step_down_start_within_2_days_share": HIGHER,
    "step_down_start_within_5_days_share": HIGHER,
    "step_down_days_to_start_median": LOWER,
    "recertifications": NONE,
    "recertifications_stopped": NONE,
    "max_stay_discharges": NONE,
    "stays_over_60_days_share": NONE,
    # Care delivered.
    "attendance_rate": HIGHER,
    "group_days_scheduled": NONE,
    "group_days_run": NONE,
    "group_days_merged": NONE,
    "group_days_covered": NONE,
    "group_size_largest": NONE,
    "group_size_mean_attending": NONE,
    "individual_therapy_weekly_coverage": HIGHER,
    "share_attended_days_4plus_services": HIGHER,
    "share_patient_weeks_meeting_9h": HIGHER,
    "cover_hours": NONE,
    # Money.
    "authorization_reviews": NONE,
    "authorization_denials": LOWER,
    "attended_days": HIGHER,
    "billable_days": HIGHER,
    "billable_days_4plus_services": HIGHER,
    "billable_share_of_attended_days": HIGHER,
    "per_diem_charges_usd": HIGHER,
    "per_diem_basic_charges_usd": HIGHER,
    "per_diem_4plus_charges_usd": HIGHER,
    "professional_fees_usd": HIGHER,
    "charges_usd": HIGHER,
    "payer_payments_usd": HIGHER,
    "patient_share_usd": HIGHER,
    "patient_share_collected_usd": HIGHER,
    "revenue_usd": HIGHER,
    "cash_collected_usd": HIGHER,
    "revenue_unpaid_at_horizon_usd": LOWER,
    "cover_cost_usd": LOWER,
    "staff_cost_usd": LOWER,
    "fixed_cost_usd": LOWER,
    "total_cost_usd": LOWER,
    "cost_per_admission_usd": LOWER,
    "cost_per_completed_episode_usd": LOWER,
    "simulated_events": NONE,
}
"""KPIs with a fixed name -> the direction in which they are better."""

BETTER_BY_PREFIX: Final[dict[str, Better]] = {
    "wait_": LOWER,  # every wait statistic (mean, median, p90) and the mean wait list of each track
    "dropouts_": LOWER,  # dropouts by week of stay
    "length_of_stay_": NONE,  # neither: a longer stay is more care and more cost
    "census_mean_": NONE,
    "occupancy_": NONE,  # a target band: too full turns people away, too empty costs money
    "group_days_cancelled_": LOWER,  # every reason, in total and per track
    "individual_therapy_weekly_coverage_": HIGHER,  # per track
    "staff_utilisation_": NONE,  # a target band, per role and per shift
    "staff_contracted_share_": NONE,
    "staff_direct_hours_per_day_": NONE,
    "caseload_mean_per_fte_": NONE,
    "care_missed_": LOWER,  # per care kind and reason
    "billable_share_": HIGHER,  # per payer
    "unbilled_days_": LOWER,  # per reason
    "revenue_usd_": HIGHER,  # per payer
}
"""KPI families named per track, role, shift, payer or reason: prefix -> direction (longest prefix wins)."""


def better_direction(kpi: str) -> Better:
    """The direction in which ``kpi`` is better; KeyError names a KPI the registry does not know."""
    if kpi in BETTER:
        return BETTER[kpi]
    prefixes = [prefix for prefix in BETTER_BY_PREFIX if kpi.startswith(prefix)]
    if not prefixes:
        raise KeyError(f"KPI {kpi!r} has no declared better direction: add it to {__name__}")
    return BETTER_BY_PREFIX[max(prefixes, key=len)]


def verdict(kpi: str, direction: str) -> Verdict:
    """better/worse/unclear/neutral from comparison.csv's ``direction`` (higher, lower, unclear, same, '')."""
    better = better_direction(kpi)
    if better == NONE:
        return "neutral"
    if direction not in (HIGHER, LOWER):
        return "unclear"
    return "better" if direction == better else "worse"
