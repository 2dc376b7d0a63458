"""simiop export: a finished result folder as an Excel workbook."""

from __future__ import annotations

from pathlib import Path

import click

from simiop.cli.common import fail


@click.command()
@click.argument("out", metavar="DIR", type=click.Path(path_type=Path))
@click.option(
    "--xlsx",
    "workbook",
    metavar="FILE",
    required=True,
    type=click.Path(path_type=Path),
    help="The workbook to write (a name ending in .xlsx).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Replace FILE if it already exists, whoever wrote it; without --force an existing FILE is "
    "never touched.",
)
def export(out: Path, workbook: Path, force: bool) -> None:
    """Write the results in DIR to an Excel workbook FILE.

    Sheets: README (the command, versions, seed, replications and folder the
    numbers come from), Summary, Projections (one column per fiscal year;
    also by quarter, month and year open), Comparison (experiments), KPIs (each
    replication) and Inputs (every scenario's resolved config). Numbers are
    copied from DIR's CSV files as numbers. Needs the extra:
    pip install "simiop[excel]".
    """
    from simiop.atomic import OutputWriteError
    from simiop.config import ConfigError
    from simiop.export.xlsx import MissingExtraError, require_xlsxwriter, write_workbook

    try:
        require_xlsxwriter()
    except MissingExtraError as exc:
        fail([str(exc)])
    if not out.is_dir():
        fail([f"{out}: no such folder (DIR is a result folder of `simiop run` or `simiop experiment`)"])
    if workbook.suffix.lower() != ".xlsx":
        fail([f"--xlsx {workbook}: the name must end in .xlsx (Excel refuses another ending)"])
    if workbook.is_dir():
        fail([f"--xlsx {workbook}: is a folder; name a file in it, e.g. {workbook / 'results.xlsx'}"])
    if workbook.exists() and not force:
        fail([f"--xlsx {workbook}: already exists; pass --force to replace it"])
    from simiop.export.sheets import created_time, read_source, workbook_sheets

    try:
        source = read_source(out)
        sheets = workbook_sheets(source)  # reads every cell's periods.csv for the budget: may find one gone
    except ConfigError as exc:
        fail(exc.lines())
    title = f"simiop results: {source.folder.plan.name}"
    try:
        write_workbook(workbook, sheets, created_time(source), title)
    except OutputWriteError as exc:
        fail([str(exc)])
    click.echo(f"workbook: {workbook} ({len(sheets)} sheets: {', '.join(sheet.name for sheet in sheets)})")
