"""The days the clinic is closed: an explicit list of dates, or a rule worked out by the holidays package.

``clinic.holidays`` is either a list of dates, used as written, or a rule such
as ``{calendar: US, observed: true}``, whose dates come from the `holidays`
package (Open World Holidays Framework) for every year of the run.
:func:`closures` is the one place that turns either form into dates: the model's
calendar (``simiop.model.calendar.ClinicCalendar.for_config``) and the config
checks that date the run's days (``simiop.config.staffing``) both go through it,
so a rule can never close a day in one and not in the other.

A rule covers the calendar years from opening to one year past the run's last
day: a holiday observed on the Friday before (New Year's Day on a Saturday is
observed on 31 December) belongs to the next year's holidays, and programme
days planned just past the horizon see the same closures as those before it.

The package is imported only when a rule is used (about 0.05 s, with the one country module a
rule needs: ``_country_class``),
and its version is recorded in every run's manifest
(``simiop.experiments.manifest``): a new federal holiday is a new release of
it, and ``simiop reproduce`` then says the versions differ.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, cast

from pydantic_core import PydanticCustomError

from simiop.config.base import LAST_DATE
from simiop.config.durations import whole_days

if TYPE_CHECKING:
    from holidays import HolidayBase

    from simiop.config.calendar import ClinicConfig, HolidayRule
    from simiop.config.model import SimiopConfig
    from simiop.config.staffing import Finding

MAX_CODES_SHOWN = 30
"""Codes listed in an "unknown country or subdivision" error before the list is cut short."""


def closures(clinic: ClinicConfig, horizon_days: float) -> frozenset[dt.date]:
    """Every date on which the clinic is closed, for a run of ``horizon_days`` from opening.

    A list gives its own dates (any year; a date outside the run closes nothing
    in it). A rule gives its calendar's holidays for the years from opening to
    one past the run's last day, plus ``extra``, less ``removed``.
    """
    from simiop.config.calendar import HolidayRule

    if not isinstance(clinic.holidays, HolidayRule):
        return frozenset(clinic.holidays)
    first, last = covered_years(clinic.opening_date, horizon_days)
    return _rule_closures(clinic.holidays, first, last)


def covered_years(opening: dt.date, horizon_days: float) -> tuple[int, int]:
    """The calendar years a rule is worked out for: opening's to one past the run's last day's."""
    last_day = last_run_day(opening, horizon_days)
    return opening.year, min(last_day.year + 1, LAST_DATE.year)


def last_run_day(opening: dt.date, horizon_days: float) -> dt.date:
    """The date of the run's last day (opening + whole days - 1), never past the last supported date."""
    return min(opening + dt.timedelta(days=whole_days(horizon_days) - 1), LAST_DATE)


@functools.lru_cache(maxsize=32)
def _rule_closures(rule: HolidayRule, first_year: int, last_year: int) -> frozenset[dt.date]:
    """A rule's dates over ``first_year``..``last_year``; cached, since every replication asks again (and
    validate's checks and warnings ask first)."""
    dates = set(rule_holidays(rule, first_year, last_year)) | set(rule.extra)
    return frozenset(dates - set(rule.removed))


@functools.lru_cache(maxsize=32)
def rule_holidays(rule: HolidayRule, first_year: int, last_year: int) -> frozenset[dt.date]:
    """The dates the rule's calendar closes in those years, before ``extra`` and ``removed``.

    With ``observed``, the package keeps the actual date of a holiday and adds
    the weekday it is observed on when the actual date is a weekend (Juneteenth
    2027: Saturday 19 June and Friday 18 June): both are closures.
    """
    calendar = _country_holidays(
        rule.calendar, rule.subdivision, range(first_year, last_year + 1), rule.observed
    )
    return frozenset(calendar.keys())


def _country_holidays(code: str, subdivision: str | None, years: range, observed: bool) -> HolidayBase:
    """``holidays.country_holidays(code, subdiv=..., years=..., observed=...)``, with the country's one module
    loaded (``_country_class``) instead of all of them.

    Raises NotImplementedError, as the package does, for a code it does not
    know or a subdivision the country does not have.
    """
    import holidays

    entity = _country_class(code)
    if entity is None:  # not a country code of the registry: the package's own look-up (and its error)
        return holidays.country_holidays(code, subdiv=subdivision, years=years, observed=observed)
    return entity(years=years, subdiv=subdivision, observed=observed)


@functools.lru_cache(maxsize=8)
def _country_class(code: str) -> type[HolidayBase] | None:
    """The holidays package's class for a country ``code`` (any of its registry names), its one module
    loaded; None if the registry has no country of that name.

    Why not ``holidays.country_holidays``: its look-up imports the country's
    module ``holidays.countries.<name>``, and so that package's ``__init__``,
    which imports every country module the package has (about 250). For one
    country's calendar that was 0.2 s of every simiop process that reads a
    config with a holiday rule (measured with holidays 0.109: 0.2 s against
    0.005 s for the one module), more than a one-week run's simulation.
    So the country's module file is loaded on its own, under its own name,
    when its package is not imported yet (most modules import only the
    package's base classes); if it is, or the module imports a sibling (a
    territory's imports its country's: American Samoa's the United
    States'), or the file is not where this package version keeps it, the
    package's own import is used. The class is the package's own, so the
    dates are the same (tests/test_calendar.py compares them with
    ``country_holidays``).
    """
    import importlib
    import importlib.util
    import sys
    from pathlib import Path

    import holidays
    from holidays.registry import COUNTRIES

    module = next((module for module, names in COUNTRIES.items() if code in names), None)
    if module is None:
        return None
    name = f"holidays.countries.{module}"
    path = Path(holidays.__file__).parent / "countries" / f"{module}.py"
    with _LOADING:  # threads (a Dask worker's) load a module once
        loaded = sys.modules.get(name)
        if loaded is None and ("holidays.countries" in sys.modules or not path.is_file()):
            loaded = importlib.import_module(name)
        if loaded is None:
            spec = importlib.util.spec_from_file_location(name, path)
            if spec is None or spec.loader is None:  # not laid out as expected: the package's own import
                return cast("type[HolidayBase]", getattr(holidays, code))
            loaded = importlib.util.module_from_spec(spec)
            sys.modules[name] = loaded
            try:
                spec.loader.exec_module(loaded)
            except ImportError:  # it imports a sibling (a territory its country): the package's import
                del sys.modules[name]
                loaded = importlib.import_module(name)
            except BaseException:
                del sys.modules[name]
                raise
    return cast("type[HolidayBase]", getattr(loaded, code))


_LOADING = threading.Lock()
"""Held while ``_country_class`` loads a country module."""


# -- checks of a rule, used by the config model ---------------------------------------------------


def check_calendar_code(code: str) -> str:
    """``code`` if the holidays package has a calendar for it, else one error listing the known codes."""
    try:
        _country_holidays(code, None, range(0), True)
    except NotImplementedError:
        raise PydanticCustomError(
            "holiday_calendar",
            "no holiday calendar for this country code" + _case_hint(code, _country_codes()),
            {"got": code, "allowed": _codes_text(_country_codes())},
        ) from None
    return code


def check_subdivision(code: str, subdivision: str) -> str | None:
    """None if the country's calendar has ``subdivision``, else the allowed codes for an error."""
    try:
        _country_holidays(code, subdivision, range(0), True)
    except NotImplementedError:
        return _codes_text(_subdivisions(code))
    return None


def _case_hint(code: str, known: Sequence[str]) -> str:
    return f"; did you mean {code.upper()!r}?" if code != code.upper() and code.upper() in known else ""


def _codes_text(codes: Sequence[str]) -> str:
    """Codes as a list, cut to MAX_CODES_SHOWN with the total said (there are some 250 countries)."""
    if not codes:
        return "none (this country's calendar has no subdivisions)"
    if len(codes) <= MAX_CODES_SHOWN:
        return ", ".join(codes)
    return f"{', '.join(codes[:MAX_CODES_SHOWN])}, ... ({len(codes)} codes in all)"


def _country_codes() -> list[str]:
    import holidays

    return sorted(holidays.list_supported_countries(include_aliases=False))


def _subdivisions(code: str) -> list[str]:
    import holidays

    found: list[str] = holidays.list_supported_countries().get(code, [])
    return sorted(found)


# -- warnings ----------------------------------------------------------------------------------


def holiday_warnings(config: SimiopConfig) -> Iterator[Finding]:
    """Holidays that are legal but probably not what was meant.

    - a list that stops before the run ends (no date in the calendar year of
      the run's last day, which also catches a last date more than a year
      before it): the clinic is open on every holiday after it;
    - a rule's ``removed`` date that the rule does not close in the years it
      covers, so removing it changes nothing (a typo, or the wrong year);
    - listed dates (the list's, or a rule's ``extra``) before opening or after
      the run's last day: they close nothing in this run (a wrong year, or a
      horizon shorter than meant). One line for each side, naming the dates.
    """
    from simiop.config.calendar import HolidayRule

    clinic = config.clinic
    horizon = config.simulation.horizon_days
    last_day = last_run_day(clinic.opening_date, horizon)
    listed = clinic.holidays.extra if isinstance(clinic.holidays, HolidayRule) else clinic.holidays
    path = "clinic.holidays.extra" if isinstance(clinic.holidays, HolidayRule) else "clinic.holidays"
    yield from _outside_run(path, listed, clinic.opening_date, last_day)
    if isinstance(clinic.holidays, HolidayRule):
        rule = clinic.holidays
        produced = rule_holidays(rule, *covered_years(clinic.opening_date, horizon))
        for index, date in enumerate(rule.removed):
            if date not in produced:
                yield (
                    f"clinic.holidays.removed[{index}]",
                    f"the {rule.calendar} calendar does not close this date, so removing it changes nothing",
                    date.isoformat(),
                    None,
                )
        return
    if not clinic.holidays:
        return  # no holidays at all is a choice, not a list that ran out
    stops = max(clinic.holidays)
    # The run's last calendar year has none: this also catches a last date more than a year before the end.
    if stops.year < last_day.year:
        yield (
            "clinic.holidays",
            f"the list stops at {stops.isoformat()} but the run goes on to {last_day.isoformat()}: "
            "no holidays after it",
            f"a list of {len(clinic.holidays)} dates",
            f"dates through {last_day.year}, or a rule such as {{calendar: US, observed: true}}",
        )


_SHOWN_DATES = 3
"""Dates named in a warning about dates outside the run, before "and N more"."""


def _outside_run(
    path: str, dates: Iterable[dt.date], opening: dt.date, last_day: dt.date
) -> Iterator[Finding]:
    """A warning for the listed dates before opening, and one for those after the run's last day."""
    before = sorted(date for date in dates if date < opening)
    after = sorted(date for date in dates if date > last_day)
    for found, where in (
        (before, f"before opening_date {opening}"),
        (after, f"after the run's last day {last_day}"),
    ):
        if found:
            shown = ", ".join(date.isoformat() for date in found[:_SHOWN_DATES])
            more = f" and {len(found) - _SHOWN_DATES} more" if len(found) > _SHOWN_DATES else ""
            yield (
                path,
                f"{len(found)} date(s) {where} close nothing in this run",
                shown + more,
                f"dates from {opening} to {last_day}, or a longer run",
            )
