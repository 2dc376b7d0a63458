"""simiop.calibrate.bootstrap: patient resamples, refits of the chosen models, sets that validate."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from simiop.api import with_changes
from simiop.calibrate.bootstrap import bootstrap, resample, set_changes
from simiop.calibrate.extract import Episode, Extract
from simiop.calibrate.fits import Z95
from simiop.calibrate.pipeline import Calibration, calibrate
from tests.conftest import BASELINE

OPENING = dt.date(2027, 1, 4)


def _referrals(rate: float, weeks: int, seed: int) -> Extract:
    """Referrals of source step_down only (no assessments), a constant Poisson rate, from the opening."""
    rng = np.random.default_rng(seed)
    episodes: list[Episode] = []
    for offset in range(weeks * 7):
        for _ in range(rng.poisson(rate / 7)):
            row = len(episodes) + 2
            episodes.append(
                Episode(
                    row=row,
                    patient=f"P{row}",
                    referred=OPENING + dt.timedelta(days=offset),
                    source="step_down",
                    payer=None,
                    assessed=None,
                    outcome=None,
                    admitted=None,
                    track=None,
                    discharged=None,
                    discharge_type=None,
                    scheduled=None,
                    attended=None,
                )
            )
    return Extract("test", tuple(episodes), OPENING + dt.timedelta(days=weeks * 7 - 1))


@pytest.fixture(scope="module")
def referrals_only() -> Calibration:
    return calibrate(_referrals(10.0, 104, seed=7), BASELINE)


def test_resample_keeps_patients_whole_and_varies_in_size() -> None:
    extract = _referrals(10.0, 20, seed=1)
    sizes = []
    for seed in range(5):
        sample = resample(extract, np.random.default_rng(seed))
        sizes.append(len(sample.episodes))
        originals = {e.patient for e in extract.episodes}
        assert all(e.patient.split("#")[0] in originals for e in sample.episodes)
        assert len({e.patient for e in sample.episodes}) == len(sample.episodes)  # copies are new patients
    assert len(set(sizes)) > 1  # Poisson(1) frequencies: the number of referrals varies


def test_bootstrap_spread_of_a_poisson_rate_matches_its_interval(referrals_only: Calibration) -> None:
    sets = bootstrap(referrals_only, BASELINE, 60, seed=3)
    column = sets.columns.index("referrals.sources.step_down.weekly_rate")
    rate = next(e for e in referrals_only.estimates if e.path.endswith("step_down.weekly_rate"))
    analytic_sd = (rate.high - rate.low) / (2 * Z95)
    boot_sd = float(np.std(sets.values[:, column], ddof=1))
    # 60 sets: the sd's relative standard error is about 1/sqrt(2*59) = 9%; allow 3 of them
    assert boot_sd == pytest.approx(analytic_sd, rel=0.3)
    assert abs(float(np.mean(sets.values[:, column])) - rate.value) < 4 * analytic_sd / np.sqrt(60)


def test_sets_are_the_same_for_a_seed_and_differ_between_seeds(referrals_only: Calibration) -> None:
    first = bootstrap(referrals_only, BASELINE, 3, seed=11)
    again = bootstrap(referrals_only, BASELINE, 3, seed=11)
    other = bootstrap(referrals_only, BASELINE, 3, seed=12)
    assert first.columns == again.columns
    assert np.array_equal(first.values, again.values)
    assert not np.array_equal(first.values, other.values)


def test_every_set_of_a_full_calibration_validates_merged(shipped_small: Calibration) -> None:
    sets = bootstrap(shipped_small, BASELINE, 2, seed=5)
    assert {e.path for e in shipped_small.estimates} == set(sets.columns)
    for index in range(2):
        changes = set_changes(sets, index)
        config = with_changes(shipped_small.config, changes)  # raises ConfigError if a set is invalid
        assert config.length_of_stay.planned_stay.mean == pytest.approx(
            changes["length_of_stay.planned_stay.mean"]
        )
    # correlated draws: the sets are whole refits, so two sets differ in every fitted share at once
    shares = [i for i, path in enumerate(sets.columns) if path.startswith("intake.outcomes.")]
    assert sets.values[:, shares].sum(axis=1) == pytest.approx(1.0)


@pytest.fixture(scope="module")
def shipped_small() -> Calibration:
    from simiop.calibrate.extract import read_extract
    from tests.conftest import REPO

    extract = read_extract(REPO / "experiments" / "data" / "baseline_extract.csv")
    return calibrate(extract.before(dt.date(2028, 1, 1)), BASELINE)
