"""What the flow hands to the after-pass: who came to each programme day of each track.

Group sessions and care draw no random numbers and change nothing the flow
reads (admission picks a therapist by caseload, authorization counts attended
days), so the flow only writes these down, in clock order, and sessions.py and
care.py run over them once the flow has ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from simiop.model.records import TrackDay

if TYPE_CHECKING:
    from simiop.model.stay import Enrolment
    from simiop.model.tracks import TrackState


@dataclass(slots=True, eq=False)
class Attendance:
    """One programme day of one track, as the flow left it when the day's sessions were decided."""

    track: TrackState
    day: int
    week: int
    row: TrackDay
    """The day's daily.csv row: the after-pass adds its sessions, cancellations and hours."""
    came: list[list[Enrolment]]
    """Who came, per group, in group order (a group nobody came to is an empty list)."""
    scheduled: list[bool]
    """Per group: whether it had members, i.e. whether a session was scheduled."""
