"""simiop: discrete-event simulation and capacity planning for an Intensive Outpatient Program."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("simiop")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
