"""The dashboard in a real browser: headless Debian chromium driven by Playwright.

Open the page; switch `mx-transit-denial` off; run; the number reaching the U.S. border
changes and equals what `corridor run caravan-2020 --without mx-transit-denial` gives for the
same seed and engine; the URL reproduces the view; no console error; no request leaves
127.0.0.1.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("dash")
playwright = pytest.importorskip("playwright.sync_api")

import web_server  # noqa: E402

pytestmark = pytest.mark.slow
WAIT_MS = 600_000  # a loaded machine: the first run compiles nothing (warm) but may queue


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    chromium = web_server.ensure_chromium()
    port = web_server.free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    proc = web_server.start(port, log)
    try:
        yield f"http://127.0.0.1:{port}", chromium
    finally:
        web_server.stop(proc)


def _number(page, selector: str) -> int:
    return int(page.locator(selector).inner_text().replace(",", ""))


def _cli_border_count(tmp: Path) -> int:
    """The number reaching the U.S. border from `corridor run` (counts engine, default seed)."""
    out = tmp / "cli-run"
    subprocess.run([sys.executable, "-m", "corridor.cli.main", "run", "caravan-2020",
                    "--without", "mx-transit-denial", "--engine", "counts", "--out", str(out),
                    "--no-report", "--quiet"], check=True, capture_output=True)
    from corridor.report.data import load_run
    from corridor.web.figures import border_count

    return border_count(load_run(out))


def test_switch_off_a_rule_in_the_browser(server, tmp_path: Path) -> None:
    url, chromium = server
    errors: list[str] = []
    outside: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium),
                                    args=["--no-sandbox", "--disable-gpu"])
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            web_server.watch(page, errors, outside, url + "/")
            page.goto(url + "/")
            page.wait_for_selector("#status-done", timeout=WAIT_MS)
            before = _number(page, "#border-whatif")
            assert before == _number(page, "#border-baseline")  # nothing changed yet

            box = page.locator('#rules-on input[value="mx-transit-denial"]')
            assert box.is_checked()
            box.uncheck()
            page.wait_for_function("() => location.search.includes('mx-transit-denial')",
                                   timeout=30_000)
            page.click("#run")
            page.wait_for_selector("#status-done:has-text('mx-transit-denial.enabled=false')",
                                   timeout=WAIT_MS)
            after = _number(page, "#border-whatif")
            assert after != before
            assert _number(page, "#border-baseline") == before
            assert after == _cli_border_count(tmp_path)
            shared = page.url
            assert "set=rules.mx-transit-denial.enabled%3Dfalse" in shared

            again = context.new_page()  # the link alone gives the same view
            again.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            again.on("request", lambda r: None if r.url.startswith(
                (url + "/", "data:", "blob:")) else outside.append(r.url))
            again.goto(shared)
            again.wait_for_selector("#status-done:has-text('mx-transit-denial.enabled=false')",
                                    timeout=WAIT_MS)
            assert _number(again, "#border-whatif") == after
            assert not again.locator('#rules-on input[value="mx-transit-denial"]').is_checked()
            page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=False)
        finally:
            browser.close()
    assert errors == []
    assert outside == []
