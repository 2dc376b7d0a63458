"""Care during the stay: attendance, length of stay, progress reviews and individual services."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from simiop.config.base import FromList, Frozen, Name, Probability, at_most, rule_error
from simiop.config.distributions import DurationDistribution, ProbabilityDistribution

if TYPE_CHECKING:
    from simiop.config.staffing import Finding


class AttendanceConfig(Frozen):
    """Who turns up: absences cluster in some patients, and runs of absences end the stay."""

    propensity: ProbabilityDistribution
    """Per-patient probability of attending each programme day, drawn once at admission (e.g. beta)."""

    consecutive_absences_to_dropout: Annotated[int, Field(ge=1, le=60)] = 3
    """Consecutive missed programme days after which the patient is discharged as a dropout."""

    no_start_probability: Probability = 0.0
    """Share of admitted patients who never attend a programme day (no-starts). They hold their seat until
    consecutive_absences_to_dropout absences end the stay, which ends as no_start: not a discharge, not
    billed, not counted as served (a step-up or administrative hazard, a recertification or the maximum
    stay may end it first, as that discharge). Anyone else whom the run of absences or the dropout hazard
    ends before a first attended day ends as no_start too.
    0 for none. ASSUMPTION: no source gives the share of *admitted* IOP
    patients who never attend; one-visit leavers are a large, separate group in outpatient care (Simon et
    al., Psychiatr Serv 2012;63(7):705-707, doi:10.1176/appi.ps.201100309; Olfson et al., Psychiatr Serv
    2009;60(7):898-907, doi:10.1176/ps.2009.60.7.898)."""


class ProgressReview(Frozen):
    """Periodic reviews that extend the stay, or end it early as a completion."""

    interval_weeks: Annotated[float, Field(gt=0, le=52)]
    """Weeks between reviews, counted from admission."""

    extend_probability: Probability
    """Probability a review extends the planned stay."""

    extension_weeks: Annotated[float, Field(gt=0, le=52)]
    """Weeks added by one extension (with planned_stay_unit programme_days: weeks x the track's days per
    week, rounded up)."""

    max_extensions: Annotated[int, Field(ge=0, le=20)] = 2
    """Most extensions one episode may receive."""

    early_completion_probability: Probability = 0.0
    """Probability a review ends the stay early as a completion (goals met)."""

    @model_validator(mode="after")
    def _exclusive_outcomes(self) -> ProgressReview:
        total = self.extend_probability + self.early_completion_probability
        if total > 1.0 + 1e-9:
            raise rule_error(
                "early_completion_probability",
                "a review cannot both extend and end the stay",
                self.early_completion_probability,
                f"<= {at_most(1.0 - self.extend_probability)} (1 - extend_probability)",
            )
        return self


StayEnd = Literal["completed", "administrative"]
"""How a stay cut by a rule (recertification, maximum stay) ends: completed (stepped down to routine
outpatient care, as simiop's completed always means) or administrative (the payer just stops paying)."""


def unique_payers(payers: tuple[str, ...]) -> tuple[str, ...]:
    """A payer listed twice is a slip (a second one was meant): say so rather than read it once."""
    if len(set(payers)) != len(payers):
        raise PydanticCustomError(
            "payers", "payer listed twice", {"got": list(payers), "allowed": "each payer once"}
        )
    return payers


class Recertification(Frozen):
    """The plan of care, certified at admission, recertified by the physician at intervals.

    Medicare pays for partial hospitalization and intensive outpatient services only under a
    physician's certification and plan of care (42 CFR 410.43, 424.24(e),
    https://www.ecfr.gov/current/title-42/chapter-IV/subchapter-B/part-424/subpart-B/section-424.24).
    For IOP the statute has the physician determine the need, and re-determine it no less frequently
    than every other month (Social Security Act 1861(ff)(1) as amended by Consolidated Appropriations
    Act 2023 section 4124, https://www.ssa.gov/OP_Home/ssact/title18/1861.htm). The exact wording of
    424.24(e)'s recertification paragraph, including the day of the first IOP recertification, was
    not read for this model: the defaults (60 and 60 days) are an ASSUMPTION read from "every other
    month"; for Medicare PHP use first_after_days 18 and interval_days 30 (also not confirmed here).
    """

    first_after_days: Annotated[float, Field(gt=0, le=365)] = 60.0
    """Calendar days from the admission day to the first recertification, held at the start of the first
    programme day on or after it (ASSUMPTION: "every other month", see the class)."""

    interval_days: Annotated[float, Field(gt=0, le=365)] = 60.0
    """Calendar days from one recertification date to the next (ASSUMPTION: "every other month"); at most
    one recertification per programme day."""

    continue_probability: Probability
    """Probability the physician recertifies the plan, so the stay goes on (ASSUMPTION: no published
    figure)."""

    payers: (
        Annotated[tuple[Name, ...], Field(min_length=1), FromList, AfterValidator(unique_payers)] | None
    ) = None
    """Payers whose patients are recertified (keys of money.payers, e.g. [medicare]); omit for everyone."""

    on_stop: StayEnd = "completed"
    """How a stay ends when the plan is not recertified: completed (stepped down to outpatient care) or
    administrative."""


class DropoutHazard(Frozen):
    """Dropout that does not wait for a run of absences: a probability per week, by week of stay.

    It lets dropout be front-loaded (higher in the first week or two, then lower), as published dropout
    from outpatient mental-health care is (Olfson et al., Psychiatr Serv 2009;60(7):898-907,
    doi:10.1176/ps.2009.60.7.898); the values themselves are an ASSUMPTION tuned to a dropout share of
    16.5-23% of discharges (J Nerv Ment Dis 2020;208(3):194-200, doi:10.1097/NMD.0000000000001109; SAMHSA
    TEDS 2004 discharges, Table 2.5).
    """

    weekly_by_week: Annotated[tuple[Probability, ...], Field(min_length=1, max_length=52), FromList]
    """Probability of dropping out during week 1, 2, ... of the stay (calendar weeks from the admission
    day); the last value holds for every later week. Spread evenly over the track's programme days of a
    week; the patient stops coming at the start of the programme day it fires. E.g. [0.06, 0.04, 0.015]."""


class LengthOfStayConfig(Frozen):
    """Planned stay, reviews and the hazards that end a stay early."""

    planned_stay_unit: Literal["weeks", "programme_days"] = "weeks"
    """Unit of planned_stay: calendar weeks, or programme days attended or missed."""

    planned_stay: DurationDistribution
    """Planned length of stay in planned_stay_unit, drawn at admission (mean IOP stay 42 days: Costa et
    al. 2020, doi:10.1007/s11126-019-09681-w). In weeks, the stay completes at the end of the last
    programme day before admission + the planned weeks (continuous admission: at that instant); in
    programme_days, after that many programme days (rounded up, at least 1)."""

    progress_review: ProgressReview | None = None
    """Periodic reviews; omit for none."""

    step_up_weekly_hazard: Probability = 0.0
    """Probability per week in the programme of stepping up to PHP/inpatient care."""

    administrative_weekly_hazard: Probability = 0.0
    """Probability per week of an administrative discharge (e.g. rule violation, moved away)."""

    recertification: Recertification | None = None
    """Physician recertification of the plan of care at intervals (e.g. Medicare IOP: 42 CFR 424.24(e); Social
    Security Act 1861(ff)(1) as amended by CAA 2023 section 4124: no less often than every other month);
    omit for none."""

    max_stay_days: Annotated[float, Field(gt=0, le=3650)] | None = None
    """Longest stay in calendar days from the admission day: the stay ends at the end of its last programme
    day before then (at least its first programme day). ASSUMPTION / payer policy: Medicare publishes no
    maximum and relies on recertification. Omit for none."""

    at_max_stay: StayEnd = "completed"
    """How a stay cut by max_stay_days ends: completed (stepped down to outpatient care) or administrative."""

    dropout_hazard: DropoutHazard | None = None
    """Dropout by week of stay, besides the run of absences (attendance.consecutive_absences_to_dropout);
    omit for none."""


def stay_limit_warnings(stay: LengthOfStayConfig) -> Iterator[tuple[str, str, str, str | None]]:
    """(path, what, value, what to do) for a maximum stay or recertification that looks mis-set."""
    limit = stay.max_stay_days
    if limit is not None:
        weeks = stay.planned_stay_unit == "weeks"
        mean = stay.planned_stay.mean * (7.0 if weeks else 1.0)
        if limit < mean:
            unit = "weeks" if weeks else "programme days"
            yield (
                "length_of_stay.max_stay_days",
                "shorter than the mean planned stay: most stays end at the limit, not as planned",
                f"{limit:g} days, planned stay mean {stay.planned_stay.mean:g} {unit}",
                "a limit above the planned stay, or a shorter planned_stay",
            )
    recertification = stay.recertification
    if recertification is not None and limit is not None and recertification.first_after_days >= limit:
        yield (
            "length_of_stay.recertification.first_after_days",
            "no stay lasts until the first recertification: the maximum stay ends it first",
            f"{recertification.first_after_days:g} with max_stay_days {limit:g}",
            "first_after_days below max_stay_days, or no recertification",
        )


ABSENCE_DROPOUT_OFF = 60
"""The most consecutive_absences_to_dropout allows: what configs use to switch absence dropout off."""


def disengagement_warnings(attendance: AttendanceConfig, stay: LengthOfStayConfig) -> Iterator[Finding]:
    """Early-disengagement settings that run but may not mean what was meant (warnings, not errors)."""
    absences = attendance.consecutive_absences_to_dropout
    if absences < ABSENCE_DROPOUT_OFF:
        return
    if stay.dropout_hazard is not None:
        yield (
            "length_of_stay.dropout_hazard",
            f"both dropout rules are on: the hazard, and {absences} absences in a row (the value that "
            "switches absence dropout off elsewhere)",
            str(list(stay.dropout_hazard.weekly_by_week)),
            "lower attendance.consecutive_absences_to_dropout, or omit the hazard",
        )
    if attendance.no_start_probability > 0.0:
        yield (
            "attendance.no_start_probability",
            f"no-starts hold their seat until {absences} absences in a row end the stay",
            str(attendance.no_start_probability),
            "lower attendance.consecutive_absences_to_dropout",
        )


Placement = Literal["pull_out", "before", "after"]
"""Where a care session may go: pull_out: in a group session's slot of the programme day (the patient misses
that group); before or after: next to the programme day, within services.outside_window_minutes."""


def unique_placements(placements: tuple[Placement, ...]) -> tuple[Placement, ...]:
    """Placements are tried in the order given, so each may appear only once."""
    if len(set(placements)) != len(placements):
        raise PydanticCustomError(
            "placements",
            "placement listed twice",
            {"got": list(placements), "allowed": "each of pull_out, before, after at most once"},
        )
    return placements


Placements = Annotated[
    tuple[Placement, ...], Field(min_length=1, max_length=3), FromList, AfterValidator(unique_placements)
]


class IndividualTherapy(Frozen):
    """Individual sessions with the primary therapist (a member of the track's facilitator_role)."""

    sessions_per_week: Annotated[int, Field(ge=0, le=5)] = 1
    """Most individual sessions per patient per calendar week (sessions/week): at most one per attended
    programme day, and only when the primary therapist is at work with the hours left (no substitute)."""

    session_minutes: Annotated[float, Field(gt=0, le=180)] = 50.0
    """Length of one individual session in minutes."""

    placement: Placements = ("pull_out", "before", "after")
    """Where a session may be booked, tried in this order: pull_out (in a group slot), before or after the
    programme day."""


class PrescriberVisits(Frozen):
    """Medication management: an initial evaluation and regular follow-ups."""

    role: Name = "prescriber"
    """Staff role that sees patients for medication (a key of staff.roles); anyone of it at work who works
    the patient's track's shift (or both), with the minutes left that day and week and a free slot."""

    initial_minutes: Annotated[float, Field(gt=0, le=240)] = 60.0
    """Length of the initial psychiatric evaluation in minutes."""

    follow_up_minutes: Annotated[float, Field(gt=0, le=120)] = 20.0
    """Length of a follow-up visit in minutes."""

    follow_up_interval_weeks: Annotated[float, Field(gt=0, le=26)] = 1.0
    """Weeks from one visit until the next is due; a due visit happens on the patient's next attended day
    with a prescriber at work and the hours left (the initial evaluation is due at admission)."""

    placement: Placements = ("pull_out", "before", "after")
    """Where a visit may be booked, tried in this order: pull_out (in a group slot), before or after the
    programme day."""


class FamilySessions(Frozen):
    """Family sessions for the patients whose plan includes them."""

    share_of_patients: Probability
    """Share of patients with family sessions in their plan."""

    role: Name = "therapist"
    """Staff role that runs family sessions (a key of staff.roles): the patient's primary therapist if it is
    their role and they are at work, else anyone of the role at work who works the patient's track's shift
    (or both); with nobody of the role on that shift, those sessions are missed (no_staff_on_shift)."""

    session_minutes: Annotated[float, Field(gt=0, le=240)] = 60.0
    """Length of one family session in minutes."""

    interval_weeks: Annotated[float, Field(gt=0, le=26)] = 2.0
    """Weeks from one family session until the next is due (the first is due at admission); a due session
    happens on the patient's next attended day with someone of the role free."""

    placement: Placements = ("before", "after")
    """Where a session may be booked, tried in this order: before or after the programme day (families come
    outside it), or pull_out (in a group slot)."""


class ServicesConfig(Frozen):
    """Services besides the groups; omit one to leave it out of the programme."""

    individual_therapy: IndividualTherapy | None = IndividualTherapy()
    """Weekly individual therapy by the primary therapist."""

    prescriber: PrescriberVisits | None = PrescriberVisits()
    """Medication management."""

    family: FamilySessions | None = None
    """Family sessions."""

    outside_window_minutes: Annotated[float, Field(ge=0, le=480)] = 120.0
    """How long before the programme day's start, or after its end, a patient will come for a session
    placed before or after it (minutes; ASSUMPTION)."""

    max_pull_outs_per_day: Annotated[int, Field(ge=0, le=8)] = 1
    """Group sessions a patient may miss for pulled-out care in one programme day (sessions/day)."""
