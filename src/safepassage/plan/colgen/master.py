"""Column generation on the time-expanded LP: a restricted LP over the truck movements found so far,
priced against every movement the plain LP would have, with a certified bound at every round.

Each round:

1. **Restricted master**: the planning LP of ``plan/lp_build.py`` itself, built from the same
   ``PlanningProblem`` with only the truck movements found so far (and every walking movement). It
   is the full LP with the other truck columns fixed at 0, so its optimum is a value some feasible
   plan reaches (a lower bound), and its solution is a ``PlanningModel`` solution: the integer
   phase, the schedule and the plan checker take it as they are.
2. **Pricing** (``pricing.price``): under the master's duals, the best path of a truckload from
   every place and slot, over all 672 × 3,000 (slot, arc) pairs of the 500-place week at once.
3. **Bound**: the Lagrangian ``L(π)`` (``pricing.lagrangian_bound``) of the truck part, plus the
   people part of the master, which is exact: no row joins trucks and people (checked every round),
   and the master has every walking movement. ``L(π) ≥`` the full LP's truck optimum for any valid
   ``π``, so the smallest bound seen is certified.
4. **New columns**: the moves of the best path leaving each stock origin in its best slots, where
   that path's reduced value is positive; and, by one forward sweep (``reach.py``), the best path
   from each stock origin to each zone on each day that prices out: to every zone
   (``zone_paths="all"``, the default), or only to the (zone, commodity) pairs the master does not
   serve yet ("unserved": smaller masters, but more rounds; slower at 50, 100 and 500 places).
   Without the second kind, every departure of an origin leads to the same few zones, a large
   master learns about its other zones a few a round, and until then their first tier's price
   keeps the bound near the no-capacity bound (``docs/performance.md``). When no path is positive,
   the master is optimal for the full LP (and the bound meets it).

It stops when ``(bound − master) / bound ≤ target_gap``, when nothing prices out, or at the round or
time limit; the result says which, with the history. A master after the first is given the time
left; one stopped by it is dropped, and the last solved master and its bound are the result.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import highspy
import numpy as np

from safepassage.errors import PlanInvariantError, SolverError
from safepassage.plan.colgen.graph import TruckGraph, truck_graph
from safepassage.plan.colgen.people import (
    PeopleGraph,
    PeoplePricing,
    people_bound,
    people_graph,
    people_multipliers,
    price_people,
    trace_walk,
)
from safepassage.plan.colgen.pricing import (
    Multipliers,
    Pricing,
    initial_multipliers,
    lagrangian_bound,
    multipliers_from,
    price,
    trace_path,
)
from safepassage.plan.colgen.reach import origins_of, paths_by_zone, reach
from safepassage.plan.destinations import has_destination_rules
from safepassage.plan.lp_build import PlanningModel, build_lp
from safepassage.plan.network import Movements
from safepassage.plan.problem import PlanningProblem, compile_problem
from safepassage.plan.solve import LPSolution, new_highs, solve_lp
from safepassage.scenario.model import Horizon, Proposal, Scenario

__all__ = ["ColumnGeneration", "solve_by_columns", "TRUCK_COLUMNS"]

TRUCK_COLUMNS = ("x", "s", "u", "g", "e", "f")  # every other column family belongs to people


@dataclass
class ColumnGeneration:
    """Outcome of ``solve_by_columns``: the last master (model and solution), the certified bound on
    the full LP, and one record per round (columns, master value, bound, seconds)."""

    model: PlanningModel
    solution: LPSolution
    bound: float
    stopped: str  # "gap", "certified" (the caller's bound, ``on_round``), "priced out", "rounds" or "time"
    rounds: list[dict[str, float]] = field(default_factory=list)

    @property
    def value(self) -> float:
        """The master's optimum: a value a feasible LP solution reaches."""
        return self.solution.objective

    @property
    def gap(self) -> float:
        return (self.bound - self.value) / abs(self.bound) if abs(self.bound) > 1e-9 else 0.0


def _columns(problem: PlanningProblem, graph: TruckGraph, pricing: Pricing, per_source: int, tol: float) -> np.ndarray:
    """Keys of the moves on the best paths leaving each stock origin in its ``per_source`` best slots."""
    n_arcs, n_slots = len(graph.tail), graph.n_slots
    keys: list[int] = []
    for p, k, first in origins_of(problem).tolist():
        value = pricing.leave[first:, k, p]
        good = np.flatnonzero(value > tol)
        for t in (first + good[np.argsort(-value[good], kind="stable")][:per_source]).tolist():
            moves, offloaded = trace_path(graph, pricing, k, p, t)
            if offloaded:
                keys += [(k * n_arcs + a) * n_slots + d for a, d, _ in moves]
    return np.unique(np.array(keys, dtype=np.int64))


ZONE_PATHS = ("off", "unserved", "all")


def _zone_columns(
    problem: PlanningProblem, graph: TruckGraph, pi: Multipliers, tol: float, model: PlanningModel | None, mode: str
) -> np.ndarray:
    """Keys of the moves on the best path from each stock origin to each zone on each day
    (``reach.paths_by_zone``) that prices above ``tol``: to every zone (``mode`` "all"), or only to
    the (zone, commodity) pairs the master ``model`` has no need row for yet ("unserved"; every pair
    before the first master)."""
    n_arcs, n_slots = len(graph.tail), graph.n_slots
    if mode == "off":
        return np.zeros(0, dtype=np.int64)
    skip = None
    if mode == "unserved" and model is not None:
        need = model.lp.row_block("need_tiers")
        skip = np.zeros(problem.need_ppd.shape, dtype=bool)
        skip[need.entity, need.slot] = True
    found = reach(problem, graph, pi)
    keys = [
        (kind * n_arcs + a) * n_slots + d
        for kind, moves in paths_by_zone(graph, found, problem.terms.slot_day, tol, skip)
        for a, d in moves
    ]
    return np.unique(np.array(keys, dtype=np.int64))


def _movements(n_arcs: int, n_slots: int, arrival: np.ndarray, keys: np.ndarray) -> Movements:
    kind, rest = np.divmod(keys, n_arcs * n_slots)
    arc, dep = np.divmod(rest, n_slots)
    return Movements(arc, dep, arrival[arc, dep], kind)


def _walks(graph: PeopleGraph, pricing: PeoplePricing, per_source: int, tol: float) -> np.ndarray:
    """Keys of the moves on the best walks leaving each assembly place in its ``per_source`` best slots."""
    n_arcs, n_slots = len(graph.tail), graph.n_slots
    keys: list[int] = []
    for o in range(graph.n_origins):
        released = np.flatnonzero(graph.released[o] > 0)
        if not len(released):
            continue
        first, place = int(released[0]), int(graph.assembly[o])
        value = pricing.leave[first:, o, place]
        good = np.flatnonzero(value > tol)
        for t in (first + good[np.argsort(-value[good], kind="stable")][:per_source]).tolist():
            moves, safe = trace_walk(graph, pricing, o, place, t)
            if safe:
                keys += [(o * n_arcs + a) * n_slots + d for a, d, _ in moves]
    return np.unique(np.array(keys, dtype=np.int64))


def _people_value(model: PlanningModel, x: np.ndarray) -> float:
    """The people part of the objective at ``x``; raises if some row joins trucks and people (then
    the bound would not be certified)."""
    cost = np.concatenate(model.lp.cost) if model.lp.cost else np.zeros(0)
    truck = np.zeros(model.lp.n_cols, dtype=bool)
    for name in TRUCK_COLUMNS:
        truck[model.col(name).slice()] = True
    matrix = model.lp.csc()
    truck_rows = np.unique(matrix[:, np.flatnonzero(truck)].indices)
    people_rows = np.unique(matrix[:, np.flatnonzero(~truck)].indices)
    if np.intersect1d(truck_rows, people_rows).size:
        raise PlanInvariantError(
            "a constraint joins trucks and people: column generation's bound does not cover it; plan with method='lp'"
        )
    return float(cost[~truck] @ x[~truck])


def _master_highs(threads: int | None, crossover: bool, time_limit_s: float | None = None) -> highspy.Highs:
    """HiGHS for a master: interior point, with crossover unless told not to (any duals give a valid
    bound; without crossover the 50-place week was not faster, and a vertex gives fewer paths), and
    stopped after ``time_limit_s`` if given."""
    highs = new_highs(time_limit_s, threads=threads)
    highs.setOptionValue("run_crossover", "on" if crossover else "off")
    return highs


def checked_problem(
    scenario: Scenario, proposal: Proposal, horizon: Horizon | None, max_rounds: int, zone_paths: str,
    per_source: int = 1,
) -> PlanningProblem:
    """The problem column generation prices (no movement lists), after the checks both masters make:
    ``ValueError`` for ``max_rounds < 1``, ``per_source < 1``, an unknown ``zone_paths``, or destination rules."""
    if max_rounds < 1:
        raise ValueError(f"max_rounds must be at least 1, got {max_rounds}")
    if per_source < 1:  # a slice [:-1] would silently drop each origin's worst slot
        raise ValueError(f"per_source must be at least 1 (paths per stock origin a round), got {per_source}")
    if zone_paths not in ZONE_PATHS:
        raise ValueError(f"zone_paths must be one of {', '.join(ZONE_PATHS)}; got {zone_paths!r}")
    if has_destination_rules(scenario):
        raise ValueError(
            "column generation does not price destination splits (evacuation.destination_split) or shelter capacities "
            "(capacity_people) yet; plan with method='lp'"
        )
    empty = np.zeros(0, dtype=np.int64)
    nothing = Movements(empty, empty, empty, empty)
    return compile_problem(scenario, proposal, horizon, truck_moves=nothing, people_moves=nothing)


def solve_by_columns(
    scenario: Scenario,
    proposal: Proposal,
    horizon: Horizon | None = None,
    target_gap: float = 1e-3,
    max_rounds: int = 40,
    time_limit_s: float | None = None,
    threads: int | None = None,
    per_source: int = 672,
    crossover: bool = True,
    zone_paths: str = "all",
    on_round: Callable[[PlanningModel, LPSolution], bool] | None = None,
) -> ColumnGeneration:
    """Solve the planning LP of ``proposal`` by column generation (module doc). ``zone_paths``: "off",
    "unserved" or "all" (module doc, item 4). ``on_round`` is
    called with each round's master and its solution (the condensed network certifies a bound on
    another grid there); when it returns True the loop stops ("certified"). Raises as ``solve_lp``
    does (``InfeasibleError``, ``SolverError``)."""
    started = time.perf_counter()
    problem = checked_problem(scenario, proposal, horizon, max_rounds, zone_paths, per_source)
    # Rounds solve the truck part alone (no row joins it to the people, checked at the end); the
    # people join once, in the last solve.
    trucks = truck_graph(problem)
    walking = people_graph(problem)
    n_arcs, n_slots = len(problem.arcs), problem.n_slots
    pi = initial_multipliers(problem)
    pricing = price(problem, trucks, pi)
    walk_pricing = price_people(walking, people_multipliers(problem))
    scale = float(np.abs(pricing.value[np.isfinite(pricing.value)]).max(initial=1.0))
    tol = 1e-7 * max(1.0, scale)
    keys = _columns(problem, trucks, pricing, per_source, tol)
    keys = np.union1d(keys, _zone_columns(problem, trucks, pi, tol, None, zone_paths))
    walk_keys = _walks(walking, walk_pricing, per_source, tol)
    truck_bound = people_bound_best = np.inf
    rounds: list[dict[str, float]] = []
    stopped = "rounds"
    for _ in range(max_rounds):
        t0 = time.perf_counter()
        restricted = dataclasses.replace(
            problem,
            trucks=_movements(n_arcs, n_slots, trucks.arr, keys),
            people=_movements(n_arcs, n_slots, walking.arr, walk_keys),
        )
        candidate = build_lp(restricted)
        t1 = time.perf_counter()
        # A master after the first gets the time left: at 500 places one can take many minutes (the
        # interior point may stall and HiGHS fall back to the simplex). Stopped, the last round stands.
        left = None if time_limit_s is None or not rounds else max(1.0, time_limit_s - (t1 - started))
        try:
            solution = solve_lp(candidate.lp, highs=_master_highs(threads, crossover, left))
        except SolverError:
            if left is None:
                raise
            stopped = "time"
            break
        model = candidate
        t2 = time.perf_counter()
        people_value = _people_value(model, solution.x)
        certified = on_round is not None and on_round(model, solution)
        pi = multipliers_from(model, solution.row_dual)
        pricing = price(problem, trucks, pi)
        walk_pi = people_multipliers(problem, model, solution.row_dual)
        walk_pricing = price_people(walking, walk_pi)
        truck_bound = min(truck_bound, lagrangian_bound(problem, trucks, pi, pricing))
        people_bound_best = min(people_bound_best, people_bound(walking, walk_pi, walk_pricing))
        bound = truck_bound + people_bound_best
        t3 = time.perf_counter()
        rounds.append(
            {
                "truck_moves": float(len(keys)),
                "walk_moves": float(len(walk_keys)),
                "value": solution.objective,
                "bound": bound,
                "truck_value": solution.objective - people_value,
                "truck_bound": truck_bound,
                "people_value": people_value,
                "people_bound": people_bound_best,
                "build_s": t1 - t0,
                "solve_s": t2 - t1,
                "price_s": t3 - t2,
            }
        )
        if certified:  # the caller's certificate comes first: it is the one the caller reports
            stopped = "certified"
            break
        if bound - solution.objective <= target_gap * abs(bound):
            stopped = "gap"
            break
        if time_limit_s is not None and time.perf_counter() - started > time_limit_s:
            stopped = "time"
            break
        new = _columns(problem, trucks, pricing, per_source, tol)
        new = np.union1d(new, _zone_columns(problem, trucks, pi, tol, model, zone_paths))
        new = np.setdiff1d(new, keys)
        new_walks = np.setdiff1d(_walks(walking, walk_pricing, per_source, tol), walk_keys)
        if len(new) == 0 and len(new_walks) == 0 and per_source < n_slots:
            # Each origin's best slots gave only moves in already: price every slot before saying
            # nothing prices out (by_paths.solve_by_paths does the same).
            new = np.setdiff1d(_columns(problem, trucks, pricing, n_slots, tol), keys)
            new_walks = np.setdiff1d(_walks(walking, walk_pricing, n_slots, tol), walk_keys)
        if len(new) == 0 and len(new_walks) == 0:
            stopped = "priced out"
            break
        keys, walk_keys = np.union1d(keys, new), np.union1d(walk_keys, new_walks)
    return ColumnGeneration(model, solution, float(bound), stopped, rounds)
