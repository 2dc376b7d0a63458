"""A sensitivity study's figures (tornado, Sobol' bars, Morris, PSA histograms, acceptability) and page.

Drawn from the arrays the run just computed, with the report's style and
byte-stable saving (``simiop.report.figure``); written with the report's
record of files, so ``--force`` and a rebuild remove only what simiop wrote.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from simiop.experiments.owned import REPORT
from simiop.report.build import _figure_files, _write_report_files
from simiop.report.figure import PALETTE, Drawing, drawing, finish, new_figure
from simiop.report.html import esc, figure_block, page
from simiop.sensitivity.analysis import morris_indices, oat_effects, sobol_indices
from simiop.sensitivity.run import SensitivityOutcome
from simiop.sensitivity.tables import kpi_words


def tornado(outcome: SensitivityOutcome, k: int) -> Drawing:
    """One KPI's tornado: each input's low and high case as a bar from the base, widest swing on top."""
    study, kpi = outcome.study, outcome.study.spec.kpis[k]
    effects = oat_effects(outcome.values[:, :, k], outcome.design.inputs)
    order = sorted(effects, key=lambda e: e.swing)
    labels = [study.label(e.input) for e in order]
    figure, (axes,) = new_figure(height=1.0 + 0.35 * len(order))
    base = effects[0].base_mean if effects else 0.0
    y = np.arange(len(order))
    axes.barh(y, [e.low_change for e in order], left=base, color=PALETTE[0], label="low value")
    axes.barh(y, [e.high_change for e in order], left=base, color=PALETTE[1], label="high value")
    for row, effect in enumerate(order):
        for lo, hi in (effect.low_change_ci, effect.high_change_ci):
            if np.isfinite(lo) and np.isfinite(hi):
                axes.plot([base + lo, base + hi], [row, row], color="black", linewidth=0.8)
    axes.axvline(base, color="black", linewidth=0.8)
    axes.set_yticks(y, labels)
    shown = f"{base:,.0f}" if abs(base) >= 100 else f"{base:.3g}"
    axes.set_xlabel(f"{kpi} (base {shown})")
    axes.legend(loc="lower right")
    rows = [[e.input, e.base_mean, e.low_change, e.high_change, e.swing] for e in effects]
    return finish(
        figure,
        f"tornado_{kpi}",
        f"Tornado: {kpi_words(kpi)}",
        "Each input at its low (blue) and high (orange) value, every other input as the base config has it; "
        "black lines are 95% CIs of the paired difference (common random numbers).",
        ["input", "base_mean", "low_change", "high_change", "swing"],
        rows,
    )


def sobol_bars(outcome: SensitivityOutcome, k: int) -> Drawing:
    """First-order and total Sobol' indices with bootstrap 95% CIs for one KPI."""
    study, kpi = outcome.study, outcome.study.spec.kpis[k]
    names = outcome.design.inputs
    found = sobol_indices(outcome.values[:, :, k], len(names), study.spec.bootstrap, study.sampling_seed)
    figure, (axes,) = new_figure(height=1.2 + 0.35 * len(names))
    y = np.arange(len(names))
    axes.barh(y - 0.2, found.s1, 0.4, xerr=found.s1_conf, color=PALETTE[0], label="first order")
    axes.barh(y + 0.2, found.st, 0.4, xerr=found.st_conf, color=PALETTE[1], label="total")
    axes.set_yticks(y, [study.label(n) for n in names])
    axes.set_xlabel("share of variance")
    axes.legend(loc="lower right")
    noise = "n/a (1 replication)" if np.isnan(found.noise_share) else f"{found.noise_share:.1%}"
    rows = [[n, found.s1[i], found.s1_conf[i], found.st[i], found.st_conf[i]] for i, n in enumerate(names)]
    return finish(
        figure,
        f"sobol_{kpi}",
        f"Sobol' indices: {kpi_words(kpi)}",
        f"Bars: indices of the replication means; whiskers: bootstrap 95% CIs. Simulation noise is {noise} "
        "of the variance of the point means.",
        ["input", "first_order", "first_order_conf", "total", "total_conf"],
        rows,
    )


def morris_bars(outcome: SensitivityOutcome, k: int) -> Drawing:
    study, kpi = outcome.study, outcome.study.spec.kpis[k]
    names = outcome.design.inputs
    assert outcome.design.unit is not None
    found = morris_indices(
        outcome.design.unit,
        outcome.values[:, :, k],
        study.spec.levels,
        study.spec.bootstrap,
        study.sampling_seed,
    )
    figure, (axes,) = new_figure(height=1.2 + 0.35 * len(names))
    y = np.arange(len(names))
    axes.barh(y, found.mu_star, xerr=found.mu_star_conf, color=PALETTE[0], label="mu*")
    axes.plot(found.sigma, y, "o", color=PALETTE[1], label="sigma")
    axes.set_yticks(y, [study.label(n) for n in names])
    axes.set_xlabel(f"elementary effect on {kpi} (low to high)")
    axes.legend(loc="lower right")
    rows = [[n, found.mu_star[i], found.mu_star_conf[i], found.sigma[i]] for i, n in enumerate(names)]
    return finish(
        figure,
        f"morris_{kpi}",
        f"Morris screening: {kpi_words(kpi)}",
        "mu*: mean absolute elementary effect (with bootstrap 95% CI); "
        "sigma: their spread (interactions, curvature).",
        ["input", "mu_star", "mu_star_conf", "sigma"],
        rows,
    )


def psa_histogram(outcome: SensitivityOutcome, k: int) -> Drawing:
    kpi = outcome.study.spec.kpis[k]
    points = len(outcome.design.labels)
    figure, (axes,) = new_figure()
    rows = []
    for o, option in enumerate(outcome.options):
        means = outcome.values[o * points : (o + 1) * points, :, k].mean(axis=1)
        axes.hist(means, bins=20, alpha=0.6, color=PALETTE[o % len(PALETTE)], label=option)
        rows += [[option, i, float(v)] for i, v in enumerate(means)]
    axes.set_xlabel(kpi)
    axes.set_ylabel("input sets")
    if len(outcome.options) > 1:
        axes.legend()
    return finish(
        figure,
        f"psa_{kpi}",
        f"PSA: {kpi_words(kpi)}",
        "Each input set's expected value (mean of its replications): the spread the input uncertainty makes.",
        ["option", "input_set", "mean"],
        rows,
    )


def acceptability(outcome: SensitivityOutcome, target_index: int) -> Drawing:
    target = outcome.study.spec.targets[target_index]
    k = outcome.study.spec.kpis.index(target.kpi)
    points = len(outcome.design.labels)
    every = outcome.values[:, :, k].mean(axis=1)
    thresholds = np.linspace(float(every.min()), float(every.max()), 41)
    figure, (axes,) = new_figure()
    rows = []
    for o, option in enumerate(outcome.options):
        means = outcome.values[o * points : (o + 1) * points, :, k].mean(axis=1)
        shares = [
            float(np.mean(means >= t if target.at_least is not None else means <= t)) for t in thresholds
        ]
        axes.plot(thresholds, shares, color=PALETTE[o % len(PALETTE)], label=option)
        rows += [[option, float(t), s] for t, s in zip(thresholds, shares, strict=True)]
    bound = target.at_least if target.at_least is not None else target.at_most
    axes.axvline(float(bound), color="black", linestyle="--", linewidth=0.8)  # type: ignore[arg-type]
    axes.set_xlabel(f"target for {target.kpi} ({'at least' if target.at_least is not None else 'at most'})")
    axes.set_ylabel("probability met")
    axes.set_ylim(-0.02, 1.02)
    axes.legend()
    return finish(
        figure,
        f"acceptability_{target.kpi}",
        f"Acceptability: {kpi_words(target.kpi)}",
        "Probability (over the input sets) that each option meets the target, for every target value; "
        "dashed: the target in the file.",
        ["option", "threshold", "probability_met"],
        rows,
    )


def drawings(outcome: SensitivityOutcome) -> list[Drawing]:
    method = outcome.study.spec.method
    count = len(outcome.study.spec.kpis)
    if method == "oat":
        return [tornado(outcome, k) for k in range(count)]
    if method == "sobol":
        return [sobol_bars(outcome, k) for k in range(count)]
    if method == "morris":
        return [morris_bars(outcome, k) for k in range(count)]
    drawn = [psa_histogram(outcome, k) for k in range(count)]
    kpis = outcome.study.spec.kpis
    return drawn + [
        acceptability(outcome, i) for i, t in enumerate(outcome.study.spec.targets) if t.kpi in kpis
    ]


def write_report(outcome: SensitivityOutcome) -> Path:
    """Draw the figures and write report.html beside the tables; returns the page's path."""
    with drawing():
        figures = [drawn.render() for drawn in drawings(outcome)]
    spec = outcome.study.spec
    intro = esc(spec.description) if spec.description else ""
    tables = ", ".join(
        f'<a href="{name}">{name}</a>' for name in sorted(outcome.manifest["files"]) if "/" not in name
    )
    body = (
        f"<h1>Sensitivity: {esc(outcome.study.name)} ({esc(spec.method)})</h1><p>{intro}</p>"
        f"<p><strong>{esc(outcome.sentence)}</strong></p>"
        f"<p>{len(outcome.design.labels)} points x {len(outcome.options)} option(s) x {spec.replications} "
        f"replications with common random numbers. Tables: {tables}.</p>"
        + (
            f"<p>Input sets: the parameter sets of {esc(outcome.study.parameter_sets.file)} "
            f"(SHA-256 {outcome.study.parameter_sets.sha256[:12]}...), each applied onto the base config.</p>"
            if outcome.study.parameter_sets is not None
            else ""
        )
        + "".join(figure_block(f) for f in figures)
    )
    html = page(f"Sensitivity: {outcome.study.name}", body).encode("utf-8")
    _write_report_files(outcome.out, {**_figure_files(figures), REPORT: html})
    return outcome.out / REPORT
