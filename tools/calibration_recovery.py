"""Parameter recovery: simulate the baseline, export each replication as an extract, calibrate, compare.

    python tools/calibration_recovery.py --replications 20 --out /tmp/recovery

prints a Markdown table: every fitted value with a true value in configs/baseline.yaml, the mean estimate
over the replications, replication 0's estimate and 95% interval, and the share of replications whose
interval holds the true value (coverage; about 95% expected, with R replications its own binomial error is
about sqrt(0.05 * 0.95 / R)). docs/calibrate.md quotes its output.
"""

from __future__ import annotations

import argparse
import tempfile
from collections import defaultdict
from pathlib import Path

from simiop import api
from simiop.calibrate.extract import read_extract
from simiop.calibrate.pipeline import calibrate
from simiop.calibrate.synthetic import export_extract

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "configs" / "baseline.yaml"

_OUTCOMES = {"admit": 0.70, "redirect_step_up": 0.08, "redirect_outpatient": 0.17, "decline": 0.05}
_ED = {"admit": 0.55, "redirect_step_up": 0.20, "redirect_outpatient": 0.15, "decline": 0.10}
_RATES = {
    "step_down": (3.5, 0.3, 26),
    "step_up": (3.0, 0.3, 26),
    "community": (2.2, 0.2, 39),
    "emergency_department": (1.0, 0.3, 26),
}
_READMISSION = {
    "completed": (0.10, 120, 90),
    "dropout": (0.20, 60, 45),
    "step_up": (0.35, 30, 20),
    "administrative": (0.10, 90, 60),
}
_DROPOUT = (0.06, 0.04, 0.02, 0.01)


def truth() -> dict[str, float]:
    """The baseline's value of every fitted field that has one to compare with."""
    values: dict[str, float] = {}
    for source, (rate, initial, weeks) in _RATES.items():
        prefix = f"referrals.sources.{source}"
        values |= {
            f"{prefix}.weekly_rate": rate,
            f"{prefix}.ramp_up.initial_fraction": initial,
            f"{prefix}.ramp_up.weeks_to_full": weeks,
        }
    values |= {
        "referrals.sources.community.seasonality.amplitude": 0.15,
        "referrals.sources.community.seasonality.peak_day_of_year": 290,
    }
    values |= {f"intake.outcomes.{name}": share for name, share in _OUTCOMES.items()}
    for source in _RATES:
        shares = _ED if source == "emergency_department" else _OUTCOMES
        values |= {f"intake.outcomes_by_source.{source}.{name}": share for name, share in shares.items()}
    values |= {
        "length_of_stay.step_up_weekly_hazard": 0.02,
        "length_of_stay.administrative_weekly_hazard": 0.005,
        "attendance.propensity.mean": 0.90,
        "attendance.propensity.concentration": 6.0,
        "attendance.no_start_probability": 0.05,
        "length_of_stay.planned_stay.mean": 8.0,
        "length_of_stay.planned_stay.sd": 2.0,
    }
    for kind, (probability, mean, sd) in _READMISSION.items():
        values |= {
            f"discharge.{kind}.probability": probability,
            f"discharge.{kind}.delay_days.mean": mean,
            f"discharge.{kind}.delay_days.sd": sd,
        }
    return values


DROPOUT_PATH = "length_of_stay.dropout_hazard.weekly_by_week"


def dropout_truth(index: int, pieces: int) -> float | None:
    """The baseline's dropout hazard that piece ``index`` of a ``pieces``-piece fit estimates, or None.

    A piece before the last is one week of stay: the baseline's value of that week (its last value holds
    for every later week). The last piece is every week from ``index + 1`` on; it has one true value only
    where the baseline's hazard is the same in all those weeks (weeks 4 on: 0.01); from week 3 on it pools
    week 3's 0.02 with the 0.01 of later weeks, and comparing it with 0.02 counted a right fit as a miss.
    """
    later = _DROPOUT[min(index, len(_DROPOUT) - 1) :]
    if index == pieces - 1 and len(set(later)) > 1:
        return None
    return later[0]


NOT_COMPARED: dict[str, str] = {}
"""Fitted fields with a reason they have no true value to compare with (none now: the planned stay is
fitted through the base's progress reviews, so it is the baseline's plan, gamma mean 8 weeks, sd 2)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--out", type=Path, default=None)
    arguments = parser.parse_args()
    out = arguments.out or Path(tempfile.mkdtemp(prefix="recovery-"))
    api.run(
        BASELINE,
        replications=arguments.replications,
        out=out / "run",
        tables="episodes",
        report=False,
        jobs=1,
        force=True,
    )
    estimates = defaultdict(list)
    dropout_values: dict[str, float] = {}
    for replication in range(arguments.replications):
        target = out / f"extract_{replication:04d}.csv"
        _, as_of = export_extract(out / "run", target, replication=replication)
        calibration = calibrate(read_extract(target, as_of), BASELINE)
        pieces = sum(1 for e in calibration.estimates if e.path.startswith(DROPOUT_PATH))
        for estimate in calibration.estimates:
            path = estimate.path
            if path.startswith(DROPOUT_PATH):
                index = int(path[len(DROPOUT_PATH) + 1 : -1])
                value = dropout_truth(index, pieces)
                if index == pieces - 1:
                    path = f"{path} (last piece: weeks {index + 1} on)"
                if value is not None:
                    dropout_values[path] = value
            estimates[path].append(estimate)
    true = truth() | dropout_values
    print("| config field | true | mean estimate | replication 0: estimate (95% interval) | coverage |")
    print("|---|---|---|---|---|")
    covered_all = total_all = 0
    for path, found in estimates.items():
        first = found[0]
        shown = f"{first.value:.4g} ({first.low:.4g} - {first.high:.4g})"
        mean = sum(e.value for e in found) / len(found)
        if path in true:
            value = true[path]
            covered = sum(1 for e in found if e.low <= value <= e.high)
            covered_all += covered
            total_all += len(found)
            print(f"| {path} | {value:g} | {mean:.4g} | {shown} | {covered}/{len(found)} |")
        else:
            why = NOT_COMPARED.get(
                path,
                "pools weeks with different true values"
                if path.startswith(DROPOUT_PATH)
                else "no single true value",
            )
            print(f"| {path} | not compared: {why} | {mean:.4g} | {shown} | |")
    share = covered_all / max(total_all, 1)
    print(f"\nAll compared intervals: {covered_all}/{total_all} = {share:.1%} hold the true value")


if __name__ == "__main__":
    main()
