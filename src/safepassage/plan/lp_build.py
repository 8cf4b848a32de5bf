"""The planning LP: a time-expanded multi-commodity flow of loaded trucks (by commodity) and of people
on foot (by origin zone), built as arrays, one ``define_*`` function per constraint family.

Symbols (all indices are array positions):
    x[m]      trucks (truckloads) on truck movement m = (arc a, departure slot t, arrival slot t', commodity k)
    s[p,k,t]  truckloads of k held at place p at the end of slot t (holding places only)
    u[p,k,t]  truckloads of k offloaded at distribution point p in slot t
    g[z,k,j]  units of k delivered to zone z counted in objective tier j;  e[z,k] delivered beyond need
    y[m]      people on walking movement m = (arc, t, t', origin zone o)
    h[p,o,t]  people from o waiting at place p at the end of slot t
    f[d,t]    trucks departing in slot t on movements lasting d slots (fleet accounting)
    L_t       length of slot t in hours
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from safepassage.plan.departure import people_released
from safepassage.plan.destinations import define_destination_constraints
from safepassage.plan.lp_matrix import Block, LPMatrix
from safepassage.plan.moving_need import define_need_follows_people_constraints
from safepassage.plan.network import Arcs, Movements, screening_processed_per_leaving
from safepassage.plan.problem import PlanningProblem, compile_problem, whole_unit_capacity
from safepassage.plan.quotas import DayQuota, outside_places
from safepassage.plan.terms import Terms
from safepassage.plan.window_rules import offload_mask
from safepassage.scenario.model import Horizon, PlaceKind, Proposal, Scenario

__all__ = ["PlanningModel", "build_planning_model", "build_lp", "floor_capacity", "floor_shortfall_cost", "quota_counted_moves", "quota_net_moves", "whole_unit_capacity"]

PERSON_HOUR_COST = 1e-3  # person-days per person-hour walked: only breaks ties towards shorter walks
# Who goes first when zones share capacity: a zone's explicit evacuation_priority, else its hazard.
HAZARD_PRIORITY = {"low": 1.0, "medium": 1.0, "high": 1.02, "extreme": 1.05}
# Every zone is served: each origin's people reaching safety are at least this share of its
# proportional part (its released people over all released) of everyone reaching safety.
FAIR_SHARE = 0.5
# A truck short of an agreement's floor or share costs this many times the most a truckload is worth.
FLOOR_SHORTFALL_WEIGHT = 100.0


@dataclass
class NodeIndex:
    """Dense row numbering for (place, kind) pairs over all slots: row = base[pair] + t."""

    pair_place: np.ndarray
    pair_kind: np.ndarray
    lookup: np.ndarray  # (P, K) -> pair index or -1
    n_slots: int

    @property
    def n_pairs(self) -> int:
        return len(self.pair_place)

    def row(self, place: np.ndarray, kind: np.ndarray, slot: np.ndarray) -> np.ndarray:
        return self.lookup[place, kind] * self.n_slots + slot


def _node_index(n_places: int, n_kinds: int, places: np.ndarray, kinds: np.ndarray, n_slots: int) -> NodeIndex:
    lookup = np.full((n_places, n_kinds), -1, dtype=np.int64)
    if len(places):
        keys = np.unique(places * n_kinds + kinds)
        lookup[keys // n_kinds, keys % n_kinds] = np.arange(len(keys))
        return NodeIndex(keys // n_kinds, keys % n_kinds, lookup, n_slots)
    return NodeIndex(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), lookup, n_slots)


@dataclass
class PlanningModel:
    """A compiled problem's LP: its columns and rows, and the node numbering needed to read a solution
    back. Every fact about the scenario comes from ``problem``; the other fields name LP structure."""

    problem: PlanningProblem
    scenario: Scenario
    proposal: Proposal
    terms: Terms
    arcs: Arcs
    trucks: Movements
    people: Movements
    lp: LPMatrix
    truck_nodes: NodeIndex
    people_nodes: NodeIndex
    storage_pairs: np.ndarray  # truck node pairs with holding columns
    unload_place: np.ndarray
    unload_kind: np.ndarray
    unload_slot: np.ndarray
    tier_zone: np.ndarray
    tier_kind: np.ndarray
    tier_index: np.ndarray
    excess_zone: np.ndarray
    excess_kind: np.ndarray
    holding_pairs: np.ndarray  # people node pairs with holding columns
    origins: list[int]  # zone index per people kind
    assembly: list[int]
    safe_places: list[set[int]]
    supply_trucks: np.ndarray  # (n_truck_pairs, T) truckloads becoming available
    supply_people: np.ndarray  # (n_people_pairs, T)
    need_units: np.ndarray  # (Z, K) units needed over the horizon
    payload: np.ndarray  # (K,) units per truck
    horizon_days: float
    # (origin kind, place) pairs whose place is full and whose people redirect (plan/destinations.py)
    full_places: frozenset[tuple[int, int]] = frozenset()

    def col(self, name: str) -> Block:
        return self.lp.blocks[name]


def build_planning_model(
    scenario: Scenario,
    proposal: Proposal,
    horizon: Horizon | None = None,
    full_places: frozenset[tuple[int, int]] = frozenset(),
) -> PlanningModel:
    """Compile ``proposal`` over ``scenario`` and build its LP; raises ScenarioError for data it cannot plan.
    ``full_places``: (origin kind, place) pairs planned as full places people redirect from
    (``plan/destinations.py``)."""
    return build_lp(compile_problem(scenario, proposal, horizon), full_places)


def build_lp(problem: PlanningProblem, full_places: frozenset[tuple[int, int]] = frozenset()) -> PlanningModel:
    """The LP of a compiled problem: node numbering, then one ``define_*`` call per family."""
    scenario, terms, arcs, trucks, people = problem.scenario, problem.terms, problem.arcs, problem.trucks, problem.people
    n_slots, n_places = problem.n_slots, len(scenario.places)
    n_kinds = len(scenario.commodities)
    stock = problem.stock

    truck_nodes = _node_index(
        n_places, n_kinds,
        np.concatenate([arcs.tail[trucks.arc], arcs.head[trucks.arc], stock.place]),
        np.concatenate([trucks.kind, trucks.kind, stock.kind]),
        n_slots,
    )
    supply_trucks = np.zeros((truck_nodes.n_pairs, n_slots))
    if len(stock):
        np.add.at(supply_trucks, (truck_nodes.lookup[stock.place, stock.kind], stock.slot), stock.loads)

    origins, assembly, safe_mask = problem.origins, problem.assembly, problem.safe_mask
    n_origins = len(origins)
    walk_heads_unsafe = ~safe_mask[arcs.head[people.arc], people.kind] if len(people) else np.zeros(0, dtype=bool)
    people_nodes = _node_index(
        n_places, max(n_origins, 1),
        np.concatenate([arcs.tail[people.arc], arcs.head[people.arc][walk_heads_unsafe], np.array(assembly, dtype=np.int64)]),
        np.concatenate([people.kind, people.kind[walk_heads_unsafe], np.arange(n_origins, dtype=np.int64)]),
        n_slots,
    )
    supply_people = np.zeros((people_nodes.n_pairs, n_slots))
    released = people_released(scenario, problem.proposal, problem.grid, origins)  # the departure model's bound (plan/departure.py)
    for o in range(n_origins):
        supply_people[people_nodes.lookup[assembly[o], o]] += released[o]

    lp = LPMatrix()
    empty = np.zeros(0, dtype=np.int64)
    model = PlanningModel(
        problem, scenario, problem.proposal, terms, arcs, trucks, people, lp, truck_nodes, people_nodes,
        storage_pairs=empty, unload_place=empty, unload_kind=empty, unload_slot=empty, tier_zone=empty, tier_kind=empty,
        tier_index=empty, excess_zone=empty, excess_kind=empty, holding_pairs=empty, origins=origins, assembly=assembly,
        safe_places=problem.safe_places, supply_trucks=supply_trucks, supply_people=supply_people,
        need_units=problem.need_units, payload=problem.payload, horizon_days=problem.horizon_days,
        full_places=full_places,
    )
    define_truck_columns(model)
    define_people_columns(model)
    define_truck_balance_constraints(model)
    define_people_balance_constraints(model)
    define_screening_holding_constraints(model)
    define_place_truck_throughput_constraints(model)
    define_road_truck_capacity_constraints(model)
    define_place_people_throughput_constraints(model)
    define_road_people_capacity_constraints(model)
    define_quota_constraints(model)
    define_fleet_constraints(model)
    define_need_tier_constraints(model)
    define_need_follows_people_constraints(model)
    define_fair_evacuation_constraints(model)
    define_destination_constraints(model)
    define_offload_constraints(model)
    return model


def define_truck_columns(model: PlanningModel) -> None:
    """The truck families, with their objective coefficients (person-days) and bounds:
    x (moving), s (holding), u (offloading), g (delivered by value tier), e (beyond need)."""
    problem, lp = model.problem, model.lp
    scenario, terms, grid = problem.scenario, problem.terms, problem.grid
    objective = scenario.objective
    n_slots = grid.n_slots
    trucks = model.trucks
    need_ppd = problem.need_ppd

    # x: loaded trucks moving. A small cost per truck-hour so no truck moves for nothing.
    truck_hours = (grid.boundaries_min[trucks.arr] - grid.boundaries_min[trucks.dep]) / 60.0
    lp.add_columns("x", len(trucks), cost=-objective.truck_hour_cost * truck_hours)

    # s: holding at places that allow it (stock origins always do).
    holds = np.array([p.allows_holding for p in scenario.places], dtype=bool)
    model.storage_pairs = np.flatnonzero(holds[model.truck_nodes.pair_place])
    # No truck waits inside an enclave under the convoys-within-windows rule outside a window (stranded).
    stranded = _outside_window_inside_rule(scenario, terms)[model.truck_nodes.pair_place[model.storage_pairs]]
    lp.add_columns("s", len(model.storage_pairs) * n_slots, upper=np.where(stranded, 0.0, np.inf).ravel())

    # u: offloading at distribution points of zones that need the commodity, while the point is open.
    zone_of = problem.place_zone
    dp = problem.is_kind(PlaceKind.distribution_point)
    pairs = np.flatnonzero(dp[model.truck_nodes.pair_place] & (zone_of[model.truck_nodes.pair_place] >= 0))
    pair_zone = zone_of[model.truck_nodes.pair_place[pairs]]
    pairs = pairs[need_ppd[pair_zone, model.truck_nodes.pair_kind[pairs]] > 0]
    place = np.repeat(model.truck_nodes.pair_place[pairs], n_slots)
    kind = np.repeat(model.truck_nodes.pair_kind[pairs], n_slots)
    slot = np.tile(np.arange(n_slots), len(pairs))
    # Where convoys must finish inside windows, offload only when offloading and the empty return fit.
    within = offload_mask(scenario, grid.boundaries_min, terms.zone_covered, terms.road_usable)
    open_ = terms.place_open[place, slot] & within[place, slot]
    model.unload_place, model.unload_kind, model.unload_slot = place[open_], kind[open_], slot[open_]
    lp.add_columns("u", len(model.unload_place))

    # g, e: delivered units by objective tier (diminishing value), and beyond need (no value).
    delivered = np.zeros(need_ppd.shape, dtype=bool)
    delivered[zone_of[model.unload_place], model.unload_kind] = True
    zk = np.argwhere(delivered)
    n_tiers = len(problem.tier_weight)
    model.tier_zone = np.repeat(zk[:, 0], n_tiers)
    model.tier_kind = np.repeat(zk[:, 1], n_tiers)
    model.tier_index = np.tile(np.arange(n_tiers), len(zk))
    person_days_per_unit = 1.0 / need_ppd[model.tier_zone, model.tier_kind] if len(zk) else np.zeros(0)
    lp.add_columns(
        "g", len(model.tier_zone),
        cost=problem.tier_weight[model.tier_index] * problem.priority[model.tier_kind] * person_days_per_unit,
        upper=np.diff(problem.tier_share)[model.tier_index] * problem.need_units[model.tier_zone, model.tier_kind],
    )
    model.excess_zone, model.excess_kind = zk[:, 0], zk[:, 1]
    lp.add_columns("e", len(zk))


def define_people_columns(model: PlanningModel) -> None:
    """The people families: y (walking; reaching a safe place is worth person_days_per_person_safe,
    more if earlier) and h (waiting at home or at places that allow it until a window opens)."""
    problem, lp = model.problem, model.lp
    scenario, grid, arcs, people = problem.scenario, problem.grid, problem.arcs, model.people
    objective = scenario.objective
    if len(people):
        arrives_safe = problem.safe_mask[arcs.head[people.arc], people.kind]
        arrive_min = grid.boundaries_min[people.arr]
        priority = np.array([_evacuation_priority(scenario.zones[z]) for z in model.origins])
        value = priority[people.kind] * objective.person_days_per_person_safe * (1.0 + objective.earliness_bonus * (1.0 - arrive_min / grid.horizon_min))
        walk_hours = (grid.boundaries_min[people.arr] - grid.boundaries_min[people.dep]) / 60.0
        cost = np.where(arrives_safe, value, 0.0) - PERSON_HOUR_COST * walk_hours
    else:
        cost = np.zeros(0)
    lp.add_columns("y", len(people), cost=cost)

    holds_people = np.array([p.allows_holding for p in scenario.places], dtype=bool)
    # A screening point with a holding area lets people queue there (up to holding_people: see
    # define_screening_holding_constraints); holding_people 0 means no one may wait there.
    for i, place in enumerate(scenario.places):
        if place.screening is not None and place.screening.holding_people is not None:
            holds_people[i] = place.screening.holding_people > 0
    holds_people[model.assembly] = True
    model.holding_pairs = np.flatnonzero(holds_people[model.people_nodes.pair_place]) if model.origins else np.zeros(0, dtype=np.int64)
    # Waiting is not free: a person-hour waiting away from home (its origin's assembly place) costs.
    pair_place, pair_origin = model.people_nodes.pair_place[model.holding_pairs], model.people_nodes.pair_kind[model.holding_pairs]
    at_home = pair_place == np.array(model.assembly, dtype=np.int64)[pair_origin] if model.origins else np.zeros(0, dtype=bool)
    waiting_cost = objective.person_hour_waiting_cost * np.where(at_home[:, None], 0.0, grid.length_min[None, :] / 60.0)
    lp.add_columns("h", len(model.holding_pairs) * grid.n_slots, cost=-waiting_cost.ravel())


def _outside_window_inside_rule(scenario: Scenario, terms: Terms) -> np.ndarray:
    """bool (P, T): slots outside every window at places inside a zone whose convoys must finish in windows."""
    out = np.zeros((len(scenario.places), terms.grid.n_slots), dtype=bool)
    for p, place in enumerate(scenario.places):
        z = _zone_index(scenario, place.zone)
        if z >= 0 and scenario.zones[z].convoys_within_windows:
            out[p] = ~terms.zone_covered[z]
    return out


def define_offload_constraints(model: PlanningModel) -> None:
    """Offloading takes time per truck: at a place with ``offload_minutes_per_truck``,

        Σ_k u[p,k,t] ≤ (60 / offload_minutes_per_truck) · L_t   (whole trucks per slot)"""
    scenario, u = model.scenario, model.col("u")
    rate = np.array([60.0 / p.offload_minutes_per_truck if p.offload_minutes_per_truck else np.inf for p in scenario.places])
    limited = np.isfinite(rate[model.unload_place])
    labels = [f"offload:{p.id}" for p in scenario.places]
    capacity = whole_unit_capacity(rate, model.terms.place_open, model.terms.grid.length_min)
    _grouped_rows(model, "offload", "place", model.unload_place[limited], model.unload_slot[limited], u.start + np.flatnonzero(limited), capacity, labels, "truck per hour")


def _evacuation_priority(zone) -> float:
    """Weight of a person from ``zone`` reaching safety: explicit ``evacuation_priority``, else by hazard."""
    return zone.evacuation_priority if zone.evacuation_priority is not None else HAZARD_PRIORITY[zone.hazard]


def _zone_index(scenario: Scenario, zone_id: str | None) -> int:
    if zone_id is None:
        return -1
    return next(i for i, z in enumerate(scenario.zones) if z.id == zone_id)


def _balance_rows(model: PlanningModel, name: str, kind: str, nodes, moves: Movements, col: Block, hold_pairs: np.ndarray, hold_col: Block, supply: np.ndarray, head_ok: np.ndarray) -> int:
    lp, arcs = model.lp, model.arcs
    n_slots = model.terms.grid.n_slots
    pairs = np.arange(nodes.n_pairs)
    labels = [f"{model.scenario.places[p].id}" for p in nodes.pair_place]
    start = lp.add_rows(
        name, kind, supply.ravel(), supply.ravel(), np.repeat(pairs, n_slots), np.tile(np.arange(n_slots), nodes.n_pairs), labels, unit="truckload" if kind == "stock" else "person",
    ).start
    idx = np.arange(len(moves))
    lp.add_entries(start + nodes.row(arcs.tail[moves.arc], moves.kind, moves.dep), col.start + idx, 1.0)
    lp.add_entries(start + nodes.row(arcs.head[moves.arc][head_ok], moves.kind[head_ok], moves.arr[head_ok]), col.start + idx[head_ok], -1.0)
    # Holding: s[t] enters row t with +1 and row t+1 with -1.
    hold = np.repeat(hold_pairs, n_slots) * n_slots + np.tile(np.arange(n_slots), len(hold_pairs))
    hold_cols = hold_col.start + np.arange(len(hold))
    lp.add_entries(start + hold, hold_cols, 1.0)
    later = (hold % n_slots) < n_slots - 1
    lp.add_entries(start + hold[later] + 1, hold_cols[later], -1.0)
    return start


def define_truck_balance_constraints(model: PlanningModel) -> None:
    """Truckloads are conserved at every place, commodity and slot:

        s[p,k,t] - s[p,k,t-1] + Σ_{m: tail=p, dep=t} x[m] - Σ_{m: head=p, arr=t} x[m] + u[p,k,t] = stock[p,k,t]

    (s[.,.,-1] = 0; places without holding have no s, so what arrives must leave in the same slot)."""
    n_slots = model.terms.grid.n_slots
    start = _balance_rows(
        model, "truck_balance", "stock", model.truck_nodes, model.trucks, model.col("x"), model.storage_pairs, model.col("s"), model.supply_trucks,
        np.ones(len(model.trucks), dtype=bool),
    )
    u = model.col("u")
    rows = model.truck_nodes.row(model.unload_place, model.unload_kind, model.unload_slot)
    model.lp.add_entries(start + rows, u.start + np.arange(u.size), 1.0)
    del n_slots


def define_people_balance_constraints(model: PlanningModel) -> None:
    """People are conserved at every place, origin zone and slot until they reach a safe place or are
    stopped at a screening point:

        h[p,o,t] - h[p,o,t-1] + c_p · Σ_{m: tail=p, dep=t} y[m] - Σ_{m: head=p, arr=t, p not safe for o} y[m] = released[o,t]·[p = assembly(o)]

    c_p = 1 / (1 − δ_p), δ_p the share a screening point detains or turns back (1 elsewhere): of the
    c_p · y processed when leaving p, δ_p · c_p · y are stopped there (``plan/kpi.py`` counts them)."""
    if not model.origins:
        model.lp.add_rows("people_balance", "people", np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0), [])
        return
    safe = np.zeros((len(model.scenario.places), len(model.origins)), dtype=bool)
    for o, places in enumerate(model.safe_places):
        safe[list(places), o] = True
    head_ok = ~safe[model.arcs.head[model.people.arc], model.people.kind]
    start = _balance_rows(model, "people_balance", "people", model.people_nodes, model.people, model.col("y"), model.holding_pairs, model.col("h"), model.supply_people, head_ok)
    # Screening stops some: 1/(1 − δ) people are processed at p for each who walks on (network.py).
    extra = screening_processed_per_leaving(model.scenario)[model.arcs.tail[model.people.arc]] - 1.0
    lossy = np.flatnonzero(extra > 0)
    rows = model.people_nodes.row(model.arcs.tail[model.people.arc[lossy]], model.people.kind[lossy], model.people.dep[lossy])
    model.lp.add_entries(start + rows, model.col("y").start + lossy, extra[lossy])


def define_screening_holding_constraints(model: PlanningModel) -> None:
    """A screening point's holding area holds at most ``holding_people`` people waiting (all origins):

        Σ_o h[p,o,t] ≤ holding_people[p]   for every screening place p with a holding area and slot t"""
    n_slots = model.terms.grid.n_slots
    pair_place = model.people_nodes.pair_place[model.holding_pairs] if len(model.holding_pairs) else np.zeros(0, dtype=np.int64)
    capped = {
        i: float(p.screening.holding_people)
        for i, p in enumerate(model.scenario.places)
        if p.screening is not None and p.screening.holding_people is not None and i not in set(model.assembly)
    }
    places = np.array(sorted(q for q in capped if np.any(pair_place == q)), dtype=np.int64)
    if len(places) == 0:
        model.lp.add_rows("screening_holding", "people", np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0), [], unit="person")
        return
    upper = np.repeat([capped[int(q)] for q in places], n_slots)
    labels = [model.scenario.places[int(q)].id for q in range(len(model.scenario.places))]
    block = model.lp.add_rows(
        "screening_holding", "people", -np.inf, upper, np.repeat(places, n_slots), np.tile(np.arange(n_slots), len(places)), labels, unit="person",
    )
    row_of_place = {int(q): k for k, q in enumerate(places)}
    h = model.col("h")
    for j, place in enumerate(pair_place):
        k = row_of_place.get(int(place))
        if k is None:
            continue
        model.lp.add_entries(block.start + k * n_slots + np.arange(n_slots), h.start + j * n_slots + np.arange(n_slots), 1.0)


def _grouped_rows(
    model: PlanningModel, name: str, kind: str, entity: np.ndarray, slot: np.ndarray, cols: np.ndarray, capacity: np.ndarray, labels: list[str], unit: str,
    coefficient: np.ndarray | float = 1.0,
) -> None:
    """One ≤ row per distinct (entity, slot) among the given columns: Σ coefficient · cols ≤
    capacity[entity, slot], the compiled problem's whole-unit capacity (entities × slots)."""
    if len(cols) == 0:
        model.lp.add_rows(name, kind, np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0), labels, unit=unit)
        return
    grid = model.terms.grid
    n_slots = grid.n_slots
    keys, inverse = np.unique(entity * n_slots + slot, return_inverse=True)
    row_entity, row_slot = keys // n_slots, keys % n_slots
    hours = grid.length_min[row_slot] / 60.0
    block = model.lp.add_rows(name, kind, -np.inf, capacity[row_entity, row_slot], row_entity, row_slot, labels, scale=hours, unit=unit)
    model.lp.add_entries(block.start + inverse, cols, coefficient)


def define_place_truck_throughput_constraints(model: PlanningModel) -> None:
    """Trucks leaving (or offloading at) a place per slot stay within its throughput while open:

        Σ_{m: tail=p, dep=t} x[m] + Σ_k u[p,k,t] ≤ cap[p,t],  Σ_{t'≤t} cap[p,t'] = ⌊trucks_per_hour[p] · open hours to t⌋
    (whole trucks per slot; closed slots have no columns at all)."""
    scenario, arcs = model.scenario, model.arcs
    rate = model.problem.place_truck_rate
    x, u = model.col("x"), model.col("u")
    place = np.concatenate([arcs.tail[model.trucks.arc], model.unload_place])
    slot = np.concatenate([model.trucks.dep, model.unload_slot])
    cols = np.concatenate([x.start + np.arange(x.size), u.start + np.arange(u.size)])
    limited = np.isfinite(rate[place])
    kinds = {PlaceKind.crossing: "crossing", PlaceKind.inspection: "inspection", PlaceKind.checkpoint: "checkpoint"}
    kind_of = [kinds.get(p.kind, "place") for p in scenario.places]
    _grouped_rows(model, "place_trucks", "place", place[limited], slot[limited], cols[limited], model.problem.place_trucks_cap, [f"{kind_of[i]}:{p.id}" for i, p in enumerate(scenario.places)], "truck per hour")


def define_road_truck_capacity_constraints(model: PlanningModel) -> None:
    """Trucks entering a road (per direction) per slot stay within its capacity:

        Σ_{m: arc=a, dep=t} x[m] ≤ cap[a,t]  (whole trucks per slot adding up to trucks_per_hour · hours)"""
    _road_rows(model, "road_trucks", model.trucks, model.col("x"), model.arcs.trucks_per_hour, model.problem.road_trucks_cap, "truck per hour")


def _road_rows(model: PlanningModel, name: str, moves: Movements, col: Block, rate_per_hour: np.ndarray, capacity: np.ndarray, unit: str) -> None:
    """Capacity rows per (directed arc, slot) for the moves on arcs with a finite rate."""
    arcs = model.arcs
    limited = np.isfinite(rate_per_hour[moves.arc])
    labels = [model.scenario.roads[arcs.road[a]].id for a in range(len(arcs))]
    _grouped_rows(model, name, name, moves.arc[limited], moves.dep[limited], col.start + np.flatnonzero(limited), capacity, labels, unit)


def define_place_people_throughput_constraints(model: PlanningModel) -> None:
    """People leaving a place (e.g. screened at a checkpoint) per slot stay within its rate; a
    screening point counts everyone it processes, those it stops too (c_p as in the people balance):

        Σ_{m: tail=p, dep=t} c_p · y[m] ≤ people_per_hour[p] · L_t"""
    scenario, arcs, y = model.scenario, model.arcs, model.col("y")
    rate = model.problem.place_people_rate
    place = arcs.tail[model.people.arc]
    limited = np.isfinite(rate[place])
    labels = [f"{p.kind.value}:{p.id}" for p in scenario.places]
    processed = screening_processed_per_leaving(scenario)[place[limited]]
    _grouped_rows(model, "place_people", "place_people", place[limited], model.people.dep[limited], y.start + np.flatnonzero(limited), model.problem.place_people_cap, labels, "person per hour", coefficient=processed)


def define_road_people_capacity_constraints(model: PlanningModel) -> None:
    """People entering a road section per slot stay within its pedestrian capacity:

        Σ_{m: arc=a, dep=t} y[m] ≤ people_per_hour[road(a)] · L_t"""
    _road_rows(model, "road_people", model.people, model.col("y"), model.arcs.people_per_hour, model.problem.road_people_cap, "person per hour")


def define_quota_constraints(model: PlanningModel) -> None:
    """Quota ceilings: trucks of the quota's commodities leaving its crossings in the slots it counts
    (a local day, or an agreement day's window hours: ``plan/quotas.py``):

        Σ_{m: tail ∈ C_q, k ∈ K_q, dep ∈ S_q} x[m] ≤ ⌊trucks_per_day[q]⌋
    On a day a proposal's windows cover in part, the proposal's quotas count only slots inside its
    windows and the policy's only slots outside, each prorated by the hours it covers. Floors and
    shares follow (``define_quota_floor_constraints``)."""
    quotas = model.terms.quotas
    labels = sorted({q.label for q in quotas})
    label_index = {label: i for i, label in enumerate(labels)}
    block = model.lp.add_rows(
        "quota", "quota", -np.inf, np.array([q.trucks_whole for q in quotas], dtype=np.float64),
        np.array([label_index[q.label] for q in quotas], dtype=np.int64), np.array([q.day for q in quotas], dtype=np.int64), labels, unit="truck per day",
    )
    for r, quota in enumerate(quotas):
        cols = quota_counted_moves(model, quota)
        model.lp.add_entries(np.full(len(cols), block.start + r), model.col("x").start + cols, 1.0)
    define_quota_floor_constraints(model)


def quota_counted_moves(model: PlanningModel, quota: DayQuota) -> np.ndarray:
    """Truck movements (x indices) a quota counts: leaving its places, of its commodities, in its slots."""
    tail = model.arcs.tail[model.trucks.arc]
    in_place = np.zeros(len(model.scenario.places), dtype=bool)
    in_place[list(quota.places)] = True
    in_kind = np.zeros(len(model.scenario.commodities), dtype=bool)
    in_kind[list(quota.commodities)] = True
    return np.flatnonzero(in_place[tail] & in_kind[model.trucks.kind] & quota.slots[model.trucks.dep])


def quota_net_moves(model: PlanningModel, quota: DayQuota) -> tuple[np.ndarray, np.ndarray]:
    """Truck movements (x indices) a floor or a share counts, as (entering, coming back): loaded trucks
    of its commodities leaving its places in its slots for a place not outside (``outside_places``), and
    those arriving into its places in its slots from such a place. Their difference is the net count
    (docs/agreements.md): a truck driving gate → inside → gate → inside counts once, not twice."""
    arc = model.trucks.arc
    tail, head = model.arcs.tail[arc], model.arcs.head[arc]
    inside = np.ones(len(model.scenario.places), dtype=bool)
    inside[list(outside_places(model.scenario))] = False
    in_place = np.zeros(len(model.scenario.places), dtype=bool)
    in_place[list(quota.places)] = True
    in_kind = np.zeros(len(model.scenario.commodities), dtype=bool)
    in_kind[list(quota.commodities)] = True
    kind = in_kind[model.trucks.kind]
    arr = model.trucks.arr
    arr_counted = np.zeros(len(arr), dtype=bool)
    within = arr < len(quota.slots)
    arr_counted[within] = quota.slots[arr[within]]
    entering = np.flatnonzero(in_place[tail] & inside[head] & ~in_place[head] & kind & quota.slots[model.trucks.dep])
    back = np.flatnonzero(in_place[head] & inside[tail] & ~in_place[tail] & kind & arr_counted)
    return entering, back


def floor_shortfall_cost(model: PlanningModel) -> float:
    """Objective cost (person-days) of one truck short of a floor or a share: FLOOR_SHORTFALL_WEIGHT
    times the most any truckload is worth, so the plan meets every floor it can before anything else."""
    g = model.col("g")
    cost = model.lp.vectors()[0][g.slice()]
    early = 1.0 + model.scenario.objective.aid_earliness_bonus
    per_truck = cost * model.payload[model.tier_kind] * early if g.size else np.zeros(0)
    return FLOOR_SHORTFALL_WEIGHT * max(1.0, float(per_truck.max()) if per_truck.size else 1.0)


def floor_capacity(model: PlanningModel, quota: DayQuota) -> float:
    """The most trucks a quota's crossings can pass in the slots it counts, while its commodities are
    admitted (whole trucks; inf where a crossing has no limit)."""
    terms = model.terms
    slots = quota.slots & terms.admitted_slots[np.array(quota.commodities, dtype=np.int64)].any(axis=0)
    cap = model.problem.place_trucks_cap[np.ix_(np.array(quota.places, dtype=np.int64), np.flatnonzero(slots))]
    return float(cap.sum()) if cap.size else 0.0


def define_quota_floor_constraints(model: PlanningModel) -> None:
    """Quota floors and shares, soft: a shortfall column q[r] ≥ 0 per row, each truck short costing
    ``floor_shortfall_cost`` (the plan reports every shortfall; see docs/agreements.md):

        floor:  N_q + q[r] ≥ ⌈trucks_per_day[q]⌉   (0 when that is above its crossings' capacity in S_q)
        share:  Σ_{p ∈ Z_q, k ∈ K_q, t ∈ period(q)} u[p,k,t] − share_q · N_q + q[r] ≥ 0
    (of the trucks the quota counts in a period, at least ``share`` are offloaded in its zones in that
    period). N_q is the net count: Σ x over loaded trucks leaving C_q in S_q for a place not outside
    minus Σ x over those arriving into C_q in S_q from one (``quota_net_moves``), so a truck driving
    round a crossing counts once; ceilings keep counting every departure."""
    floors = model.terms.quota_floors
    rows = [(q, "floor") for q in floors if q.at_least] + [(q, "share") for q in floors if q.share is not None]
    labels = sorted({q.label for q, _ in rows})
    label_index = {label: i for i, label in enumerate(labels)}
    # A floor above what its crossings can pass in the hours it counts cannot be met by any plan: it is
    # reported as a shortfall with that limit named (plan/quota_floors.py), not planned and not penalised
    # (a row forcing every crossing slot full would also give the crossings meaningless shadow prices).
    lower = np.array(
        [q.trucks_whole if kind == "floor" and q.trucks_whole <= floor_capacity(model, q) else 0.0 for q, kind in rows],
        dtype=np.float64,
    )
    entity = np.array([label_index[q.label] for q, _ in rows], dtype=np.int64)
    day = np.array([q.day for q, _ in rows], dtype=np.int64)
    model.lp.add_columns("quota_shortfall", len(rows), cost=-floor_shortfall_cost(model))
    block = model.lp.add_rows("quota_floor", "quota", lower, np.inf, entity, day, labels, unit="truck per day")
    x, u, short = model.col("x"), model.col("u"), model.col("quota_shortfall")
    model.lp.add_entries(block.start + np.arange(len(rows)), short.start + np.arange(len(rows)), 1.0)
    for r, (quota, kind) in enumerate(rows):
        entering, back = quota_net_moves(model, quota)
        weight = 1.0 if kind == "floor" else -float(quota.share or 0.0)
        model.lp.add_entries(np.full(len(entering), block.start + r), x.start + entering, weight)
        model.lp.add_entries(np.full(len(back), block.start + r), x.start + back, -weight)
        if kind == "share":
            in_zone = np.isin(model.problem.place_zone[model.unload_place], quota.zones)
            offloads = np.flatnonzero(in_zone & np.isin(model.unload_kind, quota.commodities) & quota.period_slots[model.unload_slot])
            model.lp.add_entries(np.full(len(offloads), block.start + r), u.start + offloads, 1.0)


def define_fleet_constraints(model: PlanningModel) -> None:
    """The fleet bounds trucks in use: a truck is in use from its first departure until it is back,
    so it counts while it moves loaded (with its empty return), and while it waits loaded anywhere
    but at its origin (queued at an inspection point or a crossing, waiting for a window or for a
    distribution point to open):

        f[d,t] = Σ_{m: arr-dep = d, dep = t} x[m]
        (1 + return_factor) · Σ_d Σ_{t-d < t' ≤ t} f[d,t'] + Σ_{(p,k) not a stock origin} s[p,k,t] ≤ fleet   for every slot t
    Truckloads held at a place with stock of their commodity are stock, not trucks. Grouping
    departures by duration keeps the matrix small: each row has Σ_d d entries."""
    fleet = model.scenario.fleet
    n_slots = model.terms.grid.n_slots
    lp, x = model.lp, model.col("x")
    if fleet is None or len(model.trucks) == 0:
        lp.add_columns("f", 0)
        lp.add_rows("fleet_count", "fleet", np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0), [])
        lp.add_rows("fleet", "fleet", np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0), ["fleet"])
        return
    duration = model.trucks.arr - model.trucks.dep
    durations, d_index = np.unique(duration, return_inverse=True)
    f = lp.add_columns("f", len(durations) * n_slots)
    count = lp.add_rows("fleet_count", "fleet", 0.0, 0.0, np.repeat(np.arange(len(durations)), n_slots), np.tile(np.arange(n_slots), len(durations)), [str(d) for d in durations])
    lp.add_entries(count.start + d_index * n_slots + model.trucks.dep, x.start + np.arange(x.size), 1.0)
    lp.add_entries(count.start + np.arange(f.size), f.start + np.arange(f.size), -1.0)
    factor = 1.0 + fleet.return_factor
    rows = lp.add_rows("fleet", "fleet", -np.inf, float(fleet.trucks), np.zeros(n_slots, dtype=np.int64), np.arange(n_slots), ["fleet"], scale=1.0 / factor, unit="truck")
    for j, d in enumerate(durations):
        # f[d, t'] counts in rows t' .. t'+d-1.
        for lag in range(int(d)):
            t_prime = np.arange(n_slots - lag)
            lp.add_entries(rows.start + t_prime + lag, f.start + j * n_slots + t_prime, factor)
    # s[p,k,t]: loaded trucks waiting at the end of slot t (they leave, or wait on, in slot t + 1).
    s = model.col("s")
    waiting = np.flatnonzero(model.supply_trucks[model.storage_pairs].sum(axis=1) == 0)
    if len(waiting):
        t = np.arange(n_slots)
        cols = s.start + (waiting[:, None] * n_slots + t[None, :]).ravel()
        lp.add_entries(rows.start + np.tile(t, len(waiting)), cols, 1.0)


def define_need_tier_constraints(model: PlanningModel) -> None:
    """Delivered units are split into value tiers (plus excess beyond need):

        Σ_j g[z,k,j] + e[z,k] = Σ_{p ∈ z, t} payload[k] · (1 + aid_earliness_bonus·(1 - t_mid/H)) · u[p,k,t]"""
    scenario, lp, grid = model.scenario, model.lp, model.terms.grid
    n_kinds = len(scenario.commodities)
    pairs = model.excess_zone * n_kinds + model.excess_kind
    block = lp.add_rows("need_tiers", "need", 0.0, 0.0, model.excess_zone, model.excess_kind, [z.id for z in scenario.zones])
    if len(pairs) == 0:
        return
    row_of = {int(key): i for i, key in enumerate(pairs)}
    g, e, u = model.col("g"), model.col("e"), model.col("u")
    tier_rows = np.array([row_of[int(k)] for k in model.tier_zone * n_kinds + model.tier_kind], dtype=np.int64)
    lp.add_entries(block.start + tier_rows, g.start + np.arange(g.size), 1.0)
    lp.add_entries(block.start + np.arange(e.size), e.start + np.arange(e.size), 1.0)
    zone_of = model.problem.place_zone
    lookup = np.full(len(scenario.zones) * n_kinds, -1, dtype=np.int64)
    lookup[pairs] = np.arange(len(pairs))
    u_rows = lookup[zone_of[model.unload_place] * n_kinds + model.unload_kind]
    early = 1.0 + scenario.objective.aid_earliness_bonus * (1.0 - grid.midpoint_min[model.unload_slot] / grid.horizon_min)
    lp.add_entries(block.start + u_rows, u.start + np.arange(u.size), -model.payload[model.unload_kind] * early)


def define_fair_evacuation_constraints(model: PlanningModel) -> None:
    """Every zone with people released to leave is served when zones share capacity:

        Σ_{m: kind=o, head safe for o} y[m] − FAIR_SHARE · w_o · Σ_{m: head safe} y[m] ≥ 0,   w_o = released_o / Σ_o' released_o'

    for each origin o that can reach safety at all (origins without any usable path are left out)."""
    n_origins = len(model.origins)
    people = model.people
    if n_origins < 2 or len(people) == 0:
        model.lp.add_rows("fair_evacuation", "people", np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0), [])
        return
    safe = np.zeros((len(model.scenario.places), n_origins), dtype=bool)
    for o, places in enumerate(model.safe_places):
        safe[list(places), o] = True
    arrives_safe = np.flatnonzero(safe[model.arcs.head[people.arc], people.kind])
    reachable = np.zeros(n_origins, dtype=bool)
    reachable[np.unique(people.kind[arrives_safe])] = True
    released = np.zeros(n_origins)
    for o in range(n_origins):
        released[o] = model.supply_people[model.people_nodes.lookup[model.assembly[o], o]].sum()
    released[~reachable] = 0.0
    total = released.sum()
    rows = np.flatnonzero(released > 0)
    labels = [model.scenario.zones[z].id for z in model.origins]
    block = model.lp.add_rows("fair_evacuation", "people", np.zeros(len(rows)), np.full(len(rows), np.inf), rows, np.zeros(len(rows), dtype=np.int64), labels, unit="person")
    if total <= 0 or len(rows) == 0:
        return
    y = model.col("y")
    for r, origin in enumerate(rows.tolist()):
        share = FAIR_SHARE * released[origin] / total
        coefficient = np.where(people.kind[arrives_safe] == origin, 1.0 - share, -share)
        model.lp.add_entries(np.full(len(arrives_safe), block.start + r), y.start + arrives_safe, coefficient)
