"""Building blocks shared by every config section.

Every config object is frozen (a run can never change its own inputs), strict
(YAML ``"3"`` is not silently the number 3, ``true`` is not 1), refuses unknown
keys (a typo must never silently change a result) and refuses NaN/inf.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError


class Frozen(BaseModel):
    """Base of every config object: immutable, strict, no unknown keys, finite numbers."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        allow_inf_nan=False,
        validate_default=True,
        defer_build=True,
    )
    # defer_build: a model's validator is made when first used, not as its class is made. A config is
    # validated from the top (SimiopConfig), whose validator holds every section's schema, so most of
    # the sections' own validators are never needed (measured in issue 17: 10-12 ms of every process).
    # The fields' descriptions (their docstrings) are read only for a schema: see descriptions.py.

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Pydantic's JSON Schema, with every field's docstring as its description."""
        from simiop.config.descriptions import describe_fields

        describe_fields(Frozen)
        return super().model_json_schema(*args, **kwargs)


def _list_as_tuple(value: Any) -> Any:
    """YAML sequences arrive as lists, but strict mode accepts only tuples for tuple fields.

    Only lists are converted, so strictness is otherwise kept (a string or a
    set is still refused rather than split or put in arbitrary order).
    """
    return tuple(value) if isinstance(value, list) else value


FromList = BeforeValidator(_list_as_tuple)
"""Put on every tuple field: ``Annotated[tuple[X, ...], FromList]`` reads a YAML list."""


def rule_error(field: str, message: str, got: object, allowed: str) -> PydanticCustomError:
    """A cross-field rule violation that names the offending field.

    Model validators only know the location of the model; ``field`` lets the
    error formatter append the field name so the message points at one line
    of the YAML file.
    """
    return PydanticCustomError(
        "cross_field",
        message,
        {"field": field, "got": got, "allowed": allowed},
    )


Rule = tuple[str, str, object, str]
"""(field, what is wrong, the value, what is allowed): one broken cross-field rule, for rule_errors."""


def rule_errors(rules: list[Rule]) -> PydanticCustomError:
    """Several cross-field rule violations of one model at once, each naming its field.

    A model validator that checks a list (every intake slot, every payer) or
    several independent rules reports them all, so a user fixes a file in one
    pass instead of fixing one problem, rerunning and meeting the next.
    """
    return PydanticCustomError("cross_fields", "config rules broken", {"rules": rules})


def at_most(value: float, digits: int = 6) -> str:
    """``value`` in at most ``digits`` significant digits, rounded down if need be, for an "allowed <= ..."
    text: the number shown must itself be allowed (1/60 h is shown 0.0166666, not a refused 0.0166667)."""
    return _rounded(value, digits, ROUND_FLOOR)


def at_least(value: float, digits: int = 6) -> str:
    """``value`` in at most ``digits`` significant digits, rounded up if need be, for "allowed >= ..."."""
    return _rounded(value, digits, ROUND_CEILING)


def exact(value: float) -> str:
    """A bound copied from another field, shown so that typing it back gives that very number."""
    text = f"{value:g}"
    return text if float(text) == value else repr(value)


def _rounded(value: float, digits: int, rounding: str) -> str:
    text = f"{value:.{digits}g}"
    if float(text) == value or value == 0 or not math.isfinite(value):
        return text
    exact = Decimal(value)
    step = Decimal(1).scaleb(exact.adjusted() - digits + 1)
    return f"{float(exact.quantize(step, rounding=rounding)):.{digits}g}"


Probability = Annotated[float, Field(ge=0.0, le=1.0)]
"""A probability or share, 0 to 1 inclusive."""

PositiveFloat = Annotated[float, Field(gt=0.0)]
NonNegativeFloat = Annotated[float, Field(ge=0.0)]

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _date_text_only(value: Any) -> Any:
    """Lax date parsing would read a number as Unix time (0 -> 1970-01-01); only text or a date is a date."""
    if isinstance(value, str | dt.date):
        return value
    raise PydanticCustomError("date_type", "not a valid date", {"got": value, "allowed": "a date YYYY-MM-DD"})


FIRST_DATE = dt.date(1900, 1, 1)
LAST_DATE = dt.date(2199, 12, 31)
"""Every config date, and the last day of every run, lies in FIRST_DATE..LAST_DATE.

Far wider than any clinic plan, yet narrow enough that every date simiop
derives from a config date (the last day of a 100-year horizon, fiscal-year
and quarter labels, months before opening) is a valid Python date: year 1
or 9999 would crash a run long after ``validate`` said ok.
"""

DATE_RANGE = f"{FIRST_DATE.isoformat()} to {LAST_DATE.isoformat()}"


def _date_in_range(value: dt.date) -> dt.date:
    if not FIRST_DATE <= value <= LAST_DATE:
        raise PydanticCustomError("date_range", "date out of range", {"got": value, "allowed": DATE_RANGE})
    return value


Date = Annotated[
    dt.date, Field(strict=False), BeforeValidator(_date_text_only), AfterValidator(_date_in_range)
]
"""An ISO date (YYYY-MM-DD) from 1900-01-01 to 2199-12-31; strings are accepted so that quoted dates and
--set work."""


HORIZON_MAX_DAYS = 36_500
"""The longest run an experiment, optimisation or sensitivity file may ask for: 100 years of days."""


def _horizon(value: object) -> str | float:
    """A duration (``3y``, ``26w``) or a number of days above 0, checked here so that a bad value is one
    problem: pydantic's own check of ``str | float`` reports each member of the union."""
    from simiop.config.durations import DURATION_EXAMPLES, duration_days

    if isinstance(value, str):
        try:
            duration_days(value)
        except ValueError:
            raise PydanticCustomError(
                "horizon", "not a duration", {"got": value, "allowed": DURATION_EXAMPLES}
            ) from None
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not (math.isfinite(value) and 0 < value <= HORIZON_MAX_DAYS):
            allowed = f"a duration ({DURATION_EXAMPLES}) above 0 and at most {HORIZON_MAX_DAYS:,} days"
            raise PydanticCustomError("horizon", "out of range", {"got": value, "allowed": allowed})
        return float(value)
    raise PydanticCustomError("horizon", "wrong type", {"got": value, "allowed": DURATION_EXAMPLES})


Horizon = Annotated[str | float, BeforeValidator(_horizon)]
"""How long a run lasts from opening: a duration (3y, 18m, 26w, 90d) or a number of days."""


def _parse_time_of_day(value: str) -> str:
    parts = value.split(":")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise PydanticCustomError(
            "time_of_day", "not a time of day", {"got": value, "allowed": '"HH:MM", 24-hour clock'}
        )
    hours, minutes = int(parts[0]), int(parts[1])
    if not (0 <= hours <= 23 and 0 <= minutes <= 59):
        raise PydanticCustomError(
            "time_of_day", "not a time of day", {"got": value, "allowed": "00:00 to 23:59"}
        )
    return f"{hours:02d}:{minutes:02d}"


TimeOfDay = Annotated[str, AfterValidator(_parse_time_of_day)]
"""A clock time "HH:MM" (24-hour), kept as text so the config round-trips unchanged."""


def _parse_clock_end(value: str) -> str:
    """Like a time of day, but "24:00" (midnight at the end of the day) is allowed too."""
    if value == "24:00":
        return value
    try:
        return _parse_time_of_day(value)
    except PydanticCustomError as error:
        context = dict(error.context or {})
        if context.get("allowed") == "00:00 to 23:59":  # a well-formed time out of range
            context["allowed"] = "00:00 to 24:00"
        raise PydanticCustomError(error.type, error.message_template, context) from None


ClockEnd = Annotated[str, AfterValidator(_parse_clock_end)]
"""The end of a clock window "HH:MM" (24-hour), where "24:00" is midnight at the end of the same day."""


def minutes_of(time_of_day: str) -> float:
    """Minutes after midnight of an "HH:MM" string already validated by TimeOfDay or ClockEnd."""
    hours, minutes = time_of_day.split(":")
    return int(hours) * 60.0 + int(minutes)


def hours_of(time_of_day: str) -> float:
    """Hours after midnight of an "HH:MM" string already validated by TimeOfDay."""
    hours, minutes = time_of_day.split(":")
    return int(hours) + int(minutes) / 60.0


def unique_weekdays(days: tuple[Weekday, ...]) -> tuple[Weekday, ...]:
    """Reject repeated weekdays; return them in calendar order for stable output."""
    if len(set(days)) != len(days):
        raise PydanticCustomError(
            "weekdays", "weekday listed twice", {"got": list(days), "allowed": "each weekday once"}
        )
    return tuple(sorted(days, key=WEEKDAYS.index))


Weekdays = Annotated[tuple[Weekday, ...], Field(min_length=1), FromList, AfterValidator(unique_weekdays)]


def shares_sum_to_one(shares: dict[str, float]) -> dict[str, float]:
    """Shares of a whole (a mix) must add to 1, within float rounding."""
    total = math.fsum(shares.values())
    if abs(total - 1.0) > 1e-9:
        raise PydanticCustomError(
            "shares_sum",
            "shares must add up to 1",
            {"got": f"sum {total:.6g}", "allowed": "sum 1"},
        )
    return shares


Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
"""A key chosen by the user (a track, source, role, payer, acuity class).

Lower-case letters, digits and underscores only, so it can appear in
``--set tracks.<name>.groups=3`` paths and in CSV column names unchanged.
"""
