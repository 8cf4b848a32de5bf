"""Bus trips: the MIP (plan/bus_schedule.py) against the greedy (plan/bus_trips.py), on the bus test
scenario and its variants (tests/plan/test_bus_trips.py: VARIANTS), and on buses.yaml stretched over
longer horizons, with and without pause-only roads.

    PYTHONPATH=src .venv/bin/python bench/bench_buses.py [--days 7 14]

Per case: the greedy's value (person-days of safety), people carried and trips; the MIP's value,
bound, gap, people, trips and solve seconds; and the MIP's seconds over the greedy's (a ratio measured
in the same run: compare ratios, not seconds, on a shared machine).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "plan"))

from test_bus_trips import BUSES, END, START, VARIANTS  # noqa: E402

from safepassage.plan.bus_schedule import schedule_bus_trips  # noqa: E402
from safepassage.plan.bus_trips import plan_bus_trips  # noqa: E402
from safepassage.scenario import load_scenario  # noqa: E402


def _cases(days: list[int]) -> list[tuple[str, dict, dt.datetime]]:
    out = [(name, change(yaml.safe_load(BUSES.read_text())), END) for name, change in sorted(VARIANTS.items())]
    for n in days:
        for pause in (True, False):
            data = yaml.safe_load(BUSES.read_text())
            data["horizon"]["days"] = n
            for window in data["proposals"][0]["windows"]:
                window["repeat_days"] = n
            for road in data["roads"]:
                road["requires_pause"] = pause
            out.append(
                (f"buses, {n} days{'' if pause else ', no pause-only roads'}", data, START + dt.timedelta(days=n))
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, nargs="*", default=[7])
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    header = "case | greedy value | people | trips | MIP value | bound | gap | people | trips | MIP s | MIP/greedy time"
    print(header)
    for name, data, end in _cases(args.days):
        path = folder / "case.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        scenario = load_scenario(path)
        proposal = scenario.proposal("two-towns")
        started = time.perf_counter()
        greedy = plan_bus_trips(scenario, proposal, START, end)
        greedy_s = time.perf_counter() - started
        best = schedule_bus_trips(scenario, proposal, START, end)
        gap = f"{best.gap:.1e}" if best.gap is not None else "-"
        bound = f"{best.bound:,.0f}" if best.bound is not None else "-"
        print(
            f"{name} | {greedy.objective:,.0f} | {sum(t.people for t in greedy.trips)} | {len(greedy.trips)} | "
            f"{best.objective:,.0f} ({best.method}) | {bound} | {gap} | {sum(t.people for t in best.trips)} | "
            f"{len(best.trips)} | {best.solve_seconds:.2f} | {best.solve_seconds / max(greedy_s, 1e-9):,.0f}"
            + (f" | {best.note}" if best.note else "")
        )


if __name__ == "__main__":
    main()
