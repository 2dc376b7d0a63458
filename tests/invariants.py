"""Invariants every run must keep, whatever the config: used by the model tests and hypothesis."""

from __future__ import annotations

import itertools
import math
from collections import defaultdict

from simiop.billing import totals
from simiop.config.base import hours_of
from simiop.config.clock import weekly_direct_limit_hours
from simiop.config.model import SimiopConfig
from simiop.model.calendar import ClinicCalendar
from simiop.model.records import (
    ADMITTED_ENDINGS,
    CENSORED,
    DISCHARGES,
    DROPOUT,
    END_STATES,
    IN_PROGRAMME,
    NO_START,
    Episode,
    Records,
)
from tests.billed import billed_records
from tests.conftest import accrued_years

EPS = 1e-9


def check_invariants(config: SimiopConfig, records: Records) -> None:
    calendar = ClinicCalendar.for_config(config)
    horizon = config.simulation.horizon_days
    # A run covers whole days, and the config says how many.
    assert horizon == int(horizon) == calendar.days == records.horizon_days

    # Conservation: every referral ends in exactly one known state; censored ones have not ended.
    for e in records.episodes:
        assert e.end_state in END_STATES, e
        if e.end_state in CENSORED:
            assert e.ended_day is None, e
        else:
            assert e.ended_day is not None, e
            assert e.ended_day < horizon, e  # an event at the horizon falls after it
        times = [
            t
            for t in (e.referred_day, e.assessed_day, e.wait_list_day, e.admitted_day, e.ended_day)
            if t is not None
        ]
        assert times == sorted(times), e
        assert 0.0 <= e.referred_day < horizon
    assert [e.episode_id for e in records.episodes] == list(range(len(records.episodes)))

    check_stay_limits(config, records.episodes)
    # A no-start was admitted and attended no day (so nothing billed); a dropout attended at least one:
    # leaving before the first attended day is a no-start, whatever ended the stay (issue 19).
    for e in records.episodes:
        if e.end_state == NO_START:
            assert e.admitted_day is not None, e
            assert e.programme_days_attended == 0, e
        if e.end_state == DROPOUT:
            assert e.programme_days_attended > 0, e

    # Nobody in two places at once: a person's episodes do not overlap.
    by_patient = defaultdict(list)
    for e in records.episodes:
        by_patient[e.patient_id].append(e)
    for episodes in by_patient.values():
        episodes.sort(key=lambda x: x.referred_day)
        for earlier, later in itertools.pairwise(episodes):
            assert earlier.ended_day is not None
            assert earlier.ended_day <= later.referred_day + EPS

    # Intake happens only in slots on open days.
    slot_times = {(s.weekday, hours_of(s.start_time)) for s in config.intake.schedule}
    for e in records.episodes:
        if e.assessed_day is not None:
            day = int(e.assessed_day)
            assert not calendar.is_holiday(day)
            hour = round((e.assessed_day - day) * 24.0, 6)
            assert (calendar.weekday_of(day), hour) in {(w, round(h, 6)) for w, h in slot_times}

    # Admissions only on admission days, at the track's start; discharges at the start or end of a programme day.
    for e in records.episodes:
        if e.admitted_day is None:
            continue
        track = config.tracks[e.track or ""]
        if track.admission.policy == "continuous":  # the textbook queue: any instant
            continue
        day = int(e.admitted_day)
        allowed = track.admission.cohort_weekdays if track.admission.policy == "cohort" else track.weekdays
        assert calendar.weekday_of(day) in (allowed or ()), e
        assert not calendar.is_holiday(day)
        assert math.isclose((e.admitted_day - day) * 24.0, hours_of(track.start_time), abs_tol=1e-6)
        if e.ended_day is not None:
            # The programme day it ended on: a track ending at 24:00 ends at the next day's 0.0.
            start = hours_of(track.start_time)
            end_days = [
                d
                for d in (int(e.ended_day), int(e.ended_day) - 1)
                if any(
                    math.isclose((e.ended_day - d) * 24.0, h, abs_tol=1e-6)
                    for h in (start, start + track.hours_per_day)
                )
            ]
            assert end_days, e
            assert calendar.weekday_of(end_days[0]) in track.weekdays
            assert not calendar.is_holiday(end_days[0])

    # Capacity: census within seats, groups within max, group accounting adds up, nothing on closed days.
    for row in records.track_days:
        track = config.tracks[row.track]
        assert 0 <= row.census <= track.seats
        assert row.wait_list >= 0
        assert row.largest_group <= track.group_size.max
        assert row.groups_run <= track.groups
        assert row.groups_scheduled == (
            row.groups_run
            + row.groups_merged
            + row.cancelled_too_few
            + row.cancelled_no_facilitator
            + row.cancelled_no_room
        ), row
        assert (
            row.group_attendances <= row.groups_run * track.group_sessions_per_day * track.group_size.max
        ), row
        open_day = calendar.weekday_of(row.day) in track.weekdays and not calendar.is_holiday(row.day)
        if not open_day:
            assert row.groups_scheduled == row.attended == row.absent == 0, row
            assert row.admissions == 0 or track.admission.policy == "continuous", row

    # One daily row per day and enabled track, one staff row per day and role: the same whole days.
    enabled = sorted(name for name, track in config.tracks.items() if track.enabled)
    assert sorted((row.day, row.track) for row in records.track_days) == [
        (day, name) for day in range(calendar.days) for name in enabled
    ]
    assert sorted((row.day, row.role) for row in records.staff_days) == [
        (day, role) for day in range(calendar.days) for role in sorted(config.staff.roles)
    ]

    # Every daily row reconciles: census(day before) + admissions - discharges = census, whatever the
    # track's hours; and the rows agree with the episodes on admissions, discharges and the final census.
    for name in enabled:
        rows = sorted((row for row in records.track_days if row.track == name), key=lambda row: row.day)
        census = 0
        for row in rows:
            assert census + row.admissions - row.discharges == row.census, (census, row)
            census = row.census
        mine = [e for e in records.episodes if e.track == name]
        assert sum(row.admissions for row in rows) == sum(e.admitted_day is not None for e in mine)
        # The daily discharges count every stay that ended: discharges and no-starts.
        assert sum(row.discharges for row in rows) == sum(e.end_state in ADMITTED_ENDINGS for e in mine)
        assert census == sum(e.end_state == IN_PROGRAMME for e in mine)

    # Staff cost and fixed cost cover the same whole days, from the warm-up on.
    warmup = config.simulation.warmup_days
    billed = billed_records(config, records)
    billing = totals(config, billed.run, warmup)
    counted = [day for day in range(calendar.days) if day >= warmup]
    assert math.isclose(
        billing.fixed_cost_usd,
        config.money.fixed_costs_usd_per_year
        * accrued_years(config, range(math.ceil(warmup), calendar.days)),
        rel_tol=1e-12,
        abs_tol=1e-9,
    )
    assert {row.day for row in records.staff_days if row.day >= warmup} == set(
        counted
    ) or not config.staff.roles

    # Billing (issue 16): a day is billed exactly when no reason refuses it; charges split into the payer's
    # and the patient's parts; cash never exceeds charges nor arrives before the service; a plan-of-care
    # week never refuses a day, and no prescriber visit billed as a professional fee counts as a service.
    payer_of = {e.episode_id: e.payer for e in records.episodes}
    for day_row in billed.patient_days:
        payer = config.money.payers[payer_of[day_row.episode_id]]
        charges = day_row.per_diem_usd + day_row.professional_usd
        assert day_row.billable == (day_row.reason == ""), day_row
        assert day_row.billable == (day_row.per_diem_usd > 0) or payer.per_diem_usd == 0, day_row
        assert math.isclose(day_row.payer_paid_usd + day_row.patient_share_usd, charges, abs_tol=1e-6), (
            day_row
        )
        assert -EPS <= day_row.revenue_usd <= charges + EPS, day_row
        assert day_row.paid_day >= day_row.day, day_row
        assert day_row.reason != "claim_edit_week" or payer.weekly_requirement.kind == "claim_edit", day_row
        assert day_row.groups <= day_row.services_counted <= day_row.services, day_row
        if payer.professional_fees is not None:  # a professional visit never raises the per-diem count
            listed = payer.counted
            assert day_row.services_counted == (
                day_row.groups
                + int(day_row.individual_hours > 0 and "individual_therapy" in listed)
                + int(day_row.family_hours > 0 and "family" in listed)
            ), day_row
    assert billing.billable_days + sum(billing.unbilled_days_by_reason.values()) == billing.attended_days
    assert math.isclose(
        billing.cash_collected_usd + billing.unpaid_at_horizon_usd,
        billing.revenue_usd
        + sum(r.revenue_usd for r in billed.patient_days if r.day < warmup <= r.paid_day < horizon),
        rel_tol=1e-9,
        abs_tol=1e-6,
    )

    # The daily table and the episodes count the same group attendances.
    assert sum(row.group_attendances for row in records.track_days) == sum(
        e.group_sessions_attended for e in records.episodes
    )

    # A day is held once ended and attended once started: one more attended than held only for a stay
    # cut short during its last day, by a continuous stay's planned end or by the horizon at a 24:00 end.
    for e in records.episodes:
        if e.programme_days_attended > e.programme_days:
            assert e.programme_days_attended == e.programme_days + 1, e
            track = config.tracks[e.track or ""]
            if e.ended_day is None:
                assert math.isclose(hours_of(track.start_time) + track.hours_per_day, 24.0), e
            else:
                hour = (e.ended_day - math.floor(e.ended_day)) * 24.0
                start = hours_of(track.start_time)
                assert track.admission.policy == "continuous", e
                assert not any(
                    math.isclose(hour, h, abs_tol=1e-6) for h in (start, start + track.hours_per_day)
                ), e

    # No therapist over caseload cap, with same-instant events in the model's order.
    check_caseloads(config, records.episodes)

    # Staff hours (intake included) never exceed the direct-care budgets of the people employed, and
    # of the role's cover pool, in any calendar week.
    hours: dict[tuple[str, int], float] = defaultdict(float)
    capacity: dict[tuple[str, int], float] = defaultdict(float)
    for staff_row in records.staff_days:
        week = calendar.week_of(staff_row.day)
        hours[(staff_row.role, week)] += staff_row.hours
    for role, spec in config.staff.roles.items():
        people = spec.count + sum(h.count for h in spec.hires)
        people += spec.cover.people_per_day if spec.cover is not None else 0
        for (r, week), used in hours.items():
            if r == role:
                capacity[(role, week)] = people * weekly_direct_limit_hours(spec)
                assert used <= capacity[(role, week)] + 1e-6, (role, week, used)


def check_stay_limits(config: SimiopConfig, episodes: list[Episode]) -> None:
    """No stay runs past length_of_stay.max_stay_days; only the listed payers' patients are recertified."""
    stay = config.length_of_stay
    for e in episodes:
        if stay.max_stay_days is not None and e.end_state in DISCHARGES and e.programme_days > 1:
            assert e.admitted_day is not None
            assert e.ended_day is not None
            # It ends on a programme day that starts before admission day + the limit (or on its first
            # day): a discharge at a day's start, or at its end (which may be at or past midnight).
            assert e.track is not None
            length = config.tracks[e.track].hours_per_day / 24.0
            started = e.ended_day if e.ended_day == e.admitted_day else e.ended_day - length
            assert math.floor(started + EPS) < math.floor(e.admitted_day) + stay.max_stay_days, e
        if e.max_stay_discharge:
            assert stay.max_stay_days is not None, e
            assert e.end_state == stay.at_max_stay, e
        recertification = stay.recertification
        if recertification is None:
            assert (e.recertifications, e.recertification_stopped) == (0, False), e
        else:
            if recertification.payers is not None and e.payer not in recertification.payers:
                assert (e.recertifications, e.recertification_stopped) == (0, False), e
            if e.recertification_stopped:
                assert e.recertifications >= 1, e
                assert e.end_state == recertification.on_stop, e


def check_caseloads(config: SimiopConfig, episodes: list[Episode]) -> None:
    """No therapist ever holds more patients than the role's caseload cap.

    The episodes give each enrolment's admission and discharge instants, not
    the order of the events at one instant, so each instant is checked as a
    whole against the orders the model allows (programme.py). The admission
    rounds due at an instant run first (urgent), with only the places free
    before it; then the discharges, joins and give-ups, in an order the
    episodes do not tell. A discharge at a programme day's start (a hazard)
    calls no round until the next admission day; any other discharge (at a
    day's end, or a continuous stay's planned end) calls, at once, a round on
    every track its role runs whose admission day starts then, and that round
    fills the places of every therapist of the role freed so far. A
    continuous track admits at once, at a join or at any discharge. So a
    round's admissions at an instant fit in the places free before it unless
    some discharge of the role at that instant is not at a day's start; and
    whatever the order, the load after the instant is within the cap. When
    these hold, some order the model allows keeps every load within the cap,
    so they are as strict as the episodes allow: a run the model could
    produce passes; a therapist over the cap after any instant fails, as does
    a round that filled more places than were free before it with no
    discharge at that instant to call it.
    """
    role_of = {name: track.facilitator_role for name, track in config.tracks.items()}
    calls_a_round: set[tuple[str, float]] = set()
    for e in episodes:
        if e.ended_day is not None and e.therapist is not None:
            start = config.tracks[e.track or ""].start_time
            day = math.floor(e.ended_day)
            if not math.isclose((e.ended_day - day) * 24.0, hours_of(start), abs_tol=1e-6):
                calls_a_round.add((role_of[e.track or ""], e.ended_day))
    by_therapist: dict[str, list[Episode]] = defaultdict(list)
    for e in episodes:
        if e.therapist is not None:
            by_therapist[e.therapist].append(e)
    for therapist, mine in by_therapist.items():
        role = therapist.rsplit("_", 1)[0]
        cap = config.staff.roles[role].caseload_cap
        # Per instant: admissions by a round, admissions by a continuous track, discharges.
        instants: dict[float, list[int]] = defaultdict(lambda: [0, 0, 0])
        for e in mine:
            assert e.admitted_day is not None, e
            continuous = config.tracks[e.track or ""].admission.policy == "continuous"
            instants[e.admitted_day][1 if continuous else 0] += 1
            if e.ended_day is not None:
                instants[e.ended_day][2] += 1
        load = 0
        for time in sorted(instants):
            by_round, by_continuous, discharged = instants[time]
            if cap is not None and (role, time) not in calls_a_round:
                assert load + by_round <= cap, (therapist, time, "a round took a place freed after it")
            load += by_round + by_continuous - discharged
            assert load >= 0, (therapist, time)
            assert cap is None or load <= cap, (therapist, time, load, cap)
