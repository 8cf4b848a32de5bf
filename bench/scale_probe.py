"""Probes behind docs/performance.md, section "The 500-place week".

    PYTHONPATH=src .venv/bin/python bench/scale_probe.py size 500 7          # movements of the target week
    PYTHONPATH=src .venv/bin/python bench/scale_probe.py size 500 1 --build  # and the LP of one day
    PYTHONPATH=src .venv/bin/python bench/scale_probe.py active              # how much of the LP the optimum uses

``size``: ``testing.synthetic.target_scenario(n_places=N, days=DAYS)`` (seed 1, 15-minute slots, 3 roads
per place, 6 commodities), proposal 'daily-windows': usable truck and walking movements (= LP columns), and with ``--build`` the
LP's rows, columns, nonzeros and build time; peak resident memory. ``active``: on Gaza's
daily-4h-north and synthetic 100 places × 1 day, the truck columns non-zero at the LP optimum, the
delivered truck paths, and the capacity rows with a non-zero dual.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import numpy as np


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def size(n: int, days: float, build: bool) -> None:
    from safepassage.plan.network import build_arcs, people_movements, truck_movements
    from safepassage.plan.terms import resolve_terms
    from safepassage.testing.synthetic import target_scenario

    started = time.perf_counter()
    scenario = target_scenario(n_places=n, days=days)
    proposal = scenario.proposal("daily-windows")
    terms = resolve_terms(scenario, proposal, None)
    arcs = build_arcs(scenario)
    trucks, people = truck_movements(scenario, terms, arcs), people_movements(scenario, terms, arcs)
    print(json.dumps({
        "places": n, "days": days, "roads": len(scenario.roads), "commodities": len(scenario.commodities),
        "warehouses": sum(p.kind.value == "warehouse" for p in scenario.places), "slots": terms.grid.n_slots,
        "truck_movements": len(trucks), "walking_movements": len(people), "seconds": round(time.perf_counter() - started, 2), "peak_mb": round(_peak_mb()),
    }))
    if build:
        from safepassage.plan.lp_build import build_planning_model

        started = time.perf_counter()
        model = build_planning_model(scenario, proposal)
        print(json.dumps({"rows": model.lp.n_rows, "cols": model.lp.n_cols, "nnz": int(model.lp.csc().nnz), "build_s": round(time.perf_counter() - started, 2), "peak_mb": round(_peak_mb())}))


def active() -> None:
    from safepassage.plan.integer import truck_paths
    from safepassage.plan.lp_build import build_planning_model
    from safepassage.plan.solve import solve_lp
    from safepassage.scenario import load_scenario
    from safepassage.testing.synthetic import synthetic_scenario

    cases = [("gaza/daily-4h-north", load_scenario("gaza-2023-11"), "daily-4h-north"), ("synthetic 100x1", synthetic_scenario(100, 1, 1, 15), "daily-windows")]
    for name, scenario, proposal in cases:
        model = build_planning_model(scenario, scenario.proposal(proposal))
        solution = solve_lp(model.lp)
        x = solution.x[model.col("x").slice()]
        binding = {}
        for block in model.lp.row_blocks:
            if block.name in ("truck_balance", "people_balance", "fleet_count", "need_tiers"):
                continue
            binding[block.name] = [int((np.abs(solution.row_dual[block.slice()]) > 1e-9).sum()), block.size]
        print(json.dumps({"case": name, "truck_columns": len(x), "nonzero": int((x > 1e-7).sum()), "truck_paths": len(truck_paths(model, solution).paths), "binding_rows": binding}))


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    s = sub.add_parser("size")
    s.add_argument("places", type=int)
    s.add_argument("days", type=float)
    s.add_argument("--build", action="store_true")
    sub.add_parser("active")
    args = parser.parse_args()
    if args.what == "size":
        size(args.places, args.days, args.build)
    else:
        active()


if __name__ == "__main__":
    main()
