"""The programme's flow: events only when something happens, yet a row for every day."""

from __future__ import annotations

import gc
import math
from pathlib import Path

import numpy as np
import simpy

from simiop.collector import collector_paused
from simiop.config import SimiopConfig, load_config
from simiop.model import simulate
from simiop.model.attendance import Attendance
from simiop.model.discharge import Readmission
from simiop.model.events import call
from simiop.model.intake import IntakeBook
from simiop.model.patients import PatientKey
from simiop.model.programme import Programme
from simiop.model.referrals import _cumulative, _mix, _pick, _picked_all, start_source
from tests.tiny_world import clinic_of, tiny_config

MMC = Path(__file__).parent.parent / "configs" / "validation" / "mmc.yaml"
BASELINE = Path(__file__).parent.parent / "configs" / "baseline.yaml"


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


def test_readmission_is_possible_only_if_some_discharge_has_a_probability() -> None:
    """Discharges ask about readmission only when one can happen (any state, any acuity multiplier)."""
    states = ("completed", "dropout", "step_up", "administrative")
    none = tiny_config(**{f"discharge__{state}__probability": 0.0 for state in states})
    assert not Readmission(none).possible
    for state in states:
        only = tiny_config(
            **{f"discharge__{other}__probability": 0.0 for other in states if other != state},
            **{f"discharge__{state}__probability": 0.1},
        )
        assert Readmission(only).possible, state


def test_a_referral_becomes_one_episode_row_with_its_key() -> None:
    clinic = clinic_of(tiny_config())
    records = clinic.records
    key = PatientKey(7, 3)
    first = clinic.new_episode(key, 11, "gp", "step_up", "day", "medicare", "standard", 2.5)
    again = clinic.new_episode(
        key.readmitted(), 11, "readmission", "step_down", "day", "medicare", "high", 9.0, 0
    )
    assert records.episodes == [first, again]
    assert (first.episode_id, first.patient_id, first.source, first.source_kind) == (0, 11, "gp", "step_up")
    assert (first.track_preference, first.payer, first.acuity, first.referred_day) == (
        "day",
        "medicare",
        "standard",
        2.5,
    )
    assert first.readmission_of is None
    assert again.readmission_of == 0
    assert (again.episode_id, again.acuity, again.referred_day) == (1, "high", 9.0)
    assert clinic.keys == {0: key, 1: PatientKey(7, 3, 1)}


def test_a_clinic_makes_each_distributions_sampler_once_and_it_draws_as_sample() -> None:
    """``Clinic.sampler``: one sampler per distribution for the run, drawing what ``sample`` draws."""
    config = tiny_config()
    clinic = clinic_of(config)
    patience = config.intake.patience_days
    draw = clinic.sampler(patience)
    assert clinic.sampler(patience) is draw
    assert clinic.sampler(config.length_of_stay.planned_stay) is not draw
    assert draw(np.random.default_rng(4)) == patience.sample(np.random.default_rng(4))


def test_a_run_leaves_its_objects_to_reference_counting_not_to_the_cyclic_collector() -> None:
    """Clinic.close breaks the stages' cycles: a run's enrolments and events go as soon as it returns."""
    config = load_config(MMC, ["simulation.horizon_days=200"])
    with collector_paused():
        gc.collect()
        records = simulate(config)
        left = gc.collect()  # what only the cyclic collector could free
    assert len(records.episodes) > 150  # each with an enrolment, a key and a discharge event
    assert left < 100  # simpy's own small cycles and the few stays open at the horizon


def test_a_closed_clinic_lets_go_of_its_stages_and_pending_events() -> None:
    clinic = clinic_of(tiny_config())
    env, calendar = clinic.env, clinic.calendar
    clinic.programme = Programme(clinic)
    call(env, 40.0, lambda _: None)  # still pending at a horizon of 28 days
    env.run(until=calendar.horizon_days)
    assert env.peek() < math.inf
    clinic.close()
    assert env.peek() == math.inf
    assert not hasattr(clinic, "programme")
    clinic.close()  # twice is harmless


def _flow_run(config: SimiopConfig, seed: int) -> Programme:
    """The patient flow of a clinic (referrals, intake, programme) run to the horizon, before its finish."""
    clinic = clinic_of(config, seed=seed)
    clinic.intake = IntakeBook(clinic)
    programme = clinic.programme = Programme(clinic)
    for name, source in config.referrals.sources.items():
        start_source(clinic, name, source)
    clinic.env.run(until=clinic.calendar.horizon_days)
    return programme


def test_when_everyone_comes_the_short_way_lists_the_same_attendance() -> None:
    """``_everyone_came`` (all attend, one group a track) gives what the general ``_who_came`` gives."""
    programme = _flow_run(load_config(MMC, ["simulation.horizon_days=120"]), seed=3)
    programme.finish()  # everyone always comes here: the short way

    def listed(held: list[list[Attendance]]) -> list[tuple[object, ...]]:
        return [
            (a.track.name, a.day, a.week, a.row.day, a.row.attended, a.row.absent, a.came, a.scheduled)
            for kept in held
            for a in kept
        ]

    short = listed([programme.attendance])
    assert len(short) > 60
    assert sum(len(a.came[0]) for a in programme.attendance) > 200  # patient-days
    for row in programme.rows["programme"]:
        row.attended = row.absent = 0
    assert listed(programme._who_came()) == short


def test_a_mix_of_one_name_has_nothing_to_pick() -> None:
    """A referral's preference, payer and acuity: drawn from a mix only when it has a choice."""
    assert _mix({"day": 0.25, "evening": 0.75}) == (["day", "evening"], [0.25, 0.75])
    assert _mix({"either": 1.0}) == (["either"], [])
    names, shares = _mix({"a": 0.5, "b": 0.3, "c": 0.2})
    assert [names[_pick(u, shares)] for u in (0.0, 0.49, 0.5, 0.79, 0.8, 0.999)] == [
        "a",
        "a",
        "b",
        "b",
        "c",
        "c",
    ]


def test_a_pick_by_running_totals_is_the_pick_by_adding_up() -> None:
    """``_picked_all`` (a search over ``_cumulative``) chooses what ``_pick`` chooses, ties and zeros
    included."""
    mixes = [
        [0.25, 0.75],
        [0.5, 0.3, 0.2],
        [0.1, 0.0, 0.6, 0.3],  # a name never chosen
        [0.2, 0.2, 0.2],  # totals short of 1: the last name takes the rest
        [0.1] * 10,  # running totals that round
    ]
    uniforms = [
        0.0,
        0.1,
        0.2,
        0.25,
        0.3,
        0.5,
        0.6,
        0.7,
        0.8,
        0.9,
        0.9999999,
        *np.random.default_rng(3).random(500),
    ]
    for shares in mixes:
        totals = _cumulative(shares)
        assert len(totals) == len(shares)
        named = {f"n{k}": share for k, share in enumerate(shares)}
        expected = [f"n{_pick(float(u), shares)}" for u in uniforms]
        assert _picked_all(np.array(uniforms, dtype=np.float64), named) == expected, shares
    assert _picked_all(np.array([0.7]), {"a": 0.2, "b": 0.2, "c": 0.2}) == ["c"]
    assert _picked_all(np.array([0.1]), {"a": 0.1, "b": 0.0, "c": 0.6, "d": 0.3}) == ["c"]


def _who_came_day_by_day(programme: Programme) -> list[list[tuple[object, ...]]]:
    """Who came to each track-day, found by stepping through every started day of every stay (the reference)."""
    found: dict[str, dict[int, tuple[list[list[int]], list[bool], int, int]]] = {
        n: {} for n in programme.tracks
    }
    for enrolment in programme.enrolments:
        track = enrolment.track
        table = found[track.name]
        for index in range(enrolment.first, enrolment.first + enrolment.started):
            came, scheduled, attended, absent = table.setdefault(
                index, ([[] for _ in track.groups], [False] * len(track.groups), 0, 0)
            )
            scheduled[enrolment.group] = True
            if enrolment.attended[index - enrolment.first]:
                came[enrolment.group].append(enrolment.episode.episode_id)
                table[index] = (came, scheduled, attended + 1, absent)
            else:
                table[index] = (came, scheduled, attended, absent + 1)
    return [
        [(programme.tracks[name].days[index], *table[index]) for index in sorted(table)]
        for name, table in found.items()
    ]


def test_who_came_lists_members_absences_and_groups_as_a_day_by_day_walk() -> None:
    """Two groups, absences, three tracks: each track-day's attendance and row counts as stepping finds them."""
    programme = _flow_run(load_config(BASELINE, ["simulation.horizon_days=150"]), seed=5)
    held = programme._who_came()

    listed = [
        [
            (
                a.day,
                [[e.episode.episode_id for e in group] for group in a.came],
                a.scheduled,
                a.row.attended,
                a.row.absent,
            )
            for a in kept
        ]
        for kept in held
    ]
    assert listed == _who_came_day_by_day(programme)
    assert any(len(a.came) == 2 and not all(a.scheduled) for kept in held for a in kept)  # a group alone
    assert sum(a.row.absent for kept in held for a in kept) > 20  # absences counted


def test_a_referral_to_a_continuous_track_with_room_is_admitted_at_once_else_waits() -> None:
    """``refer_to_track``'s short way (an empty wait list, no patience): admitted the instant it comes
    if a seat and a therapist are free, counted on that day's row, never on the list; else it waits
    (counted on the list) and takes the first seat a discharge frees."""
    config = load_config(MMC, ["tracks.programme.group_size.max=2", "simulation.horizon_days=60"])
    clinic = clinic_of(config)
    clinic.intake = IntakeBook(clinic)
    programme = clinic.programme = Programme(clinic)
    track = programme.tracks["programme"]
    episodes = [
        clinic.new_episode(
            PatientKey(1, n), n + 1, "arrivals", "step_down", "either", "payer", "standard", 0.0
        )
        for n in range(3)
    ]
    for episode in episodes:
        programme.refer_to_track(episode)
    assert [e.admitted_day for e in episodes] == [0.0, 0.0, None]
    assert (track.census, track.wait_list) == (2, [episodes[2]])
    assert programme.rows["programme"][0].admissions == 2
    assert programme._wait_change["programme"][0] == 1  # only the one who waits joined the list
    first_out = min(enrolment.ends_at for enrolment in programme.enrolments)
    clinic.env.run(until=first_out + 1e-9)  # the first discharge
    assert episodes[2].admitted_day == first_out
    assert sum(e.ended_day == first_out for e in episodes[:2]) == 1
    assert (track.census, track.wait_list) == (2, [])


def test_the_preferred_track_is_the_one_with_the_largest_share_of_free_seats() -> None:
    """``Programme.preferred`` (written out, its candidates found once per preference) picks as
    ``max(wanted, key=(free seats / seats, name))`` over the tracks running the preferred shift (all of
    them if none does), for random censuses and wait lists, ties included."""
    config = tiny_config(tracks__evening__enabled=True)
    programme = Programme(clinic_of(config))
    tracks = list(programme.tracks.values())
    assert len(tracks) >= 2
    rng = np.random.default_rng(8)
    chosen: set[str] = set()
    for _ in range(300):
        for track in tracks:
            track.census = int(rng.integers(0, track.seats + 1))
            track.wait_list = [None] * int(rng.integers(0, 4))  # type: ignore[list-item]  # only counted
        for preference in ("either", "day", "evening", "weekend"):
            wanted = [t for t in tracks if preference in ("either", t.spec.shift)] or tracks
            expected = max(wanted, key=lambda t: (t.free_seats() / max(t.seats, 1), t.name))
            assert programme.preferred(preference) is expected
            chosen.add(expected.name)
    assert len(chosen) == len(tracks)  # every track was the answer at some point
