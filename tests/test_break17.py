"""Failing cases found while trying to break the issue-17 rewrite (see the review notes, break17.md).

Each test states what should hold; they fail on aeaeb6f.
"""

from __future__ import annotations

import simiop
from simiop.model import simulate
from simiop.model.records import COMPLETED
from tests.conftest import BASELINE


def test_a_continuous_stay_in_programme_days_counts_the_day_joined_toward_the_plan() -> None:
    """Continuous admission, a plan of 10 programme days, nothing else ending a stay.

    Before the rewrite (8211370^) a patient admitted while a programme day was under way held
    that day (it counted in programme_days) and it counted toward the plan: 10 days held. Now
    the day is held but the plan starts the next day: 11 days held, one more than planned.
    """
    config = simiop.load_config(
        BASELINE,
        changes={
            "tracks.day.admission": {"policy": "continuous"},
            "length_of_stay.planned_stay_unit": "programme_days",
            "length_of_stay.planned_stay": {"dist": "fixed", "value": 10},
            "length_of_stay.progress_review": None,
            "length_of_stay.step_up_weekly_hazard": 0,
            "length_of_stay.administrative_weekly_hazard": 0,
            "attendance.propensity": {"dist": "fixed", "value": 1.0},
            "money.payers.commercial.authorization": None,
            "money.payers.medicaid.authorization": None,
            "simulation.horizon_days": 365,
        },
    )
    completed = [e for e in simulate(config, 1, 0).episodes if e.track == "day" and e.end_state == COMPLETED]
    assert completed
    assert sorted({e.programme_days for e in completed}) == [10]


def test_evaluate_takes_replication_numbers_from_a_generator() -> None:
    """``replications: int | Iterable[int]``: a generator is an iterable, read once.

    ``simiop.evaluate`` checks the arguments (reading the generator) and then evaluates
    (reading it again, empty): "replications: got an empty list".
    """
    config = simiop.load_config(BASELINE, changes={"simulation.horizon_days": 14})
    found = simiop.evaluate(
        config, replications=(r for r in (0, 2)), jobs=1, executor="serial", kpis=["referrals"]
    )
    assert found.replications == (0, 2)
