"""Whether the staff a config describes can ever do the work its tracks and services ask of them.

A config can be valid field by field and still describe a clinic that cannot
run: an evening track whose facilitator role works days only admits no one for
the whole horizon, and the results still look like a clinic with an evening
track. These rules find such configs. They follow the model exactly
(``simiop/model/staff.py``, ``programme.py``, ``intake.py``), so a config is
refused only when the model would certainly never do the work:

- a track's groups and its patients' primary therapists come from its
  ``facilitator_role``, only people whose ``shift`` is the track's shift or
  ``both``, employed (opening staff, or hired by that day) on a programme day
  before the horizon, with at least a programme day's hours in their week;
- individual therapy is given by the primary therapist, so it needs the same
  people with an individual session's hours in their week;
- prescriber visits and family sessions take anyone of their role at work that
  day, whatever their shift (the model does not tie them to shifts: a mismatch
  is only a warning), with the visit's hours in their week;
- intake assessments need someone of ``intake.staff_role`` at work on a slot's
  day, whatever the shift;
- someone whose role has ``absence_days_per_year`` of 260 or more is absent
  every day.

Errors come back as (path, what is wrong, value, what is allowed), like the
other cross-section rules; warnings are legal but suspicious settings, returned
by :func:`staffing_warnings` for the command line to print and for
``SimiopConfig.warnings()``. Horizon-dependent rules use the config's own
``simulation.horizon_days``, which already holds ``--horizon`` when one is given.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from simiop.config.base import LAST_DATE, Weekday, hours_of

if TYPE_CHECKING:
    from simiop.config.model import SimiopConfig
    from simiop.config.staff import StaffRole
    from simiop.config.tracks import Track
    from simiop.model.calendar import ClinicCalendar

Finding = tuple[str, str, str, str | None]
"""(field path, what is wrong, the value, what is allowed or what to do)."""

Times = list[tuple[tuple[Weekday, ...], float]]
"""When work happens: (weekdays, hour of the day) pairs, e.g. a track's days and start time."""

HOURS_SLACK = 1e-9
"""The model's tolerance when it compares hours left in a week with the hours a task needs."""


@dataclass(frozen=True)
class _Role:
    """A role's people as the model builds them: who starts when, their week, whether they ever attend."""

    name: str
    spec: StaffRole
    starts: tuple[int, ...]
    """Simulation day each person joins (0 for opening staff and earlier hires), one entry per person."""

    @property
    def weekly_hours(self) -> float:
        return self.spec.weekly_hours * self.spec.fte

    @property
    def always_absent(self) -> bool:
        """Absence probability min(1, days / 260) is 1: every daily draw is an absence."""
        from simiop.model.staff import WORKING_DAYS_PER_YEAR

        return self.spec.absence_days_per_year >= WORKING_DAYS_PER_YEAR

    def works(self, shift: str) -> bool:
        return self.spec.shift in (shift, "both")

    def describe(self) -> str:
        """How many people, from when, on which shift: the 'got' part of a staffing problem."""
        hires = sum(hire.count for hire in self.spec.hires)
        hired = f" + {hires} hired later" if hires else ""
        return f"{self.name}: {self.spec.count} at opening{hired}, shift {self.spec.shift}"


def _roles(config: SimiopConfig, calendar: ClinicCalendar) -> dict[str, _Role]:
    roles = {}
    for name, spec in config.staff.roles.items():
        starts = [0] * spec.count
        for hire in spec.hires:
            starts += [max(0, (hire.date - calendar.opening).days)] * hire.count
        roles[name] = _Role(name, spec, tuple(starts))
    return roles


def _first_open_day(
    calendar: ClinicCalendar, horizon: float, weekdays: Iterable[Weekday], hours: float, start: int
) -> int | None:
    """The first open day from ``start`` on one of ``weekdays`` whose ``hours`` fall before the horizon."""
    wanted = set(weekdays)
    day = start
    while day < calendar.days and day + hours / 24.0 < horizon:
        if calendar.weekday_of(day) in wanted and not calendar.is_holiday(day):
            return day
        day += 1
    return None


def _workers_on(role: _Role, calendar: ClinicCalendar, horizon: float, times: Times) -> list[int]:
    """For each person of ``role``: the first day they are employed at one of ``times`` (weekdays, hour)."""
    first_from: dict[int, int | None] = {}  # people hired together start together: one search each
    for start in sorted(set(role.starts)):
        days = [_first_open_day(calendar, horizon, weekdays, hours, start) for weekdays, hours in times]
        first_from[start] = min((day for day in days if day is not None), default=None)
    return [day for day in (first_from[start] for start in role.starts) if day is not None]


@dataclass
class Staffing:
    """Every staffing error and warning of one config, worked out in one pass."""

    errors: list[Finding]
    warnings: list[Finding]


def _calendar(config: SimiopConfig) -> ClinicCalendar:
    # Imported here: the model imports the config package, which imports this module.
    from simiop.model.calendar import ClinicCalendar

    return ClinicCalendar.for_config(config)


def check_staffing(config: SimiopConfig) -> Staffing:
    """The staffing errors and warnings of ``config`` (whose cross-references are known to resolve)."""
    calendar = _calendar(config)
    horizon = config.simulation.horizon_days
    roles = _roles(config, calendar)
    errors: list[Finding] = []
    warnings: list[Finding] = []
    used: dict[str, str] = {}  # role -> what needs it, for the absence rule
    tracks = {name: track for name, track in config.tracks.items() if track.enabled}
    track_times: dict[str, tuple[tuple[Weekday, ...], float]] = {}

    def date(day: int) -> str:
        return calendar.date_of(day).isoformat()

    for name, track in tracks.items():
        path = f"tracks.{name}"
        start_hours = hours_of(track.start_time)
        first_day = _first_open_day(calendar, horizon, track.weekdays, start_hours, 0)
        if first_day is None:
            warnings.append(
                (path, "the track has no programme day before the horizon", f"horizon_days {horizon:g}", None)
            )
            continue
        if track.groups == 0:
            errors.append(
                (
                    f"{path}.groups",
                    "an enabled track without groups admits no one",
                    "0",
                    ">= 1, or enabled: false to close the track",
                )
            )
            continue
        track_times[name] = (track.weekdays, start_hours)
        role = roles[track.facilitator_role]
        used.setdefault(role.name, f"leads track {name}")
        where = f"{path}.facilitator_role"
        if not role.works(track.shift):
            errors.append(
                (
                    where,
                    f"no {role.name} works the {track.shift} shift, so track {name} never admits or runs",
                    role.describe(),
                    f"a role with staff on the {track.shift} shift: set staff.roles.{role.name}.shift to "
                    f"{track.shift} or both, or name another role",
                )
            )
            continue
        # Admission needs a primary therapist employed on an admission day; groups, one on a programme day.
        cohort = track.admission.cohort_weekdays if track.admission.policy == "cohort" else None
        admitting = _workers_on(role, calendar, horizon, [(cohort or track.weekdays, start_hours)])
        firsts = _workers_on(role, calendar, horizon, [track_times[name]])
        if not admitting:
            days = "a cohort start day" if cohort else "a programme day"
            errors.append(
                (
                    where,
                    f"no {role.name} on the {track.shift} shift is employed on {days} of track {name} "
                    "before the horizon, so it never admits or runs",
                    role.describe(),
                    _hire_needed(role, calendar, horizon, [(cohort or track.weekdays, start_hours)]),
                )
            )
            continue
        if role.weekly_hours < track.hours_per_day - HOURS_SLACK:
            errors.append(
                (
                    f"{path}.hours_per_day",
                    f"a programme day is longer than one {role.name}'s week, so no group of track {name} "
                    "ever runs",
                    f"{track.hours_per_day:g}",
                    f"<= {role.weekly_hours:g} (staff.roles.{role.name} weekly_hours x fte)",
                )
            )
        if track.facilitators_per_group > len(firsts):
            errors.append(
                (
                    f"{path}.facilitators_per_group",
                    f"more facilitators per group than {role.name} on the {track.shift} shift, so no "
                    f"group of track {name} ever runs",
                    str(track.facilitators_per_group),
                    f"<= {len(firsts)} ({role.describe()})",
                )
            )
            continue
        needed = track.groups * track.facilitators_per_group
        if len(firsts) < needed:
            warnings.append(
                (
                    f"{path}.groups",
                    f"{track.groups} groups need {needed} {role.name} on the {track.shift} shift at once, "
                    f"but there are only {len(firsts)}: some groups never run",
                    str(track.groups),
                    None,
                )
            )
        elif len(firsts) == needed and role.spec.absence_days_per_year > 0:
            warnings.append(
                (
                    where,
                    f"no cover on the {track.shift} shift: every {role.name} is needed for track {name}'s "
                    "groups, so any absence cancels a group",
                    role.describe(),
                    None,
                )
            )
        if min(admitting) > first_day:
            warnings.append(
                (
                    where,
                    f"track {name} admits no one until {date(min(admitting))}, when the first {role.name} on "
                    f"the {track.shift} shift starts",
                    role.describe(),
                    None,
                )
            )
        individual = config.services.individual_therapy
        if individual is not None and individual.sessions_per_week > 0:
            hours = individual.session_minutes / 60.0
            if role.weekly_hours < hours - HOURS_SLACK:
                errors.append(
                    (
                        "services.individual_therapy.session_minutes",
                        f"an individual session is longer than one {role.name}'s week, so track {name}'s "
                        f"patients (primary therapists: {role.name}, {track.shift} shift) never get one",
                        f"{individual.session_minutes:g}",
                        _week_minutes(role),
                    )
                )

    if track_times and config.rooms.group_rooms == 0:
        errors.append(
            (
                "rooms.group_rooms",
                f"without a group room no group ever runs (enabled tracks: {', '.join(track_times)})",
                "0",
                ">= 1 while a track is enabled",
            )
        )
    times = list(track_times.values())
    prescriber = config.services.prescriber
    if prescriber is not None and times:
        _any_shift_service(
            prescriber.role,
            "services.prescriber",
            "prescriber visits",
            prescriber.initial_minutes,
            "initial_minutes",
            roles,
            calendar,
            horizon,
            times,
            errors,
            used,
        )
        _shift_mismatch(
            prescriber.role, "services.prescriber.role", "prescriber visits", roles, tracks, warnings
        )
    family = config.services.family
    if family is not None and family.share_of_patients > 0 and times:
        _any_shift_service(
            family.role,
            "services.family",
            "family sessions",
            family.session_minutes,
            "session_minutes",
            roles,
            calendar,
            horizon,
            times,
            errors,
            used,
        )
        _shift_mismatch(family.role, "services.family.role", "family sessions", roles, tracks, warnings)

    if _intake_needed(config):
        intake = config.intake
        role = roles[intake.staff_role]
        used.setdefault(role.name, "runs intake assessments")
        slot_times: Times = [((slot.weekday,), hours_of(slot.start_time)) for slot in intake.schedule]
        firsts = _workers_on(role, calendar, horizon, slot_times)
        first_slot = _first_slot_day(calendar, horizon, slot_times)
        if first_slot is None:
            warnings.append(
                (
                    "intake.schedule",
                    "no intake slot falls before the horizon",
                    f"horizon_days {horizon:g}",
                    None,
                )
            )
        elif not firsts:
            errors.append(
                (
                    "intake.staff_role",
                    f"no {role.name} is employed on an intake slot's day before the horizon, so no referral "
                    "is ever assessed",
                    role.describe(),
                    _hire_needed(role, calendar, horizon, slot_times),
                )
            )
        else:
            if min(firsts) > first_slot:
                warnings.append(
                    (
                        "intake.staff_role",
                        f"intake assesses no one until {date(min(firsts))}, when the first {role.name} "
                        "starts",
                        role.describe(),
                        None,
                    )
                )
            for index, slot in enumerate(intake.schedule):
                if slot.parallel_slots > len(firsts):
                    warnings.append(
                        (
                            f"intake.schedule[{index}].parallel_slots",
                            f"more parallel assessments than {role.name} staff: at most {len(firsts)} run "
                            "at once",
                            str(slot.parallel_slots),
                            None,
                        )
                    )

    for name, what in used.items():
        role = roles[name]
        if role.always_absent:
            errors.append(
                (
                    f"staff.roles.{name}.absence_days_per_year",
                    f"everyone in this role is absent every working day, yet it {what}",
                    f"{role.spec.absence_days_per_year:g}",
                    "below 260",
                )
            )
    _hire_warnings(config, calendar, warnings)
    return Staffing(errors, warnings)


def _hire_needed(role: _Role, calendar: ClinicCalendar, horizon: float, times: Times) -> str:
    """What would fix it: someone at opening, or hired by the last day the work happens."""
    last = max(
        (day for day in range(calendar.days) for weekdays, hours in times if day + hours / 24.0 < horizon
         and calendar.weekday_of(day) in weekdays and not calendar.is_holiday(day)),
        default=calendar.days - 1,
    )  # fmt: skip
    return f"staff.roles.{role.name}.count >= 1, or a hire by {calendar.date_of(last)}"


def _week_minutes(role: _Role) -> str:
    return f"<= {role.weekly_hours * 60:g} (staff.roles.{role.name} weekly_hours x fte, in minutes)"


def _first_slot_day(calendar: ClinicCalendar, horizon: float, slot_times: Times) -> int | None:
    days = [_first_open_day(calendar, horizon, weekdays, hours, 0) for weekdays, hours in slot_times]
    found = [day for day in days if day is not None]
    return min(found) if found else None


def _intake_needed(config: SimiopConfig) -> bool:
    """Whether any referral can reach intake: a source not admitted directly, or any readmission."""
    sources = config.referrals.sources.values()
    if any(not source.direct_admission and source.weekly_rate > 0 for source in sources):
        return True
    discharge = config.discharge
    return any(
        rule.probability > 0
        for rule in (discharge.completed, discharge.dropout, discharge.step_up, discharge.administrative)
    )


def _any_shift_service(
    role_name: str,
    path: str,
    what: str,
    minutes: float,
    minutes_field: str,
    roles: dict[str, _Role],
    calendar: ClinicCalendar,
    horizon: float,
    times: Times,
    errors: list[Finding],
    used: dict[str, str],
) -> None:
    """Prescriber or family: someone of the role at work, any shift, on some track's programme day."""
    role = roles[role_name]
    used.setdefault(role.name, f"gives {what}")
    if not _workers_on(role, calendar, horizon, times):
        errors.append(
            (
                f"{path}.role",
                f"no {role.name} is employed on any track's programme day before the horizon, so no patient "
                f"ever gets {what}",
                role.describe(),
                f"{_hire_needed(role, calendar, horizon, times)}, or remove {path}",
            )
        )
    elif role.weekly_hours < minutes / 60.0 - HOURS_SLACK:
        errors.append(
            (
                f"{path}.{minutes_field}",
                f"longer than one {role.name}'s week, so no patient ever gets {what}",
                f"{minutes:g}",
                _week_minutes(role),
            )
        )


def _shift_mismatch(
    role_name: str,
    path: str,
    what: str,
    roles: dict[str, _Role],
    tracks: dict[str, Track],
    warnings: list[Finding],
) -> None:
    """Warn when a service's role works none of the tracks' shifts: the model lets them serve them anyway.

    A role that works one track's shift is not flagged for the others: one
    role serves every track, so the user could not act on such a warning.
    """
    role = roles[role_name]
    shifts = sorted({track.shift for track in tracks.values()})
    if not any(role.works(shift) for shift in shifts):
        warnings.append(
            (
                path,
                f"{role.name} works the {role.spec.shift} shift, yet gives {what} to patients of the "
                f"{' and '.join(shifts)} shift (the model does not tie {what} to a shift)",
                role.describe(),
                None,
            )
        )


def _hire_warnings(config: SimiopConfig, calendar: ClinicCalendar, warnings: list[Finding]) -> None:
    """Hires the run never sees, or sees as opening staff."""
    for name, spec in config.staff.roles.items():
        for index, hire in enumerate(spec.hires):
            start = (hire.date - calendar.opening).days
            path = f"staff.roles.{name}.hires[{index}].date"
            if start >= calendar.days:
                warnings.append(
                    (
                        path,
                        f"the hire starts after the run's last day ({calendar.date_of(calendar.days - 1)}), "
                        "so it is never on the payroll",
                        hire.date.isoformat(),
                        None,
                    )
                )
            elif start < 0:
                warnings.append(
                    (
                        path,
                        "the hire starts before opening_date: counted as staff from opening",
                        hire.date.isoformat(),
                        None,
                    )
                )


def horizon_end_problems(config: SimiopConfig) -> Iterator[Finding]:
    """The run's last day, and so every date and fiscal-year label after it, must be a supported date."""
    opening = config.clinic.opening_date
    horizon = config.simulation.horizon_days
    allowed = (LAST_DATE - opening).days  # the tables date every day 0..ceil(horizon), the last one included
    if math.ceil(horizon) > allowed:
        yield (
            "simulation.horizon_days",
            f"the run would end after {LAST_DATE.isoformat()}, the last date simiop supports",
            f"{horizon:g} days from opening_date {opening.isoformat()}",
            f"<= {allowed} for this opening_date",
        )
