"""Staff roles and rooms: the capacity that groups, intake and individual care consume."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from simiop.config.base import Date, FromList, Frozen, Name


class Hire(Frozen):
    """People who join a role on a date (e.g. a second therapist from month 4)."""

    date: Date
    """First working day of the new staff (a date before opening_date counts from opening)."""

    count: Annotated[int, Field(ge=1, le=100)] = 1
    """People hired on that date (persons)."""


class StaffRole(Frozen):
    """A role (therapist, intake clinician, prescriber, ...) and how much of it the clinic has."""

    count: Annotated[int, Field(ge=0, le=200)]
    """People in this role at opening (persons)."""

    fte: Annotated[float, Field(gt=0, le=1)] = 1.0
    """Full-time equivalent of each person (1.0 = full time): scales their weekly_hours and salary cost."""

    shift: Literal["day", "evening", "both"] = "day"
    """day, evening or both: the tracks whose groups this role's people may lead and whose patients they
    may take as primary therapist. Intake, prescriber visits and family sessions ignore it."""

    weekly_hours: Annotated[float, Field(gt=0, le=80)] = 40.0
    """Contracted hours per week of one full-time person (hours/week): caps the group, individual,
    prescriber and family hours booked per calendar week; intake assessments are not counted."""

    caseload_cap: Annotated[int, Field(ge=1, le=500)] | None = None
    """Most primary patients one person in this role may carry (patients); omit for no cap."""

    annual_salary_usd: Annotated[float, Field(ge=0, le=5_000_000)] = 0.0
    """Salary of one full-time person per year (USD/year; DOMAIN cites BLS medians); it accrues every
    calendar day a person is employed, times their fte."""

    benefits_rate: Annotated[float, Field(ge=0, le=2)] = 0.0
    """Benefits and payroll taxes as a fraction of salary (0.3 = +30%)."""

    absence_days_per_year: Annotated[float, Field(ge=0, le=260)] = 0.0
    """Working days per person per year lost to leave and sickness (days/year): each day, each person is
    absent with probability days/260, independently; 260 means never at work."""

    hires: Annotated[tuple[Hire, ...], FromList] = ()
    """Later hires into this role."""


class StaffConfig(Frozen):
    """Everyone on the payroll, by role."""

    roles: Annotated[dict[Name, StaffRole], Field(min_length=1)]
    """Staff roles by name (e.g. therapist, intake_clinician, prescriber)."""


class RoomsConfig(Frozen):
    """Group rooms: each group session needs one for its duration."""

    group_rooms: Annotated[int, Field(ge=0, le=100)]
    """Rooms for group sessions (rooms), shared by all tracks; a group that runs holds one for its track's
    whole programme day."""

    group_room_seats: Annotated[int, Field(ge=1, le=100)] = 12
    """Patients one group room seats (patients/room); a track's maximum group size must fit."""
