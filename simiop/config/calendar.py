"""The clinic's identity and calendar, and the simulation's horizon and seed."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from simiop.config.base import Date, FromList, Frozen, rule_error
from simiop.config.closures import check_calendar_code, check_subdivision
from simiop.config.durations import warmup_whole_days, whole_days


class HolidayRule(Frozen):
    """Holidays worked out for every year of the run from a country's calendar, by the holidays package.

    For the US: the 11 federal holidays of 5 U.S.C. 6103, observed on the Friday before or the Monday after
    when they fall on a Saturday or Sunday (US Office of Personnel Management, Federal Holidays,
    https://www.opm.gov/policy-data-oversight/pay-leave/federal-holidays/).
    """

    calendar: Annotated[str, Field(min_length=2, max_length=3)]
    """Country whose public holidays close the clinic, as the holidays package names it (ISO 3166 code,
    e.g. US, CA, GB)."""

    subdivision: Annotated[str, Field(min_length=1, max_length=10)] | None = None
    """A state or province whose own public holidays close the clinic too (e.g. NY); null for the
    country's holidays only."""

    observed: bool = True
    """Close the weekday a holiday is observed on when it falls on a weekend (US: the Friday before a
    Saturday, the Monday after a Sunday). The weekend date itself stays closed, which matters only to a
    track that meets on weekends: list it under removed to open it."""

    extra: Annotated[tuple[Date, ...], FromList] = ()
    """More closures (e.g. the day after Thanksgiving, a staff training day)."""

    removed: Annotated[tuple[Date, ...], FromList] = ()
    """Dates the rule closes on which the clinic is open nonetheless."""

    @field_validator("calendar", mode="after")
    @classmethod
    def _known_calendar(cls, value: str) -> str:
        return check_calendar_code(value)

    @model_validator(mode="after")
    def _extra_or_removed(self) -> HolidayRule:
        """A date both added and removed contradicts itself (removed would silently win)."""
        extra = set(self.extra)
        for index, date in enumerate(self.removed):
            if date in extra:
                raise rule_error(
                    f"removed[{index}]",
                    "this date is also listed under extra",
                    date.isoformat(),
                    "each date under extra or removed, not both",
                )
        return self

    @model_validator(mode="after")
    def _known_subdivision(self) -> HolidayRule:
        if self.subdivision is not None:
            allowed = check_subdivision(self.calendar, self.subdivision)
            if allowed is not None:
                raise rule_error(
                    "subdivision",
                    f"no such subdivision in the {self.calendar} calendar",
                    self.subdivision,
                    allowed,
                )
        return self


def _holidays_form(value: Any) -> str:
    """A mapping is a rule; anything else is read as a list of dates (and refused there if it is not)."""
    return "form=rule" if isinstance(value, dict | HolidayRule) else "form=list"


def _list_or_rule(value: Any) -> Any:
    """Say what ``clinic.holidays`` may be before the union gives a generic error."""
    if isinstance(value, dict | list | tuple | HolidayRule):
        return value
    raise PydanticCustomError(
        "holidays_type",
        "expected a list of dates or a holiday rule",
        {
            "got": value,
            "allowed": "a list of dates YYYY-MM-DD, or a rule such as {calendar: US, observed: true}",
        },
    )


Holidays = Annotated[
    Annotated[
        Annotated[tuple[Date, ...], FromList, Tag("form=list")] | Annotated[HolidayRule, Tag("form=rule")],
        Discriminator(_holidays_form),
    ],
    BeforeValidator(_list_or_rule),
]
"""``clinic.holidays``: the dates themselves, or a rule that works them out (simiop.config.closures)."""


class ClinicConfig(Frozen):
    """Who the clinic is and when it is open."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    """Clinic name, shown in reports."""

    opening_date: Date
    """Day the clinic opens: referrals start arriving and slots and groups run from this day (the first
    admission follows the first referral's intake); simulation day 0 is midnight at its start."""

    holidays: Holidays = ()
    """Days on which the clinic is closed: no groups, admissions, intake, individual, prescriber or family
    sessions; referrals still arrive. Either a list of dates, used as written (none after its last date:
    validate warns when it stops before the run's last calendar year), or a rule such as {calendar: US,
    observed: true} that gives the holidays of every year of any horizon."""


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
