"""Validation on held-out data: fit on the extract before a date, simulate the later period, compare.

The calibrated config is simulated from the opening to the extract's as-of date (replications with the
base's seed); every simulated replication is turned into an extract (simiop.calibrate.synthetic) and
measured exactly as the observed one, on the held-out period only (the cut date to as-of):

- referrals and admissions per calendar month;
- mean daily census per calendar month (admitted and not yet discharged at the end of the day);
- median wait from referral to admission, of the period's admissions;
- mean length of stay (days) by discharge type, of the period's discharges;
- dropout share of the period's discharges.

Each simulated measure is summarised by simiop.results.stats.summarise; the observed value is covered
when it lies in the 95% outcome range (the t prediction interval for one more replication, clipped at 0
for these counts, durations and shares). A well-calibrated model covers about 95% of the rows; monthly
rows are not independent (a busy month is followed by a full clinic), so read the coverage as a guide.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path

from simiop.calibrate.extract import DISCHARGES, Extract, parse_rows
from simiop.calibrate.pipeline import Calibration, calibrate
from simiop.calibrate.synthetic import extract_rows
from simiop.config.model import SimiopConfig
from simiop.results.stats import Summary, clip, summarise

SHORT_FIT_DAYS = 365
"""Under a year of data before the cut, a caution is printed: a ramp-up and a season are hard to tell
apart on less (seasonality is never fitted on under two years), so the simulated later period rests on
weak referral fits (ASSUMPTION: a threshold for a caution, not a rule from a source)."""
SHORT_HOLDOUT_DAYS = 90
"""Under about three calendar months held out, a caution is printed: the monthly rows are one or two
and the stay rows few, so the coverage says little (ASSUMPTION, as above)."""


@dataclass(frozen=True)
class Row:
    """One measure of the held-out period: observed against the simulated outcome range."""

    measure: str
    period: str
    observed: float
    simulated: Summary

    @property
    def covered(self) -> bool:
        low, high = self.simulated.outcome95_low, self.simulated.outcome95_high
        if self.simulated.constant:
            low = high = self.simulated.mean
        return low <= self.observed <= high


def _months(start: dt.date, end: dt.date) -> list[str]:
    months = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def measures(extract: Extract, start: dt.date, end: dt.date) -> dict[tuple[str, str], float]:
    """Every held-out measure of one extract, from ``start`` to ``end`` (both included)."""
    months = _months(start, end)
    values: dict[tuple[str, str], float] = {}
    inside = list(extract.episodes)

    def in_period(date: dt.date | None) -> bool:
        return date is not None and start <= date <= end

    for month in months:
        values[("referrals", month)] = float(
            sum(1 for e in inside if in_period(e.referred) and f"{e.referred:%Y-%m}" == month)
        )
        values[("admissions", month)] = float(
            sum(
                1
                for e in inside
                if e.admitted is not None and in_period(e.admitted) and f"{e.admitted:%Y-%m}" == month
            )
        )
    census = {month: [0, 0] for month in months}  # patient-days, days
    day = start
    stays = [(e.admitted, e.discharged) for e in inside if e.admitted is not None]
    while day <= end:
        present = sum(
            1
            for admitted, discharged in stays
            if admitted <= day and (discharged is None or discharged > day)
        )
        entry = census[f"{day:%Y-%m}"]
        entry[0] += present
        entry[1] += 1
        day += dt.timedelta(days=1)
    for month, (patient_days, days) in census.items():
        values[("mean_census", month)] = patient_days / days
    waits = [
        (e.admitted - e.referred).days for e in inside if e.admitted is not None and in_period(e.admitted)
    ]
    values[("median_wait_days", "all")] = float(statistics.median(waits)) if waits else float("nan")
    ended = [e for e in inside if in_period(e.discharged) and e.discharge_type in DISCHARGES]
    for kind in DISCHARGES:
        stays_of = [(e.discharged - e.admitted).days for e in ended if e.discharge_type == kind]  # type: ignore[operator]
        values[(f"length_of_stay_days_{kind}", "all")] = (
            float(statistics.mean(stays_of)) if stays_of else float("nan")
        )
    values[("dropout_share", "all")] = (
        sum(1 for e in ended if e.discharge_type == "dropout") / len(ended) if ended else float("nan")
    )
    return values


def simulated_extracts(config: SimiopConfig, replications: int, as_of: dt.date) -> list[Extract]:
    """Simulate ``config`` from opening to ``as_of`` and return each replication as an extract."""
    from simiop import api

    opening = config.clinic.opening_date
    extracts = []
    with tempfile.TemporaryDirectory(prefix="simiop-holdout-") as folder:
        out = Path(folder) / "run"
        api.run(
            config,
            until=as_of.isoformat(),
            replications=replications,
            out=out,
            tables="episodes",
            report=False,
            jobs=1,
            name="holdout",
        )
        for replication in range(replications):
            episodes = out / "scenarios" / "base" / f"r{replication:04d}" / "episodes.csv"
            rows = extract_rows(episodes, opening)
            buffer = io.StringIO()
            writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else ["patient_id"])
            writer.writeheader()
            writer.writerows(rows)
            table = list(csv.reader(io.StringIO(buffer.getvalue())))
            extracts.append(parse_rows(f"simulated r{replication}", table, as_of))
    return extracts


@dataclass(frozen=True)
class Holdout:
    calibration: Calibration
    rows: list[Row]
    cut: dt.date
    replications: int
    fitted_days: int = 0
    """Days of data before the cut: from the extract's first referral to the day before ``cut``."""
    held_days: int = 0
    """Days held out: ``cut`` to the extract's as-of date, both included."""

    @property
    def coverage(self) -> tuple[int, int]:
        usable = [row for row in self.rows if row.simulated.n >= 2 and row.observed == row.observed]
        return sum(1 for row in usable if row.covered), len(usable)


def holdout(extract: Extract, base_path: Path, cut: dt.date, replications: int) -> Holdout:
    """Fit before ``cut``, simulate to the extract's as-of date, compare the period from ``cut`` on."""
    calibration = calibrate(extract.before(cut), base_path)
    observed = measures(extract, cut, extract.as_of)
    simulated = [
        measures(one, cut, extract.as_of)
        for one in simulated_extracts(calibration.config, replications, extract.as_of)
    ]
    rows = []
    for key, value in observed.items():
        summary = clip(summarise(values[key] for values in simulated), low=0.0)
        rows.append(Row(key[0], key[1], value, summary))
    first = min((episode.referred for episode in extract.episodes), default=cut)
    return Holdout(calibration, rows, cut, replications, (cut - first).days, (extract.as_of - cut).days + 1)


def holdout_csv(result: Holdout) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["measure", "period", "observed", "simulated_mean", "outcome95_low", "outcome95_high", "covered"]
    )
    for row in result.rows:
        writer.writerow(
            [
                row.measure,
                row.period,
                f"{row.observed:.6g}",
                f"{row.simulated.mean:.6g}",
                f"{row.simulated.outcome95_low:.6g}",
                f"{row.simulated.outcome95_high:.6g}",
                int(row.covered),
            ]
        )
    return buffer.getvalue()


def coverage_lines(result: Holdout) -> list[str]:
    """Coverage per measure family and in all, for the command's output and the report; cautions first
    when the data before the cut or the period held out is short, or some measures had nothing simulated
    to compare with (left out of the coverage)."""
    lines = []
    if result.fitted_days < SHORT_FIT_DAYS:
        lines.append(
            f"caution: fitted on {result.fitted_days} days of data before {result.cut} (under "
            f"{SHORT_FIT_DAYS}): the referral fits, and so the simulated period, rest on little data"
        )
    if result.held_days < SHORT_HOLDOUT_DAYS:
        lines.append(
            f"caution: {result.held_days} days held out (under {SHORT_HOLDOUT_DAYS}): too few months and "
            "discharges for the coverage to say much"
        )
    unusable = [r for r in result.rows if not (r.simulated.n >= 2 and r.observed == r.observed)]
    if unusable:
        names = ", ".join(sorted({f"{r.measure} {r.period}" for r in unusable}))
        lines.append(f"left out (nothing simulated or observed to compare): {names}")
    families: dict[str, list[Row]] = {}
    for row in result.rows:
        families.setdefault(row.measure, []).append(row)
    for name, rows in families.items():
        usable = [r for r in rows if r.simulated.n >= 2 and r.observed == r.observed]
        lines.append(
            f"{name}: {sum(r.covered for r in usable)}/{len(usable)} inside the simulated 95% outcome range"
        )
    covered, total = result.coverage
    lines.append(f"all: {covered}/{total} = {covered / max(total, 1):.0%}")
    return lines
