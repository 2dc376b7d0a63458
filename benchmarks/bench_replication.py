"""Wall time, event rate and peak memory of one 3-year replication of every shipped config.

Run from anywhere (configs are found from this file's location)::

    python benchmarks/bench_replication.py [--repeats N] [--out benchmarks/results/replication.json]

For each ``configs/*.yaml`` with ``simulation.horizon_days=1095``, one
replication (the config's own seed, replication 0) is run once untimed to warm
up, then ``repeats`` times timed with ``time.perf_counter``: around
``simulate()`` alone and around ``simulate()`` + ``compute_kpis()``. Peak
memory is measured in one further run under ``tracemalloc``, kept apart so that
tracing does not slow the timed runs. Imports nothing beyond the standard
library, numpy and simiop.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import hashlib
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy

import simiop
from simiop.config import load_config
from simiop.config.model import SimiopConfig
from simiop.model import simulate
from simiop.results.kpis import compute_kpis

REPO_ROOT = Path(__file__).resolve().parent.parent
HORIZON_DAYS = 1095  # 3 years
DEFAULT_OUT = REPO_ROOT / "benchmarks" / "results" / "replication.json"
MIB = 1024 * 1024


def positive_int(text: str) -> int:
    """argparse type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeats", type=positive_int, default=5, help="timed runs per config (default 5)")
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help="JSON file to write (default benchmarks/results/replication.json under the repo root)",
    )
    return parser.parse_args(argv)


def processor_model() -> str | None:
    """The first 'model name' in /proc/cpuinfo, or None where there is no such file (non-Linux)."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() == "model name":
            return value.strip()
    return None


def package_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def source_state() -> dict[str, Any] | None:
    """The repository's HEAD commit and whether the working tree differs from it, or None without git."""
    try:

        def git(*args: str) -> str:
            return subprocess.run(
                ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True, timeout=30
            ).stdout

        commit = git("rev-parse", "HEAD").strip()
        changed = git("status", "--porcelain", "--untracked-files=no").splitlines()
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "modified_tracked_files": sorted(line[3:] for line in changed)}


def describe_machine() -> dict[str, Any]:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "cpu_count": os.cpu_count(),
        "usable_cpus": usable,
        "processor": processor_model(),
        "numpy": numpy.__version__,
        "simpy": package_version("simpy"),  # simpy itself is only imported through simiop
        "simiop": simiop.__version__,
        "load_average_1_5_15_min": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def digest(out: Path) -> str:
    """One SHA-256 over every file of a result folder except the manifest (times, command, executor).

    The benchmarks that run the same work two ways check with it that both wrote the same bytes.
    """
    total = hashlib.sha256()
    for path in sorted(out.rglob("*")):
        if path.is_file() and path.name != "manifest.json":
            total.update(path.relative_to(out).as_posix().encode())
            total.update(path.read_bytes())
    return total.hexdigest()


def peak_memory_mib(config: SimiopConfig) -> float:
    """Peak bytes traced by tracemalloc during one simulate(), in MiB."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        records = simulate(config)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del records
    return peak / MIB


def bench_config(path: Path, repeats: int) -> dict[str, Any]:
    config = load_config(path, [f"simulation.horizon_days={HORIZON_DAYS}"])
    warmup = simulate(config)  # untimed: first-call costs (lazy imports, caches) are not the model's
    compute_kpis(config, warmup)
    events, referrals = warmup.events, len(warmup.episodes)
    del warmup

    simulate_s: list[float] = []
    with_kpis_s: list[float] = []
    for _ in range(repeats):
        gc.collect()  # do not charge one run for the previous run's garbage
        start = time.perf_counter()
        records = simulate(config)
        simulated = time.perf_counter()
        compute_kpis(config, records)
        done = time.perf_counter()
        simulate_s.append(simulated - start)
        with_kpis_s.append(done - start)
        if (records.events, len(records.episodes)) != (events, referrals):
            raise RuntimeError(f"{path.name}: a repeat of the same replication differed; not deterministic")
        del records

    median = statistics.median(simulate_s)
    return {
        "config": path.relative_to(REPO_ROOT).as_posix(),
        "horizon_days": HORIZON_DAYS,
        "seed": config.simulation.seed,
        "replication": 0,
        "repeats": repeats,
        "simulate_seconds": {"min": min(simulate_s), "median": median, "all": simulate_s},
        "simulate_and_kpis_seconds": {
            "min": min(with_kpis_s),
            "median": statistics.median(with_kpis_s),
            "all": with_kpis_s,
        },
        "events": events,
        "events_per_second": events / median,
        "referrals": referrals,
        "peak_memory_mib": peak_memory_mib(config),
    }


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write to a temporary file in the same folder, then os.replace it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, sort_keys=True, indent=2) + "\n"
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp's 0600 would make the result private
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def format_table(rows: list[dict[str, Any]]) -> str:
    headers = [
        "config",
        "sim min s",
        "sim med s",
        "+kpis min s",
        "+kpis med s",
        "events",
        "events/s",
        "referrals",
        "peak MiB",
    ]
    body = [
        [
            Path(row["config"]).name,
            f"{row['simulate_seconds']['min']:.3f}",
            f"{row['simulate_seconds']['median']:.3f}",
            f"{row['simulate_and_kpis_seconds']['min']:.3f}",
            f"{row['simulate_and_kpis_seconds']['median']:.3f}",
            f"{row['events']:,}",
            f"{row['events_per_second']:,.0f}",
            f"{row['referrals']:,}",
            f"{row['peak_memory_mib']:.1f}",
        ]
        for row in rows
    ]
    widths = [max(len(line[i]) for line in [headers, *body]) for i in range(len(headers))]

    def render(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True))
        return "  ".join([first, *rest])

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([render(headers), rule, *(render(line) for line in body)])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    paths = sorted((REPO_ROOT / "configs").glob("*.yaml"))
    if not paths:
        print(f"no configs/*.yaml under {REPO_ROOT}", file=sys.stderr)
        return 1
    machine = describe_machine()
    source = source_state()  # simiop is already imported; configs are read as each is benchmarked
    rows = []
    for path in paths:
        print(f"benchmarking {path.name} ...", file=sys.stderr, flush=True)
        rows.append(bench_config(path, args.repeats))
    result = {
        "benchmark": "one replication, 3-year horizon",
        "horizon_days": HORIZON_DAYS,
        "repeats": args.repeats,
        "machine": machine,
        "source": source,  # the figures depend on the code and configs as they were when run
        "configs": rows,
    }
    out: Path = args.out
    write_json_atomic(out, result)

    print(
        f"{machine['processor'] or platform.processor() or 'unknown CPU'}, {machine['cpu_count']} CPUs, "
        f"Python {machine['python']}, simiop {machine['simiop']}; "
        f"horizon {HORIZON_DAYS} days, {args.repeats} timed repeats"
    )
    print(format_table(rows))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
