"""Where one 3-year baseline cell spends its time: cProfile of simulate, billing, KPIs, tables and periods.

Run from the repository root after the README's test set-up::

    python benchmarks/profile_cell.py [--config configs/baseline.yaml] [--top 15]

Prints the wall time of each stage of a cell (unprofiled, median of 3 after a
warm-up) and the functions with the most own time under cProfile (which
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
from pathlib import Path

from simiop.billing import bill
from simiop.config import load_config
from simiop.model import simulate
from simiop.model.calendar import ClinicCalendar
from simiop.results.kpis import compute_kpis
from simiop.results.periods import render_periods
from simiop.results.tables import render_tables

REPO_ROOT = Path(__file__).resolve().parent.parent


def cell(path: Path) -> dict[str, float]:
    """Seconds of each stage of one 3-year cell (as run_cell does it, every table rendered)."""
    config = load_config(path, ["simulation.horizon_days=1095"])
    stages: dict[str, float] = {}
    start = time.perf_counter()
    records = simulate(config)
    stages["simulate"] = time.perf_counter() - start
    start = time.perf_counter()
    run = bill(config, records)
    stages["billing"] = time.perf_counter() - start
    start = time.perf_counter()
    kpis = compute_kpis(config, run)
    stages["kpis"] = time.perf_counter() - start
    start = time.perf_counter()
    render_tables(run, ClinicCalendar.for_config(config), kpis)
    stages["tables"] = time.perf_counter() - start
    start = time.perf_counter()
    render_periods(config, run)
    stages["periods"] = time.perf_counter() - start
    return stages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, default=REPO_ROOT / "configs" / "baseline.yaml")
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args(argv)
    cell(args.config)  # warm-up
    runs = [cell(args.config) for _ in range(3)]
    for stage in runs[0]:
        sys.stdout.write(f"{stage:<9} {statistics.median(r[stage] for r in runs):.3f} s\n")
    sys.stdout.write(f"{'cell':<9} {statistics.median(sum(r.values()) for r in runs):.3f} s\n\n")
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
