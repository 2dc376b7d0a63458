"""Intake outcome shares (intake.outcomes, outcomes_by_source) and the share of referrals assessed.

Outcome shares are multinomial maximum-likelihood estimates (counts / assessed) with Wilson 95% intervals
per share (simiop.calibrate.fits.wilson). Per source, a source-specific multinomial is compared with the
pooled one by AIC: a source gets its own ``outcomes_by_source`` entry only when that wins. The share of
non-readmission referrals ever assessed is reported (Wilson interval) but not written to the fragment: the
config's show rate is a curve of days waited since a booking, and the extract holds no bookings.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import get_args

from simiop.calibrate.extract import READMISSION_SOURCE, AssessmentOutcome, Extract
from simiop.calibrate.fits import Candidate, Chosen, Estimate, PartFit, wilson

OUTCOMES: tuple[AssessmentOutcome, ...] = get_args(AssessmentOutcome)


def _log_likelihood(counts: Mapping[str, int], shares: Mapping[str, float]) -> float:
    return sum(count * math.log(shares[name]) for name, count in counts.items() if count)


def rounded_shares(counts: Mapping[str, int]) -> dict[str, float]:
    """Shares to 4 decimals that still add to exactly 1 (the largest takes the rounding)."""
    total = sum(counts.values())
    shares: dict[str, float] = {name: round(counts[name] / total, 4) for name in OUTCOMES}
    largest = max(OUTCOMES, key=lambda name: counts[name])
    shares[largest] = round(1.0 - sum(value for name, value in shares.items() if name != largest), 4)
    return shares


def fit_intake(
    extract: Extract, sources: Sequence[str], by_source_base: Sequence[str], only: Chosen | None = None
) -> PartFit:
    """Fit outcome shares on every assessed episode; ``by_source_base``: sources the base config already has
    in outcomes_by_source (they are written either way, so the merge replaces them). ``only``: keep the
    pooled-or-own choice per source of an earlier fit (simiop.calibrate.fits.Chosen)."""
    part = PartFit()
    assessed = [e for e in extract.episodes if e.outcome is not None]
    if not assessed:
        part.notes.append("intake: no assessed episodes; intake.outcomes not fitted")
        return part
    pooled: Counter[str] = Counter(e.outcome for e in assessed if e.outcome is not None)
    total = sum(pooled.values())
    pooled_shares: dict[str, float] = {name: pooled[name] / total for name in OUTCOMES}
    by_source: dict[str, object] = {}
    own_sources: set[str] = set()
    for source in sources:
        counts: Counter[str] = Counter(
            e.outcome for e in assessed if e.source == source and e.outcome is not None
        )
        n = sum(counts.values())
        if n == 0:
            continue
        own: dict[str, float] = {name: counts[name] / n for name in OUTCOMES}
        shared = Candidate(
            f"intake.outcomes_by_source.{source}",
            "pooled",
            {},
            _log_likelihood(counts, _safe(pooled_shares)),
            n,
        )
        free = sum(1 for name in OUTCOMES if counts[name]) - 1
        alone = Candidate(
            f"intake.outcomes_by_source.{source}",
            "own",
            {name: own[name] for name in OUTCOMES[:free]} if free > 0 else {},
            _log_likelihood(counts, _safe(own)),
            n,
        )
        forced = (only or {}).get(f"intake.outcomes_by_source.{source}")
        wins = alone.aic < shared.aic if forced is None else forced == "own"
        part.candidates += [
            Candidate(
                shared.part,
                shared.model,
                pooled_shares,
                shared.log_likelihood,
                n,
                not wins,
                "the pooled shares (no parameters of its own)",
                free_parameters=0,
            ),
            Candidate(
                alone.part,
                alone.model,
                own,
                alone.log_likelihood,
                n,
                wins,
                f"{free} free shares",
                free_parameters=max(free, 0),
            ),
        ]
        if wins:
            for name in OUTCOMES:
                low, high = wilson(counts[name], n)
                part.estimates.append(
                    Estimate(
                        f"intake.outcomes_by_source.{source}.{name}",
                        own[name],
                        low,
                        high,
                        "multinomial MLE, Wilson",
                        n,
                    )
                )
        if wins:
            own_sources.add(source)
    rest: Counter[str] = Counter(e.outcome for e in assessed if e.source not in own_sources and e.outcome)
    if not rest:
        rest = pooled
    rest_total = sum(rest.values())
    for name in OUTCOMES:
        low, high = wilson(rest[name], rest_total)
        part.estimates.append(
            Estimate(
                f"intake.outcomes.{name}",
                rest[name] / rest_total,
                low,
                high,
                "multinomial MLE, Wilson",
                rest_total,
            )
        )
    rest_shares: dict[str, float] = {name: rest[name] / rest_total for name in OUTCOMES}
    part.candidates.insert(
        0,
        Candidate(
            "intake.outcomes",
            "multinomial",
            rest_shares,
            _log_likelihood(rest, _safe(rest_shares)),
            rest_total,
            chosen=True,
            notes="every source without its own shares, readmissions included",
        ),
    )
    for source in sources:
        if source in own_sources:
            by_source[source] = rounded_shares(
                Counter(e.outcome for e in assessed if e.source == source and e.outcome)
            )
        elif source in by_source_base:
            by_source[source] = rounded_shares(rest)
    part.fragment = {"outcomes": rounded_shares(rest), "outcomes_by_source": by_source}
    referred = [e for e in extract.episodes if e.source != READMISSION_SOURCE]
    seen = sum(1 for e in referred if e.assessed is not None)
    low, high = wilson(seen, len(referred))
    part.notes.append(
        f"intake: {seen} of {len(referred)} referrals assessed ({seen / max(len(referred), 1):.1%}, 95% CI "
        f"{low:.1%}-{high:.1%}); not in the fragment (the show rate is fitted from bookings: --bookings)"
    )
    return part


def _safe(shares: Mapping[str, float]) -> dict[str, float]:
    return {name: max(value, 1e-300) for name, value in shares.items()}
