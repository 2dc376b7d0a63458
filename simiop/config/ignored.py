"""Settings the model never reads in the config as written, as warnings: an edit that changes nothing must
not pass for one that does (a cohort start day under a rolling policy, a caseload cap on a role that has no
primary patients). The config still runs as written."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from simiop.config.staff import StaffRole
from simiop.config.staffing import Finding
from simiop.config.tracks import Track

_ADMITS = {"rolling": "admits on any programme day", "continuous": "admits the moment a seat is free"}


def ignored_settings(tracks: Mapping[str, Track], roles: Mapping[str, StaffRole]) -> Iterator[Finding]:
    """One finding per setting the model does not read: ``admission.cohort_weekdays`` under another policy
    than cohort (simiop.model.tracks reads them only for cohorts), and ``caseload_cap`` on a role that is no
    track's ``facilitator_role`` (only a track's facilitators carry primary patients: simiop.model.programme
    asks for a primary therapist of that role alone)."""
    for name, track in tracks.items():
        admission = track.admission
        if admission.cohort_weekdays is not None and admission.policy != "cohort":
            yield (
                f"tracks.{name}.admission.cohort_weekdays",
                f"read only by the cohort policy; policy {admission.policy} {_ADMITS[admission.policy]}, so "
                "these days change nothing",
                str(list(admission.cohort_weekdays)),
                "policy: cohort to admit on these days only, or leave cohort_weekdays out",
            )
    leading = sorted({track.facilitator_role for track in tracks.values()})
    for role, spec in roles.items():
        if spec.caseload_cap is not None and role not in leading:
            yield (
                f"staff.roles.{role}.caseload_cap",
                f"{role} leads no track's groups, and only a track's facilitator role carries primary "
                "patients, so this cap changes nothing",
                str(spec.caseload_cap),
                f"a cap on a facilitator role ({', '.join(leading)}), or leave it out",
            )
