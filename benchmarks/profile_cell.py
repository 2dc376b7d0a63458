"""Where one 3-year baseline cell spends its time: cProfile of simulate, billing, KPIs, tables and periods.

Run from the repository root after the README's test set-up::

    python benchmarks/profile_cell.py [--config configs/baseline.yaml] [--top 15] [--cpu --runs 5]

Prints the wall time of each stage of a cell (unprofiled, median of 3 after a
warm-up; with ``--cpu``, the process CPU time, least of ``--runs``: steadier
on a shared machine) and the functions with the most own time under cProfile (which
inflates Python-heavy code roughly threefold, so read the ranking, not the
seconds). benchmarks/README.md records its output before and after each
optimisation.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from simiop.billing import bill
from simiop.config import load_config
from simiop.model import simulate
from simiop.model.calendar import ClinicCalendar
from simiop.results.kpis import compute_kpis
from simiop.results.periods import render_periods
from simiop.results.tables import render_tables

REPO_ROOT = Path(__file__).resolve().parent.parent


def cell(path: Path, clock: Callable[[], float] = time.perf_counter) -> dict[str, float]:
    """Seconds of each stage of one 3-year cell (as run_cell does it, every table rendered)."""
    config = load_config(path, ["simulation.horizon_days=1095"])
    stages: dict[str, float] = {}
    start = clock()
    records = simulate(config)
    stages["simulate"] = clock() - start
    start = clock()
    run = bill(config, records)
    stages["billing"] = clock() - start
    start = clock()
    kpis = compute_kpis(config, run)
    stages["kpis"] = clock() - start
    start = clock()
    render_tables(run, ClinicCalendar.for_config(config), kpis)
    stages["tables"] = clock() - start
    start = clock()
    render_periods(config, run)
    stages["periods"] = clock() - start
    return stages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, default=REPO_ROOT / "configs" / "baseline.yaml")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument(
        "--cpu", action="store_true", help="process CPU time, least of --runs (not wall, median)"
    )
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    clock = time.process_time if args.cpu else time.perf_counter
    pick: Callable[[Iterable[float]], float] = min if args.cpu else statistics.median
    cell(args.config)  # warm-up
    runs = [cell(args.config, clock) for _ in range(args.runs)]
    for stage in runs[0]:
        sys.stdout.write(f"{stage:<9} {pick(r[stage] for r in runs):.3f} s\n")
    sys.stdout.write(f"{'cell':<9} {pick(sum(r.values()) for r in runs):.3f} s\n\n")
    if args.top <= 0:
        return 0
    profiler = cProfile.Profile()
    profiler.runcall(cell, args.config)
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(args.top)
    lines = [line for line in text.getvalue().splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
    sys.stdout.write("\n".join(lines[start:]).replace(str(REPO_ROOT) + "/", "") + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
