"""Records read together with their bill, row by row, for tests that check single days and episodes.

Billing works on columns (simiop/billing.py); these tests state their
expectations per day and per episode, so each recorded row is paired with
its bill here, the bill's fields first.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from simiop.billing import BilledRun, bill
from simiop.config import SimiopConfig
from simiop.model.records import Records


class Joined:
    """A recorded row with its bill: an attribute of the bill if it has one, else of the row."""

    def __init__(self, recorded: object, billed: dict[str, Any]) -> None:
        self._recorded = recorded
        self._billed = billed

    def __getattr__(self, name: str) -> Any:
        billed = self.__dict__.get("_billed", {})
        if name in billed:
            return billed[name]
        return getattr(self.__dict__["_recorded"], name)

    def __repr__(self) -> str:
        return f"Joined({self._recorded!r}, {self._billed!r})"


@dataclass(frozen=True)
class Billed:
    """A billed run, and its patient-days and episodes each joined with their bill."""

    run: BilledRun
    patient_days: list[Joined]
    episodes: list[Joined]


def billed_records(config: SimiopConfig, records: Records) -> Billed:
    run = bill(config, records)
    days = [
        Joined(row, dataclasses.asdict(day))
        for row, day in zip(records.patient_days, run.days.rows(), strict=True)
    ]
    totals = run.episodes
    episodes = [
        Joined(episode, {"billable_days": days_billed, "charges_usd": charges, "revenue_usd": revenue})
        for episode, days_billed, charges, revenue in zip(
            records.episodes,
            totals.billable_days.tolist(),
            totals.charges_usd.tolist(),
            totals.revenue_usd.tolist(),
            strict=True,
        )
    ]
    return Billed(run, days, episodes)
