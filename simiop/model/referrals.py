"""Referral sources: time-varying Poisson processes (ramp-up after opening, seasonality).

Arrival times are drawn up front for the whole horizon by thinning a
homogeneous process at the peak rate, vectorised with numpy, then released
one callback event each: an event per referral, none per candidate.

The candidate gaps and the thinning draws come from two streams, each read in
time order, so the k-th candidate and its keep-or-drop draw are the same
whatever the horizon: a longer run extends a shorter one's referrals, never
reshuffles them (a single stream holding all gaps and then all thinning draws
made every draw depend on how many gaps the horizon needed).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Mapping
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from simiop.config.model import READMISSION_SOURCE
from simiop.config.referrals import ReferralSource
from simiop.model.clinic import Clinic
from simiop.model.events import call
from simiop.model.handoff import handed_off
from simiop.model.intake import start_intake
from simiop.model.patients import PatientKey
from simiop.model.records import LOST_BEFORE_CONTACT, Episode

DAYS_PER_WEEK = 7.0
DAYS_PER_YEAR = 365.25

Name = TypeVar("Name", bound=str)


def rate_per_day(
    source: ReferralSource,
    days: NDArray[np.float64],
    day_of_year: NDArray[np.float64],
    volume: float = 1.0,
) -> Any:
    """Referral rate (referrals/day) at each time, after ramp-up and seasonality, times ``volume``
    (referrals.volume; 1 leaves every rate exactly as written)."""
    rate = np.full_like(days, source.weekly_rate * volume / DAYS_PER_WEEK)
    if source.ramp_up is not None:
        full_at = source.ramp_up.weeks_to_full * DAYS_PER_WEEK
        progress = np.ones_like(days) if full_at == 0 else np.minimum(days / full_at, 1.0)
        rate *= source.ramp_up.initial_fraction + (1.0 - source.ramp_up.initial_fraction) * progress
    if source.seasonality is not None:
        phase = 2.0 * math.pi * (day_of_year - source.seasonality.peak_day_of_year) / DAYS_PER_YEAR
        rate *= 1.0 + source.seasonality.amplitude * np.cos(phase)
    return rate


def arrival_times(clinic: Clinic, name: str, source: ReferralSource) -> NDArray[np.float64]:
    """All referral times of one source within the horizon; a prefix of those of any longer horizon."""
    volume = clinic.config.referrals.volume
    peak = (
        source.weekly_rate
        * volume
        / DAYS_PER_WEEK
        * (1.0 + (source.seasonality.amplitude if source.seasonality else 0.0))
    )
    if peak <= 0:
        return np.empty(0)
    gap_stream = clinic.streams.get(f"referrals.arrivals.{name}")
    horizon = clinic.horizon
    expected = peak * horizon
    count = int(expected + 10.0 * math.sqrt(expected) + 10)
    # numpy fills an array draw by draw, so drawing in one call or several gives the same sequence.
    times = np.cumsum(gap_stream.exponential(1.0 / peak, size=count))
    while times[-1] < horizon:  # rare: draw more candidates until past the horizon
        more = times[-1] + np.cumsum(gap_stream.exponential(1.0 / peak, size=count))
        times = np.concatenate([times, more])
    times = times[times < horizon]
    keep_u = clinic.streams.get(f"referrals.thinning.{name}").random(times.size)
    day_of_year = _day_of_year(clinic.calendar.opening, times)
    accept = keep_u * peak < rate_per_day(source, times, day_of_year, volume)
    kept: NDArray[np.float64] = times[accept]
    return kept


def _day_of_year(opening: dt.date, times: NDArray[np.float64]) -> NDArray[np.float64]:
    """The day of the year (1 = 1 January) of each time's date, as calendar.day_of_year, for arrays."""
    dates = np.datetime64(opening, "D") + np.floor(times).astype("timedelta64[D]")
    days: NDArray[np.float64] = (dates - dates.astype("datetime64[Y]")).astype(np.int64) + 1.0
    return days


def start_source(clinic: Clinic, name: str, source: ReferralSource) -> None:
    """Release one source's referrals at their times, each with its mix drawn from the source's stream."""
    _Source(clinic, name, source).next()


class _Source:
    """One source's referrals, released one callback at a time (each schedules the next)."""

    def __init__(self, clinic: Clinic, name: str, source: ReferralSource) -> None:
        self.clinic = clinic
        self.name = name
        self.source = source
        self.times = arrival_times(clinic, name, source).tolist()
        # Four draws per referral, in this order: preference, payer, acuity, contact; one numpy call for
        # all (numpy fills an array draw by draw: the same numbers as one call of four per referral).
        # Each referral's mix is picked here for the whole run, one numpy search per mix, where each
        # referral bisected three lists (the same index: ``_picked_all``); as the contact.
        draws = clinic.streams.get(f"referrals.mix.{name}").random(4 * len(self.times)).reshape(-1, 4)
        self.preferences = _picked_all(draws[:, 0], source.track_preference)
        self.payers = _picked_all(draws[:, 1], source.payer_mix)
        self.classes = _picked_all(draws[:, 2], source.acuity_mix or {"standard": 1.0})
        self.contacted: list[bool] = (draws[:, 3] < source.contact_probability).tolist()
        self.key = PatientKey.of_referral(name, 0).source
        self.index = 0

    def next(self) -> None:
        if self.index < len(self.times):
            call(self.clinic.env, self.times[self.index], self._refer)

    def _refer(self, _: object) -> None:
        clinic = self.clinic
        source = self.source
        index = self.index
        self.index = index + 1
        now = clinic.env.now
        episode = clinic.new_episode(
            PatientKey(self.key, index),
            clinic.new_patient_id(),
            self.name,
            source.kind,
            self.preferences[index],
            self.payers[index],
            self.classes[index],
            now,
        )
        if self.contacted[index]:
            if source.direct_admission:  # assessed and accepted by the referrer: straight to a track
                clinic.programme.refer_to_track(episode)
            elif source.warm_handoff is None or not handed_off(clinic, episode, source.warm_handoff):
                start_intake(clinic, episode)
        else:
            episode.end(LOST_BEFORE_CONTACT, now)
        if index + 1 < len(self.times):  # self.next(), written out: once per referral
            call(clinic.env, self.times[index + 1], self._refer)


def _mix(shares: Mapping[Name, float]) -> tuple[list[Name], list[float]]:
    """A mix's names, and its probabilities if there is a choice (empty for a single name)."""
    names = list(shares)
    return names, list(shares.values()) if len(names) > 1 else []


def _picked_all(draws: NDArray[np.float64], shares: Mapping[Name, float]) -> list[Name]:
    """The name each draw picks from ``shares``: ``names[_pick(u, probabilities)]`` for each ``u``, by one
    numpy search over the running totals (``_pick`` returns the first index whose running total exceeds
    ``u``: side right, the first total above ``u``; past the last total, the last name). A mix of one
    name is that name for every draw, as ``_mix`` leaves it.
    """
    names, probabilities = _mix(shares)
    if not probabilities:
        return [names[0]] * len(draws)
    cumulative = _cumulative(probabilities)
    found = np.searchsorted(np.array(cumulative, dtype=np.float64), draws, side="right")
    picked: list[Name] = np.array(names, dtype=object)[np.minimum(found, len(cumulative) - 1)].tolist()
    return picked


def _pick(u: float, probabilities: list[float]) -> int:
    """Index chosen by one uniform draw: inverse CDF over a short list (exact and order-stable)."""
    cumulative = 0.0
    for index, p in enumerate(probabilities):
        cumulative += p
        if u < cumulative:
            return index
    return len(probabilities) - 1


def _cumulative(probabilities: list[float]) -> list[float]:
    """The running totals ``_pick`` adds up, summed in its order (so the same floats), for ``_picked_all``."""
    return list(itertools.accumulate(probabilities))


def refer_again(clinic: Clinic, previous: Episode, delay_days: float, after_step_up: bool) -> None:
    """A readmission: the same patient referred again after ``delay_days``, if within the horizon.

    Readmissions keep the patient's preference, payer and acuity; they come
    from PHP/inpatient (a step-down) after a step-up, otherwise from outpatient
    care (a step-up). They are always contacted: the clinic knows them.
    """
    env = clinic.env
    if env.now + delay_days >= clinic.horizon:
        return

    def readmit(_: object) -> None:
        episode = clinic.new_episode(
            clinic.keys[previous.episode_id].readmitted(),
            previous.patient_id,
            READMISSION_SOURCE,
            "step_down" if after_step_up else "step_up",
            previous.track_preference,
            previous.payer,
            previous.acuity,
            env.now,
            previous.episode_id,
        )
        start_intake(clinic, episode)

    call(env, env.now + delay_days, readmit)
