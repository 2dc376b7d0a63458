"""The sensitivity tables (CSV) and the sentence naming the inputs that matter most.

Numbers are written with ``repr`` (the shortest text that reads back as the
same float), so a re-run writes the same bytes and ``simiop reproduce``
compares them by checksum.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from simiop.atomic import write_text_atomic
from simiop.sensitivity.analysis import (
    OatEffect,
    morris_indices,
    oat_effects,
    psa_summary,
    rank_correlations,
    sobol_indices,
)
from simiop.sensitivity.design import Design
from simiop.sensitivity.study import Study

IMPORTANCE = "importance.csv"

KPI_WORDS = {
    "unduplicated_patients_served": "people served",
    "admissions": "admissions",
    "revenue_usd": "revenue",
    "net_surplus_usd": "net surplus",
    "total_cost_usd": "total cost",
    "wait_referral_to_admission_days_mean": "the wait from referral to admission",
    "wait_referral_to_admission_days_median": "the median wait from referral to admission",
    "wait_referral_to_assessment_days_mean": "the wait for an assessment",
}
"""KPIs in plain words for the sentence (others are shown with underscores as spaces)."""

MEASURES = {"oat": "swing", "morris": "mu_star", "sobol": "total_index", "psa": "abs_rank_correlation"}


def _cell(value: float | str | int) -> str:
    if isinstance(value, str):
        return '"' + value.replace('"', '""') + '"' if ("," in value or '"' in value) else value
    if isinstance(value, int):
        return str(value)
    return "nan" if math.isnan(value) else repr(float(value))


def _csv(header: Sequence[str], rows: Sequence[Sequence[float | str | int]]) -> str:
    return "\n".join([",".join(header), *(",".join(_cell(v) for v in row) for row in rows)]) + "\n"


def _clear(effect: OatEffect) -> bool:
    """Whether the low or the high change's 95% CI excludes 0.

    With no CI (one replication) no change can be told from noise, so none counts as clear.
    """
    for low, high in (effect.low_change_ci, effect.high_change_ci):
        if not (math.isnan(low) or math.isnan(high)) and (low > 0 or high < 0):
            return True
    return False


def kpi_words(kpi: str) -> str:
    return KPI_WORDS.get(kpi, kpi.replace("_", " "))


def sentence(study: Study, ranking: dict[str, list[str]]) -> str:
    """'For people served, the inputs that matter most are A, B and C; for revenue, ...'."""
    parts = []
    for kpi, names in ranking.items():
        shown = [study.label(name) for name in names[:3]]
        if not shown:
            parts.append(f"for {kpi_words(kpi)}, no input has an effect these runs can tell from noise")
            continue
        listed = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + f" and {shown[-1]}"
        parts.append(f"for {kpi_words(kpi)}, {listed}")
    if not parts:
        return ""
    text = "; ".join(parts)
    method = {
        "oat": "one at a time",
        "morris": "by Morris screening",
        "sobol": "by total Sobol' index",
        "psa": "by rank correlation across the input sets",
    }[study.spec.method]
    return f"The inputs that matter most ({method}): {text[0].upper()}{text[1:]}."


def write_tables(
    out: Path, study: Study, design: Design, values: np.ndarray, options: tuple[str, ...]
) -> tuple[list[Path], str]:
    """Write the method's tables and importance.csv and values.csv; return their paths and the sentence."""
    spec = study.spec
    kpis = spec.kpis
    names = design.inputs
    labels = {name: study.label(name) for name in names}
    tables: dict[str, str] = {}
    importance: list[list[float | str | int]] = []
    ranking: dict[str, list[str]] = {}
    seed = study.sampling_seed
    points = len(design.labels)

    def rank(kpi: str, scores: np.ndarray, detected: np.ndarray) -> None:
        """Rank the inputs by ``scores``; the sentence names only those ``detected`` (told from noise)."""
        order = sorted(
            range(len(names)), key=lambda i: (-(scores[i] if math.isfinite(scores[i]) else -1.0), i)
        )
        ranking[kpi] = [names[i] for i in order if math.isfinite(scores[i]) and scores[i] > 0 and detected[i]]
        for position, i in enumerate(order, start=1):
            importance.append(
                [kpi, position, names[i], labels[names[i]], MEASURES[spec.method], float(scores[i])]
            )

    if spec.method == "oat":
        rows: list[list[float | str | int]] = []
        for k, kpi in enumerate(kpis):
            effects = oat_effects(values[:, :, k], names)
            for effect in effects:
                item = spec.inputs[effect.input]
                rows.append(
                    [
                        kpi,
                        effect.input,
                        labels[effect.input],
                        item.low,
                        item.high,
                        effect.base_mean,
                        effect.low_mean,
                        effect.high_mean,
                        effect.low_change,
                        *effect.low_change_ci,
                        effect.high_change,
                        *effect.high_change_ci,
                        effect.swing,
                    ]
                )
            rank(kpi, np.array([e.swing for e in effects]), np.array([_clear(e) for e in effects]))
        tables["oat.csv"] = _csv(
            [
                "kpi",
                "input",
                "label",
                "low",
                "high",
                "base_mean",
                "low_mean",
                "high_mean",
                "low_change",
                "low_change_ci95_low",
                "low_change_ci95_high",
                "high_change",
                "high_change_ci95_low",
                "high_change_ci95_high",
                "swing",
            ],
            rows,
        )
    elif spec.method == "morris":
        rows = []
        assert design.unit is not None
        for k, kpi in enumerate(kpis):
            screened = morris_indices(design.unit, values[:, :, k], spec.levels, spec.bootstrap, seed)
            for i, name in enumerate(names):
                rows.append(
                    [
                        kpi,
                        name,
                        labels[name],
                        screened.mu[i],
                        screened.mu_star[i],
                        screened.mu_star_conf[i],
                        screened.sigma[i],
                    ]
                )
            rank(kpi, screened.mu_star, ~(screened.mu_star - screened.mu_star_conf <= 0))
        tables["morris.csv"] = _csv(
            ["kpi", "input", "label", "mu", "mu_star", "mu_star_ci95_half_width", "sigma"], rows
        )
    elif spec.method == "sobol":
        rows = []
        noise_rows: list[list[float | str | int]] = []
        for k, kpi in enumerate(kpis):
            found = sobol_indices(values[:, :, k], len(names), spec.bootstrap, seed)
            for i, name in enumerate(names):
                rows.append(
                    [kpi, name, labels[name], found.s1[i], found.s1_conf[i], found.st[i], found.st_conf[i]]
                )
            noise_rows.append([kpi, found.noise_share])
            rank(kpi, found.st, ~(found.st - found.st_conf <= 0))
        tables["sobol.csv"] = _csv(
            [
                "kpi",
                "input",
                "label",
                "first_order",
                "first_order_ci95_half_width",
                "total",
                "total_ci95_half_width",
            ],
            rows,
        )
        tables["sobol_noise.csv"] = _csv(["kpi", "noise_share_of_variance"], noise_rows)
    else:
        summary_rows: list[list[float | str | int]] = []
        corr_rows: list[list[float | str | int]] = []
        target_rows: list[list[float | str | int]] = []
        curve_rows: list[list[float | str | int]] = []
        for o, option in enumerate(options):
            block = values[o * points : (o + 1) * points]
            means = block.mean(axis=1)
            for k, kpi in enumerate(kpis):
                spread = psa_summary(block[:, :, k])
                summary_rows.append(
                    [
                        option,
                        kpi,
                        spread.mean,
                        spread.sd,
                        spread.low,
                        spread.high,
                        spread.input_variance,
                        spread.stochastic_variance,
                        spread.input_share,
                    ]
                )
                scores, chances = rank_correlations(design.values, block[:, :, k])
                for i, name in enumerate(names):
                    corr_rows.append([option, kpi, name, labels[name], float(scores[i]), float(chances[i])])
                if o == 0:
                    rank(kpi, scores, chances < 0.05)
            met_all = np.ones(points, dtype=bool)
            for target in spec.targets:
                column = means[:, kpis.index(target.kpi)] if target.kpi in kpis else np.full(points, np.nan)
                met = np.array([target.met(v) for v in column])
                met_all &= met
                target_rows.append([option, target.describe(), float(met.mean())])
            if spec.targets:
                target_rows.append([option, "all targets", float(met_all.mean())])
        for target in spec.targets:
            if target.kpi not in kpis:
                continue
            k = kpis.index(target.kpi)
            every = values[:, :, k].mean(axis=1)
            for threshold in np.linspace(float(np.min(every)), float(np.max(every)), 21):
                for o, option in enumerate(options):
                    column = values[o * points : (o + 1) * points, :, k].mean(axis=1)
                    share = float(
                        np.mean(column >= threshold if target.at_least is not None else column <= threshold)
                    )
                    curve_rows.append([target.kpi, float(threshold), option, share])
        tables["psa.csv"] = _csv(
            [
                "option",
                "kpi",
                "mean",
                "sd",
                "p2_5",
                "p97_5",
                "input_variance",
                "stochastic_variance",
                "input_share_of_variance",
            ],
            summary_rows,
        )
        tables["psa_importance.csv"] = _csv(
            ["option", "kpi", "input", "label", "abs_rank_correlation", "p_value"], corr_rows
        )
        if spec.targets:
            tables["psa_targets.csv"] = _csv(["option", "target", "probability_met"], target_rows)
            tables["acceptability.csv"] = _csv(["kpi", "threshold", "option", "probability_met"], curve_rows)
    tables[IMPORTANCE] = _csv(["kpi", "rank", "input", "label", "measure", "value"], importance)
    value_rows: list[list[float | str | int]] = []
    for flat in range(values.shape[0]):
        option, point = options[flat // points], flat % points
        for r in range(values.shape[1]):
            for k, kpi in enumerate(kpis):
                value_rows.append([flat, option, design.labels[point], r, kpi, float(values[flat, r, k])])
    tables["values.csv"] = _csv(["point", "option", "label", "replication", "kpi", "value"], value_rows)
    text = sentence(study, ranking)
    tables["findings.txt"] = text + "\n"
    paths = []
    for name, body in tables.items():
        write_text_atomic(out / name, body)
        paths.append(out / name)
    return paths, text
