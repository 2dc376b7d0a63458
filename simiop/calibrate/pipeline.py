"""Calibrate: every fitter on one extract against a base config, and the fragment merged and validated."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simiop.calibrate.attendance import fit_attendance
from simiop.calibrate.extract import READMISSION_SOURCE, Extract
from simiop.calibrate.fits import Candidate, Estimate, PartFit
from simiop.calibrate.fragment import build_fragment, merge
from simiop.calibrate.intake import fit_intake
from simiop.calibrate.readmission import fit_readmission
from simiop.calibrate.referrals import SourceFit, fit_referrals
from simiop.calibrate.stay import StayFit, fit_stay
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
    """Every referral source in the extract must be one of the base config's (or 'readmission')."""
    known = set(base.referrals.sources) | {READMISSION_SOURCE}
    lines = []
    seen: set[str] = set()
    for episode in extract.episodes:
        if episode.source not in known and episode.source not in seen:
            seen.add(episode.source)
            lines.append(
                f"{extract.source}: row {episode.row}, column referral_source: {episode.source!r} is not a "
                f"source "
                f"of the base config (allowed: {', '.join(sorted(known))})"
            )
    if lines:
        raise UnknownNamesError(lines)


def calibrate(extract: Extract, base_path: Path) -> Calibration:
    """Fit every part and merge the fragment onto the base config (ConfigError if the result is invalid)."""
    base_data = read_config_data(base_path)
    base = validate_config(base_data, str(base_path))
    check_names(extract, base)
    opening: dt.date = base.clinic.opening_date
    sources = list(base.referrals.sources)
    referrals, source_fits = fit_referrals(extract, opening, sources)
    intake = fit_intake(extract, sources, list(base.intake.outcomes_by_source))
    stay, stay_fit = fit_stay(extract)
    attendance = fit_attendance(extract)
    readmission = fit_readmission(extract)
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
    return Calibration(parts, fragment, merged, config, source_fits, stay_fit, extract)
