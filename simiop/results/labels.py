"""Names people read: the headline KPIs with labels and formats, and a short label for every end state.

Shared by the terminal summary, the KPIs, the figures and the report, so an
end state is named in one place (its string is simiop.model.records.EndState).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the command line imports this module: it must not load the model
    from simiop.model.records import EndState

END_STATE_LABELS: dict[EndState, str] = {
    "lost_before_contact": "never reached",
    "gave_up_before_intake": "gave up",
    "no_show_at_intake": "no-show",
    "redirected_step_up": "to higher care",
    "redirected_outpatient": "to outpatient",
    "declined": "declined",
    "left_track_full": "track full",
    "left_wait_list": "left wait list",
    "no_start": "no-start",
    "completed": "completed",
    "dropout": "dropout",
    "step_up": "step-up",
    "administrative": "administrative",
    "censored_waiting_for_intake": "still waiting",
    "censored_on_wait_list": "still waiting",
    "censored_in_programme": "still in programme",
}
"""A short label for each end state, as figures show it (every state has one; mypy checks the keys)."""

DISCHARGE_KPIS: dict[EndState, str] = {
    "completed": "completions",
    "dropout": "dropouts",
    "step_up": "step_ups",
    "administrative": "administrative_discharges",
}
"""The KPI counting each kind of discharge, in KPI order."""


def end_state_kpi(state: EndState) -> str:
    """The KPI counting referrals that ended in ``state`` (one per end state)."""
    return f"end_state_{state}"


INTAKE_BOOKED_AHEAD = "intake_days_booked_ahead_mean"
"""KPI: mean days from a counted referral's first intake booking to its assessment slot, the lead time
included (simiop/results/intake_kpis.py); here so that the constraints read it without loading the model."""


HEADLINE = (
    ("referrals", "referrals", "{:.0f}"),
    ("admissions", "admissions", "{:.0f}"),
    ("unduplicated_patients_served", "patients served (unduplicated)", "{:.0f}"),
    ("completions", "completions", "{:.0f}"),
    ("dropouts", "dropouts", "{:.0f}"),
    ("step_ups", "step-ups", "{:.0f}"),
    ("censored", "still waiting or in programme at the horizon", "{:.0f}"),
    ("wait_referral_to_admission_days_median", "median wait referral -> admission (days)", "{:.1f}"),
    ("length_of_stay_days_mean", "mean length of stay (days)", "{:.1f}"),
    ("attendance_rate", "attendance rate", "{:.1%}"),
    ("revenue_usd", "revenue (USD)", "{:,.0f}"),
    ("total_cost_usd", "total cost (USD)", "{:,.0f}"),
    ("cost_per_completed_episode_usd", "cost per completed episode (USD)", "{:,.0f}"),
)
"""KPIs shown after a run and at the top of a report: (name, label, format). Every KPI is in summary.csv."""

PATIENT_FLOW = (
    (INTAKE_BOOKED_AHEAD, "days intake slots are booked ahead (first booking to assessment, mean)", "{:.1f}"),
    ("end_state_gave_up_before_intake", "referrals that gave up before assessment", "{:.0f}"),
    ("no_starts", "no-starts (admitted, never attended a day; not served)", "{:.0f}"),
    ("completion_share_of_discharges", "completions / discharges", "{:.1%}"),
    ("dropout_share_of_discharges", "dropouts / discharges", "{:.1%}"),
    ("dropouts_within_14_days_share", "dropouts within 14 days of admission / dropouts", "{:.1%}"),
    ("dropouts_week_1", "dropouts in week 1 of the stay", "{:.0f}"),
    ("dropouts_week_2", "dropouts in week 2", "{:.0f}"),
    ("dropouts_weeks_3_4", "dropouts in weeks 3-4", "{:.0f}"),
    ("dropouts_after_week_4", "dropouts after week 4", "{:.0f}"),
    ("warm_handoffs", "step-downs handed off warm", "{:.0f}"),
    ("step_down_start_within_2_days_share", "step-downs starting within 2 days (of those in 10)", "{:.1%}"),
    ("step_down_start_within_5_days_share", "step-downs starting within 5 days (of those in 10)", "{:.1%}"),
    ("step_down_days_to_start_median", "median days from step-down referral to start", "{:.1f}"),
    ("recertifications", "plan-of-care recertifications", "{:.0f}"),
    ("recertifications_stopped", "recertifications not granted (stay ended)", "{:.0f}"),
    ("max_stay_discharges", "stays ended at the maximum stay", "{:.0f}"),
    ("stays_over_60_days_share", "stays over 60 days / discharges", "{:.1%}"),
)
"""The report's patient-flow table (issue 19): how far ahead intake is booked and who gave up waiting for
it, how patients leave and how fast step-downs start, the
figures docs/validation.md sets beside published ranges: (name, label, format)."""
