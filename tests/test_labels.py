"""One label per end state, and the discharge KPIs named for exactly the discharges, in their order."""

from __future__ import annotations

from simiop.model.records import DISCHARGES, END_STATES
from simiop.results.labels import DISCHARGE_KPIS, END_STATE_LABELS, end_state_kpi


def test_every_end_state_has_a_label() -> None:
    assert list(END_STATE_LABELS) == list(END_STATES)
    assert all(END_STATE_LABELS.values())


def test_discharge_kpis_follow_the_discharges() -> None:
    assert tuple(DISCHARGE_KPIS) == DISCHARGES
    assert end_state_kpi("dropout") == "end_state_dropout"
