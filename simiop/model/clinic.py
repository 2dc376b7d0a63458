"""The shared state of one run: clock, calendar, staff, streams and records, handed to every stage."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import simpy

from simiop.config.distributions import Distribution
from simiop.config.model import SimiopConfig
from simiop.model.calendar import ClinicCalendar
from simiop.model.patients import PatientKey, PatientStreams
from simiop.model.records import Episode, Records
from simiop.model.staff import Roster
from simiop.streams import RandomStreams

if TYPE_CHECKING:
    from simiop.model.intake import IntakeBook
    from simiop.model.programme import Programme


@dataclass
class Clinic:
    """Everything the stages share. Stages never reach into each other's state except through here."""

    config: SimiopConfig
    env: simpy.Environment
    calendar: ClinicCalendar
    streams: RandomStreams
    roster: Roster
    records: Records
    patients: PatientStreams
    """Each patient's own streams (the stay, wait-list patience, readmission)."""
    intake: IntakeBook = field(init=False)
    programme: Programme = field(init=False)
    keys: dict[int, PatientKey] = field(default_factory=dict)
    """Each episode's patient key, by episode id: which of the patients' streams it draws from."""
    _next_episode: int = 0
    _next_patient: int = 0
    _samplers: dict[int, tuple[Distribution, Callable[[np.random.Generator], float]]] = field(
        default_factory=dict
    )
    """Each distribution's sampler, by the distribution's id (kept with it: the id stays its own)."""

    def new_episode(
        self,
        key: PatientKey,
        patient_id: int,
        source: str,
        source_kind: str,
        track_preference: str,
        payer: str,
        acuity: str,
        referred_day: float,
        readmission_of: int | None = None,
    ) -> Episode:
        """Register a referral; every referral becomes exactly one Episode row, keyed ``key``.

        The fields are Episode's first ones, passed on by position: one is made per referral.
        """
        episode_id = self._next_episode
        episode = Episode(
            episode_id,
            patient_id,
            source,
            source_kind,
            track_preference,
            payer,
            acuity,
            referred_day,
            readmission_of,
        )
        self.keys[episode_id] = key
        self._next_episode = episode_id + 1
        self.records.episodes.append(episode)
        return episode

    def sampler(self, distribution: Distribution) -> Callable[[np.random.Generator], float]:
        """``distribution.sampler()``, made once per run: a draw per referral need not read its parameters."""
        found = self._samplers.get(id(distribution))
        if found is None:
            found = self._samplers[id(distribution)] = (distribution, distribution.sampler())
        return found[1]

    def new_patient_id(self) -> int:
        """A new person (readmissions reuse their first id, so unduplicated counts are possible)."""
        self._next_patient += 1
        return self._next_patient

    def close(self) -> None:
        """Break the run's reference cycles once it has ended, so its objects go as soon as it returns.

        The stages point at the clinic and the clinic at them, and the clock's events still pending at
        the horizon point at the stages while they point at the clock: left so, a whole run (every
        enrolment, event and list) waited for the cyclic collector, whose one pass over it when
        ``simulate`` resumed collection was a tenth of an M/M/c run; reference counting frees it as it
        goes. The queue is simpy's private list, read with a fallback as ``_events_scheduled`` reads
        its counter: a simpy without it just leaves the collector the work.
        """
        queue = getattr(self.env, "_queue", None)
        if isinstance(queue, list):
            queue.clear()
        for stage in ("intake", "programme"):
            self.__dict__.pop(stage, None)

    @property
    def horizon(self) -> float:
        """The end of the run: midnight after its last whole day (the calendar's rule, not the raw config)."""
        return self.calendar.horizon_days
