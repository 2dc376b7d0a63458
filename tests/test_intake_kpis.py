"""intake_days_booked_ahead_mean (issue 20): a known answer from hand-made bookings, and a real run's."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest

from simiop.config import load_config
from simiop.model import simulate
from simiop.model.records import Booking
from simiop.results.columns import Columns
from simiop.results.directions import better_direction
from simiop.results.intake_kpis import intake_booked_ahead
from simiop.results.kinds import possible
from simiop.results.kpis import compute_kpis
from simiop.results.labels import INTAKE_BOOKED_AHEAD
from tests.conftest import BASELINE


@dataclass
class _Episode:
    episode_id: int


def _episodes(*ids: int) -> Columns:
    return Columns(_Episode, [_Episode(i) for i in ids])


def test_the_first_booking_of_each_counted_referral_is_averaged() -> None:
    """Episode 1: booked on day 3 for day 5, no-show, rebooked on day 5 for day 9 (left out): 2 days.
    Episode 2: booked on day 4.5 for day 11: 6.5 days. Episode 0 (before the warm-up): not counted."""
    bookings = Columns(
        Booking,
        [
            Booking(0, 0.0, 20.0, True),
            Booking(1, 3.0, 5.0, False),
            Booking(2, 4.5, 11.0, True),
            Booking(1, 5.0, 9.0, True),
        ],
        tabled=False,
    )
    counted = np.array([False, True, True])
    found = intake_booked_ahead(_episodes(0, 1, 2), bookings, counted)
    assert found == {INTAKE_BOOKED_AHEAD: pytest.approx((2.0 + 6.5) / 2)}


def test_no_booking_of_a_counted_referral_is_nan() -> None:
    episodes = _episodes(0, 1)
    no_rows = Columns(Booking, [], tabled=False)
    assert math.isnan(intake_booked_ahead(episodes, no_rows, np.array([True, True]))[INTAKE_BOOKED_AHEAD])
    before = Columns(Booking, [Booking(0, 1.0, 2.0, True)], tabled=False)
    assert math.isnan(intake_booked_ahead(episodes, before, np.array([False, True]))[INTAKE_BOOKED_AHEAD])


def test_a_run_books_at_least_the_lead_time_ahead_and_the_kpi_is_declared() -> None:
    """The baseline's first slot is at least its lead time after booking; fewer is better; never negative."""
    config = load_config(BASELINE, ["simulation.horizon_days=90", "simulation.warmup_days=0"])
    kpis = compute_kpis(config, simulate(config, seed=1))
    ahead = kpis[INTAKE_BOOKED_AHEAD]
    assert config.intake.lead_time_days <= ahead < 30.0
    assert better_direction(INTAKE_BOOKED_AHEAD) == "lower"
    assert possible(INTAKE_BOOKED_AHEAD) == (0.0, math.inf)
