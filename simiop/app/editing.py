"""The Clinic page's edits as plain functions: set a field, check the config, write YAML (no web framework).

The page keeps the config as the data of a YAML file and changes it one field
at a time with ``simiop.config.overrides.set_values`` (as ``--set`` does), so
what it saves is a file ``simiop validate`` reads, and what it refuses is
refused with ``simiop validate``'s own one-line messages.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from simiop.config import ConfigError, Problem, SimiopConfig, validate_config
from simiop.config.overrides import set_values
from simiop.config.yamlio import parse_yaml, yaml_problem

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def shipped_configs() -> dict[str, Path]:
    """Configs to start from: the example shipped in the package, and configs/*.yaml of a source checkout."""
    from simiop.api import example_config

    found = {"example clinic (simiop init)": example_config()}
    checkout = Path(__file__).resolve().parents[2] / "configs"
    if checkout.is_dir():
        found.update({path.name: path for path in sorted(checkout.glob("*.yaml"))})
    return found


def read_text(text: str, source: str) -> tuple[dict[str, Any], SimiopConfig]:
    """Config data and the validated config from YAML text; ConfigError (one line per problem) if not."""
    try:
        data = parse_yaml(text)
    except yaml.YAMLError as exc:
        raise ConfigError(source, [yaml_problem(exc)]) from None
    config = validate_config(data, source)  # refuses anything but a config mapping, naming it
    assert isinstance(data, dict)  # validate_config accepted it
    return data, config


SCENARIO_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
"""A scenario's name, as in experiment files (simiop.config.base.Name): it names the scenario's folder."""


def scenario_name_problem(name: str) -> str | None:
    """One line saying why ``name`` cannot name a scenario (None: it can), with a name that could."""
    if SCENARIO_NAME.match(name):
        return None
    suggested = re.sub(r"[^a-z0-9_]+", "_", name.strip().lower()).strip("_")[:40]
    if not suggested[:1].isalpha():
        suggested = f"scenario_{suggested}".rstrip("_")[:40]
    return (
        f"Scenario name: {name!r} is not a scenario name (allowed lower-case letters, digits and _, "
        f"starting with a letter, at most 40, as in experiment files: e.g. {suggested})"
    )


def with_value(data: Mapping[str, Any], path: str, value: Any, source: str) -> dict[str, Any]:
    """A copy of ``data`` with the field at ``path`` set; ConfigError for a path that is not a field."""
    changed = set_values(data, {path: value}, source)
    assert isinstance(changed, dict)
    return changed


def problems_of(data: Mapping[str, Any], source: str) -> tuple[SimiopConfig | None, list[Problem]]:
    """The config and no problems, or None and every problem ``simiop validate`` would print."""
    try:
        return validate_config(copy.deepcopy(dict(data)), source), []
    except ConfigError as exc:
        return None, list(exc.problems)


def problems_at(problems: Sequence[Problem], path: str) -> list[Problem]:
    """The problems about the field at ``path``, or about a section holding it, or inside it."""
    return [
        problem
        for problem in problems
        if problem.path
        and (
            path == problem.path
            or path.startswith(problem.path + ".")
            or problem.path.startswith(path + ".")
            or problem.path.startswith(path + "[")
        )
    ]


def yaml_text(data: Mapping[str, Any]) -> str:
    """The config as YAML, keys in the file's order (``simiop validate`` reads it back to the same config)."""
    return yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True, default_flow_style=None)


# -- intake slots per weekday ------------------------------------------------------------------------


def slots_per_weekday(data: Mapping[str, Any]) -> dict[str, int]:
    """Assessment slots on each weekday of the intake schedule."""
    counts = dict.fromkeys(WEEKDAYS, 0)
    for slot in data.get("intake", {}).get("schedule", []):
        counts[str(slot["weekday"])] += 1
    return counts


def _minutes(time: str) -> int:
    hours, minutes = str(time).split(":")
    return int(hours) * 60 + int(minutes)


def with_slots(schedule: Sequence[Mapping[str, Any]], weekday: str, count: int, minutes: float) -> list[Any]:
    """``schedule`` with ``count`` slots on ``weekday``: the earliest kept, or new ones added after the last.

    A new slot starts where the day's last one ends (``minutes`` long),
    rounded up to the half hour, from 09:00 on a day without slots. Times
    past 24:00 are not made: the day then has as many as fit.
    """
    day = sorted(
        (dict(slot) for slot in schedule if slot["weekday"] == weekday), key=lambda s: s["start_time"]
    )
    others = [dict(slot) for slot in schedule if slot["weekday"] != weekday]
    day = day[:count]
    while len(day) < count:
        start = 9 * 60 if not day else _minutes(day[-1]["start_time"]) + int(minutes)
        start = -(-start // 30) * 30
        if start + minutes > 24 * 60:
            break
        day.append({"weekday": weekday, "start_time": f"{start // 60:02d}:{start % 60:02d}"})
    order = {name: index for index, name in enumerate(WEEKDAYS)}
    return sorted([*others, *day], key=lambda s: (order[s["weekday"]], _minutes(s["start_time"])))


# -- hires as a line of text ---------------------------------------------------------------------------

_HIRE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s*(?:x\s*(\d+))?\s*$")


def hires_text(hires: Sequence[Mapping[str, Any]]) -> str:
    """``2027-04-01 x 2; 2028-01-03`` for the role's hires (date and, when not 1, how many)."""
    parts = []
    for hire in hires:
        count = int(hire.get("count", 1))
        parts.append(f"{hire['date']}" + (f" x {count}" if count != 1 else ""))
    return "; ".join(parts)


def parse_hires(text: str, where: str) -> list[dict[str, Any]]:
    """Hires from ``hires_text``'s form; ValueError (one line naming ``where``) for anything else.

    A date in the right form that is no day of the calendar (2027-13-01) is
    kept as text, so that the config reports it as ``simiop validate`` does.
    """
    hires = []
    for part in filter(str.strip, text.split(";")):
        match = _HIRE.match(part)
        if match is None:
            raise ValueError(
                f"{where}: cannot read {part.strip()!r} (allowed e.g. 2027-04-01 x 2; 2028-01-03)"
            )
        date: dt.date | str
        try:
            date = dt.date.fromisoformat(match.group(1))
        except ValueError:
            date = match.group(1)
        hires.append({"date": date, "count": int(match.group(2) or 1)})
    return hires
