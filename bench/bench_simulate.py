"""Benchmark of the simulation (run by hand: ``.venv/bin/python bench/bench_simulate.py``; < 5 minutes).

1. Replications per minute of the default scenario's daily-pause proposal (daily-4h-north, the
   scenario's own horizon and grid: 7 days), default disruptions, fixed plan:
   a plain single-process loop, then Dask local clusters of 1 and 2 worker processes — all measured
   in this run on the same plan and seed (and checked to give identical numbers). Dask timings start
   after a warm-up batch on every worker (imports, receiving the plan), the cluster start is shown apart.
   Target: at least 1,000 replications per minute on 2 cores.
2. Re-planning for the same disruption — the Wadi Gaza corridor (road sad-wadi-gaza-gaza-city) closed
   from 24 hours in to the end of the horizon, everything still at its origin — warm (``WarmPlanner``:
   same HiGHS instance, bounds changed, first basis, dual simplex, paths rounded down) against cold
   (``replan.replan``: the scenario rebuilt for the rest of the horizon, LP built, interior point,
   rounding and repair). Measured on 60-minute slots and on the scenario's own grid (15-minute slots
   within 3 hours of a window, 60 elsewhere).
   Target: warm at least 10x faster than cold.

Other people's jobs share the machine: figures are ratios measured in the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from dataclasses import asdict

import numpy as np

from safepassage.plan import plan_proposal
from safepassage.plan.replan import CurrentState, replan
from safepassage.plan.warm import WarmPlanner
from safepassage.scenario import load_scenario
from safepassage.simulate import Disruptions, execute, outcome_kpis, prepare_job, realise, replication_rngs
from safepassage.simulate.dask_runner import dask_client, run_on_dask
from safepassage.simulate.montecarlo import run_batch

PROPOSAL = "daily-4h-north"
CORRIDOR = "sad-wadi-gaza-gaza-city"


def throughput(runs: int, seed: int) -> None:
    scenario = load_scenario("gaza-2023-11")
    started = time.perf_counter()
    plan = plan_proposal(scenario, PROPOSAL)
    print(f"plan {PROPOSAL} (the scenario's horizon and grid): {time.perf_counter() - started:.1f} s, {len(plan.convoys)} convoys, {len(plan.evacuations)} evacuation movements")
    job = prepare_job(scenario, PROPOSAL, disruptions=Disruptions(), plan=plan)
    off = Disruptions.none()
    world_rng, run_rng = replication_rngs(0, 0)
    exact = asdict(outcome_kpis(job.world, execute(job.world, job.schedule, realise(job.world, off, world_rng), off, run_rng))) == asdict(plan.kpis)
    print(f"with every disruption off the simulation reproduces the planner's KPIs on the full horizon: {exact}")

    run_batch(job, seed, range(3))  # warm-up: imports, caches
    started = time.perf_counter()
    loop = run_batch(job, seed, range(runs))
    loop_s = time.perf_counter() - started
    loop_rate = runs / loop_s * 60
    print(f"plain loop, 1 process:  {runs} runs in {loop_s:6.2f} s = {loop_rate:8,.0f} replications/min ({loop_s / runs * 1000:.1f} ms per run)")

    rates = {}
    for workers in (1, 2):
        started = time.perf_counter()
        with dask_client(workers) as client:
            up = time.perf_counter() - started
            run_on_dask(job, seed + 1, 4 * workers, client=client, batch_size=2)  # warm-up batches
            started = time.perf_counter()
            values = run_on_dask(job, seed, runs, client=client)
            seconds = time.perf_counter() - started
        rates[workers] = runs / seconds * 60
        same = np.array_equal(np.nan_to_num(values, nan=-1), np.nan_to_num(loop, nan=-1))
        print(f"Dask, {workers} worker(s):     {runs} runs in {seconds:6.2f} s = {rates[workers]:8,.0f} replications/min (cluster start {up:.1f} s; identical to the loop: {same})")
    print(f"ratios: 2 workers / 1 worker = {rates[2] / rates[1]:.2f}x; 2 workers / plain loop = {rates[2] / loop_rate:.2f}x; "
          f"target 1,000/min on 2 cores: {'met' if rates[2] >= 1000 else 'NOT met'} ({rates[2]:,.0f}/min); cores here: {os.cpu_count()}")


def warm_vs_cold(slot_minutes: int | None, repeats: int) -> None:
    base = load_scenario("gaza-2023-11")
    scenario = base if slot_minutes is None else base.model_copy(update={"horizon": base.horizon.model_copy(update={"slot_minutes": slot_minutes, "coarse_slot_minutes": None})})
    started = time.perf_counter()
    warm = WarmPlanner(scenario, PROPOSAL)
    label = "60-min slots" if slot_minutes == 60 else "the scenario's grid: 15 min near windows, 60 elsewhere"
    print(f"[{label}] first solve kept warm: {time.perf_counter() - started:.1f} s ({warm.model.lp.n_rows:,} rows x {warm.model.lp.n_cols:,} columns)")
    grid = warm.model.terms.grid
    tau = int(np.searchsorted(grid.boundaries_min, 24 * 60))
    at = scenario.horizon.start + dt.timedelta(minutes=float(grid.boundaries_min[tau]))
    state = warm.state(tau)
    state.road_closed[[r.id for r in scenario.roads].index(CORRIDOR), :] = True
    warm_s, solve_s = [], []
    for _ in range(repeats):
        result = warm.replan(state)
        warm_s.append(result.seconds)
        solve_s.append(result.solve_seconds)
    repaired_s = []
    for _ in range(repeats):
        repaired_s.append(warm.replan(state, repair=True).seconds)
    cold_s = []
    for _ in range(repeats):
        started = time.perf_counter()
        cold = replan(scenario, PROPOSAL, CurrentState(at=at, closed_roads={CORRIDOR}))
        cold_s.append(time.perf_counter() - started)
    w, c, r = float(np.median(warm_s)), float(np.median(cold_s)), float(np.median(repaired_s))
    print(f"[{label}] warm re-plan {w:.3f} s (simplex {np.median(solve_s):.3f} s, {result.iterations} iterations, {len(result.convoys)} convoys, rounded down); "
          f"with rounding and repair {r:.3f} s; cold re-plan {c:.3f} s ({len(cold.convoys)} convoys)")
    print(f"[{label}] cold / warm = {c / w:.1f}x, cold / warm with repair = {c / r:.1f}x, cold / warm simplex alone = {c / float(np.median(solve_s)):.1f}x (target 10x: {'met' if c / w >= 10 else 'NOT met'})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=400, help="replications per measurement")
    parser.add_argument("--seed", type=int, default=2023)
    parser.add_argument("--repeats", type=int, default=2, help="re-plans per measurement (median)")
    parser.add_argument("--skip-fine-replan", action="store_true", help="skip the warm/cold re-plan on the scenario's own grid (the slower one)")
    args = parser.parse_args()
    throughput(args.runs, args.seed)
    warm_vs_cold(60, args.repeats)
    if not args.skip_fine_replan:
        warm_vs_cold(None, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
