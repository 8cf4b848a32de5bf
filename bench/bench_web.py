"""Benchmark the web UI in Debian's Chromium: how long each page takes to load with all its assets from
the local server (cold cache, a new browser context per load, after one untimed warm-up load of the
server), and how responsive the Plan page of the Gaza week's largest plan stays.

Per page: time to the HTML (``responseEnd``), to the ``load`` event, and for the pages that draw with
scripts until the drawing is done; for the plan page both its first view (map and time slider drawn,
the page's ``map-ready`` mark) and everything drawn (timelines and chart too, ``all-drawn``). Then the
plan page's main-thread long tasks (> 50 ms) while it loads and draws, and for 40 moves of its time
slider the redraw time the page records for each and the long tasks meanwhile.

Baseline in the same run: the trivial ``GET /health`` document loaded the same way, so every figure
comes with a ratio to the cost of the HTTP stack and the browser alone.

    PYTHONPATH=src .venv/bin/python bench/bench_web.py --runs 3   # seeds its own server (Gaza, five plans)
    PYTHONPATH=src .venv/bin/python bench/bench_web.py --json

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
MARK = "(name) => { const m = name && performance.getEntriesByName(name, 'mark')[0]; return m ? m.startTime : performance.now(); }"
LOAD = (
    "() => { const n = performance.getEntriesByType('navigation')[0]; const r = performance.getEntriesByType('resource');"
    " return {html_ms: n.responseEnd - n.startTime, load_ms: n.loadEventEnd - n.startTime, resources: r.length,"
    " transferred: n.transferSize + r.reduce((t, e) => t + e.transferSize, 0)}; }"
)


def _load(
    browser: Any, url: str, path: str, cookies: list[dict[str, Any]], waits: dict[str, tuple[str, str | None]], runs: int
) -> dict[str, float]:
    """Median over ``runs`` cold loads (a new context each) after one warm-up load of the server: time to
    the HTML, to the load event, and until each selector of ``waits`` appears (e.g. the map drawn)."""
    html, load = [], []
    ready: dict[str, list[float]] = {name: [] for name in waits}
    resources, transferred = 0, 0
    for attempt in range(runs + 1):
        context = browser.new_context(viewport={"width": 1280, "height": 860})
        context.add_cookies(cookies)
        page = context.new_page()
        page.goto(url + path, wait_until="load")
        for name, (selector, mark) in waits.items():
            page.wait_for_selector(selector, timeout=120_000)
            # the page's own performance mark when it has one (exact), else now (includes the driver's polling)
            ready[name].append(page.evaluate(MARK, mark))
        timing = page.evaluate(LOAD)
        context.close()
        if attempt == 0:  # the server's first rendering of the page (templates compiled, caches filled): not timed
            ready = {name: [] for name in waits}
            continue
        html.append(timing["html_ms"])
        load.append(timing["load_ms"])
        resources, transferred = timing["resources"], timing["transferred"]
    out = {"html_ms": statistics.median(html), "load_ms": statistics.median(load), "resources": resources, "kb": transferred / 1024}
    for name, values in ready.items():
        out[name] = statistics.median(values)
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
            plan_path = f"/ui/plans/{largest['id']}"
            pages = {
                "baseline /health": ("/health", {}),
                "public (en)": ("/public", {}),
                "public (ar)": ("/public/ar", {}),
                "compare": (f"/ui/compare?scenario={world.scenario_id}", {"drawn_ms": ("#compare-charts svg", None)}),
                f"plan ({len(largest['movement_ids'])} movements)": (
                    plan_path,
                    {
                        "map_ms": ("#plan-map[data-map-ready='true']", "map-ready"),
                        "drawn_ms": ("#plan-map[data-ready='true']", "all-drawn"),
                    },
                ),
                "events": ("/ui/events", {}),
                "audit": ("/ui/audit", {}),
            }
            results = {
                name: _load(browser, server.url, path, cookies, waits, args.runs) for name, (path, waits) in pages.items()
            }
            base = results["baseline /health"]["load_ms"]
            for r in results.values():
                r["ratio_to_baseline"] = r["load_ms"] / base if base else float("nan")

            # The first view's main-thread work: long tasks while the plan page loads and draws everything.
            context.add_init_script(
                "window.__long = []; new PerformanceObserver(l => l.getEntries().forEach(e => window.__long.push(e.duration)))"
                ".observe({type: 'longtask', buffered: true});"
            )
            page.goto(server.url + plan_path)
            page.wait_for_selector("#plan-map[data-ready='true']")
            load_long = page.evaluate("() => window.__long")

            # Responsiveness: move the time slider through 40 positions; the page records each redraw's time.
            page.evaluate("() => { window.__long = []; }")
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
        "load_long_tasks_over_50ms": len(load_long),
        "load_long_tasks_total_ms": sum(load_long),
        "load_longest_task_ms": max(load_long, default=0.0),
    }
    document = {"pages": results, "plan_slider": slider}
    (ROOT / "bench" / "results").mkdir(parents=True, exist_ok=True)
    (ROOT / "bench" / "results" / "web.json").write_text(json.dumps(document, indent=2))
    if args.json:
        print(json.dumps(document, indent=2))
        return
    print(f"{'page':28} {'HTML ms':>8} {'loaded ms':>10} {'map ms':>7} {'drawn ms':>9} {'files':>6} {'KB':>6} {'x /health':>10}")
    for name, r in results.items():
        print(
            f"{name:28} {r['html_ms']:8.1f} {r['load_ms']:10.1f} {r.get('map_ms', float('nan')):7.1f}"
            f" {r.get('drawn_ms', float('nan')):9.1f} {r['resources']:6d} {r['kb']:6.0f} {r['ratio_to_baseline']:10.1f}"
        )
    print(
        f"plan page load: {slider['load_long_tasks_over_50ms']} long tasks (> 50 ms), {slider['load_long_tasks_total_ms']:.0f} ms in all,"
        f" longest {slider['load_longest_task_ms']:.0f} ms"
    )
    print(
        f"plan time slider over {slider['movements']} movements: redraw median {slider['redraw_median_ms']:.1f} ms,"
        f" max {slider['redraw_max_ms']:.1f} ms; {slider['long_tasks_over_50ms']} long tasks (> 50 ms) in 40 moves,"
        f" longest {slider['longest_task_ms']:.0f} ms"
    )


if __name__ == "__main__":
    main()
