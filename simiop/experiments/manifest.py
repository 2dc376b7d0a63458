"""manifest.json: what a result directory holds and how to make it again.

It records the plan (every scenario's fully resolved config, seed,
replications, tables), the command line, the versions of simiop, Python and
the libraries that shape the numbers, start and end times, and a SHA-256 of
every output file. ``simiop reproduce`` needs nothing else.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import platform
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Any

import simiop
from simiop.atomic import write_text_atomic
from simiop.config import ConfigError, Problem
from simiop.experiments.plan import Plan
from simiop.jsonfile import read_json

MANIFEST = "manifest.json"
FORMAT = 1
RUNNING = "running"
COMPLETE = "complete"
_LIBRARIES = ("numpy", "simpy", "pydantic", "click", "PyYAML", "matplotlib", "holidays")


def versions() -> dict[str, str]:
    """Versions of everything that could change the numbers or their formatting."""
    return dict(_versions())


@functools.cache
def _versions() -> tuple[tuple[str, str], ...]:
    """Read once per process: a run writes the manifest twice, and each read took 30-70 ms."""
    found = {"simiop": simiop.__version__, "python": platform.python_version()}
    for library in _LIBRARIES:
        found[library] = installed_version(library) or "not installed"
    found["platform"] = platform.platform()
    return tuple(found.items())


def installed_version(name: str) -> str | None:
    """The version of the installed distribution ``name``, or None if it is not installed.

    As ``importlib.metadata.version``, but read from the metadata's
    ``Version:`` header line rather than by parsing the whole file as an
    e-mail message (33 ms for six such libraries, against 0.5 ms).
    """
    try:
        found = distribution(name)
    except PackageNotFoundError:
        return None
    headers = (found.read_text("METADATA") or found.read_text("PKG-INFO") or "").split("\n\n", 1)[0]
    match = _VERSION_HEADER.search(headers)
    return match.group(1) if match is not None else found.version


_VERSION_HEADER = re.compile(r"^Version:[ \t]*(\S+)[ \t]*$", re.MULTILINE)


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checksums(out: Path, files: Iterable[Path], known: Mapping[str, str] | None = None) -> dict[str, str]:
    """Relative POSIX path -> SHA-256, sorted, for the given files under ``out``.

    ``known`` holds digests already taken of the bytes as they were written
    (by relative path), so a run need not read back every file it wrote.
    """
    known = known or {}
    found = {}
    for path in sorted(files):
        relative = path.relative_to(out).as_posix()
        found[relative] = known[relative] if relative in known else sha256_of(path)
    return found


def write_manifest(
    out: Path,
    plan: Plan,
    *,
    status: str,
    command: Sequence[str],
    started: str,
    executor: str,
    workers: int,
    files: Mapping[str, str] | None = None,
    finished: str | None = None,
) -> dict[str, Any]:
    """Write manifest.json atomically and return what was written."""
    document: dict[str, Any] = {
        "simiop_manifest": FORMAT,
        "status": status,
        "plan_key": plan.key(),
        "command": list(command),
        "versions": versions(),
        "executor": {"name": executor, "workers": workers},
        "started": started,
        "finished": finished,
        "plan": plan.identity(),
        "files": dict(files or {}),
    }
    write_text_atomic(out / MANIFEST, json.dumps(document, indent=2, sort_keys=False) + "\n")
    return document


def read_manifest(out: Path) -> dict[str, Any]:
    """The manifest of a result directory; ConfigError when it is missing or not a simiop manifest."""
    path = out / MANIFEST
    source = str(path)
    try:
        document = read_json(path)
    except FileNotFoundError:
        raise ConfigError(source, [Problem("", "no manifest: not a simiop result directory")]) from None
    except (OSError, ValueError) as exc:  # unreadable, not UTF-8, not JSON, nested too deeply (read_json)
        raise ConfigError(source, [Problem("", f"cannot be read as JSON ({exc})")]) from None
    written = document.get("simiop_manifest") if isinstance(document, dict) else None
    if isinstance(written, int) and not isinstance(written, bool) and written > FORMAT:
        message = f"written for manifest format {written}; this simiop ({simiop.__version__}) reads {FORMAT}"
        raise ConfigError(source, [Problem("simiop_manifest", f"{message}: upgrade simiop to read it")])
    if not isinstance(document, dict) or written != FORMAT:
        raise ConfigError(
            source, [Problem("simiop_manifest", "not a simiop manifest of a known format", None, str(FORMAT))]
        )
    return document


def check_plan_kind(out: Path, document: Mapping[str, Any]) -> None:
    """ConfigError (one line, naming ``out``) when the folder is a sensitivity or optimisation folder.

    Those record a study or an optimisation, not a plan of scenarios, so the commands that read a run's
    or an experiment's tables (budget, export, report) cannot use them; the line says what to run.
    """
    kind = document.get("kind")
    if kind == "sensitivity":
        message = (
            "is a sensitivity folder (simiop sensitivity), not the results of simiop run or simiop "
            f"experiment: run `simiop report {out}` for its report; its tables are the CSV files there"
        )
    elif kind == "optimise":
        chosen = out / "chosen.yaml"
        message = (
            "is an optimisation folder (simiop optimise), not the results of simiop run or simiop "
            f"experiment: its report is {out / 'optimise.html'}; "
            + (
                f"for the chosen candidate's budget or workbook, run `simiop run {chosen} --out RUN`, use RUN"
                if chosen.is_file()
                else "no candidate was chosen (no chosen.yaml), so there is no run to read"
            )
        )
    elif kind == "calibrate":
        message = (
            "is a calibration folder (simiop calibrate), not the results of simiop run or simiop "
            f"experiment: its report is {out / 'report.html'}; run `simiop run {out / 'calibrated.yaml'} "
            "--out RUN` and use RUN"
        )
    else:
        return
    raise ConfigError(str(out), [Problem("", message)])


def plan_of(out: Path, document: Mapping[str, Any]) -> Plan:
    """The plan recorded in a manifest, every config validated again.

    ConfigError when the manifest records no plan: a sensitivity or optimisation folder (one line saying
    what to run instead) or a manifest that is not simiop's.
    """
    check_plan_kind(out, document)
    return Plan.from_identity(document.get("plan", {}), str(out / MANIFEST))


def command_line() -> list[str]:
    """This process's command line, with the program as the user typed it."""
    return [Path(sys.argv[0]).name, *sys.argv[1:]] if sys.argv else []
