"""The report in a real browser: headless Debian chromium driven by Playwright.

`make run`'s report (caravan-2020, the whole run) opened from file://: no console error, no
request that leaves the file, every section drawn (plotly figures rendered to SVG, the outcomes
diagram inline), the map and its zoom name the places the caravan passes, the cohort buttons
switch the outcomes diagram. A screenshot of the page is kept in the test's folder (and copied to
$CORRIDOR_SCREENSHOTS when set) for a person to look at.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

playwright = pytest.importorskip("playwright.sync_api")
pytest.importorskip("plotly")

import web_server  # noqa: E402

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[1]
SECTIONS = ("cohort-caravan", "final-states", "map", "daily", "outcomes", "observations",
            "rules", "about")
CARAVAN_PLACES = ("San Pedro Sula", "Tecún Umán", "El Ceibo")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report `make run` writes: caravan-2020 with its defaults."""
    out = tmp_path_factory.mktemp("browser") / "caravan-2020"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO / "src"), *filter(None, [os.environ.get("PYTHONPATH")])])}
    done = subprocess.run([sys.executable, "-m", "corridor.cli.main", "run", "caravan-2020",
                           "--out", str(out), "-q"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return out / "report.html"


def test_the_report_reads_in_a_browser(report: Path, tmp_path: Path) -> None:
    chromium = web_server.ensure_chromium()
    errors: list[str] = []
    outside: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium),
                                    args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            web_server.watch(page, errors, outside, "file://")
            page.goto(report.as_uri())
            page.wait_for_load_state("load")
            # every plotly figure has drawn itself (an SVG per figure)
            page.wait_for_function(
                "() => [...document.querySelectorAll('.plotly-graph-div')].every("
                "d => d.querySelector('.main-svg'))", timeout=120_000)

            for sid in SECTIONS:
                section = page.locator(f"section#{sid}")
                assert section.count() == 1, sid
                box = section.bounding_box()
                assert box and box["height"] > 150, (sid, box)
                assert section.locator("h2").inner_text().strip(), sid
            figures = {sid: page.locator(f"section#{sid} .plotly-graph-div").count()
                       for sid in SECTIONS}
            for sid in ("map", "daily", "observations", "rules"):
                assert figures[sid] >= 1, figures
            assert figures["cohort-caravan"] >= 2, figures  # where it was; its observations
            # the summary and the caravan come first
            order = page.evaluate("[...document.querySelectorAll('section')].map(s => s.id)")
            assert order[0] == "cohort-caravan", order

            maps = page.evaluate(
                "[...document.querySelectorAll('section#map .plotly-graph-div')].map("
                "d => [...d.querySelectorAll('svg text')].map(t => t.textContent).join('|'))")
            assert len(maps) == 2  # the whole corridor, and the zoom on its crowded part
            whole = maps[0].split("|")
            for place in ("San Pedro Sula", "El Ceibo"):  # named on the whole map
                assert place in whole, place
            # and the crossing of the Suchiate, by the town or by its bridge
            assert {"Tecún Umán", "Rodolfo Robles bridge"} & set(whole), whole
            for place in (*CARAVAN_PLACES, "Agua Caliente", "Tapachula"):  # and on the zoom
                assert place in maps[1].split("|"), place

            # the outcomes diagram is inline SVG with its numbers as text; its buttons switch it
            outcomes = page.locator("section#outcomes")
            visible = outcomes.locator(".pane:visible svg")
            assert visible.count() == 1
            everyone = visible.text_content()
            outcomes.locator("label.switch", has_text="The caravan").click()
            assert outcomes.locator(".pane:visible svg").count() == 1
            caravan = outcomes.locator(".pane:visible svg").text_content()
            assert "3,800" in caravan and "49,680" in everyone and "49,680" not in caravan
            outcomes.locator("label.switch", has_text="Everyone").click()

            # the close-ups of the observations are drawn, one panel per observed line
            closeups = page.locator("section#daily .plotly-graph-div").nth(1)
            assert closeups.locator(".subplot").count() >= 2 or \
                closeups.locator("g.cartesianlayer .xy").count() >= 2

            # the day-by-day panels switch to a log scale, where an observation is read
            day_fig = page.locator("section#daily .plotly-graph-div").first
            day_fig.locator(".updatemenu-button", has_text="log scale").click()
            page.wait_for_function(
                "() => document.querySelector('#daily .plotly-graph-div').layout.yaxis3.type"
                " === 'log'", timeout=30_000)
            day_fig.locator(".updatemenu-button", has_text="linear").click()

            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 100_000
            keep = os.environ.get("CORRIDOR_SCREENSHOTS")
            if keep:
                Path(keep).mkdir(parents=True, exist_ok=True)
                shutil.copy(shot, Path(keep) / "report.png")
        finally:
            browser.close()
    assert errors == []
    assert outside == []
