"""The programme's flow: events only when something happens, yet a row for every day."""

from __future__ import annotations

import simpy

from simiop.model import simulate
from tests.tiny_world import tiny_config


def test_a_clinic_without_referrals_schedules_no_event_yet_closes_every_day() -> None:
    """No calendar walk: with nobody to admit there is no round, no programme day, no event at all."""
    sources = tiny_config().referrals.sources
    config = tiny_config(**{f"referrals__sources__{name}__weekly_rate": 0.0 for name in sources})
    records = simulate(config)
    empty = simpy.Environment()
    empty.run(until=28.0)  # what env.run(until=...) schedules by itself
    assert records.events == next(empty._eid)
    assert records.episodes == []
    assert len(records.track_days) == 28 * 2  # every day of both tracks, all quiet
    assert all(row.census == row.wait_list == row.admissions == 0 for row in records.track_days)
    assert {row.present for row in records.staff_days if row.role == "therapist"} == {3}
