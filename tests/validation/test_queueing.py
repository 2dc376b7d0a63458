"""The reduced M/M/c clinic against Erlang C and Erlang B (configs/validation/mmc.yaml).

Each replication gives one estimate (its mean over the referrals after the
warm-up); the 95% t interval over replications must contain the analytic
value and be narrower than a stated bound, so that a wrong model cannot pass
by being vague.
"""

from __future__ import annotations

from simiop.config import load_config
from simiop.queueing import erlang_b, erlang_c, mmc_mean_wait
from simiop.results.stats import summarise
from tests.validation.conftest import MMC, Cells, report

CONFIG = load_config(MMC)
SEATS = CONFIG.tracks["programme"].seats
ARRIVALS_PER_DAY = CONFIG.referrals.sources["arrivals"].weekly_rate / 7.0
SERVICE_PER_DAY = 1.0 / (CONFIG.length_of_stay.planned_stay.mean * 7.0)
LOAD = ARRIVALS_PER_DAY / SERVICE_PER_DAY


def waits(cells: Cells, replication: int) -> list[float]:
    """Days from joining the wait list to admission, for admitted referrals after the warm-up."""
    return [
        float(row["admitted_day"]) - float(row["wait_list_day"])
        for row in cells.rows(replication, "episodes")
        if row["admitted_day"] and float(row["referred_day"]) >= cells.warmup_days
    ]


def test_the_reduced_clinic_is_the_queue_it_claims() -> None:
    assert (SEATS, ARRIVALS_PER_DAY, SERVICE_PER_DAY) == (5, 1.0, 1.0 / 3.5)
    assert 0.69 < LOAD / SEATS < 0.71


def test_mean_wait_for_a_seat_is_erlang_c(erlang_c_cells: Cells) -> None:
    expected = mmc_mean_wait(SEATS, ARRIVALS_PER_DAY, SERVICE_PER_DAY)
    per_replication = [sum(w) / len(w) for w in (waits(erlang_c_cells, r) for r in range(40))]
    summary = summarise(per_replication)
    report("M/M/5 mean wait for a seat, Wq = C(c,a)/(c mu - lambda)", expected, summary, " d")
    assert summary.ci95_low <= expected <= summary.ci95_high
    assert summary.half_width < 0.10 * expected


def test_probability_of_waiting_is_erlang_c(erlang_c_cells: Cells) -> None:
    expected = erlang_c(SEATS, LOAD)
    per_replication = [
        sum(1 for x in w if x > 1e-9) / len(w) for w in (waits(erlang_c_cells, r) for r in range(40))
    ]
    summary = summarise(per_replication)
    report("M/M/5 P(wait > 0) = C(c, a)", expected, summary)
    assert summary.ci95_low <= expected <= summary.ci95_high
    assert summary.half_width < 0.02


def test_mean_census_is_the_offered_load(erlang_c_cells: Cells) -> None:
    """Little's law on the seats: busy servers = lambda x mean stay = a, when nobody is lost."""
    summary = summarise(erlang_c_cells.kpis("census_mean_programme"))
    report("M/M/5 mean census = offered load a", LOAD, summary, " patients")
    assert summary.ci95_low <= LOAD <= summary.ci95_high
    assert summary.half_width < 0.05 * LOAD


def test_a_fixed_rate_source_gives_the_configured_count(erlang_c_cells: Cells) -> None:
    expected = ARRIVALS_PER_DAY * (CONFIG.simulation.horizon_days - CONFIG.simulation.warmup_days)
    summary = summarise(erlang_c_cells.kpis("referrals"))
    report("referrals after warm-up = weekly rate / 7 x days", expected, summary)
    assert summary.ci95_low <= expected <= summary.ci95_high
    assert summary.half_width < 0.02 * expected


def test_share_turned_away_is_erlang_b(erlang_b_cells: Cells) -> None:
    expected = erlang_b(SEATS, LOAD)
    shares = []
    for r in range(40):
        rows = [
            row
            for row in erlang_b_cells.rows(r, "episodes")
            if float(row["referred_day"]) >= erlang_b_cells.warmup_days
        ]
        shares.append(sum(1 for row in rows if row["end_state"] == "left_track_full") / len(rows))
    summary = summarise(shares)
    report("M/M/5/5 share turned away = B(c, a)", expected, summary)
    assert summary.ci95_low <= expected <= summary.ci95_high
    assert summary.half_width < 0.015
    census = summarise(erlang_b_cells.kpis("census_mean_programme"))
    report("M/M/5/5 mean census = a (1 - B)", LOAD * (1 - expected), census, " patients")
    assert census.ci95_low <= LOAD * (1 - expected) <= census.ci95_high


def test_formulas_against_textbook_values() -> None:
    """Erlang B and C against values quoted in the literature, so the reference itself is checked."""
    assert abs(erlang_b(5, 3.5) - 0.154112) < 1e-6
    assert abs(erlang_b(10, 7.0) - 0.078741) < 1e-6
    assert abs(erlang_c(2, 1.0) - 1.0 / 3.0) < 1e-12  # M/M/2 at rho = 0.5: C = 2 rho^2 / (1 + rho) = 1/3
    assert abs(erlang_c(1, 0.5) - 0.5) < 1e-12  # M/M/1: P(wait) = rho
