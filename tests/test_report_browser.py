"""report.html in a real browser: headless Chromium renders it without errors, loads nothing, and prints.

Needs the Debian packages chromium and chromium-driver; ``.ci/run`` installs
them when missing and sets SIMIOP_REQUIRE_BROWSER=1, so in CI a missing
browser is a failure. Elsewhere the test is skipped with the reason shown.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import BASELINE
from tests.test_cli import run

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
DRIVER = shutil.which("chromedriver")
A4_TEXT_WIDTH_PX = 680
"""A4 (210 mm) less 14 mm margins each side, at 96 px per inch, rounded down (Letter is wider)."""


def _missing_browser() -> str | None:
    if CHROMIUM and DRIVER:
        return None
    reason = "headless Chromium needs `apt-get install chromium chromium-driver`"
    if os.environ.get("SIMIOP_REQUIRE_BROWSER") == "1":
        pytest.fail(f"SIMIOP_REQUIRE_BROWSER=1 but {reason}")
    return reason


@pytest.fixture(scope="module")
def driver() -> Iterator[object]:
    if reason := _missing_browser():
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    browser = webdriver.Chrome(service=Service(executable_path=str(DRIVER)), options=options)
    try:
        yield browser
    finally:
        browser.quit()


def _log(driver: object, kind: str) -> list[dict[str, Any]]:
    """Chromium's log of ``kind`` (browser console, or performance for network events)."""
    entries: list[dict[str, Any]] = driver.get_log(kind)  # type: ignore[attr-defined]
    return entries


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("browser") / "run"
    code, _, err = run("run", str(BASELINE), "-r", "2", "--horizon", "200d", "-j", "1", "--out", str(out))
    assert code == 0, err
    return out / "report.html"


def test_report_renders_every_figure_without_errors_or_network(driver: object, report: Path) -> None:
    from selenium.webdriver.chrome.webdriver import WebDriver

    assert isinstance(driver, WebDriver)
    driver.set_window_size(A4_TEXT_WIDTH_PX + 40, 1200)
    driver.get(report.as_uri())
    assert driver.title == "Example Community IOP"
    images = driver.execute_script(
        "return Array.from(document.images).map(i => [i.alt, i.complete, i.naturalWidth, i.naturalHeight]);"
    )
    assert len(images) == 8
    for alt, complete, width, height in images:
        assert complete, alt
        assert width > 500, alt
        assert height > 200, alt
    errors = [entry for entry in _log(driver, "browser") if entry["level"] in ("SEVERE", "WARNING")]
    assert errors == []
    requested = [
        json.loads(entry["message"])["message"]["params"]["request"]["url"]
        for entry in _log(driver, "performance")
        if '"Network.requestWillBeSent"' in entry["message"]
    ]
    assert requested
    assert all(url.startswith(("file://", "data:")) for url in requested), requested
    # Nothing wider than an A4 page's text area: tables and figures must not be cut off when printed.
    overflow = driver.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth];"
    )
    assert overflow[0] <= overflow[1], overflow


@pytest.mark.parametrize(("page", "width", "height"), [("A4", 21.0, 29.7), ("Letter", 21.59, 27.94)])
def test_report_prints_to_pdf(driver: object, report: Path, page: str, width: float, height: float) -> None:
    from selenium.webdriver.common.print_page_options import PrintOptions
    from selenium.webdriver.remote.webdriver import WebDriver

    assert isinstance(driver, WebDriver)
    driver.get(report.as_uri())
    options = PrintOptions()
    options.page_width, options.page_height = width, height
    pdf = base64.b64decode(driver.print_page(options))
    assert pdf.startswith(b"%PDF")
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert 4 <= pages <= 20, f"{page}: {pages} pages"


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        (
            "//h3[text()='By fiscal year']",
            ["people served (unduplicated)", "revenue earned, by date of service (USD)"],
        ),
        ("//h2[text()='Budget']", ["Total cost", "Net surplus/deficit (revenue earned - total cost)"]),
    ],
)
def test_screenshot_of_the_projection_and_budget_tables(
    driver: object, report: Path, heading: str, expected: list[str], tmp_path: Path
) -> None:
    """The fiscal-year projections and the budget, as a reader sees them on an A4-wide window (issue 20):
    the table lies wholly inside the page, its screenshot is the table's size and not blank, and the
    lines a grant writer pastes are in it, each row drawn on screen."""
    import io

    from PIL import Image
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver

    assert isinstance(driver, WebDriver)
    driver.set_window_size(A4_TEXT_WIDTH_PX + 40, 1200)
    driver.get(report.as_uri())
    table = driver.find_element(By.XPATH, f"{heading}/following-sibling::table[1]")
    driver.execute_script("arguments[0].scrollIntoView();", table)
    width = driver.execute_script("return document.documentElement.clientWidth;")
    rect = table.rect
    assert rect["x"] >= 0
    assert rect["x"] + rect["width"] <= width, (rect, width)
    shot = Image.open(io.BytesIO(table.screenshot_as_png)).convert("L")
    (tmp_path / "table.png").write_bytes(table.screenshot_as_png)  # kept by pytest for a look
    assert abs(shot.width - rect["width"]) <= 2
    assert shot.height >= min(rect["height"], 1200) - 2
    grey = np.asarray(shot)  # one byte per pixel: "L"
    assert int(grey.max()) - int(grey.min()) > 100  # text on a background, not an empty box
    labels = [cell.text for cell in table.find_elements(By.XPATH, ".//tr/td[1]")]
    for label in expected:
        assert label in labels, labels
    hidden = [cell.text for cell in table.find_elements(By.XPATH, ".//tr/td[1]") if not cell.is_displayed()]
    assert hidden == []
