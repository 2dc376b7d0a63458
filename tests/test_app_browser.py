"""`simiop app` in a real browser: change a setting, run, see progress and results, download, cancel, offline.

Serves the app with `simiop app` on a free port of 127.0.0.1 and drives it in
headless Chromium (as tests/test_report_browser.py does: chromium and
chromium-driver; ``.ci/run`` sets SIMIOP_REQUIRE_BROWSER=1, so in CI a missing
browser is a failure). With SIMIOP_APP_SCREENSHOT=FILE it also saves a
screenshot of the Results page there (docs/app-results.png was made so).
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from click.testing import CliRunner

from simiop.api import example_config
from simiop.cli import main
from tests.test_report_browser import CHROMIUM, DRIVER, _missing_browser

pytestmark = pytest.mark.browser

if importlib.util.find_spec("streamlit") is None:  # found, not imported: the server imports it
    pytest.skip('needs the app extra: pip install ".[app]"', allow_module_level=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address of a `simiop app` started for these tests (stopped, with its workers, afterwards)."""
    if reason := _missing_browser():
        pytest.skip(reason)
    port = free_port()
    runs = tmp_path_factory.mktemp("app-runs")
    script = Path(sys.executable).with_name("simiop")
    log = (runs / "server.log").open("wb")
    server = subprocess.Popen(
        [str(script), "app", "--port", str(port), "--no-browser", "--runs", str(runs), "-j", "2"],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopped whole below
    )
    address = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{address}/_stcore/health", timeout=2) as answer:
                    if answer.read() == b"ok":
                        break
            except OSError:
                time.sleep(0.3)
        else:
            raise AssertionError("simiop app did not start within 60 s")
        yield address
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(downloads: Path) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_argument("--window-size=1400,1000")
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads)})
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(DRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def until(check: Callable[[], Any], seconds: float = 60, what: str = "") -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            found = check()
        except Exception:  # the page is still rendering: elements come and go
            found = None
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


def page_text(driver: Any) -> str:
    return str(driver.find_element("tag name", "body").text)


def shown(driver: Any, text: str) -> bool:
    return text in driver.find_element("tag name", "body").text


def field(driver: Any, label: str) -> Any:
    return until(lambda: driver.find_element("css selector", f'input[aria-label="{label}"]'), what=label)


def type_into(driver: Any, label: str, value: str) -> None:
    from selenium.webdriver.common.keys import Keys

    box = field(driver, label)
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(value, Keys.ENTER)
    until(lambda: field(driver, label).get_attribute("value") == value, what=f"{label} = {value}")
    time.sleep(0.5)  # the rerun that takes the value


def choose(driver: Any, option: str) -> None:
    """Click a radio option by its text (the sidebar's pages, the Run page's horizon)."""

    def label() -> Any:
        found = driver.find_elements("css selector", '[data-testid="stRadio"] label')
        return next(label for label in found if label.text.strip() == option)

    until(label, what=option).click()
    time.sleep(0.5)


def press(driver: Any, text: str) -> None:
    def button() -> Any:
        return next(b for b in driver.find_elements("tag name", "button") if b.text.strip() == text)

    until(button, what=f"button {text}").click()


def csv_files(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*.csv"))
        if path.relative_to(folder).parts[0] != "figures"
    }


def test_a_user_changes_runs_downloads_and_cancels_on_this_machine_only(
    served: str, browser: Any, downloads: Path, tmp_path: Path
) -> None:
    browser.get(served)
    until(lambda: shown(browser, "Referral volume"), what="the Clinic page")
    type_into(browser, "Referral volume (x every source's rate)", "2.00")
    choose(browser, "Run")
    choose(browser, "a duration")
    type_into(browser, "Duration", "90")
    type_into(browser, "Replications", "2")
    press(browser, "Run")
    until(lambda: browser.find_elements("css selector", '[data-testid="stProgress"]'), what="a progress bar")
    try:
        until(lambda: shown(browser, "Done: 2 replications"), seconds=120, what="the run's end")
    except AssertionError:
        raise AssertionError(page_text(browser)) from None
    choose(browser, "Results")
    until(lambda: shown(browser, "What limits the clinic"), what="the Results page")
    if target := os.environ.get("SIMIOP_APP_SCREENSHOT"):
        time.sleep(2)  # the figures and the chart
        browser.save_screenshot(target)
    choose(browser, "Download")
    press(browser, "Result folder (zip)")
    archive = until(lambda: next(downloads.glob("run-results.zip"), None), what="the zip downloaded")
    time.sleep(0.5)
    downloaded = tmp_path / "downloaded"
    with zipfile.ZipFile(io.BytesIO(archive.read_bytes())) as opened:
        opened.extractall(downloaded)
    cli = CliRunner().invoke(
        main,
        [
            *["run", str(example_config()), "--out", str(tmp_path / "cli"), "-r", "2", "--horizon", "90"],
            *["--no-report", "-j", "1", "--set", "referrals.volume=2"],
        ],
    )
    assert cli.exit_code == 0, cli.output
    assert csv_files(downloaded) == csv_files(tmp_path / "cli")

    choose(browser, "Run")
    choose(browser, "a duration")
    type_into(browser, "Duration", "3y")
    type_into(browser, "Replications", "20")
    press(browser, "Run")
    press(browser, "Cancel")
    until(lambda: shown(browser, "Cancelled after"), what="the cancelled run")

    hosts = set()
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            url = urlparse(message["params"]["request"]["url"])
            if url.scheme in ("http", "https", "ws", "wss"):
                hosts.add(url.hostname)
    assert hosts == {"127.0.0.1"}
