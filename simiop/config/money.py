"""Money: per-diem revenue by payer and the costs that are not staff salaries."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from simiop.config.base import Frozen, Name, Probability, Rule, exact, rule_errors


class Payer(Frozen):
    """How one payer pays for an IOP day.

    Medicare pays a per diem with a higher rate for days with 4+ services and
    only for weeks meeting the 9-hour minimum (DOMAIN); commercial and Medicaid
    plans usually pay one per diem (HCPCS S9480).
    """

    per_diem_usd: Annotated[float, Field(ge=0, le=100_000)]
    """Payment for a billable day with fewer than 4 services (USD/day)."""

    per_diem_4plus_services_usd: Annotated[float, Field(ge=0, le=100_000)] | None = None
    """Payment for a billable day with 4 or more services (USD/day); omit when it equals per_diem_usd."""

    min_services_per_day: Annotated[int, Field(ge=1, le=12)] = 3
    """Services a patient must attend in a day for the day to be billable (services/day)."""

    min_weekly_hours: Annotated[float, Field(ge=0, le=40)] = 0.0
    """Service hours a patient-week must reach for its days to be billable (hours/week; Medicare: 9)."""

    collection_rate: Probability = 1.0
    """Share of billed revenue actually collected."""


class MoneyConfig(Frozen):
    """Revenue rules and the costs besides staff salaries (which live with staff.roles)."""

    payers: Annotated[dict[Name, Payer], Field(min_length=1)]
    """Payers by name (e.g. medicare, medicaid, commercial, self_pay)."""

    fixed_costs_usd_per_year: Annotated[float, Field(ge=0, le=1e9)] = 0.0
    """Rent, utilities, software and other costs not tied to staff (USD/year)."""

    fiscal_year_start_month: Annotated[int, Field(ge=1, le=12)] = 7
    """Month (1-12) in which the fiscal year starts, for projections."""

    @model_validator(mode="after")
    def _4plus_rate_not_below_basic(self) -> MoneyConfig:
        below: list[Rule] = [
            (
                f"payers.{name}.per_diem_4plus_services_usd",
                "the 4+ services rate is below the basic rate",
                payer.per_diem_4plus_services_usd,
                f">= per_diem_usd ({exact(payer.per_diem_usd)})",
            )
            for name, payer in self.payers.items()
            if payer.per_diem_4plus_services_usd is not None
            and payer.per_diem_4plus_services_usd < payer.per_diem_usd
        ]
        if below:
            raise rule_errors(below)  # every payer at once
        return self
