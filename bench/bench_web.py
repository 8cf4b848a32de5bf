"""Benchmark the web UI in Debian's Chromium: how long each page takes to load with all its assets from
the local server (cold cache, a new browser context per load), and how responsive the Plan page of the
Gaza week's largest plan stays (time to redraw the map, timelines and chart for one move of the time
slider, and the long tasks the main thread runs meanwhile).

Baseline in the same run: the trivial ``GET /health`` document loaded the same way, so every figure
comes with a ratio to the cost of the HTTP stack and the browser alone.

    .venv/bin/python bench/bench_web.py            # seeds its own server (about 40 s of planning)
    .venv/bin/python bench/bench_web.py --json

It prints one table (and with --json one JSON document) and writes bench/results/web.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.service.server import Server  # noqa: E402
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.web.seed import PASSWORD, seed  # noqa: E402

ADMIN = "bench admin password"
LOAD = "() => { const n = performance.getEntriesByType('navigation')[0]; return {html_ms: n.responseEnd - n.startTime, load_ms: n.loadEventEnd - n.startTime, resources: performance.getEntriesByType('resource').length}; }"


def _load(
    browser: Any, url: str, path: str, cookies: list[dict[str, Any]], wait_for: str | None, runs: int
) -> dict[str, float]:
    html, load, ready = [], [], []
    resources = 0
    for _ in range(runs):
        context = browser.new_context(viewport={"width": 1280, "height": 860})
        context.add_cookies(cookies)
        page = context.new_page()
        page.goto(url + path, wait_until="load")
        if wait_for:
            page.wait_for_selector(wait_for)
            ready.append(page.evaluate("() => performance.now()"))
        timing = page.evaluate(LOAD)
        html.append(timing["html_ms"])
        load.append(timing["load_ms"])
        resources = timing["resources"]
        context.close()
    out = {"html_ms": statistics.median(html), "load_ms": statistics.median(load), "resources": resources}
    if ready:
        out["drawn_ms"] = statistics.median(ready)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="cold loads per page (median reported)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with (
        tempfile.TemporaryDirectory() as tmp,
        Server(f"sqlite:///{tmp}/web.db", Path(tmp), ADMIN, max_seconds=900) as server,
    ):
        world = seed(server.url, ADMIN)
        largest = max(world.plans.values(), key=lambda p: len(p["movement_ids"]))
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            context = browser.new_context()
            page = context.new_page()
            page.goto(server.url + "/login")
            page.fill("#username", "coordinator")
            page.fill("#password", PASSWORD)
            page.click("main button[type=submit]")
            page.wait_for_load_state()
            cookies = context.cookies()
            pages = {
                "baseline /health": ("/health", None),
                "public (en)": ("/public", None),
                "public (ar)": ("/public/ar", None),
                "compare": (f"/ui/compare?scenario={world.scenario_id}", "#compare-charts svg"),
                f"plan ({len(largest['movement_ids'])} movements)": (
                    f"/ui/plans/{largest['id']}",
                    "#plan-map[data-ready='true']",
                ),
                "events": ("/ui/events", None),
                "audit": ("/ui/audit", None),
            }
            results = {
                name: _load(browser, server.url, path, cookies, wait, args.runs) for name, (path, wait) in pages.items()
            }
            base = results["baseline /health"]["load_ms"]
            for r in results.values():
                r["ratio_to_baseline"] = r["load_ms"] / base if base else float("nan")

            # Responsiveness: move the time slider through 40 positions; the page records each redraw's time.
            page.goto(server.url + f"/ui/plans/{largest['id']}")
            page.wait_for_selector("#plan-map[data-ready='true']")
            page.evaluate(
                "() => { window.__long = []; new PerformanceObserver(l => l.getEntries().forEach(e => window.__long.push(e.duration))).observe({type: 'longtask'}); }"
            )
            redraws = []
            for step in range(40):
                page.locator("#time-slider").fill(str(step * 25))
                redraws.append(float(page.get_attribute("#plan-map", "data-update-ms") or "nan"))
            long_tasks = page.evaluate("() => window.__long")
            browser.close()
    slider = {
        "movements": len(largest["movement_ids"]),
        "redraw_median_ms": statistics.median(redraws),
        "redraw_max_ms": max(redraws),
        "long_tasks_over_50ms": len(long_tasks),
        "longest_task_ms": max(long_tasks, default=0.0),
    }
    document = {"pages": results, "plan_slider": slider}
    (ROOT / "bench" / "results").mkdir(parents=True, exist_ok=True)
    (ROOT / "bench" / "results" / "web.json").write_text(json.dumps(document, indent=2))
    if args.json:
        print(json.dumps(document, indent=2))
        return
    print(f"{'page':34} {'HTML ms':>8} {'loaded ms':>10} {'drawn ms':>9} {'files':>6} {'× /health':>10}")
    for name, r in results.items():
        print(
            f"{name:34} {r['html_ms']:8.1f} {r['load_ms']:10.1f} {r.get('drawn_ms', float('nan')):9.1f} {r['resources']:6d} {r['ratio_to_baseline']:10.1f}"
        )
    print(
        f"plan time slider over {slider['movements']} movements: redraw median {slider['redraw_median_ms']:.1f} ms, max {slider['redraw_max_ms']:.1f} ms; "
        f"{slider['long_tasks_over_50ms']} long tasks (> 50 ms) in 40 moves, longest {slider['longest_task_ms']:.0f} ms"
    )


if __name__ == "__main__":
    main()
