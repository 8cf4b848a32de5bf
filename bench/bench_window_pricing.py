"""`plan`'s window pricing: the longer-window LP solved warm (``plan/window_pricing.py``) against the
re-build (the approach before, the baseline), both measured in this run, alternately, round by round.

Per case (the four Gaza proposals with windows, and synthetic scenarios whose grid the longer windows
change): the plan's LP is built and solved once (``aggregate.solve_planning_lp``, as ``plan`` does);
then, per round,

* **fresh**: build the LP with every window an hour longer and solve it as a plan's LP is solved
  (aggregated, by parts; the trucks' part by interior point and crossover, the rest by dual simplex);
* **warm**: build the same LP and solve it from the plan's solution mapped onto it (primal values and
  duals, HiGHS's crossover to a basis, simplex to optimality: ``window_pricing.solve_warm_from``).

Both include the build of the longer LP (the warm path needs it as much). CPU seconds are ``getrusage``
user + system of this process (HiGHS on one thread); the table gives the medians and the ratio
fresh / warm, and the prices' relative difference (must be ≤ 1e-6).

``--plans`` also times whole Gaza plans with their window pricing (``plan_proposal(window_value=True)``,
as ``plan`` runs it) with the warm pricing and with the re-build (the planner's warm call replaced by
the re-build for the baseline rounds), alternately, and checks that both report the same bottlenecks.

    PYTHONPATH=src .venv/bin/python bench/bench_window_pricing.py [--rounds 3] [--no-synthetic] [--plans]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
from collections.abc import Callable

from safepassage.plan import planner
from safepassage.plan.aggregate import solve_planning_lp
from safepassage.plan.lp_build import build_planning_model
from safepassage.plan.window_pricing import solve_warm_from
from safepassage.scenario import load_scenario
from safepassage.scenario.model import Proposal, Scenario
from safepassage.testing.synthetic import synthetic_scenario

GAZA = ["single-4h-pause", "daily-4h-north", "truce-4day", "ceasefire"]
# places, days, seed, window hours: 15-minute slots at the window edges, hourly elsewhere.
SYNTHETIC = [(24, 2, 2, 1.0), (30, 2, 3, 2.0), (50, 2, 1, 2.0)]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _longer(proposal: Proposal) -> Proposal:
    return proposal.model_copy(
        update={"windows": [w.model_copy(update={"end": w.end + dt.timedelta(hours=1)}) for w in proposal.windows]}
    )


def _timed(run: Callable[[], float]) -> tuple[float, float]:
    started = _cpu()
    value = run()
    return _cpu() - started, value


def bench_case(label: str, scenario: Scenario, proposal: Proposal, rounds: int) -> dict[str, object]:
    base = build_planning_model(scenario, proposal)
    solution = solve_planning_lp(base, threads=1)
    longer = _longer(proposal)

    def fresh() -> float:
        return solve_planning_lp(build_planning_model(scenario, longer), threads=1).objective

    cold_parts: list[str] = []

    def warm() -> float:
        solved = solve_warm_from(base, solution, build_planning_model(scenario, longer), threads=1)
        cold_parts.append(f"{solved.cold_parts}/{solved.parts}")
        return solved.objective

    fresh_s, warm_s = [], []
    fresh_value = warm_value = 0.0
    for _ in range(rounds):
        seconds, fresh_value = _timed(fresh)
        fresh_s.append(seconds)
        seconds, warm_value = _timed(warm)
        warm_s.append(seconds)
    price_fresh, price_warm = fresh_value - solution.objective, warm_value - solution.objective
    difference = abs(price_warm - price_fresh) / max(abs(price_fresh), 1e-9 * abs(fresh_value))
    f, w = statistics.median(fresh_s), statistics.median(warm_s)
    return {
        "case": label, "price": price_fresh, "fresh_s": f, "warm_s": w, "ratio": f / w, "price_rel_diff": difference,
        "cold_parts": cold_parts[-1],
    }


def _rebuilt(base: object, solution: object, longer: object, **options: object) -> object:
    """The baseline: the longer LP solved afresh, as before ``plan/window_pricing.py``."""
    return solve_planning_lp(longer, **options)  # type: ignore[arg-type]


def bench_plans(rounds: int) -> None:
    """Whole Gaza plans with their window pricing: warm against the re-build, CPU s, median."""
    gaza = load_scenario("gaza-2023-11")
    warm_call = planner.solve_warm_from
    print(
        f"{'plan with window pricing':36} {'re-build CPU s':>14} {'warm CPU s':>11} {'re-build/warm':>13} {'same':>5}"
    )
    for proposal in GAZA:
        times: dict[str, list[float]] = {"fresh": [], "warm": []}
        reported: dict[str, object] = {}
        for _ in range(rounds):
            for mode in ("fresh", "warm"):
                planner.solve_warm_from = warm_call if mode == "warm" else _rebuilt  # type: ignore[assignment]
                started = _cpu()
                result = planner.plan_proposal(gaza, proposal, threads=1, window_value=True)
                times[mode].append(_cpu() - started)
                reported[mode] = [(b.kind, b.id, b.value_per_unit) for b in result.bottlenecks]
        planner.solve_warm_from = warm_call
        f, w = statistics.median(times["fresh"]), statistics.median(times["warm"])
        same = "yes" if reported["fresh"] == reported["warm"] else "NO"
        print(f"{proposal:36} {f:14.3f} {w:11.3f} {f / w:12.2f}× {same:>5}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-synthetic", action="store_true")
    parser.add_argument("--plans", action="store_true", help="also whole Gaza plans with their window pricing")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    gaza = load_scenario("gaza-2023-11")
    cases = [(f"gaza {p}", gaza, gaza.proposal(p)) for p in GAZA]
    if not args.no_synthetic:
        for places, days, seed, hours in SYNTHETIC:
            s = synthetic_scenario(
                places, days, seed, 15, window_hours=hours, coarse_slot_minutes=60, proposals=("daily-windows",)
            )
            cases.append((f"synthetic {places}x{days}d seed {seed} {hours:g}h", s, s.proposal("daily-windows")))
    print(
        f"{'case':36} {'price':>12} {'fresh CPU s':>12} {'warm CPU s':>11} {'fresh/warm':>10} {'price rel diff':>15} "
        f"{'parts cold':>10}"
    )
    fresh_total = warm_total = 0.0
    for label, scenario, proposal in cases:
        row = bench_case(label, scenario, proposal, args.rounds)
        fresh_total += float(row["fresh_s"])  # type: ignore[arg-type]
        warm_total += float(row["warm_s"])  # type: ignore[arg-type]
        print(
            f"{label:36} {row['price']:12.1f} {row['fresh_s']:12.3f} {row['warm_s']:11.3f} {row['ratio']:9.2f}× "
            f"{row['price_rel_diff']:15.1e} {row['cold_parts']:>10}",
            flush=True,
        )
    print(f"{'total':36} {'':12} {fresh_total:12.3f} {warm_total:11.3f} {fresh_total / warm_total:9.2f}×")
    if args.plans:
        bench_plans(args.rounds)
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
