"""simiop report: figures and report.html for a finished result folder."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from simiop.cli.common import fail, write_failure

if TYPE_CHECKING:
    from simiop.api import Results

NO_REPORT_HELP = "Skip the figures and report.html (build them later with `simiop report DIR`)."


def write_report(out: Path, results: Results | None = None) -> None:
    """Build the report of ``out`` and say where it is; one line and exit 2 if ``out`` cannot be reported.

    ``results``: those a command has just read, so the folder is not read again
    (the results are then complete whatever happens to the report: a folder
    that cannot be written exits 1 and says how to build the report later).
    """
    from simiop.api import open_results
    from simiop.atomic import OutputWriteError
    from simiop.config import ConfigError

    try:
        report = (results or open_results(out)).build_report()
    except ConfigError as exc:
        fail(exc.lines())
    except OutputWriteError as exc:
        if results is not None:
            click.echo(f"{exc}; the results are complete: fix that and run `simiop report {out}`", err=True)
            sys.exit(1)
        write_failure(exc, "every report file is whole (old or new): fix that and run the same command")
    click.echo(f"report: {report.html} ({len(report.figures)} figures in {out / 'figures'}/)")
    for missing in report.not_drawn:
        click.echo(f"  not drawn: {missing.title}: {missing.reason}")


@click.command()
@click.argument("out", metavar="DIR", type=click.Path(file_okay=False, exists=True, path_type=Path))
def report(out: Path) -> None:
    """Draw the figures of the results in DIR and write DIR/report.html.

    The page is self-contained (images embedded) and prints on A4 or Letter;
    DIR/figures/ holds each figure as PNG and SVG with the CSV it was drawn from.
    `simiop run` and `simiop experiment` do this at the end unless --no-report
    (as does `simiop sensitivity`, whose folders are reported here too).
    """
    from simiop.sensitivity.run import is_sensitivity_folder

    if is_sensitivity_folder(out):
        from simiop.cli.sensitivity_command import rebuild_report

        rebuild_report(out)
        return
    write_report(out)
