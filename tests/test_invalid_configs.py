"""Random invalid configs never end in a traceback: ``simiop validate`` exits 2 and names the field.

Three generators break the baseline config: one field of its parsed data at a
time (wrong type, out-of-range number, unknown key, deleted key or list item,
bad enum text), its YAML text, and ``--set`` assignments. Whatever they make,
``validate`` exits 0 and says ``ok``, or exits 2 with one ``SOURCE: path:
message`` line per problem, never a traceback. The baseline is valid, so any
problem found is caused by the mutation and must name its field.

Which mutations *must* be refused is decided without the validator: NaN, inf
and non-text keys always; anything else when the config's own JSON schema
(``simiop schema``) refuses it. The schema cannot express rules joining fields,
so a schema-valid mutation may pass or fail.

Known bugs are left out of the generators and pinned by the strict xfail tests
at the end of this file; remove an exclusion together with its xfail test.

Examples scale with the hypothesis profile registered in conftest.py
(``SIMIOP_HYPOTHESIS_PROFILE=ci``, the default: 600 + 250 + 200 cases; ``long``:
ten times as many).
"""

from __future__ import annotations

import copy
import math
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from simiop.cli import config_json_schema
from simiop.config import read_config_data
from simiop.config.yamlio import parse_yaml
from tests.conftest import BASELINE
from tests.test_cli import run

Key = str | int | None
"""One step of a path: a mapping key (text, or an odd YAML scalar) or a list index."""

FieldPath = tuple[Key, ...]

BUDGET = settings().max_examples
"""Examples of the active profile (100 for ci, 1000 for long); each test takes a multiple."""

CASES = {"field": 6 * BUDGET, "text": 5 * BUDGET // 2, "set": 2 * BUDGET}

COMMON = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

BASE: dict[str, Any] = read_config_data(BASELINE)
TEXT = BASELINE.read_text(encoding="utf-8")
SCHEMA_DOC: dict[str, Any] = config_json_schema()
SCHEMA = jsonschema.Draft202012Validator(SCHEMA_DOC)

# CSafeDumper writes what yaml.safe_dump writes, four times faster; the pure-Python one otherwise.
_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_DUMPER, sort_keys=False, allow_unicode=True)


# -- the baseline as paths --------------------------------------------------------------------------


def walk(node: Any, path: FieldPath = ()) -> Iterator[tuple[FieldPath, Any]]:
    """Every node under ``node`` with its path, ``node`` itself first."""
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, (*path, index))


def get(data: Any, path: FieldPath) -> Any:
    for part in path:
        data = data[part]
    return data


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

NODES = [(path, value) for path, value in walk(BASE) if path]
FIELDS = [path for path, _ in NODES]
MAPPINGS = [path for path, value in walk(BASE) if isinstance(value, dict)]
REMOVABLE = FIELDS  # a key of a mapping or an item of a list
NUMBERS = [path for path, value in NODES if is_number(value)]
TEXTS = [path for path, value in NODES if isinstance(value, str)]


def kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if value is None:
        return "null"
    if is_number(value):
        return "number"
    if isinstance(value, str):
        return "text"
    return "list" if isinstance(value, list) else "mapping"


def show_path(path: FieldPath) -> str:
    """The error format's path: keys joined by '.', list indices (and int keys) as [i]."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def under(path: str, ancestor: str) -> bool:
    """``path`` is ``ancestor`` or inside it."""
    return path == ancestor or path.startswith((f"{ancestor}.", f"{ancestor}["))


def user_keyed(path: FieldPath) -> bool:
    """The mapping at ``path`` has keys the user names (tracks, roles, payers, a mix), not fixed fields."""
    nodes = [SCHEMA_DOC]
    for part in path:
        nodes = [child for node in nodes for branch in _branches(node) for child in _children(branch, part)]
    return any("patternProperties" in branch for node in nodes for branch in _branches(node))


def _branches(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """``node`` and the members of its unions, with $refs followed."""
    while "$ref" in node:
        node = SCHEMA_DOC["$defs"][node["$ref"].rsplit("/", 1)[1]]
    yield node
    for member in node.get("anyOf", []) + node.get("oneOf", []):
        yield from _branches(member)


def _children(node: dict[str, Any], part: Key) -> list[dict[str, Any]]:
    if isinstance(part, int):
        return [node["items"]] if "items" in node else []
    if not isinstance(part, str):
        return []
    if part in node.get("properties", {}):
        return [node["properties"][part]]
    return [
        schema for pattern, schema in node.get("patternProperties", {}).items() if re.search(pattern, part)
    ]


def has_nonfinite_or_odd_key(value: Any) -> bool:
    """NaN, inf or a key that is not text anywhere in ``value``: refused whatever the schema says."""
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(not isinstance(key, str) or has_nonfinite_or_odd_key(v) for key, v in value.items())
    if isinstance(value, list):
        return any(has_nonfinite_or_odd_key(item) for item in value)
    return False


def lax_date(old: Any, new: Any) -> bool:
    """A whole number of days as Unix seconds where a date was: the known bug of test_date_given_a_number."""
    return (
        isinstance(old, str)
        and DATE.fullmatch(old) is not None
        and is_number(new)
        and math.isfinite(new)
        and new % 86_400 == 0
    )


# -- running validate ------------------------------------------------------------------------------


def validate(*args: str, sources: tuple[str, ...]) -> tuple[int, list[str]]:
    """Run ``simiop validate ARGS``; check the shape of its answer; return the exit code and stderr lines.

    ``run`` re-raises any exception other than SystemExit, so a traceback fails the test.
    """
    code, out, err = run("validate", *args)
    assert "Traceback" not in out + err
    assert code in (0, 2), (code, out, err)
    if code == 0:
        assert (out, err) == (f"{args[0]}: ok\n", ""), (out, err)
        return code, []
    assert out == "", out
    assert err.endswith("\n"), err
    lines = err[:-1].split("\n")
    for line in lines:
        assert line.startswith(tuple(f"{source}: " for source in sources)), (line, err)
    return code, lines


def names(lines: list[str], source: str, path: FieldPath) -> str | None:
    """How the problems of ``source`` name the mutated ``path`` (the strongest way), or None if they don't.

    A problem is at the field (or inside it), beside it or at its parent (a rule
    joining fields, a list that is too short). Rules joining sections report where
    the reference is, not what it refers to: such a line mentions the mutated path,
    or the removed key when the user named it (a role, payer, source or class).
    """
    target, parent = show_path(path), show_path(path[:-1])
    prefix = f"{source}: "
    reported = [line[len(prefix) :].split(": ", 1)[0] for line in lines if line.startswith(prefix)]
    if any(under(where, target) for where in reported):
        return "at the field"
    if parent and any(under(where, parent) for where in reported):
        return "beside it or at its parent"
    if any(target in line for line in lines):
        return "in the text"
    if user_keyed(path[:-1]) and any(got(str(path[-1])).search(line) for line in lines):
        return "as a reference"
    return None


def got(value: str) -> re.Pattern[str]:
    """The "(got VALUE; ...)" part of a problem, VALUE quoted or not."""
    return re.compile(rf"\(got '?{re.escape(value)}'?[;)]")


def must_fail(data: Any, old: Any = None, new: Any = None) -> bool:
    """Whether ``data`` is invalid by reasons the validator cannot argue with (see the module docstring)."""
    if has_nonfinite_or_odd_key(data):
        return True
    return not SCHEMA.is_valid(data) and not lax_date(old, new)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("invalid-configs")


# -- 1. one field of the parsed baseline ----------------------------------------------------------

# Text that YAML reads back as text (never a number, bool, null or date) and that fits on one line.
WORD = st.text(alphabet=string.ascii_letters, min_size=1, max_size=12)
IDENT = st.from_regex(r"[a-z][a-z0-9_]{0,14}", fullmatch=True)

WRONG_TYPE: dict[str, st.SearchStrategy[Any]] = {
    "text": WORD | st.just(""),
    "number": st.integers(-(10**6), 10**6) | st.floats(-1e6, 1e6, allow_nan=False),
    "list": st.lists(st.integers(0, 9) | WORD, max_size=3),
    "mapping": st.dictionaries(IDENT, st.integers(0, 9) | WORD, max_size=2),
    "bool": st.booleans(),
    "null": st.none(),
}

OUT_OF_RANGE: st.SearchStrategy[Any] = (
    st.sampled_from(
        [
            -1,
            -0.5,
            -1e-9,
            -0.0,
            0,
            10**9,
            2**63,
            10**30,
            10**400,
            1e12,
            1e308,
            -1e308,
            math.nan,
            math.inf,
            -math.inf,
        ]
    )
    | st.integers(-(10**12), -1)
    | st.floats(min_value=1e4, max_value=1e300)
)


@st.composite
def typo(draw: st.DrawFn, word: str) -> str:
    """``word`` with one slip of the keyboard: a letter dropped, doubled, swapped, replaced; a capital."""
    i = draw(st.integers(0, len(word) - 1))
    slip = draw(st.sampled_from(["drop", "double", "swap", "replace", "capital", "plural"]))
    if slip == "drop" and len(word) > 1:
        return word[:i] + word[i + 1 :]
    if slip == "double":
        return word[: i + 1] + word[i:]
    if slip == "swap" and len(word) > 1:
        i = min(i, len(word) - 2)
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if slip == "replace":
        return word[:i] + draw(st.sampled_from("aeiouxz_-")) + word[i + 1 :]
    if slip == "capital":
        return word[:i] + word[i].upper() + word[i + 1 :]
    return word + "s"


@dataclass(frozen=True, repr=False)
class Mutation:
    kind: str
    path: FieldPath
    """The changed, inserted or removed key or item."""
    data: Any
    old: Any = None
    new: Any = None

    def __repr__(self) -> str:  # without the whole config
        return f"Mutation({self.kind!r}, {show_path(self.path)!r}, old={self.old!r}, new={self.new!r})"


def replaced(path: FieldPath, new: Any, kind: str) -> Mutation:
    data = copy.deepcopy(BASE)
    old = get(data, path)
    get(data, path[:-1])[path[-1]] = new
    return Mutation(kind, path, data, old, new)


@st.composite
def wrong_type(draw: st.DrawFn) -> Mutation:
    path = draw(st.sampled_from(FIELDS))
    old = get(BASE, path)
    kind = draw(st.sampled_from([k for k in WRONG_TYPE if k != kind_of(old)]))
    new = draw(WRONG_TYPE[kind].filter(lambda v: not lax_date(old, v)))
    return replaced(path, new, f"wrong type: {kind}")


@st.composite
def out_of_range(draw: st.DrawFn) -> Mutation:
    return replaced(draw(st.sampled_from(NUMBERS)), draw(OUT_OF_RANGE), "out of range")


@st.composite
def bad_text(draw: st.DrawFn) -> Mutation:
    path = draw(st.sampled_from(TEXTS))
    old: str = get(BASE, path)
    slips = [IDENT, st.just(""), st.just(old.upper()), st.just(f"{old} "), st.just(f" {old}")]
    if old:
        slips.append(typo(old))
    new = draw(st.one_of(slips).filter(lambda v: v != old))
    return replaced(path, new, "bad text")


@st.composite
def unknown_key(draw: st.DrawFn) -> Mutation:
    """A key added to a mapping: a typo of a key there (with its value), a new name, or a non-text key."""
    where = draw(st.sampled_from(MAPPINGS))
    mapping = get(BASE, where)
    how = draw(st.sampled_from(["typo", "name", "odd"] if mapping else ["name", "odd"]))
    value: Any = draw(st.integers(0, 5) | WORD | st.none())
    if how == "typo":
        original = draw(st.sampled_from(sorted(mapping)))
        key: Key = draw(typo(original))
        value = copy.deepcopy(mapping[original]) if draw(st.booleans()) else value
    elif how == "name":
        key = draw(IDENT)
    else:  # YAML reads `1:` and `null:` as keys that are not text; `yes:`/`on:` see test_bool_key_...
        key = draw(st.integers(0, 3) | st.none())
    if key in mapping:
        key = f"{key}_extra"
    data = copy.deepcopy(BASE)
    get(data, where)[key] = value
    return Mutation(f"unknown key: {how}", (*where, key), data)


@st.composite
def removed(draw: st.DrawFn) -> Mutation:
    path = draw(st.sampled_from(REMOVABLE))
    data = copy.deepcopy(BASE)
    del get(data, path[:-1])[path[-1]]
    return Mutation("removed", path, data)


MUTATIONS = st.one_of(wrong_type(), out_of_range(), bad_text(), unknown_key(), removed())


@settings(COMMON, max_examples=CASES["field"])
@given(mutation=MUTATIONS)
def test_a_broken_field_is_named_never_a_traceback(mutation: Mutation, workdir: Path) -> None:
    event(mutation.kind)
    file = workdir / "clinic.yaml"
    file.write_text(dump(mutation.data), encoding="utf-8")
    code, lines = validate(str(file), sources=(str(file),))
    if code == 0:
        event(f"{mutation.kind}: accepted")
        assert not must_fail(mutation.data, mutation.old, mutation.new), "an invalid config was accepted"
    else:
        named = names(lines, str(file), mutation.path)
        event(f"named {named}")
        assert named is not None, (show_path(mutation.path), lines)


# -- 2. the YAML text -------------------------------------------------------------------------------

LINES = TEXT.split("\n")
KEY_LINE = re.compile(r"^( *)([a-z_][a-z0-9_]*):(?: |$)")
KEY_LINES = [i for i, line in enumerate(LINES) if KEY_LINE.match(line)]

# What a hand edit slips in. Left out: control characters (test_yaml_reader_error_...) and the
# !!bool and !!timestamp tags (test_bad_text_under_an_explicit_tag_...).
SNIPPETS = [
    ":", ": ", "[", "]", "{", "}", ",", "\t", "- ", "-", "'", '"', "#", "&a ", "*a ", "*b", "? ", "|", ">",
    "%", "@", "`", "\\", "~", "\n", " ", "  ", "<<: ", "<<: *a", "!!int ", "!!float ", "!!str ", "!!null ",
    "!!binary ", "!!set ", "!!omap ", "!!pairs ", "!!seq ", "!!map ", "!custom ", "!!python/object:os.system ",
    "---\n", "...\n", "\ufeff", "é", "\u2028", "\x85", "9" * 5000, ".nan", "1e999", "0x", "0o7", "2027-02-30",
]  # fmt: skip


@dataclass(frozen=True)
class Edit:
    kind: str
    at: int
    snippet: str = ""

    def apply(self, text: str) -> str:
        at = min(self.at, len(text))
        if self.kind == "delete":
            return text[:at] + text[at + 1 :]
        if self.kind == "insert":
            return text[:at] + self.snippet + text[at:]
        if self.kind == "truncate":
            return text[:at]
        lines = text.split("\n")
        line = min(self.at, len(lines) - 1)
        if self.kind == "duplicate line":
            return "\n".join([*lines[: line + 1], lines[line], *lines[line + 1 :]])
        if self.kind == "indent line":
            return "\n".join([*lines[:line], " " + lines[line], *lines[line + 1 :]])
        if self.kind == "dedent line":
            return "\n".join([*lines[:line], lines[line][1:], *lines[line + 1 :]])
        assert self.kind == "swap lines"
        other = min(line + 1, len(lines) - 1)
        lines[line], lines[other] = lines[other], lines[line]
        return "\n".join(lines)


POSITIONS = st.integers(0, len(TEXT))
LINE_NUMBERS = st.integers(0, len(LINES) - 1)
EDITS = st.one_of(
    st.builds(Edit, st.just("delete"), POSITIONS),
    st.builds(Edit, st.just("insert"), POSITIONS, st.sampled_from(SNIPPETS)),
    st.builds(Edit, st.just("truncate"), POSITIONS),
    st.builds(
        Edit, st.sampled_from(["duplicate line", "indent line", "dedent line", "swap lines"]), LINE_NUMBERS
    ),
    st.builds(Edit, st.just("duplicate line"), st.sampled_from(KEY_LINES)),
)


@settings(COMMON, max_examples=CASES["text"])
@given(edits=st.lists(EDITS, min_size=1, max_size=3))
def test_broken_yaml_text_never_a_traceback(edits: list[Edit], workdir: Path) -> None:
    for edit in edits:
        event(edit.kind)
    text = TEXT
    for edit in edits:
        text = edit.apply(text)
    file = workdir / "clinic.yaml"
    file.write_text(text, encoding="utf-8")
    code, lines = validate(str(file), sources=(str(file),))
    if len(edits) == 1 and edits[0].kind == "duplicate line" and edits[0].at in KEY_LINES:
        # The same key twice in a row in one mapping: refused where the second one starts.
        indent, key = KEY_LINE.match(LINES[edits[0].at]).groups()  # type: ignore[union-attr]
        where = f"line {edits[0].at + 2}, column {len(indent) + 1}"
        assert code == 2
        assert f"{file}: {where}: malformed YAML: key '{key}' appears twice" in lines, lines


# -- 3. --set assignments ---------------------------------------------------------------------------


def set_path(path: FieldPath, dotted_index: bool) -> str:
    """A --set path: ``intake.schedule[3].weekday`` or ``intake.schedule.3.weekday``."""
    text = ""
    for part in path:
        if isinstance(part, int) and not dotted_index:
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


# Printable text on one line: a line break or control character is test_set_with_a_line_break_... and
# test_yaml_reader_error_...
ONE_LINE = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), max_size=25)
VALUE_TEXTS = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "null",
            "~",
            "true",
            "no",
            "on",
            "0",
            "-1",
            "1e999",
            "-.inf",
            ".nan",
            ".NaN",
            "9" * 5000,
            "0x1F",
            "0o17",
            "0b101",
            "1_000",
            "12:30",
            "2027-02-30",
            "2027-01-04",
            "[]",
            "{}",
            "[1, 2]",
            "{a: 1}",
            "[mon, funday]",
            "{dist: lognormal}",
            "{dist: gamma, mean: 0, sd: 1}",
            "'unclosed",
            '"unclosed',
            "[",
            "{",
            "]",
            "a: b: c",
            "- x",
            "&a [*a]",
            "*nothing",
            "!!int x",
            "!!float x",
            "!!binary ab",
            "!!set {a: null}",
            "!!omap [a]",
            "!!python/object:os.system",
            "? a",
            "# comment",
        ]
    ),
    st.integers().map(str),
    st.floats().map(repr),
    IDENT,
    ONE_LINE,
)


@dataclass(frozen=True)
class Assignment:
    text: str
    path: FieldPath | None = None
    """The existing field the assignment sets, when its path is a baseline path."""
    value: str = ""


@st.composite
def assignment(draw: st.DrawFn) -> Assignment:
    how = draw(st.sampled_from(["field", "field", "mangled path", "garbage"]))
    if how == "garbage":
        return Assignment(draw(ONE_LINE))
    path = draw(st.sampled_from(FIELDS))
    text = set_path(path, draw(st.booleans()))
    value = draw(VALUE_TEXTS)
    if how == "field":
        return Assignment(f"{text}={value}", path, value)
    mangled = [f"{text}.{draw(IDENT)}", f"{text}[99]", f"{text}[-1]", f"{text}.", f".{text}", f"{text}..x",
               f"{text}[x]", f"{text}[", draw(typo(text)), f" {text} ", ""]  # fmt: skip
    mangle = draw(st.sampled_from(mangled))
    return Assignment(f"{mangle}={value}" if draw(st.booleans()) else mangle)


@settings(COMMON, max_examples=CASES["set"])
@given(assignments=st.lists(assignment(), min_size=1, max_size=3))
def test_random_set_assignments_never_a_traceback(assignments: list[Assignment]) -> None:
    args = [arg for a in assignments for arg in ("--set", a.text)]
    code, lines = validate(str(BASELINE), *args, sources=("--set", str(BASELINE)))
    for a in assignments:
        if "=" not in a.text:
            assert code == 2
            expected = f"--set: {a.text}: " if a.text else "--set: "
            assert any(line.startswith(expected) for line in lines), (a.text, lines)
    fields = [a for a in assignments if a.path is not None]
    if len(fields) != len(assignments):
        return
    if code == 2 and len(fields) == 1 and not any(line.startswith("--set: ") for line in lines):
        named = names(lines, str(BASELINE), fields[0].path)  # type: ignore[arg-type]
        event(f"named {named}")
        assert named is not None, (fields[0].text, lines)
    if code == 0:
        data = copy.deepcopy(BASE)
        for a in fields:
            assert a.path is not None
            value = parse_yaml(a.value) if a.value.strip() else ""
            old = get(data, a.path)
            get(data, a.path[:-1])[a.path[-1]] = value
            assert not must_fail(data, old, value), f"accepted {a.text}"
