"""An optimisation's result files: selection.csv, chosen.yaml, candidates.png and optimise.html.

Nothing here depends on the clock or the executor, so the same optimisation
writes the same bytes on any number of workers (``simiop reproduce`` checks).
"""

from __future__ import annotations

import base64
import csv
import html
import io
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml

from simiop.atomic import write_bytes_atomic, write_text_atomic
from simiop.optimisation.procedure import Selection, stein_replications

if TYPE_CHECKING:
    from simiop.optimisation.runner import Study
    from simiop.optimisation.screening import Screened


def interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and the t confidence interval of the mean (NaN bounds with fewer than 2 values)."""
    from scipy import stats

    n = len(values)
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = float(np.mean(values))
    if n < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * np.std(values, ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half


def _number(value: float) -> str:
    return "" if not math.isfinite(value) else f"{value:.6g}"


def objective_label(study: Study) -> str:
    objective = study.spec.objective
    if objective.kpi is not None:
        return objective.kpi
    if objective.variable is not None:
        return objective.variable
    return " + ".join(f"{w:g} x {k}" for k, w in (objective.weights or {}).items())


def reasons(study: Study, selection: Selection, index: int) -> str:
    """Why a candidate has its status, in words naming the targets."""
    result = selection.candidates[index]
    targets = study.spec.constraints
    if result.status == "infeasible":
        missed = [targets[n].describe() for n, met in enumerate(result.met) if met is False]
        return f"misses {'; '.join(missed)} (decided after {result.decided_at} replications)"
    if result.status == "chosen":
        among = " (among the short-listed candidates only)" if study.spec.screening is not None else ""
        return (
            f"chosen: the first declared feasible in objective order{among}"
            if study.spec.objective.is_deterministic()
            else f"chosen: the best of those declared feasible{among}"
        )
    beaten = _ELIMINATED.fullmatch(result.reason)
    if beaten:  # the procedure numbers candidates; the table names them
        return (
            f"feasible; eliminated by {study.names[int(beaten[1])]} on the objective "
            f"(after {beaten[2]} replications)"
        )
    return result.reason


_ELIMINATED = re.compile(r"feasible; eliminated by candidate (\d+) on the objective \(at (\d+)\)")


def selection_rows(study: Study, selection: Selection) -> list[dict[str, Any]]:
    """One row per candidate: its levels, status and why, replications, estimates with 95% CIs."""
    spec = study.spec
    levels = spec.labels()
    rows: list[dict[str, Any]] = []
    for i, name in enumerate(study.names):
        result = selection.candidates[i]
        values = selection.values.get(i, np.empty((0, 1 + len(spec.constraints))))
        row: dict[str, Any] = {"candidate": name, **levels[i]}
        row.update(status=result.status, why=reasons(study, selection, i), replications=result.replications)
        mean, low, high = interval(values[:, 0])
        row.update(objective=_number(mean), objective_low=_number(low), objective_high=_number(high))
        for n, target in enumerate(spec.constraints):
            column = values[:, 1 + n]
            if target.kind == "chance":
                met = column <= target.bound if target.sense == "<=" else column >= target.bound
                column = met.astype(float)
            mean, low, high = interval(column)
            label = f"{target.kpi}_{'share' if target.kind == 'chance' else 'mean'}"
            row[label] = _number(mean)
            row[f"{label}_low"] = _number(low)
            row[f"{label}_high"] = _number(high)
            met_flag = result.met[n] if n < len(result.met) else None
            row[f"{label}_met"] = "" if met_flag is None else ("yes" if met_flag else "no")
        rows.append(row)
    return rows


def csv_text(rows: Sequence[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def fixed_sample_replications(study: Study, selection: Selection) -> int:
    """At least the replications a two-stage fixed-sample check (Stein) of every candidate would need.

    For the candidates checked here, Stein's N from their first-stage variances;
    a candidate never checked needs at least first_stage (so this is a lower bound).
    """
    return sum(stein_or_first(study, selection, i) for i in range(len(study.names)))


def stein_or_first(study: Study, selection: Selection, i: int) -> int:
    """Stein's N for candidate i from its first stage, or first_stage when it was never checked."""
    from simiop.optimisation.runner import constraints_of

    n0 = study.spec.first_stage
    values = selection.values.get(i)
    checked = selection.candidates[i].status != "screened_out"
    if checked and values is not None and len(values) >= n0 and study.spec.constraints:
        return stein_replications(values[:n0], constraints_of(study.spec), selection.beta)
    return n0


def guarantee(study: Study, selection: Selection, screened: Screened | None = None) -> str:
    """The guarantee in plain words, or why there is none; with a screening, limited to its short list."""
    stated = _guarantee(study, selection)
    if screened is None:
        return stated
    total = len(study.names)
    return (
        f"Among the {len(screened.shortlist)} short-listed candidates only (a screening by Optuna tried "
        f"{len(screened.tried)} of the {total} candidates and kept these; the other "
        f"{total - len(screened.shortlist)} were screened out and nothing is guaranteed about them, so a "
        f"better candidate may exist among them): {stated[0].lower()}{stated[1:]}"
    )


def _guarantee(study: Study, selection: Selection) -> str:
    spec = study.spec
    confidence = f"{spec.confidence:.0%}"
    label = objective_label(study)
    lowest, lower = ("lowest", "lower") if spec.objective.goal == "minimise" else ("highest", "higher")
    if not selection.guaranteed:
        undecided = sum(result.status == "undecided" for result in selection.candidates)
        return (
            f"No guarantee: {undecided} candidate(s) reached max_replications ({spec.max_replications}) "
            "without a decision (or the best could not be separated in time); raise max_replications or "
            "widen the tolerances."
        )
    if selection.chosen is None:
        return (
            f"With {confidence} confidence, no candidate meets every target: each misses at least one "
            "(or is within its tolerance of it). Widen the candidates or relax a target."
        )
    name = study.names[selection.chosen]
    if spec.objective.is_deterministic():
        return (
            f"With {confidence} confidence, {name} is the candidate with the {lowest} {label} that meets "
            "every target: it meets each to within its tolerance, and every candidate with a "
            f"{lower} {label} misses at least one target (or is within its tolerance of it)."
        )
    return (
        f"With {confidence} confidence, {name} meets every target (each to within its tolerance) and its "
        f"mean {label} is within {spec.indifference_zone:g} of the best candidate that "
        "meets every target by at least its tolerance (indifference-zone guarantee: docs/optimise.md)."
    )


def write_figure(path: Path, study: Study, selection: Selection) -> None:
    """Every candidate checked: objective against the first target's estimate, coloured by status."""
    from matplotlib.figure import Figure  # not pyplot: no backend is chosen for the caller

    rows = selection_rows(study, selection)
    figure = Figure(figsize=(7, 4.5))
    axes = figure.subplots()
    colours = {  # drawn in this order: the chosen one last, on top
        "screened_out": "#eeeeee",
        "not_checked": "#cccccc",
        "undecided": "#999999",
        "infeasible": "#d6604d",
        "feasible": "#7fbf7b",
        "chosen": "#1b7837",
    }
    targets = study.spec.constraints
    if targets:
        first = targets[0]
        ylabel = f"{first.kpi} ({'share meeting the bound' if first.kind == 'chance' else 'mean'})"
        column = f"{first.kpi}_{'share' if first.kind == 'chance' else 'mean'}"
        limit = first.share if first.kind == "chance" else first.bound
    else:
        ylabel, column, limit = "replications", "replications", None
    for status, colour in colours.items():
        xs = [float(row["objective"]) for row in rows if row["status"] == status and row["objective"] != ""]
        ys = [
            float(row[column]) if row[column] != "" else math.nan
            for row in rows
            if row["status"] == status and row["objective"] != ""
        ]
        if xs:
            chosen = status == "chosen"
            axes.scatter(
                xs,
                ys,
                color=colour,
                label=status.replace("_", " "),
                s=160 if chosen else 36,
                marker="*" if chosen else "o",
                edgecolor="black",
                lw=0.4,
                zorder=3 if chosen else 2,
            )
    if limit is not None:
        axes.axhline(limit, color="black", lw=0.8, ls="--", label="target")
    axes.set_xlabel(objective_label(study))
    axes.set_ylabel(ylabel)
    axes.set_title(f"{study.name}: each candidate's estimates (not checked: one replication)", fontsize=10)
    axes.legend(fontsize=8, frameon=False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    write_bytes_atomic(path, buffer.getvalue())


def report_html(study: Study, selection: Selection, figure: bytes, screened: Screened | None = None) -> str:
    """A one-page report: the answer, the guarantee in plain words, the method, the table and the figure."""
    spec = study.spec
    rows = selection_rows(study, selection)
    used = sum(c.replications for c in selection.candidates if c.status != "screened_out")
    screening = ""
    if screened is None:
        fixed = fixed_sample_replications(study, selection)
    else:
        settings = screened.settings
        screening = (
            f"<p>Screening: Optuna's {'TPE' if settings.sampler == 'tpe' else 'random'} sampler (seed "
            f"{settings.seed}) ran {screened.trials} trials in batches of {settings.batch}, trying "
            f"{len(screened.tried)} of the {len(study.names)} candidates with {settings.replications} "
            f"replications each ({screened.replications} in all, on random numbers the clean-up never "
            f"reads); the {len(screened.shortlist)} best tried (those meeting every target to within its "
            "tolerance first, by objective) were handed to the guaranteed procedure below, which "
            "compares only them.</p>"
        )
        fixed = sum(stein_or_first(study, selection, i) for i in screened.shortlist)
    sources = "a sequential test (Andradottir & Kim 2010; Batur & Kim 2010)"
    method = (
        f"cheapest first: each candidate's feasibility checked by {sources} until one is declared feasible"
        if spec.objective.is_deterministic()
        else f"feasibility of every candidate by {sources}, then KN (Kim & Nelson 2001) among the feasible, "
        "with common random numbers"
    )
    head = "".join(f"<th>{html.escape(str(key))}</th>" for key in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(value))}</td>" for value in row.values()) + "</tr>"
        for row in rows
    )
    targets = "".join(f"<li>{html.escape(target.describe())}</li>" for target in spec.constraints)
    chosen = "none" if selection.chosen is None else study.names[selection.chosen]
    picture = base64.b64encode(figure).decode("ascii")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(study.name)}: optimisation</title>
<style>body{{font-family:sans-serif;max-width:70em;margin:2em auto}}
table{{border-collapse:collapse;font-size:85%}}
td,th{{border:1px solid #ccc;padding:2px 6px}}</style></head><body>
<h1>{html.escape(study.name)}: optimisation</h1>
<p>{html.escape(spec.description)}</p>
<h2>Answer: {html.escape(chosen)}</h2>
<p><strong>{html.escape(guarantee(study, selection, screened))}</strong></p>
<p>Objective: {spec.objective.goal} {html.escape(objective_label(study))}. Targets:</p><ul>{targets}</ul>
<p>Method: {html.escape(method)}; confidence {spec.confidence:g}, first stage {spec.first_stage} replications,
batches of {spec.batch}, at most {spec.max_replications} per candidate; seed {study.seed}.</p>
{screening}<p>Replications simulated{" by the clean-up" if screened else ""}: {used} over
{len(screened.shortlist) if screened else len(study.names)} candidates; a two-stage fixed-sample check
(Stein) of every {"short-listed " if screened else ""}candidate with the same confidence and tolerances
would need at least {fixed}.</p>
<img alt="candidates" src="data:image/png;base64,{picture}">
<h2>Every candidate</h2><table><tr>{head}</tr>{body}</table>
</body></html>
"""


def chosen_yaml(study: Study, selection: Selection, screened: Screened | None = None) -> str | None:
    """The chosen candidate's full config, as ``simiop run`` reads it (None when nothing was chosen)."""
    if selection.chosen is None:
        return None
    name = study.names[selection.chosen]
    config = study.configs[selection.chosen]
    changes = ", ".join(f"{path}={value}" for path, value in study.changes[selection.chosen].items())
    header = (
        f"# Chosen by simiop optimise ({study.name}): candidate {name}\n"
        f"# changes from the base: {changes}\n"
        f"# {guarantee(study, selection, screened)}\n"
    )
    return header + yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False, allow_unicode=True)


def write_outputs(
    out: Path, study: Study, selection: Selection, screened: Screened | None = None
) -> list[str]:
    """Write every result file; the names written (relative to ``out``)."""
    from simiop.optimisation.runner import CHOSEN, FIGURE, REPORT, SELECTION

    written = [SELECTION, FIGURE, REPORT]
    write_text_atomic(out / SELECTION, csv_text(selection_rows(study, selection)))
    write_figure(out / FIGURE, study, selection)
    write_text_atomic(out / REPORT, report_html(study, selection, (out / FIGURE).read_bytes(), screened))
    chosen = chosen_yaml(study, selection, screened)
    if chosen is not None:
        write_text_atomic(out / CHOSEN, chosen)
        written.append(CHOSEN)
    elif (out / CHOSEN).is_file():
        (out / CHOSEN).unlink()  # a chosen config from an earlier run of this optimisation is not the answer
    return written
