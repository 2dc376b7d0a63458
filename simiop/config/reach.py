"""Whether any referral can ever reach each enabled track.

A track can be staffed and valid and still admit no one for the whole run:
when every referral source prefers the other shift, nobody chooses it, and
unless a track's wait list switches patients to it when full, it stays empty
while its staff are paid and it appears in every table and report. The rule
follows ``simiop/model/programme.py`` (``Programme.refer_to_track``) exactly:

- a referral (and its readmissions, which keep the patient's preference)
  wants the enabled tracks of its preferred shift, every enabled track when it
  prefers ``either``, and every enabled track when no enabled track runs its
  preferred shift;
- it joins the least full track it wants; when that one is full and its
  ``wait_list.when_full`` is ``switch``, it takes a free seat on any other
  enabled track.

Only sources with a positive ``weekly_rate`` and ``contact_probability``
send anyone. A track no referral can reach gets a warning, not an error: the
config runs as written (e.g. a closed-to-referrals track kept for a scenario).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simiop.config.model import SimiopConfig
    from simiop.config.staffing import Finding


def unreachable_tracks(config: SimiopConfig) -> list[Finding]:
    """A warning for each enabled track that no referral can ever be placed on."""
    tracks = {name: track for name, track in config.tracks.items() if track.enabled}
    shifts = {track.shift for track in tracks.values()}
    preferred = {
        preference
        for source in config.referrals.sources.values()
        if source.weekly_rate > 0 and source.contact_probability > 0
        for preference, share in source.track_preference.items()
        if share > 0
    }
    if "either" in preferred or preferred - shifts:  # some referral wants any enabled track
        return []
    reached = {name for name, track in tracks.items() if track.shift in preferred}
    if any(tracks[name].wait_list.when_full == "switch" for name in reached):
        return []  # a full track of theirs sends patients to any other track with a free seat
    wanted = ", ".join(sorted(preferred)) or "none (no source sends referrals)"
    return [
        (
            f"tracks.{name}",
            f"no referral source prefers the {track.shift} shift or 'either', and no track's wait list "
            f"switches patients to it when full (wait_list.when_full: switch), so track {name} never "
            "admits anyone",
            f"referrals prefer: {wanted}",
            None,
        )
        for name, track in tracks.items()
        if name not in reached
    ]
