"""The web app's pages (Streamlit): Clinic, Run, Results, Compare, Download.

Every run goes to the job manager (simiop.app.jobs), shared by the server's
sessions and never run in the server's threads; a page only submits, polls
and reads result folders. Each session is one owner: it sees its own runs.
"""

from __future__ import annotations

import importlib
import io
import os
import time
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st

from simiop.app.cache import default_root
from simiop.app.editing import (
    WEEKDAYS,
    hires_text,
    parse_hires,
    problems_at,
    problems_of,
    read_text,
    shipped_configs,
    slots_per_weekday,
    with_slots,
    with_value,
    yaml_text,
)
from simiop.app.fields import field_spec
from simiop.app.jobs import CompareRequest, Job, JobManager, RunRequest, State
from simiop.config import ConfigError, Problem, SimiopConfig
from simiop.config.overrides import value_at

PAGES = ("Clinic", "Run", "Results", "Compare", "Download")
RUNS_ENV = "SIMIOP_APP_RUNS"
"""Folder of the app's result folders (default: ~/.cache/simiop/app-runs)."""
WORKERS_ENV = "SIMIOP_APP_WORKERS"
"""Worker processes shared by every user of the server (default: every core)."""
CONFIG_ENV = "SIMIOP_APP_CONFIG"
"""Config file to start from (``simiop app --config FILE``)."""
POLL_SECONDS = 0.5


@st.cache_resource
def manager() -> JobManager:
    """The server's one job manager: every session's runs share its worker budget."""
    root = Path(os.environ.get(RUNS_ENV) or default_root())
    workers = os.environ.get(WORKERS_ENV)
    return JobManager(root, int(workers) if workers else None)


# -- the session's state ---------------------------------------------------------------------------------


def _start_state() -> None:
    state = st.session_state
    if "owner" in state:
        return
    state.owner = uuid.uuid4().hex
    state.scenarios = {}
    state.version = 0
    given = os.environ.get(CONFIG_ENV)
    path = Path(given) if given else next(iter(shipped_configs().values()))
    try:
        data, _ = read_text(path.read_text(encoding="utf-8"), path.name)
    except (ConfigError, OSError) as exc:
        state.load_error = exc.lines() if isinstance(exc, ConfigError) else [f"{path}: {exc}"]
        path = next(iter(shipped_configs().values()))
        data, _ = read_text(path.read_text(encoding="utf-8"), path.name)
    _use(data, path.name)


def _use(data: dict[str, Any], source: str) -> None:
    """Make ``data`` the clinic being edited; the widgets start again from its values."""
    from simiop.config import validate_config

    st.session_state.defaults = validate_config(data, source).model_dump(mode="json")  # fields left out
    st.session_state.data = data
    st.session_state.source = source
    st.session_state.version += 1


def _data() -> dict[str, Any]:
    data: dict[str, Any] = st.session_state.data
    return data


def _source() -> str:
    return str(st.session_state.source)


def _owner() -> str:
    return str(st.session_state.owner)


# -- the Clinic page -------------------------------------------------------------------------------------


def _key(path: str) -> str:
    return f"{st.session_state.version}:{path}"


def _set(path: str, key: str, convert: Callable[[Any], Any] = lambda value: value) -> None:
    """A widget's on_change: write its value into the config data (bad text stays in the widget)."""
    try:
        st.session_state.data = with_value(_data(), path, convert(st.session_state[key]), _source())
        st.session_state.pop(f"bad:{path}", None)
    except (ValueError, ConfigError) as exc:
        lines = exc.lines() if isinstance(exc, ConfigError) else [str(exc)]
        st.session_state[f"bad:{path}"] = lines


SHOWN = "shown_problems"
"""Session key: the problem lines already shown on this rendering of the Clinic page."""


def _show_problems(path: str, problems: list[Problem]) -> None:
    """``simiop validate``'s lines about this field, right under it.

    A problem about a section (``tracks: no track is enabled``) concerns every
    field in it; it is shown once, under the first of them, not under each.
    """
    shown: set[str] = st.session_state.setdefault(SHOWN, set())
    for line in st.session_state.get(f"bad:{path}", []):
        st.error(line)
    for problem in problems_at(problems, path):
        line = problem.format(_source())
        if line not in shown:
            shown.add(line)
            st.error(line)


def _number(path: str, label: str, problems: list[Problem], step: float | None = None) -> None:
    spec = field_spec(path)
    value = _get(path, 0)
    if spec.integer:
        low, high = spec.widget_bounds(1)
        st.number_input(
            label,
            min_value=None if low is None else int(low),
            max_value=None if high is None else int(high),
            value=int(value),
            step=1,
            help=spec.help,
            key=_key(path),
            on_change=_set,
            args=(path, _key(path)),
        )
    else:
        step = float(step or (0.05 if (spec.high or 0) <= 1 else 0.5))
        low, high = spec.widget_bounds(0.01 if step < 1 else step / 10)
        st.number_input(
            label,
            min_value=low,
            max_value=high,
            value=float(value),
            step=step,
            help=spec.help,
            key=_key(path),
            on_change=_set,
            args=(path, _key(path)),
        )
    _show_problems(path, problems)


def _choice(path: str, label: str, problems: list[Problem]) -> None:
    spec = field_spec(path)
    value = str(_get(path))
    st.selectbox(
        label,
        spec.choices,
        index=spec.choices.index(value),
        help=spec.help,
        key=_key(path),
        on_change=_set,
        args=(path, _key(path)),
    )
    _show_problems(path, problems)


def _get(path: str, default: Any = None) -> Any:
    """The field's value in the file, else the value it has by default (a field the file leaves out)."""
    for data in (_data(), st.session_state.defaults):
        try:
            value = value_at(data, path.split("."))
        except (KeyError, IndexError, TypeError):
            continue
        if value is not None:
            return value
    return default


def clinic_page() -> None:
    """The settings administrators change most, a file to start from, and the YAML to save."""
    st.header("Clinic")
    st.session_state[SHOWN] = set()
    for line in st.session_state.pop("load_error", []):
        st.error(line)
    shipped = shipped_configs()
    left, right = st.columns(2)
    with left:
        chosen = st.selectbox("Start from a shipped config", list(shipped), key="shipped")
        if st.button("Load it", key="load_shipped"):
            path = shipped[str(chosen)]
            data, _ = read_text(path.read_text(encoding="utf-8"), path.name)
            _use(data, path.name)
            st.rerun()
    with right:
        upload = st.file_uploader("or load a YAML config", type=["yaml", "yml"], key="upload")
        if upload is not None and st.session_state.get("uploaded") != upload.file_id:
            st.session_state.uploaded = upload.file_id
            try:
                data, _ = read_text(upload.getvalue().decode("utf-8", errors="replace"), upload.name)
            except ConfigError as exc:
                for line in exc.lines():
                    st.error(line)
            else:
                _use(data, upload.name)
                st.rerun()
    config, problems = problems_of(_data(), _source())
    st.caption(f"Editing {_source()}")
    if problems:
        st.error(f"{len(problems)} problem(s), as `simiop validate` reports them; see the fields below.")
    data = _data()

    st.subheader("Referrals")
    _number("referrals.volume", "Referral volume (x every source's rate)", problems, step=0.1)
    for name in data["referrals"]["sources"]:
        with st.expander(f"Source: {name}"):
            base = f"referrals.sources.{name}"
            _number(f"{base}.weekly_rate", "Referrals per week", problems, step=0.5)
            _number(f"{base}.contact_probability", "Share reached (contact)", problems)
            for payer in data["referrals"]["sources"][name].get("payer_mix", {}):
                _number(f"{base}.payer_mix.{payer}", f"Payer share: {payer}", problems)

    st.subheader("Tracks")
    for name in data["tracks"]:
        base = f"tracks.{name}"
        with st.expander(f"Track: {name}", expanded=True):
            st.toggle(
                "Open",
                value=bool(_get(f"{base}.enabled", True)),
                help=field_spec(f"{base}.enabled").help,
                key=_key(f"{base}.enabled"),
                on_change=_set,
                args=(f"{base}.enabled", _key(f"{base}.enabled")),
            )
            st.multiselect(
                "Programme days",
                WEEKDAYS,
                default=list(_get(f"{base}.weekdays", [])),
                help=field_spec(f"{base}.weekdays").help,
                key=_key(f"{base}.weekdays"),
                on_change=_set,
                args=(f"{base}.weekdays", _key(f"{base}.weekdays"), list),
            )
            _show_problems(f"{base}.weekdays", problems)
            st.text_input(
                "Start time (HH:MM)",
                value=str(_get(f"{base}.start_time")),
                help=field_spec(f"{base}.start_time").help,
                key=_key(f"{base}.start_time"),
                on_change=_set,
                args=(f"{base}.start_time", _key(f"{base}.start_time")),
            )
            _show_problems(f"{base}.start_time", problems)
            _number(f"{base}.hours_per_day", "Hours per day", problems, step=0.5)
            _number(f"{base}.groups", "Groups", problems)
            _number(f"{base}.group_size.min", "Smallest group", problems)
            _number(f"{base}.group_size.max", "Largest group", problems)

    st.subheader("Intake")
    counts = slots_per_weekday(data)
    minutes = float(_get("intake.assessment_minutes", 60))
    columns = st.columns(len(WEEKDAYS))
    for column, weekday in zip(columns, WEEKDAYS, strict=True):
        with column:
            st.number_input(
                f"Slots {weekday}",
                min_value=0,
                max_value=16,
                value=counts[weekday],
                step=1,
                help="Assessment slots that weekday: fewer keeps the earliest; more adds slots after the "
                "last (where it ends, on the half hour; from 09:00 on an empty day). intake.schedule.",
                key=_key(f"slots.{weekday}"),
                on_change=_set_slots,
                args=(weekday, minutes),
            )
    _show_problems("intake.schedule", problems)
    _number("intake.assessment_minutes", "Assessment length (minutes)", problems, step=15)

    st.subheader("Staff")
    for role in data["staff"]["roles"]:
        base = f"staff.roles.{role}"
        with st.expander(f"Role: {role}"):
            _number(f"{base}.count", "People at opening", problems)
            _number(f"{base}.fte", "FTE of each", problems)
            _choice(f"{base}.shift", "Shift", problems)
            _number(f"{base}.annual_salary_usd", "Annual salary (USD)", problems, step=1000)
            st.text_input(
                "Hires (date x people; ...)",
                value=hires_text(_get(f"{base}.hires", []) or []),
                help=field_spec(f"{base}.hires").help + " Written e.g. 2027-04-01 x 2; 2028-01-03",
                key=_key(f"{base}.hires"),
                on_change=_set,
                args=(f"{base}.hires", _key(f"{base}.hires"), _hires_of(f"{base}.hires")),
            )
            _show_problems(f"{base}.hires", problems)

    st.subheader("Money")
    for payer in data["money"]["payers"]:
        _number(f"money.payers.{payer}.per_diem_usd", f"Per diem, {payer} (USD/day)", problems, step=5)

    st.subheader("Save")
    if config is None:
        st.warning("Fix the problems above to save the config.")
    else:
        st.download_button(
            "Save config YAML",
            yaml_text(_data()),
            file_name=_source() if _source().endswith((".yaml", ".yml")) else "clinic.yaml",
            mime="application/x-yaml",
            key="save_yaml",
        )


def _hires_of(where: str) -> Callable[[Any], Any]:
    def convert(text: Any) -> Any:
        return parse_hires(str(text), where)

    return convert


def _set_slots(weekday: str, minutes: float) -> None:
    count = int(st.session_state[_key(f"slots.{weekday}")])
    schedule = with_slots(_data()["intake"]["schedule"], weekday, count, minutes)
    st.session_state.data = with_value(_data(), "intake.schedule", schedule, _source())


# -- running ---------------------------------------------------------------------------------------------


def _run_settings(config: SimiopConfig, prefix: str = "") -> tuple[dict[str, Any], int, int] | None:
    """The horizon change, replications and seed chosen (None: a one-line problem shown); widget keys
    start with ``prefix`` (the Compare page has its own)."""
    from simiop.config.durations import duration_days
    from simiop.experiments.decided import FISCAL_YEARS, HORIZON, horizon_way

    way = st.radio(
        "Run for", ("the config's horizon", "a duration", "fiscal years"), key=prefix + "way", horizontal=True
    )
    changes: dict[str, Any] = {}
    if way == "a duration":
        text = st.text_input(
            "Duration", value="3y", help="e.g. 90 (days), 26w, 18m, 3y", key=prefix + "duration"
        )
        try:
            duration_days(text)
        except ValueError as exc:
            st.error(f"Duration: {exc}")
            return None
        changes = horizon_way(HORIZON, text.strip())
    elif way == "fiscal years":
        spec = field_spec("simulation.fiscal_years")
        years = st.number_input(
            "Fiscal years", 1, int(spec.high or 100), value=3, step=1, help=spec.help, key=prefix + "years"
        )
        changes = horizon_way(FISCAL_YEARS, int(years))
    if changes:
        from simiop.api import with_changes

        label = f"Duration {text.strip()}" if way == "a duration" else f"Fiscal years {int(years)}"
        try:
            with_changes(
                config, changes
            )  # as the command line checks --horizon: 500y is past the longest run
        except ConfigError as exc:
            for problem in exc.problems:
                st.error(problem.format(label))
            return None
    replications = st.number_input(
        "Replications",
        1,
        1000,
        value=int(config.simulation.replications),
        step=1,
        help="Independent runs of the clinic; the intervals narrow as they grow (20 or more to trust them).",
        key=prefix + "replications",
    )
    seed = st.number_input(
        "Seed",
        0,
        2**53 - 1,  # a browser's numbers are exact up to here; a larger seed is for `simiop run --seed`
        value=min(int(config.simulation.seed), 2**53 - 1),
        step=1,
        help="Same seed, same results.",
        key=prefix + "seed",
    )
    return changes, int(replications), int(seed)


def _job(name: str) -> Job | None:
    job_id = st.session_state.get(name)
    if job_id is None:
        return None
    try:
        return manager().job(_owner(), job_id)
    except KeyError:
        return None


def _progress(name: str) -> None:
    """The job's progress bar and Cancel, polled while it runs."""
    job = _job(name)
    if job is None:
        return
    if job.state in (State.QUEUED, State.RUNNING, State.REPORTING):
        text = {
            State.QUEUED: "waiting for a free worker",
            State.RUNNING: f"{job.done} of {job.total} replications",
            State.REPORTING: "drawing the report",
        }[job.state]
        st.progress(job.fraction, text=text)
        if st.button("Cancel", key=f"cancel_{name}"):
            manager().cancel(_owner(), job.id)
            st.rerun()
    elif job.state == State.DONE:
        seconds = (job.finished or time.monotonic()) - job.submitted
        st.success(
            "Answered from results on disk (same config, seed, replications and horizon)."
            if job.from_disk
            else f"Done: {job.total} replications in {seconds:.1f} s. See Results."
        )
    elif job.state == State.CANCELLED:
        st.warning(f"Cancelled after {job.done} of {job.total} replications (they are kept for a rerun).")
    else:
        st.error(job.error)


@st.fragment(run_every=POLL_SECONDS)
def _poll(name: str) -> None:
    _progress(name)
    job = _job(name)
    if job is not None and job.state.ended and st.session_state.get(f"shown:{name}") != job.id:
        st.session_state[f"shown:{name}"] = job.id
        st.rerun()  # the whole page: Results and Download read the finished job


def run_page() -> None:
    st.header("Run")
    config, problems = problems_of(_data(), _source())
    if config is None:
        st.error("The clinic has problems; fix them on the Clinic page first.")
        for problem in problems:
            st.error(problem.format(_source()))
        return
    chosen = _run_settings(config)
    if chosen is not None and st.button("Run", type="primary", key="run"):
        changes, replications, seed = chosen
        try:
            from simiop.api import with_changes

            ran = with_changes(config, changes) if changes else config
        except ConfigError as exc:
            for line in exc.lines():
                st.error(line)
        else:
            job = manager().submit(_owner(), RunRequest(ran, replications, seed))
            st.session_state.run_job = job.id
    _poll("run_job")


# -- results ---------------------------------------------------------------------------------------------


def _finished(name: str) -> Job | None:
    job = _job(name)
    return job if job is not None and job.state == State.DONE else None


def _kpi_rows(folder: Path) -> list[dict[str, Any]]:
    from simiop.api import open_results
    from simiop.results.labels import HEADLINE

    results = open_results(folder)
    rows = []
    for kpi, label, form in HEADLINE:
        summary = results.summarised(kpi)
        rows.append(
            {
                "KPI": label,
                "mean": form.format(summary.mean),
                "95% CI of the mean": f"{form.format(summary.ci95_low)} to {form.format(summary.ci95_high)}",
                "95% outcome range": (
                    f"{form.format(summary.outcome95_low)} to {form.format(summary.outcome95_high)}"
                ),
            }
        )
    return rows


def results_page() -> None:
    st.header("Results")
    job = _finished("run_job")
    if job is None:
        st.info("No results yet: run the clinic on the Run page.")
        return
    from simiop.api import open_results
    from simiop.report.limits import folder_limits

    results = open_results(job.folder)
    st.write(results.headline())
    st.subheader("Key figures")
    st.dataframe(_kpi_rows(job.folder), hide_index=True)
    st.caption(
        "CI of the mean: where the average lies; outcome range: where one replication (one possible "
        "future) falls, 95 times in 100."
    )
    st.subheader("What limits the clinic")
    for sentence in folder_limits(results.folder, results.folder.base.name):
        st.markdown(f"- {sentence}")
    st.subheader("Fiscal-year projections")
    st.dataframe(results.projections("fiscal_year"), hide_index=True)
    _census_chart(results)
    st.subheader("Figures")
    for figure in sorted((job.folder / "figures").glob("*.png")):
        st.image(str(figure), caption=figure.stem.replace("_", " "))


def _census_chart(results: Any) -> None:
    """Mean census of each track per day across replications, against its seats: interactive (zoom, hover)."""
    pandas = importlib.import_module("pandas")  # a dependency of Streamlit
    frames = []
    for replication in range(results.plan.replications):
        try:
            frames.append(results.table("daily", replication))
        except FileNotFoundError:
            return
    daily = pandas.concat(frames)
    census = daily.groupby(["day", "track"])["census"].mean().unstack("track")
    config = results.plan.scenarios[0].config
    chart = census.rename(columns=lambda track: f"census, {track}")
    for track in census.columns:
        chart[f"seats, {track}"] = config.tracks[track].seats
    st.subheader("Census against seats (mean of the replications)")
    st.line_chart(chart)


# -- compare ---------------------------------------------------------------------------------------------


def compare_page() -> None:
    st.header("Compare")
    scenarios: dict[str, dict[str, Any]] = st.session_state.scenarios
    config, _ = problems_of(_data(), _source())
    name = st.text_input(
        "Scenario name",
        value=f"scenario_{len(scenarios) + 1}",
        help="Lower-case letters, digits and _, as in experiment files (it names the scenario's folder).",
        key="scenario_name",
    )
    if st.button("Save the current clinic as this scenario", key="save_scenario", disabled=config is None):
        from simiop.app.editing import scenario_name_problem

        chosen = name.strip() or f"scenario_{len(scenarios) + 1}"
        if problem := scenario_name_problem(chosen):
            st.error(problem)
        else:
            scenarios[chosen] = _data()
    if config is None:
        st.warning("The current clinic has problems (see the Clinic page); it cannot be saved as a scenario.")
    if not scenarios:
        st.info("Save at least two scenarios (e.g. the baseline, then referrals x 2) to compare them.")
        return
    from simiop.app.jobs import differences

    names = list(scenarios)
    base = str(st.selectbox("Compare with (the base)", names, key="base"))
    for scenario, data in scenarios.items():
        changed = differences(scenarios[base], data)
        st.markdown(
            f"**{scenario}**: " + (", ".join(f"`{k}` = {v}" for k, v in changed.items()) or "the base")
        )
    if st.button("Remove all scenarios", key="clear_scenarios"):
        scenarios.clear()
        st.rerun()
    first = problems_of(next(iter(scenarios.values())), "scenario")[0]
    settings = _run_settings(first, "compare_") if first is not None else None
    st.caption("Every scenario runs the same replications with the same seed: common random numbers.")
    if (
        settings is not None
        and len(scenarios) >= 2
        and st.button("Run the comparison", type="primary", key="compare")
    ):
        changes, replications, seed = settings
        from simiop.api import with_changes
        from simiop.config import validate_config

        try:
            configs = tuple(
                (scenario, with_changes(validate_config(data, scenario), changes))
                for scenario, data in scenarios.items()
            )
        except ConfigError as exc:
            for line in exc.lines():
                st.error(line)
        else:
            submitted = manager().submit(_owner(), CompareRequest(configs, base, replications, seed))
            st.session_state.compare_job = submitted.id
    _poll("compare_job")
    job = _finished("compare_job")
    if job is not None:
        _comparison(job)


def _shown(text: str) -> str:
    """A CSV number to 4 significant digits for reading (the CSV and the downloads keep every digit)."""
    from simiop.report.data import number

    try:
        return f"{number(text):.4g}"
    except ValueError:
        return text


def comparison_table(rows: list[dict[str, str]]) -> Any:
    """comparison.csv's rows for reading, as a pandas Styler: the "for the clinic" cell coloured as the
    forest plot colours the difference (better blue, worse vermilion; unclear and neutral plain)."""
    pandas = importlib.import_module("pandas")  # a dependency of Streamlit
    from simiop.report.experiment_figures import VERDICT_COLOURS, row_verdict
    from simiop.results.directions import Verdict

    table = pandas.DataFrame(
        [
            {
                "scenario": row["scenario"],
                "KPI": row["kpi"],
                "difference": _shown(row["difference_mean"]),
                "95% CI low": _shown(row["ci95_low"]),
                "95% CI high": _shown(row["ci95_high"]),
                "for the clinic": row_verdict(row),
            }
            for row in rows
        ]
    )

    def colour(verdict: Verdict) -> str:
        if verdict not in ("better", "worse"):
            return ""
        return f"background-color: {VERDICT_COLOURS[verdict]}; color: white"

    return table.style.map(colour, subset=["for the clinic"])


def _comparison(job: Job) -> None:
    from simiop.report.data import read_rows

    rows = read_rows(job.folder / "comparison.csv")
    st.subheader("Paired differences from the base")
    st.dataframe(comparison_table(rows), hide_index=True)
    figure = job.folder / "figures" / "differences_from_base.png"
    if figure.is_file():
        st.image(str(figure), caption="blue: better for the clinic, vermilion: worse, grey: not clear")


# -- download --------------------------------------------------------------------------------------------


def folder_zip(folder: Path) -> bytes:
    """The result folder as a zip, every file under its path in the folder, in name order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


def _workbook(folder: Path) -> bytes | None:
    try:
        from simiop.export.sheets import created_time, read_source, workbook_sheets
        from simiop.export.xlsx import MissingExtraError, require_xlsxwriter, workbook_bytes

        require_xlsxwriter()
    except (ImportError, MissingExtraError):
        return None
    source = read_source(folder)
    return workbook_bytes(workbook_sheets(source), created_time(source), f"simiop results: {folder.name}")


def download_page() -> None:
    st.header("Download")
    st.download_button(
        "Config YAML", yaml_text(_data()), file_name="clinic.yaml", mime="application/x-yaml", key="dl_yaml"
    )
    for name, title in (("run_job", "run"), ("compare_job", "comparison")):
        job = _finished(name)
        if job is None:
            continue
        st.subheader(f"The last {title}")
        st.download_button(
            "report.html",
            (job.folder / "report.html").read_bytes(),
            file_name=f"{title}-report.html",
            mime="text/html",
            key=f"dl_report_{name}",
        )
        st.download_button(
            "Result folder (zip)",
            folder_zip(job.folder),
            file_name=f"{title}-results.zip",
            mime="application/zip",
            key=f"dl_zip_{name}",
        )
        workbook = _workbook(job.folder)
        if workbook is None:
            st.caption('Excel workbook: install the extra, pip install "simiop[excel]".')
        else:
            st.download_button(
                "Excel workbook",
                workbook,
                file_name=f"{title}-results.xlsx",
                mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                key=f"dl_xlsx_{name}",
            )
    if _finished("run_job") is None and _finished("compare_job") is None:
        st.info("Run the clinic (Run page) or a comparison to download results.")


def main() -> None:
    """The app: the page chosen in the sidebar."""
    st.set_page_config(page_title="simiop", layout="wide")
    _start_state()
    page = st.sidebar.radio("Page", PAGES, key="page")
    st.sidebar.caption(f"Clinic: {_data()['clinic']['name']} ({_source()})")
    {
        "Clinic": clinic_page,
        "Run": run_page,
        "Results": results_page,
        "Compare": compare_page,
        "Download": download_page,
    }[str(page)]()
