"""Staff roles and rooms: the capacity that groups, intake and individual care consume."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from simiop.config.base import ClockEnd, Date, FromList, Frozen, Name, TimeOfDay, minutes_of, rule_error


class Hire(Frozen):
    """People who join a role on a date (e.g. a second therapist from month 4)."""

    date: Date
    """First working day of the new staff (a date before opening_date counts from opening)."""

    count: Annotated[int, Field(ge=1, le=100)] = 1
    """People hired on that date (persons)."""


class CoverPool(Frozen):
    """A per-diem (float) pool that stands in for absent people of a role, paid by the hour."""

    people_per_day: Annotated[int, Field(ge=1, le=20)] = 1
    """Cover people who can be called in on one day (persons/day); they work the role's shift window, with
    the role's daily and weekly direct-care limits."""

    hourly_cost_usd: Annotated[float, Field(ge=0, le=1000)]
    """Pay of one cover person per paid hour (USD/hour); no salary or benefits on top."""

    min_paid_hours: Annotated[float, Field(ge=0, le=12)] = 0.0
    """Hours paid for each call-in, however short the work (hours): a cover person is paid from their first
    session's start to their last one's end that day, at least this."""


class StaffRole(Frozen):
    """A role (therapist, intake clinician, prescriber, ...) and how much of it the clinic has."""

    count: Annotated[int, Field(ge=0, le=200)]
    """People in this role at opening (persons)."""

    fte: Annotated[float, Field(gt=0, le=1)] = 1.0
    """Full-time equivalent of each person (1.0 = full time): scales their weekly_hours and salary cost."""

    shift: Literal["day", "evening", "both"] = "day"
    """day, evening or both: the tracks whose groups this role's people may lead and whose patients they
    may take as primary therapist, and of the patients they may see for prescriber and family sessions;
    every session they give lies inside the shift's clock window (staff.shifts)."""

    weekly_hours: Annotated[float, Field(gt=0, le=80)] = 40.0
    """Contracted hours per week of one full-time person (hours/week): with fte and non_direct_share, caps
    the direct-care hours booked per calendar week: group, individual, prescriber and family sessions and
    intake assessments."""

    caseload_cap: Annotated[int, Field(ge=1, le=500)] | None = None
    """Most primary patients one person in this role may carry (patients); omit for no cap."""

    annual_salary_usd: Annotated[float, Field(ge=0, le=5_000_000)] = 0.0
    """Salary of one full-time person per year (USD/year; BLS median wages); it accrues every
    calendar day a person is employed, times their fte."""

    benefits_rate: Annotated[float, Field(ge=0, le=2)] = 0.0
    """Benefits and payroll taxes as a fraction of salary (0.3 = +30%)."""

    absence_days_per_year: Annotated[float, Field(ge=0, le=260)] = 0.0
    """Working days per person per year lost to leave and sickness (days/year): each day, each person is
    absent with probability days/260, independently; 260 means never at work."""

    hires: Annotated[tuple[Hire, ...], FromList] = ()
    """Later hires into this role."""

    non_direct_share: Annotated[float, Field(ge=0, lt=1)] = 0.0
    """Share of paid hours kept for documentation, meetings and supervision: the daily and weekly limits
    on direct care are (1 - share) x paid hours, direct care being group, individual, family, prescriber
    and intake sessions; sources put direct care at 60-77% of paid time, so a share of 0.23-0.40."""

    days_per_week: Annotated[int, Field(ge=1, le=7)] | None = None
    """Paid days a week of one person (days/week): paid hours a day are weekly_hours x fte / days_per_week;
    omit for min(the shift window's length, weekly_hours x fte), i.e. the whole window on any day."""

    cover: CoverPool | None = None
    """A per-diem pool whose people lead this role's groups when its own people run out (absent, busy or out
    of direct minutes); groups only, not individual, family or prescriber care; omit for none."""


class ShiftHours(Frozen):
    """The clock window of a shift on every working day: staff of the shift work only inside it."""

    start: TimeOfDay
    """Start of the window, "HH:MM" (quote it in YAML)."""

    end: ClockEnd
    """End of the window, "HH:MM" after start on the same day; "24:00" is midnight (no overnight shifts)."""

    @model_validator(mode="after")
    def _ends_after_start(self) -> ShiftHours:
        if minutes_of(self.end) <= minutes_of(self.start):
            raise rule_error(
                "end",
                "a shift must end after it starts",
                self.end,
                f"after start {self.start}, at most 24:00",
            )
        return self


class Shifts(Frozen):
    """Clock windows of the day and evening shifts (a person on both works the span of the two)."""

    day: ShiftHours | None = None
    """Window of the day shift; omit to derive it: the span of 08:00-17:00 and of the programme hours of
    every enabled day track and of the intake slots of a day intake role. Given, each must lie inside it."""

    evening: ShiftHours | None = None
    """Window of the evening shift; omit to derive it as for day, from 13:00-22:00."""


class StaffConfig(Frozen):
    """Everyone on the payroll, by role."""

    roles: Annotated[dict[Name, StaffRole], Field(min_length=1)]
    """Staff roles by name (e.g. therapist, intake_clinician, prescriber)."""

    shifts: Shifts = Shifts()
    """Clock windows of the shifts; omitted windows are derived from the tracks and intake slots."""


class RoomsConfig(Frozen):
    """Group rooms: each group session needs one for its duration."""

    group_rooms: Annotated[int, Field(ge=0, le=100)]
    """Rooms for group sessions (rooms), shared by all tracks; a group that runs holds one for its track's
    whole programme day."""

    group_room_seats: Annotated[int, Field(ge=1, le=100)] = 12
    """Patients one group room seats (patients/room); a track's maximum group size must fit."""
