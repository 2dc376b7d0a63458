"""How far ahead the intake book is full: the measured sign that assessment slots limit the clinic.

A referral that reaches the clinic is booked into the first assessment slot
with a free seat after the lead time (simiop/model/intake.py). When slots are
plentiful that slot is a day or two away; when they run short, the first free
seat moves weeks ahead, patients give up waiting for it, and the clinic serves
fewer people however many are referred. The KPI here is that distance, read
from the bookings the run recorded (``RunColumns.bookings``): for each
referral counted in the KPIs that was booked at all, the days from its first
booking to the slot it got. Rebookings after a no-show are left out (they
measure the same book later, for the same person).

Referrals that found no free slot before their patience ran out have no
booking and are not in the mean: it is the wait of those who got a slot, so a
crowded book shows in ``end_state_gave_up_before_intake`` as well, and the
sentence of simiop/results/constraints.py says both.
"""

from __future__ import annotations

import numpy as np

from simiop.results.columns import Columns
from simiop.results.labels import INTAKE_BOOKED_AHEAD


def intake_booked_ahead(episodes: Columns, bookings: Columns, counted: np.ndarray) -> dict[str, float]:
    """``{INTAKE_BOOKED_AHEAD: days}``: the mean over counted referrals of (slot day - booking day) of
    their first booking; NaN when no counted referral was booked (direct admission, a run too short).

    ``counted``: per episode row, whether the KPIs count it (referred on or after the warm-up).
    """
    if not len(bookings):
        return {INTAKE_BOOKED_AHEAD: float("nan")}
    counted_ids = episodes.array("episode_id", "int")[counted]
    episode = bookings.array("episode_id", "int")
    booked, slot = bookings.array("booked_day"), bookings.array("slot_day")
    order = np.lexsort((booked, episode))  # by episode, then by when booked: each episode's first comes first
    first = order[np.r_[True, episode[order][1:] != episode[order][:-1]]]
    first = first[np.isin(episode[first], counted_ids)]
    ahead = slot[first] - booked[first]
    return {INTAKE_BOOKED_AHEAD: float(ahead.mean()) if ahead.size else float("nan")}
