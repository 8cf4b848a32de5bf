"""Prototype: warm re-planning that keeps the basis (issue 10, item 2).

The first plan's LP stays in HiGHS with its optimal basis. A re-plan at slot τ:

* fixes every column before τ (moves departing before τ, holding and offloading before τ, people
  likewise) at the first plan's value, through its bounds: that is what was executed;
* lets a deviation from the plan (stock held back or lost, trucks lost, people still waiting) enter
  as a change of supply in the balance rows at τ;
* closes roads and places observed closed from τ on (columns departing at or after τ through them);
* re-solves with the dual simplex from the basis HiGHS holds (no ``clearSolver``).

Need tiers need no update: what was delivered before τ is in the fixed offloading columns.

    PYTHONPATH=src .venv/bin/python bench/warm_proto.py     # Gaza, its own grid, warm vs cold
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np

from safepassage.plan.lp_build import PlanningModel, build_planning_model
from safepassage.plan.solve import DEFAULT_SOLVER, LPSolution, _run, new_highs, to_highs_lp
from safepassage.scenario.model import Horizon, Proposal, Scenario


@dataclass
class Deviation:
    """What differs from the plan at slot ``at_slot``: truckloads (truck node pairs) and people
    (people node pairs) more (+) or fewer (-) than planned at τ, and closures from τ on."""

    at_slot: int
    truck_delta: np.ndarray  # (truck node pairs,)
    people_delta: np.ndarray  # (people node pairs,)
    roads_closed: np.ndarray  # bool (roads,)
    places_closed: np.ndarray  # bool (places,)


class KeptBasisPlanner:
    """A proposal's LP solved once (interior point + crossover) and kept with its basis."""

    def __init__(self, scenario: Scenario, proposal: str | Proposal, horizon: Horizon | None = None, threads: int | None = None) -> None:
        chosen = scenario.proposal(proposal) if isinstance(proposal, str) else proposal
        self.model: PlanningModel = build_planning_model(scenario, chosen, horizon)
        self.highs = new_highs(threads=threads)
        self.highs.passModel(to_highs_lp(self.model.lp))
        self.highs.setOptionValue("solver", DEFAULT_SOLVER)
        self.base: LPSolution = _run(self.highs, time.perf_counter())
        self.highs.setOptionValue("solver", "simplex")
        self.highs.setOptionValue("simplex_dual_edge_weight_strategy", 1)
        self.threads = threads
        _, lower, upper, row_lower, row_upper = self.model.lp.vectors()
        inf = highspy.kHighsInf
        self.col_lower = np.where(np.isinf(lower), -inf, lower)
        self.col_upper = np.where(np.isinf(upper), inf, upper)
        self.row_lower = np.where(np.isinf(row_lower), -inf, row_lower)
        self.row_upper = np.where(np.isinf(row_upper), inf, row_upper)
        self._columns()

    def _columns(self) -> None:
        """Per column: departure (or holding/offloading) slot, and the road and place it uses."""
        m = self.model
        n_slots = m.terms.grid.n_slots
        n = m.lp.n_cols
        self.col_slot = np.full(n, -1, dtype=np.int64)  # -1: not tied to a slot (tiers, fleet counts)
        self.col_road = np.full(n, -1, dtype=np.int64)
        self.col_place = np.full(n, -1, dtype=np.int64)
        self.col_arr = np.full(n, -1, dtype=np.int64)
        for name, moves in (("x", m.trucks), ("y", m.people)):
            block = m.col(name)
            self.col_slot[block.slice()] = moves.dep
            self.col_arr[block.slice()] = moves.arr
            self.col_road[block.slice()] = m.arcs.road[moves.arc]
            self.col_place[block.slice()] = m.arcs.tail[moves.arc]
        for name, pairs, nodes in (("s", m.storage_pairs, m.truck_nodes), ("h", m.holding_pairs, m.people_nodes)):
            block = m.col(name)
            self.col_slot[block.slice()] = np.tile(np.arange(n_slots), len(pairs))
            self.col_place[block.slice()] = np.repeat(nodes.pair_place[pairs], n_slots)
        u = m.col("u")
        self.col_slot[u.slice()] = m.unload_slot
        self.col_place[u.slice()] = m.unload_place

    def bounds(self, deviation: Deviation) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        m, tau = self.model, deviation.at_slot
        lower, upper = self.col_lower.copy(), self.col_upper.copy()
        past = (self.col_slot >= 0) & (self.col_slot < tau)
        lower[past] = upper[past] = self.base.x[past]
        future = self.col_slot >= tau
        closed = future & (((self.col_road >= 0) & deviation.roads_closed[np.maximum(self.col_road, 0)]) | ((self.col_place >= 0) & deviation.places_closed[np.maximum(self.col_place, 0)]))
        lower[closed] = 0.0
        upper[closed] = 0.0
        row_lower, row_upper = self.row_lower.copy(), self.row_upper.copy()
        n_slots = m.terms.grid.n_slots
        for name, delta in (("truck_balance", deviation.truck_delta), ("people_balance", deviation.people_delta)):
            block = m.lp.row_block(name)
            rows = block.start + np.arange(len(delta)) * n_slots + min(tau, n_slots - 1)
            row_lower[rows] += delta
            row_upper[rows] += delta
        return lower, upper, row_lower, row_upper

    def replan(self, deviation: Deviation) -> tuple[LPSolution, float]:
        """Warm: bounds changed on the kept instance, dual simplex from the basis it holds."""
        started = time.perf_counter()
        lower, upper, row_lower, row_upper = self.bounds(deviation)
        n_cols, n_rows = len(lower), len(row_lower)
        self.highs.changeColsBounds(n_cols, np.arange(n_cols, dtype=np.int32), lower, upper)
        self.highs.changeRowsBounds(n_rows, np.arange(n_rows, dtype=np.int32), row_lower, row_upper)
        solution = _run(self.highs, time.perf_counter())
        return solution, time.perf_counter() - started

    def cold(self, deviation: Deviation) -> tuple[LPSolution, float]:
        """The same LP from scratch in a new instance, solved as a first plan is."""
        started = time.perf_counter()
        lower, upper, row_lower, row_upper = self.bounds(deviation)
        lp = to_highs_lp(self.model.lp)
        lp.col_lower_, lp.col_upper_, lp.row_lower_, lp.row_upper_ = lower, upper, row_lower, row_upper
        highs = new_highs(threads=self.threads)
        highs.setOptionValue("solver", DEFAULT_SOLVER)
        highs.passModel(lp)
        solution = _run(highs, time.perf_counter())
        return solution, time.perf_counter() - started


def disruption(planner: KeptBasisPlanner, at_hour: float, lost_share: float = 0.3) -> Deviation:
    """A disruption at ``at_hour``: ``lost_share`` of the stock the plan holds at τ is lost (looted or
    spoiled), 10% more people than planned are still waiting, and the road the plan uses most after
    τ is closed."""
    m = planner.model
    grid = m.terms.grid
    tau = int(np.searchsorted(grid.boundaries_min, at_hour * 60.0, side="right") - 1)
    n_slots = grid.n_slots
    s = m.col("s")
    held = np.zeros(m.truck_nodes.n_pairs)
    if tau > 0:
        values = planner.base.x[s.slice()].reshape(len(m.storage_pairs), n_slots)[:, tau - 1]
        held[m.storage_pairs] = values
    truck_delta = -lost_share * held
    h = m.col("h")
    people_delta = np.zeros(m.people_nodes.n_pairs)
    if tau > 0 and h.size:
        waiting = planner.base.x[h.slice()].reshape(len(m.holding_pairs), n_slots)[:, tau - 1]
        people_delta[m.holding_pairs] = 0.1 * waiting
    x = planner.base.x[m.col("x").slice()]
    later = m.trucks.dep >= tau
    use = np.bincount(m.arcs.road[m.trucks.arc[later]], weights=x[later], minlength=len(m.scenario.roads))
    roads_closed = np.zeros(len(m.scenario.roads), dtype=bool)
    if use.max() > 0:
        roads_closed[int(np.argmax(use))] = True
    return Deviation(tau, truck_delta, people_delta, roads_closed, np.zeros(len(m.scenario.places), dtype=bool))


def _main() -> None:
    import json

    from safepassage.scenario import load_scenario

    gaza = load_scenario("gaza-2023-11")
    for proposal in [p.id for p in gaza.proposals]:
        planner = KeptBasisPlanner(gaza, proposal, threads=1)
        for hour in (24.0, 72.0):
            deviation = disruption(planner, hour)
            cold, cold_s = planner.cold(deviation)
            warm, warm_s = planner.replan(deviation)
            print(json.dumps({
                "proposal": proposal, "at_hour": hour, "warm_s": round(warm_s, 3), "cold_s": round(cold_s, 3), "ratio": round(cold_s / warm_s, 1),
                "warm_iterations": warm.iterations, "objective_rel_diff": abs(warm.objective - cold.objective) / max(1.0, abs(cold.objective)),
                "first_plan": planner.base.objective, "replan": warm.objective,
            }), flush=True)


if __name__ == "__main__":
    _main()
