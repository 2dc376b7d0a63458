"""Random invalid configs never end in a traceback: ``simiop validate`` exits 2 and names the field.

Three generators break the baseline config: one field of its parsed data at a
time (wrong type, out-of-range number, unknown key, deleted key or list item,
bad enum text), its YAML text, and ``--set`` assignments. Whatever they make,
``validate`` exits 0 and says ``ok``, or exits 2 with one ``SOURCE: path:
message`` line per problem, never a traceback. The baseline is valid, so any
problem found is caused by the mutation and must name its field.

Which mutations *must* be refused is decided without the validator: NaN and
inf always; anything else when the config's own JSON schema (``simiop schema``)
refuses it. The schema cannot express rules joining fields, so a schema-valid
mutation may pass or fail.

The tests at the end pin the bugs these generators found, one input each.

Examples scale with the hypothesis profile registered in conftest.py
(``SIMIOP_HYPOTHESIS_PROFILE=ci``, the default: 500 + 300 + 200 cases; ``long``:
ten times as many).
"""

from __future__ import annotations

import copy
import functools
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

import simiop
from simiop.cli import config_json_schema
from simiop.config import ConfigError, apply_overrides, read_config_data
from simiop.config.errors import show_value
from simiop.config.overrides import COMMAND_LINE
from simiop.config.yamlio import parse_yaml
from tests.conftest import BASELINE
from tests.test_cli import run

Key = str | int | None
"""One step of a path: a mapping key (text, or a YAML scalar such as 1, null, true) or a list index."""

FieldPath = tuple[Key, ...]

BUDGET = settings().max_examples
"""Examples of the active profile (100 for ci, 1000 for long); each test takes a multiple."""

CASES = {"field": 5 * BUDGET, "text": 3 * BUDGET, "set": 2 * BUDGET}
"""1,000 cases in CI; a case costs about one parse of the baseline by PyYAML's pure-Python loader (25-45 ms)."""

COMMON = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

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


def key_text(key: Any) -> str:
    """A key as the config loader reads it: the text written (``1:``, ``null:``, ``on:`` are names)."""
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, bool):
        return "null" if key is None else str(key).lower()
    return str(key)


def as_read(value: Any) -> Any:
    """``value`` as the config loader reads back its dump: every key is text."""
    if isinstance(value, dict):
        return {key_text(key): as_read(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_read(item) for item in value]
    return value


def has_nonfinite(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(has_nonfinite(item) for item in value.values())
    if isinstance(value, list):
        return any(has_nonfinite(item) for item in value)
    return False


# -- running validate ------------------------------------------------------------------------------


def validate(*args: str, sources: tuple[str, ...]) -> tuple[int, list[str]]:
    """Run ``simiop validate ARGS``; check the shape of its answer; return the exit code and stderr lines.

    ``run`` re-raises any exception other than SystemExit, so a traceback fails the test.
    """
    code, out, err = run("validate", *args)
    assert "Traceback" not in out + err
    assert code in (0, 2), (code, out, err)
    if code == 0:
        assert out == f"{args[0]}: ok\n", out
        for line in err.splitlines():  # legal but suspicious settings: warnings, never errors
            assert line.startswith(f"{args[0]}: warning: "), (line, err)
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
    joining fields, a list that is too short), or at an ancestor (a curve whose
    points[0][1] is out of range is reported as the curve). Rules joining sections
    report where the reference is, not what it refers to: such a line mentions the
    mutated path, or the removed key when the user named it (a role, payer, class).
    """
    target, parent = show_path(path), show_path(path[:-1])
    prefix = f"{source}: "
    reported = [line[len(prefix) :].split(": ", 1)[0] for line in lines if line.startswith(prefix)]
    if any(under(where, target) for where in reported):
        return "at the field"
    if parent and any(under(where, parent) for where in reported):
        return "beside it or at its parent"
    if any(where and under(target, where) for where in reported):
        return "at an ancestor"
    if len(path) > 1 and any(target in line for line in lines):
        return "in the text"
    if user_keyed(path[:-1]) and any(got(str(path[-1])).search(line) for line in lines):
        return "as a reference"
    return None


def got(value: str) -> re.Pattern[str]:
    """The "(got VALUE; ...)" part of a problem, VALUE quoted or not."""
    return re.compile(rf"\(got '?{re.escape(value)}'?[;)]")


def must_fail(data: Any) -> bool:
    """Whether ``data`` is invalid by reasons the validator cannot argue with (see the module docstring)."""
    data = as_read(data)
    return has_nonfinite(data) or not SCHEMA.is_valid(data)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("invalid-configs")


# -- 1. one field of the parsed baseline ----------------------------------------------------------

SECTIONS = {key: dump({key: value}) for key, value in BASE.items()}
assert "".join(SECTIONS.values()) == dump(BASE)

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

EXTREMES = [-1, -0.5, -1e-9, -0.0, 0, 10**9, 2**63, 10**30, 10**400, 1e12, 1e308, -1e308, math.nan, math.inf, -math.inf]  # fmt: skip
OUT_OF_RANGE = (
    st.sampled_from(EXTREMES) | st.integers(-(10**12), -1) | st.floats(min_value=1e4, max_value=1e300)
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

    def text(self) -> str:
        """``yaml.safe_dump`` of the data; the sections the mutation left alone are dumped once for all."""
        return "".join(
            SECTIONS[key] if key in SECTIONS and key != self.path[0] else dump({key: value})
            for key, value in self.data.items()
        )

    def __repr__(self) -> str:  # without the whole config
        return f"Mutation({self.kind!r}, {show_path(self.path)!r}, old={self.old!r}, new={self.new!r})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # how hypothesis shows a failing case
        printer.text(repr(self))


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
    new = draw(WRONG_TYPE[kind])
    return replaced(path, new, f"wrong type: {kind}")


@st.composite
def out_of_range(draw: st.DrawFn) -> Mutation:
    return replaced(draw(st.sampled_from(NUMBERS)), draw(OUT_OF_RANGE), "out of range")


@st.composite
def bad_text(draw: st.DrawFn) -> Mutation:
    path = draw(st.sampled_from(TEXTS))
    old: str = get(BASE, path)
    slips = {"", old.upper(), f"{old} ", f" {old}"} - {old}
    changed = (typo(old) if old else IDENT).filter(lambda v: v != old)
    new = draw(st.sampled_from(sorted(slips)) | IDENT.filter(lambda v: v != old) | changed)
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
    else:  # dumped as `1:`, `null:`, `true:`: YAML 1.1 would read a number, null, a bool
        key = draw(st.integers(0, 3) | st.none() | st.booleans())
    if key in mapping:
        key = f"{key}_extra"
    data = copy.deepcopy(BASE)
    get(data, where)[key] = value
    return Mutation(f"unknown key: {how}", (*where, key_text(key)), data)


@st.composite
def removed(draw: st.DrawFn) -> Mutation:
    path = draw(st.sampled_from(FIELDS))  # a key of a mapping or an item of a list
    data = copy.deepcopy(BASE)
    del get(data, path[:-1])[path[-1]]
    return Mutation("removed", path, data)


MUTATIONS = st.one_of(wrong_type(), out_of_range(), bad_text(), unknown_key(), removed())


@settings(COMMON, max_examples=CASES["field"])
@given(mutation=MUTATIONS)
def test_a_broken_field_is_named_never_a_traceback(mutation: Mutation, workdir: Path) -> None:
    event(mutation.kind)
    file = workdir / "clinic.yaml"
    file.write_text(mutation.text(), encoding="utf-8")
    code, lines = validate(str(file), sources=(str(file),))
    if code == 0:
        event(f"{mutation.kind}: accepted")
        assert not must_fail(mutation.data), "an invalid config was accepted"
    else:
        named = names(lines, str(file), mutation.path)
        event(f"named {named}")
        assert named is not None, (show_path(mutation.path), lines)


# -- 2. the YAML text -------------------------------------------------------------------------------

LINES = TEXT.split("\n")
KEY_LINE = re.compile(r"^( *)([a-z_][a-z0-9_]*):(?: |$)")
KEY_LINES = [i for i, line in enumerate(LINES) if KEY_LINE.match(line)]

# What a hand edit slips in.
SNIPPETS = [
    ":", ": ", "[", "]", "{", "}", ",", "\t", "- ", "-", "'", '"', "#", "&a ", "*a ", "*b", "? ", "|", ">",
    "%", "@", "`", "\\", "~", "\n", " ", "  ", "<<: ", "<<: *a", "!!int ", "!!float ", "!!str ", "!!null ",
    "!!binary ", "!!set ", "!!omap ", "!!pairs ", "!!seq ", "!!map ", "!custom ", "!!python/object:os.system ",
    "---\n", "...\n", "\ufeff", "é", "\u2028", "\x85", "9" * 5000, ".nan", "1e999", "0x", "0o7", "2027-02-30",
    "\x00", "\x01", "\x1b", "\x7f", "\r", "!!bool ", "!!timestamp ", "&a [*a]", "on: ", "yes: ", "1: ", "~: ",
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


ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=25)  # line breaks and control characters too
ODD_VALUES = [
    "", " ", "null", "~", "true", "no", "on", "0", "-1", "1e999", "-.inf", ".nan", ".NaN", "9" * 5000, "0x1F",
    "0o17", "0b101", "1_000", "12:30", "2027-02-30", "2027-01-04", "[]", "{}", "[1, 2]", "{a: 1}",
    "[mon, funday]", "{dist: lognormal}", "{dist: gamma, mean: 0, sd: 1}", "'unclosed", '"unclosed', "[", "{",
    "]", "a: b: c", "- x", "*nothing", "!!int x", "!!float x", "!!binary ab", "!!set {a: null}", "!!omap [a]",
    "!!python/object:os.system", "? a", "# comment", "&a [*a]", "&a {b: [*a]}", "!!bool x", "!!timestamp x",
    "!!map ab", "a\nb", "\x00",
]  # fmt: skip
VALUE_TEXTS = st.sampled_from(ODD_VALUES) | st.integers().map(str) | st.floats().map(repr) | IDENT | ANY_TEXT


@dataclass(frozen=True)
class Assignment:
    text: str
    path: FieldPath | None = None
    """The existing field the assignment sets, when its path is a baseline path."""
    value: str = ""


@functools.cache
def nearby(path: FieldPath) -> st.SearchStrategy[str]:
    """Values like the field's own, as --set text: often still valid, so acceptance gets checked too."""
    old = get(BASE, path)
    if is_number(old):
        return st.sampled_from([old, old + 1, old * 2, old / 2, -old, 0]).map(repr)
    if isinstance(old, str):
        return st.sampled_from([old, f'"{old}"', old.upper()])
    block = yaml.dump(old, Dumper=_DUMPER, sort_keys=False)
    flow = yaml.dump(old, Dumper=_DUMPER, sort_keys=False, default_flow_style=True, width=2**30)
    return st.sampled_from([flow.strip(), block])


@st.composite
def assignment(draw: st.DrawFn) -> Assignment:
    how = draw(st.sampled_from(["field", "field", "mangled path", "garbage"]))
    if how == "garbage":
        return Assignment(draw(ANY_TEXT))
    path = draw(st.sampled_from(FIELDS))
    text = set_path(path, draw(st.booleans()))
    value = draw(VALUE_TEXTS | nearby(path))
    if how == "field":
        return Assignment(f"{text}={value}", path, value)
    mangled = [f"{text}.{draw(IDENT)}", f"{text}[99]", f"{text}[-1]", f"{text}.", f".{text}", f"{text}..x",
               f"{text}[x]", f"{text}[", draw(typo(text)), f" {text} ", ""]  # fmt: skip
    mangle = draw(st.sampled_from(mangled))
    return Assignment(f"{mangle}={value}" if draw(st.booleans()) else mangle)


def one_line(text: str) -> str:
    """``text`` as a problem line shows it: line breaks as \\n and \\r."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


def set_prefix(assignment: str) -> str:
    """How a problem with ``assignment`` starts (``--set`` alone when the assignment is empty)."""
    return f"{COMMAND_LINE}: --set {one_line(assignment)}" if assignment else f"{COMMAND_LINE}: --set"


def as_file_line(line: str, assignments: list[Assignment]) -> str:
    """A problem the assignments caused, written as the file's (to reuse ``names``)."""
    labels = [f"--set {one_line(a.text)}" for a in assignments]
    for shown in [*labels, ", ".join(labels)]:
        if line.startswith(f"{COMMAND_LINE}: {shown}: "):
            return f"{BASELINE}: " + line[len(f"{COMMAND_LINE}: {shown}: ") :]
    return line


@settings(COMMON, max_examples=CASES["set"])
@given(assignments=st.lists(assignment(), min_size=1, max_size=3))
def test_random_set_assignments_never_a_traceback(assignments: list[Assignment]) -> None:
    args = [arg for a in assignments for arg in ("--set", a.text)]
    code, lines = validate(str(BASELINE), *args, sources=(COMMAND_LINE, str(BASELINE)))
    set_lines = [line for line in lines if line.startswith(f"{COMMAND_LINE}: ")]
    try:
        apply_overrides(BASE, [a.text for a in assignments])
        applied = True
    except ConfigError:
        applied = False
    if code == 2:
        event("refused by --set" if not applied else "refused by validation")
    for line in set_lines:  # each names its assignment
        assert any(line.startswith(set_prefix(a.text)) for a in assignments), line
    for a in assignments:
        if "=" not in a.text:
            assert any(line.startswith(set_prefix(a.text) + ": ") for line in set_lines)
    paths = [a.path for a in assignments if a.path is not None]
    if len(paths) != len(assignments) or not applied:
        return
    if code == 2:
        file_lines = [as_file_line(line, assignments) for line in lines]
        named = [names(file_lines, str(BASELINE), path) for path in paths]
        event(f"named {max(named, key=lambda how: how is not None)}")
        assert any(how is not None for how in named), (args, lines)
    if code == 0:  # the assignments made a valid config, as far as can be told without the validator
        data = copy.deepcopy(BASE)
        for a in assignments:
            assert a.path is not None
            get(data, a.path[:-1])[a.path[-1]] = parse_yaml(a.value) if a.value.strip() else ""
        assert not must_fail(data), f"accepted {args}"
        event("accepted")


# -- the bugs the generators found (fixed in f2f2a55), one input each -----------------------------


def write(workdir: Path, text: str) -> Path:
    file = workdir / "found.yaml"
    file.write_text(text, encoding="utf-8")
    return file


@pytest.mark.parametrize("tagged", ["!!bool maybe", "!!timestamp soon"])
def test_bad_text_under_an_explicit_tag_is_malformed_yaml(tagged: str, workdir: Path) -> None:
    """Was a traceback: PyYAML's constructors raise KeyError / AttributeError for these."""
    file = write(workdir, TEXT.replace("warmup_days: 0", f"warmup_days: {tagged}", 1))
    code, lines = validate(str(file), sources=(str(file),))
    assert code == 2
    assert len(lines) == 1
    assert "malformed YAML" in lines[0]


def test_a_control_character_is_one_problem_line(workdir: Path) -> None:
    """Was two lines: a ReaderError's text ends with '\\n  in "<unicode string>", position N'."""
    file = write(workdir, TEXT.replace("warmup_days: 0", "warmup_days: 0\x01", 1))
    code, lines = validate(str(file), sources=(str(file),))
    assert code == 2
    assert len(lines) == 1
    assert "malformed YAML: unacceptable character #x0001" in lines[0]


@pytest.mark.parametrize(
    ("line", "broken", "path"),
    [
        ("opening_date: 2027-01-04", "opening_date: 0", "clinic.opening_date"),
        ("opening_date: 2027-01-04", "opening_date: 1.0e-48", "clinic.opening_date"),
        ("holidays: {calendar: US, observed: true}", "holidays: [86400]", "clinic.holidays[0]"),
    ],
)
def test_a_number_for_a_date_is_refused(line: str, broken: str, path: str, workdir: Path) -> None:
    """Was accepted: pydantic's lax date reads a number as Unix time (0 -> 1970-01-01)."""
    file = write(workdir, TEXT.replace(line, broken, 1))
    code, lines = validate(str(file), sources=(str(file),))
    assert code == 2
    assert lines[0].startswith(f"{file}: {path}: not a valid date"), lines


@pytest.mark.parametrize("version", ["true", "on", "1.0"])
def test_config_version_true_is_refused(version: str) -> None:
    """Was accepted: Literal[1] matches by equality, and True == 1.0 == 1."""
    code, lines = validate(
        str(BASELINE), "--set", f"config_version={version}", sources=(str(BASELINE), COMMAND_LINE)
    )
    assert code == 2
    assert lines[0].startswith(f"{COMMAND_LINE}: --set config_version={version}: config_version: "), lines


@pytest.mark.parametrize("key", ["on", "yes", "1", "null"])
def test_a_key_that_yaml_reads_as_a_scalar_is_named_as_written(key: str, workdir: Path) -> None:
    """`on:` was reported as the list index tracks.day[1] (a bool key is an int); `null:` as None."""
    file = write(workdir, TEXT.replace("    groups: 2\n", f"    groups: 2\n    {key}: 2\n", 1))
    code, lines = validate(str(file), sources=(str(file),))
    assert code == 2
    assert lines[0].startswith(f"{file}: tracks.day.{key}: unknown key"), lines


@pytest.mark.parametrize("assignment", ["new\nkey=1", "clinic.name='a\n", "a\rb"])
def test_a_line_break_in_a_key_or_assignment_stays_on_one_line(assignment: str) -> None:
    """Was split over two lines, the second without the file or --set prefix."""
    code, lines = validate(str(BASELINE), "--set", assignment, sources=(str(BASELINE), COMMAND_LINE))
    assert code == 2
    assert len(lines) == 1


@pytest.mark.parametrize("where", ["--set", "file"])
def test_a_list_that_contains_itself_is_malformed_yaml(where: str, workdir: Path) -> None:
    """Was a RecursionError while printing the value."""
    if where == "--set":
        code, lines = validate(
            str(BASELINE), "--set", "clinic.holidays=&a [*a]", sources=(str(BASELINE), COMMAND_LINE)
        )
    else:
        file = write(workdir, "&a [*a]\n")
        code, lines = validate(str(file), sources=(str(file),))
    assert code == 2
    assert "malformed YAML" in lines[0], lines


def _alias_bomb(levels: int, width: int) -> str:
    """YAML text of ``levels`` anchors, each a list of ``width`` aliases of the one before: a few lines that
    stand for ``width ** levels`` values (the "billion laughs")."""
    lines = [f"a0: &a0 [{', '.join(['1'] * width)}]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_aliases_standing_for_too_many_values_are_refused_before_they_are_walked() -> None:
    """break33: ten lines of aliases inside aliases standing for 10**10 values made simiop validate (and the
    app's editor) hang; now refused once the walk passes MAX_VALUES, while the same aliases standing for
    fewer values are read as ever."""
    from simiop.config.yamlio import MAX_VALUES

    assert 8**6 < MAX_VALUES < 8**7
    assert len(parse_yaml(_alias_bomb(6, 8))["a5"]) == 8
    with pytest.raises(yaml.YAMLError, match="stand for more than"):
        parse_yaml(_alias_bomb(7, 8))


@pytest.mark.parametrize("where", ["--set", "file"])
def test_a_billion_laughs_is_one_line_of_malformed_yaml(where: str, workdir: Path) -> None:
    """Such text in a file or a --set value: one line naming it, exit 2, at once (8**7 values: 10**10 hung)."""
    bomb = _alias_bomb(7, 8)
    if where == "--set":
        value = "{" + bomb.strip().replace("\n", ", ") + "}"
        code, lines = validate(
            str(BASELINE), "--set", f"clinic.holidays={value}", sources=(str(BASELINE), COMMAND_LINE)
        )
    else:
        file = write(workdir, bomb)
        code, lines = validate(str(file), sources=(str(file),))
    assert code == 2
    assert len(lines) == 1
    assert "malformed YAML: aliases (*name) make the text stand for more than" in lines[0]


@pytest.mark.parametrize("where", ["--set", "file"])
def test_lists_nested_too_deeply_for_python_are_one_line(where: str, workdir: Path) -> None:
    """break33: 250-999 levels of [[[...]]] passed libyaml's nesting limit and were a RecursionError
    traceback: from PyYAML's constructor in a file, from the message's rendering of the value (show_value)
    in a --set value (read alone, it is built)."""
    nested = "[" * 400 + "]" * 400
    if where == "--set":
        code, lines = validate(
            str(BASELINE), "--set", f"clinic.name={nested}", sources=(str(BASELINE), COMMAND_LINE)
        )
        said = "clinic.name: wrong type (got a list [a list [a list ["
    else:
        file = write(workdir, TEXT.replace("warmup_days: 0", f"warmup_days: {nested}", 1))
        code, lines = validate(str(file), sources=(str(file),))
        said = "malformed YAML: lists or mappings nested too deeply"
    assert code == 2
    assert len(lines) == 1
    assert said in lines[0], lines


def _plain_show_value(value: Any) -> str:
    """show_value as it was: every item rendered, then the text cut (the reference for the one that stops)."""
    if isinstance(value, list | tuple):
        text = "a list [" + ", ".join(_plain_show_value(item) for item in value) + "]"
        return text if len(text) <= 60 else text[:57] + "..."
    return show_value(value)


NESTED = st.recursive(
    st.one_of(st.integers(), st.booleans(), st.none(), st.text(max_size=70), st.floats(allow_nan=False)),
    lambda inner: st.lists(inner, max_size=12),
    max_leaves=80,
)


@given(NESTED)
@settings(max_examples=150, deadline=None)
def test_show_value_stops_where_the_text_is_cut_and_shows_the_same(value: Any) -> None:
    """break33: show_value renders a list's items only until the text is cut, and no list nested deeper
    than the cut shows: the same text as rendering everything, also for values hypothesis nests."""
    assert show_value(value) == _plain_show_value(value)


def test_show_value_of_a_deep_or_long_list_is_quick_and_cut() -> None:
    """A RecursionError (5,000 levels) and a walk of every item (a million) before break33."""
    deep: Any = 1
    for _ in range(5_000):
        deep = [deep]
    assert show_value(deep) == ("a list [" * 8)[:57] + "..."
    assert (
        show_value(list(range(1_000_000))) == "a list [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,..."
    )


# -- staff who can never do the work, and dates out of range (issue 15) ----------------------------

B = str(BASELINE)
NO_COVER = (
    f"{B}: warning: tracks.evening.facilitator_role: no cover on the evening shift: every evening_therapist "
    "is needed for track evening's groups, so any absence cancels a group "
    "(got evening_therapist: 1 at opening, shift evening)"
)
"""The baseline's own warning: one evening therapist for the one evening group."""
INTAKE_DAYS = (
    f"{B}: warning: intake.schedule: the assessments of mon, tue, wed, thu, fri take up to 360 min a day, more "
    "than the 312 min of direct care a day of intake_clinician staff (count x paid hours a day x (1 - "
    "non_direct_share)) (got intake_clinician: 1 at opening, shift day)"
)
"""Four 90-minute slots a day for one clinician with 8 h x 0.65 of direct care (the baseline's clinician has
0.75: its write-ups are the rest of the day)."""

REFUSED = [
    (
        ["intake.by_source={nowhere: {lead_time_days: 0}}"],
        "intake.by_source.nowhere: unknown referral source (got nowhere; allowed community, "
        "emergency_department, step_down, step_up)",
    ),
    (
        ["intake.priority_seats_per_slot=2"],
        "intake.priority_seats_per_slot: more priority seats than schedule[0] has (got 2; allowed <= 1 (the "
        "fewest parallel_slots of any slot))",
    ),
    (
        [
            "referrals.sources.step_down.direct_admission=true",
            "referrals.sources.step_down.warm_handoff={share: 1}",
        ],
        "referrals.sources.step_down.warm_handoff: direct_admission and warm_handoff cannot both be set (got "
        "'both'; allowed one of them (direct_admission is warm_handoff {share: 1}))",
    ),
    (
        ["staff.roles.evening_therapist.count=0"],
        "tracks.evening.facilitator_role: no evening_therapist on the evening shift is employed on a programme "
        "day of track evening before the horizon, so it never admits or runs (got evening_therapist: 0 at "
        "opening, shift evening; allowed staff.roles.evening_therapist.count >= 1, or a hire by 2029-12-31)",
    ),
    (
        [
            "staff.roles.evening_therapist.count=0",
            "staff.roles.evening_therapist.hires=[{date: 2027-03-01}]",
            "simulation.horizon_days=30",
        ],
        "tracks.evening.facilitator_role: no evening_therapist on the evening shift is employed on a programme "
        "day of track evening before the horizon, so it never admits or runs (got evening_therapist: 0 at "
        "opening + 1 hired later, shift evening; allowed staff.roles.evening_therapist.count >= 1, or a hire "
        "by 2027-02-02)",
    ),
    (
        [
            "staff.roles.evening_therapist.count=0",
            "staff.roles.evening_therapist.hires=[{date: 2027-01-26}]",
            "simulation.horizon_days=28",
            "tracks.evening.admission={policy: cohort, cohort_weekdays: [mon]}",
        ],
        "tracks.evening.facilitator_role: no evening_therapist on the evening shift is employed on a cohort "
        "start day of track evening before the horizon, so it never admits or runs (got evening_therapist: 0 "
        "at opening + 1 hired later, shift evening; allowed staff.roles.evening_therapist.count >= 1, or a hire "
        "by 2027-01-25)",
    ),
    (
        ["tracks.evening.facilitators_per_group=2"],
        "tracks.evening.facilitators_per_group: more facilitators per group than evening_therapist on the "
        "evening shift, so no group of track evening ever runs (got 2; allowed <= 1 (evening_therapist: 1 at "
        "opening, shift evening))",
    ),
    (
        ["staff.roles.evening_therapist.fte=0.05"],
        "tracks.evening.hours_per_day: a programme day is longer than one evening_therapist's week, so no "
        "group of track evening ever runs (got 3; allowed <= 1.3 (staff.roles.evening_therapist weekly_hours x "
        "fte x (1 - non_direct_share)))",
    ),
    (
        [
            "staff.roles.evening_therapist.weekly_hours=4",
            "staff.roles.evening_therapist.days_per_week=1",
            "tracks.evening.hours_per_day=2",
            "tracks.evening.group_sessions_per_day=2",
            "services.individual_therapy.session_minutes=180",
        ],
        "services.individual_therapy.session_minutes: an individual session is longer than one "
        "evening_therapist's week, so track evening's patients (primary therapists: evening_therapist, "
        "evening shift) never get one (got 180; allowed <= 156 (staff.roles.evening_therapist weekly_hours x "
        "fte x (1 - non_direct_share), in minutes))",
    ),
    (
        ["staff.roles.intake_clinician.count=0"],
        "intake.staff_role: no intake_clinician is employed on an intake slot's day before the horizon, so no "
        "referral is ever assessed (got intake_clinician: 0 at opening, shift day; allowed "
        "staff.roles.intake_clinician.count >= 1, or a hire by 2030-01-02)",
    ),
    (
        ["staff.roles.prescriber.count=0"],
        "services.prescriber.role: no prescriber is employed on any track's programme day before the horizon, "
        "so no patient ever gets prescriber visits (got prescriber: 0 at opening, shift both; allowed "
        "staff.roles.prescriber.count >= 1, or a hire by 2030-01-02, or remove services.prescriber)",
    ),
    (
        ["services.family.role=intake_clinician", "staff.roles.intake_clinician.fte=0.01"],
        "services.family.session_minutes: longer than one intake_clinician's week, so no patient ever gets "
        "family sessions (got 50; allowed <= 18 (staff.roles.intake_clinician weekly_hours x fte x (1 - "
        "non_direct_share), in minutes))",
    ),
    (
        ["staff.roles.therapist.absence_days_per_year=260"],
        "staff.roles.therapist.absence_days_per_year: everyone in this role is absent every working day, yet "
        "it leads track day (got 260; allowed below 260)",
    ),
    (
        ["tracks.day.groups=0"],
        "tracks.day.groups: an enabled track without groups admits no one (got 0; allowed >= 1, or enabled: "
        "false to close the track)",
    ),
    (
        ["rooms.group_rooms=0"],
        "rooms.group_rooms: without a group room no group ever runs (enabled tracks: day, evening) (got 0; "
        "allowed >= 1 while a track is enabled)",
    ),
    # issue 18: staff time on a clock
    (
        ["staff.roles.evening_therapist.non_direct_share=0.7"],
        "tracks.evening.group_sessions_per_day: a programme day's group sessions take more than one "
        "evening_therapist's daily direct-care limit, so no group of track evening ever runs (got 3 x 50 min; "
        "allowed at most 144 min in total (staff.roles.evening_therapist paid hours a day x (1 - "
        "non_direct_share)))",
    ),
    (  # 8 h x (1 - 0.9) is 47.99999... in floats: the limit is shown as the 48 it is, not 47.9999
        ["staff.roles.therapist.non_direct_share=0.9"],
        "tracks.day.group_sessions_per_day: a programme day's group sessions take more than one "
        "therapist's daily direct-care limit, so no group of track day ever runs (got 3 x 50 min; "
        "allowed at most 48 min in total (staff.roles.therapist paid hours a day x (1 - "
        "non_direct_share)))",
    ),
    (
        ['staff.shifts={evening: {start: "13:00", end: "20:00"}}'],
        "tracks.evening.start_time: the programme day lies outside the evening shift's window (got 18:00-21:00; "
        "allowed inside staff.shifts.evening (13:00-20:00))",
    ),
    (
        [
            'staff.shifts={day: {start: "08:00", end: "17:00"}}',
            'intake.schedule=[{weekday: mon, start_time: "16:00"}]',
        ],
        "intake.schedule[0].start_time: the assessment lies outside the day shift's window of intake_clinician "
        "(got 16:00-17:30; allowed inside staff.shifts.day (08:00-17:00))",
    ),
    (
        ['staff.shifts={day: {start: "17:00", end: "08:00"}}'],
        "staff.shifts.day.end: a shift must end after it starts (got '08:00'; allowed after start 17:00, at most "
        "24:00)",
    ),
    (
        ['staff.shifts={day: {start: "08:00", end: "24:01"}}'],
        "staff.shifts.day.end: not a time of day (got '24:01'; allowed 00:00 to 24:00)",
    ),
    (
        ['staff.shifts={night: {start: "22:00", end: "24:00"}}'],
        "staff.shifts.night: unknown key (got 'night'; allowed day, evening)",
    ),
    (
        ["services.family.placement=[before, before]"],
        "services.family.placement: placement listed twice (got a list ['before', 'before']; allowed each of "
        "pull_out, before, after at most once)",
    ),
    (
        ["services.prescriber.placement=[pull_out, lunch]"],
        "services.prescriber.placement[1]: not one of the allowed values (got 'lunch'; allowed 'pull_out', "
        "'before' or 'after')",
    ),
    (  # one line: not also "at least 1 item", which counts only the items that passed
        ["services.individual_therapy.placement=[lunch]"],
        "services.individual_therapy.placement[0]: not one of the allowed values (got 'lunch'; allowed 'pull_out', "
        "'before' or 'after')",
    ),
    (
        ["staff.roles.therapist.non_direct_share=1"],
        "staff.roles.therapist.non_direct_share: out of range (got 1; allowed 0 to below 1)",
    ),
    (
        ["staff.roles.therapist.days_per_week=8"],
        "staff.roles.therapist.days_per_week: out of range (got 8; allowed 1 to 7)",
    ),
    (
        ["staff.roles.therapist.cover={hourly_cost_usd: 45, shift: day}"],
        "staff.roles.therapist.cover.shift: unknown key (got 'shift'; allowed people_per_day, hourly_cost_usd, "
        "min_paid_hours)",
    ),
    (
        ["staff.roles.therapist.cover={people_per_day: 2}"],
        "staff.roles.therapist.cover.hourly_cost_usd: required key is missing",
    ),
    (
        ["services.max_pull_outs_per_day=9"],
        "services.max_pull_outs_per_day: out of range (got 9; allowed 0 to 8)",
    ),
    (
        ["services.outside_window_minutes=-1"],
        "services.outside_window_minutes: out of range (got -1; allowed 0 to 480)",
    ),
    (
        ["clinic.opening_date=9999-06-01"],
        "clinic.opening_date: date out of range (got 9999-06-01; allowed 1900-01-01 to 2199-12-31)",
    ),
    (
        ["clinic.opening_date=0001-01-01"],
        "clinic.opening_date: date out of range (got 0001-01-01; allowed 1900-01-01 to 2199-12-31)",
    ),
    (
        ["clinic.holidays=[1899-12-31]"],
        "clinic.holidays[0]: date out of range (got 1899-12-31; allowed 1900-01-01 to 2199-12-31)",
    ),
    (
        ["clinic.holidays={calendar: XX}"],
        "clinic.holidays.calendar: no holiday calendar for this country code (got 'XX'; allowed AD, AE, AF, AG, "
        "AI, AL, AM, AO, AQ, AR, AS, AT, AU, AW, AX, AZ, BA, BB, BD, BE, BF, BG, BH, BI, BJ, BL, BM, BN, BO, BQ, "
        "... (250 codes in all))",
    ),
    (
        ["clinic.holidays={calendar: us}"],
        "clinic.holidays.calendar: no holiday calendar for this country code; did you mean 'US'? (got 'us'; "
        "allowed AD, AE, AF, AG, AI, AL, AM, AO, AQ, AR, AS, AT, AU, AW, AX, AZ, BA, BB, BD, BE, BF, BG, BH, BI, "
        "BJ, BL, BM, BN, BO, BQ, ... (250 codes in all))",
    ),
    (
        ["clinic.holidays={calendar: US, subdivision: ZZ}"],
        "clinic.holidays.subdivision: no such subdivision in the US calendar (got 'ZZ'; allowed AK, AL, AR, AS, "
        "AZ, CA, CO, CT, DC, DE, FL, GA, GU, HI, IA, ID, IL, IN, KS, KY, LA, MA, MD, ME, MI, MN, MO, MP, MS, MT, "
        "... (57 codes in all))",
    ),
    (
        ["clinic.holidays={calendar: US, observe: true}"],
        "clinic.holidays.observe: unknown key; did you mean 'observed'? (got 'observe'; allowed calendar, "
        "subdivision, observed, extra, removed)",
    ),
    (
        ["clinic.holidays={calendar: US, extra: [1899-12-31]}"],
        "clinic.holidays.extra[0]: date out of range (got 1899-12-31; allowed 1900-01-01 to 2199-12-31)",
    ),
    (  # issue-19 break test: a payer listed twice was read once, silently
        ["length_of_stay.recertification.payers=[medicare, medicare]"],
        "length_of_stay.recertification.payers: payer listed twice (got a list ['medicare', 'medicare']; "
        "allowed each payer once)",
    ),
    (  # a date both added and removed (issue-19 break test: removed silently won, with a false warning)
        [
            "clinic.holidays={calendar: US, extra: [2027-12-20, 2027-12-27], removed: [2027-05-31, 2027-12-27]}"
        ],
        "clinic.holidays.removed[1]: this date is also listed under extra (got '2027-12-27'; allowed each date "
        "under extra or removed, not both)",
    ),
    (
        ["clinic.holidays=US"],
        "clinic.holidays: expected a list of dates or a holiday rule (got 'US'; allowed a list of dates "
        "YYYY-MM-DD, or a rule such as {calendar: US, observed: true})",
    ),
    (
        ["staff.roles.therapist.hires=[{date: 2200-01-01}]"],
        "staff.roles.therapist.hires[0].date: date out of range (got 2200-01-01; allowed 1900-01-01 to "
        "2199-12-31)",
    ),
    (
        ["clinic.opening_date=2199-06-01"],
        "simulation.horizon_days: the run would end after 2199-12-31, the last date simiop supports (got 1095 "
        "days from opening_date 2199-06-01; allowed <= 214 for this opening_date)",
    ),
]


def _id(case: tuple[list[str], str]) -> str:
    return case[1].split(":", 1)[0] + " " + ",".join(a.split("=")[0].rsplit(".", 1)[-1] for a in case[0])


def _assert_blames_an_option(got: str, assignments: list[str], line: str) -> None:
    """``got`` is 'command line: --set A[, --set B]: LINE' naming only options that were given."""
    prefix = f"{COMMAND_LINE}: "
    assert got.startswith(prefix), got
    assert got.endswith(f": {line}"), got
    named = got[len(prefix) : len(got) - len(line) - 2]
    rest = named
    for assignment in assignments:
        rest = rest.replace(f"--set {assignment}", "", 1)
    assert rest != named, got  # at least one option is named
    assert set(rest) <= {",", " "}, got  # and nothing else


@pytest.mark.parametrize(("assignments", "line"), REFUSED, ids=[_id(case) for case in REFUSED])
def test_unworkable_staffing_and_bad_dates_are_one_line(
    assignments: list[str], line: str, tmp_path: Path
) -> None:
    """validate, run and the API refuse the config with exactly one line; run never starts.

    The faults are made with --set, so the line blames the command line and one or more of its options.
    """
    sets = [arg for assignment in assignments for arg in ("--set", assignment)]
    code, lines = validate(B, *sets, sources=(B, COMMAND_LINE))
    assert code == 2
    assert len(lines) == 1
    _assert_blames_an_option(lines[0], assignments, line)
    out_dir = tmp_path / "never-written"
    code, out, err = run("run", B, *sets, "--out", str(out_dir), "-r", "1")
    assert (code, out) == (2, "")
    assert err.endswith("\n")
    assert err.count("\n") == 1
    _assert_blames_an_option(err.rstrip("\n"), assignments, line)
    assert not out_dir.exists()
    changes = dict(assignment.split("=", 1) for assignment in assignments)
    with pytest.raises(ConfigError) as caught:
        simiop.load_config(BASELINE, changes={path: yaml.safe_load(value) for path, value in changes.items()})
    assert caught.value.lines() == [f"<changes>: {line}"]


def test_a_missing_shift_line_no_longer_gives_a_clinic_without_its_evening_track(workdir: Path) -> None:
    """The issue's case: without `shift: evening` the evening therapist works days (the default)."""
    role = "  evening_therapist:\n      count: 1\n      shift: evening\n"
    assert TEXT.count(role) == 1
    file = write(workdir, TEXT.replace(role, role.replace("      shift: evening\n", "")))
    code, lines = validate(str(file), sources=(str(file),))
    assert (code, lines) == (
        2,
        [
            f"{file}: tracks.evening.facilitator_role: no evening_therapist works the evening shift, so track "
            "evening never admits or runs (got evening_therapist: 1 at opening, shift day; allowed a role with "
            "staff on the evening shift: set staff.roles.evening_therapist.shift to evening or both, or name "
            "another role)"
        ],
    )


def test_the_effective_horizon_decides_whether_a_hire_counts(tmp_path: Path) -> None:
    """--horizon 30 (before the hire) refuses what the file's 3 years accept with a warning, in run too."""
    hire = ["--set", "staff.roles.evening_therapist.count=0", "--set",
            "staff.roles.evening_therapist.hires=[{date: 2027-03-01}]"]  # fmt: skip
    code, out, err = run("validate", B, *hire)
    assert (code, out) == (0, f"{B}: ok\n")
    assert (
        f"{B}: warning: tracks.evening.facilitator_role: track evening admits no one until 2027-03-01, when the "
        "first evening_therapist on the evening shift starts (got evening_therapist: 0 at opening + 1 hired "
        "later, shift evening)"
    ) in err.splitlines()
    code, out, err = run("run", B, *hire, "--horizon", "30", "--out", str(tmp_path / "out"))
    assert (code, out) == (2, "")
    assert not (tmp_path / "out").exists()
    assert err.startswith(
        f"{COMMAND_LINE}: --set staff.roles.evening_therapist.count=0, --horizon 30: tracks.evening.facilitator_role: "
        "no evening_therapist on the evening shift"
    )
    assert "a hire by 2027-02-02" in err


WARNED = [
    ([], [NO_COVER]),
    (
        ["intake.priority_seats_per_slot=1", "referrals.sources.community.warm_handoff={share: 0.5}"],
        [
            NO_COVER,
            f"{B}: warning: intake.priority_seats_per_slot: seats are kept for priority sources but no source is "
            "one: they open only when released (got 1; allowed a source with priority: true in intake.by_source, "
            "or 0)",
            f"{B}: warning: referrals.sources.community.warm_handoff: a warm hand-off is meant for step-downs from "
            "a unit that assesses before discharge (got community; allowed kind: step_down, or no warm_handoff)",
        ],
    ),
    (  # issue-19 break test: a hand-off ready only after its deadline always lapses
        [
            "referrals.sources.step_down.warm_handoff={share: 1, ready_after_days: {dist: fixed, value: 3}, "
            "admit_within_days: 2}"
        ],
        [
            NO_COVER,
            f"{B}: warning: referrals.sources.step_down.warm_handoff.admit_within_days: no patient is ready "
            "before it: every hand-off lapses into the walk-in intake (got 2 with ready_after_days at least 3; "
            "allowed admit_within_days above the earliest ready_after_days)",
        ],
    ),
    (
        [
            "referrals.sources.step_down.warm_handoff={share: 1, ready_after_days: {dist: uniform, low: 1, "
            "high: 3}, admit_within_days: 2}"
        ],
        [NO_COVER],
    ),
    (["staff.roles.intake_clinician.non_direct_share=0.35"], [NO_COVER, INTAKE_DAYS]),
    (
        ["staff.roles.therapist.hires=[{date: 2026-01-01}, {date: 2031-01-01}]"],
        [
            NO_COVER,
            f"{B}: warning: staff.roles.therapist.hires[0].date: the hire starts before opening_date: counted "
            "as staff from opening (got 2026-01-01)",
            f"{B}: warning: staff.roles.therapist.hires[1].date: the hire starts after the run's last day "
            "(2030-01-02), so it is never on the payroll (got 2031-01-01)",
        ],
    ),
    (
        ["intake.schedule[0].parallel_slots=3"],
        [
            NO_COVER,
            f"{B}: warning: intake.schedule[0].parallel_slots: more parallel assessments than intake_clinician "
            "staff: at most 1 run at once (got 3)",
        ],
    ),
    (
        ["staff.roles.prescriber.shift=evening", "tracks.evening.enabled=false"],
        [
            f"{B}: warning: services.prescriber.role: prescriber works the evening shift, but only staff of a "
            "patient's shift may give them prescriber visits, and every enabled track is on the day shift: all "
            "prescriber visits are missed (no_staff_on_shift) (got prescriber: 1 at opening, shift evening)",
        ],
    ),
    (
        ["tracks.day.groups=3"],
        [
            f"{B}: warning: tracks.day.facilitator_role: no cover on the day shift: every therapist is "
            "needed for track day's groups, so any absence cancels a group (got therapist: 3 at opening, "
            "shift day)",
            NO_COVER,
        ],
    ),
    (
        ["tracks.day.groups=4"],
        [
            f"{B}: warning: tracks.day.groups: 4 groups need 4 therapist on the day shift at once, but there "
            "are only 3: some groups never run (got 4)",
            NO_COVER,
        ],
    ),
    (
        ['staff.shifts={evening: {start: "17:00", end: "22:00"}}'],
        [
            NO_COVER,
            f"{B}: warning: staff.roles.evening_therapist.days_per_week: a paid day of 8 h (weekly_hours x fte / "
            "days_per_week) is longer than the evening shift's window of 5 h, which caps the hours that can be "
            "booked (got 5)",
        ],
    ),
    (["staff.roles.evening_therapist.cover={hourly_cost_usd: 45}"], []),
    (
        ["services.max_pull_outs_per_day=0", "services.individual_therapy.placement=[pull_out]"],
        [
            NO_COVER,
            f"{B}: warning: services.individual_therapy.placement: no placement can hold a 50-min session "
            "(individual_therapy.session_minutes; pull_out: max_pull_outs_per_day is 0), so every one is missed "
            "(no_slot) (got ['pull_out'])",
        ],
    ),
    (
        ["services.outside_window_minutes=30"],
        [
            NO_COVER,
            f"{B}: warning: services.family.placement: no placement can hold a 50-min session "
            "(family.session_minutes; before and after: outside_window_minutes 30 < 50), so every one is missed "
            "(no_slot) (got ['before', 'after'])",
        ],
    ),
    (
        ["staff.roles.prescriber.cover={hourly_cost_usd: 120}"],
        [
            NO_COVER,
            f"{B}: warning: staff.roles.prescriber.cover: cover people only lead groups, and no enabled track's "
            "groups are led by prescriber, so this pool is never called (got facilitator roles evening_therapist, "
            "therapist)",
        ],
    ),
    (
        [
            "simulation.horizon_days=1460",
            "clinic.holidays=[2027-05-31, 2027-07-05, 2027-09-06, 2027-11-25, 2027-12-24, 2027-12-31, 2028-05-29, "
            "2028-07-04, 2028-09-04, 2028-11-23, 2028-12-25, 2029-01-01, 2029-05-28, 2029-07-04, 2029-09-03, "
            "2029-11-22, 2029-12-25, 2030-01-01]",  # the list the baseline had before its rule (issue 19)
        ],
        [
            f"{B}: warning: clinic.holidays: the list stops at 2030-01-01 but the run goes on to 2031-01-02: no "
            "holidays after it (got a list of 18 dates; allowed dates through 2031, or a rule such as {calendar: "
            "US, observed: true})",
            NO_COVER,
        ],
    ),
    (["simulation.horizon_days=1460", "clinic.holidays={calendar: US}"], [NO_COVER]),
    (
        ["clinic.holidays={calendar: US, removed: [2027-07-05, 2027-07-06]}"],
        [
            f"{B}: warning: clinic.holidays.removed[1]: the US calendar does not close this date, so removing it "
            "changes nothing (got 2027-07-06)",
            NO_COVER,
        ],
    ),
    (
        ["simulation.horizon_days=1", "clinic.opening_date=2027-01-02"],
        [
            f"{B}: warning: tracks.day: the track has no programme day before the horizon (got horizon_days 1)",
            f"{B}: warning: tracks.evening: the track has no programme day before the horizon (got "
            "horizon_days 1)",
            f"{B}: warning: intake.schedule: no intake slot falls before the horizon (got horizon_days 1)",
        ],
    ),
]


@pytest.mark.parametrize(("assignments", "expected"), WARNED)
def test_suspicious_staffing_is_a_warning_not_an_error(assignments: list[str], expected: list[str]) -> None:
    """validate exits 0 and prints the warnings to stderr; the API returns the same lines."""
    sets = [arg for assignment in assignments for arg in ("--set", assignment)]
    code, out, err = run("validate", B, *sets)
    assert (code, out) == (0, f"{B}: ok\n")
    assert err.splitlines() == expected
    changes = {path: yaml.safe_load(value) for path, value in (a.split("=", 1) for a in assignments)}
    config = simiop.load_config(BASELINE, changes=changes or None)
    assert [f"{B}: {line}" for line in config.warnings()] == expected


def test_a_scenario_that_starves_a_track_is_refused_by_experiment(tmp_path: Path) -> None:
    """experiment checks each scenario's config by the same rules, located by scenario; nothing runs."""
    spec = tmp_path / "starved.yaml"
    spec.write_text(
        f"base: {BASELINE}\nscenarios:\n  no_evening_staff:\n    set:\n"
        "      staff.roles.evening_therapist.count: 0\n",
        encoding="utf-8",
    )
    code, out, err = run("experiment", str(spec), "--out", str(tmp_path / "out"))
    assert (code, out) == (2, "")
    assert err == (
        f"{spec}: scenarios.no_evening_staff.set: tracks.evening.facilitator_role: no evening_therapist on the "
        "evening shift is employed on a programme day of track evening before the horizon, so it never admits "
        "or runs (got evening_therapist: 0 at opening, shift evening; allowed "
        "staff.roles.evening_therapist.count >= 1, or a hire by 2029-12-31)\n"
    )
    assert not (tmp_path / "out").exists()


def test_run_prints_the_warnings_on_stderr_and_still_runs(tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    code, out, err = run(
        "run", B, "--horizon", "14", "-r", "1", "--executor", "serial", "--tables", "none", "--no-report",
        "--out", str(out_dir),
    )  # fmt: skip
    assert code == 0, err
    assert "1 replication(s)" in out
    assert err.splitlines() == [NO_COVER]
    assert (out_dir / "summary.csv").is_file()
