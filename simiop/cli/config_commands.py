"""Commands about config files: validate, schema, init."""

from __future__ import annotations

import json
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import click

from simiop.atomic import OutputWriteError, file_in_the_way, write_text_atomic
from simiop.cli.common import SET_HELP, fail, set_horizon_clears

if TYPE_CHECKING:
    from simiop.config import SimiopConfig


def echo_warnings(source: object, configs: Iterable[tuple[str, SimiopConfig]]) -> None:
    """Print each config's warnings to stderr, ``SOURCE: [scenario NAME: ]warning: ...``, each line once.

    ``configs`` are (label, config) pairs: label "" for the file itself, else
    a scenario name. Scenarios repeat their base's warnings, so a line already
    printed for an earlier config is not printed again.
    """
    seen: set[str] = set()
    for label, config in configs:
        for line in config.warnings():
            if line not in seen:
                seen.add(line)
                where = f"scenario {label}: " if label else ""
                click.echo(f"{source}: {where}{line}", err=True)


@click.command()
@click.argument("configs", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help=SET_HELP)
def validate(configs: tuple[Path, ...], overrides: tuple[str, ...]) -> None:
    """Check one or more config files; print 'ok' per file or every problem found.

    Legal but suspicious settings (a shift with no cover, a hire after the
    horizon) are printed to stderr as 'FILE: warning: ...' lines; they do not
    change the exit status: 0 when every file is valid, 2 otherwise.
    """
    from simiop.config import ConfigError, load_config

    failures: list[str] = []
    for path in configs:
        try:
            # With several files, a problem of an option is told apart by the file it was applied to.
            config = load_config(
                path,
                [*overrides, *set_horizon_clears(overrides)],  # a --set of until replaces horizon_days
                "command line" + (f" (with {path})" if len(configs) > 1 else ""),
            )
        except ConfigError as exc:
            failures.extend(exc.lines())
        else:
            click.echo(f"{path}: ok")
            echo_warnings(path, [("", config)])
    if failures:
        fail(failures)


@click.command()
@click.option("--indent", default=2, show_default=True, type=click.IntRange(0, 8), help="JSON indentation.")
def schema(indent: int) -> None:
    """Print the JSON Schema of a config file, for editors' completion and checks.

    For example, save it with `simiop schema > simiop.schema.json` and point
    your editor's YAML language server at it.
    """
    click.echo(json.dumps(config_json_schema(), indent=indent or None, sort_keys=False))


def config_json_schema() -> dict[str, object]:
    """The JSON Schema (draft 2020-12) of SimiopConfig."""
    from simiop.config import SimiopConfig
    from simiop.config.calendar import HORIZON_WAYS

    document = SimiopConfig.model_json_schema(mode="validation")
    # The model requires horizon_days, which the loader fills in from until or fiscal_years when one of
    # them ends the run instead (resolve_horizon): a file needs one of the three, not horizon_days itself.
    simulation = document["$defs"]["SimulationConfig"]
    simulation["required"] = [name for name in simulation["required"] if name not in HORIZON_WAYS]
    simulation["allOf"] = [{"anyOf": [{"required": [way]} for way in HORIZON_WAYS]}]  # beside its properties
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **document}


def starter_config_text() -> str:
    """The commented starter config shipped with the package (identical to configs/baseline.yaml)."""
    return resources.files("simiop").joinpath("templates/clinic.yaml").read_text(encoding="utf-8")


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
def init(path: Path, force: bool) -> None:
    """Write a commented starter config to PATH: a complete example clinic to edit.

    Every value is a labelled assumption or cites its source; `simiop validate
    PATH` passes on the file as written.
    """
    if path.exists() and not force:
        fail([f"{path}: already exists (use --force to overwrite)"])
    if path.exists() and not path.is_file():  # a device or a pipe: the rename would replace the node itself
        fail([f"{path}: not a regular file (a device, pipe or socket); --force overwrites only a file"])
    blocker = file_in_the_way(path)
    if blocker is not None:
        fail([f"{path}: {blocker} is a file, not a folder"])
    if not path.parent.is_dir():
        fail([f"{path}: folder {path.parent} does not exist"])
    try:
        write_text_atomic(path, starter_config_text())
    except OSError as exc:
        fail([str(OutputWriteError(path, exc, started=False))])
    click.echo(f"wrote {path}; check it with: simiop validate {path}")
