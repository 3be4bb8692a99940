"""The report in a real headless Chromium, at a laptop's width and at 800 px.

Needs Debian's ``chromium`` and ``chromium-driver``: run ``scripts/install-browser.sh``
(as root). The test fails, never skips, when they are missing, so CI cannot pass
without having looked at the page in a browser.

The page holds one section of every kind the demo draws (continuous and discrete
families, a saturated one, a non-smooth location drawn with NUTS, a mixture without
scipy quantiles, a nine-parameter multivariate family, regression families and a
user's model), written as the demo writes it. Layout is judged from the DOM's
bounding boxes: no table is wider than its box (nothing cut off or scrolled away),
the page never scrolls sideways, and no heading, caption, figure, table or paragraph
overlaps another. Set ``KLMLE_SCREENSHOTS=DIR`` to keep the screenshots for a person
to look at.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WIDTHS = (800, 1400)

#: Boxes that must not overlap one another (unless one holds the other).
BLOCKS = "h1, h2, h3, h4, p, figcaption, img, table, ul, nav, details > summary, div.claim"

#: Tables wider than their box, and the page's own sideways overflow, as [what, widths].
OVERFLOW_SCRIPT = """
const out = [];
const root = document.documentElement;
if (root.scrollWidth > root.clientWidth + 1) out.push(["page", root.scrollWidth, root.clientWidth]);
document.querySelectorAll("div.table-wrap").forEach((wrap, i) => {
  const t = wrap.querySelector("table");
  if (t.scrollWidth > wrap.clientWidth + 1)
    out.push(["table " + i + " " + t.className, t.scrollWidth, wrap.clientWidth]);
});
document.querySelectorAll("img").forEach((img, i) => {
  const r = img.getBoundingClientRect();
  if (r.right > root.clientWidth + 1) out.push(["img " + i, r.right, root.clientWidth]);
});
return out;
"""

#: Pairs of blocks whose boxes overlap by more than a pixel either way.
OVERLAP_SCRIPT = """
const els = Array.from(document.querySelectorAll(arguments[0]))
  .filter(e => e.checkVisibility() && e.getClientRects().length > 0);
const boxes = els.map(e => e.getBoundingClientRect());
const name = e => e.tagName.toLowerCase() + (e.className ? "." + e.className : "") +
  " '" + (e.textContent || e.alt || "").trim().slice(0, 40) + "'";
const out = [];
for (let i = 0; i < els.length; i++) {
  for (let j = i + 1; j < els.length; j++) {
    if (els[i].contains(els[j]) || els[j].contains(els[i])) continue;
    const a = boxes[i], b = boxes[j];
    const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
    const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
    if (w > 1 && h > 1) out.push([name(els[i]), name(els[j]), Math.round(w), Math.round(h)]);
  }
}
return out;
"""


#: Numbers (and other unbroken tokens) in table cells that the browser split over two lines.
WRAP_SCRIPT = """
const out = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  if (!node.parentElement.closest("td, th")) continue;
  const re = /\\S+/g;
  let m;
  while ((m = re.exec(node.data)) !== null) {
    const range = document.createRange();
    range.setStart(node, m.index);
    range.setEnd(node, m.index + m[0].length);
    const tops = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
    if (tops.size > 1) out.push(m[0]);
  }
}
return out;
"""


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
        "--hide-scrollbars",
        "--window-size=1400,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield browser
    browser.quit()


@pytest.fixture(scope="module")
def demo_page(entries, model_entries, more_entries, tmp_path_factory):
    """Every kind of section on one page, written with its results as the demo does."""
    from toolkit.report import write_unit

    page, _ = write_unit(
        [*entries, *more_entries, *model_entries],
        tmp_path_factory.mktemp("browser") / "demo.html",
        title="klmle demo: KL minimisation is maximum likelihood",
    )
    return page


def _screenshot(driver, name: str, tmp_path: Path) -> Path:
    shot = tmp_path / f"{name}.png"
    assert driver.save_screenshot(str(shot)) and shot.stat().st_size > 0
    keep = os.environ.get("KLMLE_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / shot.name)
    return shot


@pytest.mark.parametrize("width", WIDTHS)
def test_report_renders_and_reads_at_every_width(driver, demo_page, tmp_path, width):
    driver.set_window_size(width, 1000)
    driver.get(demo_page.resolve().as_uri())
    assert driver.execute_script("return document.readyState") == "complete"
    assert driver.execute_script("return document.documentElement.clientWidth") <= width
    errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == []
    images = driver.execute_script(
        "return Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.alt]);"
    )
    sections = driver.execute_script("return document.querySelectorAll('section').length")
    assert sections == 12 and len(images) >= 4 * sections
    assert all(complete and width > 0 for complete, width, _ in images), images
    assert all(len(alt) > 20 for *_, alt in images)  # every figure says what it shows
    assert driver.execute_script(OVERFLOW_SCRIPT) == []
    assert driver.execute_script(WRAP_SCRIPT) == []  # no "2.27e-" / "13"
    overlaps = driver.execute_script(OVERLAP_SCRIPT, BLOCKS)
    assert overlaps == [], "\n".join(map(str, overlaps))
    _screenshot(driver, f"first-screen-{width}", tmp_path)
    driver.execute_script("document.getElementById('overview').scrollIntoView()")
    _screenshot(driver, f"overview-{width}", tmp_path)
    # the sorting script runs: clicking a heading reorders without errors
    driver.execute_script("document.querySelector('table.overview th:nth-child(3)').click()")
    assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []


def test_the_first_screen_says_what_was_shown_and_whether_it_held(driver, demo_page):
    driver.set_window_size(800, 1000)
    driver.get(demo_page.resolve().as_uri())
    claim = driver.execute_script(
        "const c = document.querySelector('div.claim'); "
        "return [c.textContent, c.getBoundingClientRect().bottom];"
    )
    text, bottom = claim
    assert "What was shown." in text and ("It held" in text) and bottom < 1000
    headline = driver.execute_script(
        "const f = document.querySelector('figure[data-plot=headline]'); "
        "return f.getBoundingClientRect().top;"
    )
    assert headline < 1000  # the headline figure starts on the first screen
