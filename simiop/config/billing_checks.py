"""Whether each payer's rules can be met by the tracks a config schedules.

A payer's weekly plan-of-care hours (Medicare: 9 h/week) are a need the
physician certifies for the patient, met by the hours the programme
*schedules*; a track whose schedule cannot provide them cannot serve that
payer's patients as an IOP, though each attended day still bills. A per-day
minimum of services or hours that a track's day can never reach means the
payer never pays for that track. Settings that contradict what a payer is
(one that can never yield a dollar, a day that qualifies with no service, a
"service" far shorter than a billable group unit) are named too. None stops a
run: the config runs as written, and ``SimiopConfig.warnings()`` names the
payer and the track.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from simiop.config.staffing import Finding

if TYPE_CHECKING:
    from simiop.config.model import SimiopConfig

SLACK = 1e-9

BILLABLE_GROUP_MINUTES = 45.0
"""A billable group psychotherapy unit is about 45-50 minutes (HCPCS G0410 long descriptor: "group
psychotherapy ... in a partial hospitalization setting, approximately 45 to 50 minutes"; PHP/IOP groups
bill with it). The model counts every group session as one service whatever its length, so a shorter
session would bill as a full service: validate names it instead of refusing, as a payer may count
differently."""


def scheduled_weekly_hours(hours_per_day: float, weekdays: int) -> float:
    """A track's scheduled programme hours in a full week (hours/week): what a plan of care is met by."""
    return hours_per_day * weekdays


def billing_warnings(config: SimiopConfig) -> Iterator[Finding]:
    """(path, what, value, what to do) for every payer rule an enabled track can never meet."""
    services = config.services
    for payer_name, payer in config.money.payers.items():
        path = f"money.payers.{payer_name}"
        if payer.collection_rate < 1 and payer.coinsurance == 0 and payer.deductible_usd_per_year == 0:
            yield (
                f"{path}.collection_rate",
                "collection_rate applies to the patient's share only, and this payer leaves the patient "
                "nothing to pay, so it has no effect",
                f"{payer.collection_rate:g} with coinsurance 0 and no deductible",
                "set coinsurance (self-pay: 1) or remove collection_rate",
            )
        if payer.coinsurance >= 1 and payer.collection_rate == 0:
            yield (
                f"{path}.collection_rate",
                f"the patient owes every charge (coinsurance 1) and the clinic collects none of it, so "
                f"{payer_name} can never pay anything",
                f"{payer.collection_rate:g} with coinsurance {payer.coinsurance:g}",
                "set a collection_rate above 0, or a coinsurance below 1",
            )
        if payer.min_services_per_day == 0 and payer.min_hours_per_day == 0:
            yield (
                f"{path}.min_services_per_day",
                "with no minimum of services or hours, every attended day qualifies for the per diem, "
                "even one whose group was cancelled and that furnished no service",
                f"{payer.min_services_per_day} with min_hours_per_day {payer.min_hours_per_day:g}",
                "require at least 1 service, or a min_hours_per_day above 0",
            )
        counted = set(payer.counted)
        extra_services = int(services.individual_therapy is not None and "individual_therapy" in counted)
        extra_services += int(services.family is not None and "family" in counted)
        extra_services += int(services.prescriber is not None and "prescriber" in counted)
        for track_name, track in config.tracks.items():
            if not track.enabled:
                continue
            weekly = payer.weekly_requirement
            scheduled = scheduled_weekly_hours(track.hours_per_day, len(track.weekdays))
            if weekly.kind in ("plan_of_care", "claim_edit") and scheduled < weekly.hours - SLACK:
                yield (
                    f"{path}.weekly_requirement.hours",
                    f"track {track_name} schedules fewer programme hours a week than {payer_name} "
                    f"requires ({weekly.kind})",
                    f"{track.hours_per_day:g} h x {len(track.weekdays)} days = {scheduled:g} h < "
                    f"{weekly.hours:g} h",
                    "schedule more days or hours, or do not admit these patients to this track",
                )
            if track.hours_per_day < payer.min_hours_per_day - SLACK:
                yield (
                    f"{path}.min_hours_per_day",
                    f"track {track_name}'s programme day is shorter than {payer_name}'s minimum, "
                    "so its days bill only with extra sessions",
                    f"{track.hours_per_day:g} h < {payer.min_hours_per_day:g} h",
                    "lengthen the programme day or check the payer's rule",
                )
            if track.group_sessions_per_day + extra_services < payer.min_services_per_day:
                yield (
                    f"{path}.min_services_per_day",
                    f"track {track_name}'s day can never furnish the services {payer_name} requires, "
                    "so it never bills",
                    f"{track.group_sessions_per_day} groups + {extra_services} other counted sessions "
                    f"< {payer.min_services_per_day}",
                    "schedule more group sessions or check the payer's rule",
                )
            if payer.min_services_per_day > 0 and track.session_minutes < BILLABLE_GROUP_MINUTES - SLACK:
                yield (
                    f"tracks.{track_name}.session_minutes",
                    f"each group session counts as one service for {payer_name}, but a billable group "
                    "psychotherapy unit is about 45-50 minutes (HCPCS G0410), so these days bill as if "
                    "full services were furnished",
                    f"{track.session_minutes:g} min < {BILLABLE_GROUP_MINUTES:g} min",
                    f"sessions of at least {BILLABLE_GROUP_MINUTES:g} min, or check the payer's rule",
                )
