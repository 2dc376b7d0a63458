"""What limits the clinic, for one scenario of a result folder: summary.csv's means and daily.csv's groups.

summary.csv counts each track's cancelled groups but not its scheduled ones,
so a track's cancellation share needs daily.csv (when the run kept it). The
report and ``simiop run`` both call this, so they say the same sentences.
"""

from __future__ import annotations

import numpy as np

from simiop.report.data import ResultFolder
from simiop.results.constraints import scenario_limits

DAILY = "daily"


def scheduled_groups_by_track(folder: ResultFolder, scenario: str) -> dict[str, float] | None:
    """Each track's scheduled group-days from the warm-up on, mean across replications; None without
    daily.csv (then cancellations are a share of every track's groups)."""
    if not folder.has_table(DAILY):
        return None
    plan = next(s for s in folder.plan.scenarios if s.name == scenario)
    warmup = plan.config.simulation.warmup_days
    totals: dict[str, list[float]] = {}
    for cell in folder.cells(scenario, DAILY, ("day", "track", "groups_scheduled")):
        counted = cell["day"] >= warmup
        for track in plan.config.tracks:
            rows = counted & (cell["track"] == track)
            totals.setdefault(track, []).append(float(cell["groups_scheduled"][rows].sum()))
    return {track: float(np.mean(values)) for track, values in totals.items()}


def folder_limits(folder: ResultFolder, scenario: str) -> list[str]:
    """The ranked sentences saying what limits the clinic in ``scenario`` (simiop.results.constraints)."""
    return scenario_limits(folder.summary, scenario, scheduled_groups_by_track(folder, scenario))
