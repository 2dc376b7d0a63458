"""A simulated replication's episodes.csv in the extract format, so simiop can calibrate on itself.

Days since opening become dates (the day the time falls in); the simulator's patient numbers become
pseudonyms ``P00001``; an episode that ended as one of the end states before admission has no admission;
programme days scheduled are at least those attended (episodes.csv counts a day under way at a discharge
as attended but not yet held; see docs/outputs.md).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from simiop.calibrate.bookings import NAMES as BOOKING_NAMES
from simiop.calibrate.extract import NAMES, DischargeType, write_csv_rows
from simiop.jsonfile import read_json

ENDINGS: tuple[DischargeType, ...] = ("completed", "dropout", "step_up", "administrative", "no_start")


class NotAResultError(Exception):
    """The folder is not a simiop result folder with episodes.csv; one line saying what is missing."""


def _date(opening: dt.date, day: str) -> str:
    return "" if not day else (opening + dt.timedelta(days=int(float(day)))).isoformat()


def extract_rows(episodes_csv: Path, opening: dt.date) -> list[dict[str, str]]:
    """The extract rows of one replication's episodes.csv."""
    with episodes_csv.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    result = []
    for row in rows:
        admitted = bool(row["admitted_day"])
        ended = admitted and row["end_state"] in ENDINGS
        attended = row["programme_days_attended"] if admitted else ""
        scheduled = str(max(int(row["programme_days"]), int(attended))) if admitted and attended else ""
        result.append(
            {
                "patient_id": f"P{int(row['patient_id']):05d}",
                "referral_date": row["referred_date"],
                "referral_source": row["source"],
                "payer": row["payer"],
                "assessment_date": _date(opening, row["assessed_day"]),
                "assessment_outcome": row["intake_outcome"] if row["assessed_day"] else "",
                "admission_date": row["admitted_date"] if admitted else "",
                "track": row["track"] if admitted else "",
                "discharge_date": _date(opening, row["ended_day"]) if ended else "",
                "discharge_type": row["end_state"] if ended else "",
                "programme_days_scheduled": scheduled,
                "programme_days_attended": attended,
            }
        )
    return result


def _when(opening: dt.date, day: str) -> str:
    """Days since opening as a date-time to the minute (the booking times of bookings.csv)."""
    moment = dt.datetime.combine(opening, dt.time()) + dt.timedelta(days=float(day))
    return (moment + dt.timedelta(seconds=30)).replace(second=0, microsecond=0).isoformat(timespec="minutes")


def bookings_rows(bookings_csv: Path, episodes_csv: Path, opening: dt.date) -> list[dict[str, str]]:
    """The bookings-file rows of one replication's bookings.csv, with the extract's pseudonyms."""
    with episodes_csv.open(newline="", encoding="utf-8") as handle:
        patients = {row["episode_id"]: int(row["patient_id"]) for row in csv.DictReader(handle)}
    with bookings_csv.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [
        {
            "patient_id": f"P{patients[row['episode_id']]:05d}",
            "booked": _when(opening, row["booked_day"]),
            "slot": _when(opening, row["slot_day"]),
            "attended": "yes" if row["showed"] == "1" else "no",
        }
        for row in rows
    ]


def run_config(out: Path, scenario: str | None = None) -> dict[str, object]:
    """The resolved config of a scenario (default the first) of a `simiop run` or `simiop experiment`
    result folder, from its manifest. NotAResultError, one line, for any other folder."""
    manifest = out / "manifest.json"
    if not manifest.is_file():
        raise NotAResultError(f"{out}: no manifest.json (DIR is a result folder of `simiop run`)")
    try:
        scenarios = read_json(manifest)["plan"]["scenarios"]
        configs = {str(s["name"]): s["config"] for s in scenarios}
    except (ValueError, KeyError, TypeError):
        raise NotAResultError(
            f"{out}: not a result folder of `simiop run` or `simiop experiment` (its manifest.json has no "
            "scenarios)"
        ) from None
    name = scenario if scenario is not None else next(iter(configs))
    if name not in configs:
        raise NotAResultError(f"--scenario {name!r}: not a scenario of {out} (allowed: {', '.join(configs)})")
    config: dict[str, object] = configs[name]
    return config


def export_extract(
    out: Path, target: Path, scenario: str = "base", replication: int = 0, bookings: Path | None = None
) -> tuple[int, dt.date]:
    """Write replication ``replication`` of ``scenario`` in result folder ``out`` as an extract at ``target``
    (and, with ``bookings``, its intake bookings there: simiop.calibrate.bookings).

    Returns (rows, the as-of date: the last simulated day). NotAResultError when the folder lacks it
    (bookings.csv: a run with --tables ...,bookings).
    """
    config = run_config(out, scenario)
    clinic = config["clinic"]
    simulation = config["simulation"]
    assert isinstance(clinic, dict)
    assert isinstance(simulation, dict)
    opening = dt.date.fromisoformat(str(clinic["opening_date"]))
    episodes = out / "scenarios" / scenario / f"r{replication:04d}" / "episodes.csv"
    if not episodes.is_file():
        raise NotAResultError(
            f"{episodes}: not found (run with --tables episodes or all, and name a scenario and replication "
            "that ran)"
        )
    booked = episodes.with_name("bookings.csv")
    if bookings is not None and not booked.is_file():
        raise NotAResultError(
            f"{booked}: not found (run with --tables episodes,bookings to keep the intake bookings)"
        )
    rows = extract_rows(episodes, opening)
    if bookings is not None:
        write_csv_rows(bookings, BOOKING_NAMES, bookings_rows(booked, episodes, opening))
    write_csv_rows(target, NAMES, rows)
    horizon = int(float(simulation["horizon_days"]))
    return len(rows), opening + dt.timedelta(days=horizon - 1)
