"""Warm re-planning that keeps the basis: the first plan's LP stays in HiGHS, one instance per
independent part of it (the trucks' flow, the people's), and a re-plan changes bounds only, then
re-solves the parts it changed with the dual simplex from the basis each already holds.

A re-plan at slot τ after a ``Deviation``:

* every column before τ (moves departing before τ, holding and offloading in slots before τ, for
  trucks and people) is fixed at the first plan's value through its bounds: that is what was done;
* the deviation from the plan — stock held back or lost, trucks lost, people still waiting — enters as
  a change of supply in the balance rows at τ (+ more than planned is there, − less);
* roads and places observed closed from τ on lose every column departing at or after τ through them;
* nothing else changes: no rebuild, no ``clearSolver``, the basis HiGHS holds is the start.

What was delivered before τ is in the fixed offloading columns, so the need tiers need no update, and
the objective is the value of the whole horizon: executed part plus re-planned part. Whole trucks come
from the paths of the flow from τ on (``future_paths``), rounded down.

This differs from ``warm.WarmPlanner`` (used by the simulation), which restarts every re-plan from the
first basis after ``clearSolver`` so that replications do not depend on their order, and takes the
whole state as supply at τ.

>>> from safepassage.scenario import load_scenario
>>> planner = KeptBasisPlanner(load_scenario("tests/scenarios/tiny.yaml"), "pause")
>>> result = planner.replan(planner.deviation(at_slot=6))
>>> abs(result.objective - planner.base.objective) <= 1e-6 * abs(planner.base.objective)
True
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import highspy
import numpy as np

from safepassage.plan.integer import TOL, FlowPaths, integer_plan, people_paths, truck_paths
from safepassage.plan.lp_build import PlanningModel, build_planning_model
from safepassage.plan.result import Convoy, EvacuationMovement
from safepassage.plan.schedule import build_convoys, build_evacuations
from safepassage.plan.solve import (
    DEFAULT_SOLVER,
    SIMPLEX_MAX_NONZEROS,
    SIMPLEX_STRATEGY,
    LPSolution,
    SolveStatus,
    _run,
    empty_rows_solution,
    lp_components,
    new_highs,
    solve_by_components,
    sub_lp,
    to_highs_lp,
)
from safepassage.scenario.model import Horizon, Proposal, Scenario

__all__ = ["Deviation", "KeptBasisPlanner", "KeptBasisReplan"]


@dataclass
class Deviation:
    """What differs from the plan at slot ``at_slot``: truckloads per truck node pair (place,
    commodity) and people per people node pair (place, origin) more (+) or fewer (-) than planned at
    τ, and the roads and places closed from τ on."""

    at_slot: int
    truck_delta: np.ndarray  # (truck node pairs,)
    people_delta: np.ndarray  # (people node pairs,)
    roads_closed: np.ndarray  # bool (roads,)
    places_closed: np.ndarray  # bool (places,)


@dataclass
class KeptBasisReplan:
    """A re-plan: the schedule from τ, the LP value of the whole horizon, time and iterations."""

    convoys: list[Convoy]
    evacuations: list[EvacuationMovement]
    objective: float
    solution: LPSolution
    seconds: float  # bounds, re-solve, paths, rounding, schedule
    solve_seconds: float
    iterations: int


class KeptBasisPlanner:
    """A proposal's LP solved once, as a plan is, and kept with its basis, one HiGHS instance per
    independent part of the LP (``solve.lp_components``: on Gaza the trucks' flow and the people's).

    A part whose bounds a deviation leaves alone is not re-solved; the others re-solve from the basis
    they hold. Splitting matters for speed: a dual simplex iteration costs in proportion to the part's
    size, not the whole LP's."""

    def __init__(
        self, scenario: Scenario, proposal: str | Proposal, horizon: Horizon | None = None, threads: int | None = None
    ) -> None:
        chosen = scenario.proposal(proposal) if isinstance(proposal, str) else proposal
        self.model: PlanningModel = build_planning_model(scenario, chosen, horizon)
        self.threads = threads
        _, lower, upper, row_lower, row_upper = self.model.lp.vectors()
        inf = highspy.kHighsInf
        self.col_lower = np.where(np.isinf(lower), -inf, lower)
        self.col_upper = np.where(np.isinf(upper), inf, upper)
        self.row_lower = np.where(np.isinf(row_lower), -inf, row_lower)
        self.row_upper = np.where(np.isinf(row_upper), inf, row_upper)
        self._index_columns()
        whole = to_highs_lp(self.model.lp)
        self.parts = lp_components(whole)
        matrix = self.model.lp.csc().tocsr()
        trucks = np.zeros(self.model.lp.n_cols, dtype=bool)
        for name in ("x", "s", "u"):
            trucks[self.model.col(name).slice()] = True
        self.part_highs: list[highspy.Highs] = []
        self.part_bounds: list[tuple[np.ndarray, ...]] = []
        self.part_solutions: list[LPSolution] = []
        for rows, cols in self.parts:
            lower, upper = self.col_lower[cols], self.col_upper[cols]
            self.part_bounds.append((lower, upper, self.row_lower[rows], self.row_upper[rows]))
            highs = new_highs(threads=threads)
            self.part_highs.append(highs)
            if len(cols) == 0:  # rows without columns: nothing to solve, now or later
                self.part_solutions.append(empty_rows_solution(self.row_lower[rows], self.row_upper[rows]))
                continue
            highs.passModel(whole if len(self.parts) == 1 else sub_lp(whole, matrix, rows, cols))
            # As a plan is solved (``aggregate.solve_planning_lp``): the trucks' flow by interior point
            # and crossover, the rest by the simplex (``solve.SIMPLEX_STRATEGY``).
            if trucks[cols].any() or matrix[rows][:, cols].nnz > SIMPLEX_MAX_NONZEROS:
                highs.setOptionValue("solver", DEFAULT_SOLVER)
            else:
                highs.setOptionValue("solver", "simplex")
                highs.setOptionValue("simplex_strategy", SIMPLEX_STRATEGY)
            self.part_solutions.append(_run(highs, time.perf_counter()))
            highs.setOptionValue("solver", "simplex")
            highs.setOptionValue("simplex_strategy", 1)  # dual: a bound change leaves the kept basis dual feasible
            # Devex: cheaper than steepest edge from a kept basis.
            highs.setOptionValue("simplex_dual_edge_weight_strategy", 1)
            highs.setOptionValue("presolve", "off")  # presolving a bound change would set the kept basis aside
        self.base: LPSolution = self._assemble(0.0)

    def _assemble(self, seconds: float) -> LPSolution:
        """The parts' current solutions as one solution of the whole LP."""
        m = self.model.lp
        x, row_dual, row_activity = np.zeros(m.n_cols), np.zeros(m.n_rows), np.zeros(m.n_rows)
        for (rows, cols), solution in zip(self.parts, self.part_solutions):
            x[cols], row_dual[rows], row_activity[rows] = solution.x, solution.row_dual, solution.row_activity
        objective = sum(solution.objective for solution in self.part_solutions)
        iterations = sum(solution.iterations for solution in self.part_solutions)
        return LPSolution(SolveStatus.optimal, objective, x, row_dual, row_activity, seconds, iterations)

    def _index_columns(self) -> None:
        """Per column: its slot (departure, holding or offloading; -1 for tiers and fleet counts), and
        the road and place it uses (-1: none)."""
        m = self.model
        n_slots, n = m.terms.grid.n_slots, m.lp.n_cols
        self.col_slot = np.full(n, -1, dtype=np.int64)
        self.col_road = np.full(n, -1, dtype=np.int64)
        self.col_place = np.full(n, -1, dtype=np.int64)
        for name, moves in (("x", m.trucks), ("y", m.people)):
            block = m.col(name)
            self.col_slot[block.slice()] = moves.dep
            self.col_road[block.slice()] = m.arcs.road[moves.arc]
            self.col_place[block.slice()] = m.arcs.tail[moves.arc]
        for name, pairs, nodes in (("s", m.storage_pairs, m.truck_nodes), ("h", m.holding_pairs, m.people_nodes)):
            block = m.col(name)
            self.col_slot[block.slice()] = np.tile(np.arange(n_slots), len(pairs))
            self.col_place[block.slice()] = np.repeat(nodes.pair_place[pairs], n_slots)
        u = m.col("u")
        self.col_slot[u.slice()] = m.unload_slot
        self.col_place[u.slice()] = m.unload_place

    def deviation(self, at_slot: int) -> Deviation:
        """No deviation at ``at_slot``: everything as planned, nothing closed."""
        m = self.model
        return Deviation(
            at_slot,
            np.zeros(m.truck_nodes.n_pairs),
            np.zeros(m.people_nodes.n_pairs),
            np.zeros(len(m.scenario.roads), dtype=bool),
            np.zeros(len(m.scenario.places), dtype=bool),
        )

    def bounds(self, deviation: Deviation) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(col_lower, col_upper, row_lower, row_upper) of the LP re-planned after ``deviation``."""
        m, tau = self.model, deviation.at_slot
        n_slots = m.terms.grid.n_slots
        lower, upper = self.col_lower.copy(), self.col_upper.copy()
        past = (self.col_slot >= 0) & (self.col_slot < tau)
        lower[past] = upper[past] = self.base.x[past]
        road_closed = (self.col_road >= 0) & deviation.roads_closed[np.maximum(self.col_road, 0)]
        place_closed = (self.col_place >= 0) & deviation.places_closed[np.maximum(self.col_place, 0)]
        closed = (self.col_slot >= tau) & (road_closed | place_closed)
        lower[closed] = upper[closed] = 0.0
        row_lower, row_upper = self.row_lower.copy(), self.row_upper.copy()
        if tau < n_slots:
            for name, delta in (("truck_balance", deviation.truck_delta), ("people_balance", deviation.people_delta)):
                rows = m.lp.row_block(name).start + np.arange(len(delta)) * n_slots + tau
                row_lower[rows] += delta
                row_upper[rows] += delta
        return lower, upper, row_lower, row_upper

    def replan(self, deviation: Deviation) -> KeptBasisReplan:
        """Warm: the deviation's bounds on the kept instance, dual simplex from the basis it holds, then
        the paths from τ rounded down to whole trucks and people. Raises InfeasibleError (e.g. more
        stock lost than was there) or SolverError."""
        started = time.perf_counter()
        lower, upper, row_lower, row_upper = self.bounds(deviation)
        solving = time.perf_counter()
        iterations = 0
        for i, (rows, cols) in enumerate(self.parts):
            bounds = (lower[cols], upper[cols], row_lower[rows], row_upper[rows])
            held = self.part_bounds[i]
            if all(np.array_equal(a, b) for a, b in zip(bounds, held)):
                continue  # this part's LP is unchanged: its optimum stands
            self.part_bounds[i] = bounds
            if len(cols) == 0:
                self.part_solutions[i] = empty_rows_solution(bounds[2], bounds[3])
                continue
            highs = self.part_highs[i]
            # Only the bounds that differ from what the instance holds are passed.
            changed = np.flatnonzero((bounds[0] != held[0]) | (bounds[1] != held[1])).astype(np.int32)
            if len(changed):
                highs.changeColsBounds(len(changed), changed, bounds[0][changed], bounds[1][changed])
            changed = np.flatnonzero((bounds[2] != held[2]) | (bounds[3] != held[3])).astype(np.int32)
            if len(changed):
                highs.changeRowsBounds(len(changed), changed, bounds[2][changed], bounds[3][changed])  # type: ignore[attr-defined]  # in highspy, missing from its stubs
            self.part_solutions[i] = _run(highs, time.perf_counter())
            iterations += self.part_solutions[i].iterations
        solve_seconds = time.perf_counter() - solving
        solution = dataclasses.replace(self._assemble(solve_seconds), iterations=iterations)
        model, trucks, people = self.future_paths(deviation, solution)
        trucks_int = np.floor(trucks.amount + TOL)
        people_int = np.floor(people.amount + TOL)
        plan = integer_plan(model, trucks, people, trucks_int, people_int)
        convoys, evacuations = build_convoys(model, plan), build_evacuations(model, plan)
        return KeptBasisReplan(
            convoys,
            evacuations,
            solution.objective,
            solution,
            time.perf_counter() - started,
            solve_seconds,
            solution.iterations,
        )

    def cold(self, deviation: Deviation) -> LPSolution:
        """The same re-planned LP solved from scratch in new HiGHS instances, as a first plan is
        (``solve_by_components``, the trucks' flow by interior point)."""
        lower, upper, row_lower, row_upper = self.bounds(deviation)
        lp = to_highs_lp(self.model.lp)
        lp.col_lower_, lp.col_upper_, lp.row_lower_, lp.row_upper_ = lower, upper, row_lower, row_upper
        trucks = np.zeros(self.model.lp.n_cols, dtype=bool)
        for name in ("x", "s", "u"):
            trucks[self.model.col(name).slice()] = True
        return solve_by_components(lp, threads=self.threads, ipm_columns=trucks)

    def future_paths(self, deviation: Deviation, solution: LPSolution) -> tuple[PlanningModel, FlowPaths, FlowPaths]:
        """The flow from τ on, decomposed into paths: the columns before τ are dropped, and what they
        leave at τ or later — stock held through τ, trucks and people under way — becomes supply where
        it is, with the deviation added at τ. Returns the model with that supply, and the paths."""
        m, tau = self.model, deviation.at_slot
        n_slots = m.terms.grid.n_slots
        x = solution.x.copy()
        past = (self.col_slot >= 0) & (self.col_slot < tau)
        truck_supply = np.zeros_like(m.supply_trucks)
        people_supply = np.zeros_like(m.supply_people)
        truck_supply[:, tau:] = m.supply_trucks[:, tau:]
        people_supply[:, tau:] = m.supply_people[:, tau:]
        if tau < n_slots:
            truck_supply[:, tau] += deviation.truck_delta
            people_supply[:, tau] += deviation.people_delta
        arcs = m.arcs
        for name, moves, nodes, supply, counts in (
            ("x", m.trucks, m.truck_nodes, truck_supply, np.ones(len(m.trucks), dtype=bool)),
            (
                "y",
                m.people,
                m.people_nodes,
                people_supply,
                ~m.problem.safe_mask[arcs.head[m.people.arc], m.people.kind]
                if len(m.people)
                else np.zeros(0, dtype=bool),
            ),
        ):
            block = m.col(name)
            under_way = (moves.dep < tau) & (moves.arr >= tau) & counts
            pairs = nodes.lookup[arcs.head[moves.arc[under_way]], moves.kind[under_way]]
            np.add.at(supply, (pairs, moves.arr[under_way]), x[block.start + np.flatnonzero(under_way)])
        for name, pairs, supply in (("s", m.storage_pairs, truck_supply), ("h", m.holding_pairs, people_supply)):
            if 0 < tau < n_slots and len(pairs):
                held = x[m.col(name).slice()].reshape(len(pairs), n_slots)[:, tau - 1]
                supply[pairs, tau] += held
        x[past] = 0.0
        model = dataclasses.replace(m, supply_trucks=truck_supply, supply_people=people_supply)
        future = dataclasses.replace(solution, x=x)
        return model, truck_paths(model, future), people_paths(model, future)
