"""How one replication's time and memory grow with the horizon and with the referral volume.

Run from the repository root after the README's test set-up::

    python benchmarks/bench_scaling.py [--repeats 3] [--out benchmarks/results/scaling.json]

Two sweeps of the baseline, each point the median of ``--repeats`` timed
``simulate()`` calls after an untimed warm-up, and the peak memory traced by
tracemalloc in a separate run:

- horizon 1, 2, 4 and 8 years at the baseline's referral rates;
- referral volume x1, x4 and x16 (every source's weekly rate multiplied) over
  1 year, the clinic unchanged: most extra referrals are lost at intake or on
  the wait list, so this sweep exposes anything that is quadratic in the
  number of people waiting.

For each sweep the exponent b of time = a * size^b is fitted by least squares
on the logarithms (size: days, or referrals made). An exponent near 1 means
no quadratic corner; well above 1 means one.
"""

from __future__ import annotations

import argparse
import gc
import math
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

from bench_replication import MIB, describe_machine, positive_int, write_json_atomic

from simiop.config import load_config
from simiop.config.model import SimiopConfig
from simiop.model import simulate

REPO_ROOT = Path(__file__).resolve().parent.parent
BASELINE = REPO_ROOT / "configs" / "baseline.yaml"
DEFAULT_OUT = REPO_ROOT / "benchmarks" / "results" / "scaling.json"
YEARS = (1, 2, 4, 8)
VOLUMES = (1, 4, 16)


def config_for(years: float, volume: int) -> SimiopConfig:
    base = load_config(BASELINE)
    overrides = [f"simulation.horizon_days={round(365 * years)}"]
    overrides += [
        f"referrals.sources.{name}.weekly_rate={source.weekly_rate * volume}"
        for name, source in base.referrals.sources.items()
    ]
    return load_config(BASELINE, overrides)


def measure(config: SimiopConfig, repeats: int) -> dict[str, Any]:
    first = simulate(config)  # untimed warm-up
    referrals, events = len(first.episodes), first.events
    del first
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        records = simulate(config)
        times.append(time.perf_counter() - start)
        del records
    gc.collect()
    tracemalloc.start()
    try:
        simulate(config)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return {
        "horizon_days": config.simulation.horizon_days,
        "referrals": referrals,
        "events": events,
        "seconds": {"median": statistics.median(times), "all": times},
        "peak_memory_mib": peak / MIB,
    }


def exponent(sizes: list[float], values: list[float]) -> float:
    """Least-squares slope of log(value) on log(size)."""
    xs, ys = [math.log(s) for s in sizes], [math.log(v) for v in values]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mean_x) ** 2 for x in xs
    )


def sweep(points: list[dict[str, Any]], size_key: str) -> dict[str, Any]:
    sizes = [float(p[size_key]) for p in points]
    return {
        "points": points,
        "size": size_key,
        "time_exponent": exponent(sizes, [p["seconds"]["median"] for p in points]),
        "memory_exponent": exponent(sizes, [p["peak_memory_mib"] for p in points]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=positive_int, default=3)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--quick", action="store_true", help="two points per sweep (a smoke test, not figures)"
    )
    args = parser.parse_args(argv)
    years_swept, volumes_swept = (YEARS[:2], VOLUMES[:2]) if args.quick else (YEARS, VOLUMES)
    horizon = [measure(config_for(years, 1), args.repeats) | {"years": years} for years in years_swept]
    volume = [measure(config_for(1, factor), args.repeats) | {"volume": factor} for factor in volumes_swept]
    result = {
        "machine": describe_machine(),
        "repeats": args.repeats,
        "horizon": sweep(horizon, "horizon_days"),
        "referral_volume": sweep(volume, "referrals"),
    }
    write_json_atomic(args.out, result)
    for name in ("horizon", "referral_volume"):
        data = result[name]
        sys.stdout.write(
            f"{name}: time exponent {data['time_exponent']:.2f}, memory {data['memory_exponent']:.2f}\n"
        )
        for p in data["points"]:
            sys.stdout.write(
                f"  {p.get('years', '')}{'y' if 'years' in p else 'x' + str(p['volume'])}: "
                f"{p['referrals']} referrals, {p['events']} events, {p['seconds']['median']:.3f} s, "
                f"{p['peak_memory_mib']:.1f} MiB\n"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
