"""Safe YAML reading that refuses the YAML 1.1 surprises a config must not contain.

Only plain data is built (no Python objects). Three YAML 1.1 quirks are removed
because they silently change values: a repeated key (the last one would win)
is an error (a key that overrides one merged in with ``<<: *anchor`` is not:
that is what a merge is for), ``10:30`` stays the text "10:30" instead of becoming the
base-60 number 630, and a number with a leading zero (``045``) stays text instead of becoming
the octal number 37 (YAML 1.2 and editors' YAML servers read it as 45), so that a number field
refuses it in one line instead of running with another value. Dates stay text too, so that an
impossible date such as 2027-02-30 is reported by the validator like any other bad value instead of
failing inside the YAML parser.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from simiop.config.errors import Problem

_BASE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser where PyYAML was built with it (about ten times faster), else the pure-Python one;
resolvers and constructors, which decide every value, are the same Python code in both."""


class _ConfigLoader(_BASE_LOADER):  # type: ignore[valid-type,misc]
    """A safe loader without base-60 numbers and with duplicate-key detection."""


_REPLACED = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp")
_ConfigLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _REPLACED]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_ConfigLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(
        r"""^(?:[-+]?0b[0-1_]+
        |[-+]?(?:0|[1-9][0-9_]*)
        |[-+]?0x[0-9a-fA-F_]+)$""",
        re.X,
    ),
    list("-+0123456789"),
)
_ConfigLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)


class DuplicateKeyError(yaml.MarkedYAMLError):
    """A mapping names the same key twice."""


_MERGE = "tag:yaml.org,2002:merge"


def _construct_mapping(loader: _ConfigLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    # A merge (`<<: *defaults`) puts the merged pairs first; a key written in the mapping itself
    # overrides a merged one, as YAML defines, while a key written twice is an error.
    written = sum(1 for key_node, _ in node.value if key_node.tag != _MERGE)
    loader.flatten_mapping(node)
    merged = len(node.value) - written
    mapping: dict[Any, Any] = {}
    own: set[Any] = set()
    for index, (key_node, value_node) in enumerate(node.value):
        # Keys are names: `on:`, `yes:` or `1:` stay the text written, not True or 1, so an
        # unknown key is reported as written (and a key can never pose as a list index).
        if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:str":
            key: Any = key_node.value
        else:
            key = loader.construct_object(key_node, deep=True)
        if key in own:
            raise DuplicateKeyError(
                "while reading a mapping", node.start_mark, f"key {key!r} appears twice", key_node.start_mark
            )
        if index >= merged:
            own.add(key)
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


_ConfigLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_yaml(text: str) -> Any:
    """Parse YAML text into plain Python data (dicts, lists, str, int, float, bool, date, None)."""
    try:
        data = yaml.load(text, Loader=_ConfigLoader)
    except yaml.YAMLError:
        raise
    # An explicit tag on text it cannot read (!!int x, !!bool maybe, !!timestamp soon) fails
    # inside PyYAML's constructors with one of these.
    except (ValueError, TypeError, OverflowError, KeyError, AttributeError, IndexError) as exc:
        raise yaml.YAMLError(f"cannot read a value: {exc}") from None
    # PyYAML builds nested lists and mappings by recursion: a few hundred levels ([[[...]]]) pass libyaml's
    # nesting limit but not Python's (a traceback, break33); a config nests a few levels.
    except RecursionError:
        raise yaml.YAMLError("lists or mappings nested too deeply to read (a config nests a few)") from None
    _check_aliases(data)
    return data


MAX_VALUES = 1_000_000
"""The most values (each list, mapping and scalar, an alias counted as all it stands for) a YAML text may
hold. A shipped config holds about 300-450. Every alias of an anchor stands for the anchor's whole value, and
an anchor may be made of aliases (``&a [1, 1]``, ``&b [*a, *a]``, ...), so ten short lines can stand for
billions of values (the "billion laughs"), which validation, its messages and this check itself would
each walk: simiop validate hung (break33). Beyond this many, the text is refused before any of them."""


def _check_aliases(data: Any) -> None:
    """Raise YAMLError when a list or mapping of ``data`` contains itself (an anchor and alias, ``&a [*a]``,
    can build one: a RecursionError while printing the value) or when ``data`` stands for more than
    ``MAX_VALUES`` values (aliases inside aliases).

    One walk of the values as they will be read, aliases expanded, stopped at the first of the two.
    """
    counted = 0

    def walk(value: Any, open_containers: set[int]) -> None:
        nonlocal counted
        counted += 1
        if counted > MAX_VALUES:
            raise yaml.YAMLError(
                f"aliases (*name) make the text stand for more than {MAX_VALUES:,} values (each alias "
                "repeats its anchor's whole value, and aliases inside anchors multiply): write the values out"
            )
        if not isinstance(value, list | dict):
            return
        if id(value) in open_containers:
            raise yaml.YAMLError("an anchor is used inside itself (a value that contains itself)")
        open_containers.add(id(value))
        for child in value.values() if isinstance(value, dict) else value:
            walk(child, open_containers)
        open_containers.discard(id(value))

    walk(data, set())


def yaml_problem(exc: yaml.YAMLError) -> Problem:
    """A YAML syntax error as a Problem located by line and column."""
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    problem = getattr(exc, "problem", None) or str(exc)
    return Problem(where, f"malformed YAML: {' '.join(str(problem).split())}", None, None)
