"""Discharge and aftercare: whether, and when, a discharged patient is referred again."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simiop.config.model import SimiopConfig
from simiop.model.patients import Purpose
from simiop.model.records import ADMINISTRATIVE, COMPLETED, DROPOUT, NO_START, STEP_UP, Episode
from simiop.model.referrals import refer_again

if TYPE_CHECKING:
    from simiop.model.clinic import Clinic

_DISCHARGE = Purpose.DISCHARGE
"""The readmission stream's purpose, read once (an enum member costs a class lookup; one per discharge)."""


class Readmission:
    """The readmission rules of the config; the probability of each (end state, acuity) worked out once."""

    def __init__(self, config: SimiopConfig) -> None:
        self._config = config
        self._probability: dict[tuple[str, str], float] = {}
        discharge = config.discharge
        states = (COMPLETED, DROPOUT, STEP_UP, ADMINISTRATIVE)
        self.possible = any(getattr(discharge, state).probability > 0.0 for state in states)
        """Whether any discharge can lead to a readmission (a multiplier never makes 0 more than 0)."""
        self._delay = {state: getattr(discharge, state).delay_days.sampler() for state in states}
        """Per end state: draws the delay before the referral again (parameters read once per run)."""

    def probability(self, state: str, acuity: str) -> float:
        """P(readmission) after a discharge of type ``state`` for a patient of ``acuity``.

        It depends on how the episode ended and on the patient's acuity class
        (ASSUMPTION: readmission depends on the patient, not on a fixed programme
        effect).
        """
        key = (state, acuity)
        found = self._probability.get(key)
        if (
            found is None and state == NO_START
        ):  # never attended: not a discharge (ASSUMPTION: no readmission)
            found = self._probability[key] = 0.0
        if found is None:
            config = self._config
            multiplier = config.referrals.acuity_classes[acuity].readmission_multiplier
            found = self._probability[key] = min(
                1.0, getattr(config.discharge, state).probability * multiplier
            )
        return found

    def after(self, clinic: Clinic, episode: Episode, state: str) -> None:
        """Draw readmission for a discharge of type ``state`` and schedule the new referral.

        Drawn from the patient's own stream; nothing is drawn when the
        probability is 0, so no one else's numbers move either way.
        """
        probability = self.probability(state, episode.acuity)
        if probability <= 0.0:
            return
        rng = clinic.patients.of(clinic.keys[episode.episode_id], _DISCHARGE)
        if float(rng.random()) < probability:
            delay = float(self._delay[state](rng))
            refer_again(clinic, episode, delay, after_step_up=state == STEP_UP)
