"""Warm re-planning: keep one HiGHS instance with a proposal's LP and its optimal basis, and re-plan
from an observed state by changing bounds only, then re-solving with the dual simplex from that basis.

The LP (``lp_build``) spans the whole horizon. Re-planning at slot τ from a state:

* every movement, holding and offloading column before τ is fixed at 0, and so is every column that
  uses a road or place observed closed in its slots (an incident, a window cut short or not honoured,
  a crossing closed for the day);
* the balance rows get the state as supply: what is where (and from when) in truckloads, and the people
  still waiting at each assembly place, at τ; rows before τ get no supply;
* the value tiers of each zone and commodity shrink by what has already been delivered (or is on its
  way), so the re-plan values aid where need is still unmet.

The model is never rebuilt: ``changeColsBounds``/``changeRowsBounds`` on the instance, ``setBasis`` of
the first optimum, and ``run`` with the simplex solver. Whole trucks come from rounding the LP's
paths down (no repair pass: speed matters more than the last few trucks when reacting); a cold
re-plan (``replan.replan``) runs the full rounding and repair.

>>> from safepassage.scenario import load_scenario
>>> scenario = load_scenario("tests/scenarios/tiny.yaml")
>>> warm = WarmPlanner(scenario, "pause")
>>> state = warm.state(at_slot=6)
>>> result = warm.replan(state)
>>> all(c.departs.hour >= 6 for c in result.convoys)  # the state is at 06:00 on the one-day horizon
True
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import highspy
import numpy as np

from safepassage.plan.integer import TOL, integer_plan, people_paths, round_and_repair, truck_paths
from safepassage.plan.lp_build import PlanningModel, build_planning_model
from safepassage.plan.moving_need import move_tier_bounds_to_rows
from safepassage.plan.result import Convoy, EvacuationMovement
from safepassage.plan.schedule import build_convoys, build_evacuations
from safepassage.plan.solve import DEFAULT_SOLVER, LPSolution, _run, new_highs, to_highs_lp
from safepassage.scenario.model import Horizon, Proposal, Scenario

__all__ = ["WarmPlanner", "WarmState", "WarmReplan"]


@dataclass
class WarmState:
    """What is known at slot ``at_slot`` (see the module doc).

    ``truck_supply`` (truck node pairs × slots) and ``people_supply`` (people node pairs × slots):
    truckloads / people becoming available; ``delivered_units`` (zones × commodities): aid already
    delivered or on its way; ``road_closed`` (roads × slots) and ``place_closed`` (places × slots):
    observed closures."""

    at_slot: int
    truck_supply: np.ndarray
    people_supply: np.ndarray
    delivered_units: np.ndarray
    road_closed: np.ndarray
    place_closed: np.ndarray
    place_trucks_left: np.ndarray | None = None  # (places × slots) whole trucks a place can still take
    road_trucks_left: np.ndarray | None = None  # (arcs × slots)
    quota_left: np.ndarray | None = None  # (quotas,) in the order of ``terms.quotas``
    place_people_left: np.ndarray | None = None  # (places × slots) people a place can still let through
    road_people_left: np.ndarray | None = None  # (arcs × slots)
    # (zones,) person-days that people moved outside this re-plan (arrived, or on their way as planned)
    # add to a zone (take from their origin): their needs follow them (plan/moving_need.py's presence rows).
    presence_days: np.ndarray | None = None


@dataclass
class WarmReplan:
    """A warm re-plan: the new schedule from ``at_slot``, the LP value, time and simplex iterations."""

    convoys: list[Convoy]
    evacuations: list[EvacuationMovement]
    objective: float
    seconds: float  # in all: bounds, re-solve, rounding, schedule
    iterations: int
    solve_seconds: float = 0.0  # the simplex re-solve alone


class WarmPlanner:
    """A proposal's LP solved once and kept in HiGHS, ready to re-plan by bound changes."""

    def __init__(self, scenario: Scenario, proposal: str | Proposal, horizon: Horizon | None = None, threads: int | None = None) -> None:
        chosen = scenario.proposal(proposal) if isinstance(proposal, str) else proposal
        started = time.perf_counter()
        self.model: PlanningModel = build_planning_model(scenario, chosen, horizon)
        self.highs = new_highs(threads=threads)
        self.highs.passModel(to_highs_lp(self.model.lp))
        self.highs.setOptionValue("solver", DEFAULT_SOLVER)  # as a cold plan: interior point, then crossover to a basis
        built = time.perf_counter()
        self.base: LPSolution = _run(self.highs, built)
        self.basis = self.highs.getBasis()
        self.highs.setOptionValue("solver", "simplex")
        # Devex pricing: dual steepest edge would recompute its weights for the restored basis at every
        # re-plan, which costs more than it saves here (about 3x slower on the Gaza daily pauses).
        self.highs.setOptionValue("simplex_dual_edge_weight_strategy", 1)
        self.build_seconds = built - started
        self.solve_seconds = time.perf_counter() - built
        cost, col_lower, col_upper, row_lower, row_upper = self.model.lp.vectors()
        inf = highspy.kHighsInf
        self.col_lower = np.where(np.isinf(col_lower), -inf, col_lower)
        self.col_upper = np.where(np.isinf(col_upper), inf, col_upper)
        self.row_lower = np.where(np.isinf(row_lower), -inf, row_lower)
        self.row_upper = np.where(np.isinf(row_upper), inf, row_upper)
        self._prepare_index()

    def _prepare_index(self) -> None:
        model = self.model
        n_slots = model.terms.grid.n_slots
        arcs = model.arcs
        x, u, s, y, h, g = (model.col(n) for n in ("x", "u", "s", "y", "h", "g"))
        self._x = (x.start, arcs.road[model.trucks.arc], arcs.tail[model.trucks.arc], model.trucks.dep, model.trucks.arr)
        self._y = (y.start, arcs.road[model.people.arc], arcs.tail[model.people.arc], model.people.dep, model.people.arr)
        self._u = (u.start, model.unload_place, model.unload_slot)
        self._s = (s.start, np.tile(np.arange(n_slots), len(model.storage_pairs)))
        self._h = (h.start, np.tile(np.arange(n_slots), len(model.holding_pairs)))
        self._g = g
        self._truck_rows = model.lp.row_block("truck_balance")
        self._people_rows = model.lp.row_block("people_balance")
        shares = np.array([0.0] + [t.up_to_share for t in model.scenario.objective.tiers])
        need = model.need_units[model.tier_zone, model.tier_kind]
        self._tier_low = shares[model.tier_index] * need
        self._tier_size = np.diff(shares)[model.tier_index] * need

    @property
    def n_slots(self) -> int:
        return self.model.terms.grid.n_slots

    def state(self, at_slot: int, truck_supply: np.ndarray | None = None, people_supply: np.ndarray | None = None, delivered_units: np.ndarray | None = None, road_closed: np.ndarray | None = None, place_closed: np.ndarray | None = None) -> WarmState:
        """A state at ``at_slot``; omitted parts default to: the scenario's stock and people all still
        at their origin (available from ``at_slot``), nothing delivered, nothing closed."""
        model = self.model
        n_slots = self.n_slots
        if truck_supply is None:
            truck_supply = np.zeros_like(model.supply_trucks)
            truck_supply[:, min(at_slot, n_slots - 1)] = model.supply_trucks.sum(axis=1)
        if people_supply is None:
            people_supply = np.zeros_like(model.supply_people)
            people_supply[:, min(at_slot, n_slots - 1)] = model.supply_people.sum(axis=1)
        return WarmState(
            at_slot, truck_supply, people_supply,
            np.zeros_like(model.need_units) if delivered_units is None else delivered_units,
            np.zeros((len(model.scenario.roads), n_slots), dtype=bool) if road_closed is None else road_closed,
            np.zeros((len(model.scenario.places), n_slots), dtype=bool) if place_closed is None else place_closed,
        )

    def _bounds(self, state: WarmState) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        model = self.model
        col_upper = self.col_upper.copy()
        row_lower = self.row_lower.copy()
        row_upper = self.row_upper.copy()
        tau = state.at_slot
        blocked_before = np.concatenate([np.zeros((state.road_closed.shape[0], 1), dtype=np.int64), np.cumsum(state.road_closed, axis=1)], axis=1)
        for start, road, tail, dep, arr in (self._x, self._y):
            off = (dep < tau) | (blocked_before[road, arr] - blocked_before[road, dep] > 0) | state.place_closed[tail, dep]
            col_upper[start + np.flatnonzero(off)] = 0.0
        start, place, slot = self._u
        col_upper[start + np.flatnonzero((slot < tau) | state.place_closed[place, slot])] = 0.0
        for start, slot in (self._s, self._h):
            col_upper[start + np.flatnonzero(slot < tau)] = 0.0
        # Tiers: what is delivered already fills the lowest tiers first.
        delivered = state.delivered_units[model.tier_zone, model.tier_kind]
        filled = np.clip(delivered - self._tier_low, 0.0, self._tier_size)
        g = self._g
        col_upper[g.start:g.stop] = np.maximum(self._tier_size - filled, 0.0)
        move_tier_bounds_to_rows(model, col_upper, row_upper)  # where needs follow people (plan/moving_need.py)
        # Capacity already taken (or promised to movements under way) is not there to plan with.
        for name, left in (("place_trucks", state.place_trucks_left), ("road_trucks", state.road_trucks_left), ("place_people", state.place_people_left), ("road_people", state.road_people_left)):
            if left is not None:
                block = model.lp.row_block(name)
                rows = slice(block.start, block.start + block.size)
                row_upper[rows] = np.minimum(row_upper[rows], np.maximum(left[block.entity, block.slot], 0.0))
        if state.quota_left is not None:
            block = model.lp.row_block("quota")
            rows = slice(block.start, block.start + block.size)
            row_upper[rows] = np.minimum(row_upper[rows], np.maximum(state.quota_left, 0.0))
        presence = model.lp.row_block("presence")
        if state.presence_days is not None and presence.size:
            rows = slice(presence.start, presence.start + presence.size)
            row_lower[rows] = row_upper[rows] = state.presence_days[presence.entity]
        for block, supply in ((self._truck_rows, state.truck_supply), (self._people_rows, state.people_supply)):
            row_lower[block.start:block.start + block.size] = supply.ravel()
            row_upper[block.start:block.start + block.size] = supply.ravel()
        return self.col_lower, col_upper, row_lower, row_upper

    def replan(self, state: WarmState, repair: bool = False) -> WarmReplan:
        """Re-solve from ``state`` (warm: bounds changed, first basis restored, dual simplex) and round
        the new paths down to whole trucks and people; with ``repair``, then add trucks where the
        state's limits allow, as a cold plan does (``integer.round_and_repair``). Raises
        InfeasibleError / SolverError."""
        started = time.perf_counter()
        col_lower, col_upper, row_lower, row_upper = self._bounds(state)
        n_cols, n_rows = len(col_upper), len(row_upper)
        # Forget the last re-plan's factorisation and edge weights: each re-plan starts from the first
        # optimum's basis alone, so its answer does not depend on which re-plans came before it (a worker
        # runs replications in any order).
        self.highs.clearSolver()
        self.highs.changeColsBounds(n_cols, np.arange(n_cols, dtype=np.int32), col_lower, col_upper)
        self.highs.changeRowsBounds(n_rows, np.arange(n_rows, dtype=np.int32), row_lower, row_upper)  # type: ignore[attr-defined]  # in highspy, missing from its stubs
        self.highs.setBasis(self.basis)
        solving = time.perf_counter()
        solution = _run(self.highs, solving)
        solve_seconds = time.perf_counter() - solving
        model = dataclasses.replace(self.model, supply_trucks=state.truck_supply, supply_people=state.people_supply)
        if repair:
            # The repair reads limits from the model's LP: give it this state's bounds.
            cost = self.model.lp.vectors()[0]
            lp = dataclasses.replace(self.model.lp, cost=[cost], col_lower=[col_lower], col_upper=[col_upper], row_lower=[row_lower], row_upper=[row_upper])
            plan = round_and_repair(dataclasses.replace(model, lp=lp), solution)
        else:
            trucks, people = truck_paths(model, solution), people_paths(model, solution)
            trucks_int = np.floor(trucks.amount + TOL)
            people_int = np.floor(people.amount + TOL)
            plan = integer_plan(model, trucks, people, trucks_int, people_int)
        convoys, evacuations = build_convoys(model, plan), build_evacuations(model, plan)
        return WarmReplan(convoys, evacuations, solution.objective, time.perf_counter() - started, solution.iterations, solve_seconds)
