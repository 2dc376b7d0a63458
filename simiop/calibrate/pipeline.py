"""Calibrate: every fitter on one extract against a base config, and the fragment merged and validated."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simiop.calibrate.adjust import (
    absence_hazards,
    admitted_days_per_week,
    before_start,
    divide,
    expected_denials,
    mean_multiplier,
    net_dropout,
    split_no_starts,
)
from simiop.calibrate.attendance import fit_attendance
from simiop.calibrate.extract import (
    DISCHARGES,
    READMISSION_SOURCE,
    Episode,
    Extract,
    label_readmissions,
    shown,
)
from simiop.calibrate.fits import Candidate, Chosen, Estimate, PartFit
from simiop.calibrate.fragment import build_fragment, merge
from simiop.calibrate.intake import fit_intake
from simiop.calibrate.readmission import fit_readmission
from simiop.calibrate.referrals import SourceFit, fit_referrals
from simiop.calibrate.reviews import Reviews
from simiop.calibrate.show import ShowFit, fit_show
from simiop.calibrate.stay import PlanRules, StayFit, fit_stay
from simiop.config.base import WEEKDAYS
from simiop.config.care import ABSENCE_DROPOUT_OFF
from simiop.config.loader import read_config_data, validate_config
from simiop.config.model import SimiopConfig


class UnknownNamesError(Exception):
    """The extract names sources the base config does not have: one line each."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


@dataclass(frozen=True)
class Calibration:
    """Everything ``simiop calibrate`` writes."""

    parts: dict[str, PartFit]
    fragment: dict[str, Any]
    merged: Any
    config: SimiopConfig
    sources: list[SourceFit]
    stay: StayFit | None
    extract: Extract
    show: ShowFit | None = None
    """The show-rate fit's data and curves (for its figure); None without bookings or in a refit."""

    @property
    def candidates(self) -> list[Candidate]:
        return [c for part in self.parts.values() for c in part.candidates]

    @property
    def estimates(self) -> list[Estimate]:
        return [e for part in self.parts.values() for e in part.estimates]

    @property
    def notes(self) -> list[str]:
        return [note for part in self.parts.values() for note in part.notes]


def check_names(extract: Extract, base: SimiopConfig) -> None:
    """Every referral source, payer and track in the extract must be one of the base config's, and no
    referral may come before its opening date; UnknownNamesError otherwise (name_problems' lines).

    A source may also be 'readmission'. An unknown payer or track would be dropped silently from the
    adjustments that read them (authorization denials per payer, days a week per track).
    """
    lines = name_problems(extract.source, extract.episodes, base)
    if lines:
        raise UnknownNamesError(lines)


def name_problems(source: str, episodes: Sequence[Episode], base: SimiopConfig) -> list[str]:
    """check_names' lines for ``episodes`` of the extract ``source`` (read_extract takes it to list them
    with the cells' problems)."""
    columns = (
        ("referral_source", "source", set(base.referrals.sources) | {READMISSION_SOURCE}),
        ("payer", "payer", set(base.money.payers)),
        ("track", "track", set(base.tracks)),
    )
    patients = {episode.patient for episode in episodes}
    lines = []
    seen: set[tuple[str, str]] = set()
    for episode in episodes:
        for column, kind, known in columns:
            value = {"referral_source": episode.source, "payer": episode.payer, "track": episode.track}[
                column
            ]
            if value is None or value in known or (column, value) in seen:
                continue
            seen.add((column, value))
            lines.append(
                f"{source}: row {episode.row}, column {column}: {shown(value, patients)} is not a "
                f"{kind} of the base config (allowed: {', '.join(sorted(known))})"
            )
    opening = base.clinic.opening_date
    early = [episode for episode in episodes if episode.referred < opening]
    if early:
        more = f" and {len(early) - 1} more rows" if len(early) > 1 else ""
        lines.append(
            f"{source}: row {early[0].row}, column referral_date: '{early[0].referred}'{more} "
            f"(allowed: on or after the base config's clinic.opening_date {opening}, the day the programme "
            "in the extract opened: the ramp-up is fitted from it)"
        )
    return lines


def quiet_before_as_of(extract: Extract) -> str | None:
    """A note when no referral came in the days before the as-of date for longer than any gap between
    referrals of the extract, else None.

    Referral rates are fitted over opening to ``--as-of`` (the date the data were taken), so an as-of
    typed years too late (2040 for 2030) divides the referrals by years without any and the rates fall
    several-fold, without a word. No threshold is assumed: the extract's own longest gap is the yardstick.
    """
    days = sorted({episode.referred for episode in extract.episodes})
    longest = max(((later - earlier).days for earlier, later in itertools.pairwise(days)), default=0)
    quiet = (extract.as_of - days[-1]).days
    if quiet <= longest:
        return None
    return (
        f"referrals: none in the {quiet:,} days from the last one ({days[-1]}) to the as-of date "
        f"{extract.as_of}, longer than any gap between referrals in the extract (at most {longest} days): "
        "the rates are fitted as if the clinic had no referral in those days; check --as-of (the date the "
        "data were taken)"
    )


def calibrate(extract: Extract, base_path: Path, only: Chosen | None = None) -> Calibration:
    """Fit every part and merge the fragment onto the base config (ConfigError if the result is invalid).

    ``only``: fit only each part's model chosen by an earlier fit (simiop.calibrate.fits.Chosen; the
    bootstrap's refits), skipping the profile intervals."""
    base_data = read_config_data(base_path)
    base = validate_config(base_data, str(base_path))
    check_names(extract, base)
    extract, relabelled = label_readmissions(extract)
    opening: dt.date = base.clinic.opening_date
    sources = list(base.referrals.sources)
    referrals, source_fits = fit_referrals(extract, opening, sources, only)
    if relabelled:
        more = f" and {len(relabelled) - 1} more" if len(relabelled) > 1 else ""
        referrals.notes.append(
            f"referrals: {len(relabelled)} referrals of a patient after their discharge (row {relabelled[0]}"
            f"{more}) came with another source than 'readmission'; they are fitted as readmissions "
            "(discharge.<type>), not as their source's referrals"
        )
    if only is None and (quiet := quiet_before_as_of(extract)) is not None:
        referrals.notes.append(quiet)
    intake = fit_intake(extract, sources, list(base.intake.outcomes_by_source), only)
    stay, stay_fit = fit_stay(extract, only, plan_rules(base))
    attendance = fit_attendance(extract)
    readmission = fit_readmission(extract, only)
    _adjust(base, extract, stay, attendance, readmission)
    show, show_fit = fit_show(
        extract,
        [x for x, _ in base.intake.show_rate_by_days_waited.points],
        sources,
        [name for name, entry in base.intake.by_source.items() if entry.show_rate_by_days_waited is not None],
        only,
    )
    intake.fragment.update(show.fragment)  # bookings attached (simiop.calibrate.bookings): the show rates
    fragment = build_fragment(referrals, intake, stay, attendance, readmission)
    merged = merge(base_data, fragment)
    config = validate_config(merged, f"{base_path} + calibrated fragment")
    parts = {
        "referrals": referrals,
        "intake": intake,
        "length_of_stay": stay,
        "attendance": attendance,
        "discharge": readmission,
    }
    if show.candidates:
        parts["show_rate"] = show
    return Calibration(parts, fragment, merged, config, source_fits, stay_fit, extract, show_fit)


def plan_rules(base: SimiopConfig) -> PlanRules:
    """The base's programme days per track and its recertification, for the planned-stay fit."""
    gaps: dict[str, tuple[int, ...]] = {}
    for name, track in base.tracks.items():
        days = {WEEKDAYS.index(day) for day in track.weekdays}
        gaps[name] = tuple(
            next(step for step in range(1, 8) if (weekday + step) % 7 in days) for weekday in range(7)
        )
    review = base.length_of_stay.progress_review
    reviews = (
        Reviews(
            review.interval_weeks * 7.0,
            review.extend_probability,
            review.extension_weeks * 7.0,
            review.max_extensions,
            review.early_completion_probability,
        )
        if review is not None and base.length_of_stay.planned_stay_unit == "weeks"
        else None
    )
    recert = base.length_of_stay.recertification
    if recert is None or recert.on_stop != "completed":
        return PlanRules(gaps, reviews=reviews)
    payers = frozenset(recert.payers) if recert.payers is not None else None
    return PlanRules(gaps, payers, recert.first_after_days, reviews)


def _value(part: PartFit, path: str) -> float | None:
    return next((e.value for e in part.estimates if e.path == path), None)


def _adjust(
    base: SimiopConfig, extract: Extract, stay: PartFit, attendance: PartFit, readmission: PartFit
) -> None:
    """Take the base config's own effects out of the fitted values (simiop.calibrate.adjust), in place."""
    step_up = mean_multiplier(base, extract, "step_up_hazard_multiplier")
    if stay.fragment:
        divide(stay, "length_of_stay.step_up_weekly_hazard", "", step_up, "(mean acuity step-up multiplier)")
        value = _value(stay, "length_of_stay.step_up_weekly_hazard")
        if value is not None:
            stay.fragment["step_up_weekly_hazard"] = round(min(value, 1.0), 5)
    for kind in DISCHARGES:
        tilt = "step_up_hazard_multiplier" if kind == "step_up" else None
        factor = mean_multiplier(base, extract, "readmission_multiplier", tilt)
        divide(
            readmission, f"discharge.{kind}.probability", "", factor, "(mean acuity readmission multiplier)"
        )
        value = _value(readmission, f"discharge.{kind}.probability")
        entry = readmission.fragment.get(kind)
        if value is not None and isinstance(entry, dict):
            entry["probability"] = round(min(value, 1.0), 4)
    mean = _value(attendance, "attendance.propensity.mean")
    denials = expected_denials(base, extract, mean)
    if stay.fragment and denials > 0:
        _take_out_denials(stay, denials)
    run = base.attendance.consecutive_absences_to_dropout
    concentration = _value(attendance, "attendance.propensity.concentration")
    hazard = stay.fragment.get("dropout_hazard")
    if (
        run < ABSENCE_DROPOUT_OFF
        and mean is not None
        and concentration is not None
        and isinstance(hazard, dict)
    ):
        absences = absence_hazards(mean, concentration, run, admitted_days_per_week(base, extract))
        pieces = len(hazard["weekly_by_week"])
        net_dropout(stay, absences, pieces)
        weekly = [
            _value(stay, f"length_of_stay.dropout_hazard.weekly_by_week[{index}]") or 0.0
            for index in range(pieces)
        ]
        if any(value > 0 for value in weekly):
            hazard["weekly_by_week"] = [round(value, 5) for value in weekly]
        else:
            stay.fragment["dropout_hazard"] = None
        stay.notes[:] = [note for note in stay.notes if not note.startswith("length_of_stay.dropout_hazard")]
        stay.notes.append(
            f"length_of_stay.dropout_hazard: the extract's dropout hazard less the part a run of {run} "
            "absences explains under the fitted attendance (Monte Carlo; simiop.calibrate.adjust)"
        )
    if stay.fragment:
        _split_no_starts(base, extract, stay, attendance, run)


def _split_no_starts(
    base: SimiopConfig, extract: Extract, stay: PartFit, attendance: PartFit, run: int
) -> None:
    """Give back to week 1's dropout hazard the dropouts the simulator records as no-starts (a dropout
    with 0 attended days is a no_start), and take them and the runs of absences before a first attended
    day out of the no-start share (simiop.calibrate.adjust.split_no_starts), in place."""
    mean = _value(attendance, "attendance.propensity.mean")
    concentration = _value(attendance, "attendance.propensity.concentration")
    share = next((e for e in attendance.estimates if e.path == "attendance.no_start_probability"), None)
    hazard = stay.fragment.get("dropout_hazard")
    path = "length_of_stay.dropout_hazard.weekly_by_week[0]"
    first = next((e for e in stay.estimates if e.path == path), None)
    chosen = next(
        (c for c in stay.candidates if c.part == "length_of_stay.dropout_hazard" and c.chosen), None
    )
    if mean is None or concentration is None or share is None or first is None or chosen is None:
        return
    rate = next(iter(chosen.parameters.values()))
    exposure = first.n / rate if rate > 0 else 0.0
    days_per_week = admitted_days_per_week(base, extract)
    p0, week_one = split_no_starts(
        share.value,
        share.n,
        first.value,
        exposure,
        lambda h: before_start(mean, concentration, run, days_per_week, h),
    )
    added = week_one - first.value
    note = "no-starts the simulator makes from dropouts and runs of absences before a first attended day"
    stay.estimates[:] = [
        dataclasses.replace(
            e,
            value=week_one,
            low=min(e.low + added, 1.0),
            high=min(e.high + added, 1.0),
            method=f"{e.method}; + {added:.4f} {note} (shifted interval)",
        )
        if e.path == path
        else e
        for e in stay.estimates
    ]
    factor = p0 / share.value if share.value > 0 else 1.0
    attendance.estimates[:] = [
        dataclasses.replace(
            e,
            value=p0,
            low=e.low * factor,
            high=min(e.high * factor, 1.0),
            method=f"{e.method}; less the {note} (scaled interval)",
        )
        if e.path == "attendance.no_start_probability"
        else e
        for e in attendance.estimates
    ]
    attendance.fragment["no_start_probability"] = round(p0, 4)
    if isinstance(hazard, dict):
        hazard["weekly_by_week"][0] = round(week_one, 5)
    elif week_one > 0:
        stay.fragment["dropout_hazard"] = {"weekly_by_week": [round(week_one, 5)]}
    attendance.notes.append(
        f"attendance.no_start_probability: {share.value:.4f} in the extract, {p0:.4f} drawn; the rest are "
        f"{note} (week-1 dropout hazard {first.value:.4f} -> {week_one:.4f})"
    )


def _take_out_denials(stay: PartFit, denials: float) -> None:
    """The administrative hazard less the discharges the base's authorization denials make (in place)."""
    path = "length_of_stay.administrative_weekly_hazard"
    found = next((e for e in stay.estimates if e.path == path), None)
    candidate = next((c for c in stay.candidates if c.part == path), None)
    if found is None or candidate is None:
        return
    rate = candidate.parameters["rate_per_week"]
    exposure = found.n / rate if rate > 0 else 0.0
    if exposure <= 0:
        return
    less = denials / exposure

    def net(probability: float) -> float:
        return max(0.0, 1.0 - math.exp(-(max(-math.log(1.0 - probability) - less, 0.0))))

    stay.estimates[:] = [
        dataclasses.replace(
            e,
            value=net(e.value),
            low=net(e.low),
            high=net(e.high),
            method=f"{e.method}; less {denials:.1f} expected authorization denials of the base's payers",
        )
        if e.path == path
        else e
        for e in stay.estimates
    ]
    stay.fragment["administrative_weekly_hazard"] = round(net(found.value), 5)
    stay.notes.append(
        f"{path}: {found.n} administrative discharges in the extract, {denials:.1f} of them expected from "
        "the base's payer authorization denials (which the simulation adds itself); the hazard is the rest"
    )
