"""Benchmark the web UI in Debian's Chromium: how long each page takes to load with all its assets from
the local server (cold cache, a new browser context per load, after one untimed warm-up load of the
server), and how responsive the Plan page of the Gaza week's largest plan stays.

Per page: time to the HTML (``responseEnd``); to its HTML and assets (the last response among the
document and the files it asks for before its load event, leaving out its data, ``data.json``); to
its data; to the ``load`` event; and for
the pages that draw with scripts until the drawing is done; for the plan page both its first view (map and time slider drawn,
the page's ``map-ready`` mark) and everything drawn (timelines and chart too, ``all-drawn``). Then the
plan page's main-thread long tasks (> 50 ms) while it loads and draws, and for 40 moves of its time
slider the redraw time the page records for each and the long tasks meanwhile. Per load also the
requests the browser made and the server's CPU time (user + system of its processes, via psutil), so
a figure taken on a loaded machine can be told apart from work the server does; the load average is
printed with the table.

Baseline in the same run: the trivial ``GET /health`` document loaded the same way, so every figure
comes with a ratio to the cost of the HTTP stack and the browser alone.

    PYTHONPATH=src .venv/bin/python bench/bench_web.py --runs 3   # seeds its own server (Gaza, five plans)
    PYTHONPATH=src .venv/bin/python bench/bench_web.py --json

It prints one table (and with --json one JSON document) and writes bench/results/web.json.
"""

from __future__ import annotations

import argparse
import json
import os
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
# HTML and assets: the document and every file it asks for before its load event except its data (``data.json``,
# fetched by the plan page beside its scripts), i.e. the last of their responses (the charting scripts the plan
# page loads after its load event count as drawing); data: the last data response.
LOAD = (
    "() => { const n = performance.getEntriesByType('navigation')[0]; const r = performance.getEntriesByType('resource');"
    " const isData = (e) => e.name.includes('data.json'); const end = (es) => Math.max(0, ...es.map(e => e.responseEnd));"
    " return {html_ms: n.responseEnd - n.startTime, load_ms: n.loadEventEnd - n.startTime, resources: r.length,"
    " assets_ms: Math.max(n.responseEnd, end(r.filter(e => !isData(e) && e.startTime < n.loadEventStart))) - n.startTime,"
    " data_ms: r.some(isData) ? end(r.filter(isData)) - n.startTime : null,"
    " transferred: n.transferSize + r.reduce((t, e) => t + e.transferSize, 0)}; }"
)


def server_cpu_s(server: Server) -> float:
    """CPU seconds (user + system) used so far by the server's processes (``timeout`` and the service under it)."""
    import psutil

    assert server.process is not None
    root = psutil.Process(server.process.pid)
    total = 0.0
    for process in [root, *root.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.Error:  # a plan job's child that just ended
            continue
        total += times.user + times.system
    return total


def _load(
    browser: Any, server: Server, path: str, cookies: list[dict[str, Any]], waits: dict[str, tuple[str, str | None]], runs: int
) -> dict[str, float]:
    """Median over ``runs`` cold loads (a new context each) after one warm-up load of the server: time to
    the HTML, to its HTML and assets (all but its data), to its data, to the load event, and until each
    selector of ``waits`` appears (e.g. the map drawn); the requests the browser made per load and the
    server's CPU time per load (all its processes, from psutil)."""
    timings: dict[str, list[float]] = {key: [] for key in ("html_ms", "assets_ms", "data_ms", "load_ms", "server_cpu_ms", "requests")}
    ready: dict[str, list[float]] = {name: [] for name in waits}
    resources, transferred = 0, 0
    for attempt in range(runs + 1):
        context = browser.new_context(viewport={"width": 1280, "height": 860})
        context.add_cookies(cookies)
        page = context.new_page()
        requests: list[str] = []
        page.on("request", lambda r, seen=requests: seen.append(r.url))
        cpu_before = server_cpu_s(server)
        page.goto(server.url + path, wait_until="load")
        for name, (selector, mark) in waits.items():
            page.wait_for_selector(selector, timeout=120_000)
            # the page's own performance mark when it has one (exact), else now (includes the driver's polling)
            ready[name].append(page.evaluate(MARK, mark))
        page.wait_for_load_state("networkidle")  # the scripts loaded after the load event are served too
        cpu_ms = (server_cpu_s(server) - cpu_before) * 1000
        timing = page.evaluate(LOAD)
        context.close()
        if attempt == 0:  # the server's first rendering of the page (templates compiled, caches filled): not timed
            ready = {name: [] for name in waits}
            continue
        for key in ("html_ms", "assets_ms", "load_ms"):
            timings[key].append(timing[key])
        if timing["data_ms"] is not None:
            timings["data_ms"].append(timing["data_ms"])
        timings["server_cpu_ms"].append(cpu_ms)
        timings["requests"].append(len(requests))
        resources, transferred = timing["resources"], timing["transferred"]
    out = {key: statistics.median(values) if values else float("nan") for key, values in timings.items()}
    out.update(resources=resources, kb=transferred / 1024)
    out["server_cpu_ms_per_request"] = out["server_cpu_ms"] / out["requests"] if out["requests"] else float("nan")
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
                name: _load(browser, server, path, cookies, waits, args.runs) for name, (path, waits) in pages.items()
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
    document = {"load_average_1_5_15_min": [round(x, 2) for x in os.getloadavg()], "cpus": os.cpu_count(), "pages": results, "plan_slider": slider}
    (ROOT / "bench" / "results").mkdir(parents=True, exist_ok=True)
    (ROOT / "bench" / "results" / "web.json").write_text(json.dumps(document, indent=2))
    if args.json:
        print(json.dumps(document, indent=2))
        return
    load = document["load_average_1_5_15_min"]
    print(f"load average {load[0]} {load[1]} {load[2]} (1, 5, 15 min) on {document['cpus']} CPUs, after the run")
    print(
        f"{'page':28} {'HTML ms':>8} {'+assets ms':>10} {'loaded ms':>10} {'data ms':>8} {'map ms':>7} {'drawn ms':>9}"
        f" {'requests':>8} {'KB':>6} {'server CPU ms':>13} {'per req.':>8} {'x /health':>10}"
    )
    nan = float("nan")
    for name, r in results.items():
        print(
            f"{name:28} {r['html_ms']:8.1f} {r['assets_ms']:10.1f} {r['load_ms']:10.1f} {r['data_ms']:8.1f} {r.get('map_ms', nan):7.1f}"
            f" {r.get('drawn_ms', nan):9.1f} {r['requests']:8.0f} {r['kb']:6.0f} {r['server_cpu_ms']:13.1f}"
            f" {r['server_cpu_ms_per_request']:8.1f} {r['ratio_to_baseline']:10.1f}"
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
