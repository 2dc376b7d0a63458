"""simiop app: the what-if web page for clinic administrators, served on this machine only."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
from pathlib import Path

import click

from simiop.app.cache import DEFAULT_KEEP_DAYS, default_root, prune
from simiop.atomic import OutputWriteError, probe_writable
from simiop.cli.common import fail, load_or_fail

PRIVATE_OPTIONS = (
    "--server.address=127.0.0.1",  # this machine only
    "--browser.serverAddress=127.0.0.1",
    "--browser.gatherUsageStats=false",  # no telemetry
    "--server.fileWatcherType=none",
    "--server.runOnSave=false",
    "--global.developmentMode=false",
    "--client.toolbarMode=minimal",
)
"""Streamlit's settings for ``simiop app``: served on 127.0.0.1, and nothing sent anywhere."""


def pruned_message(root: Path, pruned: list[str], keep_days: int) -> str:
    """What ``simiop app`` says of the clean-up: the folders removed, and those of ``pruned`` (folders whose
    results were removed) still there because they hold something simiop did not write, by name, so that
    nobody is told a folder was removed while it is still there."""
    days = f"{keep_days} day{'s' if keep_days != 1 else ''}"
    kept = [name for name in pruned if (root / name).exists()]
    gone = len(pruned) - len(kept)
    removed = f"{gone} result folder{'s' if gone != 1 else ''}"
    if not kept:
        return f"simiop app: removed {removed} not used for {days} from {root}"
    them = "it" if len(kept) == 1 else "them"
    why = f"kept for the files in {them} simiop did not write: {', '.join(kept)}"
    if not gone:
        folders = f"{len(kept)} result folder{'s' if len(kept) != 1 else ''}"
        return f"simiop app: removed the results in {folders} not used for {days} from {root}, {why}"
    more = f"and the results in {len(kept)} more"
    return f"simiop app: removed {removed} not used for {days} from {root}, {more}, {why}"


def streamlit_command(port: int) -> list[str]:
    """The command that serves the app (the current Python's Streamlit running simiop/app/main.py).

    Always headless: Streamlit's own browser opening first asks for an e-mail
    address on the terminal; ``simiop app`` opens the browser itself."""
    script = Path(__file__).resolve().parents[1] / "app" / "main.py"
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        f"--server.port={port}",
        "--server.headless=true",
        *PRIVATE_OPTIONS,
    ]


@click.command()
@click.option(
    "--port", default=8501, show_default=True, type=click.IntRange(1024, 65535), help="Port to serve on."
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file to start from (default: the example clinic).",
)
@click.option(
    "--runs",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the app's result folders (default: ~/.cache/simiop/app-runs); a repeated run is read "
    "from there.",
)
@click.option(
    "--keep-days",
    type=click.IntRange(min=0),
    default=DEFAULT_KEEP_DAYS,
    show_default=True,
    help="At start, remove the result folders of the runs folder not used for this many days (0: keep all).",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    help="Worker processes shared by every user (default: every core).",
)
@click.option("--no-browser", is_flag=True, help="Do not open a browser (print the address only).")
def app(
    port: int, config_path: Path | None, runs: Path | None, keep_days: int, jobs: int | None, no_browser: bool
) -> None:
    """Start the what-if web page on this machine (127.0.0.1) and print its address.

    Change the clinic, run it with progress and cancel, compare scenarios with
    common random numbers and download the results: the same result folders
    as `simiop run`. Nothing is sent outside this machine. Needs the extra:
    pip install "simiop[app]". Stop it with Ctrl-C.
    """
    if importlib.util.find_spec("streamlit") is None:
        fail(['simiop app: needs Streamlit; install the extra: pip install "simiop[app]"'])
    environment = dict(os.environ)
    if config_path is not None:
        load_or_fail(config_path, [])  # a bad file stops here with simiop validate's lines
        environment["SIMIOP_APP_CONFIG"] = str(config_path.resolve())
    if runs is not None:
        environment["SIMIOP_APP_RUNS"] = str(runs.resolve())
    root = runs if runs is not None else default_root()
    try:  # before serving: a runs folder that cannot be written failed each Run pressed, on the page
        probe_writable(root)
    except OSError as exc:
        where, allowed = (
            (f"command line: --runs {runs}", "a folder simiop can write")
            if runs is not None
            else (str(root), "a folder simiop can write: give one with --runs DIR")
        )
        why = OutputWriteError(root, exc, started=False).reason
        fail([f"{where}: cannot be written ({why}) (allowed {allowed})"])
    if pruned := prune(root, keep_days):
        click.echo(pruned_message(root, pruned, keep_days))
    if jobs is not None:
        environment["SIMIOP_APP_WORKERS"] = str(jobs)
    environment.setdefault("OPENBLAS_NUM_THREADS", "1")
    environment["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    if reason := _port_taken(port):
        fail([f"command line: --port {port}: {reason} (allowed a free port, e.g. --port {port + 1})"])
    address = f"http://127.0.0.1:{port}"
    click.echo(f"simiop app: {address} (Ctrl-C to stop)")
    server = subprocess.Popen(streamlit_command(port), env=environment)
    signal.signal(signal.SIGTERM, lambda *_: server.terminate())  # stopped: the server stops too
    try:
        if not no_browser and _serving(address, server):
            import webbrowser

            webbrowser.open(address)
        code = server.wait()
    except KeyboardInterrupt:  # the server has the same Ctrl-C and stops its runs (simiop.app.jobs)
        code = server.wait()
    if code not in (0, -2, 130):
        sys.exit(code)


def _port_taken(port: int) -> str | None:
    """Why the app cannot listen on 127.0.0.1:``port`` (None: it can), checked before the address is printed:
    Streamlit itself says so only after it, and exits 1."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds it
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            return f"cannot serve on 127.0.0.1:{port} ({exc.strerror or exc})"
    return None


def _serving(address: str, server: subprocess.Popen[bytes], seconds: float = 60) -> bool:
    """Wait until the server answers its health check (False if it stopped or did not answer in time)."""
    import time
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(f"{address}/_stcore/health", timeout=2) as answer:
                if answer.read() == b"ok":
                    return True
        except OSError:
            time.sleep(0.2)
    return False
