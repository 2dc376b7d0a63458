"""The intake bookings a clinic's scheduling system exports, for fitting the show-rate curve.

One row per intake booking (an appointment for the assessment): the extract's pseudonymous patient id,
when the booking was made, when its slot was, and whether the patient came (``COLUMNS``;
docs/calibrate.md shows the format). Times are ISO dates or date-times (``2027-03-01`` or
``2027-03-01T10:30``); the days waited, the x of ``intake.show_rate_by_days_waited``, are the time from the
booking to the slot in days (whole days when only dates are given). A booking belongs to the patient's
episode with the latest referral on or before the day it was made; the checks (one line per problem,
naming the row and column, never the patient id) are that every patient is in the extract, that a slot
comes after its booking, that each episode has at most one attended booking and that it is on the
episode's assessment date, and that nothing is later than the extract's as-of date.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from simiop.calibrate.extract import (
    MAX_PROBLEMS,
    Column,
    Episode,
    Extract,
    ExtractError,
    header_problem,
    read_csv_rows,
    shown,
    without_empty_columns,
)

COLUMNS: tuple[Column, ...] = (
    Column("patient_id", True, "the extract's pseudonymous person id; never written out"),
    Column("booked", True, "when the booking was made: YYYY-MM-DD or YYYY-MM-DDTHH:MM"),
    Column("slot", True, "when the assessment slot booked was: YYYY-MM-DD or YYYY-MM-DDTHH:MM"),
    Column("attended", True, "yes or no; empty only for a slot after the as-of date (not yet held)"),
)
NAMES = tuple(column.name for column in COLUMNS)
ATTENDED = {"yes": True, "no": False}


@dataclass(frozen=True)
class Booking:
    """One checked row of the bookings file."""

    row: int
    booked: dt.datetime
    slot: dt.datetime
    attended: bool | None
    """None: the slot is after the as-of date (not yet held; left out of the fit)."""

    @property
    def days_waited(self) -> float:
        """Days from the booking to its slot (the simulator's ``now - booked_on`` at the slot)."""
        return (self.slot - self.booked).total_seconds() / 86400.0


def read_bookings(path: Path, extract: Extract) -> Extract:
    """The extract with each episode's bookings attached (``Episode.bookings``), from the file at ``path``.

    Raises ExtractError listing every problem, one line each naming the row (the header is row 1) and the
    column; a patient id is never shown.
    """
    return attach(str(path), read_csv_rows(path, "a bookings file"), extract)


def _when(text: str) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return value.replace(tzinfo=None) if value.tzinfo is None else None


def attach(source: str, rows: Sequence[Sequence[str]], extract: Extract) -> Extract:
    """Check the rows of a bookings file (the first one the header) and attach them; see ``read_bookings``."""
    if not rows:
        raise ExtractError([f"{source}: the file is empty (allowed: a header row with {', '.join(NAMES)})"])
    not_header = header_problem(source, rows[0], NAMES)
    if not_header is not None:
        raise ExtractError([not_header])
    rows = without_empty_columns(source, rows)
    header = [name.strip() for name in rows[0]]
    problems = [
        f"{source}: row 1, column {name!r}: unknown column (allowed: {', '.join(NAMES)})"
        for name in header
        if name not in NAMES
    ]
    problems += [
        f"{source}: row 1: required column {name!r} is missing" for name in NAMES if name not in header
    ]
    problems += [
        f"{source}: row 1, column {name!r}: appears twice"
        for name in sorted(set(header))
        if header.count(name) > 1
    ]
    if problems:
        raise ExtractError(problems)
    by_patient: dict[str, list[Episode]] = {}
    for episode in extract.episodes:
        by_patient.setdefault(episode.patient, []).append(episode)
    for own in by_patient.values():
        own.sort(key=lambda e: (e.referred, e.row))
    found: dict[int, list[Booking]] = {}
    """Per extract row: its episode's bookings."""
    attended_at: dict[int, int] = {}
    """Per extract row: the bookings row of its attended booking."""
    limit = dt.datetime.combine(extract.as_of + dt.timedelta(days=1), dt.time())
    for number, raw in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in raw):
            continue
        if len(raw) != len(header):
            problems.append(f"{source}: row {number}: {len(raw)} cells, the header has {len(header)}")
            continue
        cells = dict(zip(header, (cell.strip() for cell in raw), strict=True))
        before = len(problems)

        def problem(column: str, value: str, allowed: str, row: int = number) -> None:
            problems.append(f"{source}: row {row}, column {column}: {shown(value, by_patient)} ({allowed})")

        times: dict[str, dt.datetime] = {}
        for column in ("booked", "slot"):
            value = _when(cells[column])
            if value is None:
                problem(column, cells[column], "allowed: YYYY-MM-DD or YYYY-MM-DDTHH:MM, no time zone")
            else:
                times[column] = value
        attended_text = cells["attended"]
        if attended_text and attended_text not in ATTENDED:
            problem("attended", attended_text, "allowed: yes or no")
        patient = cells["patient_id"]
        episodes = by_patient.get(patient, [])
        if not patient:
            problems.append(
                f"{source}: row {number}, column patient_id: empty (allowed: a patient_id of the extract)"
            )
        elif not episodes:
            problems.append(
                f"{source}: row {number}, column patient_id: not a patient_id of the extract "
                f"{extract.source} (allowed: the extract's ids)"
            )
        if len(problems) > before:
            continue
        booked, slot = times["booked"], times["slot"]
        if slot < booked:
            problem("slot", cells["slot"], f"allowed: on or after booked {cells['booked']}")
        if booked >= limit:
            problem(
                "booked", cells["booked"], f"allowed: on or before the extract's as-of date {extract.as_of}"
            )
        if not attended_text and slot < limit:
            problem(
                "attended", "", f"allowed: yes or no for a slot on or before the as-of date {extract.as_of}"
            )
        owner = [e for e in episodes if e.referred <= booked.date()]
        if not owner:
            problem(
                "booked",
                cells["booked"],
                f"allowed: on or after the referral_date of one of the patient's episodes (the first is "
                f"{episodes[0].referred}, row {episodes[0].row} of the extract)",
            )
        if len(problems) > before:
            continue
        episode = owner[-1]
        attended = ATTENDED[attended_text] if attended_text else None
        if attended:
            if episode.row in attended_at:
                problem(
                    "attended",
                    attended_text,
                    f"allowed: one attended booking per episode (row {attended_at[episode.row]} is attended "
                    f"too; both belong to the episode in row {episode.row} of the extract)",
                )
                continue
            if episode.assessed is not None and slot.date() != episode.assessed:
                problem(
                    "slot",
                    cells["slot"],
                    f"allowed: an attended slot on the episode's assessment_date {episode.assessed} (row "
                    f"{episode.row} of the extract)",
                )
                continue
            attended_at[episode.row] = number
        found.setdefault(episode.row, []).append(Booking(number, booked, slot, attended))
    if not found and not problems:
        problems.append(f"{source}: no bookings (allowed: at least one row after the header)")
    if problems:
        listed = problems[:MAX_PROBLEMS]
        if len(problems) > MAX_PROBLEMS:
            listed.append(f"{source}: ... and {len(problems) - MAX_PROBLEMS} more problems")
        raise ExtractError(listed)
    episodes_with = tuple(
        dataclasses.replace(episode, bookings=tuple(sorted(found.get(episode.row, ()), key=_order)))
        for episode in extract.episodes
    )
    return Extract(extract.source, episodes_with, extract.as_of)


def _order(booking: Booking) -> tuple[dt.datetime, dt.datetime, int]:
    return (booking.booked, booking.slot, booking.row)
