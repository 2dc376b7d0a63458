"""What the web app's Clinic page needs to know of a config field: its bounds, its kind and its help text.

Read from the config models themselves (the same constraints that
``simiop validate`` checks and the field docstrings that make the JSON Schema
and docs/config-reference.md), so a widget can never offer a value the file
would refuse for its own sake, and its help is the reference's text.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from simiop.config import SimiopConfig
from simiop.config.descriptions import field_description
from simiop.config.errors import node_at


@dataclass(frozen=True)
class FieldSpec:
    """A field at a dotted ``path``: bounds (None: unbounded), whether they are open, kind and help."""

    path: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    integer: bool = False
    choices: tuple[str, ...] = ()
    help: str = ""

    def widget_bounds(self, step: float) -> tuple[float | None, float | None]:
        """Bounds a number widget can enforce: an open bound (> 0) moves in by one ``step``."""
        low = None if self.low is None else self.low + (step if self.low_open else 0)
        high = None if self.high is None else self.high - (step if self.high_open else 0)
        return low, high


def _parts(path: str) -> list[str | int]:
    return [int(part) if part.isdigit() else part for part in path.split(".")]


def field_spec(path: str) -> FieldSpec:
    """The spec of the field at ``path`` (dict keys, e.g. a source's name, given as they are in the file).

    KeyError when the models have no such field.
    """
    parts = _parts(path)
    node = node_at(SimiopConfig, parts)
    parent = node_at(SimiopConfig, parts[:-1])
    if node is None or parent is None:
        raise KeyError(f"no config field {path!r}")
    spec: dict[str, Any] = {"path": path}
    for item in node.metadata:  # annotated-types constraints: Ge, Gt, Le, Lt
        kind = type(item).__name__
        if kind in ("Ge", "Gt"):
            spec["low"], spec["low_open"] = float(getattr(item, kind.lower())), kind == "Gt"
        elif kind in ("Le", "Lt"):
            spec["high"], spec["high_open"] = float(getattr(item, kind.lower())), kind == "Lt"
    annotation = node.annotation
    spec["integer"] = annotation is int
    if typing.get_origin(annotation) is typing.Literal:
        spec["choices"] = tuple(str(value) for value in typing.get_args(annotation))
    model = parent.annotation
    if isinstance(model, type) and issubclass(model, BaseModel):
        description = field_description(model, str(parts[-1])) or ""
        spec["help"] = " ".join(description.split())
    return FieldSpec(**spec)
