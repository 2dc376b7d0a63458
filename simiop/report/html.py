"""report.html: one self-contained page that prints on A4 and Letter.

Images are embedded and no script, font or style is fetched.

Administrators forward it by e-mail and grant writers paste from it, so it
must open anywhere without the result folder or a network. Links to the CSV
files behind each figure are relative and work when the folder travels with it.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Iterable, Sequence

from simiop.experiments.plan import ScenarioPlan
from simiop.report.data import Projection, ResultFolder
from simiop.report.figure import NotDrawn, ReportFigure
from simiop.report.limits import folder_limits
from simiop.results.budget import scenario_budget, table_rows
from simiop.results.labels import HEADLINE, PATIENT_FLOW
from simiop.results.periods import FISCAL_YEAR, PROGRAMME_YEAR, QUARTER
from simiop.results.projections import PROJECTIONS
from simiop.results.stats import MIN_REPLICATIONS, WIDE_CI_SHARE, Summary

FIGURES_DIR = "figures"

PROJECTION_METRICS: tuple[tuple[str, str, str], ...] = (
    ("unduplicated_patients_served", "people served (unduplicated)", "{:,.0f}"),
    ("admissions", "admissions", "{:,.0f}"),
    ("completions", "completions", "{:,.0f}"),
    ("sessions_delivered", "patient sessions delivered", "{:,.0f}"),
    ("group_sessions_held", "group sessions held (clock sessions, not group-days)", "{:,.0f}"),
    ("service_hours", "service hours", "{:,.0f}"),
    ("billable_days_basic", "billable days, 3 services (basic rate)", "{:,.0f}"),
    ("billable_days_4plus_services", "billable days, 4+ services", "{:,.0f}"),
    ("share_patient_weeks_meeting_9h", "patient-weeks receiving 9 h of services", "{:.1%}"),
    ("revenue_usd", "revenue earned, by date of service (USD)", "${:,.0f}"),
    ("cash_collected_usd", "cash collected, by payment date (USD)", "${:,.0f}"),
    ("staff_cost_usd", "staff cost (USD)", "${:,.0f}"),
    ("total_cost_usd", "total cost (USD)", "${:,.0f}"),
    ("cost_per_completed_episode_usd", "cost per completed episode (USD)", "${:,.0f}"),
)
"""Projection rows of the report: (metric, label, format); revenue by payer follows revenue."""

QUARTER_METRICS = (
    "unduplicated_patients_served",
    "admissions",
    "completions",
    "sessions_delivered",
    "revenue_usd",
    "total_cost_usd",
)

_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
"""English month names, whatever the locale: the report's wording must not depend on the machine."""

_CSS = """
@page { margin: 14mm; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: #1a1a1a; max-width: 182mm; margin: 1.5em auto; padding: 0 1em;
       line-height: 1.4; font-size: 10.5pt; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; padding-bottom: 0.15em; margin-top: 1.6em; }
h3 { font-size: 1.05em; }
p.headline { font-size: 1.12em; background: #eef5fb; border-left: 4px solid #0072B2; padding: 0.6em 0.9em; }
table { border-collapse: collapse; font-size: 8.8pt; margin: 0.6em 0; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25em 0.5em; text-align: right; vertical-align: top; }
th:first-child, td:first-child, table.text th, table.text td { text-align: left; }
td small { color: #555; }
td span.sub { padding-left: 1.2em; color: #444; }
figure { margin: 1.2em 0; break-inside: avoid; page-break-inside: avoid; }
figure img { width: 100%; height: auto; }
figcaption { font-size: 9pt; color: #333; }
.source { font-size: 8.5pt; color: #555; }
table, tr, .keep { break-inside: avoid; page-break-inside: avoid; }
@media print { body { max-width: none; margin: 0; padding: 0; font-size: 10pt; } a { color: inherit; }
               h2 { break-after: avoid; page-break-after: avoid; } }
"""


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def table(
    header: Sequence[str], rows: Iterable[Sequence[str]], raw: bool = False, css_class: str = ""
) -> str:
    """An HTML table; cells are escaped unless ``raw`` (cells built here from escaped parts).

    Numbers are right-aligned; ``css_class="text"`` left-aligns a table of words.
    """
    cell = (lambda text: text) if raw else esc
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell(c)}</td>" for c in row) + "</tr>" for row in rows)
    opening = f'<table class="{css_class}">' if css_class else "<table>"
    return f"{opening}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def figure_block(figure: ReportFigure) -> str:
    png = base64.b64encode(figure.png).decode("ascii")
    base = f"{FIGURES_DIR}/{figure.name}"
    return (
        f'<figure id="{esc(figure.name)}"><h3>{esc(figure.title)}</h3>'
        f'<img alt="{esc(figure.title)}" src="data:image/png;base64,{png}">'
        f'<figcaption>{esc(figure.caption)}<br><span class="source">Data: '
        f'<a href="{esc(base)}.csv">{esc(base)}.csv</a> · image: <a href="{esc(base)}.png">PNG</a>, '
        f'<a href="{esc(base)}.svg">SVG</a></span></figcaption></figure>'
    )


def not_drawn(missing: Sequence[NotDrawn]) -> str:
    if not missing:
        return ""
    items = "".join(f"<li>{esc(m.title)}: {esc(m.reason)}</li>" for m in missing)
    return f"<p>Not drawn:</p><ul>{items}</ul>"


FLAG_MARK = "\u2020"
"""Marks a value flagged in summary.csv or projections.csv (too few replications, or a wide CI)."""


def _mark(summary: Summary) -> str:
    return f"<sup>{FLAG_MARK}</sup>" if summary.flags else ""


def _value(summary: Summary, form: str) -> str:
    """The mean and, below it, its 95% outcome range; a value the same in every replication only once.

    A folder from before the outcome range (no such columns) shows the mean alone.
    """
    if not math.isfinite(summary.mean):
        return "n/a"
    text = esc(form.format(summary.mean)) + _mark(summary)
    low, high = summary.outcome95_low, summary.outcome95_high
    if summary.n >= 2 and math.isfinite(low) and form.format(low) != form.format(high):
        text += f"<br><small>{esc(form.format(low))} to {esc(form.format(high))}</small>"
    return text


def _range(low: float, high: float, summary: Summary, form: str) -> str:
    """'low to high' of one interval; '' when there is none, 'same in every replication' when constant."""
    if summary.constant:
        return "same in every replication"
    if summary.n < 2 or not math.isfinite(low):
        return ""
    return f"{form.format(low)} to {form.format(high)}"


def intervals_note(folder: ResultFolder, where: str) -> str:
    """What the two intervals mean, that bounds are clipped, what the mark means, and whether too few ran."""
    replications = folder.plan.replications
    few = (
        f" Only {replications} replication{'s' if replications != 1 else ''} per scenario: too few for "
        f"intervals to trust (simiop flags fewer than {MIN_REPLICATIONS})."
        if replications < MIN_REPLICATIONS
        else ""
    )
    return (
        f'<p class="source">{where} The <b>95% outcome range</b> is where one replication\'s value (one '
        "possible future of the clinic) falls 95 times in 100 (a t prediction interval, mean \u00b1 "
        "t\u00b7sd\u00b7\u221a(1 + 1/n)): the range to plan for. The <b>95% confidence interval of the "
        "mean</b> says only how precisely the replications pin down the average, and narrows as "
        "replications are added. Bounds are clipped to what is possible (no count or amount below 0, no "
        f"share above 100%). {FLAG_MARK}: fewer than {MIN_REPLICATIONS} replications with a value, or a "
        f"confidence interval wider than \u00b1{WIDE_CI_SHARE:.0%} of the mean: read with care.{few}</p>"
    )


def _projection_metrics(folder: ResultFolder) -> list[tuple[str, str, str]]:
    metrics = []
    for metric, label, form in PROJECTION_METRICS:
        metrics.append((metric, label, form))
        if metric == "revenue_usd":
            metrics += [
                (f"revenue_usd_{payer}", f"revenue from {payer} (USD)", form)
                for payer in folder.base.config.money.payers
            ]
    return metrics


def projections_by_period(folder: ResultFolder, scenario: str, kind: str) -> str:
    """Metrics down, periods across: the layout of a grant budget."""
    rows_of: dict[str, dict[str, Projection]] = {}
    periods: dict[str, str] = {}
    for projection in folder.projection_rows(scenario, kind):
        rows_of.setdefault(projection.metric, {})[projection.period] = projection
        periods[projection.period] = projection.label
    header = ["", *periods.values()]
    body = []
    for metric, label, form in _projection_metrics(folder):
        found = rows_of.get(metric, {})
        body.append([esc(label), *(_cell(found.get(period), form) for period in periods)])
    return table(header, body, raw=True)


def _cell(projection: Projection | None, form: str) -> str:
    if projection is None:
        return ""
    return _value(projection.summary, form)


def projections_by_quarter(folder: ResultFolder, scenario: str) -> str:
    """Quarters down, a few metrics across: thirteen rows fit a page, every metric would not."""
    labels = {metric: (label, form) for metric, label, form in PROJECTION_METRICS}
    cells: dict[str, dict[str, Projection]] = {}
    named: dict[str, Projection] = {}
    for projection in folder.projection_rows(scenario, QUARTER):
        cells.setdefault(projection.period, {})[projection.metric] = projection
        named[projection.period] = projection
    header = ["quarter", "days", *(labels[m][0] for m in QUARTER_METRICS)]
    body = [
        [
            esc(period + (" (partial)" if named[period].partial else "")),
            str(named[period].days),
            *(_cell(found.get(m), labels[m][1]) for m in QUARTER_METRICS),
        ]
        for period, found in cells.items()
    ]
    return table(header, body, raw=True)


def projections_section(folder: ResultFolder, scenario: str) -> str:
    fiscal = folder.base.config.money.fiscal_year_start_month
    month = _MONTHS[fiscal - 1]
    return (
        "<h2>Projections</h2>"
        "<p>Each cell: the mean across replications and, below it, the 95% outcome range (a value the "
        "same in every replication has none). Counted from opening day (no warm-up is discarded). A "
        "period the run covers only part of (the clinic opened, or the run ended, inside it) is marked "
        "partial with the days covered: its totals are not a whole period's. "
        f"Fiscal years start in {esc(month)} and are named by the calendar year "
        "in which they end. People served are counted in every period they were enrolled in, so a person "
        "served across two fiscal years counts in both, and the years add up to more than the run's "
        "unduplicated total. Group sessions are the clock sessions held (e.g. three 50-minute sessions on "
        "a programme day), not group-days. Every month, quarter and year, with every metric and both "
        "intervals, is in "
        f'<a href="{PROJECTIONS}">{PROJECTIONS}</a>.</p>'
        + intervals_note(
            folder,
            "The confidence interval of each mean is in projections.csv (ci95_low, ci95_high), "
            "the outcome range in outcome95_low, outcome95_high.",
        )
        + f"<h3>By year since opening</h3>{projections_by_period(folder, scenario, PROGRAMME_YEAR)}"
        f"<h3>By fiscal year</h3>{projections_by_period(folder, scenario, FISCAL_YEAR)}"
        f"<h3>By fiscal quarter</h3>{projections_by_quarter(folder, scenario)}"
    )


def key_results(
    folder: ResultFolder,
    scenario: str,
    kpis: tuple[tuple[str, str, str], ...] = HEADLINE,
    note: bool = True,
) -> str:
    """A table of ``kpis`` ((name, label, format): HEADLINE or PATIENT_FLOW) for one scenario: the mean,
    the 95% CI of the mean and the 95% outcome range, and (``note``) what those mean; a KPI missing
    from summary.csv (a folder from an older simiop) is left out."""
    rows = []
    for kpi, label, form in kpis:
        summary = folder.summary.get((scenario, kpi))
        if summary is None:
            continue
        if not math.isfinite(summary.mean):
            rows.append([esc(label), "n/a", "", ""])
            continue
        rows.append(
            [
                esc(label),
                esc(form.format(summary.mean)) + _mark(summary),
                esc(_range(summary.ci95_low, summary.ci95_high, summary, form)),
                ""
                if summary.constant
                else esc(_range(summary.outcome95_low, summary.outcome95_high, summary, form)),
            ]
        )
    header = ["KPI (after the warm-up)", "mean", "95% CI of the mean", "95% outcome range"]
    explained = intervals_note(folder, "Every KPI, with both intervals, is in summary.csv.") if note else ""
    return table(header, rows, raw=True) + explained


def patient_flow(folder: ResultFolder, scenario: str) -> str:
    """The patient-flow table (PATIENT_FLOW), with where its published ranges are."""
    return (
        key_results(folder, scenario, PATIENT_FLOW, note=False)
        + '<p class="source">Published ranges for these shares, with their sources, are in '
        "docs/validation.md (face validity); definitions in docs/outputs.md.</p>"
    )


def limits_section(folder: ResultFolder, scenario: str) -> str:
    """What limits the clinic (simiop.results.constraints): a few ranked sentences, or that nothing binds."""
    items = "".join(f"<li>{esc(s)}</li>" for s in folder_limits(folder, scenario))
    return (
        f'<h2>What limits the clinic</h2><ul class="limits">{items}</ul>'
        '<p class="source">From the means of summary.csv (and each track\'s scheduled groups in daily.csv), '
        "each against a stated threshold; the thresholds and their reasons are in docs/outputs.md "
        "(what limits the clinic).</p>"
    )


def about(folder: ResultFolder) -> str:
    plan, manifest = folder.plan, folder.manifest
    config = folder.base.config
    rows = [
        ["what", f"{plan.kind} '{plan.name}'" + (f": {plan.description}" if plan.description else "")],
        ["clinic", f"{config.clinic.name}, opening {config.clinic.opening_date.isoformat()}"],
        [
            "horizon",
            f"{config.simulation.horizon_days:g} days from opening; "
            f"warm-up {config.simulation.warmup_days:g} days",
        ],
        ["seed", str(plan.seed)],
        ["replications", f"{plan.replications} per scenario"],
        ["simiop version", str(manifest.get("versions", {}).get("simiop", "unknown"))],
        ["per-replication tables kept", ", ".join(plan.tables) or "none"],
    ]
    links = ", ".join(f'<a href="{name}">{name}</a>' for name in ("summary.csv", "kpis.csv", PROJECTIONS))
    return (
        f"<h2>About these results</h2>{table(['', ''], rows, css_class='text')}"
        '<p class="source">Every configuration value of every scenario, the command and the run times are in '
        f'<a href="manifest.json">manifest.json</a>; the tables behind this report: {links}. '
        "Rebuild this report with <code>simiop report</code> on this folder.</p>"
    )


def scenarios_table(folder: ResultFolder) -> str:
    """Each scenario and what it changes; changes every scenario shares (e.g. --horizon) are said once."""
    scenarios = folder.plan.scenarios
    shared = {k: v for k, v in scenarios[0].changes.items() if all(s.changes.get(k) == v for s in scenarios)}
    rows = []
    for scenario in scenarios:
        own = {k: v for k, v in scenario.changes.items() if k not in shared}
        changes = "; ".join(f"{path} = {value}" for path, value in own.items()) or "(none)"
        rows.append([scenario.name, scenario.description, changes])
    note = ""
    if shared:
        every = "; ".join(f"{path} = {value}" for path, value in shared.items())
        note = f"<p>Every scenario, the base included: {esc(every)}.</p>"
    return note + table(["scenario", "description", "changes from the base"], rows, css_class="text")


def page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>{body}</body></html>\n"
    )


def budget_section(folder: ResultFolder, scenario: ScenarioPlan) -> str:
    """The grant budget of one scenario (simiop.results.budget: what `simiop budget` prints), as a table per
    fiscal year and in total, and the paragraph of its assumptions."""
    budget = scenario_budget(folder.out, scenario, folder.plan.replications)
    header, *rows = table_rows(budget)
    # A label indented in the text table (a part of the line above, its intervals) stays indented here.
    indented = [
        [
            f'<span class="sub">{esc(row[0].strip())}</span>' if row[0].startswith(" ") else esc(row[0]),
            *(esc(cell) for cell in row[1:]),
        ]
        for row in rows
    ]
    return (
        "<h2>Budget</h2>"
        "<p>The grant budget per fiscal year and for the whole run (money.budget), as "
        "<code>simiop budget</code> prints it for pasting, <code>simiop export</code> writes to the "
        "workbook's Budget sheet and projections.csv holds it (metrics <code>budget_*</code>). Under each "
        "line that varies across replications: the 95% confidence interval of its mean, then its outcome "
        "range.</p>" + table(header, indented, raw=True) + f'<p class="source">{esc(budget.assumptions)}</p>'
    )
