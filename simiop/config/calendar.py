"""The clinic's identity and calendar, and the simulation's horizon and seed."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    Discriminator,
    Field,
    SerializerFunctionWrapHandler,
    Tag,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from simiop.config.base import Date, FromList, Frozen, rule_error
from simiop.config.closures import check_calendar_code, check_subdivision
from simiop.config.durations import (
    DURATION_EXAMPLES,
    calendar_duration_days,
    fiscal_years_end,
    warmup_whole_days,
    whole_days,
)


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


MAX_HORIZON_DAYS = 36_500
"""The longest run (horizon_days' upper limit): 100 years of 365 days."""


class SimulationConfig(Frozen):
    """How long to simulate and how to seed it.

    The run's length is given in one of three ways: ``horizon_days`` (a number of days, or a duration such as
    3y), ``until`` (the last day) or ``fiscal_years`` (whole fiscal years). ``until`` and ``fiscal_years``
    are turned into ``horizon_days`` against the opening date and the fiscal year (``resolve_horizon``);
    a written-out config keeps the one given, so a changed opening date moves the end with it.
    """

    horizon_days: Annotated[float, Field(gt=0, le=MAX_HORIZON_DAYS)]
    """Length of each replication in days from opening (e.g. 1095), or a duration from opening: 3y is three
    calendar years (1,096 days across a leap day), 18m 18 twelfths of 365 days, 26w 182 days.

    A run covers whole days: a fraction of a day is rounded up (212.9 -> 213). Give it, or until, or
    fiscal_years: one of them.
    """

    until: Date | None = None
    """Last day of the run, inclusive (e.g. 2030-06-30 for a grant period ending 30 June 2030): the run
    covers opening_date to this date, both included. Instead of horizon_days or fiscal_years."""

    fiscal_years: Annotated[int, Field(ge=1, le=100)] | None = None
    """Whole fiscal years to run after opening (money.fiscal_year_start_month): 3 from a 2027-07-01 opening
    with July fiscal years runs to 2030-06-30. A clinic opening mid-year first runs out that partial fiscal
    year, which does not count (it is marked partial in projections): 3 from 2027-01-04 runs to 2030-06-30
    too. Instead of horizon_days or until."""

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

    @model_serializer(mode="wrap")
    def _given_horizon_only(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Written out as given: the day count when it was given, else until or fiscal_years (which give
        the days again when read back, from the opening date then in force); unset ways are left out."""
        data: dict[str, Any] = handler(self)
        if self.until is not None or self.fiscal_years is not None:
            data.pop("horizon_days", None)
        for name in ("until", "fiscal_years"):
            if data.get(name) is None:
                data.pop(name, None)
        return data


HORIZON_WAYS = ("horizon_days", "until", "fiscal_years")
"""The fields of ``simulation`` that end the run; one of them is given."""

PLACEHOLDER_DAYS = 36_500.0
"""horizon_days put in while until or fiscal_years cannot be read (their own error is reported): the
longest run, so that no check against the horizon (the warm-up's) adds a second, wrong problem."""

_DATE: TypeAdapter[dt.date] = TypeAdapter(Date)
_MONTH: TypeAdapter[int] = TypeAdapter(Annotated[int, Field(strict=True, ge=1, le=12)])
_YEARS: TypeAdapter[int] = TypeAdapter(Annotated[int, Field(strict=True, ge=1, le=100)])


def _problem(field: str, message: str, got: Any, allowed: str) -> PydanticCustomError:
    return PydanticCustomError(
        "references",
        "simulation horizon",
        {"problems": [(f"simulation.{field}", message, str(got), allowed)]},
    )


def _read(adapter: TypeAdapter[Any], value: Any) -> Any:
    """``value`` validated, or None when it is not valid (the field's own error reports it)."""
    try:
        return adapter.validate_python(value)
    except ValidationError:
        return None


def resolve_horizon(data: Any) -> Any:
    """The raw config with ``simulation.horizon_days`` in days, from whichever way the run's end was given.

    Called on the plain data before validation (``SimiopConfig``), because
    ``until``, ``fiscal_years`` and a duration in calendar years need the
    opening date and the fiscal year, which other sections hold. Two ways
    given at once are refused in one line naming both; a missing or unreadable
    opening date leaves the duration to the field's own checks.
    """
    if not isinstance(data, dict) or not isinstance(data.get("simulation"), dict):
        return data
    simulation = dict(data["simulation"])
    given = [name for name in HORIZON_WAYS if simulation.get(name) is not None]
    if len(given) > 1:
        first, second = given[:2]
        raise _problem(
            second,
            f"given together with simulation.{first}: the run ends one way",
            simulation[second],
            "one of horizon_days (days or a duration such as 3y), until (the last day, inclusive), "
            "fiscal_years",
        )
    for name in HORIZON_WAYS:  # null is not given: an option that chose another way has cleared it
        if name in simulation and simulation[name] is None:
            del simulation[name]
    clinic = data.get("clinic")
    opening = _read(_DATE, clinic.get("opening_date")) if isinstance(clinic, dict) else None
    horizon = simulation.get("horizon_days")
    if isinstance(horizon, str):
        try:
            simulation["horizon_days"] = (
                calendar_duration_days(horizon, opening) if opening is not None else PLACEHOLDER_DAYS
            )
        except ValueError:
            raise _problem("horizon_days", "not a duration", repr(horizon), DURATION_EXAMPLES) from None
    elif given == ["until"]:
        until = _read(_DATE, simulation["until"])
        if until is not None and opening is not None and until < opening:
            raise _problem(
                "until",
                "the run's last day (inclusive) is before clinic.opening_date",
                until.isoformat(),
                f"on or after {opening.isoformat()}",
            )
        ok = until is not None and opening is not None
        simulation["horizon_days"] = float((until - opening).days + 1) if ok else PLACEHOLDER_DAYS
        if until is not None and opening is not None and (until - opening).days >= MAX_HORIZON_DAYS:
            # said of until, not of the horizon_days it became
            last = opening + dt.timedelta(days=MAX_HORIZON_DAYS - 1)
            raise _problem(
                "until",
                f"makes a run longer than the longest ({MAX_HORIZON_DAYS:,} days from clinic.opening_date)",
                until.isoformat(),
                f"on or before {last.isoformat()}",
            )
    elif given == ["fiscal_years"]:
        years = _read(_YEARS, simulation["fiscal_years"])
        money = data.get("money")
        month = money.get("fiscal_year_start_month", 7) if isinstance(money, dict) else 7
        start_month = _read(_MONTH, month)
        if years is not None and opening is not None and start_month is not None:
            end = fiscal_years_end(opening, years, start_month)
            simulation["horizon_days"] = float((end - opening).days)
            if simulation["horizon_days"] > MAX_HORIZON_DAYS:  # say it of fiscal_years, not of horizon_days
                most = years - 1
                while (fiscal_years_end(opening, most, start_month) - opening).days > MAX_HORIZON_DAYS:
                    most -= 1
                raise _problem(
                    "fiscal_years",
                    f"runs {int(simulation['horizon_days']):,} days from clinic.opening_date, more than the "
                    f"longest run ({MAX_HORIZON_DAYS:,} days)",
                    years,
                    f"1 to {most} from this opening date and fiscal year",
                )
        else:
            simulation["horizon_days"] = PLACEHOLDER_DAYS
    return {**data, "simulation": simulation}
