"""The config reference (docs/config-reference.md), generated from the config models.

The models in ``simiop/config/`` are the single source of truth for what a
config file may contain: their field docstrings, bounds and defaults are what
``load_config`` enforces. Writing the reference by hand would let it drift from
them, so it is rendered from the models here and ``tests/test_config_reference.py``
fails when the committed file differs from ``render_reference()``.

The pydantic models are walked rather than the JSON schema because the schema
loses the value checks done by validators (a duration distribution that can
never be negative, shares that sum to 1, "HH:MM" times); those checks are named
in the bounds column through ``_VALIDATOR_BOUNDS``. Any metadata or validator
this module does not know raises instead of being skipped, so a new kind of
constraint can never silently vanish from the reference.

Units rule: a field's unit is the text of a parenthesised group in its
description, up to the first ";" or ",", when that text is one unit word or two
joined by "/" (for example "(USD/day)", "(hours/week)", "(USD/year; BLS
median wages)"). Unit words are listed in ``UNIT_WORDS``. Without such a group, a
field whose name starts or ends with a unit word (``session_minutes``,
``patience_days``, ``weeks_to_full``; see ``NAME_UNITS``) has that unit, since
the name states it; anything else has no unit, shown as "—".

Regenerate with ``python -m simiop.config.reference > docs/config-reference.md``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
import types
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel, Discriminator, Strict, Tag
from pydantic.fields import FieldInfo
from pydantic_core import to_jsonable_python

from simiop.config import base, calendar, care, distributions
from simiop.config.descriptions import describe_fields
from simiop.config.distributions import DISTRIBUTIONS, Distribution
from simiop.config.model import SimiopConfig
from simiop.config.money import counted_by_default

__all__ = ["NAME_UNITS", "NO_VALUE", "REGENERATE", "UNIT_WORDS", "render_reference", "unit_of"]

REGENERATE = "python -m simiop.config.reference > docs/config-reference.md"
"""The command that rewrites the committed reference; quoted in the document and in test failures."""

NO_VALUE = "—"
"""Shown in a cell that has nothing to say (no unit, no bounds, no description)."""

UNIT_WORDS: tuple[str, ...] = (
    "USD",
    "day",
    "days",
    "week",
    "weeks",
    "hour",
    "hours",
    "minute",
    "minutes",
    "year",
    "years",
    "person",
    "persons",
    "patient",
    "patients",
    "referral",
    "referrals",
    "group",
    "groups",
    "room",
    "rooms",
    "session",
    "sessions",
    "service",
    "services",
)
"""Words the units rule accepts; a parenthesised remark made of anything else is not a unit."""

NAME_UNITS: dict[str, str] = {"minutes": "minutes", "days": "days", "weeks": "weeks", "hours": "hours"}
"""First or last word of a field name -> the unit it states (``assessment_minutes``, ``interval_weeks``)."""

_PARENTHESISED = re.compile(r"\(([^()]*)\)")
_WORD = "|".join(UNIT_WORDS)
_UNIT = re.compile(rf"(?:{_WORD})(?:/(?:{_WORD}))?")

_KEY_PLACEHOLDERS: dict[str, str] = {
    "tracks": "track",
    "roles": "role",
    "payers": "payer",
    "sources": "source",
    "acuity_classes": "acuity_class",
    "outcomes_by_source": "source",
    "outcomes_by_acuity": "acuity_class",
    "payer_mix": "payer",
    "acuity_mix": "acuity_class",
    "track_preference": "preference",
}
"""Placeholder for the user-chosen keys of a mapping field, by field name; others get ``<name>``."""

_VALIDATOR_BOUNDS: dict[Callable[..., Any], str | None] = {
    base._list_as_tuple: None,  # reads a YAML list as a tuple; no constraint
    base._date_text_only: None,  # refuses numbers as dates; the type column already says date
    base._date_in_range: base.DATE_RANGE,
    base._parse_time_of_day: 'time of day "HH:MM", 00:00 to 23:59',
    base._parse_clock_end: 'time of day "HH:MM", 00:00 to 24:00',
    care.unique_placements: "no placement twice",
    care.unique_payers: "no payer twice",
    base.unique_weekdays: "no weekday twice",
    base.shares_sum_to_one: "values sum to 1",
    distributions._check_dist_key: None,  # words the error for a missing or unknown dist key
    calendar._list_or_rule: None,  # words the error for holidays that are neither a list nor a rule
    distributions._non_negative: "draws >= 0",
    distributions._probability: "draws 0 to 1",
    distributions._count: "draws whole numbers >= 0",
    distributions._curve_in_unit_interval: "every y 0 to 1",
    distributions._curve_non_negative: "every y >= 0",
}
"""What each field validator checks, in the words of the bounds column (None: checks no value)."""

_PRIMITIVES: dict[object, str] = {
    int: "integer",
    float: "number",
    bool: "boolean",
    str: "string",
    dt.date: "date",
}
_LENGTH_NOUNS: dict[str, tuple[str, str]] = {
    "string": ("character", "characters"),
    "list": ("item", "items"),
    "mapping": ("entry", "entries"),
}


def unit_of(description: str | None, name: str | None = None) -> str:
    """The unit stated in parentheses in a field description, else in its name, or "—" (module docstring).

    Two different units in one description raise ValueError: the reference
    must not pick one of them arbitrarily.
    """
    units: list[str] = []
    for remark in _PARENTHESISED.findall(description or ""):
        head = re.split(r"[;,]", remark, maxsplit=1)[0].strip()
        if _UNIT.fullmatch(head) and head not in units:
            units.append(head)
    if len(units) > 1:
        raise ValueError(f"description states several units {units}: {description!r}")
    if units:
        return units[0]
    words = (name or "").split("_")
    return NAME_UNITS.get(words[-1]) or NAME_UNITS.get(words[0]) or NO_VALUE


# --------------------------------------------------------------------------
# Reading one field's annotation
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Shape:
    """What a reader needs to know about one annotation."""

    text: str
    """Readable type, e.g. "list of objects" or "integer or null"."""
    bounds: tuple[str, ...] = ()
    """Each constraint in words, e.g. "1 to 12" or "at least 1 item"."""
    model: type[BaseModel] | None = None
    """Model whose fields are listed under this field, if any."""
    suffix: str = ""
    """Path from this field to that model's fields: "" (the field is the model), "[]" or ".<key>"."""
    families: tuple[type[BaseModel], ...] = ()
    """Distribution families this field accepts."""


def _number(value: float) -> str:
    """A bound as written in a config: 100000 rather than 100000.0 or 1e5."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return str(value) if isinstance(value, int) else repr(value)


def _range_text(low: tuple[str, float] | None, high: tuple[str, float] | None) -> str | None:
    """Numeric bounds in words: "1 to 12" when both ends are included, else ">= 0", "> 0 and <= 12"..."""
    if low is not None and high is not None and low[0] == ">=" and high[0] == "<=":
        if low[1] == high[1]:
            return f"only {_number(low[1])}"
        return f"{_number(low[1])} to {_number(high[1])}"
    parts = [f"{end[0]} {_number(end[1])}" for end in (low, high) if end is not None]
    return " and ".join(parts) or None


def _length_text(kind: str, low: int | None, high: int | None) -> str | None:
    """Length bounds in words: "at least 1 item", "1 to 200 characters"."""
    if low is None and high is None:
        return None
    if kind not in _LENGTH_NOUNS:
        raise TypeError(f"length bound on a {kind}: the config reference cannot word it")
    one, many = _LENGTH_NOUNS[kind]
    if low is not None and high is not None:
        return f"{low} to {high} {many}"
    count = low if low is not None else high
    noun = one if count == 1 else many
    return f"at least {count} {noun}" if low is not None else f"at most {count} {noun}"


def _flatten(metadata: Sequence[object]) -> Iterator[object]:
    """Metadata items, with those of a ``Field(...)`` inside ``Annotated`` taken out of it."""
    for item in metadata:
        if isinstance(item, FieldInfo):
            yield from _flatten(item.metadata)
        else:
            yield item


_NOT_CONSTRAINTS = (Tag, Discriminator, Strict)
"""Metadata that picks a union member or sets strictness, and so never refuses a value by itself."""


def _constraints(metadata: Sequence[object], kind: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Every constraint in ``metadata`` in words; unknown metadata raises (see the module docstring).

    Returned as (limits, checks): numeric and length limits come first in the
    bounds column, then the bounds of the value's parts, then validator checks
    (which often concern the parts, e.g. "values sum to 1").
    """
    low: tuple[str, float] | None = None
    high: tuple[str, float] | None = None
    min_len: int | None = None
    max_len: int | None = None
    other: list[str] = []
    for item in _flatten(metadata):
        if isinstance(item, _NOT_CONSTRAINTS):
            continue
        if isinstance(item, annotated_types.Ge):
            low = (">=", _limit(item.ge))
        elif isinstance(item, annotated_types.Gt):
            low = (">", _limit(item.gt))
        elif isinstance(item, annotated_types.Le):
            high = ("<=", _limit(item.le))
        elif isinstance(item, annotated_types.Lt):
            high = ("<", _limit(item.lt))
        elif isinstance(item, annotated_types.MinLen):
            min_len = item.min_length
        elif isinstance(item, annotated_types.MaxLen):
            max_len = item.max_length
        elif type(item).__name__ == "_PydanticGeneralMetadata":  # pydantic keeps Field(pattern=...) here
            other.extend(_general_text(item))
        else:
            other.extend(_validator_text(item))
    limits = (_range_text(low, high), _length_text(kind, min_len, max_len))
    return tuple(limit for limit in limits if limit), tuple(other)


def _limit(value: object) -> float:
    """A numeric bound; config bounds are plain numbers, anything else would be worded wrongly."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"config reference cannot word the bound {value!r}")
    return value


def _general_text(item: object) -> list[str]:
    settings = dict(vars(item))
    pattern = settings.pop("pattern", None)
    if settings:
        raise TypeError(f"config reference cannot word the constraint {item!r}")
    return [f"matches `{pattern}`"] if pattern is not None else []


def _validator_text(item: object) -> list[str]:
    func = getattr(item, "func", None)
    if func is None:
        raise TypeError(f"config reference cannot word the metadata {item!r}")
    if func not in _VALIDATOR_BOUNDS:
        raise TypeError(
            f"validator {func.__module__}.{func.__qualname__} is not described in "
            "simiop.config.reference._VALIDATOR_BOUNDS; add what it checks there"
        )
    text = _VALIDATOR_BOUNDS[func]
    return [text] if text else []


def _unwrap(annotation: object) -> tuple[object, list[object]]:
    """Base type and metadata of a possibly ``Annotated`` type (Python flattens nested ones)."""
    if get_origin(annotation) is Annotated:
        base_type, *metadata = get_args(annotation)
        return base_type, metadata
    return annotation, []


def _kind(base_type: object) -> str:
    origin = get_origin(base_type)
    if origin in (tuple, list):
        return "list"
    if origin is dict:
        return "mapping"
    return _PRIMITIVES.get(base_type, "other")


def _prefixed(label: str, bounds: tuple[str, ...]) -> tuple[str, ...]:
    """Bounds of a part of a value (its items, keys, values) as one entry, e.g. "values: 0 to 1"."""
    return (f"{label}{', '.join(bounds)}",) if bounds else ()


def _plural(text: str) -> str:
    """The item type after "list of": "list of numbers", "list of objects"."""
    if text in ("integer", "number", "boolean", "string", "date", "object"):
        return f"{text}s"
    return text.removeprefix("one of ")


def _literal_text(values: tuple[object, ...]) -> str:
    return "/".join(f"`{value}`" for value in values)


def _shape(annotation: object, metadata: Sequence[object], key: str) -> _Shape:
    """Type, bounds and nested model of an annotation; ``key`` names user-chosen mapping keys."""
    base_type, inner = _unwrap(annotation)
    limits, checks = _constraints([*metadata, *inner], _kind(base_type))
    shape = _shape_of_base(base_type, key)
    return replace(shape, bounds=limits + shape.bounds + checks)


def _shape_of_base(base_type: object, key: str) -> _Shape:
    origin = get_origin(base_type)
    if origin in (Union, types.UnionType):
        return _union_shape(get_args(base_type), key)
    if origin is Literal:
        values = get_args(base_type)
        return _Shape(_literal_text(values) if len(values) == 1 else f"one of {_literal_text(values)}")
    if origin is dict:
        key_type, value_type = get_args(base_type)
        return _mapping_shape(key_type, value_type, key)
    if origin in (tuple, list):
        return _sequence_shape(get_args(base_type), key)
    if isinstance(base_type, type) and issubclass(base_type, BaseModel):
        return _Shape("object", model=base_type)
    if base_type in _PRIMITIVES:
        return _Shape(_PRIMITIVES[base_type])
    raise TypeError(f"config reference cannot describe the type {base_type!r}")


def _union_shape(members: tuple[object, ...], key: str) -> _Shape:
    """``X | None`` (written "X or null"), a union of distribution families, optionally with None, or one of
    a few forms (clinic.holidays: a list of dates or a rule)."""
    present = tuple(member for member in members if member is not type(None))
    if len(present) == 1:
        shape = _shape(present[0], [], key)
    elif _is_distribution(present[0]):
        shape = _distribution_shape(present)
    else:
        shape = _forms_shape(present, key)
    if len(present) == len(members):
        return shape
    text = f"({shape.text})" if " " in shape.text else shape.text
    return replace(shape, text=f"{text} or null")


def _is_distribution(member: object) -> bool:
    family = _unwrap(member)[0]
    return isinstance(family, type) and issubclass(family, Distribution)


def _forms_shape(members: tuple[object, ...], key: str) -> _Shape:
    """A value written in one of several forms, e.g. "list of dates or object"; at most one form is an
    object, whose fields are listed under the field."""
    shapes = [_shape(member, [], key) for member in members]
    models = [shape for shape in shapes if shape.model is not None]
    if len(models) > 1 or any(shape.families for shape in shapes):
        raise TypeError(f"config reference cannot describe the union {members!r}")
    model = models[0] if models else None
    return _Shape(
        " or ".join(shape.text for shape in shapes),
        sum((shape.bounds for shape in shapes), ()),
        model.model if model else None,
        model.suffix if model else "",
    )


def _distribution_shape(members: tuple[object, ...]) -> _Shape:
    """A union of distribution families; named by family only when it accepts fewer than all of them."""
    families = tuple(
        family
        for family in (_unwrap(member)[0] for member in members)
        if isinstance(family, type) and issubclass(family, Distribution)
    )
    if len(families) != len(members):
        raise TypeError(f"config reference cannot describe the union {members!r}")
    text = "[distribution](#distributions)"
    if set(families) != set(DISTRIBUTIONS.values()):
        text += ": " + _literal_text(tuple(_family_name(family) for family in families))
    return _Shape(text, families=families)


def _mapping_shape(key_type: object, value_type: object, key: str) -> _Shape:
    key_base, _ = _unwrap(key_type)
    key_shape = _shape(key_type, [], key)
    value = _shape(value_type, [], key)
    key_text = _literal_text(get_args(key_base)) if get_origin(key_base) is Literal else "name"
    bounds = _prefixed("keys: ", () if get_origin(key_base) is Literal else key_shape.bounds)
    return _Shape(
        f"mapping {key_text} -> {value.text}",
        bounds + _prefixed("values: ", value.bounds),
        model=value.model,
        suffix=f".<{key}>{value.suffix}",
        families=value.families,
    )


def _sequence_shape(args: tuple[object, ...], key: str) -> _Shape:
    if len(args) == 2 and args[1] is Ellipsis:
        item = _shape(args[0], [], key)
        text = f"list of {_plural(item.text)}"
        return _Shape(text, _prefixed("items: ", item.bounds), item.model, f"[]{item.suffix}", item.families)
    elements = [_shape(arg, [], key) for arg in args]
    if any(element.model is not None or element.families for element in elements):
        raise TypeError(f"config reference cannot describe a fixed tuple of objects {args!r}")
    text = "[" + ", ".join(element.text for element in elements) + "]"
    if len({element.bounds for element in elements}) == 1:
        return _Shape(text, _prefixed("each element ", elements[0].bounds))
    bounds = sum((_prefixed(f"element {i} ", e.bounds) for i, e in enumerate(elements, 1)), ())
    return _Shape(text, bounds)


def _family_name(family: type[BaseModel]) -> str:
    (name,) = get_args(family.model_fields["dist"].annotation)
    return str(name)


# --------------------------------------------------------------------------
# Walking the models
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    """One documented field: where it is, its pydantic field info and what it accepts."""

    path: str
    field: FieldInfo
    shape: _Shape


def _walk(model: type[BaseModel], prefix: str) -> Iterator[_Entry]:
    """Every field of ``model`` and, depth first, of the models nested in it, in declaration order."""
    for name, field in model.model_fields.items():
        path = f"{prefix}{field.alias or name}"
        shape = _shape(field.annotation, field.metadata, _KEY_PLACEHOLDERS.get(name, "name"))
        yield _Entry(path, field, shape)
        if shape.model is not None:
            yield from _walk(shape.model, f"{path}{shape.suffix}.")


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _first_paragraph(doc: str | None) -> str:
    """A class docstring's first paragraph on one line: its summary, without implementation notes."""
    return _collapse((doc or "").strip().split("\n\n")[0])


ALTERNATIVES: dict[str, tuple[str, ...]] = {
    f"simulation.{calendar.HORIZON_WAYS[0]}": calendar.HORIZON_WAYS[1:],
}
"""Fields the model requires but a config may leave out for another field that gives the same (the run's
end: ``until`` or ``fiscal_years`` instead of ``horizon_days``, simiop.config.calendar.resolve_horizon)."""

DEPENDENT_DEFAULTS: dict[str, str] = {
    "money.payers.<payer>.services_counted": "`{}` without `professional_fees`, else `{}`".format(
        *(json.dumps(list(counted_by_default(bundled=bundled))) for bundled in (True, False))
    ),
}
"""Fields whose default depends on another field (worked out where it is used: Payer.counted), where the
field's own default (null) would say nothing (simiop.config.money.counted_by_default)."""


def _default(field: FieldInfo, path: str = "") -> str:
    """The value used when a field is omitted, as JSON (valid YAML), "required", or "required unless ..."
    when another field may be given instead (ALTERNATIVES)."""
    if field.is_required():
        others = ALTERNATIVES.get(path)
        if others:
            return "required unless " + " or ".join(f"`{other}`" for other in others) + " is given"
        return "required"
    if path in DEPENDENT_DEFAULTS:
        return DEPENDENT_DEFAULTS[path]
    value = field.get_default(call_default_factory=True)
    if isinstance(value, BaseModel) and not value.model_fields_set:
        return "its fields' defaults"
    return f"`{json.dumps(to_jsonable_python(value, by_alias=True), ensure_ascii=False)}`"


def _description(entry: _Entry) -> str:
    if entry.field.description:
        return _collapse(entry.field.description)
    return NO_VALUE


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell: one line, ``|`` escaped, no accidental HTML tag.

    ``<`` is escaped only outside code spans and only where it could open a tag
    (``<word``), so bounds such as "< 1" and paths such as `tracks.<track>` stay readable.
    """
    parts = _collapse(text).replace("|", "\\|").split("`")
    outside = [
        re.sub(r"<(?=[A-Za-z/!?])", "&lt;", part) if i % 2 == 0 else part for i, part in enumerate(parts)
    ]
    return "`".join(outside)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines.extend("| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows)
    return lines


def _field_row(entry: _Entry) -> list[str]:
    return [
        f"`{entry.path}`",
        entry.shape.text,
        unit_of(entry.field.description, entry.path.rsplit(".", 1)[-1]),
        "; ".join(entry.shape.bounds) or NO_VALUE,
        _default(entry.field, entry.path),
        _description(entry),
    ]


def _family_row(entry: _Entry, family: str) -> list[str]:
    description = _description(entry)
    if entry.path == "dist" and description == NO_VALUE:
        description = f"Selects this family: write `dist: {family}`."
    return [
        f"`{entry.path}`",
        entry.shape.text,
        "; ".join(entry.shape.bounds) or NO_VALUE,
        _default(entry.field),
        description,
    ]


# --------------------------------------------------------------------------
# The document
# --------------------------------------------------------------------------

_UNIT_LIST = ", ".join(f"`{word}`" for word in UNIT_WORDS)

_HEADER = f"""\
# Config reference

This file is generated from the config models in `simiop/config/` by
`{REGENERATE}`
and must not be edited by hand: change the field docstrings, bounds or defaults in the models and
regenerate it. `tests/test_config_reference.py` fails when it is out of date.

## Reading the tables

- **path**: where the field sits in a config file, as written in `--set PATH=VALUE`. A word in angle
  brackets (`<track>`, `<role>`, `<payer>`, ...) stands for a key you choose; `[]` stands for any item
  of a list.
- **type**: what the value must be. `X or null` fields may be omitted or set to null. A
  [distribution](#distributions) is a mapping with a `dist` key; its parameters are listed once, at the
  end.
- **unit**: the unit written in parentheses in the field's description (the part before any `;` or
  `,`, e.g. "(USD/year; BLS median wages)" gives USD/year), when that is one of
  {_UNIT_LIST}
  or two of them joined by `/` (e.g. USD/day); else the unit a field's name starts or ends with
  (`session_minutes`, `patience_days`, `weeks_to_full`); otherwise "{NO_VALUE}" (a share, a count or
  a dimensionless value).
- **bounds**: what loading the config checks for this field alone; `a to b` includes both ends.
  Rules that tie several fields together (e.g. `simulation.warmup_days` below
  `simulation.horizon_days`, group sizes that fit a room) are checked too but are not listed here;
  those about staff and dates are summarised under [Staff who can do the work](#staff-who-can-do-the-work).
- **default**: the value used when the field is omitted, as JSON (which is also YAML), or "required"
  ("required unless ..." when another field may be given instead, as the run's end).
  "its fields' defaults" means the section is present with every field at its default.
"""

_RULES = f"""\
## Staff who can do the work

A config whose staff could never do some of its work is refused, one line per problem, naming the track
or service, the role and the shift (`simiop/config/staffing.py` follows the model's own rules). Over the
run's horizon (`simulation.horizon_days`, or `--horizon` when given), counting hires:

A person's week of direct care is `weekly_hours` x `fte` x (1 - `non_direct_share`), and their day of
direct care is their paid hours a day x (1 - `non_direct_share`): paid hours a day are `weekly_hours` x
`fte` / `days_per_week`, or, without `days_per_week`, the length of their shift's window (at most their
week). The window of a shift is `staff.shifts.<shift>`, or when omitted the span of 08:00-17:00 (day) or
13:00-22:00 (evening) and of the work of that shift; `both` spans the two.

- an enabled track needs a `facilitator_role` with someone on the track's `shift` (or `both`) employed on
  one of its programme days, a week of direct care of at least `hours_per_day`, a day of direct care of
  at least `group_sessions_per_day` x `session_minutes`, at least `facilitators_per_group` such people, at
  least one group and `rooms.group_rooms` >= 1;
- individual therapy needs the track's facilitators to fit one session in their week of direct care;
- prescriber visits and family sessions (when `share_of_patients` > 0) need someone of their role employed
  on some track's programme day, of any shift, whose week of direct care fits one visit;
- intake (when any referral can reach it) needs someone of `intake.staff_role` employed on a slot's day;
- a role any of these use cannot have `absence_days_per_year` of 260 or more (never at work);
- with `staff.shifts` given, every enabled track's programme day must lie inside its shift's window, and
  every intake slot inside the window of the intake role's shift.

Legal but suspicious settings are warnings, not errors: a track with no cover for absence (exactly the
facilitators its groups need, and no `cover` pool), more groups than facilitators, a track or intake
waiting for its first hire, a hire before opening or after the run's last day, more parallel intake slots
than intake staff, a prescriber or family role that works none of the tracks' shifts, a track or intake
with no day before the horizon, an enabled track that no referral can reach (no source with referrals
prefers its shift or `either`, and no track's wait list switches patients to it when full), weekly intake
assessments that take more hours than the intake role's count x `weekly_hours` x `fte` (intake is charged
to staff time, so only the seats their direct-care budgets hold are offered), a weekday's intake
assessments that take more minutes than the intake staff's days of direct care, a paid day
(`days_per_week`) longer than the shift's window, a `cover` pool on a role that leads no enabled track's
groups (cover people lead groups only, so it is never called), a service no `placement` can hold
(`pull_out` with `max_pull_outs_per_day: 0`, `before`/`after` with an `outside_window_minutes` shorter than
the session: every session of it is missed), a `clinic.holidays` list with no date in the calendar year of
the run's last day (no holidays after its last date), a holiday rule's `removed` date that the rule does not
close, `intake.priority_seats_per_slot` with no priority source, a `warm_handoff` on a source that is not a
step-down, a warm hand-off's `admit_within_days` at or below its earliest `ready_after_days` (every hand-off
lapses), a `max_stay_days` below the mean planned stay or at or before the first recertification,
no-starts or the dropout hazard with absence dropout switched off (`consecutive_absences_to_dropout: 60`),
start-up salary months (`money.budget.startup.salary_months_before_opening`) for a role with nobody at
opening (count 0: they budget nothing), and settings the model does not read: `admission.cohort_weekdays`
under a policy other than `cohort`, and a `caseload_cap` on a role that is no track's `facilitator_role`.
`simiop validate`, `run` and `experiment`
print them to stderr as `FILE: warning: ...` lines (exit status unchanged); in Python, `config.warnings()`
returns the same lines and nothing is printed.

Every date (`clinic.opening_date`, `clinic.holidays` and a holiday rule's `extra` and `removed`,
`staff.roles.<role>.hires[].date`) must lie in
{base.DATE_RANGE}, and so must the run's last day (`opening_date` + `horizon_days` - 1), so that every date
and fiscal-year label of the results can be computed.
"""

_DISTRIBUTIONS_INTRO = """\
Every random quantity is written as a mapping whose `dist` key picks one of the families below, e.g.
`{dist: lognormal, mean: 21, sd: 9}`. Parameters have no unit of their own: they are in the unit of
the field that holds the distribution. A field may accept only distributions whose every draw is in
a range (its bounds then say e.g. "draws >= 0"); that is checked when the config is loaded.
"""


def _section(entry: _Entry, children: list[_Entry]) -> list[str]:
    intro = _first_paragraph(entry.shape.model.__doc__) if entry.shape.model else _description(entry)
    header = ["path", "type", "unit", "bounds", "default", "description"]
    rows = [_field_row(e) for e in (entry, *children)]
    return [f"## `{entry.path}`", "", intro, "", *_table(header, rows), ""]


def _family_section(family: type[BaseModel]) -> list[str]:
    name = _family_name(family)
    header = ["parameter", "type", "bounds", "default", "description"]
    rows = [_family_row(entry, name) for entry in _walk(family, "")]
    return [f"### `{name}`", "", _first_paragraph(family.__doc__), "", *_table(header, rows), ""]


def render_reference() -> str:
    """The whole Markdown reference; deterministic, so it can be compared with the committed file."""
    describe_fields(base.Frozen)
    entries = list(_walk(SimiopConfig, ""))
    top_level = [entry for entry in entries if "." not in entry.path]
    lines = [_HEADER, _RULES, "Sections: " + " · ".join(f"[{e.path}](#{e.path})" for e in top_level), ""]
    for entry in top_level:
        prefix = f"{entry.path}{entry.shape.suffix}."
        lines.extend(_section(entry, [e for e in entries if e.path.startswith(prefix)]))
    lines.extend(["## Distributions", "", _DISTRIBUTIONS_INTRO])
    families = dict.fromkeys(family for entry in entries for family in entry.shape.families)
    for family in families:
        lines.extend(_family_section(family))
    return "\n".join(lines).rstrip("\n") + "\n"


if __name__ == "__main__":
    sys.stdout.write(render_reference())
