"""The IOP pathway as a simpy discrete-event simulation: ``simulate(config, seed, replication)``."""

from __future__ import annotations

import simpy

from simiop.collector import collector_paused
from simiop.config.model import SimiopConfig
from simiop.model.calendar import ClinicCalendar
from simiop.model.clinic import Clinic
from simiop.model.delivery import deliver
from simiop.model.events import Clock
from simiop.model.intake import IntakeBook
from simiop.model.patients import PatientStreams
from simiop.model.programme import Programme
from simiop.model.records import CENSORED, IN_PROGRAMME, ON_WAIT_LIST, WAITING_FOR_INTAKE, Records
from simiop.model.referrals import start_source
from simiop.model.staff import Roster
from simiop.streams import RandomStreams


def _events_scheduled(env: simpy.Environment) -> int:
    """Events scheduled so far, read from simpy's event-id counter rather than counted one by one.

    simpy numbers every scheduled event from an itertools.count (``_eid``);
    reading it once costs nothing, where overriding ``schedule`` cost a Python
    call per event. The counter is private, so a simpy without it reports -1.
    """
    counter = getattr(env, "_eid", None)
    return next(counter) if counter is not None else -1


def simulate(config: SimiopConfig, seed: int | None = None, replication: int = 0) -> Records:
    """Run one replication of the clinic from opening to the horizon and return what it recorded.

    Pure: no I/O, no printing, no global random state. Every random draw comes
    from streams named by purpose and derived from (seed, replication, name),
    or from the patient's own streams (patients.py), keyed by the referral, so
    the same arguments always give the same records. ``seed`` defaults to
    config.simulation.seed. The records are not billed: ``simiop.billing.bill``
    works out the money from them.
    """
    seed = config.simulation.seed if seed is None else seed
    with collector_paused():
        return _simulate(config, seed, replication)


def _simulate(config: SimiopConfig, seed: int, replication: int) -> Records:
    env = Clock()
    calendar = ClinicCalendar.for_config(config)
    streams = RandomStreams(seed, replication)
    records = Records(seed=seed, replication=replication, horizon_days=calendar.horizon_days)
    clinic = Clinic(
        config=config,
        env=env,
        calendar=calendar,
        streams=streams,
        roster=Roster(config, calendar, streams),
        records=records,
        patients=PatientStreams(seed, replication),
    )
    clinic.intake = IntakeBook(clinic)
    clinic.programme = Programme(clinic)
    for name, source in config.referrals.sources.items():
        start_source(clinic, name, source)
    env.run(until=calendar.horizon_days)
    track_days = clinic.programme.finish()
    # Group sessions and care: after the flow, which nothing in them changes (attendance.py).
    log = deliver(
        config,
        clinic.roster,
        clinic.programme.attendance,
        records.patient_days,
        clinic.intake,
        records.bookings,
    )
    records.sessions = log.records()

    # The horizon came first: censored, reported, never dropped. After this every episode has an end
    # state (each branch gives one), so every referral is accounted for.
    for episode in records.episodes:
        if episode.end_state is None:
            if episode.admitted_day is not None:
                episode.end_state = IN_PROGRAMME
            elif episode.wait_list_day is not None:
                episode.end_state = ON_WAIT_LIST
            else:
                episode.end_state = WAITING_FOR_INTAKE
    records.track_days = track_days
    records.staff_days = clinic.roster.staff_days()
    records.events = _events_scheduled(env)
    clinic.close()
    return records


__all__ = ["CENSORED", "Records", "simulate"]
