"""The KPIs people read first, with labels and formats: shared by the terminal summary and the report."""

from __future__ import annotations

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
