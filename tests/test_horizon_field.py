"""The ``horizon:`` of experiment, optimisation and sensitivity files: one problem per bad value.

pydantic checks a ``str | float`` field against each member of the union and
reports both failures (``horizon.str`` and ``horizon.constrained-float``), so a
negative horizon used to print two lines naming pydantic's internal types.
``simiop.config.base.Horizon`` checks the value once, for all three kinds of file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from simiop.config import ConfigError
from simiop.experiments.plan import read_experiment
from simiop.optimisation.spec import read_spec
from simiop.sensitivity.study import read_study
from tests.conftest import REPO

FILES: dict[str, tuple[Path, Callable[[Path], Any]]] = {
    "experiment": (REPO / "experiments" / "therapists.yaml", read_experiment),
    "optimise": (REPO / "experiments" / "optimise_mmc.yaml", read_spec),
    "sensitivity": (REPO / "experiments" / "sensitivity_baseline.yaml", read_study),
}


def _with_horizon(source: Path, horizon: str, folder: Path) -> Path:
    """A copy of a shipped file in ``folder``, its base made absolute, with its horizon replaced or added."""
    lines = []
    for line in source.read_text().splitlines():
        if line.startswith("base:"):
            line = f"base: {(source.parent / line.removeprefix('base:').strip()).resolve()}"
        if not line.startswith(("horizon:", "until:")):
            lines.append(line)
    copy = folder / source.name
    copy.write_text("\n".join([*lines, f"horizon: {horizon}"]) + "\n")
    return copy


@pytest.mark.parametrize("kind", sorted(FILES))
@pytest.mark.parametrize(
    ("horizon", "message"),
    [
        ("-3", "horizon: out of range (got -3"),
        ("0", "horizon: out of range (got 0"),
        ("1e9", "horizon: out of range (got 1e+09"),
        ("soon", "horizon: not a duration (got 'soon'"),
        ("true", "horizon: wrong type (got true"),
        ("[1, 2]", "horizon: wrong type (got a list [1, 2]"),
    ],
)
def test_a_bad_horizon_is_one_line_naming_the_field(
    kind: str, horizon: str, message: str, tmp_path: Path
) -> None:
    source, read = FILES[kind]
    path = _with_horizon(source, horizon, tmp_path)
    with pytest.raises(ConfigError) as caught:
        read(path)
    lines = caught.value.lines()
    assert len(lines) == 1, lines
    assert message in lines[0], lines[0]
    assert "horizon.str" not in lines[0]
    assert "constrained" not in lines[0]


@pytest.mark.parametrize("kind", sorted(FILES))
@pytest.mark.parametrize(("horizon", "days"), [("90", 90.0), ("2.5", 2.5), ("26w", 182.0)])
def test_a_good_horizon_is_kept_as_a_duration_or_days(
    kind: str, horizon: str, days: float, tmp_path: Path
) -> None:
    source, read = FILES[kind]
    path = _with_horizon(source, horizon, tmp_path)
    read(path)  # no error: the value is a duration or a number of days
