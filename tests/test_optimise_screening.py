"""The screening stage of ``simiop optimise`` (Optuna) followed by the guaranteed clean-up of its short list.

A synthetic space of 400 candidates with known means (no simulation) checks
that screening + clean-up find its best and say what was screened out; the
M/M/c clinic checks the whole run: identical outputs for 1 and 2 workers and
on resume, the guarantee limited to the short list in selection.csv and the
report, and the one-line errors of a bad ``screening`` section.
"""

from __future__ import annotations

import csv
import importlib.util
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest

import simiop
from simiop.experiments.executors import ProcessExecutor, SerialExecutor
from simiop.experiments.manifest import MANIFEST
from simiop.optimisation import runner as optimise_runner
from simiop.optimisation.runner import LazyConfigs, constraints_of, optimise, resolve, settings_of
from simiop.optimisation.screening import SCREENING_REPLICATION, screen_and_select
from simiop.optimisation.spec import MAX_CANDIDATES, OptimiseSpec
from tests.test_cli import run
from tests.test_optimise import MMC, mmc_spec, refused_in_one_line

SIZE = 20
"""Levels of each of the synthetic space's two variables: 400 candidates."""


def synthetic_spec(**screening_settings: object) -> OptimiseSpec:
    """Cost 10 a + 7 b (known), mean wait 20 - a - 1.5 b (sd 0.3) at most 5.25, tolerance 0.2.

    Means are multiples of 0.5, so every candidate is either desirable (mean <= 5) or
    unacceptable (mean >= 5.5): a + 1.5 b >= 15 is feasible, and the cheapest such is
    a = 0, b = 10 (cost 70; the next cheapest feasible, a = 1, b = 10, costs 80).
    """
    return OptimiseSpec.model_validate(
        {
            "base": "unused.yaml",
            "variables": {
                "a": {"paths": ["x.a"], "levels": list(range(SIZE))},
                "b": {"paths": ["x.b"], "levels": list(range(SIZE))},
            },
            "objective": {"kpi": "cost", "deterministic": True},
            "constraints": [{"kpi": "wait", "at_most": 5.25, "tolerance": 0.2}],
            "screening": {"trials": 80, "replications": 2, "shortlist": 6, "batch": 8, **screening_settings},
        }
    )


class Synthetic:
    """Known means plus normal noise that is a pure function of (candidate, replication): common and repeatable."""

    def __init__(self) -> None:
        self.asked: list[tuple[int, int]] = []

    def __call__(self, wanted: Mapping[int, range]) -> dict[int, np.ndarray]:
        found = {}
        for i, numbers in wanted.items():
            a, b = divmod(i, SIZE)
            rows = []
            for r in numbers:
                self.asked.append((i, r))
                noise = np.random.default_rng([r, i]).normal(0.0, 0.3)
                rows.append([10.0 * a + 7.0 * b, 20.0 - a - 1.5 * b + noise])
            found[i] = np.array(rows)
        return found


def test_screening_and_clean_up_find_the_best_of_a_large_space() -> None:
    spec = synthetic_spec()
    oracle = Synthetic()
    selection, screened = screen_and_select(
        spec, SIZE * SIZE, constraints_of(spec), settings_of(spec), oracle
    )
    best = 0 * SIZE + 10
    assert best in screened.shortlist
    assert selection.chosen == best
    assert selection.guaranteed
    assert len(screened.shortlist) == 6
    # Far fewer candidates tried than the space holds, and every other one is screened out.
    assert len(screened.tried) < SIZE * SIZE / 4
    statuses = [c.status for c in selection.candidates]
    assert statuses.count("screened_out") == SIZE * SIZE - 6
    assert all(selection.candidates[i].status != "screened_out" for i in screened.shortlist)
    # The screening's replications are its own: the clean-up reads replications 0, 1, ... only.
    screening_numbers = {r for _, r in oracle.asked if r >= SCREENING_REPLICATION}
    assert screening_numbers == {SCREENING_REPLICATION, SCREENING_REPLICATION + 1}
    cleanup = {i for i, r in oracle.asked if r < SCREENING_REPLICATION}
    assert cleanup <= set(screened.shortlist)
    # The short list is ranked: everything kept looked feasible and no cheaper tried candidate did.
    kept_costs = [10.0 * divmod(i, SIZE)[0] + 7.0 * divmod(i, SIZE)[1] for i in screened.order[:6]]
    assert kept_costs == sorted(kept_costs)


class NoisyCost(Synthetic):
    """The same space with a cost that varies between replications (sd 1): KN selects among the short list."""

    def __call__(self, wanted: Mapping[int, range]) -> dict[int, np.ndarray]:
        found = super().__call__(wanted)
        for i, rows in found.items():
            for n, r in enumerate(wanted[i]):
                rows[n, 0] += np.random.default_rng([r, i, 1]).normal(0.0, 1.0)
        return found


def test_screening_then_kn_with_a_stochastic_objective() -> None:
    spec = synthetic_spec()
    data = spec.model_dump(mode="json")
    data["objective"] = {"kpi": "cost"}
    data["indifference_zone"] = 5.0
    stochastic = OptimiseSpec.model_validate(data)
    selection, screened = screen_and_select(
        stochastic, SIZE * SIZE, constraints_of(stochastic), settings_of(stochastic), NoisyCost()
    )
    assert selection.chosen == 10  # a = 0, b = 10: cost 70, the next feasible 77
    assert selection.alpha_selection > 0
    assert {c.status for c in selection.candidates if c.index not in screened.shortlist} == {"screened_out"}


def test_screening_is_repeatable_and_seeded() -> None:
    spec = synthetic_spec()
    first = screen_and_select(spec, SIZE * SIZE, constraints_of(spec), settings_of(spec), Synthetic())[1]
    again = screen_and_select(spec, SIZE * SIZE, constraints_of(spec), settings_of(spec), Synthetic())[1]
    assert first.order == again.order
    assert first.shortlist == again.shortlist
    other = synthetic_spec(seed=7, sampler="random")
    moved = screen_and_select(other, SIZE * SIZE, constraints_of(other), settings_of(other), Synthetic())[1]
    assert set(moved.tried) != set(first.tried)


def screened_mmc(tmp_path: Path) -> Path:
    return mmc_spec(
        tmp_path,
        levels="[3, 4, 5, 6, 7, 8, 9, 10]",
        horizon=300,
        extra="screening: {trials: 6, replications: 2, shortlist: 3, batch: 3, seed: 1}",
    )


def outputs(out: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(out.iterdir()) if path.name != MANIFEST}


def test_screened_optimisation_is_identical_for_1_and_2_workers_and_on_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = screened_mmc(tmp_path)
    one = optimise(resolve(spec), tmp_path / "one", SerialExecutor())
    executor = ProcessExecutor(2)
    try:
        two = optimise(resolve(spec), tmp_path / "two", executor)
    finally:
        executor.close()
    assert outputs(tmp_path / "one") == outputs(tmp_path / "two")
    assert one.screened is not None
    assert two.screened is not None
    assert one.screened.shortlist == two.screened.shortlist
    again = optimise(resolve(spec), tmp_path / "one", SerialExecutor())
    assert again.simulated == 0  # the screening replayed from values.csv, nothing simulated
    assert again.reused == one.simulated
    assert outputs(tmp_path / "one") == outputs(tmp_path / "two")

    with (tmp_path / "one" / "selection.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 8
    out_rows = [row for row in rows if row["status"] == "screened_out"]
    assert len(out_rows) == 8 - 3
    assert all("no guarantee about it" in row["why"] for row in out_rows)
    kept = [row for row in rows if row["status"] != "screened_out"]
    assert {row["candidate"] for row in kept} == {one.problem.names[i] for i in one.screened.shortlist}
    if one.chosen is not None:
        chosen = next(row for row in rows if row["status"] == "chosen")
        assert "among the short-listed candidates only" in chosen["why"]
    report = (tmp_path / "one" / "optimise.html").read_text(encoding="utf-8")
    assert "Among the 3 short-listed candidates only" in report
    assert "screened out and nothing is guaranteed about them" in report
    code, out, err = run("optimise", str(spec), "--out", str(tmp_path / "one"), "--executor", "serial")
    assert code == 0, err
    assert "Among the 3 short-listed candidates only" in out
    assert "3 short-listed" in out
    assert "over 3 candidates" in out
    assert "0 simulated now" in out
    copy = simiop.reproduce(tmp_path / "one", tmp_path / "again", jobs=1, executor="serial")
    assert copy.identical, copy.summary()

    # Interrupted during the screening (its second batch), then resumed: the same trials and bytes.
    calls = {"n": 0}
    real = optimise_runner.evaluate

    def interrupted(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(optimise_runner, "evaluate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        optimise(resolve(spec), tmp_path / "three", SerialExecutor())
    monkeypatch.setattr(optimise_runner, "evaluate", real)
    resumed = optimise(resolve(spec), tmp_path / "three", SerialExecutor())
    assert 0 < resumed.reused < one.simulated
    assert resumed.reused + resumed.simulated == one.simulated
    assert outputs(tmp_path / "three") == outputs(tmp_path / "one")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("screening: {trials: 5, colour: red}", "colour"),
        ("screening: {trials: 0}", "trials"),
        ("screening: {method: hyperopt, trials: 5}", "method"),
        ("screening: {replications: 2}", "trials"),
    ],
)
def test_screening_spec_errors_are_one_line(tmp_path: Path, extra: str, message: str) -> None:
    line = refused_in_one_line(mmc_spec(tmp_path, extra=extra), tmp_path / "out")
    assert "screening" in line
    assert message in line


def test_without_optuna_a_screening_is_one_line_naming_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.util.find_spec

    def hidden(name: str, *args: object) -> object:
        return None if name == "optuna" else real(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib.util, "find_spec", hidden)
    spec = mmc_spec(tmp_path, extra="screening: {trials: 5}")
    code, _, err = run("optimise", str(spec), "--out", str(tmp_path / "out"))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert 'pip install "simiop[optimise]"' in lines[0]
    assert "screening.method" in lines[0]
    # Without a screening section Optuna is not needed.
    plain = mmc_spec(tmp_path, levels="[6]", horizon=100)
    assert resolve(plain).spec.screening is None


def large_space(tmp_path: Path, *, seats: str, screening: str) -> Path:
    """Seats x an assessment length the M/M/c clinic never uses (every referral admitted directly)."""
    path = tmp_path / "large.yaml"
    path.write_text(
        f"base: {MMC}\nhorizon: 100\nvariables:\n"
        f"  seats: {{paths: [tracks.programme.group_size.max], levels: {seats}}}\n"
        f"  minutes: {{paths: [intake.assessment_minutes], levels: {list(range(30, 231))}}}\n"
        "objective: {variable: seats}\n"
        "constraints: [{kpi: wait_referral_to_admission_days_mean, at_most: 0.5, tolerance: 0.15}]\n"
        f"{screening}\n",
        encoding="utf-8",
    )
    return path


def test_a_screened_space_may_exceed_the_enumeration_limit_and_is_validated_lazily(tmp_path: Path) -> None:
    seats = str(list(range(3, 13)))  # 10 x 201 = 2,010 candidates
    study = resolve(large_space(tmp_path, seats=seats, screening="screening: {trials: 4}"))
    assert len(study.names) == len(study.configs) == 10 * 201 > MAX_CANDIDATES
    assert isinstance(study.configs, LazyConfigs)
    assert len(study.configs.made) == 10 + 201 - 1  # each level once, the others at their first
    assert study.configs[-1].tracks["programme"].group_size.max == 12
    code, _, err = run("optimise", str(large_space(tmp_path, seats=seats, screening="")), "--out", "x")
    assert code == 2
    assert "too many candidates" in err
    assert "with a screening section" in err
    code, _, err = run(
        "optimise",
        str(large_space(tmp_path, seats="[5, -1]", screening="screening: {trials: 4}")),
        "--out",
        str(tmp_path / "out"),
    )
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert "seats=-1" in err
