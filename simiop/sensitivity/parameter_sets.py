"""Parameter sets of ``simiop calibrate`` (parameter_sets.csv) as the input distribution of a PSA.

The file (docs/calibrate.md) has a header ``set,<path>,<path>,...`` (each path a dotted config field
as in estimates.csv, e.g. ``referrals.sources.step_up.weekly_rate`` or
``length_of_stay.dropout_hazard.weekly_by_week[0]``) and one row per parameter set. PSA input set p
is row p applied onto the study's base config: every column's value replaces the base's value at its
path. An empty (or ``nan``) cell keeps the base's value (a set whose refit did not give that
parameter). Two rules make a row a valid config, both stated in docs/sensitivity.md:

- a field the base holds as a whole number takes the value rounded to the nearest whole number;
- shares of a mix (a mapping whose values sum to 1 in the base, such as ``intake.outcomes``) are
  divided by their sum after the row is applied, so the mix still sums to 1 (the CSV keeps 6
  significant digits, and independently drawn shares need not sum to 1).

The rows themselves and the file's SHA-256 are part of the study (its manifest), so a result folder
is reported and re-run without the file; ``simiop reproduce`` still refuses to run when the file now
differs from the one recorded (docs/sensitivity.md).
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simiop.config import ConfigError, Problem
from simiop.config.errors import show_value
from simiop.config.overrides import split_path, value_at

SET_COLUMN = "set"
"""The first column of parameter_sets.csv: the set's number."""

MIX_TOLERANCE = 1e-9
"""A mapping whose numbers sum to 1 within this is a mix of shares (as the config checks them)."""


@dataclass(frozen=True)
class ParameterSets:
    """The parameter sets read from a file: ``rows[s][c]`` is set s's value of ``paths[c]`` (NaN: keep)."""

    file: str
    """The file's absolute path when it was read (to check it again on reproduce)."""
    sha256: str
    paths: tuple[str, ...]
    rows: tuple[tuple[float, ...], ...]

    def identity(self) -> dict[str, Any]:
        """Plain JSON data (NaN written as null) from which ``from_identity`` rebuilds the sets exactly."""
        return {
            "file": self.file,
            "sha256": self.sha256,
            "paths": list(self.paths),
            "rows": [[None if math.isnan(v) else v for v in row] for row in self.rows],
        }

    @classmethod
    def from_identity(cls, data: Mapping[str, Any]) -> ParameterSets:
        rows = tuple(tuple(math.nan if v is None else float(v) for v in row) for row in data["rows"])
        return cls(str(data["file"]), str(data["sha256"]), tuple(str(p) for p in data["paths"]), rows)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_parameter_sets(path: Path, source: str, where: str = "parameter_sets.file") -> ParameterSets:
    """Read parameter_sets.csv; ConfigError (one line, at ``where`` in ``source``) when it cannot be used.

    Refused: a missing or unreadable file, a header that does not start with ``set`` or has no
    parameter column or a repeated one, a row of another length, a cell that is not a number, no rows.
    """
    allowed = "a parameter_sets.csv written by simiop calibrate (header set,<config path>,...)"
    try:
        data = path.read_bytes()
        text = data.decode("utf-8")
    except OSError:
        raise ConfigError(source, [Problem(where, "no such file", repr(str(path)), allowed)]) from None
    except UnicodeDecodeError:
        raise ConfigError(
            source, [Problem(where, "not a UTF-8 text file", repr(str(path)), allowed)]
        ) from None
    table = [row for row in csv.reader(io.StringIO(text)) if row]
    if not table or table[0][0].strip() != SET_COLUMN or len(table[0]) < 2:
        head = ",".join(table[0]) if table else ""
        raise ConfigError(source, [Problem(where, f"{path}: wrong columns", repr(head[:80]), allowed)])
    paths = tuple(cell.strip() for cell in table[0][1:])
    for column, name in enumerate(paths, start=2):
        if not name or paths.index(name) != column - 2:
            raise ConfigError(
                source,
                [
                    Problem(
                        where,
                        f"{path}: column {column} is empty or repeated",
                        repr(name),
                        "distinct config paths",
                    )
                ],
            )
    rows = []
    for number, row in enumerate(table[1:], start=2):
        if len(row) != len(table[0]):
            raise ConfigError(
                source,
                [
                    Problem(
                        where,
                        f"{path}: row {number} has {len(row)} cells",
                        "",
                        f"{len(table[0])}, as the header",
                    )
                ],
            )
        values = []
        for name, cell in zip(paths, row[1:], strict=True):
            try:
                value = float(cell) if cell.strip() else math.nan
            except ValueError:
                raise ConfigError(
                    source,
                    [
                        Problem(
                            where,
                            f"{path}: row {number}, column {name}: not a number",
                            repr(cell),
                            "a number or empty",
                        )
                    ],
                ) from None
            if math.isinf(value):
                raise ConfigError(
                    source,
                    [Problem(where, f"{path}: row {number}, column {name}", repr(cell), "a finite number")],
                )
            values.append(value)
        rows.append(tuple(values))
    if not rows:
        raise ConfigError(
            source, [Problem(where, f"{path}: holds no parameter set", "0 rows", "at least 1 row")]
        )
    return ParameterSets(str(path.resolve()), hashlib.sha256(data).hexdigest(), paths, tuple(rows))


def path_problems(sets: ParameterSets, data: Any, where: str = "parameter_sets.file") -> list[Problem]:
    """One problem naming the first column that is no numeric field of ``data`` (plain config data), if any.

    One line, however many columns are wrong (a calibration of another config has many): it names the
    first and counts the rest.
    """
    unknown, not_numbers = [], []
    for name in sets.paths:
        try:
            current = value_at(data, split_path(name))
        except (KeyError, ValueError):
            unknown.append(name)
            continue
        if not isinstance(current, (int, float)) or isinstance(current, bool):
            not_numbers.append((name, current))
    file = Path(sets.file).name
    if unknown:
        more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
        return [
            Problem(
                where,
                f"{file}: column {unknown[0]!r}{more} is no field of the base config",
                None,
                "config field paths of the base (as base, use the calibration's calibrated.yaml)",
            )
        ]
    if not_numbers:
        name, current = not_numbers[0]
        return [
            Problem(
                where, f"{file}: column {name!r} is not a number in the base", show_value(current), "a number"
            )
        ]
    return []


def set_changes(data: Any, paths: Sequence[str], row: Sequence[float]) -> dict[str, Any]:
    """The config changes that apply one parameter set onto ``data`` (the rules of the module docstring)."""
    changes: dict[str, Any] = {}
    mixes: dict[str, dict[str, Any]] = {}
    for name, value in zip(paths, row, strict=True):
        if math.isnan(value):
            continue
        parts = split_path(name)
        current = value_at(data, parts)
        number: float | int = round(value) if isinstance(current, int) else value
        parent = value_at(data, parts[:-1]) if len(parts) > 1 else None
        if isinstance(parent, dict) and _is_mix(parent) and isinstance(parts[-1], str):
            parent_path = name.rsplit(".", 1)[0]
            mixes.setdefault(parent_path, dict(parent))[parts[-1]] = number
        else:
            changes[name] = number
    for parent_path, mix in mixes.items():
        total = math.fsum(mix.values())
        changes[parent_path] = {key: share / total for key, share in mix.items()} if total > 0 else mix
    return changes


def _is_mix(mapping: Mapping[str, Any]) -> bool:
    numbers = list(mapping.values())
    return (
        len(numbers) > 1
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in numbers)
        and abs(math.fsum(numbers) - 1.0) <= MIX_TOLERANCE
    )
