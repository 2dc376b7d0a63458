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

import click

from simiop.cli.advise_command import advise
from simiop.cli.app_command import app
from simiop.cli.budget_command import budget
from simiop.cli.calibrate_command import calibrate, export_extract
from simiop.cli.config_commands import config_json_schema, init, schema, starter_config_text, validate
from simiop.cli.export_command import export
from simiop.cli.optimise_command import optimise
from simiop.cli.report_command import report
from simiop.cli.run_commands import experiment, reproduce, run
from simiop.cli.sensitivity_command import sensitivity


def _show_version(context: click.Context, _: click.Parameter, asked: bool) -> None:
    """--version, as click's version_option says it, reading the version only when asked."""
    if not asked or context.resilient_parsing:
        return
    from simiop import __version__

    click.echo(f"simiop, version {__version__}")
    context.exit()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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


for command in (
    validate,
    schema,
    init,
    run,
    experiment,
    report,
    budget,
    export,
    reproduce,
    advise,
    calibrate,
    export_extract,
    optimise,
    app,
):
    main.add_command(command)
main.add_command(sensitivity)

__all__ = ["config_json_schema", "main", "starter_config_text"]
