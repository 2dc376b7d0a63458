"""Turn validation failures into one line per problem: ``FILE: path: what is wrong (got V; allowed A)``.

pydantic's own messages are written for programmers and its locations for
Python; clinic staff edit YAML. This module rewrites each error in terms of
the YAML path, the value found and the values allowed, and gathers every
problem so a user can fix a file in one pass.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import types
import typing
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Tag, ValidationError
from pydantic.fields import FieldInfo

_MAX_VALUE_CHARS = 60


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a config, located by its YAML path."""

    path: str
    message: str
    got: str | None = None
    allowed: str | None = None
    source: str | None = None
    """Where the problem comes from when not the error's source (e.g. "command line: --horizon 7m")."""

    def format(self, source: str) -> str:
        """The one-line form shown to users."""
        source = self.source or source
        where = f"{self.path}: " if self.path else ""
        detail = "; ".join(
            part
            for part in (
                f"got {self.got}" if self.got is not None else None,
                f"allowed {self.allowed}" if self.allowed is not None else None,
            )
            if part
        )
        line = f"{source}: {where}{self.message}" + (f" ({detail})" if detail else "")
        return line.replace("\r", "\\r").replace("\n", "\\n")  # one problem, one line


class ConfigError(Exception):
    """A config (file, override or object) that cannot be used, with every problem found."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        super().__init__("\n".join(problem.format(source) for problem in self.problems))

    def lines(self) -> list[str]:
        """One formatted line per problem."""
        return [problem.format(self.source) for problem in self.problems]


def show_value(value: Any) -> str:
    """A short, YAML-flavoured rendering of a value for an error message."""
    return _shown(value, 0)


_HIDDEN_DEPTH = _MAX_VALUE_CHARS // len("a list [") + 1
"""A list nested this deep inside the value shown starts past the characters a value is cut to (each level
before it adds its "a list [" of 8): it is not rendered."""


def _shown(value: Any, depth: int) -> str:
    """``show_value`` of a value nested ``depth`` lists deep in the value shown.

    A list's items are rendered only until they fill more characters than the value is cut to, and a list
    ``_HIDDEN_DEPTH`` deep not at all: what follows would be cut off anyway (so the text is the same), and
    rendering it walked every item of a long list (a million) and recursed once per level of a deeply
    nested one ([[[...]]] in a --set value: a RecursionError traceback past a few hundred levels, break33).
    """
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None:
        text = "null (nothing)"
    elif isinstance(value, str):
        text = repr(value)
    elif isinstance(value, dict):
        text = "a mapping {" + ", ".join(str(key) for key in value) + "}"
    elif isinstance(value, list | tuple):
        text = (
            "a list ["
            + (", ".join(_shown_items(value, depth + 1)) if depth + 1 < _HIDDEN_DEPTH else "...")
            + "]"
        )
    elif isinstance(value, dt.date):
        text = value.isoformat()
    elif isinstance(value, float):
        text = f"{value:g}" if float(f"{value:g}") == value else repr(value)  # never hide a fraction
    else:
        text = str(value)
    if len(text) > _MAX_VALUE_CHARS:
        text = text[: _MAX_VALUE_CHARS - 3] + "..."
    return text


def _shown_items(items: Sequence[Any], depth: int) -> Iterator[str]:
    """``_shown`` of each item, until they fill more than the characters the list's text is cut to."""
    filled = 0
    for item in items:
        if filled > _MAX_VALUE_CHARS:
            return
        text = _shown(item, depth)
        filled += len(text) + len(", ")
        yield text


UNION_TAGS = ("dist=", "form=")
"""Prefixes of the tags that pick a union member (a distribution family, a list or a rule): not YAML keys."""


def format_path(loc: Iterable[int | str]) -> str:
    """``('tracks', 'day', 'weekdays', 2)`` -> ``tracks.day.weekdays[2]``; union tags are dropped."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part.startswith(UNION_TAGS) or part == "[key]":
            continue
        else:
            text += f".{part}" if text else part
    return text


# -- finding the declared type of a location, for "allowed" texts -----------------------------


@dataclass
class _Node:
    annotation: Any
    metadata: list[Any]


def _unwrap(node: _Node) -> _Node:
    """Strip Annotated and Optional, collecting constraint metadata on the way."""
    annotation, metadata = node.annotation, list(node.metadata)
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            base, *extra = typing.get_args(annotation)
            for item in extra:
                metadata.extend(item.metadata if isinstance(item, FieldInfo) else [item])
            annotation = base
        elif origin in (typing.Union, types.UnionType):
            members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                return _Node(annotation, metadata)
            annotation = members[0]
        else:
            return _Node(annotation, metadata)


def _tagged_member(annotation: Any, tag: str) -> Any:
    """The member of a union marked ``Tag(tag)`` (e.g. clinic.holidays' rule or list)."""
    for member in typing.get_args(annotation):
        if typing.get_origin(member) is typing.Annotated and any(
            isinstance(item, Tag) and item.tag == tag for item in typing.get_args(member)[1:]
        ):
            return member
    return None


def _union_member(annotation: Any, tag: str) -> Any:
    for member in typing.get_args(annotation):
        unwrapped = _unwrap(_Node(member, [])).annotation
        fields = getattr(unwrapped, "model_fields", {})
        dist = fields.get("dist")
        if dist is not None and typing.get_args(dist.annotation) == (tag,):
            return unwrapped
    return None


def node_at(root: type[BaseModel], loc: Sequence[int | str]) -> _Node | None:
    """The declared type and constraints at ``loc`` under ``root``, or None if it cannot be told."""
    node = _Node(root, [])
    for part in loc:
        node = _unwrap(node)
        annotation = node.annotation
        origin = typing.get_origin(annotation)
        if isinstance(part, str) and part.startswith("dist="):
            member = _union_member(annotation, part.removeprefix("dist="))
            if member is None:
                return None
            node = _Node(member, [])
        elif isinstance(part, str) and part.startswith("form="):
            member = _tagged_member(annotation, part)
            if member is None:
                return None
            node = _Node(member, [])
        elif part == "[key]":
            continue
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(str(part))
            if field is None:
                return None
            node = _Node(field.annotation, list(field.metadata))
        elif origin is dict:
            node = _Node(typing.get_args(annotation)[1], [])
        elif origin is tuple:
            node = _Node(typing.get_args(annotation)[0], [])
        else:
            return None
    return _unwrap(node)


def _bound(value: Any) -> str:
    """Integers exactly (a seed's 2**63 - 1 is not 9.22337e+18), other numbers compactly."""
    return str(value) if isinstance(value, int) else f"{value:g}"


def _bounds_text(metadata: list[Any]) -> str | None:
    lower = upper = None
    for item in metadata:  # pydantic's annotated-types constraints: Ge, Gt, Le, Lt
        kind = type(item).__name__
        bound = getattr(item, kind.lower(), None)
        if kind == "Ge":
            lower = _bound(bound)
        elif kind == "Gt":
            lower = f"above {_bound(bound)}"
        elif kind == "Le":
            upper = _bound(bound)
        elif kind == "Lt":
            upper = f"below {_bound(bound)}"
    if lower and upper:
        return f"{lower} to {upper}"
    if lower:
        return f">= {lower}" if not lower.startswith("above") else lower
    if upper:
        return f"<= {upper}" if not upper.startswith("below") else upper
    return None


def _fields_of(root: type[BaseModel], loc: Sequence[int | str]) -> list[str]:
    node = node_at(root, loc)
    if node is not None and isinstance(node.annotation, type) and issubclass(node.annotation, BaseModel):
        return list(node.annotation.model_fields)
    return []


_LEADING_ZERO = re.compile(r"^[-+]?0[0-9_]+$")
"""A number written with a leading zero, which the config reader keeps as text (simiop/config/yamlio.py)."""

_TYPE_WORDS = {
    "float_type": "a number",
    "int_type": "a whole number",
    "bool_type": "true or false",
    "string_type": "text",
    "date_type": "a date YYYY-MM-DD",
    "dict_type": "a mapping of keys to values",
    "model_type": "a mapping of keys to values",
    "model_attributes_type": "a mapping of keys to values",
    "tuple_type": "a list",
    "list_type": "a list",
}


REPLACED_KEYS: dict[str, tuple[str, str]] = {
    "min_weekly_hours": (
        "weekly_requirement",
        "it was replaced by weekly_requirement: {kind: plan_of_care, hours: 9} checks the scheduled hours "
        "(Medicare), {kind: claim_edit, hours: 9} refuses the days of a week with fewer than 9 billing hours "
        "(programme hours on days the group ran, plus counted sessions)",
    ),
}
"""Keys an older simiop accepted -> (the field that replaced it, how to write it now)."""


def _problem(error: Any, root: type[BaseModel]) -> list[Problem]:
    kind: str = error["type"]
    loc: tuple[int | str, ...] = tuple(error["loc"])
    ctx: dict[str, Any] = error.get("ctx") or {}
    value = error.get("input")
    path = format_path(loc)
    got = show_value(value)

    if kind == "references":
        return [Problem(*problem) for problem in ctx["problems"]]
    if kind == "cross_fields":
        return [
            Problem(f"{path}.{field}" if path else field, message, show_value(got), allowed)
            for field, message, got, allowed in ctx["rules"]
        ]
    if kind == "cross_field":
        field_path = f"{path}.{ctx['field']}" if path else ctx["field"]
        return [Problem(field_path, error["msg"], show_value(ctx["got"]), ctx["allowed"])]
    if "got" in ctx and "allowed" in ctx:
        return [Problem(path, error["msg"], show_value(ctx["got"]), str(ctx["allowed"]))]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        known = _fields_of(root, loc[:-1])
        close = difflib.get_close_matches(key, known, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        if key in REPLACED_KEYS and REPLACED_KEYS[key][0] in known:
            hint = f"; {REPLACED_KEYS[key][1]}"
        return [Problem(path, "unknown key" + hint, repr(key), ", ".join(known) or None)]
    if kind == "missing":
        return [Problem(path, "required key is missing")]
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        node = node_at(root, loc)
        allowed = _bounds_text(node.metadata) if node else None
        if allowed is None:
            allowed = error["msg"].removeprefix("Input should be ")
        return [Problem(path, "out of range", got, allowed)]
    if kind == "finite_number":
        return [Problem(path, "not a finite number", got, "a finite number")]
    if kind in ("int_type", "float_type") and isinstance(value, str) and _LEADING_ZERO.match(value):
        # The YAML reader keeps 045 as text (YAML 1.1 would read octal 37, YAML 1.2 reads 45).
        written = int(value.replace("_", ""))
        return [
            Problem(
                path,
                "a number with a leading zero is ambiguous (YAML 1.1 reads it as octal)",
                got,
                f"{_TYPE_WORDS[kind]} without leading zeros, e.g. {written}",
            )
        ]
    if kind in _TYPE_WORDS:
        return [Problem(path, "wrong type", got, _TYPE_WORDS[kind])]
    if kind == "literal_error":
        return [Problem(path, "not one of the allowed values", got, ctx.get("expected"))]
    if kind == "union_tag_invalid":
        tags = ", ".join(
            tag.strip("'").removeprefix("dist=") for tag in str(ctx["expected_tags"]).split(", ")
        )
        return [
            Problem(f"{path}.dist", "unknown distribution", repr(str(ctx["tag"]).removeprefix("dist=")), tags)
        ]
    if kind == "union_tag_not_found":
        return [
            Problem(
                path, "a distribution needs a 'dist' key", got, "e.g. {dist: lognormal, mean: 42, sd: 20}"
            )
        ]
    if kind in ("too_short", "too_long"):
        bound = "at least" if kind == "too_short" else "at most"
        limit = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        return [Problem(path, "wrong number of items", got, f"{bound} {limit}")]
    if kind in ("string_too_short", "string_too_long"):
        bound = "at least" if kind == "string_too_short" else "at most"
        limit = ctx.get("min_length") if kind == "string_too_short" else ctx.get("max_length")
        unit = "character" if limit == 1 else "characters"
        return [Problem(path, "wrong length of text", got, f"{bound} {limit} {unit}")]
    if kind == "string_pattern_mismatch":
        return [
            Problem(path, "not a valid name", got, "lower-case letters, digits and _, starting with a letter")
        ]
    if kind.startswith("date_"):
        return [Problem(path, "not a valid date", got, "a date YYYY-MM-DD")]
    message = str(error["msg"]).removeprefix("Value error, ")
    return [Problem(path, message, got, None)]


def problems_from(exc: ValidationError, root: type[BaseModel]) -> list[Problem]:
    """Every problem in a pydantic ValidationError, in the order pydantic found them."""
    errors = exc.errors()
    problems: list[Problem] = []
    for error in errors:
        if not _length_after_failed_items(error, errors):
            problems.extend(_problem(error, root))
    return problems


def _length_after_failed_items(error: Any, errors: Sequence[Any]) -> bool:
    """A list's length error that only counts the items left after some of them failed.

    Pydantic checks ``min_length`` of a tuple after validating its items and
    counts only those that passed, so ``placement: [lunch]`` also gives "at
    least 1 item, not 0": a second, wrong line for one mistake. It is dropped
    when the list has enough items as written and one of them already failed.
    """
    if error["type"] != "too_short":  # failed items only ever make a list shorter
        return False
    loc = tuple(error["loc"])
    value = error.get("input")
    written = len(value) if isinstance(value, list | tuple) else 0
    long_enough = written >= (error.get("ctx") or {}).get("min_length", 0)
    failed_item = any(
        len(other["loc"]) > len(loc) and tuple(other["loc"])[: len(loc)] == loc for other in errors
    )
    return long_enough and failed_item
