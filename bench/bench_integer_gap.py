"""Issue 10 item 6: the whole-plan gap ``(bound - plan) / bound`` on the synthetic sizes, alone.

The same case as ``bench_planner.py``'s size curve (``make bench``): ``synthetic_scenario(places, 1 day,
seed 1, 15-minute slots)``, proposal ``daily-windows``. Its LP is built and solved once, as
``plan_proposal`` does (for these scenarios it does nothing else before the integer step), and the
integer step runs twice on that solution, in the same process:

* **before**: the path plan alone (floor, repair, path program, path variants): ``integer.round_and_repair``
  with the whole-truck flow program switched off (``FLOW_PROGRAM_FROM_GAP = inf``);
* **now**: ``integer.round_and_repair`` as ``plan_proposal`` calls it, with the whole-truck flow over the
  LP's arcs (``plan/whole_truck_flow.py``) where the path plan is more than 0.5 % below the bound.

Each gets its CPU seconds (``time.process_time``: every thread of the process) and wall seconds.
``--certify SECONDS`` also solves the whole-truck program over *every* truck column (no neighbourhood)
for at most that long and prints its dual bound: no whole-truck plan is worth more, so
``(LP bound - that) / LP bound`` is the least gap any whole-truck plan can have against the LP bound,
and ``(that - plan) / that`` the plan's gap to the best bound certified, as ``plan --certify-seconds``
reports it (``plan/integer_bound.py``, started from the plan).

    PYTHONPATH=src .venv/bin/python bench/bench_integer_gap.py --sizes 50,200,500 --certify 600
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from typing import Any

SEED = 1
PROPOSAL = "daily-windows"


def _timed(run: Any) -> tuple[Any, float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    out = run()
    return out, time.process_time() - cpu, time.perf_counter() - wall


def measure(places: int, certify_s: float) -> dict[str, Any]:
    from safepassage.plan import integer
    from safepassage.plan.aggregate import solve_planning_lp
    from safepassage.plan.lp_build import build_planning_model
    from safepassage.testing.synthetic import synthetic_scenario

    scenario = synthetic_scenario(places, 1, SEED, 15)
    model = build_planning_model(scenario, scenario.proposal(PROPOSAL))
    solution, lp_cpu_s, lp_wall_s = _timed(lambda: solve_planning_lp(model))
    bound = solution.objective
    saved = integer.FLOW_PROGRAM_FROM_GAP
    try:
        integer.FLOW_PROGRAM_FROM_GAP = math.inf
        before, before_cpu_s, before_wall_s = _timed(lambda: integer.round_and_repair(model, solution))
    finally:
        integer.FLOW_PROGRAM_FROM_GAP = saved
    now, now_cpu_s, now_wall_s = _timed(lambda: integer.round_and_repair(model, solution))
    row: dict[str, Any] = {
        "places": places, "bound": bound, "lp_cpu_s": lp_cpu_s, "lp_wall_s": lp_wall_s,
        "value_before": before.value, "gap_before": (bound - before.value) / bound,
        "integer_cpu_s_before": before_cpu_s, "integer_wall_s_before": before_wall_s,
        "value_now": now.value, "gap_now": (bound - now.value) / bound,
        "integer_cpu_s_now": now_cpu_s, "integer_wall_s_now": now_wall_s,
    }
    if certify_s > 0:
        from safepassage.plan.integer_bound import whole_truck_bound
        from safepassage.plan.quota_floors import path_incidence

        # Started from the plan, as ``plan --certify-seconds`` does.
        start = path_incidence(now.trucks, model.lp.n_cols) @ now.trucks_int
        proved, cpu_s, wall_s = _timed(lambda: whole_truck_bound(model, start, certify_s))
        dual, best, optimal = min(bound, proved.dual_bound), proved.best_found, proved.proved
        row.update({
            "whole_truck_bound": dual, "least_gap_of_any_whole_truck_plan": (bound - dual) / bound,
            "gap_now_to_whole_truck_bound": (dual - now.value) / dual,
            "whole_truck_best": best, "whole_truck_optimal": optimal, "certify_cpu_s": cpu_s, "certify_wall_s": wall_s,
        })
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200,500", help="places, each over one day")
    parser.add_argument(
        "--certify", type=float, default=0.0, help="seconds for the whole-truck program on every truck column (0: skip)"
    )
    args = parser.parse_args()
    for places in (int(n) for n in args.sizes.split(",")):
        row = measure(places, args.certify)
        print(
            f"{places} places x 1 d: LP bound {row['bound']:,.0f} ({row['lp_cpu_s']:.1f} CPU s); "
            f"before {row['value_before']:,.0f}, gap {row['gap_before']:.2%}, {row['integer_cpu_s_before']:.1f} CPU s; "
            f"now {row['value_now']:,.0f}, gap {row['gap_now']:.2%}, {row['integer_cpu_s_now']:.1f} CPU s",
            flush=True,
        )
        if "whole_truck_bound" in row:
            print(
                f"  every whole-truck plan <= {row['whole_truck_bound']:,.0f}: "
                f"gap >= {row['least_gap_of_any_whole_truck_plan']:.2%} (best found {row['whole_truck_best']:,.0f}, "
                f"{'optimal' if row['whole_truck_optimal'] else 'time limit'}, "
                f"{row['certify_cpu_s']:.0f} CPU s); "
                f"the plan is within {row['gap_now_to_whole_truck_bound']:.3%} of it",
                flush=True,
            )
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
