"""The output tables of a run (episodes.csv, daily.csv, staff.csv, kpis.csv), rendered as CSV text.

Rendering is separate from writing so the same bytes can be checksummed,
compared and written atomically. Numbers have fixed formats, so the same
records always give byte-identical files.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import fields
from operator import attrgetter

from simiop.model.calendar import ClinicCalendar
from simiop.model.records import CENSORED, Episode, Records

EPISODE_COLUMNS: dict[str, str] = {
    "episode_id": "row id; one per referral",
    "patient_id": "person; readmissions share it",
    "source": "referral source name, or 'readmission'",
    "source_kind": "step_down, step_up, community or emergency_department",
    "track_preference": "day, evening or either",
    "payer": "payer name",
    "acuity": "acuity class",
    "readmission_of": "episode_id of the earlier episode, if a readmission",
    "referred_day": "days since opening",
    "referred_date": "calendar date of the referral",
    "intake_bookings": "assessment bookings made (1 + rebookings)",
    "assessed_day": "days since opening; empty if never assessed",
    "intake_outcome": "admit, redirect_step_up, redirect_outpatient or decline",
    "track": "track joined",
    "wait_list_day": "days since opening the patient joined the wait list",
    "admitted_day": "days since opening of admission",
    "admitted_date": "calendar date of admission",
    "ended_day": "days since opening the episode ended; empty if censored",
    "end_state": "how the episode ended (censored_* = still waiting or in the programme at the horizon)",
    "censored": "1 if the horizon came before the episode ended",
    "therapist": "primary therapist (person id)",
    "group": "group index within the track",
    "programme_days": "programme days held while enrolled (attended or missed)",
    "programme_days_attended": "programme days attended",
    "group_sessions_attended": "group sessions (services) attended",
    "individual_sessions": "individual therapy sessions",
    "prescriber_visits": "prescriber visits",
    "family_sessions": "family sessions",
    "service_hours": "hours of services received",
    "authorization_reviews": "payer concurrent reviews held (money.payers.<payer>.authorization)",
    "authorization_denied": "1 if a concurrent review was denied",
    "billable_days": "attended days whose per diem is billable under the payer's rules",
    "charges_usd": "per diems and professional fees billed for the episode (allowed amounts, USD)",
    "revenue_usd": "revenue earned for the episode: the payer's part and the collected patient share, "
    "whenever paid (USD)",
    "wait_referral_to_assessment_days": "days from referral to assessment",
    "wait_assessment_to_admission_days": "days from assessment to admission",
    "length_of_stay_days": "days from admission to discharge (discharged episodes)",
}


def _number(value: float | None, places: int = 4) -> str:
    return "" if value is None else f"{value:.{places}f}"


DAY_PLACES = 4
_DAY_SCALE = 10**DAY_PLACES


def day_number(value: float | None) -> str:
    """A time in days since opening, truncated (never rounded) to 4 decimals; '' for None.

    Rounding printed 508.99997 as 509.0000 beside the date of day 508, and an
    event just before the horizon as the horizon. The whole part is printed
    as the integer floor and the fraction is truncated, so the printed day is
    always the day of the printed date, and never reaches the next day.
    """
    if value is None:
        return ""
    day = math.floor(value)
    fraction = math.floor((value - day) * _DAY_SCALE)  # value - day is exact in floating point
    return f"{day}.{min(fraction, _DAY_SCALE - 1):0{DAY_PLACES}d}"


def _difference(later: float | None, earlier: float | None) -> float | None:
    return None if later is None or earlier is None else later - earlier


def episode_rows(records: Records, dates: Sequence[str]) -> Iterable[list[object]]:
    for e in records.episodes:
        censored = e.end_state in CENSORED
        yield [
            e.episode_id,
            e.patient_id,
            e.source,
            e.source_kind,
            e.track_preference,
            e.payer,
            e.acuity,
            "" if e.readmission_of is None else e.readmission_of,
            day_number(e.referred_day),
            dates[int(e.referred_day)],
            e.intake_bookings,
            day_number(e.assessed_day),
            e.intake_outcome or "",
            e.track or "",
            day_number(e.wait_list_day),
            day_number(e.admitted_day),
            "" if e.admitted_day is None else dates[int(e.admitted_day)],
            "" if censored else day_number(e.ended_day),
            e.end_state,
            int(censored),
            e.therapist or "",
            "" if e.group is None else e.group,
            e.programme_days,
            e.programme_days_attended,
            e.group_sessions_attended,
            e.individual_sessions,
            e.prescriber_visits,
            e.family_sessions,
            _number(e.service_hours),
            e.authorization_reviews,
            int(e.authorization_denied),
            e.billable_days,
            _number(e.charges_usd, 2),
            _number(e.revenue_usd, 2),
            _number(_difference(e.assessed_day, e.referred_day)),
            _number(_difference(e.admitted_day, e.assessed_day)),
            _number(None if censored else _difference(e.ended_day, e.admitted_day)),
        ]


def _dataclass_rows(rows: Sequence[object], dates: Sequence[str]) -> tuple[list[str], list[list[object]]]:
    """Header and rows of records whose first field is the day; floats with 4 decimals.

    Only fields annotated float are formatted (mypy keeps floats out of the
    others), and there the type is tested per value: a float field can hold an
    int (a sum over nobody is 0), written as it was before.
    """
    if not rows:
        return [], []
    columns = fields(rows[0])  # type: ignore[arg-type]
    names = [f.name for f in columns]
    floats = [index + 1 for index, f in enumerate(columns) if f.type in (float, "float")]
    values_of = attrgetter(*names)
    body = []
    for row in rows:
        values = values_of(row)
        line: list[object] = [dates[values[0]], *values]
        for index in floats:
            value = line[index]
            if type(value) is float:
                line[index] = f"{value:.4f}"
        body.append(line)
    return ["date", *names], body


def iso_dates(calendar: ClinicCalendar) -> list[str]:
    """The calendar date of every day of the run (and the day after), formatted once for all rows."""
    return [calendar.date_of(day).isoformat() for day in range(calendar.days + 1)]


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def render_tables(
    records: Records,
    calendar: ClinicCalendar,
    kpis: dict[str, float],
    tables: Collection[str] = ("episodes", "daily", "staff"),
) -> dict[str, str]:
    """File name -> CSV text of kpis.csv and of each table named in ``tables`` (episodes, daily, staff).

    Tables not asked for are not rendered at all: large sweeps often keep only the KPIs.
    """
    rendered: dict[str, str] = {}
    dates = iso_dates(calendar) if tables else []
    if "episodes" in tables:
        rendered["episodes.csv"] = to_csv(list(EPISODE_COLUMNS), episode_rows(records, dates))
    if "daily" in tables:
        rendered["daily.csv"] = to_csv(*_dataclass_rows(records.track_days, dates))
    if "staff" in tables:
        rendered["staff.csv"] = to_csv(*_dataclass_rows(records.staff_days, dates))
    rendered["kpis.csv"] = to_csv(
        ["replication", "kpi", "value"],
        ([records.replication, name, f"{value:.10g}"] for name, value in kpis.items()),
    )
    return rendered


__all__ = ["EPISODE_COLUMNS", "Episode", "render_tables", "to_csv"]
