"""Money: each payer's billing rules as data, and the costs that are not staff salaries.

The rules follow what payers actually do (sources in docs/model.md, "Money"):
a payer pays a per diem for an attended programme day that qualifies by the
services furnished that day (Medicare: 3 services, a higher rate for 4+) and
optionally by the hours attended that day. A weekly hours figure is either
nothing, a plan-of-care need checked against the track's *scheduled* hours
(Medicare's 9 h/week: a physician certifies the need; it is not a claim edit),
or, only where a payer is configured so, a claim edit on the patient's billing
hours that week (the track's programme hours on a day the patient's group
ran, plus counted individual, family and prescriber sessions; not the minutes of
service received). Prescriber visits are professional services, billed with
their own fee where the payer pays them separately, and then never counted
toward the per-diem service count.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from simiop.config.base import FromList, Frozen, Name, Probability, Rule, exact, rule_error, rule_errors
from simiop.config.budget import BudgetConfig
from simiop.config.distributions import DurationDistribution

Usd = Annotated[float, Field(ge=0, le=100_000)]
"""An amount of money per unit (USD)."""

WeeklyKind = Literal["none", "plan_of_care", "claim_edit"]
CountedService = Literal["individual_therapy", "family", "prescriber"]


def counted_by_default(*, bundled: bool) -> tuple[CountedService, ...]:
    """A payer's services_counted when its config leaves it out: individual therapy and family sessions,
    and prescriber visits when the per diem includes them (``bundled``: no professional_fees)."""
    return ("individual_therapy", "family", "prescriber") if bundled else ("individual_therapy", "family")


class WeeklyRequirement(Frozen):
    """What a payer asks of a week of programme hours.

    ``none``: nothing. ``plan_of_care``: the plan of care must state a need for
    ``hours`` a week (Medicare: 9 h, certified by a physician at least every
    other month); checked on each track's *scheduled* programme hours by
    ``simiop validate`` (a warning), never a reason to refuse a day.
    ``claim_edit``: days of a calendar week in which the patient has fewer
    than ``hours`` billing hours (the track's programme hours on a day the
    patient's group ran, plus counted individual, family and prescriber sessions) are
    refused (reason ``claim_edit_week``);
    use only for a payer known to enforce it (no Medicare rule does: CMS
    rescinded its PHP weekly-hours edit, SE1607, in 2017).
    """

    kind: WeeklyKind = "none"
    """none | plan_of_care (scheduled hours, warns) | claim_edit (billing hours: the track's programme
    hours on a day the patient's group ran, plus counted individual, family and prescriber sessions;
    refuses days)."""

    hours: Annotated[float, Field(ge=0, le=60)] = 0.0
    """Weekly hours the requirement asks for (hours/week; Medicare: 9); 0 or omitted when kind is none."""

    @model_validator(mode="after")
    def _hours_when_checked(self) -> WeeklyRequirement:
        if self.kind != "none" and self.hours <= 0:
            raise rule_error("hours", f"a {self.kind} requirement needs its weekly hours", self.hours, "> 0")
        if self.kind == "none" and self.hours != 0:
            # Hours with no requirement would be ignored: a user who wrote them meant some check.
            raise rule_error(
                "hours",
                "weekly hours mean nothing with no weekly requirement",
                self.hours,
                "0 or omit when kind is none",
            )
        return self


class ProfessionalFees(Frozen):
    """Fees for prescriber visits billed apart from the facility per diem (a professional claim)."""

    prescriber_initial_usd: Usd
    """Fee for a first prescriber visit (psychiatric evaluation) (USD/visit)."""

    prescriber_follow_up_usd: Usd
    """Fee for a follow-up prescriber visit (medication management) (USD/visit)."""


class Authorization(Frozen):
    """Prior authorization at admission and concurrent review to continue (commercial plans, Medicaid).

    At admission the payer authorizes ``initial_days``; when they are used up,
    a concurrent review at the start of the next programme day approves
    ``days_per_approval`` more with ``approval_probability`` (its own random
    stream, drawn only when a review is due). A denied review either ends the
    stay as ``administrative`` or lets the patient continue with no day
    billed (reason ``review_denied``).
    """

    unit: Literal["attended_days", "calendar_days"] = "attended_days"
    """What the authorized days count: programme days attended (units billed) or calendar days since
    admission."""

    initial_days: Annotated[int, Field(ge=1, le=1000)]
    """Days authorized at admission (days)."""

    days_per_approval: Annotated[int, Field(ge=1, le=1000)]
    """Days each approved concurrent review adds; a review is due when the authorized days run out (days)."""

    approval_probability: Probability
    """Chance that a concurrent review approves more days."""

    on_denial: Literal["administrative_discharge", "continue_unbilled"] = "administrative_discharge"
    """What a denied review does: discharge the patient as administrative that day, or keep treating them
    with no further day billed."""


class Payer(Frozen):
    """How one payer pays for an IOP day: per-diem rates, which days qualify, professional fees."""

    per_diem_usd: Usd
    """Per diem for a qualifying day with fewer than 4 services (USD/day); Medicare: the 3-service APC."""

    per_diem_4plus_services_usd: Usd | None = None
    """Per diem for a qualifying day with 4 or more services (USD/day); omit when the payer has one rate."""

    min_services_per_day: Annotated[int, Field(ge=0, le=12)] = 3
    """Services furnished that day for the day to qualify (services/day). A group session is one service;
    individual, family and prescriber sessions count only when listed in services_counted."""

    min_hours_per_day: Annotated[float, Field(ge=0, le=24)] = 0.0
    """Billing hours that day for the day to qualify (hours/day; 0: no minimum). Billing hours: the
    track's programme hours on a day the patient's group ran, plus counted individual, family and
    prescriber sessions (not the minutes of service received)."""

    weekly_requirement: WeeklyRequirement = WeeklyRequirement()
    """The payer's weekly hours rule: none, a plan-of-care need (scheduled hours) or a claim edit."""

    services_counted: Annotated[tuple[CountedService, ...], FromList] | None = None
    """Sessions besides groups that count as services of the programme day for this payer. A prescriber
    visit billed as a professional service (professional_fees) cannot also count. Left out (null), it
    follows professional_fees (``counted``): individual_therapy and family, and prescriber too when the
    payer has no professional_fees: its per diem then pays for the prescriber visit as one of the day's
    services ("psychotherapy services (individual, family and group) and pharmacologic management
    services completed by any provider type are included in the facility per diem payment", BCBS North
    Dakota reimbursement policy "Psychiatric and Substance Use Services Guidelines"), so a visit that
    takes the patient out of a group does not leave the day short of services."""

    professional_fees: ProfessionalFees | None = None
    """Prescriber visits billed separately at these fees; omit when the per diem includes them."""

    deductible_usd_per_year: Usd = 0.0
    """Deductible each patient pays first, per calendar year, before the payer shares the cost (USD/year;
    Medicare Part B: $283 in 2026). Only this programme's charges count toward it."""

    coinsurance: Probability = 0.0
    """Patient's share of each charge after the deductible (Medicare Part B: 0.20; self-pay: 1)."""

    authorization: Authorization | None = None
    """Prior authorization and concurrent review; omit for a payer that needs none (fee-for-service
    Medicare: the physician's certification is enough)."""

    payment_lag_days: DurationDistribution | None = None
    """Days from the date of service to the cash (claim cycle and payer processing), one draw per billed
    day from the stream money.payment_lag.<payer>; omit for cash on the day of service (days)."""

    collection_rate: Probability = 1.0
    """Share of the patient's part (deductible and coinsurance) the clinic actually collects; the payer's
    part is always paid."""

    @property
    def counted(self) -> tuple[CountedService, ...]:
        """The sessions that count as services of the day: ``services_counted`` as given, or, left out,
        the default that follows ``professional_fees`` (worked out here, not stored, so a config changed
        after it was read, by ``--set``, an experiment or ``api.with_changes``, follows its fees alike)."""
        if self.services_counted is not None:
            return self.services_counted
        return counted_by_default(bundled=self.professional_fees is None)

    @model_validator(mode="after")
    def _rules_consistent(self) -> Payer:
        broken: list[Rule] = []  # every rule at once; pydantic gathers those of every payer
        rate_4plus = self.per_diem_4plus_services_usd
        if rate_4plus is not None and rate_4plus < self.per_diem_usd:
            broken.append(
                (
                    "per_diem_4plus_services_usd",
                    "the 4+ services rate is below the basic rate",
                    rate_4plus,
                    f">= per_diem_usd ({exact(self.per_diem_usd)})",
                )
            )
        given = self.services_counted or ()  # left out: ``counted`` follows the fees, always consistent
        if len(set(given)) != len(given):
            broken.append(("services_counted", "a service is listed twice", list(given), "each once"))
        if self.professional_fees is not None and "prescriber" in given:
            broken.append(
                (
                    "services_counted",
                    "a prescriber visit billed as a professional service cannot also count toward the "
                    "per diem",
                    list(given),
                    "leave prescriber out, or omit professional_fees",
                )
            )
        if broken:
            raise rule_errors(broken)
        return self


class MoneyConfig(Frozen):
    """Revenue rules and the costs besides staff salaries (which live with staff.roles)."""

    payers: Annotated[dict[Name, Payer], Field(min_length=1)]
    """Payers by name (e.g. medicare, medicaid, commercial, self_pay)."""

    fixed_costs_usd_per_year: Annotated[float, Field(ge=0, le=1e9)] = 0.0
    """Rent, utilities, software and other costs not tied to staff (USD/year)."""

    fiscal_year_start_month: Annotated[int, Field(ge=1, le=12)] = 7
    """Month (1-12) in which the fiscal year starts, for projections."""

    budget: BudgetConfig = BudgetConfig()
    """Grant-budget assumptions (escalation, inflation, start-up, indirect costs); no effect on the run."""

    @model_validator(mode="after")
    def _mtdc_exclusion_within_fixed_costs(self) -> MoneyConfig:
        excluded = self.budget.indirect.excluded_from_mtdc_usd_per_year
        if excluded > self.fixed_costs_usd_per_year:
            raise rule_error(
                "budget.indirect.excluded_from_mtdc_usd_per_year",
                "more than the fixed costs it is part of",
                excluded,
                f"<= fixed_costs_usd_per_year ({exact(self.fixed_costs_usd_per_year)})",
            )
        return self
