"""simiop.calibrate: every fitter on tiny hand-made or numpy-drawn data with a known answer."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from simiop.calibrate.adjust import absence_hazards, expected_denials, mean_multiplier
from simiop.calibrate.attendance import fit_attendance
from simiop.calibrate.extract import DischargeType, Episode, Extract
from simiop.calibrate.fits import poisson_rate_interval, wilson
from simiop.calibrate.fragment import merge
from simiop.calibrate.intake import fit_intake
from simiop.calibrate.readmission import fit_readmission
from simiop.calibrate.referrals import fit_referrals, rate_per_day, weekly_counts
from simiop.calibrate.stay import fit_stay, person_weeks, stays
from simiop.config import load_config
from simiop.config.loader import read_config_data, validate_config
from simiop.config.referrals import RampUp, ReferralSource, Seasonality
from simiop.model.referrals import rate_per_day as model_rate_per_day
from tests.conftest import BASELINE

OPENING = dt.date(2027, 1, 4)


def episode(row: int, referred: dt.date, **fields: object) -> Episode:
    values: dict[str, object] = {
        "patient": f"P{row}",
        "source": "step_down",
        "payer": None,
        "assessed": None,
        "outcome": None,
        "admitted": None,
        "track": None,
        "discharged": None,
        "discharge_type": None,
        "scheduled": None,
        "attended": None,
    }
    values.update(fields)
    return Episode(row=row, referred=referred, **values)  # type: ignore[arg-type]


def day(offset: float) -> dt.date:
    return OPENING + dt.timedelta(days=int(offset))


# -- shared statistics -------------------------------------------------------------------------------


def test_wilson_known_values() -> None:
    # Wilson 1927 / Brown, Cai, DasGupta 2001: 5 of 10 -> 0.2366 to 0.7634; 0 of 10 -> 0 to 0.2775
    assert wilson(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert wilson(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)


def test_garwood_known_values() -> None:
    # exact Poisson 95% limits for 10 events: 4.795 to 18.39 (Garwood 1936 tables)
    assert poisson_rate_interval(10, 1.0) == pytest.approx((4.795, 18.39), abs=1e-2)
    assert poisson_rate_interval(10, 2.0) == pytest.approx((4.795 / 2, 18.39 / 2), abs=1e-2)


def test_merge_merges_mappings_and_replaces_the_rest() -> None:
    base = {"a": {"b": 1, "c": {"d": 2}}, "e": [1, 2]}
    merged = merge(base, {"a": {"c": None, "f": 3}, "e": [3]})
    assert merged == {"a": {"b": 1, "c": None, "f": 3}, "e": [3]}
    assert base == {"a": {"b": 1, "c": {"d": 2}}, "e": [1, 2]}  # not changed


def test_a_fitted_distribution_replaces_the_bases_of_another_family() -> None:
    """A binomial attendance (fixed propensity) or an exponential stay keeps none of the base's beta or
    gamma parameters, so the calibrated config validates (it did not: 'mean: unknown key')."""
    fragment = {
        "attendance": {"propensity": {"dist": "fixed", "value": 0.8}},
        "length_of_stay": {"planned_stay": {"dist": "exponential", "mean": 5.0}},
    }
    merged = merge(read_config_data(BASELINE), fragment)
    assert merged["attendance"]["propensity"] == {"dist": "fixed", "value": 0.8}
    assert merged["length_of_stay"]["planned_stay"] == {"dist": "exponential", "mean": 5.0}
    validate_config(merged, "baseline + fragment")


# -- referrals ---------------------------------------------------------------------------------------


def test_rate_matches_the_simulators() -> None:
    source = ReferralSource(
        kind="community",
        weekly_rate=3.5,
        ramp_up=RampUp(initial_fraction=0.2, weeks_to_full=30),
        seasonality=Seasonality(amplitude=0.3, peak_day_of_year=200),
        track_preference={"either": 1.0},
        payer_mix={"medicaid": 1.0},
    )
    days = np.arange(0.0, 800.0, 3.7)
    day_of_year = np.array([(day(t) - dt.date(day(t).year, 1, 1)).days + 1.0 for t in days])
    ours = rate_per_day(days, day_of_year, 3.5, (0.2, 30.0), (0.3, 200.0))
    assert ours == pytest.approx(model_rate_per_day(source, days, day_of_year))


def _poisson_referrals(rate: float, amplitude: float, years: int, seed: int) -> Extract:
    """Referrals of source step_down with a seasonal rate (peak on day 100), drawn day by day."""
    rng = np.random.default_rng(seed)
    episodes: list[Episode] = []
    total = 365 * years
    for offset in range(total):
        date = day(offset)
        doy = (date - dt.date(date.year, 1, 1)).days + 1
        mean = rate / 7 * (1 + amplitude * math.cos(2 * math.pi * (doy - 100) / 365.25))
        episodes += [episode(len(episodes), date) for _ in range(rng.poisson(mean))]
    return Extract("test", tuple(episodes), day(total - 1))


def test_constant_rate_is_recovered_and_chosen() -> None:
    extract = _poisson_referrals(6.0, 0.0, 3, seed=1)
    part, fits = fit_referrals(extract, OPENING, ["step_down"])
    rate = next(e for e in part.estimates if e.path.endswith("weekly_rate"))
    assert rate.low < 6.0 < rate.high
    assert fits[0].chosen in ("constant", "ramp_up")  # a ramp-up may reach full at once
    assert 0.7 < fits[0].dispersion < 1.3  # Poisson counts: dispersion near 1


def test_seasonality_is_detected_with_three_years() -> None:
    part, fits = fit_referrals(_poisson_referrals(10.0, 0.4, 3, seed=2), OPENING, ["step_down"])
    assert "seasonal" in fits[0].chosen
    amplitude = next(e for e in part.estimates if e.path.endswith("seasonality.amplitude"))
    peak = next(e for e in part.estimates if e.path.endswith("peak_day_of_year"))
    assert amplitude.low < 0.4 < amplitude.high
    assert peak.low < 100 < peak.high


def test_seasonality_under_two_years_is_flagged_not_chosen() -> None:
    part, fits = fit_referrals(_poisson_referrals(10.0, 0.4, 1, seed=3), OPENING, ["step_down"])
    assert "seasonal" not in fits[0].chosen
    assert any("not identifiable" in note for note in part.notes)
    assert part.fragment["step_down"]["seasonality"] is None  # type: ignore[index]


def test_a_wrong_seasonality_is_detected() -> None:
    """A config that puts the peak in autumn (day 290) when the data peak in spring (day 100): the fitted
    peak's interval excludes the config's, and the config's season fits far worse than the fitted one."""
    extract = _poisson_referrals(10.0, 0.4, 3, seed=4)
    part, fits = fit_referrals(extract, OPENING, ["step_down"])
    peak = next(e for e in part.estimates if e.path.endswith("peak_day_of_year"))
    assert not peak.low < 290 < peak.high
    data = fits[0].data
    observed = data.counts

    def log_likelihood(season: tuple[float, float]) -> float:
        daily = rate_per_day(data.days, data.day_of_year, 10.0, None, season)
        means = np.bincount(data.week, weights=daily)
        return float(np.sum(observed * np.log(means) - means))

    assert log_likelihood((0.4, 290.0)) < log_likelihood((0.4, 100.0)) - 10


def test_no_season_gives_an_amplitude_interval_near_zero() -> None:
    part, _ = fit_referrals(_poisson_referrals(8.0, 0.0, 3, seed=4), OPENING, ["step_down"])
    seasonal = next(c for c in part.candidates if c.model == "seasonal")
    assert seasonal.parameters["seasonality.amplitude"] < 0.15


def test_weekly_counts_add_up() -> None:
    dates = [day(0), day(6), day(7), day(20)]
    counts = weekly_counts(dates, OPENING, OPENING, day(20))
    assert list(counts.counts) == [2, 1, 1]


# -- intake ------------------------------------------------------------------------------------------


def test_intake_shares_are_counts_over_assessed() -> None:
    outcomes = ["admit"] * 6 + ["decline"] * 2 + ["redirect_outpatient"] * 2
    episodes = [episode(i, day(i), assessed=day(i + 1), outcome=name) for i, name in enumerate(outcomes)]
    episodes.append(episode(99, day(1)))  # never assessed: not in the shares
    part = fit_intake(Extract("t", tuple(episodes), day(40)), ["step_down"], [])
    values = {e.path: e for e in part.estimates}
    assert values["intake.outcomes.admit"].value == pytest.approx(0.6)
    assert (values["intake.outcomes.admit"].low, values["intake.outcomes.admit"].high) == wilson(6, 10)
    assert part.fragment["outcomes"] == {
        "admit": 0.6,
        "redirect_step_up": 0.0,
        "redirect_outpatient": 0.2,
        "decline": 0.2,
    }
    assert any("10 of 11 referrals assessed" in note for note in part.notes)


def test_each_source_s_listed_aic_agrees_with_the_pooled_or_own_choice() -> None:
    # step_down's shares differ from the rest (own wins); community's match them (pooled wins). The
    # pooled candidate estimates nothing of its own (k = 0), the own one k = outcomes seen - 1: fits.csv's
    # AIC must rank them as the choice did (it listed k = 4 for both before).
    plan = {
        "step_down": ["admit"] * 2 + ["decline"] * 18,
        "community": ["admit"] * 60 + ["decline"] * 20 + ["redirect_outpatient"] * 20,
        "step_up": ["admit"] * 60 + ["decline"] * 20 + ["redirect_outpatient"] * 20,
    }
    episodes = [
        episode(i, day(i % 300), assessed=day(i % 300 + 1), outcome=name, source=source)
        for i, (source, name) in enumerate((s, n) for s, names in plan.items() for n in names)
    ]
    part = fit_intake(Extract("t", tuple(episodes), day(400)), list(plan), [])
    for source, own_wins in (("step_down", True), ("community", False)):
        rows = {c.model: c for c in part.candidates if c.part == f"intake.outcomes_by_source.{source}"}
        assert rows["pooled"].k == 0
        assert rows["own"].k == (1 if source == "step_down" else 2)
        assert rows["own"].chosen is own_wins
        assert rows["pooled"].chosen is not own_wins
        chosen, other = (rows["own"], rows["pooled"]) if own_wins else (rows["pooled"], rows["own"])
        assert chosen.aic < other.aic


# -- stays -------------------------------------------------------------------------------------------


def _stays(seed: int, n: int, follow_days: int | None) -> Extract:
    """Admissions over a year; planned stay gamma(mean 8 weeks, sd 2); step-up hazard 3%/week competes."""
    rng = np.random.default_rng(seed)
    episodes = []
    end = 365 + (follow_days if follow_days is not None else 10_000)
    for index in range(n):
        admitted = float(rng.uniform(0, 365))
        planned = rng.gamma(16.0, 0.5) * 7  # mean 8 weeks, sd 2
        step_up = rng.exponential(7 / 0.03)
        length = min(planned, step_up)
        kind: DischargeType = "completed" if planned <= step_up else "step_up"
        if admitted + length >= end:
            episodes.append(episode(index, day(admitted), admitted=day(admitted)))
        else:
            episodes.append(
                episode(
                    index,
                    day(admitted),
                    admitted=day(admitted),
                    discharged=day(admitted + length),
                    discharge_type=kind,
                )
            )
    return Extract("t", tuple(episodes), day(end - 1))


def test_censoring_aware_stay_is_unbiased_where_the_naive_mean_is_not() -> None:
    extract = _stays(seed=5, n=600, follow_days=0)  # data taken at the end of the admission year
    part, fit = fit_stay(extract)
    assert fit is not None
    mean = next(e for e in part.estimates if e.path == "length_of_stay.planned_stay.mean")
    assert mean.low < 8.0 < mean.high
    completed = [
        (e.discharged - e.admitted).days / 7  # type: ignore[operator]
        for e in extract.episodes
        if e.discharge_type == "completed"
    ]
    naive = float(np.mean(completed))
    assert naive < mean.low  # completions seen so far are the short ones
    hazard = next(e for e in part.estimates if e.path == "length_of_stay.step_up_weekly_hazard")
    assert hazard.low < 0.03 < hazard.high


def test_person_weeks_known_answer() -> None:
    extract = Extract(
        "t",
        (
            episode(0, day(0), admitted=day(0), discharged=day(14), discharge_type="dropout"),  # 2 weeks
            episode(1, day(0), admitted=day(0), discharged=day(7 * 5), discharge_type="completed"),
            episode(2, day(30), admitted=day(30)),  # open: 3 days + the as-of day = 4 days
        ),
        day(33),
    )
    data = stays(extract)
    assert list(data.weeks) == pytest.approx([2.0, 5.0, 4 / 7])
    events, exposure = person_weeks(data, "dropout", 3)
    assert list(events) == [0, 0, 1]  # at exactly 2 weeks: the start of week 3
    assert list(exposure) == pytest.approx([1 + 1 + 4 / 7, 2, 3])


# -- attendance --------------------------------------------------------------------------------------


def test_beta_binomial_recovers_mean_and_concentration() -> None:
    rng = np.random.default_rng(6)
    propensity = rng.beta(0.8 * 8, 0.2 * 8, 800)
    scheduled = rng.integers(10, 40, 800)
    attended = rng.binomial(scheduled, propensity)
    episodes = [
        episode(
            i,
            day(0),
            admitted=day(0),
            discharged=day(60),
            discharge_type="completed",
            scheduled=int(s),
            attended=int(a),
        )
        for i, (s, a) in enumerate(zip(scheduled, attended, strict=True))
        if a > 0
    ]
    episodes.append(
        episode(
            9999,
            day(0),
            admitted=day(0),
            discharged=day(5),
            discharge_type="no_start",
            scheduled=3,
            attended=0,
        )
    )
    part = fit_attendance(Extract("t", tuple(episodes), day(90)))
    values = {e.path: e for e in part.estimates}
    assert values["attendance.propensity.mean"].low < 0.8 < values["attendance.propensity.mean"].high
    assert (
        values["attendance.propensity.concentration"].low
        < 8
        < values["attendance.propensity.concentration"].high
    )
    assert values["attendance.no_start_probability"].value == pytest.approx(1 / len(episodes))
    assert next(c for c in part.candidates if c.chosen).model == "beta_binomial"


# -- readmission -------------------------------------------------------------------------------------


def test_cure_model_allows_for_short_follow_up() -> None:
    """p = 0.3, delay lognormal mean 60 sd 40 days; discharges over a year, data taken at its end."""
    rng = np.random.default_rng(7)
    sigma2 = math.log(1 + (40 / 60) ** 2)
    episodes = []
    for index in range(1500):
        discharged = float(rng.uniform(0, 365))
        patient = f"P{index}"
        episodes.append(
            episode(
                index,
                day(discharged - 50),
                patient=patient,
                admitted=day(discharged - 40),
                discharged=day(discharged),
                discharge_type="completed",
            )
        )
        if rng.random() < 0.3:
            delay = rng.lognormal(math.log(60) - sigma2 / 2, math.sqrt(sigma2))
            if discharged + delay < 365:
                episodes.append(
                    episode(10_000 + index, day(discharged + delay), patient=patient, source="readmission")
                )
    part = fit_readmission(Extract("t", tuple(episodes), day(364)))
    values = {e.path: e for e in part.estimates}
    probability = values["discharge.completed.probability"]
    assert probability.low < 0.3 < probability.high
    assert (
        values["discharge.completed.delay_days.mean"].low
        < 60
        < values["discharge.completed.delay_days.mean"].high
    )
    naive = next(c for c in part.candidates if c.model == "naive_share").parameters["probability"]
    assert naive < probability.low  # returns not yet seen make the naive share too low


# -- adjustments for the base config's own effects ---------------------------------------------------


def test_mean_acuity_multiplier_of_the_admitted_mix() -> None:
    base = load_config(BASELINE)
    admitted = Extract("t", (episode(0, day(0), admitted=day(1), source="step_down"),), day(10))
    # step_down: acuity_mix standard 0.5, high 0.5; high's step-up multiplier 2
    assert mean_multiplier(base, admitted, "step_up_hazard_multiplier") == pytest.approx(1.5)
    # among step-ups, high acuity is tilted by its doubled hazard: (0.5*1*1 + 0.5*2*1.5) / 1.5
    assert mean_multiplier(
        base, admitted, "readmission_multiplier", "step_up_hazard_multiplier"
    ) == pytest.approx((0.5 + 1.5) / 1.5)


def test_run_of_absences_hazard_known_cases() -> None:
    never_misses = absence_hazards(0.999999, 1e4, 3, 4.0)
    assert never_misses.max() < 1e-3
    often_misses = absence_hazards(0.5, 1e4, 3, 4.0)
    # p = 0.5 every day, 4 days a week: in week 1 only attend-miss-miss-miss (1/16) ends a stay that
    # had started, among the 7/8 who did not miss their first three days (a no-start): 1/14
    assert often_misses[0] == pytest.approx(1 / 14, abs=0.01)
    assert often_misses[1] > often_misses[0]


def test_expected_authorization_denials_known_answer() -> None:
    """Baseline payers: commercial reviews after 10 attended days and every 10 more (approval 0.9);
    medicaid after 30 calendar days and every 30 more (approval 0.9); medicare has no authorization."""
    base = load_config(BASELINE)
    extract = Extract(
        "t",
        (
            # commercial, 25 attended days: reviews at 10 and 20 -> 2 x 0.1
            episode(
                0,
                day(0),
                admitted=day(0),
                discharged=day(60),
                discharge_type="completed",
                payer="commercial",
                scheduled=28,
                attended=25,
                track="day",
            ),
            # medicaid, 65 calendar days: reviews at 30 and 60 -> 2 x 0.1
            episode(
                1,
                day(0),
                admitted=day(0),
                discharged=day(65),
                discharge_type="completed",
                payer="medicaid",
                track="day",
            ),
            # medicare: none; commercial with 9 attended days: none
            episode(
                2, day(0), admitted=day(0), discharged=day(65), discharge_type="completed", payer="medicare"
            ),
            episode(
                3,
                day(0),
                admitted=day(0),
                discharged=day(20),
                discharge_type="dropout",
                payer="commercial",
                scheduled=12,
                attended=9,
            ),
        ),
        day(100),
    )
    assert expected_denials(base, extract, 0.9) == pytest.approx(0.4)
