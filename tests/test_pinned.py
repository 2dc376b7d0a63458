"""Optimisations must not change results: the baseline's outputs against pins committed before them.

See tests/pinned.py for what is pinned and how to regenerate the pins when
the model changes on purpose.
"""

from __future__ import annotations

import json

from tests.pinned import PINS, compute


def test_outputs_equal_the_pins() -> None:
    pinned = json.loads(PINS.read_text(encoding="utf-8"))
    now = compute()
    assert now["seed"] == pinned["seed"]
    cells = sorted(key for key in now if isinstance(now[key], dict))
    assert cells == sorted(key for key in pinned if isinstance(pinned[key], dict)), "pinned cells differ"
    for key in cells:
        changed = {
            kpi: (pinned[key]["kpis"].get(kpi), value)
            for kpi, value in now[key]["kpis"].items()
            if pinned[key]["kpis"].get(kpi) != value
        }
        assert not changed, f"{key}: KPIs changed (pinned, now): {changed}; see tests/pinned.py"
        assert set(now[key]["kpis"]) == set(pinned[key]["kpis"])
        assert now[key]["sha256"] == pinned[key]["sha256"], (
            f"{key}: per-replication files changed; if on purpose, run `python -m tests.pinned` and say why"
        )
