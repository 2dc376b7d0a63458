"""From a YAML file (plus ``--set`` overrides) to a validated SimiopConfig, or every problem at once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from simiop.config.errors import ConfigError, Problem, problems_from, show_value
from simiop.config.model import SimiopConfig
from simiop.config.overrides import apply_overrides
from simiop.config.yamlio import parse_yaml, yaml_problem

_SECTIONS = ", ".join(SimiopConfig.model_fields)


def validate_config(data: Any, source: str = "<config>") -> SimiopConfig:
    """Validate plain data (as parsed from YAML) into a SimiopConfig; ConfigError lists all problems."""
    if not isinstance(data, Mapping):
        raise ConfigError(
            source,
            [Problem("", "expected a mapping of sections at the top level", show_value(data), _SECTIONS)],
        )
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


def load_config(path: str | Path, overrides: Iterable[str] = ()) -> SimiopConfig:
    """Read, override and validate a config file.

    Overrides are applied to the parsed data before validation, so they obey
    exactly the rules the file does; problems are reported against the file.
    """
    data = read_config_data(path)
    overrides = list(overrides)
    if overrides:
        if not isinstance(data, Mapping):
            validate_config(data, str(path))
        data = apply_overrides(data, overrides)
    return validate_config(data, str(path))
