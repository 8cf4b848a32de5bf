"""The planning LP built the way a general modelling layer builds it: PuLP, one ``LpVariable`` per
column and one ``lpSum`` per constraint, from the same index arrays the planner uses (the movements,
node pairs, unloading slots and tiers of a ``PlanningModel``), never from its sparse matrix.

It is the baseline of ``bench_planner.py``: the ratio of build times says what the array build saves,
and the optimum must equal the planner's (the two builds describe one LP). Costs, bounds and
right-hand sides are recomputed here from the scenario with the formulas in ``lp_build.py``'s
docstrings, so a mismatch in the optimum flags a drift between the two.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pulp

from safepassage.plan.lp_build import PERSON_HOUR_COST, PlanningModel

__all__ = ["PulpBuild", "build_pulp_model", "solve_pulp_model"]


@dataclass
class PulpBuild:
    """A PuLP problem and how long each part of building it took (seconds)."""

    problem: pulp.LpProblem
    n_variables: int
    n_constraints: int
    variables_s: float
    constraints_s: float

    @property
    def build_s(self) -> float:
        return self.variables_s + self.constraints_s


def _capacity(rate_per_hour: np.ndarray, open_mask: np.ndarray, length_min: np.ndarray) -> np.ndarray:
    """Per-slot capacity (entities × slots) with the planner's rule: whole units adding up over time
    if the planner has that rule, else rate × slot hours."""
    try:
        from safepassage.plan.lp_build import whole_unit_capacity
    except ImportError:  # older planner: fractional capacity per slot
        return np.where(open_mask, rate_per_hour[:, None] * length_min[None, :] / 60.0, 0.0)
    return whole_unit_capacity(rate_per_hour, open_mask, length_min)


def build_pulp_model(model: PlanningModel) -> PulpBuild:
    """The LP of ``model`` as a ``pulp.LpProblem`` (maximise), built variable by variable."""
    scenario, terms, arcs = model.scenario, model.terms, model.arcs
    grid = terms.grid
    n_slots = grid.n_slots
    bounds = grid.boundaries_min
    objective = scenario.objective
    trucks, people = model.trucks, model.people
    started = time.perf_counter()

    # --- variables and objective terms -------------------------------------------------------
    x = [pulp.LpVariable(f"x_{m}", lowBound=0) for m in range(len(trucks))]
    truck_hours = (bounds[trucks.arr] - bounds[trucks.dep]) / 60.0
    s = {(int(pair), t): pulp.LpVariable(f"s_{pair}_{t}", lowBound=0) for pair in model.storage_pairs for t in range(n_slots)}
    u = [pulp.LpVariable(f"u_{i}", lowBound=0) for i in range(len(model.unload_place))]
    tiers = objective.tiers
    shares = np.array([0.0] + [tier.up_to_share for tier in tiers])
    weights = np.array([tier.weight for tier in tiers])
    priority = np.array([c.priority for c in scenario.commodities])
    need_ppd = np.zeros((len(scenario.zones), len(scenario.commodities)))
    commodity_index = {c.id: k for k, c in enumerate(scenario.commodities)}
    for z, zone in enumerate(scenario.zones):
        for commodity, amount in zone.needs_per_person_per_day.items():
            need_ppd[z, commodity_index[commodity]] = amount
    g, g_value = {}, {}
    for zone, kind, tier in zip(model.tier_zone, model.tier_kind, model.tier_index):
        key = (int(zone), int(kind), int(tier))
        g[key] = pulp.LpVariable(f"g_{zone}_{kind}_{tier}", lowBound=0, upBound=float((shares[tier + 1] - shares[tier]) * model.need_units[zone, kind]))
        g_value[key] = weights[tier] * priority[kind] / need_ppd[zone, kind]
    e = {(int(zone), int(kind)): pulp.LpVariable(f"e_{zone}_{kind}", lowBound=0) for zone, kind in zip(model.excess_zone, model.excess_kind)}
    y = [pulp.LpVariable(f"y_{m}", lowBound=0) for m in range(len(people))]
    safe = np.zeros((len(scenario.places), max(len(model.origins), 1)), dtype=bool)
    for o, places in enumerate(model.safe_places):
        safe[list(places), o] = True
    h = {(int(pair), t): pulp.LpVariable(f"h_{pair}_{t}", lowBound=0) for pair in model.holding_pairs for t in range(n_slots)}
    durations = sorted({int(d) for d in trucks.arr - trucks.dep}) if scenario.fleet is not None else []
    f = {(d, t): pulp.LpVariable(f"f_{d}_{t}", lowBound=0) for d in durations for t in range(n_slots)}

    problem = pulp.LpProblem(scenario.name.replace("-", "_"), pulp.LpMaximize)
    walk_hours = (bounds[people.arr] - bounds[people.dep]) / 60.0
    arrive_value = objective.person_days_per_person_safe * (1.0 + objective.earliness_bonus * (1.0 - bounds[people.arr] / grid.horizon_min))
    problem += (
        pulp.lpSum(-objective.truck_hour_cost * truck_hours[m] * x[m] for m in range(len(x)))
        + pulp.lpSum(g_value[key] * var for key, var in g.items())
        + pulp.lpSum(
            ((arrive_value[m] if safe[arcs.head[people.arc[m]], people.kind[m]] else 0.0) - PERSON_HOUR_COST * walk_hours[m]) * y[m]
            for m in range(len(y))
        )
    )
    variables_s = time.perf_counter() - started
    started = time.perf_counter()

    # --- constraints, family by family -------------------------------------------------------
    # Truck balance per (place, commodity, slot): holding, departures, arrivals, unloading = stock.
    out_x, in_x, out_u = defaultdict(list), defaultdict(list), defaultdict(list)
    for m in range(len(x)):
        out_x[(arcs.tail[trucks.arc[m]], trucks.kind[m], trucks.dep[m])].append(x[m])
        in_x[(arcs.head[trucks.arc[m]], trucks.kind[m], trucks.arr[m])].append(x[m])
    for i in range(len(u)):
        out_u[(model.unload_place[i], model.unload_kind[i], model.unload_slot[i])].append(u[i])
    nodes = model.truck_nodes
    for pair, (place, kind) in enumerate(zip(nodes.pair_place, nodes.pair_kind)):
        for t in range(n_slots):
            key = (place, kind, t)
            hold = []
            if (pair, t) in s:
                hold.append(s[(pair, t)])
            if (pair, t - 1) in s:
                hold.append(-1 * s[(pair, t - 1)])
            terms_ = hold + out_x.get(key, []) + out_u.get(key, [])
            arrivals = in_x.get(key, [])
            if terms_ or arrivals or model.supply_trucks[pair, t]:
                problem += pulp.lpSum(terms_) - pulp.lpSum(arrivals) == float(model.supply_trucks[pair, t])

    # People balance per (place, origin, slot); arrivals at a safe place leave the network.
    out_y, in_y = defaultdict(list), defaultdict(list)
    for m in range(len(y)):
        out_y[(arcs.tail[people.arc[m]], people.kind[m], people.dep[m])].append(y[m])
        head = arcs.head[people.arc[m]]
        if not safe[head, people.kind[m]]:
            in_y[(head, people.kind[m], people.arr[m])].append(y[m])
    pnodes = model.people_nodes
    if model.origins:
        for pair, (place, origin) in enumerate(zip(pnodes.pair_place, pnodes.pair_kind)):
            for t in range(n_slots):
                key = (place, origin, t)
                hold = []
                if (pair, t) in h:
                    hold.append(h[(pair, t)])
                if (pair, t - 1) in h:
                    hold.append(-1 * h[(pair, t - 1)])
                terms_ = hold + out_y.get(key, [])
                arrivals = in_y.get(key, [])
                if terms_ or arrivals or model.supply_people[pair, t]:
                    problem += pulp.lpSum(terms_) - pulp.lpSum(arrivals) == float(model.supply_people[pair, t])

    # Place truck throughput: departures plus unloading per (place, slot).
    place_rate = np.array([p.trucks_per_hour or np.inf for p in scenario.places])
    place_cap = _capacity(place_rate, terms.place_open, grid.length_min)
    leaving = defaultdict(list)
    for m in range(len(x)):
        leaving[(arcs.tail[trucks.arc[m]], trucks.dep[m])].append(x[m])
    for i in range(len(u)):
        leaving[(model.unload_place[i], model.unload_slot[i])].append(u[i])
    for (place, t), members in leaving.items():
        if np.isfinite(place_rate[place]):
            problem += pulp.lpSum(members) <= float(place_cap[place, t])

    # Road truck capacity per (arc, slot).
    arc_cap = _capacity(arcs.trucks_per_hour, np.ones((len(arcs), n_slots), dtype=bool), grid.length_min)
    entering = defaultdict(list)
    for m in range(len(x)):
        if np.isfinite(arcs.trucks_per_hour[trucks.arc[m]]):
            entering[(trucks.arc[m], trucks.dep[m])].append(x[m])
    for (arc, t), members in entering.items():
        problem += pulp.lpSum(members) <= float(arc_cap[arc, t])

    # People throughput at places and on roads per slot.
    people_rate = np.array([p.people_per_hour or np.inf for p in scenario.places])
    people_cap = _capacity(people_rate, terms.place_open, grid.length_min)
    walk_cap = _capacity(arcs.people_per_hour, np.ones((len(arcs), n_slots), dtype=bool), grid.length_min)
    by_place, by_arc = defaultdict(list), defaultdict(list)
    for m in range(len(y)):
        tail, arc = arcs.tail[people.arc[m]], people.arc[m]
        if np.isfinite(people_rate[tail]):
            by_place[(tail, people.dep[m])].append(y[m])
        if np.isfinite(arcs.people_per_hour[arc]):
            by_arc[(arc, people.dep[m])].append(y[m])
    for (place, t), members in by_place.items():
        problem += pulp.lpSum(members) <= float(people_cap[place, t])
    for (arc, t), members in by_arc.items():
        problem += pulp.lpSum(members) <= float(walk_cap[arc, t])

    # Daily quotas: trucks of the quota's commodities leaving its crossings that day (on a day a
    # proposal's windows cover in part, its quotas hold inside the windows, the policy's outside).
    slot_day = terms.slot_day
    for quota in terms.quotas:
        places, kinds = set(quota.places), set(quota.commodities)
        members = [
            x[m] for m in range(len(x))
            if arcs.tail[trucks.arc[m]] in places and trucks.kind[m] in kinds and slot_day[trucks.dep[m]] == quota.day
            and (quota.during_window is None or bool(terms.window_active[trucks.dep[m]]) == quota.during_window)
        ]
        problem += pulp.lpSum(members) <= float(np.floor(quota.trucks_per_day + 1e-9))

    # Fleet: departures counted by duration, each on the road (with its return) for d slots.
    if f:
        factor = 1.0 + scenario.fleet.return_factor
        by_departure = defaultdict(list)
        for m in range(len(x)):
            by_departure[(int(trucks.arr[m] - trucks.dep[m]), trucks.dep[m])].append(x[m])
        for (d, t), var in f.items():
            problem += var - pulp.lpSum(by_departure.get((d, t), [])) == 0.0
        for t in range(n_slots):
            problem += pulp.lpSum(factor * f[(d, t - lag)] for d in durations for lag in range(d) if t - lag >= 0) <= float(scenario.fleet.trucks)

    # Need tiers: delivered units (with the earliness weight) = tiers + excess, per (zone, commodity).
    zone_index = {zone.id: z for z, zone in enumerate(scenario.zones)}
    early = 1.0 + objective.aid_earliness_bonus * (1.0 - grid.midpoint_min / grid.horizon_min)
    delivered = defaultdict(list)
    for i in range(len(u)):
        place, kind, t = model.unload_place[i], model.unload_kind[i], model.unload_slot[i]
        delivered[(zone_index[scenario.places[place].zone], int(kind))].append(float(model.payload[kind] * early[t]) * u[i])
    for (zone, kind), excess in e.items():
        tier_vars = [g[(zone, kind, j)] for j in range(len(tiers))]
        problem += pulp.lpSum(tier_vars) + excess - pulp.lpSum(delivered[(zone, kind)]) == 0.0
    constraints_s = time.perf_counter() - started
    n_variables = len(x) + len(s) + len(u) + len(g) + len(e) + len(y) + len(h) + len(f)
    return PulpBuild(problem, n_variables, len(problem.constraints), variables_s, constraints_s)


def solve_pulp_model(build: PulpBuild, threads: int | None = None) -> tuple[float, float, float, str]:
    """Pass the problem to HiGHS through PuLP's highspy interface and solve it.

    Returns (objective, seconds to pass the model to HiGHS, seconds to solve, status)."""
    solver = pulp.HiGHS(msg=False, threads=threads)
    problem = build.problem
    solver.createAndConfigureSolver(problem)
    started = time.perf_counter()
    solver.buildSolverModel(problem)
    passed = time.perf_counter()
    solver.callSolver(problem)
    solved = time.perf_counter()
    highs = problem.solverModel
    status = highs.modelStatusToString(highs.getModelStatus())
    # PuLP hands HiGHS a minimisation of the negated objective.
    objective = -highs.getInfo().objective_function_value
    return objective, passed - started, solved - passed, status
