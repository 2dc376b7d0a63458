"""simiop calibrate and simiop export-extract: fit a clinic's inputs from its episode extract."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from simiop.cli.common import INTERRUPTED, fail


def _date(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail([f"command line: {option} {text!r}: not a date (allowed: YYYY-MM-DD)"])


@click.command()
@click.argument("extract", type=click.Path(path_type=Path))
@click.option(
    "--base",
    "base",
    required=True,
    metavar="CONFIG",
    type=click.Path(path_type=Path),
    help="The config the fitted values are merged onto (sources, opening date, everything not fitted).",
)
@click.option(
    "--out",
    "out",
    required=True,
    metavar="DIR",
    type=click.Path(path_type=Path),
    help="Folder for fragment.yaml, calibrated.yaml, fits.csv, estimates.csv, parameter_sets.csv, "
    "report.html and figures/.",
)
@click.option(
    "--bookings",
    "bookings",
    metavar="FILE",
    default=None,
    type=click.Path(path_type=Path),
    help="The intake bookings (one row per booking: patient_id, booked, slot, attended; docs/calibrate.md): "
    "fits the show rate against days waited.",
)
@click.option(
    "--as-of",
    "as_of",
    metavar="DATE",
    default=None,
    help="Date the extract was taken (end of follow-up); default the latest date in it.",
)
@click.option(
    "--sets",
    "draws",
    default=20,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Bootstrap parameter sets to write to parameter_sets.csv (each a refit on a patient resample, "
    "a few seconds each on a clinic's extract; docs/calibrate.md).",
)
@click.option(
    "--seed", default=1, show_default=True, type=int, help="Seed of the bootstrap's patient resamples."
)
@click.option(
    "--holdout-from",
    "holdout_from",
    metavar="DATE",
    default=None,
    help="Fit on the data before DATE only, simulate the calibrated clinic to the as-of date, and compare "
    "the period from DATE on with the simulated 95% outcome ranges (holdout.csv).",
)
@click.option(
    "--replications",
    default=20,
    show_default=True,
    type=click.IntRange(2, 10_000),
    help="Replications simulated for --holdout-from.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Replace the files of an earlier calibration of other inputs or options in DIR (the same "
    "calibration is written again without it).",
)
def calibrate(
    extract: Path,
    base: Path,
    out: Path,
    bookings: Path | None,
    as_of: str | None,
    draws: int,
    seed: int,
    holdout_from: str | None,
    replications: int,
    force: bool,
) -> None:
    """Fit referrals, intake, stays, attendance and readmissions from EXTRACT.csv.

    EXTRACT is one row per episode (docs/calibrate.md gives the columns); with
    --bookings, the show rate is fitted from the intake bookings too. Writes a
    config fragment that merges onto --base and validates, every candidate fit with
    its AIC and BIC, the fitted values with 95% intervals, parameter sets for a
    sensitivity analysis, goodness-of-fit figures and a report page. No patient
    identifier is written.
    """
    from simiop.atomic import OutputWriteError
    from simiop.calibrate.extract import ExtractError
    from simiop.calibrate.pipeline import UnknownNamesError
    from simiop.calibrate.record import CalibrateError, Inputs, Options, calibrate_into
    from simiop.config import ConfigError
    from simiop.experiments.manifest import command_line

    options = Options(
        _date(as_of, "--as-of"), draws, seed, _date(holdout_from, "--holdout-from"), replications
    )
    writing = False

    def started_writing() -> None:
        nonlocal writing
        writing = True

    try:
        made = calibrate_into(
            out,
            Inputs(extract, base, bookings),
            options,
            force=force,
            command=command_line(),
            writing=started_writing,
        )
    except (ExtractError, UnknownNamesError, CalibrateError) as exc:
        fail(exc.lines)
    except ConfigError as exc:
        fail(exc.lines())
    except OSError as exc:
        fail([str(OutputWriteError(out, exc, started=True))])
    except KeyboardInterrupt:
        if writing:  # each file is written whole (atomically), but the set may be part old, part new
            click.echo(
                f"\ninterrupted while writing into {out}: run the same command to write every file", err=True
            )
        else:
            click.echo(f"\ninterrupted: nothing was written into {out}; run the same command again", err=True)
        sys.exit(INTERRUPTED)
    calibration, held = made.calibration, made.held
    data = calibration.extract
    chosen = [c for c in calibration.candidates if c.chosen]
    click.echo(
        f"calibrated {len(data.episodes)} episodes (as of {data.as_of}): {len(chosen)} fits chosen of "
        f"{len(calibration.candidates)} candidates"
    )
    for note in calibration.notes:
        click.echo(f"  note: {note}")
    if held is not None:
        from simiop.calibrate.holdout import coverage_lines

        click.echo(
            f"hold-out from {held.cut} ({held.replications} replications): observed against the simulated "
            "95% outcome range"
        )
        for line in coverage_lines(held):
            click.echo(f"  {line}")
    click.echo(f"written: {out / 'report.html'}, {out / 'fragment.yaml'}, {out / 'calibrated.yaml'}")


@click.command("export-extract")
@click.argument("run_folder", metavar="DIR", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "target",
    required=True,
    metavar="FILE",
    type=click.Path(path_type=Path),
    help="The extract CSV to write.",
)
@click.option(
    "--bookings",
    "bookings",
    metavar="FILE",
    default=None,
    type=click.Path(path_type=Path),
    help="Also write the replication's intake bookings here (for calibrate --bookings; DIR must be a "
    "run with --tables episodes,bookings).",
)
@click.option("--scenario", default="base", show_default=True, help="Scenario of DIR.")
@click.option(
    "--replication", default=0, show_default=True, type=click.IntRange(0), help="Replication of DIR."
)
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
def export_extract(
    run_folder: Path, target: Path, bookings: Path | None, scenario: str, replication: int, force: bool
) -> None:
    """Write one simulated replication's episodes in the extract format.

    DIR is a result folder of `simiop run` kept with episodes.csv (--tables
    episodes or all). Patient numbers become pseudonyms; the last simulated
    day is the extract's as-of date (pass it to calibrate with --as-of).
    With --bookings, its intake bookings too (bookings.csv: --tables
    episodes,bookings).
    """
    from simiop.calibrate.synthetic import NotAResultError
    from simiop.calibrate.synthetic import export_extract as write

    for option, path in (("--out", target), ("--bookings", bookings)):
        if path is None:
            continue
        if path.is_dir():
            fail([f"{option} {path}: is a folder (allowed: a file name, e.g. {path / 'extract.csv'})"])
        if not path.parent.is_dir():
            fail(
                [
                    f"{option} {path}: its folder {path.parent} does not exist "
                    "(allowed: a file in an existing folder)"
                ]
            )
        if path.exists() and not force:
            fail([f"{option} {path}: already exists; pass --force to replace it"])
    if bookings is not None and bookings.resolve() == target.resolve():
        fail([f"--bookings {bookings}: the same file as --out (allowed: another file)"])
    try:
        rows, as_of = write(run_folder, target, scenario, replication, bookings)
    except NotAResultError as exc:
        fail([str(exc)])
    except OSError as exc:
        fail([f"--out {target}: cannot be written ({exc.strerror or exc})"])
    click.echo(f"extract: {target} ({rows} episodes, as of {as_of})")
    if bookings is not None:
        click.echo(f"bookings: {bookings}")
