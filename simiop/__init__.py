"""simiop: discrete-event simulation and capacity planning for an Intensive Outpatient Program.

The public API (``simiop.run``, ``simiop.load_config``, ...) lives in
``simiop.api`` and is imported on first use, so ``import simiop`` and the
command line's ``--help`` stay fast (no numpy, simpy or matplotlib until needed).
``__version__`` too is read on first use (the package metadata costs 15-25 ms).
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simiop.api import (
        Results,
        evaluate,
        example_config,
        load_config,
        open_results,
        optimise,
        reproduce,
        run,
        run_experiment,
        with_changes,
    )
    from simiop.config import ConfigError, SimiopConfig

__all__ = [
    "ConfigError",
    "Results",
    "SimiopConfig",
    "__version__",
    "evaluate",
    "example_config",
    "load_config",
    "open_results",
    "optimise",
    "reproduce",
    "run",
    "run_experiment",
    "with_changes",
]
_CONFIG = ("ConfigError", "SimiopConfig")


def _installed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("simiop")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


def __getattr__(name: str) -> Any:
    """Import the API, and read the version, on first use (PEP 562)."""
    if name == "__version__":
        found = globals()["__version__"] = _installed_version()
        return found
    if name in __all__ and name not in _CONFIG and name != "__version__":
        from simiop import api

        return getattr(api, name)
    if name in _CONFIG:
        from simiop import config

        return getattr(config, name)
    raise AttributeError(f"module 'simiop' has no attribute {name!r}")
