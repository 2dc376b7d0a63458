"""What an opt-in mypyc build of simiop could look like (probe only: benchmarks/mypyc-probe.md).

Not used by the repository's own build. ``benchmarks/mypyc_wheel.sh`` copies the tree to a scratch
folder with this file as its ``setup.py`` (setuptools reads the metadata from pyproject.toml) and
builds wheels with and without ``SIMIOP_USE_MYPYC=1``, as mypy's and charset-normalizer's setup.py do:
compiled only when asked, pure Python otherwise.
"""

import os

from setuptools import setup

MODULES = [
    "care",
    "stay",
    "sessions",
    "delivery",
    "events",
    "programme",
    "clock",
    "referrals",
    "intake",
    "records",
    "patients",
]

ext_modules = []
if os.environ.get("SIMIOP_USE_MYPYC") == "1":
    from mypyc.build import mypycify

    ext_modules = mypycify(
        [f"simiop/model/{name}.py" for name in MODULES],
        opt_level=os.environ.get("MYPYC_OPT_LEVEL", "3"),
        debug_level="0",
        # the shared library inside the package (simiop/_mypyc__mypyc.*.so), not at the top level where an
        # editable install cannot import it
        group_name="simiop._mypyc",
    )

setup(ext_modules=ext_modules)
