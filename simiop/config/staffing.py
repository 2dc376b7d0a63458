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
  (a cohort start day, for admission under the cohort policy) before the
  horizon, with at least a programme day's hours in their week, and as many
  as ``facilitators_per_group``; the track needs a group and a group room;
- individual therapy is given by the primary therapist, so it needs the same
  people with an individual session's hours in their week;
- prescriber visits and family sessions take anyone of their role at work that
  day who works the patient's track's shift (a role on no such shift is only a
  warning: those sessions are missed), with the visit's minutes in their day
  and week;
- intake assessments need someone of ``intake.staff_role`` at work on a slot's
  day, whatever the shift;
- someone whose role has ``absence_days_per_year`` of 260 or more is absent
  every day.

Hours in a week are a person's direct-care budget, ``weekly_hours x fte x
(1 - non_direct_share)``, and a facilitator's programme day must also fit in
their daily budget, ``paid hours a day x (1 - non_direct_share)``: the limits
of ``simiop.config.clock`` that the model books against once staff time is on
a clock (issue 18). With the defaults (no share, no ``days_per_week``) both are
the contracted week and the whole shift window, so the rules are as before.

:func:`check_staffing` returns errors as (path, what is wrong, value, what is
allowed), which ``SimiopConfig`` raises like its other cross-section rules, and
warnings (legal but suspicious settings, e.g. a shift with no cover), which
``SimiopConfig.warnings()`` returns and the command line prints. Every rule
uses the config's own ``simulation.horizon_days``, which already holds
``--horizon`` (or an experiment's horizon) when one is given: validation runs
after overrides are applied.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from simiop.config.base import LAST_DATE, WEEKDAYS, Weekday, at_most, hours_of
from simiop.config.clock import (
    Window,
    daily_direct_limit_minutes,
    paid_hours_per_day,
    shift_windows,
    weekly_direct_limit_hours,
    window_hours,
)
from simiop.config.durations import whole_days

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
        """The direct-care budget of one person's week: weekly_hours x fte x (1 - non_direct_share)."""
        return weekly_direct_limit_hours(self.spec)

    @property
    def contracted_hours(self) -> float:
        """Paid hours of one person's week: weekly_hours x fte."""
        return self.spec.weekly_hours * self.spec.fte

    def daily_minutes(self, window: Window) -> float:
        """The direct-care budget of one person's day, in a shift window (minutes)."""
        return daily_direct_limit_minutes(self.spec, window_hours(window))

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
    check = _Check(config)
    for name, track in check.tracks.items():
        check.track(name, track)
    check.rooms_and_services()
    check.intake()
    check.absence()
    check.paid_days()
    check.idle_cover()
    check.placements()
    _hire_warnings(config, check.calendar, check.warnings)
    return Staffing(check.errors, check.warnings)


class _Check:
    """One pass over a config: what each rule found, and which roles the work uses."""

    def __init__(self, config: SimiopConfig) -> None:
        self.config = config
        self.calendar = _calendar(config)
        self.horizon = config.simulation.horizon_days
        self.roles = _roles(config, self.calendar)
        self.errors: list[Finding] = []
        self.warnings: list[Finding] = []
        self.used: dict[str, str] = {}
        """Role -> the first work found for it, for the absence rule."""
        self.tracks = {name: track for name, track in config.tracks.items() if track.enabled}
        self.track_times: dict[str, tuple[tuple[Weekday, ...], float]] = {}
        """When each track that can run has its programme days."""
        self.windows = shift_windows(config)
        """The clock window of each shift (simiop.config.clock)."""

    def date(self, day: int) -> str:
        return self.calendar.date_of(day).isoformat()

    def workers(self, role: _Role, times: Times) -> list[int]:
        return _workers_on(role, self.calendar, self.horizon, times)

    def hire_needed(self, role: _Role, times: Times) -> str:
        return _hire_needed(role, self.calendar, self.horizon, times)

    def track(self, name: str, track: Track) -> None:
        """Facilitators and primary therapists for one enabled track, and its individual sessions."""
        path = f"tracks.{name}"
        start_hours = hours_of(track.start_time)
        first_day = _first_open_day(self.calendar, self.horizon, track.weekdays, start_hours, 0)
        if first_day is None:
            horizon = f"horizon_days {self.horizon:g}"
            self.warnings.append((path, "the track has no programme day before the horizon", horizon, None))
            return
        if track.groups == 0:
            self.errors.append(
                (
                    f"{path}.groups",
                    "an enabled track without groups admits no one",
                    "0",
                    ">= 1, or enabled: false to close the track",
                )
            )
            return
        self.track_times[name] = (track.weekdays, start_hours)
        role = self.roles[track.facilitator_role]
        self.used.setdefault(role.name, f"leads track {name}")
        where = f"{path}.facilitator_role"
        if not role.works(track.shift):
            self.errors.append(
                (
                    where,
                    f"no {role.name} works the {track.shift} shift, so track {name} never admits or runs",
                    role.describe(),
                    f"a role with staff on the {track.shift} shift: set staff.roles.{role.name}.shift to "
                    f"{track.shift} or both, or name another role",
                )
            )
            return
        # Admission needs a primary therapist employed on an admission day; groups, one on a programme day.
        cohort = track.admission.cohort_weekdays if track.admission.policy == "cohort" else None
        admission_times: Times = [(cohort or track.weekdays, start_hours)]
        admitting = self.workers(role, admission_times)
        firsts = self.workers(role, [self.track_times[name]])
        if not admitting:
            days = "a cohort start day" if cohort else "a programme day"
            self.errors.append(
                (
                    where,
                    f"no {role.name} on the {track.shift} shift is employed on {days} of track {name} "
                    "before the horizon, so it never admits or runs",
                    role.describe(),
                    self.hire_needed(role, admission_times),
                )
            )
            return
        if role.weekly_hours < track.hours_per_day - HOURS_SLACK:
            self.errors.append(
                (
                    f"{path}.hours_per_day",
                    f"a programme day is longer than one {role.name}'s week, so no group of track {name} "
                    "ever runs",
                    f"{track.hours_per_day:g}",
                    f"<= {at_most(role.weekly_hours + HOURS_SLACK)} (staff.roles.{role.name} {WEEK_BUDGET})",
                )
            )
        else:
            self.daily(name, track, role)
        if track.facilitators_per_group > len(firsts):
            self.errors.append(
                (
                    f"{path}.facilitators_per_group",
                    f"more facilitators per group than {role.name} on the {track.shift} shift, so no "
                    f"group of track {name} ever runs",
                    str(track.facilitators_per_group),
                    f"<= {len(firsts)} ({role.describe()})",
                )
            )
            return
        self.cover(name, track, role, len(firsts))
        if min(admitting) > first_day:
            self.warnings.append(
                (
                    where,
                    f"track {name} admits no one until {self.date(min(admitting))}, when the first "
                    f"{role.name} on the {track.shift} shift starts",
                    role.describe(),
                    None,
                )
            )
        self.individual(name, track, role)

    def daily(self, name: str, track: Track, role: _Role) -> None:
        """A facilitator spends the day's session minutes on direct care: they must fit in one person's day.

        The daily mirror of the weekly rule. Without days_per_week and
        non_direct_share it never fires before the weekly one: the daily
        budget is then the whole shift window, which holds the programme day.
        """
        limit = role.daily_minutes(self.windows[role.spec.shift])
        needed = track.group_sessions_per_day * track.session_minutes
        if limit < needed - HOURS_SLACK * 60:
            self.errors.append(
                (
                    f"tracks.{name}.group_sessions_per_day",
                    f"a programme day's group sessions take more than one {role.name}'s daily direct-care "
                    f"limit, so no group of track {name} ever runs",
                    f"{track.group_sessions_per_day} x {track.session_minutes:g} min",
                    f"at most {_minutes(limit)} min in total (staff.roles.{role.name} {DAY_BUDGET})",
                )
            )

    def cover(self, name: str, track: Track, role: _Role, people: int) -> None:
        """Warn when the track's groups need every facilitator there is (and no cover pool), or more."""
        needed = track.groups * track.facilitators_per_group
        if people < needed:
            self.warnings.append(
                (
                    f"tracks.{name}.groups",
                    f"{track.groups} groups need {needed} {role.name} on the {track.shift} shift at once, "
                    f"but there are only {people}: some groups never run",
                    str(track.groups),
                    None,
                )
            )
        elif people == needed and role.spec.absence_days_per_year > 0 and role.spec.cover is None:
            self.warnings.append(
                (
                    f"tracks.{name}.facilitator_role",
                    f"no cover on the {track.shift} shift: every {role.name} is needed for track {name}'s "
                    "groups, so any absence cancels a group",
                    role.describe(),
                    None,
                )
            )

    def individual(self, name: str, track: Track, role: _Role) -> None:
        """Individual therapy is by the primary therapist only: one session must fit in their week."""
        individual = self.config.services.individual_therapy
        if individual is None or individual.sessions_per_week == 0:
            return
        if role.weekly_hours < individual.session_minutes / 60.0 - HOURS_SLACK:
            self.errors.append(
                (
                    "services.individual_therapy.session_minutes",
                    f"an individual session is longer than one {role.name}'s week, so track {name}'s "
                    f"patients (primary therapists: {role.name}, {track.shift} shift) never get one",
                    f"{individual.session_minutes:g}",
                    _week_minutes(role),
                )
            )

    def rooms_and_services(self) -> None:
        """Rooms for the groups; prescriber and family sessions on the days patients attend."""
        if not self.track_times:
            return
        if self.config.rooms.group_rooms == 0:
            self.errors.append(
                (
                    "rooms.group_rooms",
                    "without a group room no group ever runs "
                    f"(enabled tracks: {', '.join(self.track_times)})",
                    "0",
                    ">= 1 while a track is enabled",
                )
            )
        services = self.config.services
        if services.prescriber is not None:
            visit = services.prescriber.initial_minutes
            self.service(
                services.prescriber.role, "services.prescriber", "prescriber visits", visit, "initial_minutes"
            )
        if services.family is not None and services.family.share_of_patients > 0:
            session = services.family.session_minutes
            self.service(
                services.family.role, "services.family", "family sessions", session, "session_minutes"
            )

    def service(self, role_name: str, path: str, what: str, minutes: float, minutes_field: str) -> None:
        """Prescriber or family: someone of the role at work, any shift, on some track's programme day."""
        role = self.roles[role_name]
        self.used.setdefault(role.name, f"gives {what}")
        times = list(self.track_times.values())
        if not self.workers(role, times):
            self.errors.append(
                (
                    f"{path}.role",
                    f"no {role.name} is employed on any track's programme day before the horizon, so no "
                    f"patient ever gets {what}",
                    role.describe(),
                    f"{self.hire_needed(role, times)}, or remove {path}",
                )
            )
        elif role.weekly_hours < minutes / 60.0 - HOURS_SLACK:
            self.errors.append(
                (
                    f"{path}.{minutes_field}",
                    f"longer than one {role.name}'s week, so no patient ever gets {what}",
                    f"{minutes:g}",
                    _week_minutes(role),
                )
            )
        shifts = sorted({track.shift for track in self.tracks.values()})
        if not any(role.works(shift) for shift in shifts):
            # Care is given only by staff of the patient's track's shift (issue 18), so every session is
            # missed (no_staff_on_shift). Not for a role that works one track's shift: the baseline's
            # family sessions by day therapists are missed for evening patients on purpose.
            self.warnings.append(
                (
                    f"{path}.role",
                    f"{role.name} works the {role.spec.shift} shift, but only staff of a patient's shift may "
                    f"give them {what}, and every enabled track is on the {' and '.join(shifts)} shift: all "
                    f"{what} are missed (no_staff_on_shift)",
                    role.describe(),
                    None,
                )
            )

    def intake(self) -> None:
        """Someone of intake.staff_role employed on a slot's day, when any referral can reach intake."""
        if not _intake_needed(self.config):
            return
        intake = self.config.intake
        role = self.roles[intake.staff_role]
        self.used.setdefault(role.name, "runs intake assessments")
        slot_times: Times = [((slot.weekday,), hours_of(slot.start_time)) for slot in intake.schedule]
        firsts = self.workers(role, slot_times)
        first_slot = _first_slot_day(self.calendar, self.horizon, slot_times)
        if first_slot is None:
            horizon = f"horizon_days {self.horizon:g}"
            self.warnings.append(
                ("intake.schedule", "no intake slot falls before the horizon", horizon, None)
            )
            return
        if not firsts:
            self.errors.append(
                (
                    "intake.staff_role",
                    f"no {role.name} is employed on an intake slot's day before the horizon, so no referral "
                    "is ever assessed",
                    role.describe(),
                    self.hire_needed(role, slot_times),
                )
            )
            return
        if min(firsts) > first_slot:
            self.warnings.append(
                (
                    "intake.staff_role",
                    f"intake assesses no one until {self.date(min(firsts))}, when the first {role.name} "
                    "starts",
                    role.describe(),
                    None,
                )
            )
        self.intake_hours(role, len(firsts))
        self.intake_days(role, len(firsts))
        for index, slot in enumerate(intake.schedule):
            if slot.parallel_slots > len(firsts):
                self.warnings.append(
                    (
                        f"intake.schedule[{index}].parallel_slots",
                        f"more parallel assessments than {role.name} staff: at most {len(firsts)} run "
                        "at once",
                        str(slot.parallel_slots),
                        None,
                    )
                )

    def intake_hours(self, role: _Role, people: int) -> None:
        """Warn when the weekly assessments take more hours than the intake staff's weeks hold.

        The model charges each assessment to its seat's person, so seats beyond
        the direct-care budgets are never offered (IntakeBook's rota): the
        schedule then has fewer places than it names. Each slot counts as many
        assessments as can run at once (parallel_slots, at most one per person
        of the role).
        """
        intake = self.config.intake
        needed = sum(min(slot.parallel_slots, people) for slot in intake.schedule)
        needed_hours = needed * intake.assessment_minutes / 60.0
        available = people * role.contracted_hours
        if needed_hours > available + HOURS_SLACK:
            self.warnings.append(
                (
                    "intake.schedule",
                    f"the weekly assessments take {needed_hours:g} h, more than the {available:g} h a week "
                    f"of {role.name} staff (count x weekly_hours x fte); intake is charged to staff time, so "
                    "only the seats their direct-care budgets hold are offered",
                    role.describe() + f", fte {role.spec.fte:g}",
                    None,
                )
            )

    def intake_days(self, role: _Role, people: int) -> None:
        """Warn when a weekday's assessments ask more minutes of the intake staff than their days hold.

        Each slot counts as many assessments as can run at once (parallel_slots,
        at most one per person), against people x the daily direct-care limit;
        one warning names every such weekday.
        """
        intake = self.config.intake
        limit = people * role.daily_minutes(self.windows[role.spec.shift])
        needed = {
            weekday: sum(
                min(slot.parallel_slots, people) for slot in intake.schedule if slot.weekday == weekday
            )
            * intake.assessment_minutes
            for weekday in WEEKDAYS
        }
        over = [weekday for weekday in WEEKDAYS if needed[weekday] > limit + HOURS_SLACK * 60]
        if over:
            most = max(needed[weekday] for weekday in over)
            self.warnings.append(
                (
                    "intake.schedule",
                    f"the assessments of {', '.join(over)} take up to {most:g} min a day, more than the "
                    f"{_minutes(limit)} min of direct care a day of {role.name} staff (count x {DAY_BUDGET})",
                    role.describe(),
                    None,
                )
            )

    def paid_days(self) -> None:
        """Warn when a role's paid day (weekly_hours x fte / days_per_week) outlasts its shift window."""
        for name, role in self.roles.items():
            if role.spec.days_per_week is None:
                continue
            window = window_hours(self.windows[role.spec.shift])
            paid = paid_hours_per_day(role.spec, window)
            if paid > window + HOURS_SLACK:
                self.warnings.append(
                    (
                        f"staff.roles.{name}.days_per_week",
                        f"a paid day of {paid:g} h (weekly_hours x fte / days_per_week) is longer than the "
                        f"{role.spec.shift} shift's window of {window:g} h, which caps the hours that can be "
                        "booked",
                        str(role.spec.days_per_week),
                        None,
                    )
                )

    def placements(self) -> None:
        """Warn about a service no placement can hold: every session of it is missed (no_slot).

        pull_out is shut by ``max_pull_outs_per_day: 0``; before and after by an
        ``outside_window_minutes`` shorter than the session, which must fit between the window's edge and
        the programme day. A warning, not an error, as for a care role on no track's shift.
        """
        services = self.config.services
        found: list[tuple[str, tuple[str, ...], list[tuple[str, float]]]] = []
        if services.individual_therapy is not None:
            therapy = services.individual_therapy
            found.append(
                ("individual_therapy", therapy.placement, [("session_minutes", therapy.session_minutes)])
            )
        if services.prescriber is not None:
            visits = services.prescriber
            lengths = [
                ("initial_minutes", visits.initial_minutes),
                ("follow_up_minutes", visits.follow_up_minutes),
            ]
            found.append(("prescriber", visits.placement, lengths))
        if services.family is not None:
            found.append(
                ("family", services.family.placement, [("session_minutes", services.family.session_minutes)])
            )
        window = services.outside_window_minutes
        for name, placement, lengths in found:
            outside = [where for where in placement if where != "pull_out"]
            if "pull_out" in placement and services.max_pull_outs_per_day >= 1:
                continue
            for field, minutes in lengths:
                if outside and minutes <= window:
                    continue
                shut = ["pull_out: max_pull_outs_per_day is 0"] if "pull_out" in placement else []
                if outside:
                    shut.append(f"{' and '.join(outside)}: outside_window_minutes {window:g} < {minutes:g}")
                self.warnings.append(
                    (
                        f"services.{name}.placement",
                        f"no placement can hold a {minutes:g}-min session ({name}.{field}; "
                        f"{', '.join(shut)}), so every one is missed (no_slot)",
                        str(list(placement)),
                        None,
                    )
                )

    def idle_cover(self) -> None:
        """Warn about a cover pool never called: cover people lead groups only (no care, no intake)."""
        leading = sorted({track.facilitator_role for track in self.tracks.values()})
        for name, role in self.roles.items():
            if role.spec.cover is not None and name not in leading:
                self.warnings.append(
                    (
                        f"staff.roles.{name}.cover",
                        f"cover people only lead groups, and no enabled track's groups are led by {name}, so "
                        "this pool is never called",
                        f"facilitator roles {', '.join(leading) or 'none'}",
                        None,
                    )
                )

    def absence(self) -> None:
        """A role the work uses whose people are absent every day (absence_days_per_year >= 260)."""
        for name, what in self.used.items():
            role = self.roles[name]
            if role.always_absent:
                self.errors.append(
                    (
                        f"staff.roles.{name}.absence_days_per_year",
                        f"everyone in this role is absent every working day, yet it {what}",
                        f"{role.spec.absence_days_per_year:g}",
                        "below 260",
                    )
                )


def _hire_needed(role: _Role, calendar: ClinicCalendar, horizon: float, times: Times) -> str:
    """What would fix it: someone at opening, or hired by the last day the work happens."""
    last = max(
        (day for day in range(calendar.days) for weekdays, hours in times if day + hours / 24.0 < horizon
         and calendar.weekday_of(day) in weekdays and not calendar.is_holiday(day)),
        default=calendar.days - 1,
    )  # fmt: skip
    return f"staff.roles.{role.name}.count >= 1, or a hire by {calendar.date_of(last)}"


def _minutes(limit: float) -> str:
    """A limit in minutes as an allowed bound, with the model's slack: 8 h x 0.1 is 48, not 47.9999."""
    return at_most(limit + HOURS_SLACK * 60)


def _week_minutes(role: _Role) -> str:
    return f"<= {_minutes(role.weekly_hours * 60)} (staff.roles.{role.name} {WEEK_BUDGET}, in minutes)"


WEEK_BUDGET = "weekly_hours x fte x (1 - non_direct_share)"
"""How a role's weekly direct-care budget is made, as the messages name it."""

DAY_BUDGET = "paid hours a day x (1 - non_direct_share)"
"""How a role's daily direct-care budget is made, as the messages name it."""


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
    # The run's days are 0..whole_days(horizon) - 1 (the tables date each one); its last day may be LAST_DATE,
    # so an opening on LAST_DATE still allows a 1-day run.
    allowed = (LAST_DATE - opening).days + 1
    if whole_days(horizon) > allowed:
        yield (
            "simulation.horizon_days",
            f"the run would end after {LAST_DATE.isoformat()}, the last date simiop supports",
            f"{horizon:g} days from opening_date {opening.isoformat()}",
            f"<= {allowed} for this opening_date",
        )
