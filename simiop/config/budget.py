"""The grant budget's assumptions: escalation, inflation, start-up before opening, indirect costs.

None of these change the simulation: they turn its results into the budget a
grant application asks for (``simiop budget DIR``, simiop/results/budget.py).
Fringe is not set here: it is each role's ``staff.roles.<role>.benefits_rate``,
the rate the results already charge. Every default is zero, so a config
without ``money.budget`` budgets exactly the costs the results report.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Literal

from pydantic import Field, model_validator

from simiop.config.base import Frozen, Name, rule_error

Share = Annotated[float, Field(ge=0, le=1)]
Months = Annotated[float, Field(ge=0, le=24)]
Amount = Annotated[float, Field(ge=0, le=1e8)]

IndirectBase = Literal["modified_total_direct_costs", "total_direct_costs", "salaries_and_wages"]
"""What an indirect-cost rate multiplies (2 CFR 200.1 defines MTDC; 2 CFR 200.414 lets the base vary)."""


class StartupCosts(Frozen):
    """Costs before opening: staff hired and trained ahead of the first day, and one-off items.

    They are budgeted in the fiscal year in which the clinic opens (grant year
    1), whichever month they are paid in, at that year's salaries.
    """

    salary_months_before_opening: dict[Name, Months] = Field(default_factory=dict)
    """Months of salary and fringe paid before opening, by role, for the role's people at opening (count x
    fte): hiring and training ahead of the first day (months)."""

    one_off_usd: dict[Name, Amount] = Field(default_factory=dict)
    """One-off purchases and fees before opening by name, e.g. furniture, EHR set-up, licensing (USD each);
    counted in the MTDC base (ASSUMPTION: supplies and services, no equipment or capital expenditure)."""


class IndirectCosts(Frozen):
    """An indirect (facilities and administrative) cost rate and the direct costs it applies to.

    A non-federal entity without a negotiated rate may charge up to 15% of
    modified total direct costs (2 CFR 200.414(f), from 1 October 2024; 10%
    before). MTDC (2 CFR 200.1) is all direct salaries and wages, fringe,
    materials and supplies, services and travel; it excludes equipment,
    capital expenditures, rental costs and patient-care charges, hence
    ``excluded_from_mtdc_usd_per_year`` for the rent inside
    money.fixed_costs_usd_per_year.
    """

    rate: Share = 0.0
    """Indirect costs as a share of the base (0.15: the de minimis rate of 2 CFR 200.414(f)); 0: none."""

    base: IndirectBase = "modified_total_direct_costs"
    """What the rate multiplies: modified_total_direct_costs (MTDC, 2 CFR 200.1), total_direct_costs, or
    salaries_and_wages (salaries without fringe)."""

    excluded_from_mtdc_usd_per_year: Annotated[float, Field(ge=0, le=1e9)] = 0.0
    """The part of money.fixed_costs_usd_per_year that MTDC excludes: rent, equipment, capital expenditure
    (USD/year, inflated like other costs); only with base modified_total_direct_costs."""

    @model_validator(mode="after")
    def _exclusion_needs_mtdc(self) -> IndirectCosts:
        if self.excluded_from_mtdc_usd_per_year and self.base != "modified_total_direct_costs":
            raise rule_error(
                "excluded_from_mtdc_usd_per_year",
                "an MTDC exclusion means nothing with another base",
                self.excluded_from_mtdc_usd_per_year,
                "0 or omit unless base is modified_total_direct_costs",
            )
        return self


class BudgetConfig(Frozen):
    """How the results become a grant budget: yearly rises, start-up before opening, indirect costs."""

    salary_escalation_per_year: Annotated[float, Field(ge=0, le=0.5)] = 0.0
    """Rise of every salary (and its fringe and per-diem cover) at the start of each fiscal year after the
    first, compounding (0.03 = 3%/year); the simulation itself pays opening-year salaries throughout."""

    other_cost_inflation_per_year: Annotated[float, Field(ge=0, le=0.5)] = 0.0
    """Rise of money.fixed_costs_usd_per_year at the start of each fiscal year after the first, compounding
    (0.03 = 3%/year). Payer rates are not inflated: revenue is what the run earned."""

    startup: StartupCosts = StartupCosts()
    """Costs before opening (pre-opening hiring and training, one-off items)."""

    indirect: IndirectCosts = IndirectCosts()
    """An optional indirect-cost rate and its base."""


def budget_references(
    budget: BudgetConfig, roles: Mapping[str, object]
) -> Iterator[tuple[str, str, str, str]]:
    """Start-up roles that staff.roles does not define, as (path, what, value, allowed)."""
    for role in budget.startup.salary_months_before_opening:
        if role not in roles:
            yield (
                f"money.budget.startup.salary_months_before_opening.{role}",
                "unknown staff role",
                role,
                ", ".join(sorted(roles)) or "none defined",
            )


def budget_warnings(budget: BudgetConfig, roles: Mapping[str, object]) -> Iterator[tuple[str, str, str, str]]:
    """Start-up months for a role with nobody at opening: they budget nothing, which a user would not expect.

    Start-up salary is for the role's people at opening (count x fte); a role
    staffed only by later hires (count 0) gets none, however many months are given.
    """
    for role, months in budget.startup.salary_months_before_opening.items():
        staff = roles.get(role)
        if months > 0 and getattr(staff, "count", 1) == 0:
            yield (
                f"money.budget.startup.salary_months_before_opening.{role}",
                "the role has nobody at opening (count 0), and start-up salary is for the people at opening, "
                "so these months budget nothing",
                f"{months:g}",
                "a role with count > 0, or 0",
            )
