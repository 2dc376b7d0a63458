"""Billing rules on hand-made records: Medicare's 3 vs 4+ services rates and its 9 h/week minimum."""

from __future__ import annotations

import pytest

from simiop.config import load_config
from simiop.model.money import bill, totals
from simiop.model.records import Episode, PatientDay, Records
from tests.conftest import BASELINE


def episode(episode_id: int, payer: str) -> Episode:
    return Episode(
        episode_id=episode_id,
        patient_id=episode_id,
        source="step_down",
        source_kind="step_down",
        track_preference="day",
        payer=payer,
        acuity="standard",
        referred_day=0.0,
    )


def test_medicare_rates_and_weekly_minimum() -> None:
    config = load_config(BASELINE)
    medicare = config.money.payers["medicare"]
    commercial = config.money.payers["commercial"]
    records = Records(seed=0, replication=0, horizon_days=21.0)
    records.episodes = [episode(0, "medicare"), episode(1, "medicare"), episode(2, "commercial")]
    records.patient_days = [
        # Medicare patient 0, week 0: 3 + 4 + 2 services, 2.5 + 3.33 + 4 = 9.83 h >= 9: days 1 and 2 bill.
        PatientDay(0, 0, 0, 3, 2.5),
        PatientDay(0, 1, 0, 4, 10 / 3),
        PatientDay(0, 2, 0, 2, 4.0),  # only 2 services: never billable
        # Medicare patient 1, week 1: 8.5 h < 9, so no day of that week bills, however many services.
        PatientDay(1, 7, 1, 4, 4.25),
        PatientDay(1, 8, 1, 3, 4.25),
        # Commercial: no weekly minimum; 3+ services bill the one per diem.
        PatientDay(2, 7, 1, 4, 3.0),
        PatientDay(2, 8, 1, 3, 2.5),
    ]
    bill(config, records)
    assert [row.billable for row in records.patient_days] == [True, True, False, False, False, True, True]
    assert [row.four_plus for row in records.patient_days] == [False, True, False, False, False, False, False]
    assert medicare.per_diem_4plus_services_usd is not None
    assert records.episodes[0].revenue_usd == pytest.approx(
        medicare.per_diem_usd + medicare.per_diem_4plus_services_usd
    )
    assert records.episodes[1].revenue_usd == 0.0
    assert records.episodes[2].revenue_usd == pytest.approx(2 * commercial.per_diem_usd)
    result = totals(config, records)
    assert result.billable_days == 4
    assert result.billable_days_4plus == 1
    assert result.patient_weeks == 3
    assert result.patient_weeks_meeting_9h == 1
    assert result.revenue_by_payer_usd["medicare"] == pytest.approx(records.episodes[0].revenue_usd)
    after_warmup = totals(config, records, from_day=7.0)
    assert after_warmup.billable_days == 2
    assert after_warmup.fixed_cost_usd == pytest.approx(config.money.fixed_costs_usd_per_year * 14 / 365.25)
