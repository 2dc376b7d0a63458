"""Intake: the weekly calendar of assessment slots, who shows up, and what the assessment decides."""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import Field, model_validator

from simiop.config.base import (
    FromList,
    Frozen,
    Name,
    Probability,
    Rule,
    TimeOfDay,
    Weekday,
    hours_of,
    rule_error,
    rule_errors,
)
from simiop.config.distributions import DurationDistribution, ProbabilityCurve


class IntakeSlot(Frozen):
    """Assessment appointments that start at one time on one weekday, every week."""

    weekday: Weekday
    """Day of the week (mon ... sun)."""

    start_time: TimeOfDay
    """Start of the assessment, "HH:MM" (quote it in YAML)."""

    parallel_slots: Annotated[int, Field(ge=1, le=50)] = 1
    """Assessments that can start at this time, each needing one person of intake.staff_role: capped by
    how many of them are at work that day, free then, inside their shift window and with the assessment's
    minutes left in their daily and weekly direct-care budgets (a rota made before the run); each
    assessment is charged to its person's direct time."""


class IntakeOutcomes(Frozen):
    """What an assessment decides, as probabilities that add to 1."""

    admit: Probability
    """Share admitted to the IOP (joins a track's wait list)."""

    redirect_step_up: Probability
    """Share redirected to a higher level of care (PHP or inpatient)."""

    redirect_outpatient: Probability
    """Share redirected to routine outpatient care."""

    decline: Probability
    """Share who decline the offered care."""

    @model_validator(mode="after")
    def _sum_to_one(self) -> IntakeOutcomes:
        total = math.fsum((self.admit, self.redirect_step_up, self.redirect_outpatient, self.decline))
        if abs(total - 1.0) > 1e-9:
            raise rule_error("admit", "outcome probabilities must add up to 1", f"sum {total:.6g}", "sum 1")
        return self


class IntakeConfig(Frozen):
    """Booking, attendance and outcome of the intake assessment."""

    schedule: Annotated[tuple[IntakeSlot, ...], Field(min_length=1), FromList]
    """The weekly calendar of assessment slots."""

    assessment_minutes: Annotated[float, Field(gt=0, le=480)]
    """Length of one assessment in minutes (ASSUMPTION: a biopsychosocial intake takes 60-90 min)."""

    staff_role: Name = "intake_clinician"
    """Staff role that runs assessments (a key of staff.roles), whatever their shift."""

    lead_time_days: Annotated[float, Field(ge=0, le=60)] = 1.0
    """Minimum days between a booking (first contact, or a missed assessment) and the slot booked."""

    show_rate_by_days_waited: ProbabilityCurve
    """Probability of attending the assessment as a curve of days waited since the booking was made."""

    patience_days: DurationDistribution
    """Days after referral that a referral waits for its assessment, drawn per referral: only slots before
    then are booked (rebookings too); with none free it gives up then."""

    max_rebookings: Annotated[int, Field(ge=0, le=5)] = 1
    """Times a referral who missed the assessment is booked again before being closed."""

    outcomes: IntakeOutcomes
    """Outcome probabilities for everyone not covered by outcomes_by_source or outcomes_by_acuity."""

    outcomes_by_source: dict[Name, IntakeOutcomes] = Field(default_factory=dict)
    """Outcome probabilities for referrals of a given source (keys from referrals.sources)."""

    outcomes_by_acuity: dict[Name, IntakeOutcomes] = Field(default_factory=dict)
    """Outcome probabilities for a given acuity class (keys from referrals.acuity_classes); source wins."""

    @model_validator(mode="after")
    def _slots_inside_day(self) -> IntakeConfig:
        late: list[Rule] = [
            (
                f"schedule[{index}].start_time",
                "assessment would run past midnight",
                slot.start_time,
                f"a start that leaves {self.assessment_minutes:g} minutes before 24:00",
            )
            for index, slot in enumerate(self.schedule)
            if hours_of(slot.start_time) + self.assessment_minutes / 60.0 > 24.0
        ]
        if late:
            raise rule_errors(late)  # every slot at once, not the first one found
        return self
