"""Where patients come from: referral sources, their volume and their mix."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from simiop.config.base import Frozen, Name, Probability, rule_error, shares_sum_to_one
from simiop.config.distributions import DurationDistribution

SourceKind = Literal["step_down", "step_up", "community", "emergency_department"]
TrackPreference = Literal["day", "evening", "either"]


class RampUp(Frozen):
    """A new clinic is not known yet: referral volume grows linearly to full over some weeks."""

    initial_fraction: Probability
    """Referral rate at opening (day 0) as a share of the full weekly rate (0 to 1); the rate then rises
    linearly to the full rate at weeks_to_full (so the first week receives a little more than this share)."""

    weeks_to_full: Annotated[float, Field(ge=0, le=520)]
    """Weeks after opening at which the full weekly rate is reached."""


class Seasonality(Frozen):
    """Referral volume that swings over the year: rate x (1 + amplitude x cos(2 pi (day - peak) / 365.25))."""

    amplitude: Annotated[float, Field(ge=0, lt=1)]
    """Relative swing around the mean rate, 0 (none) to below 1."""

    peak_day_of_year: Annotated[int, Field(ge=1, le=366)]
    """Day of the year (1 = 1 January) on which referrals peak."""


Shares = Annotated[dict[Name, Probability], Field(min_length=1), AfterValidator(shares_sum_to_one)]
TrackShares = Annotated[
    dict[TrackPreference, Probability], Field(min_length=1), AfterValidator(shares_sum_to_one)
]


class WarmHandoff(Frozen):
    """Referrals assessed and accepted by the referring unit before its discharge: no walk-in intake.

    Why: a post-discharge appointment made before the patient leaves raises the chance they get to
    outpatient care (Smith et al., J Clin Psychiatry 2020;81(5):20m13344; inpatient staff made one for
    79.8% of discharges: Smith et al., Psychiatr Serv 2021;72(5):498-506, doi:10.1176/appi.ps.202000021).
    The referral's time is taken as the inpatient discharge.
    """

    share: Probability
    """Share of this source's contacted referrals handed off warm; the rest go through intake (ASSUMPTION;
    the 79.8% above, appointments of any kind, is an upper bound)."""

    ready_after_days: DurationDistribution | None = None
    """Days from referral (the inpatient discharge) until the patient can start, drawn per hand-off; omit
    for at once (ASSUMPTION: tune it to the step-down start KPIs, e.g. a vendor analysis's 47.7% within 2
    calendar days and 82% within 5, which is weak evidence)."""

    show_probability: Probability = 1.0
    """Probability the patient arrives for the arranged start; the rest end no_show_at_intake when they
    would have joined the wait list (ASSUMPTION)."""

    admit_within_days: Annotated[float, Field(gt=0, le=60)] | None = None
    """Days after referral by which the patient must have a seat; if not, the hand-off lapses and the
    referral goes through the walk-in intake. Omit to wait on the wait list under its own patience."""


class ReferralSource(Frozen):
    """One referral stream, a Poisson process whose rate can ramp up and follow the seasons."""

    kind: SourceKind
    """step_down (from inpatient/residential/PHP), step_up (from outpatient), community, or
    emergency_department."""

    weekly_rate: Annotated[float, Field(ge=0, le=10_000)]
    """Mean referrals per week once the clinic is fully known (referrals/week)."""

    ramp_up: RampUp | None = None
    """Growth of volume after opening; omit for full volume from day 0."""

    seasonality: Seasonality | None = None
    """Yearly swing in volume; omit for none."""

    contact_probability: Probability = 1.0
    """Share of referrals the clinic reaches: booked for intake, or put on a wait list for a
    direct_admission source; the rest are lost before contact. Readmissions are always reached."""

    direct_admission: bool = False
    """true: referrals arrive already assessed and accepted (e.g. step-downs assessed by the inpatient
    team) and go straight to a track's wait list, skipping intake; their readmissions go through intake."""

    warm_handoff: WarmHandoff | None = None
    """A warm hand-off for a share of this source's referrals (for step-downs); omit for none. Not with
    direct_admission, which is a warm hand-off of every referral, ready at once."""

    track_preference: TrackShares
    """Shares of referrals preferring a track of the day shift, of the evening shift, or either (sum 1);
    when no enabled track runs the preferred shift, any track will do."""

    payer_mix: Shares
    """Shares of referrals by payer (keys from money.payers, sum 1)."""

    acuity_mix: Shares | None = None
    """Shares of referrals by acuity class (keys from referrals.acuity_classes, sum 1);
    omit to make every referral 'standard'."""

    @model_validator(mode="after")
    def _one_way_in(self) -> ReferralSource:
        if self.direct_admission and self.warm_handoff is not None:
            raise rule_error(
                "warm_handoff",
                "direct_admission and warm_handoff cannot both be set",
                "both",
                "one of them (direct_admission is warm_handoff {share: 1})",
            )
        return self


class AcuityClass(Frozen):
    """A case-mix class: how much more (or less) likely its patients step up or come back."""

    step_up_hazard_multiplier: Annotated[float, Field(ge=0, le=100)] = 1.0
    """Multiplies length_of_stay.step_up_weekly_hazard for patients of this class."""

    readmission_multiplier: Annotated[float, Field(ge=0, le=100)] = 1.0
    """Multiplies discharge.readmission probabilities for patients of this class (capped at 1)."""


class ReferralsConfig(Frozen):
    """All referral sources and the case-mix classes they draw from."""

    sources: Annotated[dict[Name, ReferralSource], Field(min_length=1)]
    """Referral sources by name."""

    acuity_classes: Annotated[dict[Name, AcuityClass], Field(min_length=1)] = Field(
        default_factory=lambda: {"standard": AcuityClass()}
    )
    """Case-mix classes by name; sources without acuity_mix use 'standard'."""

    volume: Annotated[float, Field(gt=0, le=100)] = 1.0
    """Multiplies every source's weekly_rate, and so its rate at every point of its ramp-up and seasons: 2
    runs the clinic with twice the referrals of every source, 0.5 with half (a what-if lever: "what if
    referrals double?"); 1 runs the rates as written."""
