"""``--set path.to.field=value`` overrides, applied to the raw data before validation.

Overrides change the parsed YAML, not the validated objects, so an override is
checked by exactly the same rules as the file. The value is read as YAML, so
``--set tracks.day.weekdays=[mon,wed,fri]`` and ``--set services.family=null`` work.

One list of overrides (a ``--set`` list with the options that feed the config,
an experiment's ``set:``, an API ``changes`` mapping) may set each field once:
the same path twice, or a mapping and a field inside it, is an error naming
both entries, because applying them in order would let the later one win
silently (``tracks.day.group_size.max: 10`` then ``tracks.day.group_size:
{min: 3, max: 12}`` leaves the maximum at 12).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import BaseModel

from simiop.config.errors import ConfigError, Problem, node_at
from simiop.config.model import SimiopConfig
from simiop.config.yamlio import parse_yaml, yaml_problem

_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")

COMMAND_LINE = "command line"
"""The source named by problems that come from command-line options rather than from a file."""

Parts = Sequence[str | int]


@dataclass(frozen=True)
class Override:
    """One ``path=value`` assignment and the option that gave it, for messages."""

    assignment: str
    label: str = ""
    """How the user wrote it, e.g. ``--horizon 7m``; ``--set <assignment>`` when empty."""

    @property
    def shown(self) -> str:
        return self.label or (f"--set {self.assignment}" if self.assignment else "--set")


def as_override(item: str | Override) -> Override:
    return item if isinstance(item, Override) else Override(item)


def show_parts(parts: Parts) -> str:
    """``['intake', 'schedule', 0, 'slots']`` -> ``intake.schedule[0].slots``."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def overlaps(first: Parts, second: Parts) -> bool:
    """Whether setting one path changes the other: the same path, or one inside the other."""
    shorter = min(len(first), len(second))
    return list(first[:shorter]) == list(second[:shorter])


def sets_field(parts: Parts, value: Any, field: Parts) -> bool:
    """Whether setting ``parts`` to ``value`` gives ``field`` a value: the field itself, or a mapping
    (or list) holding it."""
    if len(parts) > len(field) or list(field[: len(parts)]) != list(parts):
        return False
    try:
        value_at(value, field[len(parts) :])
    except KeyError:
        return False
    return True


def value_at(data: Any, parts: Parts) -> Any:
    """The value at ``parts`` in plain data; KeyError when there is none."""
    node = data
    for part in parts:
        inside_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if not (inside_list or (isinstance(node, dict) and part in node)):
            raise KeyError(show_parts(parts))
        node = node[part]
    return node


def overlap_problems(entries: Sequence[tuple[str, Parts]]) -> list[Problem]:
    """A problem for each entry that sets a field an earlier entry sets (same path, parent or child).

    Each entry is (how the user wrote it, its path parts); the problem names both.
    """
    problems: list[Problem] = []
    for index, (label, parts) in enumerate(entries):
        for earlier_label, earlier in entries[:index]:
            if not overlaps(earlier, parts):
                continue
            inner, outer = (parts, earlier) if len(parts) >= len(earlier) else (earlier, parts)
            what = (
                show_parts(parts)
                if len(inner) == len(outer)
                else f"{show_parts(inner)} is inside {show_parts(outer)}"
            )
            problems.append(
                Problem(
                    earlier_label,
                    f"sets the same field as {label} ({what}); the later one would silently win",
                    None,
                    "each field set once: a whole mapping or fields inside it, not both",
                )
            )
            break
    return problems


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
            if part not in node and _omitted_section(parts[: depth + 1]):
                node[part] = {}  # e.g. staff.shifts.evening=... on a file without staff.shifts
            if part not in node and _left_out_field(node, parts[: depth + 1]):
                # e.g. intake.by_source.step_down.lead_time_days=0 on a file without intake.by_source: the
                # field exists, but a mapping of the user's own keys is not made up key by key.
                field = show_parts(parts[: depth + 1])
                return _problem(
                    assignment,
                    f"{field} is not in the config, so there is nothing inside it to change",
                    f"set it whole: {field}={_nested(parts[depth + 1 :], value)}",
                )
            if part not in node:
                known = ", ".join(_known_keys(node, parts[:depth])) or "no keys"
                return _problem(assignment, f"{where} has no key {part!r}", known)
            node = node[part]
        elif isinstance(node, list):
            if not node:  # "allowed 0 to -1" said nothing: there is no item to change, only a list to set
                return _problem(
                    assignment,
                    f"{where} is an empty list; {part!r} is not an index in it",
                    f"set the whole list: {_whole_list(where, parts[depth:], value)}",
                )
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


def _is_section(path: list[str | int]) -> bool:
    """Whether ``path`` leads to a fixed section of the config (a model: ``staff``, ``staff.shifts``)."""
    node = node_at(SimiopConfig, path)
    return node is not None and isinstance(node.annotation, type) and issubclass(node.annotation, BaseModel)


def _known_keys(node: dict[Any, Any], path: list[str | int]) -> list[str]:
    """The keys a mapping has, and, where it is a fixed section of the config, the fields it may have."""
    keys = [str(key) for key in node]
    if _is_section(path):
        section = node_at(SimiopConfig, path)
        assert section is not None
        keys += [name for name in section.annotation.model_fields if name not in node]
    return keys


def _omitted_section(path: list[str | int]) -> bool:
    """Whether ``path`` names a section of the config (a field of a fixed model whose type is a model) that
    the file left out, so that ``--set`` may fill it key by key as the file could.

    Only fixed fields qualify: a user-chosen key (``tracks.dya``) is never made up, so a typo there still
    says which keys exist.
    """
    return _is_section(path[:-1]) and _is_section(path)


def _left_out_field(node: dict[Any, Any], path: list[str | int]) -> bool:
    """Whether ``path`` names a field of a fixed section that the file left out (and that --set does not
    fill key by key: a mapping, list or union, not a section)."""
    if not _is_section(path[:-1]) or path[-1] in node:
        return False
    section = node_at(SimiopConfig, path[:-1])
    assert section is not None
    return str(path[-1]) in section.annotation.model_fields


def _nested(rest: Parts, value: Any) -> str:
    """The rest of a path and its value as one value typed after ``=``: ``{step_down: {lead_time_days:
    0}}``; a list index becomes a list of that one item (``hires.0.count=1`` -> ``[{count: 1}]``)."""
    for part in reversed(rest):
        value = [value] if isinstance(part, int) else {part: value}
    return _flow(value)


def _whole_list(where: str, rest: list[str | int], value: Any) -> str:
    """``hires=[{date: 2028-01-01}]`` for ``hires[0].date=2028-01-01``: the list holding the value given."""
    if len(rest) == 2 and isinstance(rest[1], str):
        item = _flow({rest[1]: value})
    elif len(rest) == 1:
        item = _flow(value)
    else:
        item = "..."
    return f"{where}=[{item}]"


def _flow(value: Any) -> str:
    """A value as YAML flow text, as it is typed after ``--set path=``."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {_flow(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_flow(item) for item in value) + "]"
    if isinstance(value, str) and value and not set(value) & set(",:{}[]#&*!|>'\"%@`"):
        return value if yaml.safe_load(value) == value or _looks_like_date(value) else json.dumps(value)
    text = json.dumps(value, default=str)
    return text


def _looks_like_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


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


def set_values(
    data: Any,
    values: Mapping[str, Any],
    source: str,
    where: str = "",
    labels: Mapping[str, str] | None = None,
) -> Any:
    """A copy of ``data`` with each ``path: value`` of ``values`` set (the value already parsed).

    Experiment files give overrides this way; problems are located at
    ``where.path`` in ``source`` (or at ``labels[path]`` when given). Two
    entries that set the same field (the same path, or a mapping and a field
    inside it) are an error naming both.
    """
    result = copy.deepcopy(data)
    problems: list[Problem] = []
    entries: list[tuple[str, Parts]] = []
    for path, value in values.items():
        label = (labels or {}).get(path) or (f"{where}.{path}" if where else str(path))
        try:
            parts = split_path(str(path).strip())
        except ValueError:
            problems.append(_problem(label, "not a field path", "e.g. tracks.day.groups"))
            continue
        entries.append((label, parts))
        problem = _set(result, parts, copy.deepcopy(value), label)
        if problem is not None:
            problems.append(problem)
    problems += overlap_problems(entries)
    if problems:
        raise ConfigError(source, problems)
    return result


def apply_overrides(data: Any, assignments: Iterable[str | Override], source: str = COMMAND_LINE) -> Any:
    """A copy of ``data`` with every ``path=value`` assignment applied; the input is never changed.

    Problems name the option as written (``--set path=value``, ``--horizon 7m``).
    """
    result = copy.deepcopy(data)
    problems: list[Problem] = []
    entries: list[tuple[str, Parts]] = []
    for override in map(as_override, assignments):
        try:
            parts, value = parse_assignment(override.assignment)
        except AssignmentError as exc:
            problems.append(_problem(override.shown, str(exc), exc.allowed))
            continue
        entries.append((override.shown, parts))
        problem = _set(result, parts, value, override.shown)
        if problem is not None:
            problems.append(problem)
    problems += overlap_problems(entries)
    if problems:
        raise ConfigError(source, problems)
    return result
