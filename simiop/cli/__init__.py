"""The ``simiop`` command: a thin shell over the library.

Expected failures (bad config, refused overwrite) print one line per problem
to stderr and exit with status 2, never a traceback. Heavy modules (the model,
numpy, matplotlib) are imported inside commands so ``simiop --help`` is quick.
"""

from __future__ import annotations

import os

# numpy's OpenBLAS starts a thread as it loads, unless told not to, and a
# process with a second thread cannot safely fork its workers (see
# simiop.experiments.executors.start_method): the simulation does no linear
# algebra, so the command asks for none before anything imports numpy. A
# value the user set is kept (the workers then start by forkserver).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import importlib

import click

from simiop.cli.config_commands import config_json_schema, init, schema, starter_config_text, validate
from simiop.cli.report_command import report
from simiop.cli.run_commands import experiment, reproduce, run

_LOADED_WHEN_CALLED = {
    "advise": "simiop.cli.advise_command:advise",
    "app": "simiop.cli.app_command:app",
    "budget": "simiop.cli.budget_command:budget",
    "calibrate": "simiop.cli.calibrate_command:calibrate",
    "export": "simiop.cli.export_command:export",
    "export-extract": "simiop.cli.calibrate_command:export_extract",
    "optimise": "simiop.cli.optimise_command:optimise",
    "sensitivity": "simiop.cli.sensitivity_command:sensitivity",
}
"""Commands whose module is imported only when the command line names them (or asks for the list):
``module:attribute`` by command name. A run or an experiment does not compile and import them (about
25 ms of every such process without a bytecode cache, measured in issue 17)."""


class _Commands(click.Group):
    """click's group, with the commands of ``_LOADED_WHEN_CALLED`` imported on first use (click's "lazy
    loading of subcommands" recipe)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_LOADED_WHEN_CALLED})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in _LOADED_WHEN_CALLED and cmd_name not in self.commands:
            module, attribute = _LOADED_WHEN_CALLED[cmd_name].split(":")
            command: click.Command = getattr(importlib.import_module(module), attribute)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.commands and args[0] not in _LOADED_WHEN_CALLED:
            for name in _LOADED_WHEN_CALLED:  # no such command: click's "Did you mean" looks at every one
                self.get_command(ctx, name)
        return super().resolve_command(ctx, args)


def _show_version(context: click.Context, _: click.Parameter, asked: bool) -> None:
    """--version, as click's version_option says it, reading the version only when asked."""
    if not asked or context.resilient_parsing:
        return
    from simiop import __version__

    click.echo(f"simiop, version {__version__}")
    context.exit()


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_show_version,
    help="Show the version and exit.",
)
def main() -> None:
    """Discrete-event simulation and capacity planning for a mental-health
    Intensive Outpatient Program (IOP).

    Describe a clinic in a YAML config (start with `simiop init clinic.yaml`),
    check it with `simiop validate`, simulate it with `simiop run`, compare
    policies with `simiop experiment`, read the results in the report.html
    that both write (or `simiop report DIR`), and re-check any result with
    `simiop reproduce`.
    """


for command in (validate, schema, init, run, experiment, report, reproduce):
    main.add_command(command)

__all__ = ["config_json_schema", "main", "starter_config_text"]
