"""Overrides never give a silently wrong answer (issue 15).

- A field the plan decides (the seed, the replications) is honoured or refused,
  never recorded as a change the cells ran without; the manifest's resolved
  config holds what the cells ran.
- One list of overrides sets each field once: the same path twice, or a mapping
  and a field inside it, is an error naming both.
- Mix-ups get one line: an experiment file where a config belongs (and back), a
  newer config format, and problems the command line caused are the command
  line's, not the file's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import event, given, settings
from hypothesis import strategies as st

import simiop
from simiop.config import ConfigError, load_config, read_config_data
from simiop.config.loader import CONFIG_VERSION
from simiop.config.model import SimiopConfig
from simiop.config.overrides import Override, overlaps, set_values, split_path
from simiop.experiments.manifest import MANIFEST
from simiop.experiments.plan import Plan, experiment_plan, run_plan_for
from tests.conftest import BASELINE, EXPERIMENTS, REPO
from tests.test_cli import run

TINY = ("--horizon", "10d", "-r", "1", "-j", "1", "--tables", "none", "--no-report")


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def spec(tmp_path: Path, body: str, head: str = "replications: 2\nhorizon: 10d\n") -> Path:
    return write(tmp_path / "exp.yaml", f"base: {BASELINE}\n{head}{body}")


def problems(path: Path, **arguments: Any) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        experiment_plan(path, **arguments)
    return caught.value.lines()


def manifest_plan(out: Path) -> dict[str, Any]:
    plan = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["plan"]
    assert isinstance(plan, dict)
    return plan


# -- 1. fields the plan decides ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "where", "field"),
    [
        ("scenarios:\n  seeded:\n    set: {simulation.seed: 5}\n", "scenarios.seeded.set.simulation.seed", "seed"),
        ("scenarios:\n  more:\n    set: {simulation.replications: 9}\n", "scenarios.more.set.simulation.replications", "replications"),
        ("scenarios:\n  whole:\n    set: {simulation: {horizon_days: 10, seed: 5}}\n", "scenarios.whole.set.simulation", "seed"),
        ("grid:\n  seeds:\n    paths: [simulation.seed]\n    levels: [1, 2]\n", "grid.seeds.paths[0]", "seed"),
        ("set: {simulation.seed: 5}\n", "set.simulation.seed", "seed"),
        ("set: {simulation.replications: 5}\n", "set.simulation.replications", "replications"),
    ],
)  # fmt: skip
def test_an_override_of_what_the_plan_decides_is_refused_saying_where_instead(
    tmp_path: Path, body: str, where: str, field: str
) -> None:
    """Was: a scenario `set: {simulation.seed: 5}` equal to the base on every KPI, the manifest saying seed 5."""
    (line,) = problems(spec(tmp_path, body))
    assert line.startswith(
        f"{tmp_path / 'exp.yaml'}: {where}: sets simulation.{field}, which is the experiment's"
    )
    assert f"set the experiment's {field}: key (or --{field}) instead" in line


def test_a_scenario_seed_is_refused_on_the_command_line_too(tmp_path: Path) -> None:
    code, _, err = run(
        "experiment",
        str(spec(tmp_path, "scenarios:\n  seeded:\n    set: {simulation.seed: 5}\n")),
        "--dry-run",
    )
    assert code == 2
    assert len(err.splitlines()) == 1
    assert "scenarios.seeded.set.simulation.seed" in err
    assert "common random numbers" in err


def test_run_seed_and_replications_are_the_resolved_config_in_the_manifest(tmp_path: Path) -> None:
    """Was: `simiop run --seed 5` stored the file's seed in the manifest's resolved config."""
    assert load_config(BASELINE).simulation.seed != 5
    code, _, err = run("run", str(BASELINE), *TINY, "--seed", "5", "--out", str(tmp_path / "out"))
    assert code == 0, err
    plan = manifest_plan(tmp_path / "out")
    (scenario,) = plan["scenarios"]
    assert plan["seed"] == scenario["config"]["simulation"]["seed"] == 5
    assert plan["replications"] == scenario["config"]["simulation"]["replications"] == 1


def test_set_seed_is_honoured_by_run(tmp_path: Path) -> None:
    """For one run a --set seed is the run's seed: the plan, the config and the output agree."""
    a = run("run", str(BASELINE), *TINY, "--set", "simulation.seed=5", "--out", str(tmp_path / "a"))
    b = run("run", str(BASELINE), *TINY, "--seed", "5", "--out", str(tmp_path / "b"))
    assert a[0] == b[0] == 0
    assert manifest_plan(tmp_path / "a")["seed"] == 5
    kpis = [(tmp_path / name / "kpis.csv").read_bytes() for name in ("a", "b")]
    assert kpis[0] == kpis[1]


def test_experiment_arguments_are_every_scenarios_resolved_config(tmp_path: Path) -> None:
    path = spec(tmp_path, "seed: 11\nscenarios:\n  fewer:\n    set: {tracks.day.groups: 1}\n")
    for given_seed, given_replications, seed, replications in ((None, None, 11, 2), (3, 4, 3, 4)):
        plan = experiment_plan(path, seed=given_seed, replications=given_replications)
        assert (plan.seed, plan.replications) == (seed, replications)
        for scenario in plan.scenarios:
            assert scenario.config.simulation.seed == seed
            assert scenario.config.simulation.replications == replications
            assert "simulation.seed" not in scenario.changes


def _decided_by_plan(plan: Plan) -> None:
    """The invariant: every resolved config holds the seed and replications its cells run with."""
    for scenario in plan.scenarios:
        assert scenario.config.simulation.seed == plan.seed, scenario.name
        assert scenario.config.simulation.replications == plan.replications, scenario.name


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.stem)
def test_shipped_experiments_resolve_configs_with_the_plans_seed(path: Path) -> None:
    _decided_by_plan(experiment_plan(path))
    plan = experiment_plan(path, seed=7, replications=3, horizon_days=30)
    _decided_by_plan(plan)
    assert {scenario.config.simulation.horizon_days for scenario in plan.scenarios} == {30}


@settings(max_examples=25)
@given(
    seed=st.none() | st.integers(0, 2**63 - 1),
    replications=st.none() | st.integers(1, 100_000),
    file_seed=st.integers(0, 2**63 - 1),
)
def test_any_run_plan_resolves_the_seed_and_replications_it_runs(
    seed: int | None, replications: int | None, file_seed: int
) -> None:
    config = simiop.with_changes(load_config(BASELINE), {"simulation.seed": file_seed})
    plan = run_plan_for(config, "run", seed=seed, replications=replications)
    _decided_by_plan(plan)
    assert plan.seed == (file_seed if seed is None else seed)


def test_seed_given_twice_on_the_command_line_is_refused_naming_both(tmp_path: Path) -> None:
    code, _, err = run("run", str(BASELINE), *TINY, "--seed", "3", "--set", "simulation.seed=4", "--out", "x")
    assert code == 2
    assert err.startswith("command line: --set simulation.seed=4: sets the same field as --seed 3")
    code, _, err = run("run", str(BASELINE), *TINY, "--set", "simulation={horizon_days: 9}", "--out", "x")
    assert code == 2
    assert "--set simulation={horizon_days: 9}: sets the same field as --horizon 10d" in err
    assert not Path("x").exists()


def test_api_arguments_and_changes_that_set_one_field_are_refused(tmp_path: Path) -> None:
    for seed, changes, named in (
        (7, {"simulation.seed": 5}, "seed=7"),
        (None, {"simulation": {"horizon_days": 9}}, "horizon='10d'"),
    ):
        with pytest.raises(ConfigError, match="sets the same field as") as caught:
            simiop.run(
                BASELINE, horizon="10d", seed=seed, changes=changes, out=tmp_path / "out", report=False
            )
        assert named in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_api_seed_is_the_resolved_config(tmp_path: Path) -> None:
    results = simiop.run(BASELINE, horizon="10d", replications=1, seed=9, jobs=1, report=False, tables="none")
    assert results.plan.seed == results.plan.scenarios[0].config.simulation.seed == 9


def test_a_scenario_horizon_beside_the_command_line_horizon_is_refused(tmp_path: Path) -> None:
    path = spec(tmp_path, "scenarios:\n  long:\n    set: {simulation.horizon_days: 20}\n")
    plan = experiment_plan(path)  # the file's own horizon: the scenario's is honoured and recorded
    long = plan.scenarios[1]
    assert long.config.simulation.horizon_days == 20
    assert long.changes["simulation.horizon_days"] == 20
    code, _, err = run("experiment", str(path), "--dry-run", "--horizon", "15d")
    assert code == 2
    assert err == (
        f"{path}: scenarios.long.set.simulation.horizon_days: sets simulation.horizon_days, which --horizon 15d "
        "sets for every scenario; drop one of them (a scenario's own value would be silently replaced, "
        "or the option ignored)\n"
    )


def test_the_horizon_given_twice_in_an_experiment_file_is_refused(tmp_path: Path) -> None:
    (line,) = problems(spec(tmp_path, "set: {simulation.horizon_days: 20}\n"))
    assert (
        "set.simulation.horizon_days: sets simulation.horizon_days, and the experiment's horizon: key ends the run"
        in line
    )


def test_recorded_changes_are_what_the_cells_ran(tmp_path: Path) -> None:
    """An experiment-wide entry a scenario replaces is not listed; one it changes a part of shows the result."""
    path = spec(
        tmp_path,
        "set: {tracks.day.group_size: {min: 3, max: 12}, tracks.day.groups: 2}\n"
        "scenarios:\n"
        "  replaced:\n    set: {tracks.day.groups: 1}\n"
        "  part:\n    set: {tracks.day.group_size.max: 10}\n",
    )
    plan = experiment_plan(path)
    changes = {scenario.name: scenario.changes for scenario in plan.scenarios}
    assert changes["replaced"]["tracks.day.groups"] == 1
    assert changes["part"]["tracks.day.group_size"] == {"min": 3, "max": 10}
    for scenario in plan.scenarios:
        data = scenario.config.model_dump(mode="json")
        for key, value in scenario.changes.items():
            node: Any = data
            for part in split_path(key):
                node = node[part]
            assert node == value, (scenario.name, key)


def test_advise_refuses_a_set_replications_it_would_ignore() -> None:
    code, _, err = run("advise", str(BASELINE), "--kpi", "referrals", "--set", "simulation.replications=3")
    assert code == 2
    assert err == (
        "command line: --set simulation.replications=3: simulation.replications is not read here; "
        "advise runs --min-replications to --max-replications\n"
    )


# -- 2. each field set once -------------------------------------------------------------------------

OVERLAPPING = [
    ("tracks.day.group_size.max", 10, "tracks.day.group_size", {"min": 3, "max": 12}),
    ("tracks.day.group_size", {"min": 3, "max": 12}, "tracks.day.group_size.max", 10),
    ("intake.schedule[0].start_time", "10:00", "intake.schedule.0.start_time", "11:00"),
    ("tracks.day.groups", 1, " tracks.day.groups", 2),
]


@pytest.mark.parametrize(("first", "a", "second", "b"), OVERLAPPING)
def test_a_scenario_setting_a_field_twice_is_refused_naming_both(
    tmp_path: Path, first: str, a: Any, second: str, b: Any
) -> None:
    """Was: the later entry silently won, so the scenario could equal the base."""
    body = {"scenarios": {"twice": {"set": {first: a, second: b}}}}
    path = spec(tmp_path, yaml.safe_dump(body, sort_keys=False))
    lines = problems(path)
    assert len(lines) == 1
    assert f"scenarios.twice.set.{first}: sets the same field as scenarios.twice.set.{second}" in lines[0]


@pytest.mark.parametrize(("first", "a", "second", "b"), OVERLAPPING[:3])
def test_a_set_list_setting_a_field_twice_is_refused_naming_both(
    first: str, a: Any, second: str, b: Any
) -> None:
    sets = [f"{first}={json.dumps(a)}", f"{second}={json.dumps(b)}"]
    code, _, err = run("validate", str(BASELINE), "--set", sets[0], "--set", sets[1])
    assert code == 2
    assert err == (
        f"command line: --set {sets[0]}: sets the same field as --set {sets[1]} "
        f"({err.split(' (', 1)[1].split(')', 1)[0]}); the later one would silently win "
        "(allowed each field set once: a whole mapping or fields inside it, not both)\n"
    )


def test_the_horizon_option_and_a_set_horizon_are_refused_naming_both() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(
            BASELINE,
            [Override("simulation.horizon_days=30", "--horizon 30d"), "simulation.horizon_days=40"],
        )
    assert caught.value.lines()[0].startswith(
        "command line: --horizon 30d: sets the same field as --set simulation.horizon_days=40"
    )


@pytest.mark.parametrize(("first", "a", "second", "b"), OVERLAPPING[:2])
def test_api_changes_setting_a_field_twice_are_refused(first: str, a: Any, second: str, b: Any) -> None:
    with pytest.raises(ConfigError, match="sets the same field as"):
        simiop.load_config(BASELINE, changes={first: a, second: b})
    with pytest.raises(ConfigError, match="sets the same field as"):
        simiop.with_changes(simiop.load_config(BASELINE), {first: a, second: b})


@pytest.mark.parametrize(
    ("grid", "named"),
    [
        ("  a:\n    paths: [tracks.day.groups]\n    levels: [1, 2]\n  b:\n    paths: [tracks.day.groups]\n    levels: [3, 4]\n",
         "grid.a.paths[0]: sets the same field as grid.b.paths[0] (tracks.day.groups)"),
        ("  a:\n    paths: [tracks.day.group_size.max, tracks.day.group_size]\n    levels: [{min: 1, max: 2}]\n    labels: [x]\n",
         "grid.a.paths[0]: sets the same field as grid.a.paths[1] (tracks.day.group_size.max is inside tracks.day.group_size)"),
    ],
)  # fmt: skip
def test_grid_factors_setting_one_field_are_refused(tmp_path: Path, grid: str, named: str) -> None:
    """Was: every cell took the later factor's level, so cells named a=1 and a=2 were the same clinic."""
    (line,) = problems(spec(tmp_path, "grid:\n" + grid))
    assert named in line


def test_a_duplicate_key_in_an_experiment_file_is_an_error(tmp_path: Path) -> None:
    path = spec(
        tmp_path, "scenarios:\n  a:\n    set:\n      tracks.day.groups: 1\n      tracks.day.groups: 3\n"
    )
    (line,) = problems(path)
    assert "key 'tracks.day.groups' appears twice" in line


def test_yaml_keys_are_set_once_but_a_merge_may_be_overridden() -> None:
    """A key written twice is an error anywhere; one written over a `<<: *anchor` merge is YAML's override."""
    from simiop.config.yamlio import parse_yaml

    assert parse_yaml("a: &x {b: 1, c: 2}\nd: {<<: *x, b: 3}\n")["d"] == {"b": 3, "c": 2}
    assert parse_yaml("a: &x {b: 1}\nc: &y {b: 2}\nd: {<<: [*x, *y]}\n")["d"] == {"b": 1}
    for text in ("a: 1\na: 2\n", "a: &x {b: 1}\nd: {<<: *x, b: 3, b: 4}\n", "{x: 1, x: 1}\n"):
        with pytest.raises(yaml.YAMLError, match="appears twice"):
            parse_yaml(text)


LEAVES = sorted(
    {
        path
        for path in (
            "clinic.name",
            "simulation.warmup_days",
            "tracks.day.groups",
            "tracks.day.group_size.min",
            "tracks.day.group_size.max",
            "tracks.evening.groups",
            "intake.schedule[0].start_time",
            "staff.roles.therapist.count",
        )
    }
)
PATHS = sorted({".".join(p.split(".")[:depth]) for p in LEAVES for depth in range(1, len(p.split(".")) + 1)})


@settings(max_examples=60)
@given(
    chosen=st.lists(st.sampled_from(PATHS), min_size=2, max_size=4, unique=True),
    spaces=st.text(" ", max_size=1),
)
def test_any_two_entries_on_one_field_are_refused_and_distinct_fields_are_not(
    chosen: list[str], spaces: str
) -> None:
    """Property: set_values refuses exactly the lists where one path is, or is inside, another."""
    data = read_config_data(BASELINE)
    values = {f"{spaces}{path}": _value_at(data, path) for path in chosen}
    clash = any(overlaps(split_path(a), split_path(b)) for i, a in enumerate(chosen) for b in chosen[i + 1 :])
    if clash:
        with pytest.raises(ConfigError, match="sets the same field as"):
            set_values(data, values, "x")
    else:
        assert set_values(data, values, "x") == data  # each value is the field's own


def _value_at(data: Any, path: str) -> Any:
    for part in split_path(path):
        data = data[part]
    return data


# -- 3. mix-ups get one line ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command", [("run", "--out", "never"), ("validate",), ("advise", "--kpi", "referrals")]
)
def test_an_experiment_file_given_for_a_config_gets_one_line(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    path = spec(tmp_path, "scenarios:\n  a:\n    set: {tracks.day.groups: 1}\n")
    name, *options = command
    code, _, err = run(name, str(path), *options)
    assert code == 2
    assert err == (
        f"{path}: this is an experiment file (it names a base: config), not a clinic config; "
        f"run it with: simiop experiment {path} (--dry-run only checks it)\n"
    )
    assert not Path("never").exists()


def test_a_config_given_for_an_experiment_gets_one_line(tmp_path: Path) -> None:
    code, _, err = run("experiment", str(BASELINE), "--dry-run")
    assert code == 2
    assert err == (
        f"{BASELINE}: this is a clinic config, not an experiment file; run it with: "
        f"simiop run {BASELINE} --out DIR, or name it as the base: of an experiment file\n"
    )
    with pytest.raises(ConfigError, match="this is a clinic config"):
        simiop.run_experiment(BASELINE, out=tmp_path / "out")
    with pytest.raises(ConfigError, match="this is an experiment file"):
        simiop.run(spec(tmp_path, ""), out=tmp_path / "out")


@pytest.mark.parametrize(
    ("command", "expected"),
    [(("run", "--out", "never"), "a clinic config"), (("validate",), "a clinic config"),
     (("experiment", "--dry-run"), "an experiment file")],
)  # fmt: skip
def test_a_manifest_given_for_a_config_or_experiment_gets_one_line(
    tmp_path: Path, command: tuple[str, ...], expected: str
) -> None:
    out = tmp_path / "done"
    assert run("run", str(BASELINE), *TINY, "--out", str(out))[0] == 0
    name, *options = command
    code, _, err = run(name, str(out / MANIFEST), *options)
    assert code == 2
    assert err == (
        f"{out / MANIFEST}: this is the manifest of a result folder, not {expected}; "
        f"re-run it with: simiop reproduce {out}\n"
    )


@pytest.mark.parametrize("version", [2, 17])
def test_a_newer_config_format_is_one_line(tmp_path: Path, version: int) -> None:
    text = BASELINE.read_text(encoding="utf-8").replace("config_version: 1", f"config_version: {version}")
    path = write(tmp_path / "new.yaml", text + "a_section_of_the_future: {x: 1}\n")
    code, _, err = run("validate", str(path))
    assert code == 2
    assert err == (
        f"{path}: config_version: written for config format {version}; this simiop ({simiop.__version__}) "
        f"reads {CONFIG_VERSION}: upgrade simiop, or write the file for format {CONFIG_VERSION}\n"
    )


def test_a_newer_manifest_format_is_one_line(tmp_path: Path) -> None:
    write(tmp_path / MANIFEST, json.dumps({"simiop_manifest": 2, "plan": {}}))
    code, _, err = run("reproduce", str(tmp_path), "--out", str(tmp_path / "again"))
    assert code == 2
    assert err == (
        f"{tmp_path / MANIFEST}: simiop_manifest: written for manifest format 2; this simiop "
        f"({simiop.__version__}) reads 1: upgrade simiop to read it\n"
    )


def test_config_version_is_the_models_bound() -> None:
    schema = SimiopConfig.model_json_schema()["properties"]["config_version"]
    assert schema["maximum"] == CONFIG_VERSION


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (("--horizon", "200y"), "command line: --horizon 200y: simulation.horizon_days: out of range (got 73048; "),  # calendar years
        (("--seed", str(2**64)), f"command line: --seed {2**64}: simulation.seed: out of range"),
        (("--set", "tracks.day.groups=-1"), "command line: --set tracks.day.groups=-1: tracks.day.groups: out of range"),
        (("--horizon", "10d", "--set", "simulation.warmup_days=20"),
         "command line: --set simulation.warmup_days=20: simulation.warmup_days: warm-up must end before the horizon"),
    ],
)  # fmt: skip
def test_a_problem_an_option_causes_is_the_command_lines(
    tmp_path: Path, args: tuple[str, ...], line: str
) -> None:
    """Was reported as the file's (`baseline.yaml: simulation.horizon_days: out of range`)."""
    code, _, err = run("run", str(BASELINE), *args, "--out", str(tmp_path / "out"))
    assert code == 2
    assert err.startswith(line), err
    assert len(err.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_a_file_problem_stays_the_files_beside_an_option(tmp_path: Path) -> None:
    text = BASELINE.read_text(encoding="utf-8").replace("    groups: 2\n", "    groups: -2\n", 1)
    path = write(tmp_path / "bad.yaml", text)
    code, _, err = run("validate", str(path), "--set", "tracks.evening.groups=-3")
    assert code == 2
    lines = err.splitlines()
    assert f"{path}: tracks.day.groups: out of range (got -2; allowed 0 to 20)" in lines
    assert (
        "command line: --set tracks.evening.groups=-3: tracks.evening.groups: out of range (got -3; allowed 0 to 20)"
        in lines
    )


def test_a_file_problem_stays_the_files_when_an_option_changes_only_its_description(tmp_path: Path) -> None:
    """Was blamed on the option: the file's evening therapist works days, and `count=2` changes the
    message's "got" part (the role's head count) but neither causes nor fixes it."""
    text = BASELINE.read_text(encoding="utf-8")
    role = "    evening_therapist:\n      count: 1\n      shift: evening\n"
    assert role in text
    path = write(tmp_path / "noshift.yaml", text.replace(role, role.replace("shift: evening", "shift: day")))
    code, _, err = run("validate", str(path), "--set", "staff.roles.evening_therapist.count=2")
    assert code == 2
    assert err.startswith(
        f"{path}: tracks.evening.facilitator_role: no evening_therapist works the evening "
    ), err
    assert len(err.splitlines()) == 1
    # An option that sets the problem's own field takes the blame for the value it gave.
    text = text.replace("    groups: 2\n", "    groups: -2\n", 1)
    path = write(tmp_path / "bad.yaml", text)
    code, _, err = run("validate", str(path), "--set", "tracks.day.groups=-3")
    assert code == 2
    assert err.splitlines() == [
        "command line: --set tracks.day.groups=-3: tracks.day.groups: out of range (got -3; allowed 0 to 20)"
    ]


def test_validating_several_files_tells_which_one_an_option_failed_on() -> None:
    small = REPO / "configs" / "small_day_only.yaml"
    code, _, err = run("validate", str(BASELINE), str(small), "--set", "tracks.evening.groups=-1")
    assert code == 2
    assert err.splitlines() == [
        f"command line (with {BASELINE}): --set tracks.evening.groups=-1: tracks.evening.groups: out of range "
        "(got -1; allowed 0 to 20)",
        f"command line (with {small}): --set tracks.evening.groups=-1: tracks has no key 'evening' (allowed day)",
    ]


def test_an_experiment_horizon_option_problem_is_the_command_lines(tmp_path: Path) -> None:
    path = spec(tmp_path, "scenarios:\n  a:\n    set: {tracks.day.groups: 1}\n")
    code, _, err = run("experiment", str(path), "--dry-run", "--horizon", "200y")
    assert code == 2
    assert err.startswith("command line: --horizon 200y: simulation.horizon_days: out of range"), err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("own", "line"),
    [
        ("horizon: 5y\n",
         "exp.yaml: horizon: simulation.horizon_days: the run would end after 2199-12-31, the last date simiop "
         "supports (got 1825 days from opening_date 2197-01-01; allowed <= 1095 for this opening_date)"),
        ("set: {simulation.horizon_days: 1096}\n",
         "exp.yaml: set.simulation.horizon_days: simulation.horizon_days: the run would end after 2199-12-31, "
         "the last date simiop supports (got 1096 days from opening_date 2197-01-01; allowed <= 1095 for this "
         "opening_date)"),
        ("set: {tracks.day.groups: -1}\n",
         "exp.yaml: set.tracks.day.groups: tracks.day.groups: out of range (got -1; allowed 0 to 20)"),
    ],
)  # fmt: skip
def test_an_experiments_own_entries_take_the_blame_not_its_base(tmp_path: Path, own: str, line: str) -> None:
    """Was `exp.yaml: base: simulation.horizon_days: ...`: the base config is fine, the file's horizon is not."""
    late = BASELINE.read_text(encoding="utf-8").replace(
        "opening_date: 2027-01-04", "opening_date: 2197-01-01"
    )
    write(tmp_path / "late.yaml", late)
    path = write(tmp_path / "exp.yaml", f"base: late.yaml\nreplications: 2\n{own}")
    assert problems(path) == [f"{tmp_path}/{line}"]


def test_identifiers_in_messages_stay_readable() -> None:
    """The labels the messages use are what the user typed."""
    assert Override("a.b=1").shown == "--set a.b=1"
    assert Override("", "").shown == "--set"
    assert Override("simulation.seed=5", "--seed 5").shown == "--seed 5"


# -- the invariant over random experiments ----------------------------------------------------------

POOL: dict[str, st.SearchStrategy[Any]] = {
    "simulation.seed": st.integers(0, 9),
    "simulation.replications": st.integers(1, 4),
    "simulation.horizon_days": st.integers(10, 40),
    "simulation": st.fixed_dictionaries(
        {"horizon_days": st.integers(10, 40)}, optional={"warmup_days": st.just(0), "seed": st.integers(0, 9)}
    ),
    "tracks.day.groups": st.integers(0, 3),
    " tracks.day.groups": st.integers(0, 3),
    "tracks.day.group_size": st.builds(lambda top: {"min": 3, "max": top}, st.integers(8, 12)),
    "tracks.day.group_size.max": st.integers(8, 12),
    "staff.roles.therapist.count": st.integers(1, 5),
}


@st.composite
def overrides(draw: st.DrawFn, max_size: int = 3) -> dict[str, Any]:
    paths = draw(st.lists(st.sampled_from(sorted(POOL)), max_size=max_size, unique=True))
    return {path: draw(POOL[path]) for path in paths}


def _agrees(recorded: Any, actual: Any) -> bool:
    if isinstance(recorded, dict):
        return isinstance(actual, dict) and all(_agrees(v, actual.get(k)) for k, v in recorded.items())
    return bool(recorded == actual)


FACTORS = st.sampled_from(sorted(POOL)).flatmap(
    lambda path: st.tuples(st.just(path), st.lists(POOL[path], min_size=1, max_size=2, unique_by=repr))
)


@settings(max_examples=40)
@given(
    common=overrides(max_size=2),
    scenarios=st.lists(overrides(), min_size=1, max_size=3),
    factors=st.lists(FACTORS, max_size=2),
    cli_horizon=st.none() | st.just(20.0),
)
def test_every_plan_records_what_its_cells_run_or_is_refused(
    tmp_path_factory: pytest.TempPathFactory,
    common: dict[str, Any],
    scenarios: list[dict[str, Any]],
    factors: list[tuple[str, list[Any]]],
    cli_horizon: float | None,
) -> None:
    """Property: an experiment is refused in lines naming entries, or every scenario's recorded changes
    are the values its config holds, and its config holds the plan's seed and replications."""
    body: dict[str, Any] = {
        "set": common,
        "scenarios": {f"s{i}": {"set": s} for i, s in enumerate(scenarios)},
    }
    body["grid"] = {
        f"f{i}": {"paths": [path], "levels": levels, "labels": [f"l{j}" for j in range(len(levels))]}
        for i, (path, levels) in enumerate(factors)
    }
    path = write(tmp_path_factory.mktemp("prop") / "exp.yaml", f"base: {BASELINE}\nreplications: 2\n")
    with path.open("a", encoding="utf-8") as handle:
        yaml.safe_dump(body, handle, sort_keys=False)
    refused: list[str] = []
    try:
        plan = experiment_plan(path, horizon_days=cli_horizon)
    except ConfigError as exc:
        refused = exc.lines()
    event("refused" if refused else "planned")
    if refused:
        assert all(line.startswith((f"{path}: ", "arguments")) for line in refused), refused
        return
    _decided_by_plan(plan)
    for scenario in plan.scenarios:
        data = scenario.config.model_dump(mode="json")
        for key, value in scenario.changes.items():
            actual: Any = data
            for part in split_path(key.strip()):
                actual = actual[part]
            assert _agrees(value, actual), (scenario.name, key, value, actual)
    for keys_set in [[*own] for own in scenarios] + [[path for path, _ in factors]]:
        keys = [split_path(key.strip()) for key in keys_set]
        assert not any(overlaps(a, b) for i, a in enumerate(keys) for b in keys[i + 1 :]), keys_set
        assert not any(key.strip() in ("simulation.seed", "simulation.replications") for key in keys_set)


def test_a_section_the_file_leaves_out_can_be_set_key_by_key() -> None:
    """The baseline names no staff.shifts and no cover pool: --set fills them one key at a time, as the
    file could (issue 18), instead of "staff has no key 'shifts'"."""
    config = load_config(
        BASELINE,
        [
            'staff.shifts.evening={start: "14:00", end: "24:00"}',
            "staff.roles.evening_therapist.cover.hourly_cost_usd=45",
        ],
    )
    evening = config.staff.shifts.evening
    assert evening is not None
    assert (evening.start, evening.end) == ("14:00", "24:00")
    assert config.staff.shifts.day is None
    cover = config.staff.roles["evening_therapist"].cover
    assert cover is not None
    assert (cover.people_per_day, cover.hourly_cost_usd) == (1, 45.0)


def test_a_mistyped_section_lists_the_fields_it_may_have_and_a_user_key_is_never_made_up() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(BASELINE, ["staff.shift.day.start=07:00", "tracks.dya.groups=3"])
    assert caught.value.lines() == [
        "command line: --set staff.shift.day.start=07:00: staff has no key 'shift' (allowed roles, shifts)",
        "command line: --set tracks.dya.groups=3: tracks has no key 'dya' (allowed day, evening)",
    ]


def test_a_left_out_mapping_field_is_named_with_the_whole_value_to_set() -> None:
    """The baseline has no intake.by_source (issue 19): --set inside it used to say "intake has no key
    'by_source'" while listing by_source as allowed; it now says the field is not in the config and gives
    the whole value to set, which loads. A user key inside a mapping the file has is still never made up."""
    with pytest.raises(ConfigError) as caught:
        load_config(
            BASELINE,
            ["intake.by_source.step_down.lead_time_days=0", "staff.roles.therapist.hires.0.count=1"],
        )
    assert caught.value.lines() == [
        "command line: --set intake.by_source.step_down.lead_time_days=0: intake.by_source is not in the "
        "config, so there is nothing inside it to change (allowed set it whole: "
        "intake.by_source={step_down: {lead_time_days: 0}})",
        "command line: --set staff.roles.therapist.hires.0.count=1: staff.roles.therapist.hires is not in "
        "the config, so there is nothing inside it to change (allowed set it whole: "
        "staff.roles.therapist.hires=[{count: 1}])",
    ]
    config = load_config(BASELINE, ["intake.by_source={step_down: {lead_time_days: 0}}"])
    assert config.intake.by_source["step_down"].lead_time_days == 0.0
    with pytest.raises(ConfigError) as typo:
        load_config(BASELINE, ["intake.outcomes_by_source.step_dwn.admit=1"])
    assert typo.value.lines() == [
        "command line: --set intake.outcomes_by_source.step_dwn.admit=1: intake.outcomes_by_source has no "
        "key 'step_dwn' (allowed emergency_department)"
    ]
