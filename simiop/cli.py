"""The ``simiop`` command: a thin shell over the library.

Expected failures (bad config, refused overwrite) print one line per problem
to stderr and exit with status 2, never a traceback.
"""

from __future__ import annotations

import json
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
