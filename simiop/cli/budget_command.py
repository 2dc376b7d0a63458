"""simiop budget: a finished result folder's grant budget, as a wide table ready to paste."""

from __future__ import annotations

from pathlib import Path

import click

from simiop.cli.common import fail


@click.command()
@click.argument("out", metavar="DIR", type=click.Path(path_type=Path))
@click.option("--scenario", default=None, help="Scenario to budget (default: the base, or the only one).")
@click.option(
    "--format",
    "style",
    type=click.Choice(["tsv", "markdown"]),
    default="tsv",
    show_default=True,
    help="Tab-separated (pastes into a spreadsheet or a word processor's table) or a markdown table.",
)
def budget(out: Path, scenario: str | None, style: str) -> None:
    """Print the grant budget of the results in DIR: one column per fiscal year and a Total.

    Lines: FTE and salaries by role, fringe, other direct costs, start-up before
    opening, indirect costs, total cost, revenue earned and collected, and the net
    surplus/deficit, each the mean across replications with, under a figure that
    varies, its 95% CI of the mean and its outcome range; then a paragraph of the
    assumptions used. Escalation, inflation, start-up and indirect costs come from
    the config's money.budget. Computed from DIR; nothing is written.
    """
    from simiop.config import ConfigError
    from simiop.experiments.manifest import read_manifest
    from simiop.results.budget import budget_of_folder, render

    if not out.is_dir():  # one line, as simiop export says it (click's usage error is four)
        fail([f"{out}: no such folder (DIR is a result folder of `simiop run` or `simiop experiment`)"])
    try:
        found = budget_of_folder(out, scenario)
    except ConfigError as exc:
        fail(exc.lines())
    except KeyError as exc:
        fail([f"--scenario: {exc.args[0]}"])
    if scenario is None:  # an experiment's base, chosen for the user: said on stderr, out of the pasted table
        names = [str(item.get("name")) for item in read_manifest(out)["plan"].get("scenarios", [])]
        if len(names) > 1:
            click.echo(
                f"simiop budget: scenario {found.scenario!r}, the base of the {len(names)} in {out} "
                f"({', '.join(names)}); --scenario NAME budgets another",
                err=True,
            )
    click.echo(render(found, "markdown" if style == "markdown" else "tsv"), nl=False)
