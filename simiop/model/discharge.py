"""Discharge and aftercare: whether, and when, a discharged patient is referred again."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simiop.model.patients import Purpose
from simiop.model.records import STEP_UP, Episode
from simiop.model.referrals import refer_again

if TYPE_CHECKING:
    from simiop.model.clinic import Clinic


def discharge_outcome(clinic: Clinic, episode: Episode, state: str) -> None:
    """Draw readmission for a discharge of type ``state`` and schedule the new referral.

    The probability depends on how the episode ended and on the patient's
    acuity class (DOMAIN: readmission depends on the patient, not on a fixed
    programme effect). Drawn from the patient's own stream.
    """
    config = clinic.config
    rule = getattr(config.discharge, state)
    multiplier = config.referrals.acuity_classes[episode.acuity].readmission_multiplier
    probability = min(1.0, rule.probability * multiplier)
    if probability <= 0.0:  # nothing to draw: the patient's own stream, so no one else's draws move
        return
    rng = clinic.patients.of(clinic.keys[episode.episode_id], Purpose.DISCHARGE)
    if float(rng.random()) < probability:
        delay = float(rule.delay_days.sample(rng))
        refer_again(clinic, episode, delay, after_step_up=state == STEP_UP)
