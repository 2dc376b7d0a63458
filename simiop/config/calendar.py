"""The clinic's identity and calendar, and the simulation's horizon and seed."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from simiop.config.base import Date, FromList, Frozen
from simiop.config.durations import warmup_whole_days, whole_days


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
    """Days discarded from steady-state KPIs; 0 for a clinic opening from empty.

    Whole days, like the horizon: a fraction of a day is rounded up (10.5 -> 11), and at least one whole
    day of the run must follow it.
    """

    seed: Annotated[int, Field(ge=0, le=2**63 - 1)]
    """Master seed; with the replication number and a stream name it fixes every random draw."""

    replications: Annotated[int, Field(ge=1, le=100_000)] = 10
    """Default number of replications (independent runs) per scenario."""

    @field_validator("horizon_days", mode="after")
    @classmethod
    def _whole_days(cls, value: float) -> float:
        """Runs cover whole days (see durations.whole_days): the resolved config says which."""
        return float(whole_days(value))

    @field_validator("warmup_days", mode="after")
    @classmethod
    def _warmup_whole_days(cls, value: float, info: ValidationInfo) -> float:
        """Flows (by referral time) and costs (by day) are counted from one midnight: the first after a
        part day of warm-up (see durations.warmup_whole_days); the resolved config says which.

        Checked here, before rounding, so that a refused warm-up is shown as it was given.
        """
        days = warmup_whole_days(value)
        horizon = info.data.get("horizon_days")  # absent when the horizon itself is refused
        if horizon is not None and days >= horizon:
            raise PydanticCustomError(
                "cross_field_here",
                "warm-up must end before the horizon, leaving a whole day of results; a part day of "
                "warm-up counts as a whole day",
                {"got": value, "allowed": f"<= {horizon - 1:g} for horizon_days {horizon:g}"},
            )
        return float(days)
