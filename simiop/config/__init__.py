"""Typed, validated, immutable clinic configuration read from YAML."""

from simiop.config.errors import ConfigError, Problem
from simiop.config.loader import load_config, read_config_data, validate_config
from simiop.config.model import SimiopConfig
from simiop.config.overrides import apply_overrides

__all__ = [
    "ConfigError",
    "Problem",
    "SimiopConfig",
    "apply_overrides",
    "load_config",
    "read_config_data",
    "validate_config",
]
