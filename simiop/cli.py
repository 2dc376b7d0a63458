"""The ``simiop`` command: a thin shell over the library.

Expected failures (bad config, refused overwrite) print one line per problem
to stderr and exit with status 2, never a traceback.
"""

from __future__ import annotations

import json
import re
import sys
from importlib import resources
from pathlib import Path

import click

from simiop import __version__
from simiop.atomic import write_text_atomic
from simiop.config import ConfigError, SimiopConfig, load_config

USAGE_ERROR = 2
"""Exit status for bad input, as click uses for bad usage."""

_SET_HELP = "Override a config field, e.g. --set tracks.day.groups=3 (repeatable; validated like the file)."


def _fail(lines: list[str]) -> None:
    for line in lines:
        click.echo(line, err=True)
    sys.exit(USAGE_ERROR)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="simiop")
def main() -> None:
    """Discrete-event simulation and capacity planning for a mental-health
    Intensive Outpatient Program (IOP).

    Describe a clinic in a YAML config (start with `simiop init clinic.yaml`),
    check it with `simiop validate`, and edit it with your editor helped by the
    JSON Schema from `simiop schema`.
    """


@main.command()
@click.argument("configs", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help=_SET_HELP)
def validate(configs: tuple[Path, ...], overrides: tuple[str, ...]) -> None:
    """Check one or more config files; print 'ok' per file or every problem found.

    Exit status 0 when every file is valid, 2 otherwise.
    """
    failures: list[str] = []
    for path in configs:
        try:
            load_config(path, overrides)
        except ConfigError as exc:
            failures.extend(exc.lines())
        else:
            click.echo(f"{path}: ok")
    if failures:
        _fail(failures)


@main.command()
@click.option("--indent", default=2, show_default=True, type=click.IntRange(0, 8), help="JSON indentation.")
def schema(indent: int) -> None:
    """Print the JSON Schema of a config file, for editors' completion and checks.

    For example, save it with `simiop schema > simiop.schema.json` and point
    your editor's YAML language server at it.
    """
    click.echo(json.dumps(config_json_schema(), indent=indent or None, sort_keys=False))


def config_json_schema() -> dict[str, object]:
    """The JSON Schema (draft 2020-12) of SimiopConfig."""
    document = SimiopConfig.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **document}


def starter_config_text() -> str:
    """The commented starter config shipped with the package (identical to configs/baseline.yaml)."""
    return resources.files("simiop").joinpath("templates/clinic.yaml").read_text(encoding="utf-8")


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
def init(path: Path, force: bool) -> None:
    """Write a commented starter config to PATH: a complete example clinic to edit.

    Every value is a labelled assumption or cites its source; `simiop validate
    PATH` passes on the file as written.
    """
    if path.exists() and not force:
        _fail([f"{path}: already exists (use --force to overwrite)"])
    if not path.parent.is_dir():
        _fail([f"{path}: folder {path.parent} does not exist"])
    write_text_atomic(path, starter_config_text())
    click.echo(f"wrote {path}; check it with: simiop validate {path}")


_HORIZON = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([dwmy]?)\s*$")
_DAYS_PER_UNIT = {"": 1.0, "d": 1.0, "w": 7.0, "m": 365.0 / 12.0, "y": 365.0}


def horizon_days(text: str) -> float:
    """'1095', '90d', '26w', '18m' or '3y' in days (a year is 365 days, a month a twelfth of that)."""
    match = _HORIZON.match(text)
    if match is None:
        raise click.BadParameter(f"{text!r} is not a duration (allowed e.g. 90d, 26w, 18m, 3y)")
    return float(match.group(1)) * _DAYS_PER_UNIT[match.group(2)]


_SUMMARY = (
    ("referrals", "referrals", "{:.0f}"),
    ("admissions", "admissions", "{:.0f}"),
    ("unduplicated_patients_served", "patients served (unduplicated)", "{:.0f}"),
    ("completions", "completions", "{:.0f}"),
    ("dropouts", "dropouts", "{:.0f}"),
    ("step_ups", "step-ups", "{:.0f}"),
    ("censored", "still waiting or in programme at the horizon", "{:.0f}"),
    ("wait_referral_to_admission_days_median", "median wait referral -> admission (days)", "{:.1f}"),
    ("length_of_stay_days_mean", "mean length of stay (days)", "{:.1f}"),
    ("attendance_rate", "attendance rate", "{:.1%}"),
    ("revenue_usd", "revenue (USD)", "{:,.0f}"),
    ("total_cost_usd", "total cost (USD)", "{:,.0f}"),
    ("cost_per_completed_episode_usd", "cost per completed episode (USD)", "{:,.0f}"),
)


@main.command()
@click.argument("config_path", metavar="CONFIG", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for episodes.csv, daily.csv, staff.csv and kpis.csv (created if missing).",
)
@click.option("--seed", type=click.IntRange(min=0), help="Seed (default: simulation.seed from the config).")
@click.option(
    "--replication",
    default=0,
    show_default=True,
    type=click.IntRange(min=0),
    help="Replication number: with the seed it selects the random streams.",
)
@click.option("--horizon", help="Simulated time from opening, e.g. 3y, 18m, 26w or 400 (days).")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help=_SET_HELP)
def run(
    config_path: Path,
    out_dir: Path,
    seed: int | None,
    replication: int,
    horizon: str | None,
    overrides: tuple[str, ...],
) -> None:
    """Simulate one replication of the clinic in CONFIG and write its tables to --out.

    Prints a short KPI summary; every KPI is in kpis.csv.
    """
    from simiop.model import simulate
    from simiop.model.calendar import ClinicCalendar
    from simiop.results.kpis import compute_kpis
    from simiop.results.tables import render_tables

    assignments = list(overrides)
    if horizon is not None:
        try:
            assignments.append(f"simulation.horizon_days={horizon_days(horizon)}")
        except click.BadParameter as exc:
            _fail([f"--horizon: {exc.message}"])
    try:
        config = load_config(config_path, assignments)
    except ConfigError as exc:
        _fail(exc.lines())
    records = simulate(config, seed, replication)
    kpis = compute_kpis(config, records)
    calendar = ClinicCalendar.for_config(config)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, text in render_tables(records, calendar, kpis).items():
        write_text_atomic(out_dir / name, text)
    click.echo(
        f"{config.clinic.name}: {config.simulation.horizon_days:g} days, seed {records.seed}, "
        f"replication {replication}"
    )
    for key, label, form in _SUMMARY:
        click.echo(f"  {label:<46} {form.format(kpis[key])}")
    click.echo(f"tables written to {out_dir}/")
