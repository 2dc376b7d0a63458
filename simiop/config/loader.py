"""From a YAML file (plus ``--set`` overrides) to a validated SimiopConfig, or every problem at once."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from simiop.atomic import file_in_the_way
from simiop.config.errors import ConfigError, Problem, problems_from, show_value
from simiop.config.model import SimiopConfig
from simiop.config.overrides import (
    COMMAND_LINE,
    Override,
    apply_overrides,
    as_override,
    overlaps,
    parse_assignment,
    split_path,
)
from simiop.config.yamlio import parse_yaml, yaml_problem

_SECTIONS = ", ".join(SimiopConfig.model_fields)

CONFIG_VERSION = 1
"""The config format this simiop reads (``config_version``); a file written for a later one is refused."""

EXPERIMENT_KEYS = frozenset({"base", "scenarios", "grid", "compare_to"})
"""Top-level keys only an experiment file has: a config holding them (and no section) is one."""


def manifest_hint(data: Mapping[Any, Any], source: str, expected: str) -> Problem | None:
    """A one-line hint when ``data`` is a result folder's manifest.json given where ``expected`` belongs."""
    if "simiop_manifest" not in data:
        return None
    return Problem(
        "",
        f"this is the manifest of a result folder, not {expected}; "
        f"re-run it with: simiop reproduce {Path(source).parent}",
    )


def _other_kind(data: Mapping[Any, Any], source: str) -> Problem | None:
    """A one-line hint when ``data`` is an experiment file (or a manifest) where a config belongs."""
    if (manifest := manifest_hint(data, source, "a clinic config")) is not None:
        return manifest
    if "base" in data and not set(data) & set(SimiopConfig.model_fields):
        return Problem(
            "",
            "this is an experiment file (it names a base: config), not a clinic config; "
            f"run it with: simiop experiment {source} (--dry-run only checks it)",
        )
    return None


def _newer_format(data: Mapping[Any, Any]) -> Problem | None:
    """The one problem that matters when a file was written for a later config format than this one."""
    version = data.get("config_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > CONFIG_VERSION:
        from simiop import __version__

        return Problem(
            "config_version",
            f"written for config format {version}; this simiop ({__version__}) reads {CONFIG_VERSION}: "
            f"upgrade simiop, or write the file for format {CONFIG_VERSION}",
        )
    return None


def validate_config(data: Any, source: str = "<config>") -> SimiopConfig:
    """Validate plain data (as parsed from YAML) into a SimiopConfig; ConfigError lists all problems.

    Two mix-ups get one line instead of a problem per key: an experiment file
    where a config belongs, and a file written for a later config format.
    """
    if not isinstance(data, Mapping):
        raise ConfigError(
            source,
            [Problem("", "expected a mapping of sections at the top level", show_value(data), _SECTIONS)],
        )
    hint = _other_kind(data, source) or _newer_format(data)
    if hint is not None:
        raise ConfigError(source, [hint])
    try:
        return SimiopConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(source, problems_from(exc, SimiopConfig)) from None


def read_config_data(path: str | Path, allowed: str = f"a mapping with sections {_SECTIONS}") -> Any:
    """The plain data of a YAML file; ConfigError if it is missing, unreadable, empty or not YAML.

    ``allowed`` says what the file should hold, for the message about an empty file.
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(source, [Problem("", "file not found")]) from None
    except IsADirectoryError:
        raise ConfigError(source, [Problem("", "is a directory, not a config file")]) from None
    except NotADirectoryError:  # a path through a file: name it, as a file
        blocker = file_in_the_way(Path(path))
        where = f" ({blocker} is a file, not a folder)" if blocker is not None else ""
        raise ConfigError(source, [Problem("", f"file not found{where}")]) from None
    except UnicodeDecodeError:
        raise ConfigError(source, [Problem("", "not a UTF-8 text file")]) from None
    except OSError as exc:
        raise ConfigError(source, [Problem("", f"cannot be read: {exc.strerror}")]) from None
    try:
        data = parse_yaml(text)
    except yaml.YAMLError as exc:
        raise ConfigError(source, [yaml_problem(exc)]) from None
    if data is None:
        raise ConfigError(source, [Problem("", "the file is empty", None, allowed)])
    return data


def load_config(
    path: str | Path, overrides: Iterable[str | Override] = (), by: str = COMMAND_LINE
) -> SimiopConfig:
    """Read, override and validate a config file.

    Overrides are applied to the parsed data before validation, so they obey
    exactly the rules the file does. A problem the overrides caused is
    reported against ``by`` (the command line) and the option, not the file.
    """
    source = str(path)
    data = read_config_data(path)
    given = [as_override(item) for item in overrides]
    if not given:
        return validate_config(data, source)
    validate_kind(data, source)
    return validate_changed(data, apply_overrides(data, given, by), source, given, by)


def validate_kind(data: Any, source: str) -> None:
    """Raise the one-line problem of data that is no config at all (not a mapping, another kind of file)."""
    if not isinstance(data, Mapping) or _other_kind(data, source) is not None:
        validate_config(data, source)


def validate_changed(
    original: Any, changed: Any, source: str, overrides: Sequence[Override], by: str = COMMAND_LINE
) -> SimiopConfig:
    """Validate ``changed`` (``original`` with ``overrides`` applied), blaming each problem on its cause.

    A problem ``original`` has too (the same rule at the same path, see
    ``_files_own``) stays the file's; any other is caused by the
    overrides, and is reported as coming from ``by`` (the command line, an
    API argument) and the options that cause it (see ``_blamed``).
    """
    try:
        return validate_config(changed, source)
    except ConfigError as exc:
        found = exc.problems
    try:
        validate_config(original, source)
        before: tuple[Problem, ...] = ()
    except ConfigError as exc:
        before = exc.problems
    problems = [
        problem
        if _files_own(problem, before, overrides)
        else _blamed(problem, original, source, overrides, by)
        for problem in found
    ]
    raise ConfigError(source, problems) from None


def _files_own(problem: Problem, before: Sequence[Problem], overrides: Sequence[Override]) -> bool:
    """Whether ``problem`` is one the file alone has: the same problem, or the same rule broken at the
    same path while no override sets that path.

    Only the "got" and "allowed" parts may differ then: they often describe
    more than the field (a role's head count beside the facilitator role an
    evening track lacks), so an option that changes that description neither
    causes nor fixes the file's problem (``--set ...evening_therapist.count=2``
    beside a file whose evening therapist works days).
    """
    if problem in before:
        return True
    if not any(problem.path == old.path and problem.message == old.message for old in before):
        return False
    try:
        where = split_path(problem.path)
    except ValueError:
        return False
    for override in overrides:
        try:
            parts, _ = parse_assignment(override.assignment)
        except ValueError:
            return False
        if overlaps(parts, where):
            return False
    return True


def _blamed(problem: Problem, original: Any, source: str, overrides: Sequence[Override], by: str) -> Problem:
    """``problem`` reported against the options that cause it.

    The option that sets the problem's field when exactly one does; else the
    options without which the problem goes away (``--set`` a role's count to 0,
    not the ``--replications 1`` beside it); else all of them (a problem two
    options make only together).
    """
    try:
        where = split_path(problem.path)
    except ValueError:
        where = []
    related = []
    for override in overrides:
        try:
            parts, _ = parse_assignment(override.assignment)
        except ValueError:
            continue
        if where and overlaps(parts, where):
            related.append(override)
    if len(related) != 1:
        related = [o for o in overrides if not _still_fails(problem, original, source, overrides, o, by)]
    shown = ", ".join(override.shown for override in (related or overrides))
    return dataclasses.replace(problem, source=f"{by}: {shown}")


def _still_fails(
    problem: Problem, original: Any, source: str, overrides: Sequence[Override], left_out: Override, by: str
) -> bool:
    """Whether ``problem``'s field is still refused with every override but ``left_out``."""
    try:
        validate_config(apply_overrides(original, [o for o in overrides if o is not left_out], by), source)
    except ConfigError as exc:
        return any(other.path == problem.path for other in exc.problems)
    return False
