"""Planner benchmark: LP size, build/solve/round/report time, peak memory and integer gap on synthetic
scenarios of growing size, against a PuLP build of the same LP; the packaged Gaza scenario with all
its proposals; and a 500-place week (fine grid, then the shrunken grid if the fine one is too slow).

    .venv/bin/python bench/bench_planner.py            # full run (~15 min on 2 cores)
    .venv/bin/python bench/bench_planner.py --quick    # smaller sizes (~3 min)
    .venv/bin/python bench/bench_planner.py --solver-options   # also try HiGHS options on the big cases

Every case runs in its own subprocess, so that its peak resident memory (``ru_maxrss``, which
includes HiGHS's own allocations) is its own. Results are printed as Rich tables and saved to
``bench/results/planner-<date>[-quick].json``. Absolute seconds depend on the machine and its load;
compare ratios (PuLP build / array build, shrunken / fine optimum) between runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
SEED = 1
PROPOSAL = "daily-windows"  # the richest synthetic proposal: pause-only roads, admissions, raised quotas

# (places, days, slot minutes, shrink options). Sizes past ~100 place-days of 15-minute slots are
# too slow to solve on the fine grid here, so the larger ones use coarse slots after the first day.
# Shrinking keeps 15-minute slots within fine_margin_hours of every window start and end (where timing
# decides what a pause delivers) and uses coarse slots elsewhere — the packaged Gaza scenario's setting.
COARSE = {"coarse_slot_minutes": 60, "fine_margin_hours": 3.0}
SHRUNK = {"coarse_slot_minutes": 240, "fine_margin_hours": 1.0}  # for the 500-place week
FULL_SIZES = [
    (20, 1, 15, {}),
    (50, 1, 15, {}),
    (100, 1, 15, {}),
    (200, 1, 15, {}),
    (50, 7, 15, SHRUNK),
    (100, 14, 15, SHRUNK),
]
QUICK_SIZES = [
    (20, 1, 15, {}),
    (50, 1, 15, {}),
    (100, 1, 30, {}),
]
PULP_MAX_COLUMNS = 150_000  # beyond this the PuLP build alone takes minutes
GAZA_LIMIT_S = 120.0
GAZA_QUICK_LIMIT_S = 10.0
BIG = (500, 7)
BIG_FINE_LIMIT_S = 120.0
SHRINK_CHECK = (50, 1.5)  # a size where the fine and the shrunken grid both solve


# ------------------------------------------------------------------------------------------------
# Workers (run in a subprocess each)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _synthetic(spec: dict[str, Any]):
    from safepassage.testing.synthetic import synthetic_scenario

    return synthetic_scenario(spec["n_places"], spec["days"], spec.get("seed", SEED), spec.get("slot_minutes", 15), **spec.get("options", {}))


def _index_seconds(scenario, proposal) -> float:
    """Seconds to compute the index arrays (time grid, arcs, movements) shared by both builds."""
    from safepassage.plan.network import build_arcs, people_movements, truck_movements
    from safepassage.plan.terms import resolve_terms

    started = time.perf_counter()
    terms = resolve_terms(scenario, proposal)
    arcs = build_arcs(scenario)
    truck_movements(scenario, terms, arcs)
    people_movements(scenario, terms, arcs)
    return time.perf_counter() - started


def worker_planner(spec: dict[str, Any]) -> dict[str, Any]:
    """Plan one proposal of a synthetic scenario end to end with ``plan_proposal``."""
    from safepassage.errors import SolverError
    from safepassage.plan import plan_proposal
    from safepassage.plan.lp_build import build_planning_model
    from safepassage.plan.solve import to_highs_lp

    baseline_mb = _rss_mb()
    started = time.perf_counter()
    scenario = _synthetic(spec)
    generate_s = time.perf_counter() - started
    proposal = spec.get("proposal", PROPOSAL)
    out: dict[str, Any] = {"generate_s": generate_s, "baseline_mb": baseline_mb, "places": len(scenario.places), "roads": len(scenario.roads)}
    try:
        result = plan_proposal(scenario, proposal, time_limit_s=spec.get("time_limit_s"))
    except SolverError as exc:
        out.update(status="not solved", error=str(exc), peak_mb=_rss_mb())
        return out
    # The planner times the matrix hand-over to HiGHS inside its solve; time it on its own here.
    model = build_planning_model(scenario, scenario.proposal(proposal))
    t0 = time.perf_counter()
    to_highs_lp(model.lp)
    to_highs_s = time.perf_counter() - t0
    out.update(
        status=result.status.value,
        rows=result.lp_rows,
        cols=result.lp_cols,
        nnz=result.lp_nonzeros,
        slots=model.terms.grid.n_slots,
        build_s=result.timings["build_s"],
        to_highs_s=to_highs_s,
        solve_s=result.timings["solve_s"] - to_highs_s,
        round_s=result.timings["round_s"],
        report_s=result.timings["report_s"],
        index_s=_index_seconds(scenario, scenario.proposal(proposal)),
        bound=result.bound,
        objective=result.objective,
        gap=result.gap,
        peak_mb=_rss_mb(),
    )
    return out


def worker_pulp(spec: dict[str, Any]) -> dict[str, Any]:
    """Build the same LP with PuLP from the planner's index arrays, pass it to HiGHS, solve it."""
    sys.path.insert(0, str(HERE))
    from pulp_baseline import build_pulp_model, solve_pulp_model

    from safepassage.plan.lp_build import build_planning_model

    scenario = _synthetic(spec) if "n_places" in spec else _builtin(spec["scenario"])
    proposal = scenario.proposal(spec.get("proposal", PROPOSAL))
    index_s = _index_seconds(scenario, proposal)
    model = build_planning_model(scenario, proposal)
    build = build_pulp_model(model)
    objective, pass_s, solve_s, status = solve_pulp_model(build)
    return {
        "index_s": index_s,
        "variables_s": build.variables_s,
        "constraints_s": build.constraints_s,
        "to_highs_s": pass_s,
        "build_total_s": index_s + build.build_s + pass_s,
        "solve_s": solve_s,
        "objective": objective,
        "status": status,
        "rows": build.n_constraints,
        "cols": build.n_variables,
        "peak_mb": _rss_mb(),
    }


def _builtin(name: str):
    from safepassage.scenario import load_scenario

    return load_scenario(name)


def worker_gaza(spec: dict[str, Any]) -> dict[str, Any]:
    """Load the packaged scenario and plan every proposal; the total is what a user waits for."""
    from safepassage.errors import SolverError
    from safepassage.plan import plan_proposal

    started = time.perf_counter()
    scenario = _builtin(spec["scenario"])
    load_s = time.perf_counter() - started
    proposals = []
    for proposal in scenario.proposals:
        t0 = time.perf_counter()
        try:
            result = plan_proposal(scenario, proposal.id, time_limit_s=spec.get("time_limit_s"))
        except SolverError as exc:
            proposals.append({"proposal": proposal.id, "status": "not solved", "error": str(exc), "wall_s": time.perf_counter() - t0})
            continue
        proposals.append({
            "proposal": proposal.id, "status": result.status.value, "rows": result.lp_rows, "cols": result.lp_cols, "nnz": result.lp_nonzeros,
            "wall_s": time.perf_counter() - t0, **result.timings, "bound": result.bound, "gap": result.gap,
        })
    solved = all(p["status"] == "optimal" for p in proposals)
    sequential_s = time.perf_counter() - started
    # What `safepassage compare` / `run` does: proposals side by side in worker processes.
    from safepassage.evaluate.compare import compare_proposals, default_workers

    t0 = time.perf_counter()
    compare_proposals(scenario, workers=default_workers())
    parallel_s = time.perf_counter() - t0
    out = {"load_s": load_s, "total_s": sequential_s, "parallel_total_s": parallel_s, "workers": default_workers(), "all_solved": solved, "proposals": proposals, "peak_mb": _rss_mb()}
    if spec.get("fine_grid"):
        # The same proposals on the plain 15-minute grid: how far is the shrunken optimum from it?
        fine = scenario.horizon.model_copy(update={"coarse_slot_minutes": None})
        for row in proposals:
            t0 = time.perf_counter()
            result = plan_proposal(scenario, row["proposal"], horizon=fine)
            row["fine_bound"] = result.bound
            row["fine_wall_s"] = time.perf_counter() - t0
            row["bound_vs_fine"] = row["bound"] / result.bound if result.bound else None
    return out


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def use_approach(approach: str) -> None:
    """``baseline``: the planner as before issue 10's speed work — the whole aggregated LP to the
    interior point with crossover, and the path integer program with every limit row and unbounded
    paths. ``now``: the LP's independent parts apart, by the primal simplex; the path program with
    path bounds and without rows that cannot bind. Forked ``compare`` workers inherit it."""
    import functools

    from safepassage.plan import aggregate, integer, planner

    if approach == "baseline":
        planner.solve_planning_lp = functools.partial(aggregate.solve_planning_lp, split=False)  # type: ignore[assignment]
        planner.round_and_repair = functools.partial(integer.round_and_repair, reduced=False)  # type: ignore[assignment]


def worker_gaza_speed(spec: dict[str, Any]) -> dict[str, Any]:
    """Gaza, every proposal, with one approach (``use_approach``): ``compare``'s wall time (first: its
    workers fork only from a process that has not solved), then each ``plan_proposal`` on one thread
    with its CPU seconds, the CPU seconds of the rounding step, the bound and the gaps."""
    from safepassage.evaluate.compare import compare_proposals, default_workers
    from safepassage.plan import planner
    from safepassage.scenario import load_scenario

    use_approach(spec["approach"])
    scenario = load_scenario(spec["scenario"])
    started = time.perf_counter()
    compare_proposals(scenario, workers=default_workers())
    compare_wall_s = time.perf_counter() - started
    rounding = planner.round_and_repair
    round_cpu: list[float] = []

    def timed_rounding(*args: Any, **kwargs: Any) -> Any:
        cpu0 = _cpu_s()
        try:
            return rounding(*args, **kwargs)
        finally:
            round_cpu.append(_cpu_s() - cpu0)

    planner.round_and_repair = timed_rounding  # type: ignore[assignment]
    rows = []
    for proposal in scenario.proposals:
        cpu0, wall0 = _cpu_s(), time.perf_counter()
        result = planner.plan_proposal(scenario, proposal.id, threads=1)
        rows.append({
            "proposal": proposal.id, "cpu_s": _cpu_s() - cpu0, "wall_s": time.perf_counter() - wall0, "round_cpu_s": round_cpu[-1],
            "bound": result.bound, "gap": result.gap, "gap_before_convoys": (result.consolidation or {}).get("gap_before", result.gap),
        })
    return {"approach": spec["approach"], "compare_wall_s": compare_wall_s, "workers": default_workers(), "proposals": rows, "peak_mb": _rss_mb()}


WARM_CORRIDOR = "sad-wadi-gaza-gaza-city"


def worker_warm(spec: dict[str, Any]) -> dict[str, Any]:
    """Gaza daily-4h-north on its own grid: at 24 h, 10 % of the stock the plan holds is lost and the
    Wadi Gaza corridor closes. The kept-basis warm re-plan (``plan.kept_basis``, paths and schedule
    included) against (a) a cold solve of the same LP, as a first plan is solved, with the same path
    decomposition, and (b) the cold re-plan over the rest of the horizon (``replan.replan``). CPU
    seconds, median of ``repeats``; every warm re-plan starts from a basis that does not know the
    disruption (a re-plan of the undisturbed state comes first)."""
    import statistics

    import numpy as np

    from safepassage.plan.kept_basis import KeptBasisPlanner
    from safepassage.plan.replan import CurrentState, replan
    from safepassage.scenario import load_scenario

    scenario = load_scenario("gaza-2023-11")
    proposal = "daily-4h-north"
    planner = KeptBasisPlanner(scenario, proposal, threads=1)
    m, grid = planner.model, planner.model.terms.grid
    tau = int(np.searchsorted(grid.boundaries_min, 24 * 60.0))
    deviation = planner.deviation(tau)
    held = planner.base.x[m.col("s").slice()].reshape(len(m.storage_pairs), grid.n_slots)[:, tau - 1]
    deviation.truck_delta[m.storage_pairs] = -0.1 * held
    deviation.roads_closed[[r.id for r in scenario.roads].index(WARM_CORRIDOR)] = True
    at = grid.to_local(float(grid.boundaries_min[tau]))
    warm_cpu, cold_cpu, replan_cpu, iterations, rel_diff = [], [], [], [], []
    for _ in range(spec.get("repeats", 3)):
        planner.replan(planner.deviation(tau))
        cpu0 = _cpu_s()
        warm = planner.replan(deviation)
        warm_cpu.append(_cpu_s() - cpu0)
        iterations.append(warm.iterations)
        cpu0 = _cpu_s()
        cold = planner.cold(deviation)
        planner.future_paths(deviation, cold)
        cold_cpu.append(_cpu_s() - cpu0)
        rel_diff.append(abs(warm.objective - cold.objective) / max(1.0, abs(cold.objective)))
        cpu0 = _cpu_s()
        replan(scenario, proposal, CurrentState(at=at, closed_roads={WARM_CORRIDOR}))
        replan_cpu.append(_cpu_s() - cpu0)
    w, c, r = statistics.median(warm_cpu), statistics.median(cold_cpu), statistics.median(replan_cpu)
    return {
        "parts": [[len(rows), len(cols)] for rows, cols in planner.parts], "warm_cpu_s": w, "warm_runs_cpu_s": warm_cpu,
        "warm_iterations": iterations, "cold_same_lp_cpu_s": c, "cold_replan_cpu_s": r, "ratio_vs_cold_same_lp": c / w,
        "ratio_vs_cold_replan": r / w, "objective_rel_diff_max": max(rel_diff),
    }


SOLVER_CONFIGS = [
    {"solver": "choose"},
    {"solver": "simplex", "simplex_strategy": 1},  # dual simplex (what 'choose' picks for LPs)
    {"solver": "simplex", "simplex_strategy": 4},  # primal simplex
    {"solver": "ipm"},
    {"solver": "ipm", "run_crossover": "off"},
    {"solver": "simplex", "presolve": "off"},
    {"solver": "choose", "threads": 2, "simplex_strategy": 2},  # parallel dual simplex (SIP)
    {"solver": "pdlp"},
]


def worker_solver_options(spec: dict[str, Any]) -> dict[str, Any]:
    """Solve one LP with each HiGHS option set; objective, seconds and iterations per set."""
    from safepassage.plan.lp_build import build_planning_model
    from safepassage.plan.solve import new_highs, to_highs_lp

    scenario = _synthetic(spec) if "n_places" in spec else _builtin(spec["scenario"])
    proposals = spec.get("proposals") or [spec.get("proposal", PROPOSAL)]
    out = []
    for proposal_id in proposals:
        model = build_planning_model(scenario, scenario.proposal(proposal_id))
        lp = to_highs_lp(model.lp)
        for config in spec.get("configs", SOLVER_CONFIGS):
            highs = new_highs(time_limit_s=spec.get("time_limit_s", 120.0))
            highs.setOptionValue("threads", int(config.get("threads", 1)))
            for key, value in config.items():
                if key != "threads":
                    highs.setOptionValue(key, value)
            highs.passModel(lp)
            t0 = time.perf_counter()
            highs.run()
            seconds = time.perf_counter() - t0
            info = highs.getInfo()
            out.append({
                "proposal": proposal_id, "config": config, "status": highs.modelStatusToString(highs.getModelStatus()),
                "objective": float(info.objective_function_value), "seconds": seconds,
                "simplex_iterations": int(info.simplex_iteration_count), "ipm_iterations": int(info.ipm_iteration_count),
            })
    return {"runs": out, "rows": model.lp.n_rows, "cols": model.lp.n_cols}


WORKERS = {"planner": worker_planner, "pulp": worker_pulp, "gaza": worker_gaza, "gaza-speed": worker_gaza_speed, "warm": worker_warm, "solver-options": worker_solver_options}


# ------------------------------------------------------------------------------------------------
# Orchestration


def run_case(spec: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    """Run one worker in a fresh interpreter; its JSON result, or ``{"status": ...}`` on failure."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        result_path = handle.name
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(spec), "--result", result_path],
            capture_output=True, text=True, timeout=timeout_s,
        )
        if proc.returncode != 0:
            return {"status": "error", "error": proc.stderr.strip().splitlines()[-1:] or ["exit code " + str(proc.returncode)], "wall_s": time.perf_counter() - started}
        result = json.loads(Path(result_path).read_text())
        result["wall_s"] = time.perf_counter() - started
        return result
    except subprocess.TimeoutExpired:
        return {"status": f"timeout after {timeout_s:.0f} s", "wall_s": time.perf_counter() - started}
    finally:
        Path(result_path).unlink(missing_ok=True)


def _size_spec(places: int, days: float, slot: int, options: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"n_places": places, "days": days, "slot_minutes": slot, "seed": SEED, "options": options, "proposal": PROPOSAL, **extra}


def _label(places: int, days: float, slot: int, options: dict[str, Any]) -> str:
    grid = f"{slot} min"
    if options.get("coarse_after_hours") is not None:
        grid += f", {options['coarse_slot_minutes']} after {options['coarse_after_hours']:g} h"
    return f"{places} × {days:g} d ({grid})"


def bench_sizes(sizes, timeout_s: float, pulp_max_columns: int, log) -> list[dict[str, Any]]:
    rows = []
    for places, days, slot, options in sizes:
        label = _label(places, days, slot, options)
        log(f"planner {label} …")
        ours = run_case(_size_spec(places, days, slot, options, task="planner", time_limit_s=timeout_s * 0.8), timeout_s)
        row = {"label": label, "places": places, "days": days, "slot_minutes": slot, "options": options, "ours": ours}
        if ours.get("cols") and ours["cols"] <= pulp_max_columns:
            log(f"pulp    {label} …")
            pulp = run_case(_size_spec(places, days, slot, options, task="pulp"), timeout_s)
            row["pulp"] = pulp
            if "build_total_s" in pulp:
                ours_build = ours["build_s"] + ours["to_highs_s"]
                row["pulp_build_ratio"] = pulp["build_total_s"] / ours_build
                row["same_optimum"] = abs(pulp["objective"] - ours["bound"]) <= 1e-6 * max(1.0, abs(ours["bound"]))
                row["optimum_rel_diff"] = abs(pulp["objective"] - ours["bound"]) / max(1.0, abs(ours["bound"]))
        rows.append(row)
    return rows


def bench_gaza(timeout_s: float, quick: bool, log) -> dict[str, Any] | None:
    from safepassage.scenario import builtin_scenarios

    if "gaza-2023-11" not in builtin_scenarios():
        log("gaza-2023-11 is not packaged yet: skipped")
        return None
    limit = GAZA_QUICK_LIMIT_S if quick else GAZA_LIMIT_S
    log(f"gaza-2023-11, every proposal (at most {limit:.0f} s of solving each) …")
    return run_case({"task": "gaza", "scenario": "gaza-2023-11", "time_limit_s": limit, "fine_grid": not quick}, limit * 16 + 120)


def bench_gaza_speed(log) -> dict[str, Any] | None:
    """Gaza, every proposal, now and with the baseline approach, one after the other in this run."""
    from safepassage.scenario import builtin_scenarios

    if "gaza-2023-11" not in builtin_scenarios():
        return None
    out: dict[str, Any] = {}
    for approach in ("now", "baseline"):
        log(f"gaza-2023-11 speed, {approach} …")
        out[approach] = run_case({"task": "gaza-speed", "scenario": "gaza-2023-11", "approach": approach}, 1800)
    log("gaza-2023-11 warm re-plan after a disruption …")
    out["warm"] = run_case({"task": "warm", "repeats": 3}, 1800)
    return out


def bench_big(timeout_s: float, quick: bool, log) -> dict[str, Any]:
    """The 500-place week: fine grid first (time-limited), shrunken grid, and the shrinking's cost on
    a size where both grids solve."""
    places, days = BIG
    out: dict[str, Any] = {}
    if not quick:
        log(f"500-place week, fine 15-minute grid (limit {BIG_FINE_LIMIT_S:.0f} s) …")
        out["fine"] = run_case(_size_spec(places, days, 15, {}, task="planner", time_limit_s=BIG_FINE_LIMIT_S), BIG_FINE_LIMIT_S * 3)
        log("500-place week, shrunken grid …")
        out["shrunken"] = run_case(_size_spec(places, days, 15, SHRUNK, task="planner"), timeout_s * 2)
    check_places, check_days = SHRINK_CHECK if not quick else (30, 1)
    shrink = COARSE if quick else SHRUNK
    log(f"shrinking check on {check_places} × {check_days} d …")
    fine = run_case(_size_spec(check_places, check_days, 15, {}, task="planner"), timeout_s)
    coarse = run_case(_size_spec(check_places, check_days, 15, shrink, task="planner"), timeout_s)
    out["check"] = {"places": check_places, "days": check_days, "shrink": shrink, "fine": fine, "shrunken": coarse}
    if fine.get("bound") and coarse.get("bound"):
        out["check"]["bound_ratio"] = coarse["bound"] / fine["bound"]
        out["check"]["plan_ratio"] = coarse["objective"] / fine["objective"]
        out["check"]["time_ratio"] = (coarse["build_s"] + coarse["solve_s"]) / (fine["build_s"] + fine["solve_s"])
    return out


def bench_solver_options(big_spec: dict[str, Any], timeout_s: float, log) -> dict[str, Any]:
    from safepassage.scenario import builtin_scenarios

    out = {}
    if "gaza-2023-11" in builtin_scenarios():
        log("HiGHS options on gaza-2023-11 …")
        out["gaza"] = run_case({"task": "solver-options", "scenario": "gaza-2023-11", "proposals": None}, timeout_s * 4)
    log("HiGHS options on the shrunken 500-place week …")
    out["big"] = run_case({**big_spec, "task": "solver-options", "time_limit_s": 180.0}, timeout_s * 6)
    return out


# ------------------------------------------------------------------------------------------------
# Reporting


def _f(value: Any, fmt: str = ".2f") -> str:
    return "—" if value is None else format(value, fmt)


def print_report(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=200)  # a table, even when piped to a file
    table = Table(title=f"Planner, synthetic scenarios (proposal {PROPOSAL!r}, seed {SEED})")
    for column in ("size", "rows", "cols", "nnz", "build s", "solve s", "round s", "report s", "peak MB", "gap", "PuLP build s", "PuLP/ours build", "same optimum"):
        table.add_column(column, justify="right" if column != "size" else "left")
    for row in report["sizes"]:
        ours, pulp = row["ours"], row.get("pulp", {})
        if "rows" not in ours:
            table.add_row(row["label"], *(["—"] * 11), str(ours.get("status")))
            continue
        same = row.get("same_optimum")
        table.add_row(
            row["label"], f"{ours['rows']:,}", f"{ours['cols']:,}", f"{ours['nnz']:,}",
            _f(ours["build_s"] + ours["to_highs_s"]), _f(ours["solve_s"]), _f(ours["round_s"]), _f(ours["report_s"]),
            _f(ours["peak_mb"], ".0f"), _f(ours["gap"], ".2%"),
            _f(pulp.get("build_total_s")), (_f(row["pulp_build_ratio"], ".0f") + "×") if "pulp_build_ratio" in row else "—",
            "—" if same is None else ("yes" if same else f"NO ({row['optimum_rel_diff']:.1e})"),
        )
    console.print(table)
    gaza = report.get("gaza")
    if gaza and "proposals" in gaza:
        t = Table(title=(
            f"gaza-2023-11, every proposal: {gaza['total_s']:.2f} s one after another, {gaza.get('parallel_total_s', float('nan')):.2f} s side by side in "
            f"{gaza.get('workers', 1)} processes as `compare` runs them{'' if gaza['all_solved'] else ' (not all solved)'} (target < 10 s), peak {gaza['peak_mb']:.0f} MB"
        ))
        for column in ("proposal", "rows", "cols", "build s", "solve s", "round s", "report s", "gap", "bound / fine grid's", "fine grid s"):
            t.add_column(column)
        for p in gaza["proposals"]:
            if "rows" not in p:
                t.add_row(p["proposal"], "—", "—", "—", f"{p['status']} in {p['wall_s']:.0f} s", "—", "—", "—")
                continue
            t.add_row(
                p["proposal"], f"{p['rows']:,}", f"{p['cols']:,}", _f(p["build_s"]), _f(p["solve_s"]), _f(p["round_s"]), _f(p["report_s"]), _f(p["gap"], ".2%"),
                _f(p["bound_vs_fine"], ".5f") if p.get("bound_vs_fine") else "—", _f(p["fine_wall_s"]) if p.get("fine_wall_s") else "—",
            )
        console.print(t)
    elif gaza:
        console.print(f"gaza-2023-11: {gaza.get('status')} {gaza.get('error', '')}")
    speed = report.get("gaza_speed") or {}
    now, base = speed.get("now", {}), speed.get("baseline", {})
    if "proposals" in now and "proposals" in base:
        t = Table(title=(
            f"gaza-2023-11, CPU s per plan on one thread (target < 2 s), now against the baseline in the same run; "
            f"compare ({now['workers']} workers): now {now['compare_wall_s']:.1f} s wall, baseline {base['compare_wall_s']:.1f} s, "
            f"{base['compare_wall_s'] / now['compare_wall_s']:.1f}×"
        ))
        for column in ("proposal", "now CPU s", "baseline CPU s", "speed-up", "rounding now / baseline CPU s", "bound now / baseline", "gap before convoys", "gap (with convoys)"):
            t.add_column(column)
        for a, b in zip(now["proposals"], base["proposals"]):
            t.add_row(
                a["proposal"], _f(a["cpu_s"]), _f(b["cpu_s"]), _f(b["cpu_s"] / a["cpu_s"], ".1f") + "×", f"{a['round_cpu_s']:.2f} / {b['round_cpu_s']:.2f}",
                f"{a['bound']:,.0f} / {b['bound']:,.0f}", f"{a['gap_before_convoys']:.2%} / {b['gap_before_convoys']:.2%}", f"{a['gap']:.2%} / {b['gap']:.2%}",
            )
        console.print(t)
    elif speed:
        console.print(f"gaza-2023-11 speed: now {now.get('status')}, baseline {base.get('status')}")
    warm = speed.get("warm", {})
    if "warm_cpu_s" in warm:
        console.print(
            f"Warm re-plan (kept basis, parts {warm['parts']}): {warm['warm_cpu_s']:.3f} CPU s (runs {warm['warm_runs_cpu_s']}, "
            f"dual simplex iterations {warm['warm_iterations']}); cold solve of the same LP {warm['cold_same_lp_cpu_s']:.2f} s "
            f"({warm['ratio_vs_cold_same_lp']:.1f}×); cold re-plan (replan.replan) {warm['cold_replan_cpu_s']:.2f} s "
            f"({warm['ratio_vs_cold_replan']:.1f}×); objective rel. diff to the cold solve ≤ {warm['objective_rel_diff_max']:.1e}"
        )
    elif warm:
        console.print(f"warm re-plan: {warm.get('status')} {warm.get('error', '')}")
    big = report.get("big") or {}
    for key in ("fine", "shrunken"):
        case = big.get(key)
        if case:
            if "rows" in case:
                total = case["build_s"] + case["to_highs_s"] + case["solve_s"] + case["round_s"] + case["report_s"]
                console.print(
                    f"500 places × 7 d, {key} grid: {case['rows']:,} rows, {case['cols']:,} cols, {case['slots']} slots; "
                    f"build {case['build_s'] + case['to_highs_s']:.1f} s, solve {case['solve_s']:.1f} s, round {case['round_s']:.1f} s, "
                    f"report {case['report_s']:.1f} s = {total:.1f} s (target < 60 s), peak {case['peak_mb']:.0f} MB, gap {case['gap']:.2%}"
                )
            else:
                console.print(f"500 places × 7 d, {key} grid: {case.get('status')}")
    check = big.get("check")
    if check and "bound_ratio" in check:
        console.print(
            f"Shrinking ({check['shrink']}) on {check['places']} places × {check['days']} d: LP optimum {check['bound_ratio']:.4f} of the fine grid's, "
            f"plan {check['plan_ratio']:.4f}; build+solve time {check['time_ratio']:.2f}× the fine grid's"
        )
    options = report.get("solver_options") or {}
    for name, case in options.items():
        if not case or "runs" not in case:
            continue
        t = Table(title=f"HiGHS options, {name} ({case['rows']:,} rows × {case['cols']:,} cols)")
        for column in ("proposal", "options", "status", "objective", "seconds", "simplex it", "ipm it"):
            t.add_column(column)
        for run in case["runs"]:
            t.add_row(run["proposal"], json.dumps(run["config"]), run["status"], f"{run['objective']:.6g}", _f(run["seconds"]), str(run["simplex_iterations"]), str(run["ipm_iterations"]))
        console.print(t)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only (~3 min)")
    parser.add_argument("--no-big", action="store_true", help="skip the 500-place week")
    parser.add_argument("--no-gaza", action="store_true", help="skip the packaged Gaza scenario")
    parser.add_argument("--gaza-speed-only", action="store_true", help="only Gaza, now against the baseline (~2 min)")
    parser.add_argument("--solver-options", action="store_true", help="also try HiGHS options on Gaza and the 500-place week")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds allowed per case (default 300)")
    parser.add_argument("--pulp-max-columns", type=int, default=PULP_MAX_COLUMNS, help="largest LP given to the PuLP baseline")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for the JSON results")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        spec = json.loads(args.worker)
        result = WORKERS[spec["task"]](spec)
        Path(args.result).write_text(json.dumps(result))
        return 0

    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s] {message}", file=sys.stderr, flush=True)

    report: dict[str, Any] = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "load_average_start": os.getloadavg(), "platform": platform.platform()},
        "proposal": PROPOSAL,
        "seed": SEED,
    }
    if not args.no_gaza:
        report["gaza_speed"] = bench_gaza_speed(log)
    if args.gaza_speed_only:
        args.no_gaza = args.no_big = True
        report["sizes"] = []
    else:
        report["sizes"] = bench_sizes(QUICK_SIZES if args.quick else FULL_SIZES, args.timeout, args.pulp_max_columns, log)
    if not args.no_gaza:
        report["gaza"] = bench_gaza(args.timeout, args.quick, log)
    if not args.no_big:
        report["big"] = bench_big(args.timeout, args.quick, log)
    if args.solver_options:
        report["solver_options"] = bench_solver_options(_size_spec(*BIG, 15, SHRUNK), args.timeout, log)
    report["machine"]["load_average_end"] = os.getloadavg()
    report["total_s"] = time.perf_counter() - started
    print_report(report)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"planner-{dt.date.today().isoformat()}{'-quick' if args.quick else ''}.json"
    path.write_text(json.dumps(report, indent=2))
    print(f"saved {path} (bench took {report['total_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
