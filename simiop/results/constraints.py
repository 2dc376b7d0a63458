"""The binding constraint, named: what limits the clinic, in plain words, from the KPI means.

A what-if whose result surprises (twice the referrals, hardly more people
served) explains itself only if the results say which resource ran out.
Each check below compares one KPI (or a ratio of KPIs) of summary.csv with a
named threshold and, when it is reached, says what ran out and what it cost
(a track's cancelled groups are set against its scheduled ones when the
caller has them from daily.csv: simiop/report/limits.py).
Nothing here reads the config: tracks and roles are the ones the KPI names
carry (``occupancy_<track>``, ``staff_utilisation_<role>``), so a report of a
folder from another machine says the same as the run that wrote it.

Findings that turn people away (intake, the wait list, full tracks) come
first, since they explain the number served; then those that thin the care of
the people admitted (cancelled groups, missed care, staff time). Within each
group, the finding furthest over its threshold (value / threshold) comes
first. At most ``MAX_FINDINGS`` are said; none when nothing reached its
threshold.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

from simiop.results.labels import INTAKE_BOOKED_AHEAD

if TYPE_CHECKING:
    from simiop.results.stats import Summary

ConstraintKind = Literal["intake", "wait_list", "track_full", "cancellations", "missed_care", "staff_time"]
"""What ran out."""

FLOW_KINDS: Final[tuple[ConstraintKind, ...]] = ("intake", "wait_list", "track_full")
"""Constraints that turn referrals away: ranked before those that thin the care of people admitted."""

INTAKE_GAVE_UP_SHARE: Final = 0.05
"""Share of referrals that gave up waiting for an intake assessment at which intake is named as a limit.
ASSUMPTION: one referral in twenty lost before anyone assessed them is more than patience alone explains
when slots are free (the baseline, with intake slots to spare, loses about 0.5%)."""

WAIT_LIST_LOSS_SHARE: Final = 0.10
"""Share of referrals accepted for the programme who left its wait list (or left because the track was full)
before a seat came free, at which the seats are named as a limit. ASSUMPTION: one accepted patient in ten
lost to waiting is a loss a programme would act on."""

OCCUPANCY_FULL: Final = 0.85
"""Mean occupancy (census / seats) at which a track is named as full. A rolling-admission programme whose
mean occupancy is 85% or more spends many days at capacity with a queue, as hospital beds do above 85%
(Bagust, Place and Posnett, BMJ 1999;319:155-158); the mean counts the ramp-up from an empty opening."""

CANCELLED_SHARE: Final = 0.05
"""Share of a track's scheduled group-days cancelled for one reason at which that reason is named (of every
track's when daily.csv was not kept). ASSUMPTION: one group-day in twenty lost to one cause is more than a
covered rota's occasional absence (the baseline's evening track, with no cover, loses about 7.5%, its day
track under 1%)."""

MISSED_PER_ADMISSION: Final = 2.0
"""Attempts of one kind of care session that could not be placed, per admission, at which that care is
named. A missed session stays due and is tried again on the next attended day, so this counts attempts,
and a lightly loaded baseline clinic already misses 1-1.6 per admission of a kind (a session due on a
full day). ASSUMPTION: two or more per admission means patients routinely go without it for days."""

UTILISATION_FULL: Final = 0.90
"""Staff utilisation (direct hours / direct-care hours of the paid time) at which a role is named as short
of time. ASSUMPTION: above 90% of the direct-care budget there is no slack for a late or extra session."""

INTAKE_BOOKED_AHEAD_DAYS: Final = 7.0
"""Mean days from a referral's first intake booking to its assessment slot (KPI
``intake_days_booked_ahead_mean``) at which intake is named as a limit even when few give up. A week ahead
is where most of the show-rate loss of waiting has happened: 72% of referrals offered an appointment the
next day came, 41% at 3 days and 38% at 7 (Festinger et al., Addictive Behaviors 2002;27:131-137, the
baseline's ``intake.show_rate_by_days_waited``). The baseline, with slots to spare, books about 2 days
ahead (its 1-day lead time and the next slot's day); with every referral rate doubled, 4-5 days."""

MAX_FINDINGS: Final = 4
"""Sentences said at most: the report and the run's summary name the few limits that matter."""

NOTHING_BINDS: Final = "No constraint reached its threshold (see docs/outputs.md, 'What limits the clinic')."
"""What is said when no finding reached its threshold."""

_CARE_KINDS: Final = {
    "individual": ("individual therapy sessions", "therapist"),
    "family": ("family sessions", "clinician"),
    "prescriber_initial": ("prescriber initial visits", "prescriber"),
    "prescriber_follow_up": ("prescriber follow-up visits", "prescriber"),
}
"""Care kinds of the ``care_missed_<kind>_<reason>`` KPIs, as people say them, and who gives them."""

_MISSED_REASONS: Final = {
    "no_staff_on_shift": "no {who} works the patient's shift",
    "staff_absent": "the {who} was absent",
    "no_staff_time": "no {who} had direct-care time left",
    "no_slot": "the {who} and the patient had no common free time",
}
"""Why care was missed (simiop.results.session_kpis.MISSED_REASONS), as people say it."""

_CANCELLED_REASONS: Final = {
    "no_facilitator": "for want of a facilitator",
    "no_room": "for want of a room",
}
"""Why a group was cancelled for want of a resource (simiop.results.session_kpis.CANCELLED_REASONS);
too_few is left out: too few patients is a shortage of demand, not a limit on the clinic."""


@dataclass(frozen=True)
class Finding:
    """One constraint that reached its threshold: what, where, how far, and the sentence that says it."""

    kind: ConstraintKind
    subject: str
    """The track, role, care kind or cancellation reason it concerns ('' for intake and the wait list)."""
    value: float
    threshold: float
    sentence: str

    @property
    def severity(self) -> float:
        """How far over its threshold (value / threshold): the ranking within a group."""
        return self.value / self.threshold


def _get(means: Mapping[str, float], kpi: str) -> float:
    value = means.get(kpi, math.nan)
    return value if math.isfinite(value) else 0.0


def _share(part: float, whole: float) -> float:
    return part / whole if whole > 0 else 0.0


def _intake(means: Mapping[str, float]) -> list[Finding]:
    """Named when the share who gave up before assessment, or the days the book is full ahead, reaches its
    threshold; the sentence says both (how far ahead the slots are booked is why people give up)."""
    gave_up, referrals = _get(means, "end_state_gave_up_before_intake"), _get(means, "referrals")
    share = _share(gave_up, referrals)
    ahead = _get(means, INTAKE_BOOKED_AHEAD)
    over = max(share / INTAKE_GAVE_UP_SHARE, ahead / INTAKE_BOOKED_AHEAD_DAYS)
    if over < 1.0:
        return []
    by_share = share / INTAKE_GAVE_UP_SHARE >= ahead / INTAKE_BOOKED_AHEAD_DAYS
    booked = (
        f"Intake slots are booked {ahead:.1f} days ahead on average (from booking to the assessment)"
        if INTAKE_BOOKED_AHEAD in means and math.isfinite(means[INTAKE_BOOKED_AHEAD])
        else "Intake is a limit"
    )
    wait = _get(means, "wait_referral_to_assessment_days_p90")
    return [
        Finding(
            "intake",
            "",
            share if by_share else ahead,
            INTAKE_GAVE_UP_SHARE if by_share else INTAKE_BOOKED_AHEAD_DAYS,
            f"{booked}: {gave_up:,.0f} referrals ({share:.0%}) gave up before assessment, "
            f"and one in ten of those assessed waited {wait:.0f} days or more.",
        )
    ]


def _wait_list(means: Mapping[str, float]) -> list[Finding]:
    left = _get(means, "end_state_left_wait_list") + _get(means, "end_state_left_track_full")
    accepted = left + _get(means, "admissions") + _get(means, "end_state_censored_on_wait_list")
    share = _share(left, accepted)
    if share < WAIT_LIST_LOSS_SHARE:
        return []
    return [
        Finding(
            "wait_list",
            "",
            share,
            WAIT_LIST_LOSS_SHARE,
            # accepted at intake, by a warm hand-off or straight from the referral (direct_admission)
            f"The programme is short of seats: {left:,.0f} people accepted for the programme ({share:.0%}) "
            "left before a seat came free.",
        )
    ]


def _tracks(means: Mapping[str, float]) -> list[Finding]:
    found = []
    for kpi in means:
        if not kpi.startswith("occupancy_"):
            continue
        track = kpi.removeprefix("occupancy_")
        occupancy = _get(means, kpi)
        if occupancy >= OCCUPANCY_FULL:
            waiting = _get(means, f"wait_list_mean_{track}")
            found.append(
                Finding(
                    "track_full",
                    track,
                    occupancy,
                    OCCUPANCY_FULL,
                    f"The {track} track is full: {occupancy:.0%} of its seats are taken on an average day, "
                    f"with {waiting:,.0f} people on its wait list.",
                )
            )
    return found


def _cancellations(
    means: Mapping[str, float], scheduled_by_track: Mapping[str, float] | None
) -> list[Finding]:
    """Per track when its scheduled group-days are known (daily.csv), else over all tracks."""
    found = []
    for reason, why in _CANCELLED_REASONS.items():
        prefix = f"group_days_cancelled_{reason}_"
        by_track = {kpi.removeprefix(prefix): _get(means, kpi) for kpi in means if kpi.startswith(prefix)}
        if scheduled_by_track is not None:
            for track, cancelled in by_track.items():
                scheduled = scheduled_by_track.get(track, 0.0)
                share = _share(cancelled, scheduled)
                if share >= CANCELLED_SHARE:
                    found.append(
                        Finding(
                            "cancellations",
                            f"{reason}_{track}",
                            share,
                            CANCELLED_SHARE,
                            f"{share:.1%} of the {track} track's group-days ({cancelled:,.0f} of "
                            f"{scheduled:,.0f}) were cancelled {why}.",
                        )
                    )
            continue
        scheduled, cancelled = (
            _get(means, "group_days_scheduled"),
            _get(means, f"group_days_cancelled_{reason}"),
        )
        share = _share(cancelled, scheduled)
        if share < CANCELLED_SHARE:
            continue
        worst = max(by_track, key=lambda track: by_track[track], default="")
        where = f", {by_track[worst]:,.0f} of them in the {worst} track" if len(by_track) > 1 else ""
        found.append(
            Finding(
                "cancellations",
                reason,
                share,
                CANCELLED_SHARE,
                f"{share:.1%} of group-days ({cancelled:,.0f} of {scheduled:,.0f}) were cancelled "
                f"{why}{where}.",
            )
        )
    return found


def _missed_care(means: Mapping[str, float]) -> list[Finding]:
    admissions = _get(means, "admissions")
    found = []
    for kind, (care, who) in _CARE_KINDS.items():
        by_reason = {reason: _get(means, f"care_missed_{kind}_{reason}") for reason in _MISSED_REASONS}
        missed = sum(by_reason.values())
        rate = _share(missed, admissions)
        if not any(f"care_missed_{kind}_{reason}" in means for reason in _MISSED_REASONS):
            continue
        if rate < MISSED_PER_ADMISSION:
            continue
        reason = max(by_reason, key=lambda name: by_reason[name])
        found.append(
            Finding(
                "missed_care",
                kind,
                rate,
                MISSED_PER_ADMISSION,
                f"{care.capitalize()} could not be placed {missed:,.0f} times ({rate:.1f} per admission), "
                f"most often because {_MISSED_REASONS[reason].format(who=who)} ({by_reason[reason]:,.0f}).",
            )
        )
    return found


def _staff_time(means: Mapping[str, float]) -> list[Finding]:
    found = []
    for kpi in means:
        if not kpi.startswith("staff_utilisation_") or kpi.startswith("staff_utilisation_shift_"):
            continue
        role = kpi.removeprefix("staff_utilisation_")
        used = _get(means, kpi)
        if used >= UTILISATION_FULL:
            found.append(
                Finding(
                    "staff_time",
                    role,
                    used,
                    UTILISATION_FULL,
                    f"Staff time is short: the {role.replace('_', ' ')} role uses {used:.0%} of its "
                    "direct-care hours.",
                )
            )
    return found


def binding_constraints(
    means: Mapping[str, float],
    limit: int = MAX_FINDINGS,
    scheduled_by_track: Mapping[str, float] | None = None,
) -> list[Finding]:
    """The constraints that reached their thresholds, ranked (see the module docstring), at most ``limit``.

    ``means``: KPI name -> mean across replications (summary.csv); a KPI
    missing or not a number counts as 0, so a folder from an older simiop
    names fewer constraints, never a wrong one. ``scheduled_by_track``: each
    track's mean scheduled group-days (from daily.csv, which summary.csv does
    not split by track), so a track's cancellations are a share of its own
    groups; without it they are a share of every track's.
    """
    found = [
        *_intake(means),
        *_wait_list(means),
        *_tracks(means),
        *_cancellations(means, scheduled_by_track),
        *_missed_care(means),
        *_staff_time(means),
    ]
    return sorted(found, key=lambda f: (f.kind not in FLOW_KINDS, -f.severity))[:limit]


def constraint_sentences(findings: list[Finding]) -> list[str]:
    """The findings' sentences, or the one sentence saying nothing binds."""
    return [finding.sentence for finding in findings] or [NOTHING_BINDS]


def scenario_limits(
    summary: Mapping[tuple[str, str], Summary],
    scenario: str,
    scheduled_by_track: Mapping[str, float] | None = None,
) -> list[str]:
    """The sentences for one scenario of summary.csv ((scenario, kpi) -> summary), as the report and
    ``simiop run`` say them (simiop/report/limits.py adds the scheduled group-days of daily.csv)."""
    means = {kpi: found.mean for (name, kpi), found in summary.items() if name == scenario}
    return constraint_sentences(binding_constraints(means, scheduled_by_track=scheduled_by_track))
