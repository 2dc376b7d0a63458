"""simiop report: figures and report.html for a finished result folder."""

from __future__ import annotations

from pathlib import Path

import click

from simiop.cli.common import fail

NO_REPORT_HELP = "Skip the figures and report.html (build them later with `simiop report DIR`)."


def write_report(out: Path) -> None:
    """Build the report of ``out`` and say where it is; one line and exit 2 if ``out`` cannot be reported."""
    from simiop.config import ConfigError
    from simiop.report.build import build_report

    try:
        report = build_report(out)
    except ConfigError as exc:
        fail(exc.lines())
    click.echo(f"report: {report.html} ({len(report.figures)} figures in {out / 'figures'}/)")
    for missing in report.not_drawn:
        click.echo(f"  not drawn: {missing.title}: {missing.reason}")


@click.command()
@click.argument("out", metavar="DIR", type=click.Path(file_okay=False, exists=True, path_type=Path))
def report(out: Path) -> None:
    """Draw the figures of the results in DIR and write DIR/report.html.

    The page is self-contained (images embedded) and prints on A4 or Letter;
    DIR/figures/ holds each figure as PNG and SVG with the CSV it was drawn from.
    `simiop run` and `simiop experiment` do this at the end unless --no-report.
    """
    write_report(out)
