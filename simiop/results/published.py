"""Patient-flow measures set beside published ranges: the face-validity table and its tests.

One place defines each measure, its published range and the citation, so the
face-validity command (``python -m tests.validation.face_validity``), the
slow tests (``tests/validation/test_published_ranges.py``) and the
before/after script (``tools/published_ranges.py``) cannot drift apart. It
lives in the package, not under tests/, so the script can import it from any
folder; it only reads episodes (in memory or episodes.csv) and returns rows
and text, it never prints.

Every measure is computed per replication from columns episodes.csv has
(``source_kind``, ``referred_day``, ``admitted_day``, ``ended_day``,
``end_state``, ``programme_days``, ``programme_days_attended``), then
summarised across replications with a 95% Student-t interval
(``simiop.results.stats.summarise``). Definitions:

- **discharges**: episodes ending completed, dropout, step_up or
  administrative. A ``no_start`` (admitted, never attended a programme day)
  is not a discharge; it is counted in its own row, as a share of admissions.
- **length of stay**: ended_day - admitted_day, calendar days, discharges.
- **attendance**: programme days attended / programme days held, summed over
  discharged stays.
- **step-down start within N days**: among step-down referrals (source kind
  ``step_down``) admitted within 10 calendar days of referral,
  floor(admitted_day) - floor(referred_day) <= N. Calendar days, with the
  10-day denominator, as the published figure is defined (Brown 2025, MHO);
  the referral is taken to arrive on the inpatient discharge day.

Episodes referred before the warm-up are left out, as in the KPIs.
"""

from __future__ import annotations

import csv
import enum
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Protocol

from simiop.config.model import SimiopConfig
from simiop.experiments.cells import SCENARIOS_DIR
from simiop.model import simulate
from simiop.model.records import ADMINISTRATIVE, COMPLETED, DROPOUT, STEP_UP
from simiop.results.stats import Summary, summarise

NO_START: Final = "no_start"
"""End state of an admitted patient who never attended (issue 19); read as a string so these measures
work on runs made before and after it exists."""
DISCHARGE_STATES: Final = frozenset({COMPLETED, DROPOUT, STEP_UP, ADMINISTRATIVE})
STEP_DOWN: Final = "step_down"
STEP_DOWN_WINDOW_DAYS: Final = 10
"""The published step-down figures count only patients admitted within 10 days of inpatient discharge."""


class EpisodeLike(Protocol):
    """The episode fields the measures read: an in-memory ``Episode`` or a row of episodes.csv."""

    @property
    def source_kind(self) -> str: ...
    @property
    def referred_day(self) -> float: ...
    @property
    def admitted_day(self) -> float | None: ...
    @property
    def ended_day(self) -> float | None: ...
    @property
    def end_state(self) -> str | None: ...
    @property
    def programme_days(self) -> int: ...
    @property
    def programme_days_attended(self) -> int: ...


@dataclass(frozen=True, slots=True)
class EpisodeRow:
    """One row of episodes.csv, the fields the measures need, typed."""

    source_kind: str
    referred_day: float
    admitted_day: float | None
    ended_day: float | None
    end_state: str | None
    programme_days: int
    programme_days_attended: int


def _optional_float(text: str) -> float | None:
    return float(text) if text else None


def read_episodes(path: Path) -> list[EpisodeRow]:
    """The rows of one replication's episodes.csv."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            EpisodeRow(
                source_kind=row["source_kind"],
                referred_day=float(row["referred_day"]),
                admitted_day=_optional_float(row["admitted_day"]),
                ended_day=_optional_float(row["ended_day"]),
                end_state=row["end_state"] or None,
                programme_days=int(row["programme_days"]),
                programme_days_attended=int(row["programme_days_attended"]),
            )
            for row in csv.DictReader(handle)
        ]


def _share(hits: int, total: int) -> float:
    return hits / total if total else math.nan


def _stay(episode: EpisodeLike) -> float:
    assert episode.ended_day is not None
    assert episode.admitted_day is not None
    return episode.ended_day - episode.admitted_day


def _completion(eps: Sequence[EpisodeLike]) -> float:
    discharges = [e for e in eps if e.end_state in DISCHARGE_STATES]
    return _share(sum(e.end_state == COMPLETED for e in discharges), len(discharges))


def _dropout(eps: Sequence[EpisodeLike]) -> float:
    discharges = [e for e in eps if e.end_state in DISCHARGE_STATES]
    return _share(sum(e.end_state == DROPOUT for e in discharges), len(discharges))


def _dropout_with_no_starts(eps: Sequence[EpisodeLike]) -> float:
    ended = [e for e in eps if e.end_state in DISCHARGE_STATES or e.end_state == NO_START]
    return _share(sum(e.end_state in (DROPOUT, NO_START) for e in ended), len(ended))


def _mean_stay(eps: Sequence[EpisodeLike]) -> float:
    stays = [_stay(e) for e in eps if e.end_state in DISCHARGE_STATES]
    return sum(stays) / len(stays) if stays else math.nan


def _attendance(eps: Sequence[EpisodeLike]) -> float:
    discharges = [e for e in eps if e.end_state in DISCHARGE_STATES]
    held = sum(e.programme_days for e in discharges)
    return _share(sum(e.programme_days_attended for e in discharges), held)


def _step_down_gaps(eps: Sequence[EpisodeLike]) -> list[int]:
    """Calendar-day gaps referral to admission of step-downs admitted within the 10-day window."""
    gaps = [
        math.floor(e.admitted_day) - math.floor(e.referred_day)
        for e in eps
        if e.source_kind == STEP_DOWN and e.admitted_day is not None
    ]
    return [g for g in gaps if g <= STEP_DOWN_WINDOW_DAYS]


def _step_down_within(days: int) -> Callable[[Sequence[EpisodeLike]], float]:
    def measure(eps: Sequence[EpisodeLike]) -> float:
        gaps = _step_down_gaps(eps)
        return _share(sum(g <= days for g in gaps), len(gaps))

    return measure


def _no_starts(eps: Sequence[EpisodeLike]) -> float:
    admitted = [e for e in eps if e.admitted_day is not None]
    return _share(sum(e.end_state == NO_START for e in admitted), len(admitted))


def _dropouts_within_14_days(eps: Sequence[EpisodeLike]) -> float:
    dropouts = [e for e in eps if e.end_state == DROPOUT]
    return _share(sum(_stay(e) <= 14 for e in dropouts), len(dropouts))


def _stays_over_60_days(eps: Sequence[EpisodeLike]) -> float:
    discharges = [e for e in eps if e.end_state in DISCHARGE_STATES]
    return _share(sum(_stay(e) > 60 for e in discharges), len(discharges))


class Unit(enum.Enum):
    """How a measure's values are shown."""

    SHARE = "share"
    DAYS = "days"


@dataclass(frozen=True)
class Measure:
    """One measure: how it is computed per replication, and the published range it should fall in."""

    name: str
    label: str
    unit: Unit
    compute: Callable[[Sequence[EpisodeLike]], float]
    low: float | None = None
    """Lower end of the published range; None for a context row without one."""
    high: float | None = None
    """Upper end; math.inf for "at least low"."""
    source: str = ""
    """Where the range comes from, by the short names of ``REFERENCES``; empty for a context row."""

    @property
    def has_range(self) -> bool:
        return self.low is not None and self.high is not None

    def range_text(self) -> str:
        if self.low is None or self.high is None:
            return "none published"
        if math.isinf(self.high):
            return f">= {_format(self.low, self.unit)}"
        return f"{_format(self.low, self.unit)} to {_format(self.high, self.unit)}"


REFERENCES: Final[dict[str, str]] = {
    "TEDS 2004": (
        "SAMHSA Office of Applied Studies, Treatment Episode Data Set (TEDS): 2004 Discharges from Substance "
        "Abuse Treatment Services, ch. 4 'Intensive Outpatient Treatment Discharges: 2004', Table 4.1 "
        "(38% completed, 23% dropped out, 18% transferred, 14% terminated by facility; n = 114,440 SUD IOP "
        "discharges) and Table 4.11 (median stay 41 days), "
        "https://webarchive.library.unt.edu/eot2008/20080916053023/http:/www.drugabusestatistics.samhsa.gov/"
        "TEDSdischarges/2k4/TEDSD2k4Chp4.htm"
    ),
    "Falabella et al. 2022": (
        "Falabella GS, Johnides BD, Hershkovich A, Arett J, Rosmarin DH. CBT/DBT-Informed Intensive "
        "Outpatient Treatment for Anxiety and Depression: A Naturalistic Treatment Outcomes Study. "
        "Cognitive and Behavioral Practice 2022;29(3):614-624, doi:10.1016/j.cbpra.2021.05.001 "
        "(68.1% tapered down to weekly care after the IOP; one private clinic, n = 73)"
    ),
    "J Nerv Ment Dis 2020": (
        "Predictors of Outcome of Acute Partial Hospitalization: An Exploratory Study. J Nerv Ment Dis "
        "2020;208(3):194-200, doi:10.1097/NMD.0000000000001109 (16.5% dropped out; acute partial hospital)"
    ),
    "Costa et al. 2020": (
        "Costa et al. Intensive Outpatient Treatment (IOP) of Behavioral Health (BH) Problems: Engagement "
        "Factors Predicting Subsequent Service Utilization. Psychiatr Q 2020;91:533, "
        "doi:10.1007/s11126-019-09681-w (mean stay 42 days; Connecticut Medicaid adults, MH and SUD IOPs)"
    ),
    "Psychiatr Serv PHP nonattendance": (
        "Reasons for Patient Nonattendance During Acute Partial Hospitalization. Psychiatric Services, "
        "doi:10.1176/appi.ps.201400416 (7% of patient-days missed; acute PHP, 744 admissions)"
    ),
    "Brown 2025 (MHO)": (
        "Brown S. Tracking the Step-Down Journey: Self-Reported Symptom Severity. Mental Health Outcomes, "
        "31 March 2025, "
        "https://mhoutcomes.com/self-reported-symptom-severity-tracking-the-step-down-journey/ "
        "(among step-downs admitted within 10 days of inpatient discharge: 47.7% the next day or after a "
        "1-day gap, 34.4% after 2-4 days; an outcomes vendor's analysis, not peer reviewed)"
    ),
}
"""Full citations of the sources the ranges come from, by the short name the table shows."""

MEASURES: Final[tuple[Measure, ...]] = (
    Measure(
        "completion_share_of_discharges",
        "completed / discharges",
        Unit.SHARE,
        _completion,
        0.38,
        0.68,
        "38% TEDS 2004 (SUD IOP); 68.1% Falabella et al. 2022 (stepped down to weekly care)",
    ),
    Measure(
        "dropout_share_of_discharges",
        "dropouts / discharges",
        Unit.SHARE,
        _dropout,
        0.165,
        0.23,
        "16.5% J Nerv Ment Dis 2020 (PHP); 23% TEDS 2004 (SUD IOP)",
    ),
    Measure(
        "mean_length_of_stay_days",
        "mean length of stay of discharges (calendar days)",
        Unit.DAYS,
        _mean_stay,
        38.0,
        46.0,
        "ASSUMPTION: band around mean 42 (Costa et al. 2020) and median 41 (TEDS 2004)",
    ),
    Measure(
        "attendance_share_of_held_days",
        "programme days attended / held (discharged stays)",
        Unit.SHARE,
        _attendance,
        0.90,
        0.93,
        "93% Psychiatr Serv PHP nonattendance (PHP); 90% lower end ASSUMPTION",
    ),
    Measure(
        "step_down_start_within_2_days_share",
        "step-downs admitted within 2 calendar days (of those within 10)",
        Unit.SHARE,
        _step_down_within(2),
        0.45,
        math.inf,
        "47.7% Brown 2025 (MHO)",
    ),
    Measure(
        "step_down_start_within_5_days_share",
        "step-downs admitted within 5 calendar days (of those within 10)",
        Unit.SHARE,
        _step_down_within(5),
        0.80,
        math.inf,
        "82.1% Brown 2025 (MHO)",
    ),
    Measure("no_start_share_of_admissions", "no-starts / admissions", Unit.SHARE, _no_starts),
    Measure(
        "dropout_share_with_no_starts",
        "dropouts and no-starts / discharges and no-starts",
        Unit.SHARE,
        _dropout_with_no_starts,
    ),
    Measure(
        "dropouts_within_14_days_share",
        "dropouts with a stay of 14 days or less / dropouts",
        Unit.SHARE,
        _dropouts_within_14_days,
    ),
    Measure("stays_over_60_days_share", "stays over 60 days / discharges", Unit.SHARE, _stays_over_60_days),
)
MEASURE_BY_NAME: Final = {m.name: m for m in MEASURES}


def measure_replication(episodes: Iterable[EpisodeLike], warmup_days: float = 0.0) -> dict[str, float]:
    """Every measure of one replication, from its episodes referred on or after the warm-up."""
    kept = [e for e in episodes if e.referred_day >= warmup_days]
    return {m.name: m.compute(kept) for m in MEASURES}


def simulate_measures(config: SimiopConfig, replications: int) -> list[dict[str, float]]:
    """Every measure of replications 0 to replications-1 of a config, simulated in memory (no files)."""
    warmup = config.simulation.warmup_days
    return [
        measure_replication(simulate(config, replication=r).episodes, warmup) for r in range(replications)
    ]


def run_folder_measures(out: Path, scenario: str, warmup_days: float) -> list[dict[str, float]]:
    """Every measure of each replication of one scenario of a result folder, read from its episodes.csv.

    The replications are the cell folders present (OUT/scenarios/<scenario>/rNNNN), in order.
    """
    cells = sorted((out / SCENARIOS_DIR / scenario).glob("r[0-9][0-9][0-9][0-9]"))
    return [measure_replication(read_episodes(cell / "episodes.csv"), warmup_days) for cell in cells]


class Inside(enum.Enum):
    """Where the 95% CI of the mean lies against the published range."""

    YES = "yes"
    PARTLY = "partly"
    NO = "no"
    NO_RANGE = "-"


def inside(summary: Summary, measure: Measure) -> Inside:
    """yes: the CI lies inside the range; partly: it overlaps it; no: it misses it.

    With fewer than 2 replications (no interval) the mean alone decides.
    """
    if measure.low is None or measure.high is None:
        return Inside.NO_RANGE
    low, high = summary.ci95_low, summary.ci95_high
    if not (math.isfinite(low) and math.isfinite(high)):
        low = high = summary.mean
    if math.isnan(low):
        return Inside.NO
    if measure.low <= low and high <= measure.high:
        return Inside.YES
    if high < measure.low or low > measure.high:
        return Inside.NO
    return Inside.PARTLY


@dataclass(frozen=True)
class Comparison:
    """One measure of one run: its summary across replications and where it lies against the range."""

    measure: Measure
    summary: Summary
    inside: Inside


def compare(replications: Sequence[dict[str, float]]) -> list[Comparison]:
    """Summarise each measure across replications (as returned by ``measure_replication``)."""
    comparisons = []
    for m in MEASURES:
        summary = summarise([values[m.name] for values in replications])
        comparisons.append(Comparison(m, summary, inside(summary, m)))
    return comparisons


def _format(value: float, unit: Unit) -> str:
    if math.isnan(value):
        return "n/a"
    return f"{value:.1%}" if unit is Unit.SHARE else f"{value:.1f}"


def format_summary(summary: Summary, unit: Unit) -> str:
    """Mean (95% CI low-high), in the measure's unit."""
    if summary.n < 2 or not math.isfinite(summary.ci95_low):
        return _format(summary.mean, unit)
    low, high = _format(summary.ci95_low, unit), _format(summary.ci95_high, unit)
    return f"{_format(summary.mean, unit)} ({low} to {high})"


def markdown_table(runs: Sequence[tuple[str, Sequence[Comparison]]]) -> str:
    """A markdown table: one row per measure, a mean (95% CI) and inside? column pair per named run."""
    header = ["measure", "published range"]
    for name, _ in runs:
        header += [f"{name}: mean (95% CI)", "inside?"]
    header.append("source")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for i, m in enumerate(MEASURES):
        cells = [m.label, m.range_text()]
        for _, comparisons in runs:
            comparison = comparisons[i]
            assert comparison.measure is m
            cells += [format_summary(comparison.summary, m.unit), comparison.inside.value]
        cells.append(m.source or "context, no published range")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def references_markdown() -> str:
    """The full citations behind the table's source column, as a markdown list."""
    return "".join(f"- **{name}**: {citation}\n" for name, citation in REFERENCES.items())
