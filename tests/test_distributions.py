"""Tests for simiop.config.distributions: moments, sampling, validation, restricted types, curves."""

from __future__ import annotations

import json
import math
import typing
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from simiop.config.base import Frozen
from simiop.config.distributions import (
    DISTRIBUTIONS,
    AnyDistribution,
    Beta,
    CountDistribution,
    Distribution,
    DurationDistribution,
    Fixed,
    Gamma,
    Lognormal,
    NonNegativeCurve,
    Normal,
    PiecewiseLinear,
    ProbabilityCurve,
    ProbabilityDistribution,
)

ANY = TypeAdapter(AnyDistribution)
DURATION = TypeAdapter(DurationDistribution)
PROBABILITY = TypeAdapter(ProbabilityDistribution)
COUNT = TypeAdapter(CountDistribution)
PROBABILITY_CURVE = TypeAdapter(ProbabilityCurve)
NON_NEGATIVE_CURVE = TypeAdapter(NonNegativeCurve)
N_SAMPLES = 200_000


def make(spec: dict[str, Any]) -> Distribution:
    dist: Distribution = ANY.validate_python(spec)
    return dist


def only_error(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, Any]:
    errors = exc.value.errors()
    assert len(errors) == 1, errors
    error: dict[str, Any] = dict(errors[0])
    return error


# --------------------------------------------------------------------------
# Moments: the analytic mean and variance match what sample() produces
# --------------------------------------------------------------------------

MOMENT_CASES = [
    pytest.param({"dist": "fixed", "value": 3.5}, id="fixed"),
    pytest.param({"dist": "exponential", "mean": 4.0}, id="exponential"),
    pytest.param({"dist": "uniform", "low": -1.0, "high": 3.0}, id="uniform"),
    pytest.param({"dist": "triangular", "low": 1.0, "mode": 2.0, "high": 6.0}, id="triangular"),
    pytest.param({"dist": "triangular", "low": 0.0, "mode": 0.0, "high": 1.0}, id="triangular-mode-at-low"),
    pytest.param({"dist": "normal", "mean": 10.0, "sd": 2.0}, id="normal"),
    pytest.param(
        {"dist": "normal", "mean": 1.0, "sd": 2.0, "truncate_below": 0.0}, id="normal-trunc-shallow"
    ),
    pytest.param(
        {"dist": "normal", "mean": 5.0, "sd": 2.0, "truncate_below": 5.0}, id="normal-trunc-at-mean"
    ),
    pytest.param(
        {"dist": "normal", "mean": 5.0, "sd": 2.0, "truncate_below": 6.6},
        id="normal-trunc-moderate",
    ),
    pytest.param({"dist": "normal", "mean": 0.0, "sd": 1.0, "truncate_below": 3.0}, id="normal-trunc-deep"),
    pytest.param({"dist": "lognormal", "mean": 10.0, "sd": 5.0}, id="lognormal"),
    pytest.param({"dist": "gamma", "mean": 3.0, "sd": 2.0}, id="gamma"),
    pytest.param({"dist": "beta", "mean": 0.3, "concentration": 8.0}, id="beta"),
    pytest.param({"dist": "poisson", "mean": 4.5}, id="poisson"),
    pytest.param({"dist": "poisson", "mean": 0.0}, id="poisson-zero"),
    pytest.param(
        {"dist": "empirical", "values": (1.0, 2.0, 5.0), "weights": (1.0, 2.0, 1.0)},
        id="empirical-weighted",
    ),
    pytest.param({"dist": "empirical", "values": (0.5, 1.5, 4.0, 4.0)}, id="empirical-equal"),
]


@pytest.mark.parametrize("spec", MOMENT_CASES)
def test_sample_moments_match_analytic(spec: dict[str, Any]) -> None:
    dist = make(spec)
    rng = np.random.default_rng(20240601)
    x = dist.sample(rng, N_SAMPLES)

    assert isinstance(x, np.ndarray)
    assert x.dtype == np.float64
    assert x.shape == (N_SAMPLES,)
    lo, hi = dist.support
    assert np.all(x >= lo)
    assert np.all(x <= hi)
    if dist.integer_valued:
        assert np.all(x == np.round(x))

    if dist.variance == 0.0:
        assert np.all(x == dist.mean)
        return

    # Mean: within 4 standard errors, using the analytic variance.
    se_mean = math.sqrt(dist.variance / N_SAMPLES)
    assert abs(x.mean() - dist.mean) < 4.0 * se_mean

    # Variance: Var(s^2) ~ (mu4 - sigma^4) / n; mu4 is estimated from the sample
    # (that estimate is itself noisy, hence 5 rather than 4 standard errors).
    s2 = float(x.var(ddof=1))
    m4 = float(np.mean((x - x.mean()) ** 4))
    se_var = math.sqrt((m4 - s2 * s2) / N_SAMPLES)
    assert abs(s2 - dist.variance) < 5.0 * se_var


@pytest.mark.parametrize(
    ("mu", "sd", "cut"),
    [(0.0, 1.0, -3.0), (0.0, 1.0, 0.0), (2.0, 0.5, 2.75), (10.0, 3.0, 19.0), (0.0, 1.0, 3.09)],
)
def test_truncated_normal_moments_match_numerical_integration(mu: float, sd: float, cut: float) -> None:
    """The closed-form truncated moments, checked without any sampling."""
    dist = make({"dist": "normal", "mean": mu, "sd": sd, "truncate_below": cut})
    x = np.linspace(cut, mu + 14.0 * sd, 400_001)
    density = np.exp(-0.5 * ((x - mu) / sd) ** 2)
    mass = np.trapezoid(density, x)
    mean = np.trapezoid(x * density, x) / mass
    var = np.trapezoid((x - mean) ** 2 * density, x) / mass
    assert dist.mean == pytest.approx(mean, rel=1e-9, abs=1e-9)
    assert dist.variance == pytest.approx(var, rel=1e-7)


def test_untruncated_normal_moments_are_its_parameters() -> None:
    dist = make({"dist": "normal", "mean": -4.0, "sd": 3.0})
    assert dist.mean == -4.0
    assert dist.variance == 9.0
    assert dist.support == (-math.inf, math.inf)


def test_normal_mean_key_is_location_and_round_trips() -> None:
    dist = make({"dist": "normal", "mean": 3.0, "sd": 1.0, "truncate_below": 0.0})
    assert isinstance(dist, Normal)
    assert dist.location == 3.0
    assert dist.mean > 3.0  # truncation below shifts the mean up
    dumped = dist.model_dump()
    assert dumped == {"dist": "normal", "mean": 3.0, "sd": 1.0, "truncate_below": 0.0}
    assert make(dumped) == dist
    assert ANY.validate_json(dist.model_dump_json()) == dist


@settings(max_examples=60, deadline=None)
@given(
    mu=st.floats(-100.0, 100.0),
    sd=st.floats(0.01, 50.0),
    alpha=st.floats(-6.0, 3.09),
    seed=st.integers(0, 2**32 - 1),
)
def test_truncated_normal_never_below_cut(mu: float, sd: float, alpha: float, seed: int) -> None:
    cut = mu + alpha * sd
    dist = make({"dist": "normal", "mean": mu, "sd": sd, "truncate_below": cut})
    x = dist.sample(np.random.default_rng(seed), 500)
    assert np.all(x >= cut)
    assert dist.mean >= cut
    assert dist.variance > 0.0


# --------------------------------------------------------------------------
# sample(): return types and reproducibility
# --------------------------------------------------------------------------

ONE_OF_EACH: dict[str, dict[str, Any]] = {
    "fixed": {"dist": "fixed", "value": 2.0},
    "exponential": {"dist": "exponential", "mean": 2.0},
    "uniform": {"dist": "uniform", "low": 0.0, "high": 1.0},
    "triangular": {"dist": "triangular", "low": 0.0, "mode": 1.0, "high": 3.0},
    "normal": {"dist": "normal", "mean": 0.0, "sd": 1.0, "truncate_below": 1.0},
    "lognormal": {"dist": "lognormal", "mean": 2.0, "sd": 1.0},
    "gamma": {"dist": "gamma", "mean": 2.0, "sd": 1.0},
    "beta": {"dist": "beta", "mean": 0.5, "concentration": 2.0},
    "poisson": {"dist": "poisson", "mean": 2.0},
    "empirical": {"dist": "empirical", "values": (1.0, 2.0), "weights": (0.2, 0.8)},
}


def test_registry_has_every_distribution() -> None:
    assert set(DISTRIBUTIONS) == set(ONE_OF_EACH)
    assert len(DISTRIBUTIONS) == 10
    for name, cls in DISTRIBUTIONS.items():
        assert issubclass(cls, Distribution)
        assert isinstance(make(ONE_OF_EACH[name]), cls)


def test_union_members_are_exactly_the_registry() -> None:
    """AnyDistribution is written out by hand; it must not drift from DISTRIBUTIONS."""
    union = typing.get_args(AnyDistribution)[0]  # nested Annotated is flattened
    members = {typing.get_args(member)[0] for member in typing.get_args(union)}
    assert members == set(DISTRIBUTIONS.values())


@pytest.mark.parametrize("name", sorted(ONE_OF_EACH))
def test_sample_without_size_is_a_float_and_matches_first_of_batch(name: str) -> None:
    dist = make(ONE_OF_EACH[name])
    one = dist.sample(np.random.default_rng(7))
    assert type(one) is float
    batch = dist.sample(np.random.default_rng(7), 1)
    assert batch.shape == (1,)
    assert one == batch[0]
    assert dist.sample(np.random.default_rng(7), 0).shape == (0,)
    with pytest.raises(ValueError, match="size"):
        dist.sample(np.random.default_rng(7), -1)


@pytest.mark.parametrize("name", sorted(ONE_OF_EACH))
def test_single_draws_in_a_row_are_batches_of_one_in_a_row(name: str) -> None:
    """A family's short cut for one draw (no array) leaves the generator where a batch of one does,
    also for samplers that use a varying number of uniforms (rejection), so runs keep their numbers."""
    dist = make(ONE_OF_EACH[name])
    singles, batches = np.random.default_rng(11), np.random.default_rng(11)
    one = [dist.sample(singles) for _ in range(2000)]
    batch = [float(dist.sample(batches, 1)[0]) for _ in range(2000)]
    assert one == batch
    assert singles.random() == batches.random()


@pytest.mark.parametrize("name", sorted(ONE_OF_EACH))
def test_a_sampler_draws_what_sample_draws(name: str) -> None:
    """``sampler()`` (parameters read once, for the model's draws per patient) gives ``sample``'s floats
    and leaves the generator where ``sample`` does; one made before a ``model_copy`` keeps its values."""
    dist = make(ONE_OF_EACH[name])
    draw = dist.sampler()
    by_sampler, by_sample = np.random.default_rng(5), np.random.default_rng(5)
    drawn = [draw(by_sampler) for _ in range(500)]
    assert all(type(value) is float for value in drawn)
    assert drawn == [dist.sample(by_sample) for _ in range(500)]
    assert by_sampler.random() == by_sample.random()
    if "mean" in type(dist).model_fields:
        moved = dist.model_copy(update={"mean": dist.mean / 2})
        assert moved.sampler()(np.random.default_rng(3)) == moved.sample(np.random.default_rng(3))
        assert draw(np.random.default_rng(3)) == dist.sample(np.random.default_rng(3))


@pytest.mark.parametrize("name", sorted(ONE_OF_EACH))
def test_same_generator_state_gives_same_draws_and_round_trips(name: str) -> None:
    dist = make(ONE_OF_EACH[name])
    a = dist.sample(np.random.default_rng(99), 50)
    b = dist.sample(np.random.default_rng(99), 50)
    np.testing.assert_array_equal(a, b)
    assert make(dist.model_dump()) == dist
    assert ANY.validate_json(dist.model_dump_json()) == dist
    assert ANY.validate_python(dist) is dist  # already-built objects pass through


def test_sampling_does_not_touch_global_random_state() -> None:
    np.random.seed(1)
    expected = np.random.random(3)
    np.random.seed(1)
    for spec in ONE_OF_EACH.values():
        make(spec).sample(np.random.default_rng(0), 10)
    np.testing.assert_array_equal(np.random.random(3), expected)


def test_integer_valued_flags() -> None:
    assert make({"dist": "poisson", "mean": 1.0}).integer_valued
    assert make({"dist": "fixed", "value": 3.0}).integer_valued
    assert not make({"dist": "fixed", "value": 3.5}).integer_valued
    assert make({"dist": "empirical", "values": (0.0, 2.0, 7.0)}).integer_valued
    assert not make({"dist": "empirical", "values": (0.0, 2.5)}).integer_valued
    assert not make({"dist": "exponential", "mean": 1.0}).integer_valued


def test_empirical_zero_weight_values_are_never_drawn() -> None:
    dist = make({"dist": "empirical", "values": (-5.0, 1.0, 2.0), "weights": (0.0, 1.0, 1.0)})
    assert dist.support == (1.0, 2.0)
    assert set(np.unique(dist.sample(np.random.default_rng(3), 10_000))) == {1.0, 2.0}


# --------------------------------------------------------------------------
# Parameter validation
# --------------------------------------------------------------------------

FIELD_ERRORS = [
    pytest.param(
        {"dist": "fixed", "value": math.nan},
        ("dist=fixed", "value"),
        "finite_number",
        id="fixed-nan",
    ),
    pytest.param(
        {"dist": "exponential", "mean": 0.0},
        ("dist=exponential", "mean"),
        "greater_than",
        id="exp-mean-0",
    ),
    pytest.param(
        {"dist": "normal", "mean": 0.0, "sd": 0.0},
        ("dist=normal", "sd"),
        "greater_than",
        id="normal-sd-0",
    ),
    pytest.param(
        {"dist": "normal", "mean": 0.0, "sd": -1.0},
        ("dist=normal", "sd"),
        "greater_than",
        id="normal-sd-neg",
    ),
    pytest.param({"dist": "normal", "sd": 1.0}, ("dist=normal", "mean"), "missing", id="normal-no-mean"),
    pytest.param(
        {"dist": "lognormal", "mean": 1.0, "sd": 0.0},
        ("dist=lognormal", "sd"),
        "greater_than",
        id="lognormal-sd-0",
    ),
    pytest.param(
        {"dist": "lognormal", "mean": -1.0, "sd": 1.0},
        ("dist=lognormal", "mean"),
        "greater_than",
        id="lognormal-mean-neg",
    ),
    pytest.param(
        {"dist": "gamma", "mean": 0.0, "sd": 1.0},
        ("dist=gamma", "mean"),
        "greater_than",
        id="gamma-mean-0",
    ),
    pytest.param(
        {"dist": "gamma", "mean": 1.0, "sd": -2.0},
        ("dist=gamma", "sd"),
        "greater_than",
        id="gamma-sd-neg",
    ),
    pytest.param(
        {"dist": "beta", "mean": 1.0, "concentration": 2.0},
        ("dist=beta", "mean"),
        "less_than",
        id="beta-mean-1",
    ),
    pytest.param(
        {"dist": "beta", "mean": 0.0, "concentration": 2.0},
        ("dist=beta", "mean"),
        "greater_than",
        id="beta-mean-0",
    ),
    pytest.param(
        {"dist": "beta", "mean": 0.5, "concentration": 0.0},
        ("dist=beta", "concentration"),
        "greater_than",
        id="beta-k-0",
    ),
    pytest.param(
        {"dist": "poisson", "mean": -0.5},
        ("dist=poisson", "mean"),
        "greater_than_equal",
        id="poisson-neg",
    ),
    pytest.param(
        {"dist": "empirical", "values": ()},
        ("dist=empirical", "values"),
        "too_short",
        id="empirical-empty",
    ),
    pytest.param(
        {"dist": "empirical", "values": (1.0, 2.0), "weights": (1.0, -1.0)},
        ("dist=empirical", "weights", 1),
        "greater_than_equal",
        id="empirical-neg-weight",
    ),
    pytest.param(
        {"dist": "exponential", "mean": 1.0, "sd": 1.0},
        ("dist=exponential", "sd"),
        "extra_forbidden",
        id="typo-extra-key",
    ),
    pytest.param(
        {"dist": "exponential", "mean": "3"},
        ("dist=exponential", "mean"),
        "float_type",
        id="strict-no-str",
    ),
    pytest.param(
        {"dist": "normal", "location": 1.0, "sd": 1.0},
        ("dist=normal", "mean"),
        "missing",
        id="normal-location-not-a-key",
    ),
]


@pytest.mark.parametrize(("spec", "loc", "error_type"), FIELD_ERRORS)
def test_field_errors(spec: dict[str, Any], loc: tuple[Any, ...], error_type: str) -> None:
    with pytest.raises(ValidationError) as exc:
        make(spec)
    errors = exc.value.errors()
    assert (loc, error_type) in [(e["loc"], e["type"]) for e in errors], errors


RULE_ERRORS = [
    pytest.param({"dist": "uniform", "low": 2.0, "high": 1.0}, "uniform", "high", id="uniform-low>high"),
    pytest.param({"dist": "uniform", "low": 1.0, "high": 1.0}, "uniform", "high", id="uniform-low=high"),
    pytest.param(
        {"dist": "triangular", "low": 0.0, "mode": 5.0, "high": 4.0},
        "triangular",
        "mode",
        id="tri-mode-above",
    ),
    pytest.param(
        {"dist": "triangular", "low": 0.0, "mode": -1.0, "high": 4.0},
        "triangular",
        "mode",
        id="tri-mode-below",
    ),
    pytest.param(
        {"dist": "triangular", "low": 1.0, "mode": 1.0, "high": 1.0},
        "triangular",
        "high",
        id="tri-degenerate",
    ),
    pytest.param(
        {"dist": "normal", "mean": 0.0, "sd": 1.0, "truncate_below": 3.2},
        "normal",
        "truncate_below",
        id="normal-too-deep",
    ),
    pytest.param(
        {"dist": "empirical", "values": (1.0, 2.0), "weights": (0.0, 0.0)},
        "empirical",
        "weights",
        id="empirical-zero-weights",
    ),
    pytest.param(
        {"dist": "empirical", "values": (1.0, 2.0), "weights": (1.0,)},
        "empirical",
        "weights",
        id="empirical-length",
    ),
]


@pytest.mark.parametrize(("spec", "name", "field"), RULE_ERRORS)
def test_cross_field_rules_name_the_field(spec: dict[str, Any], name: str, field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        make(spec)
    error = only_error(exc)
    assert error["loc"] == (f"dist={name}",)
    assert error["type"] == "cross_field"
    assert error["ctx"]["field"] == field
    assert "got" in error["ctx"]
    assert "allowed" in error["ctx"]


def test_too_deep_truncation_says_why() -> None:
    with pytest.raises(ValidationError) as exc:
        make({"dist": "normal", "mean": 10.0, "sd": 2.0, "truncate_below": 20.0})
    error = only_error(exc)
    assert "0.1%" in error["msg"]
    assert error["ctx"]["got"] == 20.0
    assert "16.18" in error["ctx"]["allowed"]  # 10 + 3.09 * 2, the deepest allowed cut


@pytest.mark.parametrize(
    ("value", "got"),
    [
        ({"dist": "lognorm", "mean": 1.0}, "lognorm"),
        ({"mean": 1.0}, ["mean"]),
        ({"dist": 3}, 3),
        (5.0, 5.0),
    ],
)
def test_unknown_or_missing_kind(value: Any, got: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        ANY.validate_python(value)
    error = only_error(exc)
    assert error["type"] in {"distribution_kind", "distribution_type"}
    assert error["ctx"]["got"] == got
    assert "lognormal" in error["ctx"]["allowed"]


def test_nested_error_location_names_the_kind() -> None:
    class Holder(Frozen):
        patience_days: AnyDistribution

    with pytest.raises(ValidationError) as exc:
        Holder.model_validate_json('{"patience_days": {"dist": "lognormal", "mean": 5, "sd": -1}}')
    error = only_error(exc)
    assert error["loc"] == ("patience_days", "dist=lognormal", "sd")
    assert "dist=lognormal" in error["loc"]


def test_field_types_can_be_optional() -> None:
    """Annotated metadata must be hashable, or ``X | None`` fails at class creation."""

    class Holder(Frozen):
        patience_days: DurationDistribution | None = None
        show_rate: ProbabilityCurve | None = None
        anything: AnyDistribution | None = None

    assert Holder().patience_days is None
    held = Holder.model_validate_json('{"patience_days": {"dist": "exponential", "mean": 3}}')
    assert held.patience_days is not None
    assert held.patience_days.mean == 3.0
    with pytest.raises(ValidationError) as exc:
        Holder.model_validate_json('{"patience_days": {"dist": "uniform", "low": -1, "high": 2}}')
    assert only_error(exc)["type"] == "duration_distribution"


def test_yaml_like_input_with_lists() -> None:
    """YAML gives sequences as lists; strict tuples alone would refuse them."""
    spec = {"dist": "empirical", "values": [1, 2, 3], "weights": [1, 1, 2]}
    assert make(spec).mean == pytest.approx(2.25)
    assert ANY.validate_json(json.dumps(spec)) == make(spec)
    curve = PiecewiseLinear.model_validate(
        {"curve": "piecewise_linear", "points": [[0, 0.72], [3, 0.41], [7, 0.38]]}
    )
    assert curve == SHOW_RATE
    # Converting lists must not loosen anything else.
    with pytest.raises(ValidationError):
        make({"dist": "empirical", "values": ["1", "2"]})
    with pytest.raises(ValidationError):
        make({"dist": "empirical", "values": "12"})
    with pytest.raises(ValidationError):
        PiecewiseLinear.model_validate({"curve": "piecewise_linear", "points": [[0, 0.7, 1]]})


def test_json_schema() -> None:
    from simiop.config.descriptions import describe_fields

    describe_fields(Frozen)  # field descriptions are read from the docstrings on demand, not at import
    schema = TypeAdapter(AnyDistribution).json_schema()
    assert len(schema["oneOf"]) == len(DISTRIBUTIONS)
    assert set(schema["$defs"]) >= {cls.__name__ for cls in DISTRIBUTIONS.values()}
    assert "mean" in schema["$defs"]["Normal"]["properties"]
    assert "location" not in schema["$defs"]["Normal"]["properties"]
    assert schema["$defs"]["Lognormal"]["properties"]["sd"]["description"]
    for restricted in (DURATION, PROBABILITY, COUNT):
        assert restricted.json_schema()["oneOf"]
    for curve in (PROBABILITY_CURVE, NON_NEGATIVE_CURVE):
        assert "points" in curve.json_schema()["properties"]


def test_distributions_are_frozen() -> None:
    dist = make({"dist": "exponential", "mean": 2.0})
    with pytest.raises(ValidationError):
        dist.mean = 3.0  # type: ignore[misc]  # assigning to a frozen model must fail


# --------------------------------------------------------------------------
# Restricted distribution types
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("adapter", "spec", "ok"),
    [
        (DURATION, {"dist": "normal", "mean": 5.0, "sd": 2.0, "truncate_below": 0.0}, True),
        (DURATION, {"dist": "normal", "mean": 5.0, "sd": 2.0}, False),
        (DURATION, {"dist": "normal", "mean": 5.0, "sd": 2.0, "truncate_below": -1.0}, False),
        (DURATION, {"dist": "uniform", "low": -1.0, "high": 2.0}, False),
        (DURATION, {"dist": "uniform", "low": 0.0, "high": 2.0}, True),
        (DURATION, {"dist": "fixed", "value": 0.0}, True),
        (DURATION, {"dist": "fixed", "value": -0.5}, False),
        (DURATION, {"dist": "triangular", "low": -1.0, "mode": 1.0, "high": 2.0}, False),
        (DURATION, {"dist": "exponential", "mean": 3.0}, True),
        (DURATION, {"dist": "lognormal", "mean": 3.0, "sd": 1.0}, True),
        (DURATION, {"dist": "gamma", "mean": 3.0, "sd": 1.0}, True),
        (DURATION, {"dist": "poisson", "mean": 3.0}, True),
        (DURATION, {"dist": "empirical", "values": (0.0, 4.0)}, True),
        (DURATION, {"dist": "empirical", "values": (-1.0, 4.0)}, False),
        (PROBABILITY, {"dist": "beta", "mean": 0.7, "concentration": 10.0}, True),
        (PROBABILITY, {"dist": "fixed", "value": 1.0}, True),
        (PROBABILITY, {"dist": "fixed", "value": 1.2}, False),
        (PROBABILITY, {"dist": "uniform", "low": 0.2, "high": 0.9}, True),
        (PROBABILITY, {"dist": "uniform", "low": 0.2, "high": 1.1}, False),
        (PROBABILITY, {"dist": "triangular", "low": 0.0, "mode": 0.5, "high": 1.0}, True),
        (PROBABILITY, {"dist": "empirical", "values": (0.1, 0.9)}, True),
        (PROBABILITY, {"dist": "empirical", "values": (0.1, 1.9)}, False),
        (PROBABILITY, {"dist": "exponential", "mean": 0.1}, False),
        (PROBABILITY, {"dist": "normal", "mean": 0.5, "sd": 0.1, "truncate_below": 0.0}, False),
        (COUNT, {"dist": "poisson", "mean": 2.5}, True),
        (COUNT, {"dist": "fixed", "value": 3.0}, True),
        (COUNT, {"dist": "fixed", "value": 3.5}, False),
        (COUNT, {"dist": "fixed", "value": -1.0}, False),
        (COUNT, {"dist": "empirical", "values": (0.0, 1.0, 4.0), "weights": (1.0, 1.0, 2.0)}, True),
        (COUNT, {"dist": "empirical", "values": (0.0, 1.5)}, False),
        (COUNT, {"dist": "exponential", "mean": 2.0}, False),
        (COUNT, {"dist": "uniform", "low": 0.0, "high": 3.0}, False),
    ],
)
def test_restricted_types(adapter: TypeAdapter[Any], spec: dict[str, Any], ok: bool) -> None:
    if ok:
        assert isinstance(adapter.validate_python(spec), DISTRIBUTIONS[spec["dist"]])
        return
    with pytest.raises(ValidationError) as exc:
        adapter.validate_python(spec)
    error = only_error(exc)
    assert error["loc"] == ()
    assert error["type"] in {
        "duration_distribution",
        "probability_distribution",
        "count_distribution",
    }
    assert spec["dist"] in error["ctx"]["got"]
    assert error["ctx"]["allowed"]


def test_duration_refusal_suggests_truncation() -> None:
    with pytest.raises(ValidationError) as exc:
        DURATION.validate_python({"dist": "normal", "mean": 5.0, "sd": 2.0})
    assert "truncate_below: 0" in only_error(exc)["ctx"]["allowed"]


def test_restricted_parameter_error_still_located() -> None:
    with pytest.raises(ValidationError) as exc:
        DURATION.validate_python({"dist": "gamma", "mean": 1.0, "sd": 0.0})
    assert only_error(exc)["loc"] == ("dist=gamma", "sd")


# --------------------------------------------------------------------------
# PiecewiseLinear curves
# --------------------------------------------------------------------------

SHOW_RATE = PiecewiseLinear(curve="piecewise_linear", points=((0.0, 0.72), (3.0, 0.41), (7.0, 0.38)))


def test_curve_interpolates_and_is_flat_beyond_ends() -> None:
    assert SHOW_RATE.value_at(0.0) == pytest.approx(0.72)
    assert SHOW_RATE.value_at(1.5) == pytest.approx((0.72 + 0.41) / 2)
    assert SHOW_RATE.value_at(5.0) == pytest.approx((0.41 + 0.38) / 2)
    assert SHOW_RATE.value_at(-4.0) == pytest.approx(0.72)
    assert SHOW_RATE.value_at(100.0) == pytest.approx(0.38)
    assert type(SHOW_RATE.value_at(2.0)) is float


def test_curve_value_at_array() -> None:
    xs = np.array([-1.0, 0.0, 3.0, 5.0, 9.0])
    ys = SHOW_RATE.value_at(xs)
    assert isinstance(ys, np.ndarray)
    np.testing.assert_allclose(ys, [0.72, 0.72, 0.41, 0.395, 0.38])


def test_curve_mean_is_trapezoid_average() -> None:
    expected = (3 * (0.72 + 0.41) / 2 + 4 * (0.41 + 0.38) / 2) / 7
    assert SHOW_RATE.mean == pytest.approx(expected)
    single = PiecewiseLinear(curve="piecewise_linear", points=((2.0, 0.4),))
    assert single.mean == 0.4
    assert single.value_at(-10.0) == 0.4
    assert single.value_at(10.0) == 0.4


@pytest.mark.parametrize(
    "points",
    [((0.0, 0.5), (0.0, 0.6)), ((0.0, 0.5), (3.0, 0.6), (2.0, 0.1))],
    ids=["repeated-x", "decreasing-x"],
)
def test_curve_x_must_increase(points: tuple[tuple[float, float], ...]) -> None:
    with pytest.raises(ValidationError) as exc:
        PiecewiseLinear.model_validate({"curve": "piecewise_linear", "points": points})
    error = only_error(exc)
    assert error["type"] == "cross_field"
    assert error["ctx"]["field"] == "points"


def test_curve_needs_points_and_tag() -> None:
    with pytest.raises(ValidationError) as exc:
        PiecewiseLinear.model_validate({"curve": "piecewise_linear", "points": ()})
    assert only_error(exc)["type"] == "too_short"
    with pytest.raises(ValidationError):
        PiecewiseLinear.model_validate({"points": ((0.0, 1.0),)})


def test_curve_restricted_types() -> None:
    prob = PROBABILITY_CURVE
    nonneg = NON_NEGATIVE_CURVE
    assert prob.validate_json('{"curve": "piecewise_linear", "points": [[0, 0.72], [3, 0.41]]}')
    with pytest.raises(ValidationError) as exc:
        prob.validate_json('{"curve": "piecewise_linear", "points": [[0, 0.5], [3, 1.2]]}')
    error = only_error(exc)
    assert error["type"] == "probability_curve"
    assert error["ctx"]["got"] == [0.5, 1.2]
    assert nonneg.validate_json('{"curve": "piecewise_linear", "points": [[0, 1.5]]}')
    with pytest.raises(ValidationError) as exc:
        nonneg.validate_json('{"curve": "piecewise_linear", "points": [[0, 1.5], [1, -0.1]]}')
    assert only_error(exc)["type"] == "non_negative_curve"


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-1e3, 1e3), st.floats(0.0, 1.0)),
        min_size=1,
        max_size=8,
        unique_by=lambda p: p[0],
    ),
    st.floats(-2e3, 2e3),
)
def test_curve_stays_within_its_points(points: list[tuple[float, float]], x: float) -> None:
    points.sort()
    curve = PiecewiseLinear(curve="piecewise_linear", points=tuple(points))
    ys = [y for _, y in points]
    assert min(ys) - 1e-12 <= curve.value_at(x) <= max(ys) + 1e-12
    assert min(ys) - 1e-12 <= curve.mean <= max(ys) + 1e-12
    for px, py in points:
        assert curve.value_at(px) == pytest.approx(py)


def test_fixed_can_be_built_directly() -> None:
    assert Fixed(dist="fixed", value=2).value == 2.0


@settings(max_examples=300)
@given(
    xs=st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=1, max_size=8, unique=True),
    ys=st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=8, max_size=8),
    x=st.one_of(st.floats(-2e3, 2e3, allow_nan=False), st.sampled_from([0.0, 1.0, -0.0])),
)
def test_a_curve_at_one_point_is_exactly_np_interp(xs: list[float], ys: list[float], x: float) -> None:
    """The scalar fast path must give numpy's double bit for bit: model results depend on it."""
    points = sorted(xs)
    curve = PiecewiseLinear(curve="piecewise_linear", points=tuple((p, ys[i]) for i, p in enumerate(points)))
    for at in (x, *points):
        expected = float(np.interp(at, np.array(points), np.array(ys[: len(points)])))
        assert curve.value_at(at) == expected or (math.isnan(expected) and math.isnan(curve.value_at(at)))


def test_parameters_worked_out_once_give_numpys_draws_and_leave_equality_alone() -> None:
    """Gamma, beta and lognormal keep numpy's parameters after the first draw: same numbers, same config."""
    cases: list[tuple[Distribution, Callable[[np.random.Generator], Any]]] = [
        (Gamma(dist="gamma", mean=6.0, sd=2.0), lambda r: r.gamma(9.0, 4.0 / 6.0)),
        (Beta(dist="beta", mean=0.88, concentration=6.0), lambda r: r.beta(0.88 * 6.0, (1.0 - 0.88) * 6.0)),
        (
            Lognormal(dist="lognormal", mean=3.0, sd=1.5),
            lambda r: r.lognormal(math.log(3.0) - math.log1p(0.25) / 2.0, math.sqrt(math.log1p(0.25))),
        ),
    ]
    for dist, numpy_draw in cases:
        fresh = dist.model_copy()
        drawn = [dist.sample(np.random.default_rng(seed)) for seed in range(3)]
        assert drawn == [float(numpy_draw(np.random.default_rng(seed))) for seed in range(3)]
        assert dist.sample(np.random.default_rng(9), 4).tolist() == numpy_draw_batch(numpy_draw, 9, 4)
        assert dist == fresh
        assert dist.model_dump() == fresh.model_dump()
    moved = cases[0][0].model_copy(update={"mean": 8.0})  # a copy with another mean: its own parameters
    assert moved.sample(np.random.default_rng(1)) == float(np.random.default_rng(1).gamma(16.0, 0.5))


def numpy_draw_batch(draw: Callable[[np.random.Generator], Any], seed: int, size: int) -> list[float]:
    rng = np.random.default_rng(seed)
    return [float(draw(rng)) for _ in range(size)]
