"""Tracks (day, evening) and their therapy groups: schedule, group sizes, admission and wait list."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from simiop.config.base import (
    Frozen,
    Name,
    Rule,
    TimeOfDay,
    Weekdays,
    at_most,
    exact,
    hours_of,
    rule_error,
    rule_errors,
)
from simiop.config.distributions import DurationDistribution


def _minutes(hours: float) -> str:
    """ " (N minutes)" when ``hours`` has no exact decimal form (1/60 h), else nothing."""
    minutes = round(hours * 60)
    return "" if float(at_most(hours)) == hours else f" ({minutes} minute{'s' if minutes != 1 else ''})"


class GroupSize(Frozen):
    """Bounds on the number of patients in one therapy group."""

    min: Annotated[int, Field(ge=1, le=50)]
    """Fewest patients (patients/group) for a group to run on a day; a group with fewer attending is merged
    with other groups of the track that day when the result fits max (and reaches min), else cancelled."""

    max: Annotated[int, Field(ge=1, le=50)]
    """Most patients (patients/group) one group may hold (2-12 for mental-health groups: Carelon PA
    provider manual)."""

    @model_validator(mode="after")
    def _min_not_above_max(self) -> GroupSize:
        if self.min > self.max:
            raise rule_error(
                "min", "minimum group size exceeds the maximum", self.min, f"<= max ({self.max})"
            )
        return self


class AdmissionPolicy(Frozen):
    """When new patients may start: any programme day (rolling) or on cohort start days only."""

    policy: Literal["rolling", "cohort", "continuous"] = "rolling"
    """rolling: admit on any programme day; cohort: admit only on cohort_weekdays; continuous: admit
    the moment a seat and a therapist are free and discharge the moment the planned stay ends, at any
    hour of any day. continuous is not a clinic practice: it is the textbook queue (M/M/c, M/M/c/c)
    used to verify the model against Erlang's formulas; group days, attendance and care still follow
    the track's weekdays."""

    cohort_weekdays: Weekdays | None = None
    """Weekdays on which a cohort may start (required for the cohort policy; must be programme days)."""

    @model_validator(mode="after")
    def _cohort_days_given(self) -> AdmissionPolicy:
        if self.policy == "cohort" and self.cohort_weekdays is None:
            raise rule_error("cohort_weekdays", "the cohort policy needs start weekdays", None, "e.g. [mon]")
        return self


class WaitList(Frozen):
    """How the track's wait list is ordered and what a patient does when the track is full."""

    discipline: Literal["fifo", "step_down_first"] = "fifo"
    """fifo: first come, first admitted; step_down_first: step-down referrals go ahead of others."""

    when_full: Literal["wait", "switch", "leave"] = "wait"
    """What a patient does when this track is full (every seat taken or promised to someone on its wait
    list): wait: join this track's list; switch: take a free seat on another track if any, else wait;
    leave."""

    patience_days: DurationDistribution | None = None
    """Days a patient stays on the wait list before leaving, drawn per patient; omit to wait indefinitely."""


class Track(Frozen):
    """One programme track: its weekly schedule, groups and admission rules."""

    enabled: bool = True
    """false closes the track (no groups, no admissions) without deleting its settings."""

    shift: Literal["day", "evening"]
    """day or evening; matched against referral track preferences and staff shifts."""

    weekdays: Weekdays
    """Programme days of the week, e.g. [mon, tue, thu] for a 3-day week."""

    start_time: TimeOfDay
    """Start of the programme day, "HH:MM" (quote it in YAML)."""

    hours_per_day: Annotated[float, Field(gt=0, le=12)]
    """Programme hours per day (hours/day); 3 is typical (HCPCS H0015 defines an IOP as at least 3 hours
    a day). Each facilitator of a group that runs is busy for all of them (direct time is the sessions'
    minutes, the breaks are not), and the group holds its room for them."""

    group_sessions_per_day: Annotated[int, Field(ge=1, le=8)] = 3
    """Group sessions (billable services) in each programme day (sessions/day)."""

    session_minutes: Annotated[float, Field(gt=0, le=240)] = 50.0
    """Length of one group session in minutes; each session is one service. A group day gives
    group_sessions_per_day x session_minutes of service hours (service_hours); the payers' hour rules
    count the day's programme hours (hours_per_day) instead (money.payers)."""

    groups: Annotated[int, Field(ge=0, le=20)]
    """Therapy groups running side by side on this track, each with its own facilitator(s) and room."""

    group_size: GroupSize
    """Minimum and maximum patients per group."""

    facilitator_role: Name = "therapist"
    """Staff role that leads this track's groups and whose members are its patients' primary
    therapists (a key of staff.roles); admission needs one under caseload cap."""

    facilitators_per_group: Annotated[int, Field(ge=1, le=4)] = 1
    """Facilitators each group session needs (some rules require 2)."""

    admission: AdmissionPolicy = AdmissionPolicy()
    """When new patients may start."""

    wait_list: WaitList = WaitList()
    """Wait-list discipline and behaviour when the track is full."""

    @model_validator(mode="after")
    def _schedule_consistent(self) -> Track:
        broken: list[Rule] = []  # every rule at once: they do not depend on each other
        left = (24 * 60 - round(hours_of(self.start_time) * 60)) / 60.0  # whole minutes to midnight
        if hours_of(self.start_time) + self.hours_per_day > 24.0:
            broken.append(
                (
                    "hours_per_day",
                    "the programme day runs past midnight",
                    self.hours_per_day,
                    f"<= {at_most(left)}{_minutes(left)} for start_time {self.start_time}",
                )
            )
        session_hours = self.group_sessions_per_day * self.session_minutes / 60.0
        if session_hours > self.hours_per_day + 1e-9:
            broken.append(
                (
                    "group_sessions_per_day",
                    "group sessions do not fit in the programme day",
                    f"{self.group_sessions_per_day} x {self.session_minutes:g} min",
                    f"at most {exact(self.hours_per_day)} h in total",
                )
            )
        cohort_days = self.admission.cohort_weekdays or ()
        stray = [day for day in cohort_days if day not in self.weekdays]
        if self.admission.policy == "cohort" and stray:
            broken.append(
                (
                    "admission.cohort_weekdays",
                    "cohort start days must be programme days",
                    stray,
                    f"a subset of {list(self.weekdays)}",
                )
            )
        if broken:
            raise rule_errors(broken)
        return self

    @property
    def seats(self) -> int:
        """Patients the track can hold at once."""
        return self.groups * self.group_size.max if self.enabled else 0
