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
