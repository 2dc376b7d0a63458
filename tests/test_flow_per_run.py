"""Work the flow does once per source, list or run instead of once per referral, round or row (issue 17):
each written-out way against the plain definition it replaces, on random inputs."""

from __future__ import annotations

from itertools import chain
from pathlib import Path

import numpy as np

from simiop.config import load_config
from simiop.config.model import READMISSION_SOURCE
from simiop.model.intake import IntakeBook, _slot_clock, outcomes_for
from simiop.model.programme import Programme, _admission_key, _drop
from simiop.model.records import Episode
from simiop.model.referrals import _cumulative, _mix, _pick, _picked_all
from tests.test_programme import _flow_run
from tests.tiny_world import clinic_of, roster_of, tiny_config

BASELINE = Path(__file__).parent.parent / "configs" / "baseline.yaml"


def test_a_sources_mixes_picked_at_once_are_each_referrals_pick() -> None:
    """``_picked_all`` (one numpy search a mix over ``_cumulative``'s running totals) names what ``_pick``
    (adding up per referral) picks, for draws on the running totals themselves, between them, zeros and
    totals short of 1 included."""
    mixes = [
        {"day": 0.25, "evening": 0.75},
        {"a": 0.5, "b": 0.3, "c": 0.2},
        {"a": 0.1, "never": 0.0, "b": 0.6, "c": 0.3},
        {"a": 0.2, "b": 0.2, "c": 0.2},  # totals short of 1: the last name takes the rest
        {f"n{k}": 0.1 for k in range(10)},  # running totals that round
    ]
    rng = np.random.default_rng(17)
    for shares in mixes:
        names, probabilities = _mix(shares)
        totals = _cumulative(probabilities)
        draws = np.concatenate([[0.0, 0.9999999], totals, np.nextafter(totals, 0.0), rng.random(400)])
        draws = draws[draws < 1.0]
        expected = [names[_pick(float(u), probabilities)] for u in draws.tolist()]
        assert _picked_all(draws, shares) == expected, shares
    assert _picked_all(rng.random(5), {"either": 1.0}) == ["either"] * 5
    assert _picked_all(np.empty(0), {"a": 0.5, "b": 0.5}) == []


def _episode(episode_id: int, kind: str, joined: float) -> Episode:
    return Episode(
        episode_id, episode_id, kind, kind, "day", "commercial", "standard", 0.0, wait_list_day=joined
    )


def test_a_step_down_first_wait_list_is_always_its_rounds_order() -> None:
    """Joined one by one (``_join``), some leaving (``_drop``), a ``step_down_first`` list is at every
    moment the joining order sorted as each round sorted it (step-downs first, then the time joined,
    then the id; ties in time included); a fifo list stays in joining order."""
    config = tiny_config(tracks__day__wait_list__discipline="step_down_first")
    programme = Programme(clinic_of(config))
    sorted_track, fifo_track = programme.tracks["day"], programme.tracks["evening"]
    assert not programme._fifo["day"]
    assert programme._fifo["evening"]
    rng = np.random.default_rng(5)
    joined: list[Episode] = []
    fifo: list[Episode] = []
    ids = rng.permutation(300).tolist()  # ids not in joining order
    for step, episode_id in enumerate(ids):
        kind = ["step_down", "step_up", "community"][int(rng.integers(3))]
        episode = _episode(episode_id, kind, float(rng.integers(0, 40)) / 4.0)  # many equal times
        programme._join(sorted_track, episode)
        programme._join(fifo_track, episode)
        joined.append(episode)
        fifo.append(episode)
        if step % 7 == 3:  # someone leaves (a give-up), not always the first
            leaving = joined[int(rng.integers(len(joined)))]
            assert _drop(sorted_track.wait_list, leaving)
            assert _drop(fifo_track.wait_list, leaving)
            joined.remove(leaving)
            fifo.remove(leaving)
        rounds_order = sorted(
            joined, key=lambda e: (e.source_kind != "step_down", e.wait_list_day or 0.0, e.episode_id)
        )
        assert sorted_track.wait_list == rounds_order
        assert [id(e) for e in fifo_track.wait_list] == [id(e) for e in fifo]
    assert _admission_key(_episode(3, "step_down", 0.0)) == (False, 0.0, 3)


def test_staff_rows_interleaved_by_slices_are_the_day_role_order() -> None:
    """``staff_days`` lays each role's days into (day, role) order by slice assignment: the columns are
    what zipping the roles' lists day by day gives, with random hours and caseloads booked."""
    config = tiny_config(**{"staff__roles__therapist__cover": {"people_per_day": 1, "hourly_cost_usd": 90.0}})
    roster = roster_of(config)
    rng = np.random.default_rng(3)
    roles = sorted(roster.by_role)
    assert len(roles) >= 3
    days = roster._days
    for activity in ("group", "individual", "prescriber", "family", "intake"):
        for role in roles:
            booked = roster.booked_hours()[activity][role]
            for day in rng.integers(0, days, 12).tolist():
                booked[day] += float(rng.random()) * 3.0
    for role in roles:
        for day in rng.integers(0, days, 9).tolist():
            roster._caseload_change[role][day] += int(rng.integers(-2, 3))
            roster._cover_hours[role][day] += 4.0
    roster.close_days()
    columns = roster.staff_days().columns()

    def zipped(per_role: dict[str, list[object]]) -> list[object]:
        return list(chain.from_iterable(zip(*(per_role[role][:days] for role in roles), strict=True)))

    assert columns["day"] == [day for day in range(days) for _ in roles]
    assert columns["role"] == roles * days
    assert columns["employed"] == zipped(roster._employed_count)  # type: ignore[arg-type]
    assert columns["employed_fte"] == zipped(roster._employed_fte)  # type: ignore[arg-type]
    assert columns["group_hours"] == zipped(roster.booked_hours()["group"])  # type: ignore[arg-type]
    assert columns["intake_hours"] == zipped(roster.booked_hours()["intake"])  # type: ignore[arg-type]
    assert columns["caseload"] == zipped(roster._caseload)  # type: ignore[arg-type]
    assert columns["cover_hours"] == zipped(roster._cover_hours)  # type: ignore[arg-type]
    assert any(columns["caseload"])
    assert any(columns["family_hours"])


def test_attendance_in_one_pass_keeps_weeks_groups_and_clock_order() -> None:
    """``_who_came``'s one pass over the days (the rows' counts with each day's Attendance) and
    ``finish``'s sort of tuples with no key: every track-day someone started once, in (day, track start)
    order, its calendar week, a list per group (three groups here, two on another track), absences."""
    config = load_config(BASELINE, ["simulation.horizon_days=120", "tracks.day.groups=3"])
    programme = _flow_run(config, seed=7)
    programme.finish()
    attendance = programme.attendance
    calendar = programme.clinic.calendar
    order = programme._order
    assert [(a.day, order[a.track.name]) for a in attendance] == sorted(
        {(a.day, order[a.track.name]) for a in attendance}
    )
    assert {len(a.came) for a in attendance} >= {3, 1}
    for a in attendance:
        assert a.week == calendar.week_of(a.day)
        assert len(a.scheduled) == len(a.came) == len(a.track.groups)
        assert all(type(flag) is bool for flag in a.scheduled)
        assert a.row.attended == sum(map(len, a.came))
        assert all(e.group == k for k, group in enumerate(a.came) for e in group)
    assert any(not all(a.scheduled) for a in attendance)  # a group with nobody that day
    assert sum(a.row.absent for a in attendance) > 0


def test_two_groups_written_out_pick_the_smallest_with_a_seat_as_the_rule_does() -> None:
    """``open_group``'s two-group way gives the general rule's answer (the first of the smallest
    groups, None when it is full) for every pair of sizes up to past the maximum."""
    track = Programme(clinic_of(tiny_config())).tracks["day"]
    assert len(track.groups) == 2
    largest = track._group_max
    for first in range(largest + 2):
        for second in range(largest + 2):
            track.groups = [[None] * first, [None] * second]  # type: ignore[list-item]
            sizes = [first, second]
            expected = sizes.index(min(sizes)) if min(sizes) < largest else None
            assert track.open_group() == expected, sizes


def test_intake_values_found_once_per_source_are_each_referrals() -> None:
    """``IntakeBook.for_referral`` is ``rules`` and the patience sampler each intake asked for, and
    ``thresholds`` the running totals each decision added up from ``outcomes_for``, whichever of the
    source's, the acuity's or the default outcomes apply (all three here)."""
    outcomes = {"admit": 0.4, "redirect_step_up": 0.1, "redirect_outpatient": 0.3, "decline": 0.2}
    config = load_config(BASELINE, ["simulation.horizon_days=60"])
    config = config.model_copy(
        update={
            "intake": config.intake.model_copy(
                update={"outcomes_by_acuity": {"high": config.intake.outcomes.model_copy(update=outcomes)}}
            )
        }
    )
    clinic = clinic_of(config)
    book = IntakeBook(clinic)
    seen = set()
    for source in [*config.referrals.sources, READMISSION_SOURCE]:
        rules, patience = book.for_referral(source)
        assert rules == book.rules(source)
        assert patience is clinic.sampler(rules.patience_days)
        assert book.for_referral(source)[1] is patience
        for acuity in config.referrals.acuity_classes:
            chosen = outcomes_for(clinic, _episode_of(source, acuity))
            admit = chosen.admit
            step_up = chosen.admit + chosen.redirect_step_up
            outpatient = chosen.admit + chosen.redirect_step_up + chosen.redirect_outpatient
            assert book.thresholds(source, acuity) == (admit, step_up, outpatient)
            seen.add(admit)
    assert len(seen) == 3  # by source, by acuity and the default all read


def _episode_of(source: str, acuity: str) -> Episode:
    return Episode(0, 1, source, source, "day", "commercial", acuity, 0.0)


def test_slot_times_laid_out_at_once_are_each_days_slots() -> None:
    """``_slot_clock`` gives, for random days and weekday slots (some weekdays with none, one with
    three), each day's ``day + part`` and start minutes in order, as the rota extended them day by day."""
    rng = np.random.default_rng(11)
    minutes = {0: [540.0, 600.0], 2: [480.0, 780.0, 1020.5], 3: [630.0], 6: [0.0]}
    parts = {weekday: [m / 1440.0 for m in starts] for weekday, starts in minutes.items()}
    for opening_weekday in range(7):
        days = sorted(set(rng.integers(0, 900, 300).tolist()))
        times, starts = _slot_clock(days, opening_weekday, parts, minutes)
        expected_times: list[float] = []
        expected_starts: list[float] = []
        for day in days:
            weekday = (opening_weekday + day) % 7
            expected_times.extend([day + part for part in parts.get(weekday, [])])
            expected_starts.extend(minutes.get(weekday, []))
        assert times == expected_times
        assert starts == expected_starts
        assert all(type(value) is float for value in times + starts)
    assert _slot_clock([], 3, parts, minutes) == ([], [])
