"""Little's law on the baseline, and the inputs the model must reproduce: intake show rates, attendance."""

from __future__ import annotations

import math
from collections import defaultdict

import pytest
from scipy import stats

from simiop.config import load_config
from simiop.model import simulate
from simiop.results.stats import summarise
from tests.conftest import BASELINE
from tests.validation.conftest import Cells, report, run_cells

WINDOW_YEARS = 3
"""Little's window: whole years after the warm-up, so the seasonal census is the same at both ends
(patients present at the start and still present at the end then balance), and a year before the
horizon, so everyone admitted in it has left."""


@pytest.mark.parametrize("track", ["day", "evening"])
def test_littles_law_per_track_on_the_baseline(baseline_cells: Cells, track: str) -> None:
    """Mean census = admission rate x mean time in the programme, over a window after the warm-up.

    Census is counted once a day (at midnight), so time in the programme is
    counted the same way: the census counts a patient on each night between
    admission and discharge, int(ended_day) - int(admitted_day) of them.
    """
    start = baseline_cells.warmup_days
    stop = start + WINDOW_YEARS * 365
    ratios, censuses, predicted = [], [], []
    for r in range(baseline_cells.replications):
        days = [row for row in baseline_cells.rows(r, "daily") if row["track"] == track]
        window = [float(row["census"]) for row in days if start <= float(row["day"]) < stop]
        census = sum(window) / len(window)
        admitted = [
            row
            for row in baseline_cells.rows(r, "episodes")
            if row["track"] == track and row["admitted_day"] and start <= float(row["admitted_day"]) < stop
        ]
        assert all(row["ended_day"] for row in admitted), "an admission in the window outlived the run"
        rate = len(admitted) / (stop - start)
        nights = sum(int(float(row["ended_day"])) - int(float(row["admitted_day"])) for row in admitted)
        ratios.append(census / (rate * nights / len(admitted)))
        censuses.append(census)
        predicted.append(rate * nights / len(admitted))
    summary = summarise(ratios)
    report(f"Little's law, {track} track: census / (admissions/day x stay)", 1.0, summary)
    report(
        f"  {track} track mean census (lambda x W: {summarise(predicted).mean:.3f})",
        summarise(predicted).mean,
        summarise(censuses),
        " patients",
    )
    # Two tracks are tested at once: each interval is at 97.5% (Bonferroni), so a correct model fails
    # this test 5% of the time, not 10%. (At 95% the evening track of replications 0-19 excluded 1 by
    # 0.0004 after issue 19's calibration; replications 20-79 gave 1.0001, 95% CI 0.9971 to 1.0032.)
    half = float(stats.t.ppf(1.0 - 0.05 / 4, summary.n - 1)) * summary.sd / math.sqrt(summary.n)
    assert summary.mean - half <= 1.0 <= summary.mean + half
    assert summary.half_width < 0.03


def test_show_rate_follows_the_configured_curve() -> None:
    """Per replication: shows minus the curve's prediction for each booking's days waited, per booking."""
    config = load_config(BASELINE, ["simulation.horizon_days=365"])
    curve = config.intake.show_rate_by_days_waited
    differences = []
    buckets: dict[str, list[tuple[bool, float]]] = defaultdict(list)
    for r in range(12):
        bookings = simulate(config, None, r).bookings
        expected = [curve.value_at(b.slot_day - b.booked_day) for b in bookings]
        differences.append((sum(b.showed for b in bookings) - sum(expected)) / len(bookings))
        for booking, p in zip(bookings, expected, strict=True):
            waited = booking.slot_day - booking.booked_day
            label = "1-2 d" if waited < 2 else "2-4 d" if waited < 4 else "4-8 d" if waited < 8 else "8+ d"
            buckets[label].append((booking.showed, p))
    summary = summarise(differences)
    report("intake: show rate minus the curve, per booking", 0.0, summary)
    for label in sorted(buckets):
        pairs = buckets[label]
        shown = summarise([1.0 if showed else 0.0 for showed, _ in pairs])
        report(
            f"  show rate after waiting {label} ({len(pairs)} bookings)",
            sum(p for _, p in pairs) / len(pairs),
            shown,
        )
    assert summary.ci95_low <= 0.0 <= summary.ci95_high
    assert summary.half_width < 0.02
    assert len(buckets) >= 3, "the check must cover several points of the curve"


def test_attendance_rate_is_the_mean_propensity(tmp_path_factory: pytest.TempPathFactory) -> None:
    """With nobody leaving early, every patient-day is a draw with the patient's propensity."""
    overrides = [
        "simulation.horizon_days=365",
        "attendance.consecutive_absences_to_dropout=60",
        "length_of_stay.step_up_weekly_hazard=0",
        "length_of_stay.administrative_weekly_hazard=0",
        "length_of_stay.progress_review=null",
        "attendance.no_start_probability=0",  # the calibrated baseline's early leavers (issue 19)
        "length_of_stay.dropout_hazard=null",
        "length_of_stay.recertification=null",
    ]
    cells = run_cells(tmp_path_factory.mktemp("attendance"), BASELINE, overrides, 12, ())
    expected = load_config(BASELINE).attendance.propensity.mean
    summary = summarise(cells.kpis("attendance_rate"))
    report("attendance rate = mean of the propensity distribution", expected, summary)
    assert summary.ci95_low <= expected <= summary.ci95_high
    assert summary.half_width < 0.01
