"""What ``simiop calibrate`` writes into its folder (docs/calibrate.md lists every file and column).

No output holds a patient identifier: the tables hold parameters, counts and durations only, and the
figures aggregates (monthly counts, survival curves).
"""

from __future__ import annotations

import csv
import html
import io
import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import yaml

from simiop.atomic import write_bytes_atomic, write_text_atomic
from simiop.calibrate.bootstrap import BootstrapSets
from simiop.calibrate.fits import Estimate, wilson
from simiop.calibrate.holdout import Holdout, coverage_lines, holdout_csv
from simiop.calibrate.pipeline import Calibration
from simiop.calibrate.referrals import fitted_means, monthly
from simiop.calibrate.show import ShowFit
from simiop.calibrate.stay import StayFit, fitted_survival

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FILES = (
    "fragment.yaml",
    "calibrated.yaml",
    "fits.csv",
    "estimates.csv",
    "parameter_sets.csv",
    "report.html",
    "figures/referrals.png",
    "figures/stay.png",
    "figures/pp.png",
)
"""Every file the command writes (and the only ones ``--force`` replaces)."""
OPTIONAL_FILES = ("holdout.csv", "figures/show.png")
"""Files written only with --holdout-from or --bookings; an earlier calibration's are removed without."""


def _csv(rows: list[list[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    return buffer.getvalue()


def _number(value: float) -> str:
    return "nan" if not math.isfinite(value) else f"{value:.6g}"


def fits_csv(calibration: Calibration) -> str:
    rows: list[list[object]] = [
        ["part", "model", "parameters", "log_likelihood", "k", "n", "aic", "bic", "chosen", "notes"]
    ]
    for c in calibration.candidates:
        parameters = ";".join(f"{name}={_number(value)}" for name, value in c.parameters.items())
        rows.append(
            [
                c.part,
                c.model,
                parameters,
                _number(c.log_likelihood),
                c.k,
                c.n,
                _number(c.aic),
                _number(c.bic),
                int(c.chosen),
                c.notes,
            ]
        )
    return _csv(rows)


def estimates_csv(estimates: list[Estimate]) -> str:
    rows: list[list[object]] = [["path", "estimate", "ci95_low", "ci95_high", "method", "n"]]
    rows += [[e.path, _number(e.value), _number(e.low), _number(e.high), e.method, e.n] for e in estimates]
    return _csv(rows)


def parameter_sets(sets: BootstrapSets) -> str:
    """The bootstrap parameter sets (simiop.calibrate.bootstrap), one row each, one column per estimate's
    config path (each row's values come from one refit, so they keep the fits' correlations)."""
    rows: list[list[object]] = [["set", *sets.columns]]
    for index, values in enumerate(sets.values):
        rows.append([index, *(f"{float(value):.6g}" for value in values)])
    return _csv(rows)


def _yaml(data: object, title: str) -> str:
    return f"# {title}\n" + yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=110)


def _png(figure: object) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)  # type: ignore[attr-defined]
    return buffer.getvalue()


def stay_figure(stay: StayFit | None) -> Figure:
    """Kaplan-Meier of the time to completion against the fitted planned stay, and its P-P plot; with no
    fit (too few completions, none admitted) the two panels say the base config's plan is kept."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy import stats

    figure, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    if stay is not None:
        completed = stay.data.events("completed")
        censored = stats.CensoredData(
            uncensored=stay.data.weeks[completed], right=stay.data.weeks[~completed]
        )
        km = stats.ecdf(censored).sf
        grid = np.linspace(0, float(stay.data.weeks.max()), 200)
        axes[0].step(km.quantiles, km.probabilities, where="post", label="Kaplan-Meier (to completion)")
        axes[0].plot(grid, fitted_survival(stay, grid), label=f"fitted {stay.family}")
        axes[0].set_xlabel("weeks since admission")
        axes[0].set_title("Planned stay: Kaplan-Meier vs fitted", fontsize=9)
        axes[0].legend(fontsize=7)
        empirical = 1.0 - km.probabilities
        fitted = 1.0 - fitted_survival(stay, km.quantiles)
        axes[1].plot(empirical, fitted, ".", markersize=3)
        axes[1].plot([0, 1], [0, 1], "k--", linewidth=0.8)
        axes[1].set_xlabel("Kaplan-Meier CDF")
        axes[1].set_ylabel("fitted CDF")
        axes[1].set_title("P-P plot: planned stay", fontsize=9)
    else:  # too few completions (or none admitted): the base's plan is kept (the report's notes say why)
        for axis in axes:
            axis.set_axis_off()
            axis.text(
                0.5, 0.5, "planned stay not fitted:\nthe base config's is kept", ha="center", va="center"
            )
    figure.tight_layout()
    return figure


def figures(calibration: Calibration) -> dict[str, bytes]:
    """The goodness-of-fit figures as PNG bytes by file name."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy import stats

    result: dict[str, bytes] = {}
    sources = calibration.sources
    figure, axes = plt.subplots(len(sources), 1, figsize=(8, 2.4 * len(sources)), squeeze=False)
    for axis, fit in zip(axes[:, 0], sources, strict=False):
        observed, expected = monthly(fit.data, fit.fits[fit.chosen])
        x = np.arange(observed.size)
        axis.fill_between(
            x,
            stats.poisson.ppf(0.025, expected),
            stats.poisson.ppf(0.975, expected),
            alpha=0.3,
            label="fitted 95% range (Poisson)",
        )
        axis.plot(x, expected, label=f"fitted ({fit.chosen})")
        axis.plot(x, observed, "o", markersize=3, label="observed")
        axis.set_title(f"{fit.name}: referrals per calendar month from {fit.data.first:%Y-%m}", fontsize=9)
        axis.legend(fontsize=7)
    figure.tight_layout()
    result["figures/referrals.png"] = _png(figure)
    plt.close(figure)
    figure = stay_figure(calibration.stay)
    result["figures/stay.png"] = _png(figure)
    plt.close(figure)
    figure, axes = plt.subplots(1, len(sources), figsize=(2.6 * len(sources), 2.8), squeeze=False)
    for axis, fit in zip(axes[0], sources, strict=False):
        means = fitted_means(fit.data, fit.fits[fit.chosen])
        levels = np.sort(
            stats.poisson.cdf(fit.data.counts, means) - 0.5 * stats.poisson.pmf(fit.data.counts, means)
        )
        axis.plot((np.arange(levels.size) + 0.5) / levels.size, levels, ".", markersize=3)
        axis.plot([0, 1], [0, 1], "k--", linewidth=0.8)
        axis.set_title(f"P-P: {fit.name}", fontsize=8)
        axis.set_xlabel("uniform", fontsize=7)
    axes[0, 0].set_ylabel("fitted CDF of weekly counts (mid-p)", fontsize=7)
    figure.tight_layout()
    result["figures/pp.png"] = _png(figure)
    plt.close(figure)
    if calibration.show is not None:
        result["figures/show.png"] = show_figure(calibration.show)
    return result


def show_bins(days: np.ndarray, came: np.ndarray, bins: int = 8) -> list[tuple[float, int, int]]:
    """Bookings in up to ``bins`` groups of about equal size by days waited (ties kept together): per
    group, the mean days waited, the attended and the bookings."""
    order = np.argsort(days, kind="stable")
    edges = np.unique(np.quantile(days, np.linspace(0, 1, bins + 1))[1:-1])
    groups = np.searchsorted(edges, days[order], side="right")
    result = []
    for group in np.unique(groups):
        members = order[groups == group]
        result.append((float(days[members].mean()), int(came[members].sum()), int(members.size)))
    return result


def show_figure(show: ShowFit) -> bytes:
    """Observed show shares (bookings binned by days waited, Wilson 95% intervals) against the fitted
    curve and the constant show rate, one panel per fitted curve."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = show.groups
    figure, axes = plt.subplots(1, len(groups), figsize=(4.2 * len(groups), 3.2), squeeze=False)
    for axis, group in zip(axes[0], groups, strict=True):
        binned = show_bins(group.days, group.came)
        x = np.array([b[0] for b in binned])
        share = np.array([b[1] / b[2] for b in binned])
        bounds = np.array([wilson(b[1], b[2]) for b in binned])
        axis.errorbar(
            x,
            share,
            yerr=[share - bounds[:, 0], bounds[:, 1] - share],
            fmt="o",
            markersize=3,
            capsize=2,
            label="observed (Wilson 95%)",
        )
        grid = np.linspace(0.0, max(float(group.days.max()), group.curve.knots[-1]), 200)
        axis.plot(
            grid,
            group.curve.at(grid),
            label=f"piecewise linear{' (chosen)' if group.chosen != 'constant' else ''}",
        )
        axis.plot(
            grid,
            group.constant.at(grid),
            "--",
            label=f"constant{' (chosen)' if group.chosen == 'constant' else ''}",
        )
        axis.set_ylim(0, 1)
        axis.set_xlabel("days waited (booking to slot)")
        axis.set_title(f"Show rate: {group.name} ({group.days.size} bookings)", fontsize=9)
        axis.legend(fontsize=7)
    axes[0, 0].set_ylabel("share who came")
    figure.tight_layout()
    data = _png(figure)
    plt.close(figure)
    return data


BOLD = ' style="font-weight:bold"'


def _holdout_section(held: Holdout | None) -> str:
    if held is None:
        return ""
    escape = html.escape
    lines = "".join(f"<li>{escape(line)}</li>" for line in coverage_lines(held))
    rows = "".join(
        f"<tr{'' if row.covered else BOLD}><td>{escape(row.measure)}</td><td>{escape(row.period)}</td>"
        f"<td>{row.observed:.4g}</td><td>{row.simulated.mean:.4g}</td>"
        f"<td>{row.simulated.outcome95_low:.4g} - {row.simulated.outcome95_high:.4g}</td>"
        f"<td>{'yes' if row.covered else 'no'}</td></tr>"
        for row in held.rows
    )
    return (
        f"<h2>Hold-out validation from {held.cut} ({held.replications} replications)</h2>"
        f"<p>Fitted on the data before {held.cut}; the period from then is simulated and compared "
        f"(bold: outside the simulated 95% outcome range).</p><ul>{lines}</ul>"
        "<table><tr><th>measure</th><th>period</th><th>observed</th><th>simulated mean</th>"
        f"<th>95% outcome range</th><th>covered</th></tr>{rows}</table>"
    )


def _show_image(calibration: Calibration) -> str:
    if calibration.show is None:
        return ""
    return (
        '<br><img src="figures/show.png" alt="observed show shares by days waited against the fitted '
        'show-rate curve">'
    )


def report_html(calibration: Calibration, held: Holdout | None = None) -> str:
    """A one-page report: notes, the chosen fits with intervals, the figures and every candidate."""
    escape = html.escape
    rows = "".join(
        f"<tr><td>{escape(e.path)}</td><td>{e.value:.4g}</td><td>{e.low:.4g} - {e.high:.4g}</td>"
        f"<td>{escape(e.method)}</td><td>{e.n}</td></tr>"
        for e in calibration.estimates
    )
    candidates = "".join(
        f"<tr{BOLD if c.chosen else ''}><td>{escape(c.part)}</td><td>{escape(c.model)}</td>"
        f"<td>{c.k}</td><td>{_number(c.aic)}</td><td>{_number(c.bic)}</td><td>{escape(c.notes)}</td></tr>"
        for c in calibration.candidates
    )
    notes = "".join(f"<li>{escape(note)}</li>" for note in calibration.notes)
    extract = calibration.extract
    first = min(e.referred for e in extract.episodes)
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>simiop calibration</title>
<style>body{{font-family:sans-serif;max-width:1000px;margin:auto}} td,th{{padding:2px 6px;font-size:13px}}
table{{border-collapse:collapse}} tr:nth-child(even){{background:#f4f4f4}}</style></head><body>
<h1>Calibration</h1>
<p>{len(extract.episodes)} episodes, referrals from {first} to {extract.as_of}
(as of). The fragment (fragment.yaml) merged onto the base config is calibrated.yaml; it validates.</p>
<h2>Notes</h2><ul>{notes}</ul>
<h2>Fitted values (95% intervals)</h2>
<table><tr><th>config field</th><th>estimate</th><th>95% interval</th><th>method</th><th>n</th></tr>
{rows}</table>
<h2>Goodness of fit</h2>
<img src="figures/referrals.png" alt="observed vs fitted monthly referrals"><br>
<img src="figures/stay.png" alt="Kaplan-Meier vs fitted planned stay, and P-P plot"><br>
<img src="figures/pp.png" alt="P-P plots of weekly referral counts">
{_show_image(calibration)}
{_holdout_section(held)}
<h2>Every candidate (bold: chosen, lowest AIC)</h2>
<table><tr><th>part</th><th>model</th><th>k</th><th>AIC</th><th>BIC</th><th>notes</th></tr>{candidates}</table>
</body></html>
"""


def write_outputs(
    calibration: Calibration, out: Path, sets: BootstrapSets, held: Holdout | None = None
) -> list[str]:
    """Write every file of FILES into ``out`` (each atomically), and holdout.csv with ``held``."""
    (out / "figures").mkdir(parents=True, exist_ok=True)
    texts = {
        "fragment.yaml": _yaml(
            calibration.fragment, "simiop calibrate: fitted values to merge onto the base config"
        ),
        "calibrated.yaml": _yaml(
            calibration.merged, "simiop calibrate: the base config with the fragment merged in"
        ),
        "fits.csv": fits_csv(calibration),
        "estimates.csv": estimates_csv(calibration.estimates),
        "parameter_sets.csv": parameter_sets(sets),
        "report.html": report_html(calibration, held),
    }
    if held is not None:
        texts["holdout.csv"] = holdout_csv(held)
    for name, text in texts.items():
        write_text_atomic(out / name, text)
    figures_written = figures(calibration)
    for name, data in figures_written.items():
        write_bytes_atomic(out / name, data)
    for name in OPTIONAL_FILES:
        if name not in texts and name not in figures_written and (out / name).is_file():
            (out / name).unlink()  # an earlier run's (a name this command writes): not this calibration's
    return [*texts, *figures_written]
