"""Build the report of a result folder: figures (PNG, SVG and the CSV each was drawn from) and report.html.

Each file is written atomically, and files left by an earlier build of a
figure that is no longer drawn are removed, so the folder always holds one
consistent report. Which files a build wrote is recorded in
figures/report-files.json, and only files recorded there are ever removed:
anything else in figures/ (a logo, notes) is the user's and stays.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from simiop.atomic import write_bytes_atomic, writing_into
from simiop.experiments.owned import REPORT, REPORT_RECORD, record_report_files, remove_files, report_files
from simiop.report.data import ResultFolder, load
from simiop.report.experiment_figures import experiment_figures
from simiop.report.figure import Drawing, NotDrawn, ReportFigure, drawing
from simiop.report.headline import experiment_sentences, scenario_sentences
from simiop.report.html import (
    FIGURES_DIR,
    about,
    budget_section,
    esc,
    figure_block,
    key_results,
    limits_section,
    not_drawn,
    page,
    patient_flow,
    projections_section,
    scenarios_table,
)
from simiop.report.run_figures import RUN_FIGURES


@dataclass(frozen=True)
class Report:
    """What a build wrote: the page, every figure, and the figures the folder could not support."""

    html: Path
    figures: list[ReportFigure]
    not_drawn: list[NotDrawn]
    headline: list[str]


def _split(drawn: list[Drawing | NotDrawn]) -> tuple[list[ReportFigure], list[NotDrawn]]:
    """Render what was drawn (matplotlib reads the style while saving, so this runs inside drawing())."""
    rendered = [d.render() for d in drawn if isinstance(d, Drawing)]
    return rendered, [d for d in drawn if isinstance(d, NotDrawn)]


def _figure_files(figures: list[ReportFigure]) -> dict[str, bytes]:
    """Relative path -> bytes of every figure file: PNG, SVG and the CSV it was drawn from."""
    files = {}
    for figure in figures:
        base = f"{FIGURES_DIR}/{figure.name}"
        files[f"{base}.png"] = figure.png
        files[f"{base}.svg"] = figure.svg
        files[f"{base}.csv"] = figure.data_csv.encode("utf-8")
    return files


def _write_report_files(out: Path, files: dict[str, bytes]) -> None:
    """Write the report's files and remove those of the previous build that this one does not write.

    The record covers, at every moment, every report file on disk: first the
    old files and the new, then, once the old are gone, the new. A folder
    that cannot be written raises OutputWriteError (``started`` once any
    report file was replaced; each file is whole, old or new).
    """
    previous = set(report_files(out))
    with writing_into(out, started=False):
        (out / FIGURES_DIR).mkdir(exist_ok=True)
        record_report_files(out, previous | set(files))
    with writing_into(out, started=True):
        for name, data in files.items():
            write_bytes_atomic(out / name, data)
        remove_files(out, previous - set(files) - {REPORT_RECORD})
        record_report_files(out, files)


def compares_scenarios(folder: ResultFolder) -> bool:
    """Whether the report compares scenarios (an experiment with more than the base) or shows one run."""
    return folder.plan.kind == "experiment" and len(folder.plan.scenarios) > 1


def build_report(out: Path, folder: ResultFolder | None = None) -> Report:
    """Draw every figure the folder supports and write report.html.

    ``folder`` is the folder already read (e.g. by the run that just finished),
    so it is not read and validated a second time. Raises ConfigError when
    ``out`` is not a finished result folder, OutputWriteError when it cannot
    be written.
    """
    folder = folder if folder is not None else load(out)
    experiment = compares_scenarios(folder)
    with drawing():
        overview = _split([draw(folder) for draw in experiment_figures(folder)]) if experiment else ([], [])
        detail = _split([draw(folder, folder.base) for draw in RUN_FIGURES])
    figures = [*overview[0], *detail[0]]
    missing = [*overview[1], *detail[1]]
    headline = experiment_sentences(folder) if experiment else scenario_sentences(folder, folder.base)
    html = _page(folder, experiment, headline, overview, detail).encode("utf-8")
    _write_report_files(out, {**_figure_files(figures), REPORT: html})
    return Report(out / REPORT, figures, missing, headline)


def _page(
    folder: ResultFolder,
    experiment: bool,
    headline: list[str],
    overview: tuple[list[ReportFigure], list[NotDrawn]],
    detail: tuple[list[ReportFigure], list[NotDrawn]],
) -> str:
    plan, base = folder.plan, folder.base
    title = f"{plan.name}: {plan.description}" if experiment and plan.description else base.config.clinic.name
    parts = [f"<h1>{esc(title)}</h1>", f'<p class="headline">{esc(" ".join(headline))}</p>']
    if experiment:
        parts += [
            "<h2>Scenarios</h2>",
            scenarios_table(folder),
            *(figure_block(f) for f in overview[0]),
            not_drawn(overview[1]),
            f"<h2>The base scenario '{esc(base.name)}' in detail</h2>",
        ]
    parts += [
        "<h2>Key results</h2>",
        key_results(folder, base.name),
        limits_section(folder, base.name),
        "<h2>Patient flow</h2>",
        patient_flow(folder, base.name),
        projections_section(folder, base.name),
        budget_section(folder, base),
        "<h2>Figures</h2>",
        *(figure_block(f) for f in detail[0]),
        not_drawn(detail[1]),
        about(folder),
    ]
    return page(title, "".join(parts))
