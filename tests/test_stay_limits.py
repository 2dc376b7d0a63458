"""Recertification of the plan of care and the maximum stay (length_of_stay.recertification, max_stay_days).

Tiny worlds on the baseline's day track (Mon-Thu 09:00-12:00, opening on a
Monday, so programme days are 0, 1, 2, 3, 7, 8, 9, 10, 14, ...), with a
fixed plan of six weeks (its last programme day is day 38), so the expected
discharge is exact.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from simiop.config import SimiopConfig, load_config
from simiop.config.errors import ConfigError
from simiop.model import simulate
from simiop.model.patients import PatientKey, PatientStreams, Purpose
from simiop.model.records import ADMINISTRATIVE, COMPLETED, DISCHARGES, NO_START
from simiop.model.stay import Enrolment, Stay
from simiop.results.kpis import compute_kpis
from tests.conftest import BASELINE, REPO
from tests.invariants import check_invariants
from tests.tiny_world import episode, roster_of, stay_world, track_of

START, END = 9 / 24, 12 / 24


def world(**changes: Any) -> SimiopConfig:
    """Six fixed weeks, always attending, no hazards, reviews or payer reviews, unless ``changes`` say so."""
    settings: dict[str, Any] = {
        "money__payers__commercial__authorization": None,
        "money__payers__medicaid__authorization": None,
    }
    settings.update(changes)
    return stay_world(6, **settings)


def recertified(continue_probability: float, **more: Any) -> dict[str, Any]:
    return {"length_of_stay__recertification": {"continue_probability": continue_probability, **more}}


def admit(config: SimiopConfig, payer: str = "medicare", seed: int = 1, recert_seed: int = 2) -> Enrolment:
    """Admit at the start of day 0; the stay, review and recertification streams are separate generators."""
    state = track_of(config)
    rng = np.random.default_rng(seed)
    return Stay(config).plan(
        state,
        episode(0, payer),
        0,
        roster_of(config).by_role["therapist"][0],
        0,
        0,
        START,
        rng,
        lambda: np.random.default_rng(seed + 100),
        lambda: np.random.default_rng(recert_seed),
    )


def test_without_a_limit_the_plan_completes_at_the_end_of_day_38() -> None:
    stay = admit(world())
    assert (stay.state, stay.ends_at, stay.at_max_stay, stay.recert_days) == (COMPLETED, 38 + END, False, ())


@pytest.mark.parametrize(
    ("at_max_stay", "state"), [("completed", COMPLETED), ("administrative", ADMINISTRATIVE)]
)
def test_the_maximum_stay_ends_at_the_last_programme_day_before_the_limit(
    at_max_stay: str, state: str
) -> None:
    config = world(length_of_stay__max_stay_days=20, length_of_stay__at_max_stay=at_max_stay)
    stay = admit(config)
    # Day 17 is the last programme day before day 20 (days 0-3, 7-10, 14-17: 12 days).
    assert (stay.state, stay.ends_at, stay.ends_on, stay.at_start) == (state, 17 + END, 17, False)
    assert (stay.started, stay.ended, len(stay.attended)) == (12, 12, 12)
    Stay(config).settle(stay, horizon=100.0)
    assert stay.episode.max_stay_discharge
    assert (stay.episode.programme_days, stay.episode.recertifications) == (12, 0)


def test_a_limit_on_a_programme_day_excludes_that_day() -> None:
    stay = admit(world(length_of_stay__max_stay_days=14))  # day 14 is at the limit: not before it
    assert (stay.ends_on, stay.started) == (10, 8)
    stay = admit(world(length_of_stay__max_stay_days=14.5))
    assert (stay.ends_on, stay.started) == (14, 9)


def test_a_limit_past_the_plan_changes_nothing_and_is_not_the_reason_for_the_discharge() -> None:
    config = world(length_of_stay__max_stay_days=90)
    stay = admit(config)
    assert (stay.state, stay.ends_at, stay.at_max_stay) == (COMPLETED, 38 + END, False)
    Stay(config).settle(stay, horizon=100.0)
    assert not stay.episode.max_stay_discharge


def test_a_run_of_absences_on_the_limit_day_wins_the_tie() -> None:
    """Three absences to day 2's end; a limit of 3 days ends on day 2 as well: the absence rule wins the tie
    (no day attended, so the patient ends as a no-start rather than a dropout: issue 19)."""
    config = world(attendance__propensity={"dist": "fixed", "value": 0.0}, length_of_stay__max_stay_days=3)
    stay = admit(config)
    assert (stay.state, stay.ends_on, stay.at_max_stay) == (NO_START, 2, False)


def test_the_maximum_stay_keeps_the_attendance_of_the_days_both_stays_reach() -> None:
    """Common random numbers: the limit only cuts the tail of the stay's attendance uniforms."""
    propensity = {"dist": "beta", "mean": 0.8, "concentration": 4}
    reached = 0
    for seed in range(30):
        free = admit(world(attendance__propensity=propensity), seed=seed)
        capped = admit(world(attendance__propensity=propensity, length_of_stay__max_stay_days=20), seed=seed)
        assert len(capped.attended) <= 12
        assert capped.attended == free.attended[: len(capped.attended)], seed
        if capped.at_max_stay:
            reached += 1
            assert capped.ends_on == 17
        else:  # it ended earlier, exactly as without the limit
            assert (capped.state, capped.ends_at) == (free.state, free.ends_at), seed
    assert 0 < reached < 30


@pytest.mark.parametrize(("on_stop", "state"), [("completed", COMPLETED), ("administrative", ADMINISTRATIVE)])
@pytest.mark.parametrize("first_after", [14, 11.5])
def test_a_recertification_not_granted_ends_the_stay_at_its_day_start(
    on_stop: str, state: str, first_after: float
) -> None:
    config = world(**recertified(0.0, first_after_days=first_after, on_stop=on_stop))
    stay = admit(config)
    # The first programme day on or after day 14 (or 11.5) is day 14: the stay's ninth day (index 8).
    assert (stay.state, stay.ends_at, stay.at_start, stay.started) == (state, 14 + START, True, 8)
    assert (stay.recert_days, stay.recert_stopped) == ((8,), True)
    Stay(config).settle(stay, horizon=100.0)
    assert (stay.episode.recertifications, stay.episode.recertification_stopped) == (1, True)
    assert (stay.episode.programme_days, stay.episode.max_stay_discharge) == (8, False)


def test_recertifications_granted_go_on_at_each_interval() -> None:
    config = world(**recertified(1.0, first_after_days=14, interval_days=14))
    stay = admit(config)
    # Days 14 and 28 (indices 8 and 16); the plan still completes at day 38's end.
    assert (stay.state, stay.ends_at, stay.recert_days, stay.recert_stopped) == (
        COMPLETED,
        38 + END,
        (8, 16),
        False,
    )
    Stay(config).settle(stay, horizon=100.0)
    assert (stay.episode.recertifications, stay.episode.recertification_stopped) == (2, False)
    again = admit(config)
    Stay(config).settle(again, horizon=20.0)  # the run ends before day 28's recertification
    assert (again.episode.recertifications, again.episode.recertification_stopped) == (1, False)


def test_each_recertification_takes_the_streams_next_uniform() -> None:
    """The k-th recertification reads the k-th uniform of the patient's recertification stream."""
    config = world(**recertified(0.5, first_after_days=7, interval_days=7))
    for seed in range(20):
        uniforms = np.random.default_rng(seed).random(5)
        stopped = int(np.argmax(uniforms >= 0.5)) if (uniforms >= 0.5).any() else None
        stay = admit(config, recert_seed=seed)
        if stopped is None:  # days 7, 14, 21, 28, 35 (indices 4, 8, 12, 16, 20), all granted
            assert (stay.recert_days, stay.state) == ((4, 8, 12, 16, 20), COMPLETED), seed
        else:
            assert stay.recert_days == tuple(4 * (k + 1) for k in range(stopped + 1)), seed
            assert (stay.state, stay.ends_on, stay.recert_stopped) == (COMPLETED, 7 * (stopped + 1), True)


def test_only_the_listed_payers_are_recertified() -> None:
    config = world(**recertified(0.0, first_after_days=14, payers=["medicare"]))
    assert (admit(config, payer="medicare").ends_on, admit(config, payer="medicare").recert_days) == (
        14,
        (8,),
    )
    commercial = admit(config, payer="commercial")
    assert (commercial.state, commercial.ends_at, commercial.recert_days) == (COMPLETED, 38 + END, ())


def test_a_progress_review_on_the_same_day_comes_first() -> None:
    """Progress review, then recertification, then payer review: an early completion wins the day."""
    review = {
        "interval_weeks": 2,
        "extend_probability": 0.0,
        "extension_weeks": 1,
        "early_completion_probability": 1.0,
    }
    config = world(length_of_stay__progress_review=review, **recertified(0.0, first_after_days=14))
    stay = admit(config)
    assert (stay.state, stay.ends_on, stay.recert_days, stay.recert_stopped) == (COMPLETED, 14, (), False)


def test_a_recertification_comes_before_a_payer_review_on_the_same_day() -> None:
    payer_review = {
        "money__payers__commercial__authorization": {
            "unit": "calendar_days",
            "initial_days": 14,
            "days_per_approval": 14,
            "approval_probability": 0.0,
            "on_denial": "continue_unbilled",
        }
    }
    config = world(**payer_review, **recertified(0.0, first_after_days=14, on_stop="administrative"))
    stay = admit(config, payer="commercial")
    assert (stay.state, stay.ends_on, stay.recert_stopped, stay.review_days) == (ADMINISTRATIVE, 14, True, [])
    granted = admit(world(**payer_review, **recertified(1.0, first_after_days=14)), payer="commercial")
    assert (granted.recert_days, granted.review_days, granted.denied_on) == ((8,), [8], 14)


def test_recertification_leaves_the_review_streams_outcomes_alone() -> None:
    """Common random numbers in the model: patient streams are shared by one generator, and the review
    stream's draws are the same whether or not a recertification stream was drawn first."""
    rule = {
        "unit": "attended_days",
        "initial_days": 1,
        "days_per_approval": 1,
        "approval_probability": 0.9,
        "on_denial": "continue_unbilled",
    }
    config = world(
        money__payers__commercial__authorization=rule,
        length_of_stay__planned_stay={"dist": "fixed", "value": 12},
    )
    with_recert = world(
        money__payers__commercial__authorization=rule,
        length_of_stay__planned_stay={"dist": "fixed", "value": 12},
        **recertified(1.0, first_after_days=3, interval_days=3),
    )
    state = track_of(config)
    therapist = roster_of(config).by_role["therapist"][0]
    streams = PatientStreams(7, 0)
    for number in range(20):
        key = PatientKey.of_referral("community", number)

        def reviews(key: PatientKey = key) -> np.random.Generator:
            return streams.of(key, Purpose.REVIEWS)

        def recert(key: PatientKey = key) -> np.random.Generator:
            return streams.of(key, Purpose.RECERT)

        stays = [
            Stay(c).plan(
                state,
                episode(number, "commercial"),
                0,
                therapist,
                0,
                0,
                START,
                streams.of(key, Purpose.STAY),
                reviews,
                recert,
            )
            for c in (config, with_recert)
        ]
        assert stays[1].recert_days
        assert (stays[0].review_days, stays[0].denied_on, stays[0].attended) == (
            stays[1].review_days,
            stays[1].denied_on,
            stays[1].attended,
        )


def baseline(*changes: str, days: int = 365) -> SimiopConfig:
    return load_config(BASELINE, [f"simulation.horizon_days={days}", *changes])


def test_granted_recertifications_change_no_stay_of_the_baseline() -> None:
    """Everyone recertified (probability 1): the same episodes, with recertifications counted."""
    plain = simulate(baseline(), 1, 0)
    config = baseline("length_of_stay.recertification={continue_probability: 1.0}")
    recert = simulate(config, 1, 0)
    check_invariants(config, recert)
    fields = (
        "episode_id",
        "admitted_day",
        "ended_day",
        "end_state",
        "programme_days_attended",
        "authorization_reviews",
    )
    assert [[getattr(e, f) for f in fields] for e in plain.episodes] == [
        [getattr(e, f) for f in fields] for e in recert.episodes
    ]
    assert sum(e.recertifications for e in recert.episodes) > 0
    assert not any(e.recertification_stopped for e in recert.episodes)


def test_the_baseline_with_both_rules_keeps_the_invariants_and_its_kpis_count_them() -> None:
    config = baseline(
        "length_of_stay.recertification={continue_probability: 0.5, first_after_days: 30, payers: [medicare]}",
        "length_of_stay.max_stay_days=60",
    )
    records = simulate(config, 1, 0)
    check_invariants(config, records)
    kpis = compute_kpis(config, records)
    counted = [e for e in records.episodes if e.referred_day >= config.simulation.warmup_days]
    admitted = [e for e in counted if e.admitted_day is not None]
    discharged = [e for e in admitted if e.end_state in DISCHARGES]
    assert kpis["recertifications"] == sum(e.recertifications for e in admitted) > 0
    assert kpis["recertifications_stopped"] == sum(e.recertification_stopped for e in admitted) > 0
    assert kpis["max_stay_discharges"] == sum(e.max_stay_discharge for e in discharged) > 0
    assert {e.payer for e in admitted if e.recertifications} == {"medicare"}
    # A 60-day limit: no discharge more than 60 days after admission.
    assert kpis["stays_over_60_days_share"] == 0.0
    without = baseline("length_of_stay.recertification=null")  # the baseline recertifies Medicare
    plain = compute_kpis(without, simulate(without, 1, 0))
    assert plain["stays_over_60_days_share"] > 0.0
    assert (plain["recertifications"], plain["recertifications_stopped"], plain["max_stay_discharges"]) == (
        0,
        0,
        0,
    )
    assert math.isfinite(plain["stays_over_60_days_share"])


def test_recertification_payers_must_exist() -> None:
    with pytest.raises(
        ConfigError, match=r"length_of_stay.recertification.payers: unknown payer \(got medicar"
    ):
        baseline("length_of_stay.recertification={continue_probability: 0.5, payers: [medicar]}")


def test_a_limit_below_the_plan_or_before_the_first_recertification_is_warned_about() -> None:
    config = baseline(
        "length_of_stay.max_stay_days=20",
        "length_of_stay.recertification={continue_probability: 0.5, first_after_days: 30}",
    )
    warnings = [w for w in config.warnings() if "length_of_stay" in w]
    assert len(warnings) == 2
    assert warnings[0].startswith("warning: length_of_stay.max_stay_days: shorter than the mean planned stay")
    assert warnings[1].startswith("warning: length_of_stay.recertification.first_after_days: no stay lasts")
    fine = baseline(
        "length_of_stay.max_stay_days=90", "length_of_stay.recertification={continue_probability: 0.5}"
    )
    assert not [w for w in fine.warnings() if "length_of_stay" in w]


def test_a_continuous_plan_ending_between_programme_days_past_the_limit_is_cut_at_the_maximum_stay() -> None:
    """Issue-19 break test: on a continuous track (configs/validation/mmc.yaml, 09:00-12:00 every day) a plan
    ending between programme days after admission day + max_stay_days ran past the limit as a completion
    (check_invariants' stay-limit check failed); it now ends at the end of the last programme day before the
    limit, as a max-stay discharge."""
    config = load_config(
        REPO / "configs" / "validation" / "mmc.yaml",
        [
            "simulation.horizon_days=200",
            "length_of_stay.max_stay_days=2",
            "length_of_stay.at_max_stay=administrative",
        ],
    )
    records = simulate(config, config.simulation.seed, 0)
    check_invariants(config, records)
    cut = [e for e in records.episodes if e.max_stay_discharge]
    assert cut
    for e in cut:
        assert e.end_state == ADMINISTRATIVE
        assert e.admitted_day is not None
        assert e.ended_day is not None
        assert math.isclose(e.ended_day - math.floor(e.ended_day), 0.5)  # a programme day's end, 12:00
        assert math.floor(e.ended_day) < math.floor(e.admitted_day) + 2
