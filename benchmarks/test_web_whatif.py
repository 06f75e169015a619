"""Click-to-chart time of the dashboard: median over 10 caravan-2020 what-ifs (make bench).

Headless Debian chromium (Playwright) against `corridor serve` on a loopback port, warm
(kernels compiled and the baseline run by the server's warm-up). Each what-if switches one more
rule off and clicks Run; the time is from the click to the updated status line, which Dash
writes in the same response as the charts (the run, the figures, the transfer, the drawing).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

TARGET_S = 1.5
RULES = ("mx-transit-denial", "mx-national-guard-suchiate", "mx-case-review", "mx-comar",
         "mx-inm-checkpoint-huixtla", "mx-return-air", "mx-return-land", "gt-voluntary-return",
         "mx-bridge-gate", "us-mpp-el-paso")


@pytest.mark.benchmark
def test_click_to_chart_median(tmp_path: Path) -> None:
    pytest.importorskip("dash")
    sync_api = pytest.importorskip("playwright.sync_api")
    import web_server

    chromium = web_server.ensure_chromium()
    port = web_server.free_port()
    proc = web_server.start(port, tmp_path / "serve.log")
    times = []
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(chromium),
                                        args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_selector("#status-done", timeout=600_000)
            for rule in RULES:
                old = page.get_attribute("#status-done", "data-key")
                page.locator(f'#rules-on input[value="{rule}"]').uncheck()
                page.wait_for_function(f"() => location.search.includes('{rule}')")
                started = time.perf_counter()
                page.click("#run")
                page.wait_for_function(
                    "old => { const e = document.querySelector('#status-done');"
                    " return e && e.dataset.key !== old; }", arg=old, timeout=120_000)
                times.append(time.perf_counter() - started)
            browser.close()
    finally:
        web_server.stop(proc)
    median = statistics.median(times)
    print(f"\nclick-to-chart, caravan-2020 what-ifs (warm server, counts engine): "
          f"median {median:.2f} s, min {min(times):.2f} s, max {max(times):.2f} s "
          f"over {len(times)}")
    assert median <= TARGET_S, f"median {median:.2f} s above the {TARGET_S} s target"
