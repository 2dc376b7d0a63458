"""Individual therapy, prescriber and family sessions on the clock, and the record of each attended day.

Care is attempted on the days a patient came, when a service is due, after
every group session of the day (delivery.py). Each session is placed at a
clock time with a person: pulled out of a group session's slot (the patient
misses that group: one service, not two) or just before or after the
programme day, in the order the config gives per service
(``services.<service>.placement``). The person must work the patient's
track's shift, be free then and inside their shift window, and have the
minutes left in their daily and weekly direct budgets. A due session that
cannot be placed is a ``missed`` sessions.csv row with its reason and stays
due for the next attended day. Care draws no random numbers; who gets family
sessions was drawn at enrolment (CarePlan).

This runs for about 15,000 due sessions in a 3-year baseline run, so what a
service on a track shares is read once (``_Spot``: its slots, bounds and the
codes of its rows), the common case of one person (the patient's own
therapist, a clinic's one prescriber) is searched without lists, and a day on
which nobody of a pool has a session's minutes left is remembered for the
rest of that day's care, which only ever adds minutes.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain
from operator import attrgetter
from typing import TYPE_CHECKING

import numpy as np

from simiop.config.care import Placement, PrescriberVisits, ServicesConfig
from simiop.config.clock import Window
from simiop.config.model import SimiopConfig
from simiop.model.clock import EPS, Timeline
from simiop.model.records import PatientDays, SessionKind, SessionReason, TrackDay
from simiop.model.session_table import NO_TIME
from simiop.model.sessions import HeldSession, RowPatients, SessionLog, sessions_of
from simiop.model.staff import Activity, Person, Roster

if TYPE_CHECKING:
    from simiop.model.attendance import Attendance
    from simiop.model.stay import Enrolment
    from simiop.model.tracks import TrackState

DAYS_PER_WEEK = 7.0

_ceil = math.ceil

SLOT_STEP_MINUTES = 10.0
"""Before or after the programme day, candidate starts step away from it by this much (ASSUMPTION:
appointments on a 10-minute grid relative to the patient's day)."""


class PatientToday:
    """One patient's day while their care is placed: busy for an assessment outside the programme day and
    any care booked next to it (a timeline), and the group sessions they were pulled out of.

    The programme day itself is not on the timeline: the only sessions searched on it go before or after
    the programme day and so never overlap it, and its one interval would only be passed over by every
    search. Nothing booked yet (most patients): the timeline is ``NOTHING_BOOKED``, shared, never written;
    the first session booked next to the programme day gives the patient a timeline of their own.
    """

    __slots__ = ("assessed", "pulled", "timeline")

    def __init__(self, programme: tuple[float, float], assessed: tuple[float, float] | None = None) -> None:
        self.pulled: list[int] = []
        self.assessed = assessed
        """The patient's intake assessment today, if any (admitted the day they were assessed)."""
        self.timeline = NOTHING_BOOKED
        if assessed is not None:
            first, last = programme
            held, ended = assessed
            # outside the programme day (Timeline.free of the programme day's one interval, written out)
            if (last <= held + EPS) if held >= first else (first >= ended - EPS):
                self.timeline = Timeline(held, ended)

    def free_in_programme(self, start: float, end: float) -> bool:
        """Whether a pull-out at ``[start, end)`` misses the patient's assessment (the only thing that can
        be busy inside the programme day besides groups: a patient who joined during the day)."""
        assessed = self.assessed
        return assessed is None or end <= assessed[0] + EPS or assessed[1] <= start + EPS


NOTHING_BOOKED = Timeline()
"""The timeline of a patient with nothing booked today outside the programme day (shared: never written)."""

Placed = tuple[float, Person, Placement, int]
"""(start minute, person, placement, group session pulled out of or -1)."""


@dataclass(slots=True, eq=False)
class CarePlan:
    """One enrolled patient's care: whether they have family sessions and when each service is next due."""

    family: bool
    next_family_day: float
    next_prescriber_day: float
    prescriber_seen: bool = False
    individual_week: int = -1
    individual_this_week: int = 0
    next_due: float = 0.0
    """No service is due before this day (the earliest of the three): care skips the patient until then."""


class _NoCarePlan(CarePlan):
    """``NO_CARE``'s class: a CarePlan that cannot be changed, since every stay of a run shares it (code
    that wrote to one stay's plan would otherwise write to all). Its fields read as a CarePlan's (the same
    slots, no cost on reading); setting or deleting one raises. Pickled or copied, it is ``NO_CARE`` itself.
    """

    __slots__ = ()

    def __init__(self) -> None:
        for name, value in (
            ("family", False),
            ("next_family_day", math.inf),
            ("next_prescriber_day", math.inf),
            ("prescriber_seen", False),
            ("individual_week", -1),
            ("individual_this_week", 0),
            ("next_due", math.inf),
        ):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"care.NO_CARE is shared by every stay and cannot be changed (set {name})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"care.NO_CARE is shared by every stay and cannot be changed (delete {name})")

    def __reduce__(self) -> str:
        return "NO_CARE"  # the module's one instance, by name: identity survives pickling and copying


NO_CARE: CarePlan = _NoCarePlan()
"""The plan of every stay in a run with no care service (``any_service`` false): nothing is ever due,
so care never changes it; one shared plan rather than one made per admission, and read-only."""


def any_service(services: ServicesConfig) -> bool:
    """Whether any patient can ever be due individual therapy, a prescriber or a family session (else
    care only writes each group's records and no stay needs a CarePlan)."""
    individual = services.individual_therapy
    return (
        (individual is not None and individual.sessions_per_week > 0)
        or services.prescriber is not None
        or services.family is not None
    )


class _Service:
    """One care service as the after-pass books it, read once from the config and the record: the hours
    a session books, its minutes (as ``_give`` places it) and the hours ``_able`` checks (minutes / 60),
    where it may go, the roster's hours per role and day of its activity and the record's (rows, hours)."""

    __slots__ = ("activity", "booked", "check_hours", "hours", "kind", "minutes", "placements", "record")

    def __init__(
        self,
        activity: Activity,
        kind: SessionKind,
        hours: float,
        placements: tuple[Placement, ...],
        booked: dict[str, list[float]],
        record: tuple[list[int], list[float]],
    ) -> None:
        self.activity = activity
        self.kind = kind
        self.hours = hours
        self.minutes = hours * 60.0
        self.check_hours = self.minutes / 60.0
        self.placements = placements
        self.booked = booked
        self.record = record


class _Spot:
    """One service on one track, read once: the pull-out slots a session fits in, the programme day, how
    far from it a session may go, the group hours a pull-out misses, and the log's codes of its rows."""

    __slots__ = (
        "first",
        "group_hours",
        "held",
        "highest",
        "last",
        "lowest",
        "missed",
        "nobody_able_on",
        "nobody_reason",
        "present",
        "service",
        "slots",
        "slots_end",
        "slots_start",
        "track",
    )

    def __init__(
        self, service: _Service, track: TrackState, outside: float, present: list[list[Person]] | None = None
    ) -> None:
        self.service = service
        self.track = track.name
        self.present = present if present is not None else []
        """Who of the pool's role is at work on the track's shift, by day (Roster.presence, read once a
        run; a pool's spot: prescriber and family sessions)."""
        self.slots = _fitting(track.pull_out_slots, service.minutes)
        self.slots_start = self.slots[0][1] if self.slots else math.inf
        self.slots_end = self.slots[-1][2] if self.slots else math.inf
        """From the first slot's start to the last one's end: a busy interval over all of it fits none."""
        self.first, self.last = track.programme
        self.lowest = self.first - outside
        self.highest = self.last + outside
        self.group_hours = track.spec.session_minutes / 60.0
        self.held: dict[tuple[float, str, int], int] = {}
        """(start, person, slot) -> the log's code of a held session's key (placement and end follow)."""
        self.missed: dict[SessionReason, int] = {}
        """Reason -> the log's code of a missed session's key."""
        self.nobody_able_on = -1
        """The day on which nobody of the track's shift pool of the service's role could give the session,
        for ``nobody_reason``: so for the rest of that day's care (the pool, not a therapist). Nobody of
        the role works the shift, or is at work that day, all day; care only adds to people's minutes."""
        self.nobody_reason: SessionReason = "no_staff_time"


_Spots = tuple["_Spot | None", tuple["_Spot", ...], "_Spot | None"]
"""A track's individual, prescriber (first visit, follow-up) and family spots."""


class Care:
    """The services of the config, booking hours on the roster and writing patient-day records.

    Records go straight into the columns of ``patient_days`` (PatientDays):
    a row's episode and whether its group ran, the track-day once, and a
    session's hours only on the rows that had one. ``close`` ends the pass
    (after the last ``care_for``): what is added up from the record.
    """

    def __init__(
        self, config: SimiopConfig, roster: Roster, patient_days: PatientDays, log: SessionLog | None = None
    ) -> None:
        self._roster = roster
        self._log = log if log is not None else SessionLog()
        self._log_key, self._log_size, self._log_id = (
            self._log.key.append,
            self._log.sizes.append,
            self._log.ids.append,
        )
        """The log's columns' appends (a one-patient row: key, size 1 and its id, after ``at_day``)."""
        self._days = patient_days
        self._episode_ids = patient_days.episode_id
        self._ran = patient_days.ran
        self._rows = len(patient_days.episode_id)
        self._groups: list[Sequence[Enrolment]] = []
        """Every group of patients who came, in order (``close`` finds the episodes in them)..."""
        self._served: list[Enrolment] = []
        """...or, when care has services, each patient at their first attended day."""
        self._shapes: dict[str, tuple[int, float, float]] = {}
        """Per track: group sessions a day, programme hours and a patient's group hours (read once)."""
        self._hours = roster.booked_hours()
        self._week_start = roster.calendar.week_start
        services = config.services
        individual, prescriber, family = services.individual_therapy, services.prescriber, services.family
        # Read once: this runs for every attended patient-day.
        self._individual_per_week = individual.sessions_per_week if individual is not None else 0
        self._prescriber = prescriber
        self._prescriber_every = (
            prescriber.follow_up_interval_weeks * DAYS_PER_WEEK if prescriber is not None else 0.0
        )
        self._family = family
        self._family_every = family.interval_weeks * DAYS_PER_WEEK if family is not None else 0.0
        booked = self._hours
        self._services: tuple[_Service | None, tuple[_Service, ...], _Service | None] = (
            _Service(
                "individual",
                "individual",
                individual.session_minutes / 60.0,
                individual.placement,
                booked["individual"],
                patient_days.individual,
            )
            if individual is not None
            else None,
            tuple(
                _Service(
                    "prescriber",
                    kind,
                    minutes / 60.0,
                    prescriber.placement,
                    booked["prescriber"],
                    patient_days.prescriber,
                )
                for kind, minutes in _prescriber_kinds(prescriber)
            )
            if prescriber is not None
            else (),
            _Service(
                "family",
                "family",
                family.session_minutes / 60.0,
                family.placement,
                booked["family"],
                patient_days.family,
            )
            if family is not None
            else None,
        )
        """Individual therapy, the prescriber's first visit and follow-up (indexed by
        CarePlan.prescriber_seen), family sessions."""
        self._spots: dict[str, _Spots] = {}
        """Per track: its spot of each service (``_services``' shape), made at the track's first day."""
        self._outside = services.outside_window_minutes
        self._max_pull_outs = services.max_pull_outs_per_day
        self.assessed: dict[int, tuple[float, float]] = {}
        """Today's intake assessments held, by episode: [start, end) (delivery.py sets it each day)."""
        self._on_shift: dict[tuple[str, str], bool] = {}
        """Per (role, shift): whether anybody of the role ever works the shift (else: no_staff_on_shift)."""
        self.any_service = self._any_service = any_service(services)
        """Whether any patient can be due a service (else a group's records are written in one go, by
        ``record_groups``)."""

    def care_for(
        self,
        track: TrackState,
        day: int,
        week: int,
        row: TrackDay,
        groups: Sequence[Sequence[Enrolment]],
        sessions: Sequence[HeldSession | None],
    ) -> None:
        """Individual therapy, prescriber and family sessions for the patients who came to one track-day
        (``row`` of ``track``), group by group in order, and each one's record; ``sessions``: per group,
        the group session it was in, None if its session did not run.

        One call per track-day, not per patient: what every patient of the day
        shares is read once, a patient with nothing due (CarePlan.next_due) is
        passed over in one comparison, and a run with none of the services
        writes each group's records in one go (this is the model's innermost
        loop). A session given counts on the episode at once; the episodes'
        group sessions and service hours, and denied reviews, are written by
        ``close``, from the record.
        """
        index = self._rows
        shape = self._shapes.get(track.name) or self._shape(track)
        self._days.track_days.append((index, day, week, *shape))
        if self._log.open_day != day:
            self._log.at_day(day)
        episode_ids, ran_days = self._episode_ids, self._ran
        first = index
        for group, session in zip(groups, sessions, strict=True):
            count = len(group)
            if not count:
                continue
            if not self._any_service:
                self._groups.append(group)
            if session is not None and session.ids is not None and session.members is group:
                episode_ids.extend(session.ids)  # the group's ids as its session was held
            else:
                episode_ids.extend(map(_episode_id, group))
            ran_days.extend([session is not None] * count)
            index += count
        self._rows = index
        if self._any_service:  # the groups' records are in: their services, group by group in order
            self._serve(track, day, week, row, groups, sessions, first)

    def record_groups(self, attendance: Attendance, held: Sequence[HeldSession]) -> None:
        """``care_for`` in a run with no care service (``any_service`` false), from the track-day and the
        group sessions ``hold`` gave it: each group's records in one go (the same rows as ``care_for``'s
        with ``sessions_of``), with no look at a care plan."""
        came = attendance.came
        if len(came) == 1:  # sessions_of's first case
            group = came[0]
            if not group:
                sessions: Sequence[HeldSession | None] = [None]
            else:
                index = self._rows
                track = attendance.track
                shape = self._shapes.get(track.name) or self._shape(track)
                self._days.track_days.append((index, attendance.day, attendance.week, *shape))
                count = len(group)
                self._groups.append(group)
                self._episode_ids.extend(map(_episode_id, group))
                self._ran.extend([bool(held)] * count)
                self._rows = index + count
                return
        else:
            sessions = sessions_of(came, held)
        self.care_for(attendance.track, attendance.day, attendance.week, attendance.row, came, sessions)

    def _shape(self, track: TrackState) -> tuple[int, float, float]:
        """The track's group sessions a day, programme hours and a patient's group hours, read once."""
        spec = track.spec
        per_day = spec.group_sessions_per_day
        shape = self._shapes[track.name] = (
            per_day,
            spec.hours_per_day,
            per_day * spec.session_minutes / 60.0,
        )
        return shape

    def _spots_of(self, track: TrackState) -> _Spots:
        """The track's spot of each service, made once."""
        individual, prescriber, family = self._services
        shift = track.spec.shift
        presence = self._roster.presence
        spots = self._spots[track.name] = (
            _Spot(individual, track, self._outside) if individual is not None else None,
            tuple(
                _Spot(service, track, self._outside, presence(self._prescriber.role, shift))
                for service in prescriber
                if self._prescriber is not None
            ),
            _Spot(family, track, self._outside, presence(self._family.role, shift))
            if family is not None and self._family is not None
            else None,
        )
        return spots

    def _serve(
        self,
        track: TrackState,
        day: int,
        week: int,
        row: TrackDay,
        groups: Sequence[Sequence[Enrolment]],
        sessions: Sequence[HeldSession | None],
        index: int,
    ) -> None:
        """The services due to each patient of one track-day, group by group in order (``sessions``: per
        group, the group session it was in), from record row ``index`` on.

        One call per track-day: what its groups share (the spots, the pools
        at work today) is read once. Only a patient with something due
        (CarePlan.next_due) is looked at: this runs for every attended
        patient-day. The patient's own therapist (individual therapy, family
        sessions of the therapist's role) and a pool of one (a clinic's one
        prescriber) are checked here without a list (``_able`` for one
        person, written out).
        """
        per_week = self._individual_per_week
        prescriber, family = self._prescriber, self._family
        next_week: int | None = None
        shift = track.spec.shift
        log_key, log_size, log_id = self._log_key, self._log_size, self._log_id
        spots = self._spots.get(track.name)
        if spots is None:
            spots = self._spots_of(track)
        individual, prescriber_spots, family_spot = spots
        # Who can give a prescriber or family session today on the track's shift: the same for every
        # patient of the track-day (read-only lists, the roster's presence tables read once a run by the
        # spots; _able makes its own), looked up at the first need.
        prescribers: list[Person] | None = None
        family_pool: list[Person] | None = None
        family_role = family.role if family is not None else ""
        able: list[Person] | SessionReason
        for group, session in zip(groups, sessions, strict=True):
            for at, enrolment in enumerate(group, index):
                plan = enrolment.care
                if day < plan.next_due:  # nothing due today: most patient-days
                    continue
                if plan.individual_week != week:
                    if plan.individual_week < 0:  # the patient's first attended day
                        self._served.append(enrolment)
                    plan.individual_week, plan.individual_this_week = week, 0
                therapist = enrolment.therapist
                episode = enrolment.episode
                episode_id = episode.episode_id
                # The therapist at work today (individual therapy and a family session of their role).
                present = day >= therapist.start_day and not therapist.absent[day]
                # The patient's day, made at the first session that gets as far as a search for a slot (most
                # due sessions fail earlier: nobody at work or nobody with the minutes left).
                patient: PatientToday | None = None
                if plan.individual_this_week < per_week:
                    assert individual is not None
                    service = individual.service
                    reason: SessionReason | None = None
                    if not present:
                        reason = self._nobody(therapist.role, shift)
                    else:  # _able for the one therapist, written out
                        timeline = (
                            therapist.timeline if therapist.timeline_day == day else therapist.today(day)
                        )
                        if not (
                            timeline.direct + service.minutes <= therapist.daily_limit + 1e-9
                            and therapist.hours_by_week[week] + service.check_hours
                            <= therapist.weekly_hours + 1e-9
                        ):
                            reason = "no_staff_time"
                    if reason is not None:
                        code = individual.missed.get(reason)
                        log_key(code if code is not None else self._missed_code(individual, reason))
                        log_size(1)
                        log_id(episode_id)
                    else:
                        patient = PatientToday(track.programme, self.assessed.get(episode_id))
                        if self._give(
                            individual, [therapist], day, week, row, episode_id, at, session, patient
                        ):
                            plan.individual_this_week += 1
                            episode.individual_sessions += 1
                if prescriber is not None and day >= plan.next_prescriber_day:
                    seen = plan.prescriber_seen
                    spot = prescriber_spots[seen]
                    if spot.nobody_able_on == day:
                        able = spot.nobody_reason
                    else:
                        if prescribers is None:
                            prescribers = spot.present[day]  # Roster.present(role, day, shift)
                        if len(prescribers) == 1:
                            # _able for a pool of one (a clinic's one prescriber), written out
                            person = prescribers[0]
                            timeline = person.timeline if person.timeline_day == day else person.today(day)
                            service = spot.service
                            able = (
                                prescribers  # the pool's own list: _give reads a list of one and changes none
                                if timeline.direct + service.minutes <= person.daily_limit + 1e-9
                                and person.hours_by_week[week] + service.check_hours
                                <= person.weekly_hours + 1e-9
                                else "no_staff_time"
                            )
                        else:
                            able = self._able(
                                prescribers, prescriber.role, shift, day, week, spot.service.minutes
                            )
                        if isinstance(able, str):  # so for every patient of the day: remembered
                            spot.nobody_able_on, spot.nobody_reason = day, able
                    if isinstance(able, str):
                        code = spot.missed.get(able)
                        log_key(code if code is not None else self._missed_code(spot, able))
                        log_size(1)
                        log_id(episode_id)
                    else:
                        if patient is None:
                            patient = PatientToday(track.programme, self.assessed.get(episode_id))
                        if self._give(spot, able, day, week, row, episode_id, at, session, patient):
                            if not seen:
                                self._days.prescriber_initial.append(at)
                            plan.prescriber_seen = True
                            plan.next_prescriber_day = day + self._prescriber_every
                            episode.prescriber_visits += 1
                if family is not None and plan.family and day >= plan.next_family_day:
                    assert family_spot is not None
                    if present and therapist.role == family_role:  # _able for the one therapist, written out
                        timeline = (
                            therapist.timeline if therapist.timeline_day == day else therapist.today(day)
                        )
                        service = family_spot.service
                        able = (
                            [therapist]
                            if timeline.direct + service.minutes <= therapist.daily_limit + 1e-9
                            and therapist.hours_by_week[week] + service.check_hours
                            <= therapist.weekly_hours + 1e-9
                            else "no_staff_time"
                        )
                    elif family_spot.nobody_able_on == day:
                        able = family_spot.nobody_reason
                    else:
                        if family_pool is None:
                            family_pool = family_spot.present[day]  # Roster.present(role, day, shift)
                        able = self._able(
                            family_pool, family_role, shift, day, week, family_spot.service.minutes
                        )
                        if isinstance(able, str):
                            family_spot.nobody_able_on, family_spot.nobody_reason = day, able
                    if isinstance(able, str):
                        code = family_spot.missed.get(able)
                        log_key(code if code is not None else self._missed_code(family_spot, able))
                        log_size(1)
                        log_id(episode_id)
                    else:
                        if patient is None:
                            patient = PatientToday(track.programme, self.assessed.get(episode_id))
                        if self._give(family_spot, able, day, week, row, episode_id, at, session, patient):
                            plan.next_family_day = day + self._family_every
                            episode.family_sessions += 1
                # When to look again: today's week's sessions done, the next week; a service still due
                # (it could not be placed), the next attended day.
                if plan.individual_this_week >= per_week:
                    if next_week is None:
                        next_week = self._week_start(week + 1)
                    due: float = next_week
                else:
                    due = day
                if prescriber is not None and plan.next_prescriber_day < due:
                    due = plan.next_prescriber_day
                if family is not None and plan.family and plan.next_family_day < due:
                    due = plan.next_family_day
                plan.next_due = due
            index += len(group)

    def _able(
        self, people: Sequence[Person], role: str, shift: str, day: int, week: int, minutes: float
    ) -> list[Person] | SessionReason:
        """Who of ``people`` (at work, on the track's shift) has ``minutes`` left in their daily and weekly
        direct budgets (Person.can_give, written out); else why a session is missed before any slot is
        looked at: no_staff_on_shift (nobody of the role ever works the shift), staff_absent (nobody at
        work), no_staff_time (nobody with the minutes left).

        Most missed sessions end here (a session stays due and is tried again on each attended day),
        so this is the cheap first question, asked before the patient's day is laid out.
        """
        if not people:
            return self._nobody(role, shift)
        able = []
        hours = minutes / 60.0
        for person in people:
            timeline = person.timeline if person.timeline_day == day else person.today(day)
            if (
                timeline.direct + minutes <= person.daily_limit + 1e-9
                and person.hours_by_week[week] + hours <= person.weekly_hours + 1e-9
            ):
                able.append(person)
        return able or "no_staff_time"

    def _give(
        self,
        spot: _Spot,
        able: list[Person],
        day: int,
        week: int,
        row: TrackDay,
        episode_id: int,
        at: int,
        session: HeldSession | None,
        patient: PatientToday,
    ) -> bool:
        """Place one due session of ``spot``'s service with one of ``able`` (at work, on the track's shift,
        with the minutes left: ``_able``) and book it, or write a missed row (no_slot); whether it was given.

        The search for one person (most due sessions: the patient's own
        therapist, a clinic's one prescriber) is ``_place`` without the sort
        and the loops over people, written out here.
        """
        service = spot.service
        minutes = service.minutes  # the config's minutes / 60 and back: within a rounding error
        if len(able) == 1:
            person = able[0]
            timeline = person.timeline  # today's: _able asked for it
            for placement in service.placements:
                if placement == "pull_out":
                    pulled = patient.pulled
                    if len(pulled) >= self._max_pull_outs:
                        continue
                    starts, ends = timeline.starts, timeline.ends
                    if starts:  # busy across every slot (a facilitator's programme day): no pull-out
                        index = bisect_right(starts, spot.slots_start)
                        if index and ends[index - 1] >= spot.slots_end:
                            continue
                    assessed = patient.assessed
                    low, high = person.window
                    found = False
                    for k, start, end in spot.slots:
                        if k in pulled or not (
                            assessed is None or end <= assessed[0] + EPS or assessed[1] <= start + EPS
                        ):  # PatientToday.free_in_programme, written out
                            continue
                        if low - EPS <= start and end <= high + EPS:
                            if not starts:  # Timeline.free, written out
                                found = True
                                break
                            index = bisect_right(starts, start)
                            if not (index and ends[index - 1] > start + EPS) and (
                                index == len(starts) or starts[index] >= end - EPS
                            ):
                                found = True
                                break
                    if found:
                        break
                elif placement == "before":  # back from the programme day: sessions stack next to it
                    steps = _steps_before(
                        timeline, patient.timeline, person.window, spot.first, minutes, spot.lowest
                    )
                    if steps is not None:
                        start, k = spot.first - steps * SLOT_STEP_MINUTES - minutes, -1
                        break
                else:
                    steps = _steps_after(
                        timeline, patient.timeline, person.window, spot.last, minutes, spot.highest
                    )
                    if steps is not None:
                        start, k = spot.last + steps * SLOT_STEP_MINUTES, -1
                        break
            else:
                return self._no_slot(spot, day, episode_id)
        else:
            placed = self._place(day, week, spot, able, patient)
            if placed is None:
                return self._no_slot(spot, day, episode_id)
            start, person, placement, k = placed
        end = start + minutes
        hours = service.hours
        person.hours_by_week[week] += hours  # Roster.book_at, written out, with the config's hours
        service.booked[person.role][day] += hours
        # Timeline.take, written out without its check: the search found [start, end) free for both
        busy = person.timeline
        index = bisect_right(busy.starts, start)
        busy.starts.insert(index, start)
        busy.ends.insert(index, end)
        busy.direct += minutes
        activity = service.activity
        if activity == "individual":
            row.individual_hours += hours
        elif activity == "prescriber":
            row.prescriber_hours += hours
        else:
            row.family_hours += hours
        rows, booked = service.record
        rows.append(at)
        booked.append(hours)
        if placement == "pull_out":
            patient.pulled.append(k)
            if session is not None:  # the patient misses group session k: out of its row and counts
                patients = session.patients
                if type(patients) is RowPatients:  # the log's rows: marked in place, no FlatRow made
                    patients.take_out(k, episode_id)
                else:
                    patients[k].remove(episode_id)
                pulled_out = self._days.pulled_out
                pulled_out[0].append(at)
                pulled_out[1].append(spot.group_hours)
                row.group_attendances -= 1
        else:
            busy = patient.timeline
            if busy is NOTHING_BOOKED:  # the patient's first booking today: a timeline of their own
                patient.timeline = Timeline(start, end)
            else:
                index = bisect_right(busy.starts, start)
                busy.starts.insert(index, start)
                busy.ends.insert(index, end)
        person_id = person.person_id
        code = spot.held.get((start, person_id, k))
        if code is None:  # the row's key, coded once per service, track, time, person and slot
            code = spot.held[(start, person_id, k)] = self._log.code(
                (service.kind, spot.track, -1, k, placement, start, end, (person_id,), 0,
                 f"office:{person_id}", "held", "")
            )  # fmt: skip
        self._log_key(code)
        self._log_size(1)
        self._log_id(episode_id)
        return True

    def _no_slot(self, spot: _Spot, day: int, episode_id: int) -> bool:
        """Write the missed row of a session nobody able could be placed with (no_slot); False."""
        log = self._log
        code = spot.missed.get("no_slot")
        log.key.append(code if code is not None else self._missed_code(spot, "no_slot"))
        log.sizes.append(1)
        log.ids.append(episode_id)
        return False

    def _missed_code(self, spot: _Spot, reason: SessionReason) -> int:
        """The log's code of a missed session's key, numbered at its first row."""
        code = spot.missed[reason] = self._log.code(
            (spot.service.kind, spot.track, -1, -1, "", NO_TIME, NO_TIME, (), 0, "", "missed", reason)
        )
        return code

    def _nobody(self, role: str, shift: str) -> SessionReason:
        """Why a session of ``role`` on ``shift`` is missed when nobody of the role is at work."""
        return "staff_absent" if self._works_shift(role, shift) else "no_staff_on_shift"

    def _works_shift(self, role: str, shift: str) -> bool:
        known = self._on_shift.get((role, shift))
        if known is None:
            known = self._on_shift[(role, shift)] = any(p.works(shift) for p in self._roster.by_role[role])
        return known

    def _place(
        self, day: int, week: int, spot: _Spot, able: list[Person], patient: PatientToday
    ) -> Placed | None:
        """The first (placement, slot, person) that fits, in the config's order of placements, slots in
        clock order (away from the programme day), people with the most minutes left today first (``able``:
        each has the minutes left, ``_able``); None if there is no common free time (no_slot)."""
        if len(able) > 1:  # most direct minutes left today, then most hours left this week, then the id
            # (each one's timeline is today's: _able asked for it)
            able.sort(
                key=lambda p: (
                    p.timeline.direct - p.daily_limit,
                    p.hours_by_week[week] - p.weekly_hours,
                    p.person_id,
                )
            )
        minutes = spot.service.minutes
        first, last = spot.first, spot.last
        for placement in spot.service.placements:
            if placement == "pull_out":
                pulled = patient.pulled
                if len(pulled) >= self._max_pull_outs:
                    continue
                assessed = patient.assessed
                for k, start, end in spot.slots:
                    if k in pulled or not (
                        assessed is None or end <= assessed[0] + EPS or assessed[1] <= start + EPS
                    ):  # PatientToday.free_in_programme, written out
                        continue
                    for person in able:  # each one's timeline is today's: _able asked for it
                        low, high = person.window
                        if low - EPS <= start and end <= high + EPS and person.timeline.free(start, end):
                            return start, person, placement, k
            elif placement == "before":  # back from the programme day: sessions stack next to it
                found = _nearest(able, _steps_before, patient.timeline, first, minutes, spot.lowest)
                if found is not None:
                    end = first - found[0] * SLOT_STEP_MINUTES
                    return end - minutes, found[1], placement, -1
            else:
                found = _nearest(able, _steps_after, patient.timeline, last, minutes, spot.highest)
                if found is not None:
                    return last + found[0] * SLOT_STEP_MINUTES, found[1], placement, -1
        return None

    def close(self) -> None:
        """After the last track-day: each served episode's group sessions and service hours, added up
        from the record, and the day from which a denied review left its rows unbilled.

        The hours are summed row by row in record order (numpy's unbuffered ``add.at``), the order in
        which a running total per patient-day would add them, so every bit is the same.
        """
        served = self._served if self._any_service else list(dict.fromkeys(chain.from_iterable(self._groups)))
        if not served:
            return
        days = self._days
        days.denied_from.update(
            (enrolment.episode.episode_id, enrolment.denied_on)
            for enrolment in served
            if enrolment.denied_on is not None
        )
        columns = days.columns()
        rows = columns["episode_id"]
        size = int(rows.max()) + 1
        hours = np.zeros(size)
        np.add.at(hours, rows, columns["hours"])
        service_hours = hours.tolist()
        groups = np.bincount(rows, weights=columns["groups"], minlength=size).astype(np.int64).tolist()
        for enrolment in served:
            episode = enrolment.episode
            at = episode.episode_id
            episode.group_sessions_attended = groups[at]
            episode.service_hours = service_hours[at]


_episode_id = attrgetter("episode.episode_id")


def _prescriber_kinds(prescriber: PrescriberVisits) -> tuple[tuple[SessionKind, float], ...]:
    """The prescriber's first visit and follow-up: each one's session kind and minutes."""
    return (
        ("prescriber_initial", prescriber.initial_minutes),
        ("prescriber_follow_up", prescriber.follow_up_minutes),
    )


def _fitting(slots: Sequence[tuple[float, float]], minutes: float) -> list[tuple[int, float, float]]:
    """(k, start, end) of each group session slot ``[start, slot end)`` that a session of ``minutes``
    pulled out at its start fits in, in slot order."""
    return [
        (k, start, start + minutes) for k, (start, end) in enumerate(slots) if start + minutes <= end + EPS
    ]


def _steps_before(
    person: Timeline,
    patient: Timeline,
    window: Window,
    first: float,
    minutes: float,
    lowest: float,
) -> int | None:
    """The fewest 10-minute steps back from ``first`` (the programme start) at which a session of
    ``minutes`` ending there is free for the person and the patient, inside the person's window and
    starting no earlier than ``lowest``; None if there is no such step.

    The search jumps below whatever is in the way (Timeline.first_overlap_start)
    instead of trying each step: the answer is the one step by step would give.
    This runs ~4,500 times a 3-year baseline run, so it is written for the
    common case: a patient with nothing booked next to the programme day is
    not searched, and ``max`` is a comparison, not a call (the same answers:
    tests/test_care_steps.py checks them against a step-by-step search).
    """
    low, high = window
    k = 0 if first <= high + EPS else _ceil((first - high - EPS) / SLOT_STEP_MINUTES)
    floor = (lowest if lowest >= low else low) - EPS  # max(lowest, low)
    patient_starts = patient.starts
    person_starts, person_ends = person.starts, person.ends
    while True:
        end = first - k * SLOT_STEP_MINUTES
        start = end - minutes
        if start < floor:
            return None
        # Timeline.first_overlap_start of the patient (if anything is booked), then of the person, written out
        blocker = None
        if patient_starts:
            index = bisect_right(patient_starts, start)
            if index and patient.ends[index - 1] > start + EPS:
                blocker = patient_starts[index - 1]
            elif index < len(patient_starts) and patient_starts[index] < end - EPS:
                blocker = patient_starts[index]
        if blocker is None:
            index = bisect_right(person_starts, start)
            if index and person_ends[index - 1] > start + EPS:
                blocker = person_starts[index - 1]
            elif index < len(person_starts) and person_starts[index] < end - EPS:
                blocker = person_starts[index]
            else:
                return k
        jump = _ceil((first - blocker - EPS) / SLOT_STEP_MINUTES)
        k = jump if jump > k + 1 else k + 1  # max(k + 1, jump)


def _steps_after(
    person: Timeline,
    patient: Timeline,
    window: Window,
    last: float,
    minutes: float,
    highest: float,
) -> int | None:
    """The fewest 10-minute steps on from ``last`` (the programme end) at which a session of ``minutes``
    is free for both, inside the person's window and ending by ``highest``; None if none (the mirror
    of ``_steps_before``, written the same way)."""
    low, high = window
    k = 0 if last >= low - EPS else _ceil((low - EPS - last) / SLOT_STEP_MINUTES)
    ceiling = (highest if highest <= high else high) + EPS  # min(highest, high)
    patient_starts = patient.starts
    person_starts, person_ends = person.starts, person.ends
    while True:
        start = last + k * SLOT_STEP_MINUTES
        end = start + minutes
        if end > ceiling:
            return None
        # Timeline.last_overlap_end of the patient (if anything is booked), then of the person, written out
        blocker = None
        if patient_starts:
            index = bisect_left(patient_starts, end - EPS) - 1
            if index >= 0 and patient.ends[index] > start + EPS:
                blocker = patient.ends[index]
        if blocker is None:
            index = bisect_left(person_starts, end - EPS) - 1
            if index >= 0 and person_ends[index] > start + EPS:
                blocker = person_ends[index]
            else:
                return k
        jump = _ceil((blocker - EPS - last) / SLOT_STEP_MINUTES)
        k = jump if jump > k + 1 else k + 1  # max(k + 1, jump)


def _nearest(
    able: Sequence[Person],
    steps_of: Callable[..., int | None],
    patient: Timeline,
    anchor: float,
    minutes: float,
    bound: float,
) -> tuple[int, Person] | None:
    """The person whose session sits fewest slot steps from ``anchor`` (the first of equals), with the steps.

    ``steps_of`` is ``_steps_before`` or ``_steps_after``: the one search, mirrored.
    """
    found: tuple[int, Person] | None = None
    for person in able:
        steps = steps_of(person.timeline, patient, person.window, anchor, minutes, bound)
        if steps is not None and (found is None or steps < found[0]):
            found = (steps, person)
    return found
