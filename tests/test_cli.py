"""The command line: every command answers --help, good input exits 0, bad input exits 2 without a traceback."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from simiop import __version__
from simiop.cli import main
from simiop.config import load_config
from tests.conftest import BASELINE


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    "command",
    [[], ["validate"], ["schema"], ["init"], ["run"], ["experiment"], ["report"], ["reproduce"], ["advise"]],
)
def test_help_on_every_command(command: list[str]) -> None:
    code, out, _ = run(*command, "--help")
    assert code == 0
    assert out.startswith("Usage: ")


def test_version() -> None:
    code, out, _ = run("--version")
    assert code == 0
    assert out.strip() == f"simiop, version {__version__}"


def test_validate_ok() -> None:
    code, out, _ = run("validate", str(BASELINE))
    assert code == 0
    assert out == f"{BASELINE}: ok\n"


def test_validate_reports_every_problem_and_exits_2(tmp_path: Path) -> None:
    text = BASELINE.read_text(encoding="utf-8")
    text = text.replace("    groups: 2\n", "    grups: 2\n    groups: 2\n", 1)
    text = text.replace("contact_probability: 0.85", "contact_probability: 1.2", 1)
    text = text.replace("group_size: {min: 3, max: 10}", "group_size: {min: 11, max: 10}", 1)
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    code, out, err = run("validate", str(BASELINE), str(bad))
    assert code == 2
    assert out == f"{BASELINE}: ok\n"
    warnings = [line for line in err.splitlines() if line.startswith(f"{BASELINE}: warning: ")]
    lines = [line for line in err.splitlines() if line not in warnings]
    assert len(warnings) == len(load_config(BASELINE).warnings())  # the valid file's warnings, no errors
    assert len(lines) == 3
    assert lines[0].startswith(f"{bad}: referrals.sources.step_up.contact_probability: out of range (got 1.2")
    assert lines[1].startswith(f"{bad}: tracks.day.grups: unknown key")
    assert lines[2].startswith(
        f"{bad}: tracks.evening.group_size.min: minimum group size exceeds the maximum"
    )
    assert "Traceback" not in err


def test_validate_with_set() -> None:
    code, _, err = run("validate", str(BASELINE), "--set", "tracks.day.group_size.max=99")
    assert code == 2
    assert (
        "command line: --set tracks.day.group_size.max=99: tracks.day.group_size.max: out of range "
        "(got 99; allowed 1 to 50)" in err
    )
    code, _, _ = run("validate", str(BASELINE), "--set", "tracks.day.group_size.max=10")
    assert code == 0


def test_validate_missing_file(tmp_path: Path) -> None:
    code, _, err = run("validate", str(tmp_path / "missing.yaml"))
    assert code == 2
    assert err == f"{tmp_path / 'missing.yaml'}: file not found\n"


def test_schema_is_json_for_the_config() -> None:
    code, out, _ = run("schema")
    assert code == 0
    document = json.loads(out)
    assert document["$schema"].endswith("2020-12/schema")
    assert document["additionalProperties"] is False
    assert {"clinic", "tracks", "staff", "money"} <= set(document["properties"])


def test_init_writes_a_valid_starter(tmp_path: Path) -> None:
    target = tmp_path / "clinic.yaml"
    code, out, _ = run("init", str(target))
    assert code == 0
    assert "simiop validate" in out
    assert load_config(target) == load_config(BASELINE)
    assert "#" in target.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["clinic.yaml"]


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "clinic.yaml"
    target.write_text("mine\n", encoding="utf-8")
    code, _, err = run("init", str(target))
    assert code == 2
    assert err == f"{target}: already exists (use --force to overwrite)\n"
    assert target.read_text(encoding="utf-8") == "mine\n"
    code, _, _ = run("init", "--force", str(target))
    assert code == 0
    assert target.read_text(encoding="utf-8") == BASELINE.read_text(encoding="utf-8")


def test_init_force_refuses_a_target_that_is_not_a_file(tmp_path: Path) -> None:
    """``simiop init /dev/full --force`` renamed the starter over the device node (found by the break test
    of 2026-12-01): a pipe stands in for the device here, and stays a pipe."""
    target = tmp_path / "pipe.yaml"
    os.mkfifo(target)
    code, _, err = run("init", "--force", str(target))
    assert code == 2
    assert err == f"{target}: not a regular file (a device, pipe or socket); --force overwrites only a file\n"
    assert stat.S_ISFIFO(target.stat().st_mode)


def test_init_into_missing_folder(tmp_path: Path) -> None:
    code, _, err = run("init", str(tmp_path / "no" / "clinic.yaml"))
    assert code == 2
    assert "does not exist" in err


@pytest.mark.parametrize("command", ["validate", "run", "experiment", "advise"])
def test_a_config_path_through_a_file_names_the_file_as_a_file(tmp_path: Path, command: str) -> None:
    """L6: `afile/x.yaml` where afile is a file: the line says afile is not a folder (not that it is missing)."""
    blocker = tmp_path / "afile"
    blocker.write_text("not a folder", encoding="utf-8")
    extra = {"run": ["--out", str(tmp_path / "o")], "experiment": ["--out", str(tmp_path / "o")]}
    extra["advise"] = ["--kpi", "referrals"]
    code, _, err = run(command, str(blocker / "x.yaml"), *extra.get(command, []))
    assert code == 2
    assert err == f"{blocker / 'x.yaml'}: file not found ({blocker} is a file, not a folder)\n"
    assert not (tmp_path / "o").exists()


def test_console_entry_point_exit_codes(tmp_path: Path) -> None:
    """The real process, not CliRunner: exit status 2 and no traceback on stderr."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("clinic: [1, 2\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "simiop", "validate", str(bad)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert done.stderr.startswith(f"{bad}: line 2, column 1: malformed YAML")
    assert "Traceback" not in done.stderr


def test_help_imports_nothing_heavy() -> None:
    """`simiop --help` stays quick: the model, the config models and numerical libraries load only when used."""
    probe = (
        "import sys; from simiop.cli import main; "
        "print(sorted(m for m in ('pydantic', 'numpy', 'simpy', 'matplotlib', 'simiop.config', 'simiop.model') "
        "if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


@pytest.fixture(scope="module")
def one_week_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What a fresh process running `simiop run BASELINE -r 1 --horizon 1w --no-report` is left with: its
    modules, and the collector's state (one process, shared by the start-up tests below)."""
    out = tmp_path_factory.mktemp("one_week") / "out"
    probe = (
        "import gc, json, sys; from simiop.cli import main\n"
        "try:\n"
        f"    main(['run', {str(BASELINE)!r}, '-r', '1', '--horizon', '1w', '--no-report', '--out', {str(out)!r}])\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
        "print(json.dumps({'modules': sorted(sys.modules), 'collecting': gc.isenabled(),"
        " 'frozen': gc.get_freeze_count()}))"
    )
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    facts: dict[str, Any] = json.loads(found.strip().splitlines()[-1])
    assert (out / "summary.csv").is_file()  # the run itself worked
    return facts


def test_a_run_s_start_up_is_frozen_out_of_the_collector_s_sight(one_week_run: dict[str, Any]) -> None:
    """The command's start-up (imports, the config models, the config: about 100,000 objects) is made with
    the collector paused and then frozen (simiop.collector.start_up), so no later pass scans it; the
    collector is back on for the rest of the command."""
    assert one_week_run["collecting"] is True
    assert one_week_run["frozen"] > 20_000


def test_a_run_imports_no_other_command_s_module(one_week_run: dict[str, Any]) -> None:
    """`simiop run` imports its own command module, not those of advise, optimise, sensitivity...
    (simiop.cli imports them when the command line names one)."""
    others = {f"simiop.cli.{name}_command" for name in ("advise", "app", "budget", "calibrate", "export")}
    others |= {"simiop.cli.optimise_command", "simiop.cli.sensitivity_command"}
    assert "simiop.cli.run_commands" in one_week_run["modules"]
    assert not others & set(one_week_run["modules"])


def test_help_lists_every_command_and_a_typo_gets_a_suggestion() -> None:
    """The commands imported on first use are listed by --help as the others are, each answers --help,
    and a mistyped one is still matched against every command's name."""
    code, out, _ = run("--help")
    assert code == 0
    listed = {line.split()[0] for line in out.split("Commands:")[1].splitlines() if line.strip()}
    lazy = {"advise", "app", "budget", "calibrate", "export", "export-extract", "optimise", "sensitivity"}
    assert lazy | {"run", "experiment", "validate", "schema", "init", "report", "reproduce"} == listed
    for name in lazy:
        code, out, _ = run(name, "--help")
        assert code == 0
        assert out.startswith(f"Usage: main {name} ")
    code, _, err = run("sensitivty")
    assert code == 2
    assert "Did you mean 'sensitivity'?" in err


def _run_imports_scipy(args: list[str]) -> bool:
    """Whether ``simiop run BASELINE *args``, in a fresh interpreter, imported scipy (the run must succeed)."""
    probe = (
        "import sys; from simiop.cli import main\n"
        "try:\n"
        f"    main(['run', {str(BASELINE)!r}, *{args!r}])\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
        "print('scipy' in sys.modules)"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    answer = loaded.strip().splitlines()[-1]
    assert answer in ("True", "False"), loaded
    return answer == "True"


def test_a_run_of_several_replications_does_not_import_scipy(tmp_path: Path) -> None:
    """Three replications' intervals take their t quantile from the kept table (simiop/results/t975.py),
    so the run does not import scipy (0.2-0.5 s of the parent's CPU); the summary still has intervals."""
    out = tmp_path / "out"
    run = ["-r", "3", "--horizon", "2w", "--no-report", "--tables", "none", "--jobs", "1", "--out", str(out)]
    assert not _run_imports_scipy(run)
    rows = (out / "summary.csv").read_text(encoding="utf-8").splitlines()
    header = rows[0].split(",")
    census = next(row.split(",") for row in rows if row.split(",")[1] == "referrals")
    assert census[header.index("n")] == "3"
    assert float(census[header.index("ci95_low")]) <= float(census[header.index("mean")])


def test_one_replication_run_does_not_import_scipy(tmp_path: Path) -> None:
    """One replication has no confidence interval, so a run of one does not pay scipy's import (0.2-0.4 s);
    the run itself must still have worked (its summary written)."""
    run = ["-r", "1", "--horizon", "1w", "--no-report", "--tables", "none", "--out", str(tmp_path / "out")]
    assert not _run_imports_scipy(run)
    assert (tmp_path / "out" / "summary.csv").is_file()
