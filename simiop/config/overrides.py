"""``--set path.to.field=value`` overrides, applied to the raw data before validation.

Overrides change the parsed YAML, not the validated objects, so an override is
checked by exactly the same rules as the file. The value is read as YAML, so
``--set tracks.day.weekdays=[mon,wed,fri]`` and ``--set services.family=null`` work.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from simiop.config.errors import ConfigError, Problem
from simiop.config.yamlio import parse_yaml, yaml_problem

_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def split_path(path: str) -> list[str | int]:
    """``tracks.day.group_size.max`` -> parts; ``schedule[0]`` and ``schedule.0`` index lists."""
    parts: list[str | int] = []
    position = 0
    for match in _SEGMENT.finditer(path):
        between = path[position : match.start()]
        if between not in ("", "."):
            raise ValueError(path)
        name, index = match.groups()
        parts.append(int(index) if index is not None else (int(name) if name.isdigit() else name))
        position = match.end()
    if not parts or position != len(path) or path.startswith(".") or path.endswith("."):
        raise ValueError(path)
    return parts


def _problem(assignment: str, message: str, allowed: str) -> Problem:
    return Problem(assignment, message, None, allowed)


def _set(data: Any, parts: list[str | int], value: Any, assignment: str) -> Problem | None:
    node = data
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        where = ".".join(str(p) for p in parts[:depth]) or "the top level"
        if isinstance(node, dict):
            if last:
                node[part] = value
                return None
            if part not in node:
                known = ", ".join(str(key) for key in node) or "no keys"
                return _problem(assignment, f"{where} has no key {part!r}", known)
            node = node[part]
        elif isinstance(node, list):
            if not isinstance(part, int) or not 0 <= part < len(node):
                return _problem(
                    assignment, f"{where} is a list; {part!r} is not an index in it", f"0 to {len(node) - 1}"
                )
            if last:
                node[part] = value
                return None
            node = node[part]
        else:
            return _problem(
                assignment, f"{where} is a single value, not a mapping or list", "a path to an existing field"
            )
    return None


class AssignmentError(ValueError):
    """A ``path=value`` text that cannot be read, with what would be allowed."""

    def __init__(self, message: str, allowed: str) -> None:
        super().__init__(message)
        self.allowed = allowed


def parse_assignment(assignment: str) -> tuple[list[str | int], Any]:
    """``path.to.field=value`` -> (path parts, value read as YAML)."""
    path, sep, text = assignment.partition("=")
    try:
        parts = split_path(path.strip())
    except ValueError:
        raise AssignmentError("not of the form path.to.field=value", "e.g. tracks.day.groups=3") from None
    if not sep:
        raise AssignmentError("missing '=value'", "e.g. tracks.day.groups=3")
    try:
        value = parse_yaml(text) if text.strip() else ""
    except yaml.YAMLError as exc:
        raise AssignmentError(yaml_problem(exc).message, "a YAML value") from None
    return parts, value


def set_values(data: Any, values: Mapping[str, Any], source: str, where: str = "") -> Any:
    """A copy of ``data`` with each ``path: value`` of ``values`` set (the value already parsed).

    Experiment files give overrides this way; problems are located at
    ``where.path`` in ``source``.
    """
    result = copy.deepcopy(data)
    problems: list[Problem] = []
    for path, value in values.items():
        label = f"{where}.{path}" if where else path
        try:
            parts = split_path(path.strip())
        except ValueError:
            problems.append(_problem(label, "not a field path", "e.g. tracks.day.groups"))
            continue
        problem = _set(result, parts, copy.deepcopy(value), label)
        if problem is not None:
            problems.append(problem)
    if problems:
        raise ConfigError(source, problems)
    return result


def apply_overrides(data: Any, assignments: Iterable[str]) -> Any:
    """A copy of ``data`` with every ``path=value`` assignment applied; the input is never changed."""
    result = copy.deepcopy(data)
    problems: list[Problem] = []
    for assignment in assignments:
        try:
            parts, value = parse_assignment(assignment)
        except AssignmentError as exc:
            problems.append(_problem(assignment, str(exc), exc.allowed))
            continue
        problem = _set(result, parts, value, assignment)
        if problem is not None:
            problems.append(problem)
    if problems:
        raise ConfigError("--set", problems)
    return result
