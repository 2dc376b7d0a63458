"""The warm hand-off (model/handoff.py) and per-source intake in the model: tiny worlds, exact days.

The tiny world opens on Monday 2027-01-04 (day 0); the day track starts at 09:00.
"""

from __future__ import annotations

from typing import Any

from simiop.config.referrals import WarmHandoff
from simiop.model import simulate
from simiop.model.clinic import Clinic
from simiop.model.events import call
from simiop.model.handoff import handed_off
from simiop.model.intake import IntakeBook
from simiop.model.patients import PatientKey
from simiop.model.programme import Programme
from simiop.model.records import NO_SHOW, Episode
from tests.invariants import check_invariants
from tests.tiny_world import clinic_of, tiny_config

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
NINE = 9 / 24


def _world(handoff: dict[str, Any], **changes: Any) -> Clinic:
    """A Mon-Fri rolling day track only, the step-down source handed off warm as ``handoff`` says."""
    config = tiny_config(
        tracks__day__weekdays=WEEKDAYS,
        tracks__evening__enabled=False,
        referrals__sources__step_down__warm_handoff=handoff,
        **changes,
    )
    clinic = clinic_of(config)
    clinic.intake = IntakeBook(clinic)
    clinic.programme = Programme(clinic)
    return clinic


def _refer(clinic: Clinic, times: list[float]) -> list[Episode]:
    """Step-down referrals (day preference) at ``times``, each offered to the warm hand-off at its time."""
    handoff = clinic.config.referrals.sources["step_down"].warm_handoff
    assert isinstance(handoff, WarmHandoff)
    episodes: list[Episode] = []

    def refer(number: int) -> Any:
        def at_time(_: object) -> None:
            episode = clinic.new_episode(
                PatientKey.of_referral("step_down", number),
                clinic.new_patient_id(),
                "step_down",
                "step_down",
                "day",
                "commercial",
                "standard",
                clinic.env.now,
            )
            episodes.append(episode)
            if not handed_off(clinic, episode, handoff):
                raise AssertionError("share 1: every referral is handed off")

        return at_time

    for number, time in enumerate(times):
        call(clinic.env, time, refer(number))
    return episodes


def test_a_warm_hand_off_starts_at_the_next_programme_day() -> None:
    clinic = _world({"share": 1.0})
    tuesday_2pm, friday_2pm, saturday_noon = 1 + 14 / 24, 4 + 14 / 24, 5.5
    referred = _refer(clinic, [tuesday_2pm, friday_2pm, saturday_noon])
    clinic.env.run(until=10.0)
    tuesday, friday, saturday = referred
    assert tuesday.admitted_day == 2 + NINE  # Wednesday 09:00
    assert friday.admitted_day == 7 + NINE  # Monday 09:00
    assert saturday.admitted_day == 7 + NINE
    for episode in (tuesday, friday, saturday):
        assert episode.warm_handoff
        assert episode.intake_outcome is None
        assert episode.assessed_day is None
        assert episode.wait_list_day == episode.referred_day  # ready at once
        assert episode.intake_bookings == 0  # no walk-in intake
    assert clinic.records.bookings == []


def test_ready_after_days_delays_the_start() -> None:
    clinic = _world({"share": 1.0, "ready_after_days": {"dist": "fixed", "value": 2}})
    referred = _refer(clinic, [1 + 14 / 24])
    clinic.env.run(until=10.0)
    (tuesday,) = referred
    assert tuesday.wait_list_day == 3 + 14 / 24  # Thursday 14:00
    assert tuesday.admitted_day == 4 + NINE  # Friday 09:00


def test_a_patient_who_does_not_arrive_ends_no_show_when_they_would_have_joined() -> None:
    clinic = _world(
        {"share": 1.0, "show_probability": 0.0, "ready_after_days": {"dist": "fixed", "value": 1}}
    )
    referred = _refer(clinic, [1 + 14 / 24])
    clinic.env.run(until=10.0)
    (tuesday,) = referred
    assert tuesday.end_state == NO_SHOW
    assert tuesday.ended_day == 2 + 14 / 24
    assert tuesday.admitted_day is None
    assert tuesday.wait_list_day is None
    assert tuesday.track is None
    assert clinic.programme.tracks["day"].census == 0


def test_a_hand_off_without_a_seat_by_admit_within_days_lapses_into_the_walk_in_intake() -> None:
    # From the wait list: a Friday 14:00 referral waits for Monday's round; its hand-off lapses on Sunday.
    clinic = _world({"share": 1.0, "admit_within_days": 2.0})
    referred = _refer(clinic, [4 + 14 / 24])
    clinic.env.run(until=7.0)
    (friday,) = referred
    assert friday.track is None
    assert friday.wait_list_day is None
    assert friday.assessed_day is None
    assert friday.intake_outcome is None
    assert friday.warm_handoff
    assert friday.intake_bookings == 1  # booked for a walk-in assessment from Sunday 14:00
    assert clinic.programme.tracks["day"].wait_list == []
    assert clinic.records.bookings == []  # the slot is still to come
    clinic.env.run(until=8.0)
    assert len(clinic.records.bookings) == 1
    assert clinic.records.bookings[0].slot_day >= 6 + 14 / 24 + clinic.config.intake.lead_time_days
    assert friday.admitted_day is None  # not admitted on Monday as the hand-off would have been
    # Before joining: ready after 3 days, lapsed after 1.
    clinic = _world(
        {"share": 1.0, "admit_within_days": 1.0, "ready_after_days": {"dist": "fixed", "value": 3}}
    )
    referred = _refer(clinic, [0.5])
    clinic.env.run(until=5.0)
    (monday,) = referred
    assert clinic.records.bookings[0].booked_day == 1.5  # booked for intake when it lapsed, Tuesday noon
    assert clinic.records.bookings[0].slot_day == 2 + 13.5 / 24  # the first slot a day later: Wed 13:30
    assert monday.wait_list_day != 3.5  # the ready event did nothing: the hand-off had lapsed


def _bookings_by_referral(config: Any, sources: set[str]) -> list[tuple[str, float, float, bool]]:
    """Each intake booking of a referral from ``sources``: (source, booked on, slot, showed)."""
    records = simulate(config, 3, 0)
    source_of = {episode.episode_id: episode.source for episode in records.episodes}
    return [
        (source_of[b.episode_id], b.booked_day, b.slot_day, b.showed)
        for b in records.bookings
        if source_of[b.episode_id] in sources
    ]


def test_a_source_without_by_source_or_a_hand_off_keeps_its_intake_bookings() -> None:
    # Plenty of seats (five people, five seats a slot), so no source takes a seat another would have had.
    roomy: dict[str, Any] = {
        "staff__roles__intake_clinician__count": 5,
        "intake__schedule": [
            {"weekday": day, "start_time": time, "parallel_slots": 5}
            for day in WEEKDAYS
            for time in ("09:00", "11:00", "13:30", "15:30")
        ],
        "simulation__horizon_days": 120,
    }
    others = {"step_up", "community", "emergency_department", "readmission"}
    base = _bookings_by_referral(tiny_config(**roomy), others)
    assert len(base) > 50
    changed = tiny_config(
        **roomy,
        intake__by_source={
            "step_down": {
                "lead_time_days": 0.0,
                "show_rate_by_days_waited": {"curve": "piecewise_linear", "points": [[0, 0.2]]},
            }
        },
    )
    assert _bookings_by_referral(changed, others) == base
    warm = tiny_config(**roomy, referrals__sources__step_down__warm_handoff={"share": 0.8})
    assert _bookings_by_referral(warm, others - {"readmission"}) == [
        row for row in base if row[0] != "readmission"
    ]


def test_per_source_lead_time_and_show_curve_are_used_in_the_run() -> None:
    config = tiny_config(
        simulation__horizon_days=120,
        intake__by_source={
            "step_down": {
                "lead_time_days": 0.0,
                "show_rate_by_days_waited": {"curve": "piecewise_linear", "points": [[0, 0.0]]},
                "max_rebookings": 0,
            }
        },
    )
    records = simulate(config, 3, 0)
    check_invariants(config, records)
    source_of = {episode.episode_id: episode.source for episode in records.episodes}
    step_down = [b for b in records.bookings if source_of[b.episode_id] == "step_down"]
    others = [b for b in records.bookings if source_of[b.episode_id] != "step_down"]
    assert step_down
    assert others
    assert not any(b.showed for b in step_down)  # the source's curve: nobody comes
    assert any(b.showed for b in others)
    assert any(b.slot_day - b.booked_day < 1.0 for b in step_down)  # lead time 0: within the day
    assert all(b.slot_day - b.booked_day >= 1.0 for b in others)  # intake's lead time of 1 day
    assert all(
        e.end_state == NO_SHOW and e.intake_bookings == 1
        for e in records.episodes
        if e.source == "step_down"
        and e.intake_bookings
        and e.end_state is not None
        and "censored" not in e.end_state
    )


def test_a_run_with_warm_hand_offs_keeps_the_invariants() -> None:
    config = tiny_config(
        simulation__horizon_days=120,
        referrals__sources__step_down__warm_handoff={
            "share": 0.8,
            "show_probability": 0.9,
            "ready_after_days": {"dist": "empirical", "values": [0, 1, 2, 3, 4]},
            "admit_within_days": 7.0,
        },
    )
    records = simulate(config, 3, 0)
    check_invariants(config, records)
    warm = [e for e in records.episodes if e.warm_handoff]
    assert warm
    assert all(e.source == "step_down" for e in warm)
    assert any(e.end_state == NO_SHOW and e.intake_bookings == 0 for e in warm)
    assert any(e.admitted_day is not None and e.intake_bookings == 0 for e in warm)


def test_a_give_up_from_an_earlier_stay_on_the_wait_list_is_ignored() -> None:
    # Day-track patience of 1 day; Friday's track rounds are over, so whoever joins waits until Monday.
    clinic = _world({"share": 1.0}, tracks__day__wait_list__patience_days={"dist": "fixed", "value": 1})
    programme = clinic.programme
    waiting = clinic.new_episode(
        PatientKey.of_referral("step_down", 0),
        1,
        "step_down",
        "step_down",
        "day",
        "commercial",
        "standard",
        4.5,
    )
    call(clinic.env, 4.6, lambda _: programme.refer_to_track(waiting))
    left: list[bool] = []
    call(clinic.env, 5.0, lambda _: left.append(programme.leave_wait_list(waiting)))
    call(clinic.env, 5.1, lambda _: programme.refer_to_track(waiting))
    clinic.env.run(until=5.9)  # the first join's give-up (5.6) found the patient on the list again: ignored
    assert left == [True]
    assert waiting.end_state is None
    assert programme.tracks["day"].wait_list == [waiting]
    clinic.env.run(until=6.2)  # the second join's give-up (6.1) holds
    assert waiting.end_state == "left_wait_list"
    assert waiting.ended_day == 5.1 + 1
    assert programme.tracks["day"].wait_list == []
