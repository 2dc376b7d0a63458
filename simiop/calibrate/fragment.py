"""The config fragment the fits propose, merged onto the base config and validated like any config.

Merge rule: mappings merge key by key (the fragment's value wins); any other value, and ``null``, replaces
the base's (``progress_review: null`` removes the reviews; ``ramp_up: null`` removes a ramp-up). A
distribution (a mapping with ``dist``) replaces the base's whole: a fit of another family (a fixed
attendance propensity where the base has a beta, an exponential stay where it has a gamma) must not keep
the base family's parameters.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from simiop.calibrate.fits import PartFit


def merge(base: Any, fragment: Mapping[str, Any]) -> Any:
    """``base`` with ``fragment`` merged in (neither is changed)."""
    result = copy.deepcopy(base)
    for key, value in fragment.items():
        if isinstance(value, Mapping) and "dist" not in value and isinstance(result.get(key), Mapping):
            result[key] = merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def build_fragment(
    referrals: PartFit, intake: PartFit, stay: PartFit, attendance: PartFit, readmission: PartFit
) -> dict[str, Any]:
    """The fragment: only the sections a fit produced, in the config's own layout."""
    fragment: dict[str, Any] = {}
    if referrals.fragment:
        fragment["referrals"] = {"sources": dict(referrals.fragment)}
    for section, part in (
        ("intake", intake),
        ("attendance", attendance),
        ("length_of_stay", stay),
        ("discharge", readmission),
    ):
        if part.fragment:
            fragment[section] = dict(part.fragment)
    return fragment
