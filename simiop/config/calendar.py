"""The clinic's identity and calendar, and the simulation's horizon and seed."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator, model_validator

from simiop.config.base import Date, FromList, Frozen, rule_error
from simiop.config.durations import whole_days


class ClinicConfig(Frozen):
    """Who the clinic is and when it is open."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    """Clinic name, shown in reports."""

    opening_date: Date
    """Day the clinic opens: referrals start arriving and slots and groups run from this day (the first
    admission follows the first referral's intake); simulation day 0 is midnight at its start."""

    holidays: Annotated[tuple[Date, ...], FromList] = ()
    """Dates on which the clinic is closed: no groups, admissions, intake, individual, prescriber or family
    sessions; referrals still arrive."""


class SimulationConfig(Frozen):
    """How long to simulate and how to seed it."""

    horizon_days: Annotated[float, Field(gt=0, le=36_500)]
    """Length of each replication in days from opening (e.g. 1095 for three years).

    A run covers whole days: a fraction of a day is rounded up (212.9 -> 213).
    """

    warmup_days: Annotated[float, Field(ge=0, le=36_500)] = 0.0
    """Days discarded from steady-state KPIs; 0 for a clinic opening from empty."""

    seed: Annotated[int, Field(ge=0, le=2**63 - 1)]
    """Master seed; with the replication number and a stream name it fixes every random draw."""

    replications: Annotated[int, Field(ge=1, le=100_000)] = 10
    """Default number of replications (independent runs) per scenario."""

    @field_validator("horizon_days", mode="after")
    @classmethod
    def _whole_days(cls, value: float) -> float:
        """Runs cover whole days (see durations.whole_days): the resolved config says which."""
        return float(whole_days(value))

    @model_validator(mode="after")
    def _warmup_inside_horizon(self) -> SimulationConfig:
        if self.warmup_days >= self.horizon_days:
            raise rule_error(
                "warmup_days",
                "warm-up must end before the horizon",
                self.warmup_days,
                f"< horizon_days ({self.horizon_days:g})",
            )
        return self
