"""The report in a real headless Chromium: no console errors, every image decodes.

Needs Debian's ``chromium`` and ``chromium-driver``: run ``scripts/install-browser.sh``
(as root). The test fails, never skips, when they are missing, so CI cannot pass
without having looked at the page in a browser.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} not found: run scripts/install-browser.sh (as root) to "
            "install Debian's chromium and chromium-driver"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1300,2000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield browser
    browser.quit()


def test_report_renders_in_chromium(driver, entries, tmp_path):
    from toolkit.report import write_report

    page = write_report(entries, tmp_path / "report.html")
    driver.get(page.resolve().as_uri())
    assert driver.execute_script("return document.readyState") == "complete"
    errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == []
    images = driver.execute_script(
        "return Array.from(document.images).map(i => [i.complete, i.naturalWidth]);"
    )
    assert len(images) >= 5 * len(entries)
    assert all(complete and width > 0 for complete, width in images), images
    # the sorting script runs: clicking "N" reorders without errors
    driver.execute_script("document.querySelector('table.overview th:nth-child(3)').click()")
    assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []
    shot = tmp_path / "report.png"
    assert driver.save_screenshot(str(shot)) and shot.stat().st_size > 0
    shutil.copy(shot, tmp_path / "kept.png")
