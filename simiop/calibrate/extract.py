"""The episode extract a clinic gives ``simiop calibrate``: its format, and reading it, naming each problem.

One row per episode (a referral and what followed it), the columns of ``COLUMNS``
(docs/calibrate.md shows them with an example). Dates are ISO (YYYY-MM-DD); an
empty cell is "not (yet) happened". The patient identifier is pseudonymous and
only links a patient's episodes (for readmissions); it is never written to any
output: fits keep counts and durations only.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:
    from simiop.calibrate.bookings import Booking

AssessmentOutcome = Literal["admit", "redirect_step_up", "redirect_outpatient", "decline"]
DischargeType = Literal["completed", "dropout", "step_up", "administrative", "no_start"]
"""How an admitted episode ended: the four discharges of the model and ``no_start`` (left before attending
a programme day; not a discharge)."""

DISCHARGES: tuple[DischargeType, ...] = ("completed", "dropout", "step_up", "administrative")
"""The discharge types the model readmits after (discharge.<type>)."""

READMISSION_SOURCE = "readmission"
"""The referral source a clinic may give a readmission (an optional label: any later referral of the same
patient after a discharge counts as that discharge's readmission)."""


@dataclass(frozen=True)
class Column:
    """One column of the extract: its name, whether it must be present, and what it holds."""

    name: str
    required: bool
    meaning: str


COLUMNS: tuple[Column, ...] = (
    Column("patient_id", True, "pseudonymous person id; links a person's episodes, never written out"),
    Column("referral_date", True, "date of the referral (YYYY-MM-DD)"),
    Column(
        "referral_source",
        True,
        "referral source (a name of the base config's referrals.sources, or 'readmission')",
    ),
    Column("payer", False, "payer name (a name of the base config's money.payers)"),
    Column("assessment_date", False, "date of the intake assessment; empty if never assessed"),
    Column(
        "assessment_outcome",
        False,
        "admit, redirect_step_up, redirect_outpatient or decline; required with assessment_date",
    ),
    Column("admission_date", False, "date of admission to a track; empty if never admitted"),
    Column("track", False, "track joined (a name of the base config's tracks)"),
    Column("discharge_date", False, "date the stay ended; empty while still in the programme"),
    Column(
        "discharge_type",
        False,
        "completed, dropout, step_up, administrative or no_start; required with discharge_date",
    ),
    Column("programme_days_scheduled", False, "programme days held while enrolled (attended or missed)"),
    Column("programme_days_attended", False, "programme days attended (at most scheduled)"),
)
REQUIRED = tuple(column.name for column in COLUMNS if column.required)
NAMES = tuple(column.name for column in COLUMNS)


@dataclass(frozen=True)
class Episode:
    """One row of the extract, checked. Dates are ``datetime.date``; missing values are None."""

    row: int
    patient: str
    referred: dt.date
    source: str
    payer: str | None
    assessed: dt.date | None
    outcome: AssessmentOutcome | None
    admitted: dt.date | None
    track: str | None
    discharged: dt.date | None
    discharge_type: DischargeType | None
    scheduled: int | None
    attended: int | None
    bookings: tuple[Booking, ...] = ()
    """Its intake bookings, from a bookings file (simiop.calibrate.bookings); () without one."""


@dataclass(frozen=True)
class Extract:
    """The episodes and the date the data were taken (end of follow-up: open episodes are censored then)."""

    source: str
    episodes: tuple[Episode, ...]
    as_of: dt.date

    def before(self, cut: dt.date) -> Extract:
        """The extract as it would have been taken on ``cut``: later referrals gone, later events not yet."""
        kept = []
        for episode in self.episodes:
            if episode.referred >= cut:
                continue
            assessed = episode.assessed is not None and episode.assessed < cut
            admitted = episode.admitted is not None and episode.admitted < cut
            ended = admitted and episode.discharged is not None and episode.discharged < cut
            kept.append(
                Episode(
                    row=episode.row,
                    patient=episode.patient,
                    referred=episode.referred,
                    source=episode.source,
                    payer=episode.payer,
                    assessed=episode.assessed if assessed else None,
                    outcome=episode.outcome if assessed else None,
                    admitted=episode.admitted if admitted else None,
                    track=episode.track if admitted else None,
                    discharged=episode.discharged if ended else None,
                    discharge_type=episode.discharge_type if ended else None,
                    scheduled=episode.scheduled if ended else None,
                    attended=episode.attended if ended else None,
                    bookings=_bookings_before(episode.bookings, cut),
                )
            )
        return Extract(self.source, tuple(kept), cut - dt.timedelta(days=1))


def _bookings_before(bookings: tuple[Booking, ...], cut: dt.date) -> tuple[Booking, ...]:
    """The bookings made before ``cut``; a slot on or after it has not been held yet (attended None)."""
    import dataclasses

    limit = dt.datetime.combine(cut, dt.time())
    return tuple(
        b if b.slot < limit else dataclasses.replace(b, attended=None) for b in bookings if b.booked < limit
    )


def label_readmissions(extract: Extract) -> tuple[Extract, list[int]]:
    """The extract with every readmission's source set to ``readmission``, and the rows relabelled.

    A readmission is what ``simiop.calibrate.readmission`` counts as one: a patient's first referral on or
    after one of their discharges (of the four types the model readmits after). A clinic's system may
    record it with the source that sent the patient back; left so, it would be counted twice, in that
    source's referral rate and intake shares and as the discharge's readmission, and the calibrated
    simulation would make it twice (the config makes readmissions from ``discharge.<type>``).
    """
    by_patient: dict[str, list[Episode]] = {}
    for episode in extract.episodes:
        by_patient.setdefault(episode.patient, []).append(episode)
    returns: set[int] = set()
    """id() of each episode that is a readmission (a bootstrap resample may repeat row numbers)."""
    for own in by_patient.values():
        for ended in own:
            if ended.discharged is None or ended.discharge_type not in DISCHARGES:
                continue
            discharged = ended.discharged
            later = [e for e in own if e is not ended and e.referred >= discharged]
            if later:
                returns.add(id(min(later, key=lambda e: (e.referred, e.row))))
    relabelled = [e.row for e in extract.episodes if id(e) in returns and e.source != READMISSION_SOURCE]
    if not relabelled:
        return extract, []
    import dataclasses

    episodes = tuple(
        dataclasses.replace(e, source=READMISSION_SOURCE)
        if id(e) in returns and e.source != READMISSION_SOURCE
        else e
        for e in extract.episodes
    )
    return Extract(extract.source, episodes, extract.as_of), relabelled


class ExtractError(Exception):
    """The extract cannot be used: one line per problem, each naming the row and column."""

    def __init__(self, lines: Sequence[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = list(lines)


NOT_UTF8 = "not a UTF-8 text file (allowed: a CSV file; save the sheet as 'CSV UTF-8')"
"""Said of a file that is not UTF-8: a workbook (.xlsx) or a CSV in a Windows code page, as a spreadsheet
saves it unless asked for 'CSV UTF-8'."""

MAX_PROBLEMS = 50
"""Problems listed before the rest are only counted (a wrong file would otherwise print one per cell)."""


SEPARATORS = (";", "\t", "|")
"""Separators a spreadsheet's export may use instead of commas (a semicolon where the comma is the decimal
mark, a tab for "text" exports), recognised in the header to name the problem in one line."""


def header_problem(source: str, first_row: Sequence[str], names: Sequence[str]) -> str | None:
    """The one line for a first row that is not a header at all, or None when it may be one.

    A file saved with another separator has its whole header in one cell; a file exported without a header
    row has a data row there, whose cells (a patient id among them) must not be echoed as "unknown
    columns". Such a row is named without its cells.
    """
    cells = [cell.strip() for cell in first_row]
    if any(cell in names for cell in cells):
        return None
    for separator in SEPARATORS:
        if any(part.strip() in names for cell in cells for part in cell.split(separator)):
            return (
                f"{source}: row 1: the columns are separated by {separator!r} (allowed: commas; save or "
                "export the sheet as CSV with comma separators)"
            )
    return (
        f"{source}: row 1: not a header row: none of its {len(cells)} cells is a column name (allowed: a "
        f"first row naming the columns: {', '.join(names)})"
    )


def without_empty_columns(source: str, rows: Sequence[Sequence[str]]) -> list[list[str]]:
    """``rows`` without the columns that have no name and no value in any row: a spreadsheet writes the
    trailing columns a sheet once used as ``,,`` on every line. ExtractError (one line per column) when
    such a column has a value somewhere (its value is not shown: it may be a patient id)."""
    header = [cell.strip() for cell in rows[0]]
    unnamed = [index for index, name in enumerate(header) if not name]
    if not unnamed:
        return [list(row) for row in rows]
    problems = []
    for index in unnamed:
        used = next(
            (n for n, row in enumerate(rows[1:], start=2) if index < len(row) and row[index].strip()), None
        )
        if used is not None:
            problems.append(
                f"{source}: row 1, column {index + 1}: no name, but row {used} has a value in it (allowed: a "
                "column name, or a column left empty)"
            )
    if problems:
        raise ExtractError(problems)
    drop = set(unnamed)
    return [[cell for index, cell in enumerate(row) if index not in drop] for row in rows]


def shown(value: str, patients: Collection[str]) -> str:
    """A cell's value for an error line: quoted, unless it is one of the file's patient ids (a column
    shifted or mixed up in a spreadsheet puts ids where a date or a name should be), which is never
    shown."""
    return "(a patient_id of the extract, not shown)" if value in patients else repr(value)


NameCheck = Callable[[Sequence["Episode"]], list[str]]
"""A check of the rows that parsed against the base config's names (simiop.calibrate.pipeline.name_problems):
one line per problem, listed with the cells' problems so a clinic sees them all at once."""


def read_extract(path: Path, as_of: dt.date | None = None, names: NameCheck | None = None) -> Extract:
    """Read and check an extract file.

    ``as_of``: the date the data were taken; default the latest date in the file. Raises ExtractError
    listing every problem (row numbers count the header as row 1, as a spreadsheet shows them).
    """
    return parse_rows(str(path), read_csv_rows(path, "an extract file"), as_of, names)


def read_csv_rows(path: Path, kind: str) -> list[list[str]]:
    """The cells of a CSV file the user gave (``kind`` names it in the line: "an extract file"); ExtractError
    in one line when it is missing, a folder, not UTF-8 or unreadable."""
    try:
        # utf-8-sig: a spreadsheet's "CSV UTF-8" export starts with a byte-order mark, read as no character
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return list(csv.reader(handle))
    except FileNotFoundError:
        raise ExtractError([f"{path}: file not found"]) from None
    except IsADirectoryError:
        raise ExtractError([f"{path}: is a folder, not {kind}"]) from None
    except UnicodeDecodeError:
        raise ExtractError([f"{path}: {NOT_UTF8}"]) from None
    except (OSError, csv.Error) as exc:
        raise ExtractError([f"{path}: cannot be read: {exc}"]) from None


def parse_rows(
    source: str, rows: Sequence[Sequence[str]], as_of: dt.date | None = None, names: NameCheck | None = None
) -> Extract:
    """Check the rows of an extract (the first one the header); see ``read_extract``. ``names``: a check of
    the parsed rows' sources, payers and tracks, whose lines join the others."""
    if not rows:
        raise ExtractError(
            [f"{source}: the file is empty (allowed: a header row with {', '.join(REQUIRED)})"]
        )
    not_header = header_problem(source, rows[0], NAMES)
    if not_header is not None:
        raise ExtractError([not_header])
    rows = without_empty_columns(source, rows)
    header = [name.strip() for name in rows[0]]
    problems: list[str] = []
    unknown = [name for name in header if name not in NAMES]
    problems += [
        f"{source}: row 1, column {name!r}: unknown column (allowed: {', '.join(NAMES)})" for name in unknown
    ]
    missing = [name for name in REQUIRED if name not in header]
    problems += [f"{source}: row 1: required column {name!r} is missing" for name in missing]
    twice = sorted({name for name in header if header.count(name) > 1})
    problems += [f"{source}: row 1, column {name!r}: appears twice" for name in twice]
    if problems:
        raise ExtractError(problems)
    at = header.index("patient_id")
    patients = {cells[at].strip() for cells in rows[1:] if len(cells) > at} - {""}
    episodes: list[Episode] = []
    for number, cells in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue  # a blank line
        if len(cells) != len(header):
            problems.append(f"{source}: row {number}: {len(cells)} cells, the header has {len(header)}")
            continue
        episode = _episode(
            source,
            number,
            dict(zip(header, (cell.strip() for cell in cells), strict=False)),
            problems,
            patients,
        )
        if episode is not None:
            episodes.append(episode)
    if not episodes and not problems:
        problems.append(f"{source}: no episodes (allowed: at least one row after the header)")
    if names is not None:
        problems += names(episodes)
    problems += _one_episode_at_a_time(source, episodes)
    latest = max((_latest(episode) for episode in episodes), default=None)
    if as_of is not None:
        problems += _after_as_of(source, episodes, as_of)
    if problems:
        problems.sort(key=lambda line: _row_of(source, line))  # stable: a row's own lines keep their order
        listed = problems[:MAX_PROBLEMS]
        if len(problems) > MAX_PROBLEMS:
            listed.append(f"{source}: ... and {len(problems) - MAX_PROBLEMS} more problems")
        raise ExtractError(listed)
    assert latest is not None
    return Extract(source, tuple(episodes), as_of or latest)


def _one_episode_at_a_time(source: str, episodes: Sequence[Episode]) -> list[str]:
    """A patient's rows must be distinct episodes, none starting during another's stay.

    A row repeated, or a referral or admission while the same patient is enrolled (admission to
    discharge, or to the end of the data while open), would count one person twice: two admissions
    at once, and a stay with no readmission to follow it. One line per such row, naming the other
    row but never the patient identifier.
    """
    by_patient: dict[str, list[Episode]] = {}
    for episode in episodes:
        by_patient.setdefault(episode.patient, []).append(episode)
    problems: list[tuple[int, str]] = []
    for own in by_patient.values():
        cells = {episode.row: _cells(episode) for episode in own}
        for later, earlier in itertools.permutations(own, 2):
            same = cells[later.row] == cells[earlier.row]
            if same and later.row < earlier.row:
                continue  # reported once, on the later row
            if same:
                problems.append(
                    (
                        later.row,
                        f"{source}: row {later.row}: the same episode as row {earlier.row} "
                        "(allowed: one row per episode)",
                    )
                )
                continue
            if earlier.admitted is None:
                continue
            end = "not yet discharged" if earlier.discharged is None else f"discharged {earlier.discharged}"
            for column, day in (("referral_date", later.referred), ("admission_date", later.admitted)):
                inside = (
                    day is not None
                    and earlier.admitted <= day
                    and (earlier.discharged is None or day < earlier.discharged)
                )
                if inside:
                    problems.append(
                        (
                            later.row,
                            f"{source}: row {later.row}, column {column}: '{day}' (allowed: not during the "
                            f"same patient's stay in row {earlier.row}, admitted {earlier.admitted}, {end}: "
                            "a patient is in one episode at a time)",
                        )
                    )
                    break
    seen: set[str] = set()
    lines = []
    for _, line in sorted(problems):
        if line not in seen:
            seen.add(line)
            lines.append(line)
    return lines


def _row_of(source: str, line: str) -> int:
    """The row a problem line names (0 for none), to list the cells' and the names' problems in row order."""
    head = f"{source}: row "
    if not line.startswith(head):
        return 0
    digits = itertools.takewhile(str.isdigit, line[len(head) :])
    return int("".join(digits) or 0)


def _after_as_of(source: str, episodes: Sequence[Episode], as_of: dt.date) -> list[str]:
    """One line naming the first row (and its column) with a date after ``as_of``, and how many more."""
    late = []
    for episode in episodes:
        dates = (
            ("referral_date", episode.referred),
            ("assessment_date", episode.assessed),
            ("admission_date", episode.admitted),
            ("discharge_date", episode.discharged),
        )
        after = [(column, day) for column, day in dates if day is not None and day > as_of]
        if after:
            late.append((episode.row, *after[0]))
    if not late:
        return []
    row, column, day = min(late)
    more = f" and {len(late) - 1} more row{'s' if len(late) > 2 else ''}" if len(late) > 1 else ""
    return [
        f"{source}: row {row}, column {column}: '{day}'{more} (allowed: on or before --as-of {as_of}, the "
        "date the data were taken)"
    ]


def _cells(episode: Episode) -> tuple[object, ...]:
    """An episode's values without its row number, to find a row repeated."""
    return tuple(value for name, value in vars(episode).items() if name != "row")


def _latest(episode: Episode) -> dt.date:
    dates = (episode.referred, episode.assessed, episode.admitted, episode.discharged)
    return max(date for date in dates if date is not None)


SLASHED = (
    "; format the spreadsheet's date columns as YYYY-MM-DD before saving: 03/04/2027 may be 3 April or "
    "March 4"
)
"""Said of a date with slashes: a spreadsheet's own format, read one way or the other by locale."""


def _episode(
    source: str, number: int, cells: dict[str, str], problems: list[str], patients: Collection[str] = ()
) -> Episode | None:
    """One row checked; each problem appended to ``problems`` as one line naming row and column (a value
    that is one of the file's ``patients`` ids is not shown)."""
    before = len(problems)

    def problem(column: str, value: str, allowed: str) -> None:
        problems.append(f"{source}: row {number}, column {column}: {shown(value, patients)} ({allowed})")

    def date(column: str) -> dt.date | None:
        text = cells.get(column, "")
        if not text:
            return None
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            problem(column, text, "allowed: a date YYYY-MM-DD" + (SLASHED if "/" in text else ""))
            return None

    def count(column: str) -> int | None:
        text = cells.get(column, "")
        if not text:
            return None
        try:
            value = int(text)
        except ValueError:
            problem(column, text, "allowed: a whole number >= 0")
            return None
        if value < 0:
            problem(column, text, "allowed: a whole number >= 0")
            return None
        return value

    def choice(column: str, allowed: tuple[str, ...]) -> str | None:
        text = cells.get(column, "")
        if text and text not in allowed:
            problem(column, text, f"allowed: {', '.join(allowed)}")
            return None
        return text or None

    patient = cells.get("patient_id", "")
    if not patient:
        problem("patient_id", "", "allowed: a pseudonymous id, not empty")
    referred = date("referral_date")
    if referred is None and not cells.get("referral_date"):
        problem("referral_date", "", "allowed: a date YYYY-MM-DD, not empty")
    referral_source = cells.get("referral_source", "")
    if not referral_source:
        problem("referral_source", "", "allowed: a source name, not empty")
    assessed = date("assessment_date")
    outcome = choice("assessment_outcome", get_args(AssessmentOutcome))
    admitted = date("admission_date")
    discharged = date("discharge_date")
    ending = choice("discharge_type", get_args(DischargeType))
    scheduled = count("programme_days_scheduled")
    attended = count("programme_days_attended")
    if len(problems) > before:
        return None
    assert referred is not None
    if assessed is not None and outcome is None:
        problem("assessment_outcome", "", "required when assessment_date is given")
    if outcome is not None and assessed is None:
        problem("assessment_date", "", f"required when assessment_outcome is given ({outcome})")
    if discharged is not None and ending is None:
        problem("discharge_type", "", "required when discharge_date is given")
    if ending is not None and discharged is None:
        problem("discharge_date", "", f"required when discharge_type is given ({ending})")
    if discharged is not None and admitted is None:
        problem("admission_date", "", "required when discharge_date is given")
    order = (("referral_date", referred), ("assessment_date", assessed), ("admission_date", admitted))
    for (early_name, early), (late_name, late) in itertools.pairwise(order):
        if early is not None and late is not None and late < early:
            problem(late_name, str(late), f"allowed: on or after {early_name} {early}")
    if admitted is not None and referred > admitted:
        problem("admission_date", str(admitted), f"allowed: on or after referral_date {referred}")
    if admitted is not None and discharged is not None and discharged < admitted:
        problem("discharge_date", str(discharged), f"allowed: on or after admission_date {admitted}")
    if scheduled is not None and attended is not None and attended > scheduled:
        problem(
            "programme_days_attended", str(attended), f"allowed: at most programme_days_scheduled {scheduled}"
        )
    if ending == "no_start" and attended:
        problem(
            "programme_days_attended",
            str(attended),
            "allowed: 0 for discharge_type no_start, admitted but never attended a programme day",
        )
    if len(problems) > before:
        return None
    return Episode(
        row=number,
        patient=patient,
        referred=referred,
        source=referral_source,
        payer=cells.get("payer") or None,
        assessed=assessed,
        outcome=outcome,  # type: ignore[arg-type]  # checked against AssessmentOutcome above
        admitted=admitted,
        track=cells.get("track") or None,
        discharged=discharged,
        discharge_type=ending,  # type: ignore[arg-type]  # checked against DischargeType above
        scheduled=scheduled,
        attended=attended,
    )


def write_csv_rows(path: Path, names: Sequence[str], rows: Sequence[dict[str, str]]) -> None:
    """Write rows (column name -> text) of an extract or a bookings file, atomically, with the columns
    in the documented order ``names``."""
    from io import StringIO

    from simiop.atomic import write_text_atomic

    buffer = StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(names), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomic(path, buffer.getvalue())
