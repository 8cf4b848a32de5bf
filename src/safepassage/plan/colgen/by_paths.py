"""Column generation with the path master (``path_master.py``): the same pricing and the same
certified bound as ``master.solve_by_columns``, but each round adds whole paths to one HiGHS
instance and solves it again (by the interior point for central duals, then by the simplex near
the optimum: ``SIMPLEX_WITHIN``), instead of solving a restricted time-expanded LP from nothing.

Each round:

1. **Path master** (trucks): the new paths are added as columns and the master re-solved warm.
2. **People**: the walking part has no row in common with the trucks (checked on the final LP), so it
   is its own small restricted LP over the walking moves found so far (as in ``master.py``), solved
   again only while new walks price out.
3. **Pricing and bound**: the master's duals (``PathMaster.multipliers``) priced by the backward
   sweep (``pricing.price``): the Lagrangian bound ``L(π)`` and, from each stock origin's best
   departure slots, new paths; the forward sweep (``reach.zone_paths``) adds the best path from each
   origin to each zone on each day. A path from an origin starts from the lot that comes in when it
   can (by holding at the origin) whose dual is the smallest. Where the master's multipliers do not
   lower the bound below the best so far, the round prices again at ``smoothing · best + (1 −
   smoothing) · master's`` (Wentges' smoothing, ``SMOOTHING``) and takes its paths where they price
   out at the master's duals (if none does, the master's own: no mispricing stops the loop).
4. It stops at ``target_gap`` against the certified bound, when ``on_multipliers`` says the value is
   close enough to a bound certified elsewhere, when nothing new prices out, or at the round or time
   limit.

The result is a ``PlanningModel`` solution like ``solve_by_columns``'s: the time-expanded LP
restricted to the moves of the paths the last master uses (and the walking moves), solved once.
After interior-point rounds the last master is first solved again by the simplex, for a basic
solution (flows on few paths). The LP contains the master's solution (``PathMaster.flows``: scaled
by a common factor within 1e-6 of 1 if the solution was an interior point's), so its value is the
master's or more; the bound is the same.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Literal

import numpy as np

from safepassage.errors import InfeasibleError, PlanInvariantError, SolverError
from safepassage.plan.colgen.graph import TruckGraph, truck_graph
from safepassage.plan.colgen.master import ColumnGeneration, _movements, _people_value, _walks, checked_problem
from safepassage.plan.colgen.path_master import SOLVERS, Lots, Path, PathMaster
from safepassage.plan.colgen.people import (
    PeopleMultipliers,
    PeoplePricing,
    people_bound,
    people_graph,
    people_multipliers,
    price_people,
)
from safepassage.plan.colgen.pricing import (
    Multipliers,
    Pricing,
    blend,
    initial_multipliers,
    lagrangian_bound,
    price,
    trace_offload,
    write_multipliers,
)
from safepassage.plan.colgen.reach import origins_of, reach, zone_paths
from safepassage.plan.lp_build import PlanningModel, build_lp
from safepassage.plan.network import Movements
from safepassage.plan.problem import PlanningProblem, StockLots
from safepassage.plan.solve import LPSolution, solve_lp
from safepassage.scenario.model import Horizon, Proposal, Scenario

__all__ = ["PathMasterRefusal", "PRUNE_AFTER", "refusal", "solve_by_paths"]

# A path column idle in this many solves in a row is deleted (``PathMaster.prune``), by the master's
# solver. The simplex's, 3: at 500 places its masters then stayed at 26-55 k columns instead of
# growing to 132 k (docs/performance.md, "The path master"), and with 1 it took 24 rounds and 108 CPU s
# against 16 and 130-142 s with 3 (both to within 1 %). The interior point's, 1: its masters stayed at
# 16-32 k columns, 2-4 s each, where 3 let them grow to 71 k at 8-13 s; the level took 8 rounds and
# 53.8 CPU s against 6 rounds and 72.2 s (2 gave 58.5 s; "Central duals").
PRUNE_AFTER = {"ipm": 1, "simplex": 3}
# With the interior point's master, the rounds go on by the simplex once the level's own gap is within
# SIMPLEX_WITHIN, or once a round raised the value by less than SIMPLEX_STALL (relative): near the
# optimum the interior point's duals price out paths that then carry nothing, are pruned and price
# out again (Gaza's single pause cycled so for 40 rounds, 0.002 % below the optimum, its bound
# stuck at 1.8 times it); from a vertex the simplex's duals do not (docs/performance.md, "Central duals").
SIMPLEX_WITHIN = 1e-3
SIMPLEX_STALL = 1e-6
# Wentges' weight on the best multipliers so far, in rounds where the master's did not lower the
# bound (module doc). Measured at 500 places × 7 days (docs/performance.md, "Another seed"): on the
# bench's seed 1 it changed one round of 9 (48 CPU s, 0.72 %), on seed 2 it lowered the gap reached in
# 300 s from 23.7 % to 13.3 % (with 0.5 in every round: 11.4 %, but seed 1 took 14 rounds and 76 s).
SMOOTHING = 0.5
FINALS = ("fixed", "resolve")  # how the final LP is solved (``solve_by_paths``'s ``final``)


class PathMasterRefusal(ValueError):
    """The scenario has something the path master does not model; the arc master does."""


def _backward_paths(
    problem: PlanningProblem, graph: TruckGraph, pricing: Pricing, master: PathMaster, per_source: int, tol: float
) -> list[Path]:
    """The best path leaving each stock origin in its ``per_source`` best slots, where it prices out."""
    lots, lot_dual = master.lots, master.lot_dual
    n_slots = graph.n_slots
    out: list[Path] = []
    for p, k, first in origins_of(problem).tolist():
        value = pricing.leave[first:, k, p]
        good = np.flatnonzero(value > tol)
        # The origin's lots, cheapest (then latest) first, each with the slots it can leave in: from
        # when it comes in to the first slot it cannot be held through.
        mine = sorted(
            np.flatnonzero((lots.place == p) & (lots.kind == k)).tolist(),
            key=lambda lot: (lot_dual[lot], -int(lots.slot[lot])),
        )
        spans = []
        for lot in mine:
            slot = int(lots.slot[lot])
            blocked = np.flatnonzero(~graph.holdable[p, slot:])
            spans.append((lot, slot, slot + int(blocked[0]) if len(blocked) else n_slots))
        for t in (first + good[np.argsort(-value[good], kind="stable")][:per_source]).tolist():
            # The cheapest lot in by t that can be held at the origin until t.
            chosen = next((lot for lot, slot, stop in spans if slot <= t <= stop), None)
            if chosen is None:
                continue
            moves, end = trace_offload(graph, pricing, k, p, t)
            if end is None:
                continue
            out.append(Path(chosen, tuple((a, d) for a, d, _ in moves), end))
    return out


def _zone_paths(
    problem: PlanningProblem, graph: TruckGraph, pi: Multipliers, master: PathMaster, tol: float, mode: str
) -> list[Path]:
    """The forward sweep's best path from each origin to each zone on each day (``mode`` as in
    ``master.solve_by_columns``: "all", "unserved" or "off")."""
    if mode == "off":
        return []
    skip = None
    if mode == "unserved" and len(master.row_dual):
        served, _ = master._dual(PathMaster.NEED)
        skip = np.zeros(problem.need_ppd.shape, dtype=bool)
        skip.reshape(-1)[served] = True
    found = reach(problem, graph, pi)
    lots = master.lots
    return [
        Path(lots.find(int(found.origin[z.origin, 0]), z.kind, z.start_slot), tuple(z.moves), z.end)
        for z in zone_paths(graph, found, problem.terms.slot_day, tol, skip)
    ]


def _new_paths(
    problem: PlanningProblem,
    graph: TruckGraph,
    pricing: Pricing,
    pi: Multipliers,
    master: PathMaster,
    per_source: int,
    tol: float,
    mode: str,
) -> list[Path]:
    """The paths of both sweeps not in the master yet whose reduced value, their lot's dual included
    (the sweeps leave it out), is positive."""
    paths = _backward_paths(problem, graph, pricing, master, per_source, tol)
    paths += _zone_paths(problem, graph, pi, master, tol, mode)
    paths = [p for p in dict.fromkeys(paths) if p not in master.known]
    return [p for p, v in zip(paths, master.reduced_values(paths).tolist()) if v > tol]


def _path_keys(graph: TruckGraph, master: PathMaster, paths: list[Path]) -> np.ndarray:
    """Keys (kind, arc, departure) of the moves of ``paths``, as ``master._movements`` reads them."""
    n_arcs, n_slots = len(graph.tail), graph.n_slots
    keys = [
        (int(master.lots.kind[path.lot]) * n_arcs + a) * n_slots + d for path in paths for a, d in path.moves
    ]
    return np.unique(np.array(keys, dtype=np.int64))


def refusal(problem: PlanningProblem, graph: TruckGraph) -> str | None:
    """Why the path master cannot plan ``problem`` (its ``truck_graph``), or None: quota floors and
    shares (their rows are not priced), and stock that cannot stay at its origin to the horizon's
    end (the LP makes it leave, to be offloaded or parked where it may wait; a lot row "≤ loads"
    would let it stay, and the path master has no parking paths)."""
    if problem.terms.quota_floors:
        return "the path master does not model quota floors or shares; use master='arcs' or method='lp'"
    lots = Lots.of(problem)
    for place, slot in zip(lots.place.tolist(), lots.slot.tolist()):
        if not graph.holdable[place, slot:].all():
            return (
                f"stock at {problem.scenario.places[place].id} cannot stay there to the horizon's end (a stranded "
                "warehouse): the path master does not model stock that must leave; use master='arcs' or method='lp'"
            )
    return None


def _fixed_flow_solution(
    model: PlanningModel,
    graph: TruckGraph,
    master: PathMaster,
    used: tuple[list[Path], np.ndarray],
    threads: int | None,
) -> LPSolution:
    """``model`` (the LP over the used paths' moves) solved with every truck move fixed at the flow the
    master's paths put on it (``used``: ``master.flows()``, the paths and their flows): the
    holds, offloading, need tiers and the people are still the LP's to choose, an LP that
    HiGHS's presolve all but empties. Its value is at least the master's (the master's solution,
    its flows scaled by ``flows``' factor within 1e-6 of 1, is one of its solutions). Fixed
    columns leave the coupling rows' duals at 0, so those are the master's multipliers, and the
    stock rows' where each lot comes in are the lots' duals. Raises as ``solve_lp`` does."""
    n_arcs, n_slots = len(graph.tail), graph.n_slots
    keys: list[int] = []
    flows: list[float] = []
    for path, flow in zip(*used):
        kind = int(master.lots.kind[path.lot])
        keys += [(kind * n_arcs + a) * n_slots + d for a, d in path.moves]
        flows += [float(flow)] * len(path.moves)
    moves = model.trucks
    move_keys = (moves.kind * n_arcs + moves.arc) * n_slots + moves.dep
    order = np.argsort(move_keys)
    wanted = np.array(keys, dtype=np.int64)
    at = order[np.minimum(np.searchsorted(move_keys[order], wanted), max(len(order) - 1, 0))] if len(wanted) else wanted
    if len(wanted) and not np.array_equal(move_keys[at], wanted):
        raise PlanInvariantError("a used path has a move the restricted LP lacks")
    x = np.zeros(len(moves))
    np.add.at(x, at, np.array(flows))
    # The dual simplex: with the moves fixed, presolve leaves little (2.8 s at 500 places, where the
    # default interior point and crossover took 13 s after an interior-point master).
    columns = model.col("x").start + np.arange(len(moves))
    solution = solve_lp(model.lp, threads=threads, solver="simplex", fixed=(columns, x))
    row_dual = solution.row_dual.copy()
    write_multipliers(model, master.multipliers(), row_dual)
    lots = master.lots
    balance = model.lp.row_block("truck_balance")
    row_dual[balance.start + model.truck_nodes.row(lots.place, lots.kind, lots.slot)] = master.lot_dual
    return dataclasses.replace(solution, row_dual=row_dual)


def solve_by_paths(
    scenario: Scenario,
    proposal: Proposal,
    horizon: Horizon | None = None,
    target_gap: float = 1e-3,
    max_rounds: int = 60,
    time_limit_s: float | None = None,
    threads: int | None = None,
    per_source: int = 672,
    zone_paths: str = "all",
    prune_after: int | Literal["auto"] | None = "auto",
    on_multipliers: Callable[[PlanningProblem, Multipliers, PeopleMultipliers, float, float], bool] | None = None,
    start: Callable[[PlanningProblem], tuple[Multipliers, PeopleMultipliers] | None] | None = None,
    final: str = "fixed",
    master_solver: str = "ipm",
    smoothing: float = SMOOTHING,
) -> ColumnGeneration:
    """Solve the planning LP of ``proposal`` by column generation over whole paths (module doc).
    ``on_multipliers`` is called each round with the problem, the round's truck and people
    multipliers, the master's value and the loop's own bound so far (the condensed network certifies
    a bound on another grid there); when it returns True the loop stops ("certified"). ``start``, given the problem, may
    return multipliers (of the valid sign) to price the first columns at too, besides the no-capacity
    ones (the condensed network passes a coarser level's, spread). ``final``: "fixed" (the LP over
    the used paths' moves with the moves fixed at the master's flows, ``_fixed_flow_solution``; if
    HiGHS finds them off a row, as "resolve") or "resolve" (that LP solved with its moves free: a
    little more value, in 52–56 s at 500 places against 3 s); ``prune_after``:
    delete path columns idle in that many solves in a row (``PathMaster.prune``; "auto": the
    master solver's ``PRUNE_AFTER``; None: never);
    ``master_solver``: "ipm" (the interior point, then the simplex within ``SIMPLEX_WITHIN`` or
    once the value stalls) or "simplex" throughout (``PathMaster``); ``smoothing``: the weight on
    the best multipliers in rounds the master's did not lower the bound (0: none; module doc). Raises
    ``PathMasterRefusal`` (a ``ValueError``) for what it does not model (quota floors and shares,
    stock that cannot stay at its origin to the horizon's end), ``ValueError`` for destination rules
    or a ``smoothing`` outside [0, 1), and as ``solve_lp`` does (``InfeasibleError``, ``SolverError``)."""
    started = time.perf_counter()
    if master_solver not in SOLVERS:
        raise ValueError(f"master_solver must be one of {', '.join(SOLVERS)}; got {master_solver!r}")
    if final not in FINALS:
        raise ValueError(f"final must be one of {', '.join(FINALS)}; got {final!r}")
    if not 0.0 <= smoothing < 1.0:
        raise ValueError(f"smoothing must be in [0, 1), got {smoothing!r}")
    problem = checked_problem(scenario, proposal, horizon, max_rounds, zone_paths, per_source)
    prune = PRUNE_AFTER[master_solver] if prune_after == "auto" else prune_after
    empty = np.zeros(0, dtype=np.int64)
    nothing = Movements(empty, empty, empty, empty)
    no_stock = StockLots(empty, empty, empty, np.zeros(0))  # the people's LP carries no aid
    trucks = truck_graph(problem)
    refused = refusal(problem, trucks)
    if refused is not None:
        raise PathMasterRefusal(refused)
    walking = people_graph(problem)
    n_arcs, n_slots = len(problem.arcs), problem.n_slots
    master = PathMaster(problem, trucks, threads, solver=master_solver)
    pi = initial_multipliers(problem)
    pricing = price(problem, trucks, pi)
    scale = float(np.abs(pricing.value[np.isfinite(pricing.value)]).max(initial=1.0))
    tol = 1e-8 * max(1.0, scale)
    paths = _new_paths(problem, trucks, pricing, pi, master, per_source, tol, zone_paths)
    walk_pi = people_multipliers(problem)
    walk_keys = _walks(walking, price_people(walking, walk_pi), per_source, tol)
    given = start(problem) if start is not None else None
    if given is not None:
        start_pi, start_walk = given
        warm = price(problem, trucks, start_pi)
        paths += _new_paths(problem, trucks, warm, start_pi, master, per_source, tol, zone_paths)
        paths = list(dict.fromkeys(paths))
        walk_keys = np.union1d(walk_keys, _walks(walking, price_people(walking, start_walk), per_source, tol))
    new_walks = walk_keys
    people_value, people_bound_best = 0.0, np.inf
    walk_pricing: PeoplePricing | None = None
    center: tuple[Multipliers, float] | None = None  # the best multipliers so far and their L
    rounds: list[dict[str, float]] = []
    stopped = "rounds"
    for _ in range(max_rounds):
        t0 = time.perf_counter()
        added = master.add(paths)
        left = None if time_limit_s is None or not rounds else max(1.0, time_limit_s - (t0 - started))
        try:
            master.solve(left)
        except SolverError:
            if left is None:
                raise
            stopped = "time"
            break
        t1 = time.perf_counter()
        if len(new_walks):
            walks = _movements(n_arcs, n_slots, walking.arr, walk_keys)
            people = build_lp(dataclasses.replace(problem, trucks=nothing, stock=no_stock, people=walks))
            people_solution = solve_lp(people.lp, threads=threads)
            people_value = people_solution.objective
            walk_pi = people_multipliers(problem, people, people_solution.row_dual)
            walk_pricing = None  # priced again only when the people's multipliers change
        if walk_pricing is None:
            walk_pricing = price_people(walking, walk_pi)
        master_pi = pi = master.multipliers()
        pricing = master_pricing = price(problem, trucks, pi)
        at_pi = at_master = lagrangian_bound(problem, trucks, pi, pricing)
        if smoothing and center is not None and at_pi >= center[1]:
            # The master's duals did not lower the bound: price at a blend with the best ones so far
            # (Wentges' smoothing), where they swing between rounds.
            pi = blend(center[0], master_pi, smoothing)
            pricing = price(problem, trucks, pi)
            at_pi = lagrangian_bound(problem, trucks, pi, pricing)
        if center is None or at_pi < center[1]:
            center = (pi, at_pi)
        # The lowest L so far (a smoothed round's master L did not beat it, or it would not be smoothed).
        truck_bound = center[1]
        people_bound_best = min(people_bound_best, people_bound(walking, walk_pi, walk_pricing))
        value, bound = master.value + people_value, truck_bound + people_bound_best
        # The caller certifies the round's multipliers with the lower bound of the two priced.
        best_pi = pi if at_pi <= at_master else master_pi
        certified = on_multipliers is not None and on_multipliers(problem, best_pi, walk_pi, value, bound)
        t2 = time.perf_counter()
        rounds.append(
            {
                "paths": float(len(master.paths)),
                "added_paths": float(added),
                "walk_moves": float(len(walk_keys)),
                "value": value,
                "bound": bound,
                "truck_value": master.value,
                "truck_bound": truck_bound,
                "people_value": people_value,
                "people_bound": people_bound_best,
                "solve_s": t1 - t0,
                "price_s": t2 - t1,
                "smoothed": float(pi is not master_pi),
            }
        )
        stalled = len(rounds) > 1 and value - rounds[-2]["value"] <= SIMPLEX_STALL * abs(value)
        if master.solver == "ipm" and (stalled or bound - value <= SIMPLEX_WITHIN * abs(bound)):
            master.solver = "simplex"  # its first solve is from nothing (no basis after the interior point)
            rounds[-1]["to_simplex"] = 1.0
        if certified:  # the caller's certificate comes first: it is the one the caller reports
            stopped = "certified"
            break
        if bound - value <= target_gap * abs(bound):
            stopped = "gap"
            break
        if time_limit_s is not None and time.perf_counter() - started > time_limit_s:
            stopped = "time"
            break
        if prune is not None:
            rounds[-1]["pruned"] = float(master.prune(prune))
        paths = _new_paths(problem, trucks, pricing, pi, master, per_source, tol, zone_paths)
        if not paths and pi is not master_pi:
            # Mispricing: nothing found at the blend prices out at the master's own duals; take theirs.
            rounds[-1]["mispriced"] = 1.0
            pi, pricing = master_pi, master_pricing
            paths = _new_paths(problem, trucks, pricing, pi, master, per_source, tol, zone_paths)
        new_walks = np.setdiff1d(_walks(walking, walk_pricing, per_source, tol), walk_keys)
        if not paths and not len(new_walks) and per_source < n_slots:
            # Nothing new from each origin's best slots (their paths are in already, or their lot's dual
            # takes their value): every slot is priced before the loop says nothing prices out.
            paths = _new_paths(problem, trucks, pricing, pi, master, n_slots, tol, zone_paths)
            new_walks = np.setdiff1d(_walks(walking, walk_pricing, n_slots, tol), walk_keys)
        if not paths and not len(new_walks):
            stopped = "priced out"
            break
        walk_keys = np.union1d(walk_keys, new_walks)
    if not rounds:
        raise SolverError("the path master stopped before its first round ended")
    t3 = time.perf_counter()
    if not master.at_vertex and stopped != "time":
        # A basic solution of the last master, for flows on few paths (614 against 6,977 at 500 places),
        # by the dual simplex from nothing over the paths the interior point used: 0.8 s there, where
        # with the idle paths still in it took 8 s. The interior point's flows are kept if the time
        # runs out first.
        master.prune(1)
        left = None if time_limit_s is None else max(1.0, time_limit_s - (t3 - started))
        try:
            master.solve(left, vertex=True)
        except SolverError:
            pass
    rounds[-1]["vertex_s"] = time.perf_counter() - t3
    t3 = time.perf_counter()
    carried = master.flows()
    used = carried[0]
    restricted = dataclasses.replace(
        problem,
        trucks=_movements(n_arcs, n_slots, trucks.arr, _path_keys(trucks, master, used)),
        people=_movements(n_arcs, n_slots, walking.arr, walk_keys),
    )
    model = build_lp(restricted)
    solution, fixed = None, False
    if final == "fixed":
        try:
            solution, fixed = _fixed_flow_solution(model, trucks, master, carried, threads), True
        except (InfeasibleError, SolverError):
            pass  # the flows off a row by more than HiGHS's tolerance: the LP chooses the moves after all
    if solution is None:
        solution = solve_lp(model.lp, threads=threads)
    _people_value(model, solution.x)  # raises if some row joins trucks and people
    rounds[-1]["final_fixed"] = float(fixed)
    rounds[-1]["final_s"] = time.perf_counter() - t3
    rounds[-1]["final_value"] = solution.objective
    return ColumnGeneration(model, solution, float(rounds[-1]["bound"]), stopped, rounds)
