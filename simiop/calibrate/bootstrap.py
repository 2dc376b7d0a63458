"""Parameter uncertainty as bootstrap parameter sets: resample patients, refit, keep each refit's values.

A nonparametric bootstrap (Efron and Tibshirani, An Introduction to the Bootstrap, 1993, ch. 6 and 13):
each set is the whole calibration refitted on a resample of the extract, so the sets carry the fits'
joint (correlated) uncertainty, not one parameter at a time. The unit resampled is the patient, with all
their episodes (a cluster bootstrap: a readmission stays with the discharge it followed, so the
readmission fit sees whole follow-ups; Davison and Hinkley, Bootstrap Methods and their Application,
1997, sec. 3.8; Field and Welsh, Ann Stat 2007;35(3):1419-1436, doi:10.1214/009053607000000023).

Each patient appears a Poisson(1) number of times (the Poisson bootstrap; Hanley and MacGibbon, Comput
Methods Programs Biomed 2006;83(1):57-62, doi:10.1016/j.cmpb.2006.04.006), not n draws with replacement:
a resample of fixed size would fix the number of referrals and so give no spread to the referral rates,
which are Poisson counts; with Poisson(1) frequencies the number of referrals varies as a Poisson count's
does. The shares, stays and hazards behave as under the ordinary bootstrap. Copies of a patient become
different patients (their pseudonym gets a suffix), so a copy's readmission follows its own discharge.

Each refit fits only the model chosen on the full extract for every part (simiop.calibrate.fits.Chosen:
the planned-stay family, the referral form, the dropout pieces, the readmission delay family), without
the profile intervals or figures: the sets describe the uncertainty of the chosen model's parameters,
not of the model choice (ASSUMPTION, to keep a set to a few seconds: a third of the full fit's time).
A set's values are its refit's estimates, at the same config paths as estimates.csv, and each refit's
fragment has been merged onto the base config and validated, as the full fit's is. A refit that fails
(a resample without the events a part needs, or an invalid merged config) is drawn again from the same
generator, at most MAX_REDRAWS times per set.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simiop.calibrate.extract import Extract
from simiop.calibrate.fits import chosen_models
from simiop.calibrate.pipeline import Calibration, calibrate
from simiop.config import ConfigError

DEFAULT_SETS = 20
"""Sets by default: enough to spread a quick sensitivity analysis (3-3.6 s of refitting each on
the shipped extract on a loaded 2-core machine); a bootstrap standard error wants 50-200 and
percentile intervals 1,000 or more (Efron and Tibshirani 1993, sec. 6.4 and 13.3), at that many
refits' time."""
DEFAULT_SEED = 1
MAX_REDRAWS = 10


def resample(extract: Extract, rng: np.random.Generator) -> Extract:
    """The extract with each patient's episodes repeated a Poisson(1) number of times (in the order of
    the patients' first rows); the k-th copy of patient ``p`` is patient ``p#k``."""
    order: dict[str, None] = {}
    for episode in extract.episodes:
        order.setdefault(episode.patient, None)
    patients = list(order)
    copies = rng.poisson(1.0, len(patients))
    by_patient: dict[str, list[int]] = {}
    for index, episode in enumerate(extract.episodes):
        by_patient.setdefault(episode.patient, []).append(index)
    episodes = []
    for patient, count in zip(patients, copies, strict=True):
        for copy in range(int(count)):
            episodes += [
                dataclasses.replace(extract.episodes[i], patient=f"{patient}#{copy}")
                for i in by_patient[patient]
            ]
    return Extract(extract.source, tuple(episodes), extract.as_of)


@dataclass(frozen=True)
class BootstrapSets:
    """``values[set, column]``: each set's refitted value at each config path of ``columns``."""

    columns: tuple[str, ...]
    values: np.ndarray
    redraws: int
    """Resamples drawn again because their refit failed."""


def bootstrap(calibration: Calibration, base_path: Path, sets: int, seed: int) -> BootstrapSets:
    """``sets`` refits of ``calibration``'s extract, each on a patient resample (numpy Generator seeded by
    ``seed``: the same seed gives the same sets). Columns: the full fit's estimate paths; a path a refit
    did not estimate (e.g. a readmission type with under 3 returns in the resample) keeps the full fit's
    value. Raises RuntimeError when MAX_REDRAWS resamples in a row fail."""
    rng = np.random.default_rng(seed)
    only = chosen_models(calibration.candidates)
    full = {e.path: e.value for e in calibration.estimates}
    columns = tuple(full)
    values = np.empty((sets, len(columns)))
    redraws = 0
    for index in range(sets):
        for attempt in range(MAX_REDRAWS + 1):
            sample = resample(calibration.extract, rng)
            try:
                refit = calibrate(sample, base_path, only) if sample.episodes else None
            except (ConfigError, ValueError, ZeroDivisionError, FloatingPointError):
                refit = None
            if refit is not None:
                break
            redraws += 1
            if attempt == MAX_REDRAWS:
                raise RuntimeError(f"bootstrap set {index}: {MAX_REDRAWS + 1} resamples in a row failed")
        fitted = {e.path: e.value for e in refit.estimates} if refit is not None else {}
        values[index] = [config_value(path, fitted.get(path, full[path])) for path in columns]
    return BootstrapSets(columns, values, redraws)


def config_value(path: str, value: float) -> float:
    """An estimate as the config field takes it (as the fragment writes it: simiop.calibrate.referrals)."""
    if path.endswith("peak_day_of_year"):
        return float(round(value) % 366 or 366)
    if path.endswith("seasonality.amplitude"):
        return min(value, 0.99)
    if path.endswith("weeks_to_full"):
        return min(value, 520.0)
    if path.endswith(("hazard", "probability")) or "weekly_by_week[" in path:
        return min(value, 1.0)
    return value


def set_changes(sets: BootstrapSets, index: int) -> dict[str, float]:
    """Set ``index`` as config changes ({"dotted.path": value}, for simiop.api.with_changes onto the
    calibrated config)."""
    return {
        path: int(value) if path.endswith("peak_day_of_year") else float(value)
        for path, value in zip(sets.columns, sets.values[index], strict=True)
    }
