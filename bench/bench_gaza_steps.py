"""Where a Gaza plan's CPU time goes, step by step, with this tree's sources against a baseline commit's
(default: 27a7eda, before the third speed pass), measured alternately in the same run, and whether the
two trees make the same plans.

    PYTHONPATH=src .venv/bin/python bench/bench_gaza_steps.py [--baseline REF] [--rounds 3]

Each round runs one child process per tree that plans the five gaza-2023-11 proposals on one thread
(``plan_proposal(..., threads=1)``) and times, with ``resource.getrusage`` (CPU, user + system), the
functions ``planner.py`` calls: the build, the LP (``solve_planning_lp``), the rounding
(``round_and_repair``) and the convoys (``consolidate``); HiGHS's own runs are timed apart
(``Highs.run``: the LP's parts, and the path program inside the rounding). "rest" is the plan's total
minus those steps (records, KPIs, bottlenecks). Reported: the median per step over the rounds, and
whether every PlanResult (all of ``to_dict()`` but the timings) is the same in both trees.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from baseline_tree import baseline_src

ROOT = Path(__file__).resolve().parent.parent
PROPOSALS = ("no-pause", "single-4h-pause", "daily-4h-north", "truce-4day", "ceasefire")
STEPS = ("total", "build", "lp", "lp_highs", "round", "round_highs", "convoys", "rest")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def worker() -> None:
    """Plan every proposal in this interpreter (the tree on PYTHONPATH) and print the steps as JSON."""
    import highspy

    from safepassage.plan import planner
    from safepassage.scenario import load_scenario

    spent: dict[str, float] = {}
    inside: list[str] = []

    def timed(name: str, function: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            inside.append(name)
            started = _cpu()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + _cpu() - started
                inside.pop()
        return run

    highs_run = highspy.Highs.run

    def run_highs(self: Any, *args: Any, **kwargs: Any) -> Any:
        started = _cpu()
        try:
            return highs_run(self, *args, **kwargs)
        finally:
            key = "round_highs" if "round" in inside else "lp_highs"
            spent[key] = spent.get(key, 0.0) + _cpu() - started

    highspy.Highs.run = run_highs  # type: ignore[method-assign]
    wrapped = (
        ("build", "build_planning_model"), ("lp", "solve_planning_lp"),
        ("round", "round_and_repair"), ("convoys", "consolidate"),
    )
    for name, attribute in wrapped:
        setattr(planner, attribute, timed(name, getattr(planner, attribute)))
    scenario = load_scenario("gaza-2023-11")
    out = {}
    for proposal in PROPOSALS:
        spent.clear()
        started = _cpu()
        result = planner.plan_proposal(scenario, proposal, threads=1)
        total = _cpu() - started
        steps = {"total": total, **{k: spent.get(k, 0.0) for k in STEPS if k not in ("total", "rest")}}
        steps["rest"] = total - steps["build"] - steps["lp"] - steps["round"] - steps["convoys"]
        record = {k: v for k, v in result.to_dict().items() if k not in ("timings", "build_seconds", "solve_seconds")}
        digest = hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode()).hexdigest()
        out[proposal] = {"steps": steps, "plan": digest, "objective": result.objective, "gap": result.gap}
    print(json.dumps(out))


def _run_tree(src: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    command = [sys.executable, str(Path(__file__).resolve()), "--worker"]
    done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", default="27a7eda")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker()
        return
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"baseline": baseline_src(args.baseline, Path(tmp)), "now": ROOT / "src"}
        runs: dict[str, list[dict[str, Any]]] = {t: [] for t in trees}
        for _ in range(args.rounds):
            for tree, src in trees.items():  # alternate, so that load changes hit both
                runs[tree].append(_run_tree(src))
    load_end = os.getloadavg()
    print(f"gaza-2023-11, CPU s per step (median of {args.rounds} rounds, one thread), baseline {args.baseline} "
          f"-> now; load average {load_start[0]:.1f} at start, {load_end[0]:.1f} at end")
    print(f"{'proposal':16s} " + " ".join(f"{s:>17s}" for s in STEPS) + "  same plan")
    for proposal in PROPOSALS:
        cells = []
        for step in STEPS:
            base = statistics.median(r[proposal]["steps"][step] for r in runs["baseline"])
            now = statistics.median(r[proposal]["steps"][step] for r in runs["now"])
            cells.append(f"{base:7.3f} -> {now:6.3f}")
        same = {r[proposal]["plan"] for r in runs["baseline"]} == {r[proposal]["plan"] for r in runs["now"]}
        print(f"{proposal:16s} " + " ".join(f"{c:>17s}" for c in cells) + f"  {'yes' if same else 'NO'}")
    totals = {t: [r[p]["steps"]["total"] for r in runs[t] for p in PROPOSALS] for t in trees}
    listed = "; ".join(f"{t} {', '.join(f'{v:.2f}' for v in vs)}" for t, vs in totals.items())
    print(f"every round, every proposal, total CPU s: {listed}")


if __name__ == "__main__":
    main()
