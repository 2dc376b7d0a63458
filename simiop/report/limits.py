"""What limits the clinic, for one scenario of a result folder: summary.csv's means and daily.csv's groups.

summary.csv counts each track's cancelled groups but not its scheduled ones,
so a track's cancellation share needs daily.csv (when the run kept it). The
report and ``simiop run`` both call this, so they say the same sentences.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from simiop.report.data import ResultFolder
from simiop.results.constraints import scenario_limits

DAILY = "daily"


def scheduled_groups_by_track(
    folder: ResultFolder, scenario: str, known: Sequence[Mapping[str, float]] | None = None
) -> dict[str, float] | None:
    """Each track's scheduled group-days from the warm-up on, mean across replications; None without
    daily.csv (then cancellations are a share of every track's groups).

    ``known``: each replication's sums as the run made them (``Outcome.groups_scheduled``, the same
    numbers daily.csv holds), so the end of a run need not read every daily.csv back; without them
    (a report drawn later, a resumed run) the files are read.
    """
    if not folder.has_table(DAILY):
        return None
    plan = next(s for s in folder.plan.scenarios if s.name == scenario)
    totals: dict[str, list[float]] = {}
    if known is not None and len(known) == folder.plan.replications:
        for sums in known:
            for track in plan.config.tracks:
                totals.setdefault(track, []).append(sums[track])
        return {track: float(np.mean(values)) for track, values in totals.items()}
    warmup = plan.config.simulation.warmup_days
    for cell in folder.cells(scenario, DAILY, ("day", "track", "groups_scheduled")):
        counted = cell["day"] >= warmup
        for track in plan.config.tracks:
            rows = counted & (cell["track"] == track)
            totals.setdefault(track, []).append(float(cell["groups_scheduled"][rows].sum()))
    return {track: float(np.mean(values)) for track, values in totals.items()}


def folder_limits(
    folder: ResultFolder, scenario: str, known: Sequence[Mapping[str, float]] | None = None
) -> list[str]:
    """The ranked sentences saying what limits the clinic in ``scenario`` (simiop.results.constraints);
    ``known`` as for ``scheduled_groups_by_track``."""
    return scenario_limits(folder.summary, scenario, scheduled_groups_by_track(folder, scenario, known))
