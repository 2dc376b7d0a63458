"""KPIs of staff time on the clock (issue 18): read from the sessions, the staff rows and the patient-days.

The sessions (sessions.csv, ``RunColumns.sessions``) are the source of truth
for what happened when: a person's direct hours on a day are the held
sessions that name them, a patient's services on a day are the held sessions
that list them. The same rules are checked on the rendered sessions.csv by
tests/sessions_checks.py, so a KPI here and a check there cannot disagree.

Everything counts from the warm-up on, like the other KPIs. With no session
rows (a run too short to hold one), the counts are 0 and the shares and
per-person-day figures are NaN (nothing to measure), as elsewhere in the KPIs.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any, Final, Literal

import numpy as np

from simiop.config.model import SimiopConfig
from simiop.model.records import RowColumns, SessionKind, SessionReason, SessionRow
from simiop.model.session_table import SessionTable, positions_within
from simiop.results.columns import Columns, RunColumns
from simiop.results.grouping import distinct, distinct_rows, pairs_order

_NAN = float("nan")

Shift = Literal["day", "evening", "both"]
SHIFTS: tuple[Shift, ...] = ("day", "evening", "both")
"""Staff shifts in KPI order (``staff_utilisation_shift_<shift>``)."""

CARE_KINDS: Final[dict[str, tuple[SessionKind, ...]]] = {
    "individual_therapy": ("individual",),
    "family": ("family",),
    "prescriber": ("prescriber_initial", "prescriber_follow_up"),
}
"""The session kinds of each care service of ``config.services`` (a service left out has no KPIs)."""
CARE_SESSION_KINDS: tuple[SessionKind, ...] = tuple(kind for kinds in CARE_KINDS.values() for kind in kinds)
"""Every care kind of sessions.csv, in KPI order."""

MISSED_REASONS: tuple[SessionReason, ...] = ("no_staff_on_shift", "staff_absent", "no_staff_time", "no_slot")
"""Why a due care session was missed, in the precedence the model applies them."""

CANCELLED_REASONS: tuple[str, ...] = ("too_few", "no_facilitator", "no_room")
"""Why a group was cancelled: daily.csv's ``cancelled_<reason>`` columns."""

HELD: Final = "held"
MISSED: Final = "missed"
GROUP: Final = "group"
INTAKE: Final = "intake"
INDIVIDUAL: Final = "individual"

DIRECT_QUANTILE = 0.95
"""The high quantile of direct hours per person-day reported besides the maximum."""


def role_of(person: str, roles: Collection[str]) -> str | None:
    """The role of a person id: ``<role>_<n>``, or ``<role>_cover_<n>`` for cover; None if unknown."""
    name = person.rsplit("_", 1)[0]
    if name in roles:
        return name
    name = name.removesuffix("_cover")
    return name if name in roles else None


Sessions = Columns | SessionTable
"""The run's sessions (RunColumns.sessions), or sessions.csv's rows read through Columns (tests)."""


def _table(sessions: Sessions) -> SessionTable:
    """The sessions as int-coded columns (rows given through Columns are coded here, once per call)."""
    if isinstance(sessions, SessionTable):
        return sessions
    rows = RowColumns(SessionRow, {name: sessions.values(name) for name in sessions.names})
    return SessionTable.coded(rows)


def _held(sessions: SessionTable, from_day: float, *, care_only: bool = False) -> np.ndarray:
    """Positions of the held session rows on or after ``from_day`` (``care_only``: not intake)."""
    held = sessions.codes("outcome", (HELD,)) == 0
    if care_only:
        held &= sessions.codes("kind", (INTAKE,)) != 0
    return np.flatnonzero(held & (sessions.day >= from_day))


def direct_hours_per_person_day(
    sessions: Sessions, roles: Collection[str], from_day: float
) -> dict[str, np.ndarray]:
    """Per role, the direct hours of each person-day with a held session, person-days in (day, id) order.

    A person's direct hours on a day are the lengths of the held sessions that
    name them (groups, care and intake; a no-show keeps them busy but is not
    direct care), added in row order. Cover people count in their role.
    Person-days with no held session are not in the arrays: the figures
    describe days that had work.
    """
    table = _table(sessions)
    rows = _held(table, from_day)
    staff = table.key_values("staff")
    names = sorted({person for members in staff for person in members}, key=str)
    code = {person: position for position, person in enumerate(names)}
    # Each held row's staff, one (row, person) pair per member, in row order then as listed.
    sizes = np.fromiter(map(len, staff), dtype=np.intp, count=len(staff))
    members = np.fromiter((code[p] for m in staff for p in m), dtype=np.intp, count=int(sizes.sum()))
    keys_of_rows = table.key[rows]
    taken = sizes[keys_of_rows]
    pair_keys = np.repeat(keys_of_rows, taken)
    person = members[(np.cumsum(sizes) - sizes)[pair_keys] + positions_within(taken)]
    minutes = (table.key_array("end_minute") - table.key_array("start_minute"))[pair_keys]
    keys = np.repeat(table.day[rows], taken) * max(1, len(names)) + person
    found, _, inverse = distinct_rows(keys)
    hours = np.bincount(inverse, weights=minutes, minlength=found.size) / 60.0
    # Each person's role as a position in ``roles`` (-1: none), and each person-day's by its person.
    listed = list(roles)
    position = {role: index for index, role in enumerate(listed)}
    known = [role_of(name, listed) for name in names]
    role_of_person = np.array([-1 if role is None else position[role] for role in known], dtype=np.intp)
    role_of_day = role_of_person[found % len(names)] if names else np.zeros(0, dtype=np.intp)
    return {role: hours[role_of_day == position[role]] for role in listed}


def direct_hours_kpis(sessions: Sessions, roles: Iterable[str], from_day: float) -> dict[str, float]:
    """``staff_direct_hours_per_day_max_<role>`` and ``_p95_<role>``: each role's heaviest person-days."""
    names = list(roles)
    hours = direct_hours_per_person_day(sessions, names, from_day)
    kpis: dict[str, float] = {}
    for role in names:
        found = hours[role]
        kpis[f"staff_direct_hours_per_day_max_{role}"] = float(found.max()) if found.size else _NAN
        kpis[f"staff_direct_hours_per_day_p95_{role}"] = (
            float(np.quantile(found, DIRECT_QUANTILE)) if found.size else _NAN
        )
    return kpis


def services_per_patient_day(sessions: Sessions, from_day: float) -> np.ndarray:
    """Held sessions (groups and care, not intake) of each (episode, day) that had one, in that order."""
    table = _table(sessions)
    counted = np.zeros(table.size, dtype=bool)
    counted[_held(table, from_day, care_only=True)] = True
    rows, ids = table.patient_ids()
    chosen = counted[rows]
    episode = ids[chosen]
    if not episode.size:
        return np.zeros(0, dtype=np.intp)
    day = table.day[rows[chosen]]
    keys = episode * (int(day.max()) + 1) + day
    # np.unique's counts. The rows are in day order, so one radix sort of the episode alone orders the keys
    # (``pairs_order``): 0.2 against 0.6 ms for the stable sort of the (day, episode) keys of a 3-year run.
    keys = keys[pairs_order(episode, day, keys)]
    edges = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    return np.diff(np.concatenate(([0], edges, [keys.size])))


def four_plus_share(sessions: Sessions, attended_days: int, from_day: float) -> float:
    """Share of attended patient-days with 4 or more held services (the 4+ services share)."""
    if not attended_days:
        return _NAN
    return int(np.count_nonzero(services_per_patient_day(sessions, from_day) >= 4)) / attended_days


def missed_care_kpis(config: SimiopConfig, sessions: Sessions, from_day: float) -> dict[str, int]:
    """``care_missed_<kind>_<reason>``: due care sessions that could not be placed, by kind and reason."""
    table = _table(sessions)
    missed = np.flatnonzero((table.codes("outcome", (MISSED,)) == 0) & (table.day >= from_day))
    width = len(MISSED_REASONS) + 1  # codes from -1 (not listed) up: shifted by one
    pairs = (table.codes("kind", CARE_SESSION_KINDS)[missed] + 1) * width + (
        table.codes("reason", MISSED_REASONS)[missed] + 1
    )
    counts = np.bincount(pairs, minlength=(len(CARE_SESSION_KINDS) + 1) * width).tolist()
    found = {
        (kind, why): counts[(k + 1) * width + r + 1]
        for k, kind in enumerate(CARE_SESSION_KINDS)
        for r, why in enumerate(MISSED_REASONS)
    }
    services = config.services
    offered = {
        "individual_therapy": services.individual_therapy is not None,
        "family": services.family is not None,
        "prescriber": services.prescriber is not None,
    }
    return {
        f"care_missed_{kinds}_{why}": found[kinds, why]
        for service, kinds_of in CARE_KINDS.items()
        if offered[service]
        for kinds in kinds_of
        for why in MISSED_REASONS
    }


def groups_covered(sessions: Sessions, from_day: float) -> int:
    """Groups (track, group, day) held with a cover person in at least one of their sessions."""
    table = _table(sessions)
    rows = np.flatnonzero(
        (table.codes("kind", (GROUP,)) == 0)
        & (table.codes("outcome", (HELD,)) == 0)
        & (table.array("cover", "int") != 0)
        & (table.day >= from_day)
    )
    groups: dict[tuple[Any, Any], int] = {}  # (track, group) -> its number, per key
    of_key = [
        groups.setdefault(pair, len(groups))
        for pair in zip(table.key_values("track"), table.key_values("group"), strict=True)
    ]
    found = table.day[rows] * max(1, len(groups)) + np.array(of_key, dtype=np.int64)[table.key[rows]]
    return int(distinct(found).size)


def weekly_individual_coverage(
    config: SimiopConfig,
    run: RunColumns,
    episode_of_day: np.ndarray,
    from_day: float,
    patient_weeks: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, float]:
    """Share of patient-weeks with an attended day that had an individual session, per track and in all.

    A patient-week is an episode's calendar week with at least one attended
    programme day on or after ``from_day``; it is covered when one of those
    days had an individual session (the patient-day's individual hours). The
    first and last weeks of a stay count like any other, so a stay that starts
    on a Friday can leave a week uncovered: the figure is what patients got.

    ``patient_weeks``: (first row of each patient-week, each row's patient-week) of
    every patient-day as billing grouped them (``BilledRun.weeks`` and
    ``week_of_day``), used when every day counts, rather than grouped again.
    """
    days = run.patient_days
    counted = days.array("day", "int") >= from_day
    week = days.array("week", "int")[counted]
    episode = episode_of_day[counted]
    had = days.array("individual_hours")[counted] > 0
    tracks = [name for name, spec in config.tracks.items() if spec.enabled]
    names = [f"individual_therapy_weekly_coverage_{track}" for track in tracks]
    if not week.size:
        return {"individual_therapy_weekly_coverage": _NAN, **dict.fromkeys(names, _NAN)}
    if patient_weeks is not None and counted.all():
        first, inverse = patient_weeks
    else:  # ``first``: each patient-week's first patient-day (np.unique's index is the first occurrence)
        _, first, inverse = distinct_rows(episode * (int(week.max()) + 1) + week)
    covered = np.bincount(inverse, weights=had.astype(float), minlength=first.size) > 0
    track_of_week = run.episodes.codes("track", tracks)[episode[first]]
    kpis = {"individual_therapy_weekly_coverage": float(covered.mean())}
    for position, name in enumerate(names):
        weeks = track_of_week == position
        kpis[name] = float(covered[weeks].mean()) if weeks.any() else _NAN
    return kpis


def cancellations_by_track(config: SimiopConfig, run: RunColumns, from_day: float) -> dict[str, int]:
    """``group_days_cancelled_<reason>_<track>``: daily.csv's cancelled groups, per enabled track."""
    days = run.track_days
    counted = days.array("day", "int") >= from_day
    tracks = list(config.tracks)
    track = days.codes("track", tracks)
    kpis: dict[str, int] = {}
    for reason in CANCELLED_REASONS:
        cancelled = days.array(f"cancelled_{reason}", "int")
        for position, (name, spec) in enumerate(config.tracks.items()):
            if spec.enabled:
                kpis[f"group_days_cancelled_{reason}_{name}"] = int(
                    cancelled[counted & (track == position)].sum()
                )
    return kpis


def shift_utilisation(
    config: SimiopConfig, direct: Mapping[str, float], direct_capacity: Mapping[str, float]
) -> dict[str, float]:
    """``staff_utilisation_shift_<shift>``: direct hours / direct-care hours of the roles of each shift.

    ``direct`` and ``direct_capacity`` are per role (hours); only shifts some
    role works are reported.
    """
    kpis: dict[str, float] = {}
    for shift in SHIFTS:
        roles = [name for name, role in config.staff.roles.items() if role.shift == shift]
        if roles:
            capacity = sum(direct_capacity[role] for role in roles)
            used = sum(direct[role] for role in roles)
            kpis[f"staff_utilisation_shift_{shift}"] = used / capacity if capacity else _NAN
    return kpis
