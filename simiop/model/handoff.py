"""The warm hand-off: a step-down assessed and accepted by the referring unit before its discharge.

A source's ``warm_handoff`` hands a share of its contacted referrals straight
to a track's wait list, without the walk-in intake, once the patient is ready
(``ready_after_days`` after the referral, which is taken as the inpatient
discharge). A patient who does not arrive for the arranged start
(``show_probability``) ends ``no_show_at_intake`` when they would have joined
the wait list: for a warm hand-off that state means "did not arrive for the
arranged start". As for ``direct_admission``, nothing of the walk-in intake is
recorded (no booking, assessed_day and intake_outcome empty): the episode's
``warm_handoff`` tells the two apart. With ``admit_within_days``,
a patient without a seat by then leaves the wait list and goes through the
walk-in intake after all (the hand-off lapses).

The draws come from the patient's own HANDOFF stream (patients.py gives the
layout), so a source with a warm hand-off moves no other stream's numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simiop.model.events import call
from simiop.model.intake import start_intake
from simiop.model.patients import Purpose
from simiop.model.records import NO_SHOW, Episode

if TYPE_CHECKING:
    from simiop.config.referrals import WarmHandoff
    from simiop.model.clinic import Clinic


def handed_off(clinic: Clinic, episode: Episode, handoff: WarmHandoff) -> bool:
    """Whether a contacted referral is handed off warm; if so its way to the wait list is scheduled."""
    rng = clinic.patients.of(clinic.keys[episode.episode_id], Purpose.HANDOFF)
    u_share, u_show = rng.random(2).tolist()
    ready = 0.0 if handoff.ready_after_days is None else float(clinic.sampler(handoff.ready_after_days)(rng))
    if u_share >= handoff.share:
        return False
    episode.warm_handoff = True
    _Handoff(
        clinic, episode, u_show < handoff.show_probability, clinic.env.now + ready, handoff.admit_within_days
    )
    return True


class _Handoff:
    """One warm hand-off's events: ready (join the wait list, or not arrive), and the lapse if any."""

    __slots__ = ("clinic", "episode", "lapsed", "shows")

    def __init__(
        self, clinic: Clinic, episode: Episode, shows: bool, ready_at: float, admit_within_days: float | None
    ) -> None:
        self.clinic = clinic
        self.episode = episode
        self.shows = shows
        self.lapsed = False
        env, horizon = clinic.env, clinic.horizon
        if ready_at < horizon:  # past the horizon it is censored, waiting
            call(env, ready_at, self._ready)
        if shows and admit_within_days is not None:
            lapse_at = episode.referred_day + admit_within_days
            if lapse_at < horizon:
                call(env, lapse_at, self._lapse)

    def _ready(self, _: object) -> None:
        if self.lapsed:
            return
        if self.shows:
            self.clinic.programme.refer_to_track(self.episode)
        else:
            self.episode.end(NO_SHOW, self.clinic.env.now)

    def _lapse(self, _: object) -> None:
        """No seat by admit_within_days: to the walk-in intake, from the wait list or before joining it."""
        episode = self.episode
        if episode.end_state is not None or episode.admitted_day is not None:
            return
        if episode.wait_list_day is not None and not self.clinic.programme.leave_wait_list(episode):
            return
        self.lapsed = True
        episode.track = None
        episode.wait_list_day = None
        start_intake(self.clinic, episode)
