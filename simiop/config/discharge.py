"""Discharge and aftercare: who comes back, and when, by how the episode ended."""

from __future__ import annotations

from simiop.config.base import Frozen, Probability
from simiop.config.distributions import DurationDistribution


class Readmission(Frozen):
    """Chance and timing of a new referral after a discharge of one type."""

    probability: Probability
    """Probability the patient is referred again (before the acuity multiplier)."""

    delay_days: DurationDistribution
    """Days from discharge to the new referral."""


class DischargeConfig(Frozen):
    """Readmission by discharge type; readmissions re-enter as referrals of source 'readmission'."""

    completed: Readmission
    """After completion (step-down to outpatient care)."""

    dropout: Readmission
    """After dropout (consecutive absences)."""

    step_up: Readmission
    """After step-up to PHP/inpatient care (return after the higher level of care)."""

    administrative: Readmission
    """After an administrative discharge."""
