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


class SourceIntake(Frozen):
    """Intake for the referrals of one source; a field left out takes intake's own value."""

    lead_time_days: Annotated[float, Field(ge=0, le=60)] | None = None
    """Minimum days between a booking and the slot booked, for this source (e.g. 0 for same-day slots)."""

    show_rate_by_days_waited: ProbabilityCurve | None = None
    """Probability of attending the assessment as a curve of days waited, for this source (ASSUMPTION: no
    published per-source curve; the shipped curve is from SUD intake)."""

    patience_days: DurationDistribution | None = None
    """Days after referral that this source's referrals wait for their assessment, drawn per referral."""

    max_rebookings: Annotated[int, Field(ge=0, le=5)] | None = None
    """Times this source's referral who missed the assessment is booked again before being closed."""

    priority: bool = False
    """true: this source's referrals may book the seats kept for priority (intake.priority_seats_per_slot)."""


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

    by_source: dict[Name, SourceIntake] = Field(default_factory=dict)
    """Lead time, show-rate curve, patience, rebookings and slot priority for referrals of a given source
    (keys from referrals.sources); a field left out takes the value above; readmissions use those above."""

    priority_seats_per_slot: Annotated[int, Field(ge=0, le=50)] = 0
    """Seats of every slot that only priority sources (by_source.<source>.priority) may book until
    priority_release_days before the slot; then anyone may (at most every slot's parallel_slots)."""

    priority_release_days: Annotated[float, Field(ge=0, le=14)] = 1.0
    """Days before a slot at which its priority seats open to every referral."""

    @model_validator(mode="after")
    def _priority_seats_fit(self) -> IntakeConfig:
        fewest = min(range(len(self.schedule)), key=lambda index: self.schedule[index].parallel_slots)
        seats = self.schedule[fewest].parallel_slots
        if self.priority_seats_per_slot > seats:  # one line for the slot with fewest seats, not one per slot
            raise rule_error(
                "priority_seats_per_slot",
                f"more priority seats than schedule[{fewest}] has",
                self.priority_seats_per_slot,
                f"<= {seats} (the fewest parallel_slots of any slot)",
            )
        return self

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
