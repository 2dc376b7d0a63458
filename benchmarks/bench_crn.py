"""How much common random numbers sharpen a comparison: paired against unpaired variance, A/B by commit.

Run from the repository root after the README's test set-up::

    python benchmarks/bench_crn.py --against 03282c6   # 2-4 minutes: 6 scenarios x 60 replications a side
    python benchmarks/bench_crn.py --replications 4 --horizon 30d --out /tmp/crn.json   # tiny

Each side (this tree, and the reference commit with ``--against``, see
reference.py) runs ``python -m simiop experiment EXPERIMENT -r N --tables none
--no-report --jobs 2`` from its own tree into a temporary folder, and reads
the folder's comparison.csv and summary.csv. For every scenario compared
with the base and every KPI with a spread, it takes

- the **paired variance**: the variance of the replication-by-replication
  differences scenario - base (``difference_sd`` squared), what the
  comparison's interval is made of;
- the **unpaired variance**: var(scenario) + var(base), what it would be if
  the two scenarios drew independent random numbers;
- their ratio, paired / unpaired: the share of the variance that common
  random numbers leave. Smaller is better; 1 means they removed nothing.

The ratio is the fair comparison between two versions of the model: it does
not depend on how noisy each KPI is. The table gives, per scenario, the
median ratio over the KPIs the scenario changes in some replication (a KPI it
never changes has ratio 0 in any model and would only pull the median down),
with their number, and the ratio of a few headline KPIs.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import io
import math
import shutil
import statistics
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench_replication import describe_machine, positive_int, source_state, write_json_atomic
from processes import run_process, scratch_folder
from reference import Side, compared_sides

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "crn.json"
HEADLINE = (
    "admissions",
    "census_mean_day",
    "wait_referral_to_admission_days_mean",
    "staff_utilisation_therapist",
    "revenue_usd",
)


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def run_side(side: Side, experiment: str, replications: int, horizon: str | None) -> dict[str, Any]:
    """One side's experiment; per scenario and KPI the paired and unpaired variance and their ratio."""
    scratch = scratch_folder()
    try:
        out = scratch / "out"
        command = ["-m", "simiop", "experiment", experiment, "-r", str(replications), "--tables", "none"]
        command += [
            "--no-report",
            "--jobs",
            "2",
            "--out",
            str(out),
            *(["--horizon", horizon] if horizon else []),
        ]
        run = run_process(side, command)
        comparison = _rows((out / "comparison.csv").read_text(encoding="utf-8"))
        summary = _rows((out / "summary.csv").read_text(encoding="utf-8"))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    sd = {(row["scenario"], row["kpi"]): _number(row["sd"]) for row in summary}
    scenarios: dict[str, dict[str, dict[str, float]]] = {}
    for row in comparison:
        paired = _number(row["difference_sd"]) ** 2
        unpaired = sd.get((row["scenario"], row["kpi"]), math.nan) ** 2
        unpaired += sd.get((row["compared_with"], row["kpi"]), math.nan) ** 2
        if not (math.isfinite(paired) and math.isfinite(unpaired)) or unpaired == 0.0:
            continue  # a KPI with no spread (or no value) says nothing about the pairing
        scenarios.setdefault(row["scenario"], {})[row["kpi"]] = {
            "paired_variance": paired,
            "unpaired_variance": unpaired,
            "ratio": paired / unpaired,
        }
    return {"wall_s": round(run.wall_s, 3), "scenarios": scenarios}


def markdown(result: dict[str, Any]) -> str:
    labels = result["sides"]
    head = ["scenario", *(f"{label}: median ratio (KPIs it changes)" for label in labels)]
    head += [f"{kpi} ({' / '.join(labels)})" for kpi in HEADLINE]
    lines = ["| " + " | ".join(head) + " |", "|---" + "|---:" * (len(head) - 1) + "|"]
    first = result["by_side"][labels[0]]["scenarios"]
    for scenario in first:
        cells = [scenario]
        for label in labels:
            kpis = result["by_side"][label]["scenarios"].get(scenario, {})
            ratios = [figures["ratio"] for figures in kpis.values() if figures["paired_variance"] > 0.0]
            cells.append(f"{statistics.median(ratios):.3f} ({len(ratios)})" if ratios else "-")
        for kpi in HEADLINE:
            found = [result["by_side"][label]["scenarios"].get(scenario, {}).get(kpi) for label in labels]
            cells.append(" / ".join(f"{f['ratio']:.3f}" if f else "-" for f in found))
        lines.append("| " + " | ".join(cells) + " |")
    horizon = f", horizon {result['horizon']}" if result["horizon"] else ""
    lines += [
        "",
        f"Paired / unpaired variance of scenario - base ({result['experiment']}, "
        f"{result['replications']} replications{horizon}); "
        "smaller means common random numbers remove more noise. "
        f"Measured {result['timestamp']} at {(result['source'] or {}).get('commit', 'unknown')[:9]}.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--experiment", default="experiments/therapists.yaml")
    parser.add_argument("--replications", type=positive_int, default=60)
    parser.add_argument("--horizon", help="e.g. 1y (default: the experiment's)")
    parser.add_argument("--against", metavar="REV", help="a commit to compare with")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    with ExitStack() as stack:
        try:
            sides = compared_sides(stack, args.against)
        except ValueError as exc:
            sys.stderr.write(f"{exc}\n")
            return 2
        by_side = {
            side.label: run_side(side, args.experiment, args.replications, args.horizon) for side in sides
        }
    result = {
        "benchmark": "common random numbers",
        "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "experiment": args.experiment,
        "replications": args.replications,
        "horizon": args.horizon,
        "sides": [side.label for side in sides],
        "reference": None if len(sides) == 1 else {"revision": args.against, "commit": sides[1].commit},
        "machine": describe_machine(),
        "source": source_state(),
        "by_side": by_side,
    }
    write_json_atomic(args.out, result)
    sys.stdout.write(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
