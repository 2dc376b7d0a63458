"""Turn what the extract shows into the config's own inputs, where the base config adds its own effects.

Two of the base config's rules act on top of the values fitted:

- acuity classes multiply the step-up hazard (``step_up_hazard_multiplier``) and the readmission
  probabilities (``readmission_multiplier``). The extract has no acuity, so it shows the hazard times the
  mean multiplier of the case mix; the fitted value is divided by that mean, worked out from the base's
  acuity_mix of each source weighted by the extract's admissions from it.
- a run of ``attendance.consecutive_absences_to_dropout`` absences ends a stay as a dropout, besides the
  dropout hazard. The extract's dropout hazard by week is the two together; the run-of-absences part is
  worked out by Monte Carlo from the fitted attendance propensity (beta) and the tracks' programme days a
  week, and taken out on the assumption that the two act independently: 1 - (1 - total) / (1 - absences)
  (the product-limit rule for independent competing causes; Kalbfleisch and Prentice 2002, ch. 8).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections import Counter
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from simiop.calibrate.extract import Extract
from simiop.calibrate.fits import Estimate, PartFit
from simiop.config.model import SimiopConfig
from simiop.config.money import Authorization

MONTE_CARLO_PATIENTS = 20_000
MONTE_CARLO_SEED = 20_231_123
"""A fixed seed: the same extract and base give the same fragment."""
MONTE_CARLO_WEEKS = 26


def mean_multiplier(base: SimiopConfig, extract: Extract, field: str, weight: str | None = None) -> float:
    """The mean of the acuity classes' ``field`` over the admitted case mix (1 when every class has 1).

    ``weight``: another multiplier that tilts the mix (the step-up multiplier for those discharged as
    step-ups: high-acuity patients step up more often, so more of them are among the step-ups)."""
    admitted = Counter(
        e.source for e in extract.episodes if e.admitted is not None and e.source in base.referrals.sources
    )
    total = sum(admitted.values())
    if total == 0:
        return 1.0
    classes = base.referrals.acuity_classes
    mean = 0.0
    for name, count in admitted.items():
        mix = base.referrals.sources[name].acuity_mix or {"standard": 1.0}
        tilt = {c: getattr(classes[c], weight) if weight else 1.0 for c in mix}
        norm = sum(share * tilt[c] for c, share in mix.items())
        mean += (
            count
            / total
            * sum(share * tilt[c] * getattr(classes[c], field) for c, share in mix.items())
            / norm
        )
    return mean


def divide(part: PartFit, prefix: str, suffix: str, factor: float, note: str) -> None:
    """Divide the estimates and fragment values at ``prefix...suffix`` by ``factor`` (in place)."""
    if math.isclose(factor, 1.0):
        return
    part.estimates[:] = [
        dataclasses.replace(
            e,
            value=e.value / factor,
            low=e.low / factor,
            high=e.high / factor,
            method=f"{e.method}; / {factor:.3f} {note}",
        )
        if e.path.startswith(prefix) and e.path.endswith(suffix)
        else e
        for e in part.estimates
    ]


def absence_hazards(mean: float, concentration: float, run: int, days_per_week: float) -> np.ndarray:
    """Probability per week of stay (weeks 1..MONTE_CARLO_WEEKS) that a run of ``run`` absences ends the
    stay, among patients still in it who have attended a day (a run before any attended day is a no-start).
    """
    rng = np.random.default_rng(MONTE_CARLO_SEED)
    days = round(days_per_week * MONTE_CARLO_WEEKS)
    propensity = rng.beta(mean * concentration, (1 - mean) * concentration, MONTE_CARLO_PATIENTS)
    attend = rng.random((MONTE_CARLO_PATIENTS, days)) < propensity[:, None]
    ended = np.full(MONTE_CARLO_PATIENTS, days + 1)
    streak = np.zeros(MONTE_CARLO_PATIENTS, dtype=int)
    for day in range(days):
        streak = np.where(attend[:, day], 0, streak + 1)
        ended = np.where((streak >= run) & (ended > days), day, ended)
    started = attend.argmax(axis=1)
    started = np.where(attend.any(axis=1), started, days + 1)
    valid = started < ended  # attended a day before any run ended the stay
    week = np.floor(ended[valid] / days_per_week).astype(int)
    hazards = np.zeros(MONTE_CARLO_WEEKS)
    at_risk = int(valid.sum())
    for index in range(MONTE_CARLO_WEEKS):
        events = int(np.sum(week == index))
        hazards[index] = events / at_risk if at_risk else 0.0
        at_risk -= events
    return hazards


def net_dropout(part: PartFit, absences: np.ndarray, pieces: int) -> None:
    """Take the run-of-absences hazard out of the fitted dropout hazards (estimates and fragment, in place).

    ``pieces``: the number of weekly pieces the fit has; the last piece gets the mean absence hazard of
    its first eight weeks."""

    def absence(index: int) -> float:
        if index < pieces - 1:
            return float(absences[index])
        return float(np.mean(absences[index : index + 8]))

    def net(total: float, index: int) -> float:
        return max(0.0, 1.0 - (1.0 - total) / (1.0 - absence(index)))

    estimates: list[Estimate] = []
    for e in part.estimates:
        if e.path.startswith("length_of_stay.dropout_hazard.weekly_by_week["):
            index = int(e.path.split("[")[1].rstrip("]"))
            e = dataclasses.replace(
                e,
                value=net(e.value, index),
                low=net(e.low, index),
                high=net(e.high, index),
                method=f"{e.method}; run-of-absences hazard {absence(index):.4f} taken out",
            )
        estimates.append(e)
    part.estimates[:] = estimates


def admitted_days_per_week(base: SimiopConfig, extract: Extract) -> float:
    """Programme days a week of the tracks, weighted by the extract's admissions to each."""
    tracks = Counter(e.track for e in extract.episodes if e.admitted is not None and e.track in base.tracks)
    total = sum(tracks.values())
    if total == 0:
        enabled = [t for t in base.tracks.values() if t.enabled]
        return float(np.mean([len(t.weekdays) for t in enabled])) if enabled else 5.0
    return sum(count / total * len(base.tracks[name].weekdays) for name, count in tracks.items())


def expected_denials(base: SimiopConfig, extract: Extract, propensity_mean: float | None) -> float:
    """Administrative discharges the base's payer authorization rules would make in the extract's stays.

    A payer with ``authorization`` (``on_denial: administrative_discharge``) reviews each stay when its
    authorized days are used up and denies with 1 - approval_probability, ending the stay as
    administrative. Each review a stay reached (its authorized days used up before it ended or before
    as-of: attended days for ``unit: attended_days``, from the extract or, if missing, estimated from the
    tracks' days a week and the attendance propensity; calendar days since admission otherwise) adds
    1 - approval_probability expected denials: the expected number of denials is that probability times
    the reviews held, whether or not one of them was the denial that ended the stay.

    A review is held at the start of the first programme day after the authorized days are used up, only
    if the stay reaches that day's start and no hazard ends it there first (simiop.model.stay), so a stay
    whose count ends exactly on a review point held that review only in some cases (``reviews_held``).
    Counting it always counted 171 of 5,318 reviews too many on 8 three-year baseline replications
    (against episodes.csv's authorization_reviews): 2.1 denials a replication, a fifth of the
    administrative discharges its hazard makes; 15 too many with ``reviews_held``.
    """
    days_per_week = admitted_days_per_week(base, extract)
    expected = 0.0
    for episode in extract.episodes:
        if episode.admitted is None or episode.payer not in base.money.payers:
            continue
        rule = base.money.payers[episode.payer].authorization
        if rule is None or rule.on_denial != "administrative_discharge":
            continue
        end = episode.discharged or extract.as_of
        calendar = (end - episode.admitted).days
        if rule.unit == "calendar_days":
            used = float(calendar)
        elif episode.attended is not None:
            used = float(episode.attended)
        else:
            used = calendar / 7.0 * days_per_week * (propensity_mean or 1.0)
        expected += reviews_held(used, rule, episode.discharge_type) * (1.0 - rule.approval_probability)
    return expected


_AT_THE_POINT_NOT_HELD: dict[str, frozenset[str]] = {
    # attended days: a point reached on a completion's last (attended) day leaves no next day to review
    # on; on a step-up's or a hazard dropout's review day the hazard comes first
    "attended_days": frozenset({"completed", "step_up", "dropout"}),
    # calendar days: a completion ends at its day's end, after the review at its start; a hazard (step-up,
    # dropout) at the start of the review day comes first
    "calendar_days": frozenset({"step_up", "dropout"}),
}
"""Discharge types whose count ending exactly on a review point did not hold that review (ASSUMPTION:
the usual case; a dropout by a run of absences did hold it); an administrative discharge there is the
denial itself, and an open episode will hold it."""


def reviews_held(used: float, rule: Authorization, ending: str | None) -> int:
    """Payer reviews a stay held: one when ``used`` reaches ``initial_days``, then one every
    ``days_per_approval`` more (a point ``used`` ends on is not counted for the discharge types of
    ``_AT_THE_POINT_NOT_HELD``)."""
    if used < rule.initial_days:
        return 0
    extra = used - rule.initial_days
    held = 1 + int(extra // rule.days_per_approval)
    if ending in _AT_THE_POINT_NOT_HELD[rule.unit] and extra % rule.days_per_approval == 0:
        held -= 1
    return held


def before_start(
    mean: float, concentration: float, run: int, days_per_week: float, first_week: float
) -> tuple[float, float]:
    """(q_hazard, q_absences): the probabilities that the dropout hazard, or a run of ``run`` absences,
    ends a stay before the patient's first attended programme day, for a patient who was not drawn a
    no-start. The simulator records both as ``no_start`` (a dropout with 0 attended days), so the extract
    shows them as no-starts, not dropouts.

    Monte Carlo like ``absence_hazards`` (same seed): the hazard fires at the start of a programme day
    with the daily probability of the weekly ``first_week`` (1 - (1 - p)^(1/days_per_week)), so it ends
    the stay before any attendance when it fires on or before the first attended day F: 1 - (1 - d)^(F+1)
    (ASSUMPTION: F within week 1, so week 1's hazard applies to every day up to F).
    """
    started = _first_attended(mean, concentration, round(days_per_week * MONTE_CARLO_WEEKS))
    # a run of ``run`` absences before the first attended day: the first ``run`` days all missed
    by_run = started >= run
    daily = 1.0 - (1.0 - first_week) ** (1.0 / days_per_week)
    fired = 1.0 - (1.0 - daily) ** (np.minimum(started, run - 1) + 1)
    q_absences = float(by_run.mean())
    q_hazard = float(np.mean(np.where(by_run, 0.0, fired)))
    return q_hazard, q_absences


@functools.lru_cache(maxsize=8)
def _first_attended(mean: float, concentration: float, days: int) -> NDArray[np.int64]:
    """Each Monte Carlo patient's first attended programme day (``days`` if none; the draws of
    ``absence_hazards``). Cached: ``split_no_starts`` asks for it once per round with the same attendance."""
    rng = np.random.default_rng(MONTE_CARLO_SEED)
    propensity = rng.beta(mean * concentration, (1 - mean) * concentration, MONTE_CARLO_PATIENTS)
    attend = rng.random((MONTE_CARLO_PATIENTS, days)) < propensity[:, None]
    started: NDArray[np.int64] = np.where(attend.any(axis=1), attend.argmax(axis=1), days)
    started.setflags(write=False)
    return started


def split_no_starts(
    observed: float,
    admitted: int,
    week_one: float,
    exposure: float,
    hazard_and_runs: Callable[[float], tuple[float, float]],
) -> tuple[float, float]:
    """(no_start_probability, week-1 dropout hazard) as the simulator takes them, from the extract's
    no-start share ``observed`` of ``admitted`` episodes and its week-1 hazard ``week_one`` (weekly
    probability, from ``exposure`` person-weeks in week 1).

    The extract's no-starts are the drawn ones (p0) and those the hazard or a run of absences ended before
    a first attended day: observed = p0 + (1 - p0) q, q = q_hazard + q_absences (``hazard_and_runs`` of a
    week-1 hazard). The hazard's share, admitted (1 - p0) q_hazard episodes, is added back to week 1's
    dropouts (rate + added / exposure). q_hazard depends on the hazard it corrects, so the two are solved
    by fixed-point iteration (10 rounds; the change per round is a fraction of q_hazard, under 2%).
    """
    hazard = week_one
    p0 = observed
    for _ in range(10):
        q_hazard, q_absences = hazard_and_runs(hazard)
        q = min(q_hazard + q_absences, 0.999)
        p0 = max(0.0, (observed - q) / (1.0 - q))
        added = admitted * (1.0 - p0) * q_hazard
        hazard = 1.0 - (1.0 - week_one) * math.exp(-added / exposure) if exposure > 0 else week_one
    return p0, hazard
