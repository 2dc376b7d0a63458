"""Names people read: the headline KPIs with labels and formats, and a short label for every end state.

Shared by the terminal summary, the KPIs, the figures and the report, so an
end state is named in one place (its string is simiop.model.records.EndState).
"""

from __future__ import annotations

from simiop.model.records import (
    ADMINISTRATIVE,
    COMPLETED,
    DECLINED,
    DROPOUT,
    GAVE_UP_BEFORE_INTAKE,
    IN_PROGRAMME,
    LEFT_TRACK_FULL,
    LEFT_WAIT_LIST,
    LOST_BEFORE_CONTACT,
    NO_SHOW,
    ON_WAIT_LIST,
    REDIRECTED_OUTPATIENT,
    REDIRECTED_STEP_UP,
    STEP_UP,
    WAITING_FOR_INTAKE,
    EndState,
)

END_STATE_LABELS: dict[EndState, str] = {
    LOST_BEFORE_CONTACT: "never reached",
    GAVE_UP_BEFORE_INTAKE: "gave up",
    NO_SHOW: "no-show",
    REDIRECTED_STEP_UP: "to higher care",
    REDIRECTED_OUTPATIENT: "to outpatient",
    DECLINED: "declined",
    LEFT_TRACK_FULL: "track full",
    LEFT_WAIT_LIST: "left wait list",
    COMPLETED: "completed",
    DROPOUT: "dropout",
    STEP_UP: "step-up",
    ADMINISTRATIVE: "administrative",
    WAITING_FOR_INTAKE: "still waiting",
    ON_WAIT_LIST: "still waiting",
    IN_PROGRAMME: "still in programme",
}
"""A short label for each end state, as figures show it (every state has one)."""

DISCHARGE_KPIS: dict[EndState, str] = {
    COMPLETED: "completions",
    DROPOUT: "dropouts",
    STEP_UP: "step_ups",
    ADMINISTRATIVE: "administrative_discharges",
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
