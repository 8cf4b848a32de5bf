"""From the LP optimum to a plan of whole trucks and whole people, by rounding and repair.

1. Decompose the LP flow into paths (groups moving together).
2. Round every path down to whole trucks (people): always feasible, since every limit is a ≤ on
   non-negative flows.
3. Repair: add trucks one at a time to the paths worth most at the margin while every capacity
   (places, roads, quotas, fleet, stock) still holds; then solve the small integer program over the
   LP's own paths (price-and-branch), started from that greedy plan, and keep it if it is better.
4. When that plan is still more than 0.5 % below the LP bound: the whole-truck flow over the LP's
   arcs in every slot and for every commodity (``plan/whole_truck_flow.py``), kept if it is better.
The plan's value is computed by the same objective as the LP, so ``bound - value`` is a true gap.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from safepassage.plan.decompose import SINK, FlowEdges, Path, PathEdgeArrays, decompose
from safepassage.plan.lp_build import PlanningModel
from safepassage.plan.moving_need import moved_need_units
from safepassage.plan.network import screening_processed_per_leaving
from safepassage.plan.quota_floors import QuotaFloors, path_incidence
from safepassage.plan.solve import LPSolution
from safepassage.plan.whole_truck_flow import whole_truck_flow

__all__ = ["FlowPaths", "IntegerPlan", "DecodedPath", "decode_paths", "integer_plan", "truck_paths", "people_paths", "round_and_repair", "plan_value", "capacity_labels"]

TOL = 1e-6


@dataclass
class FlowPaths:
    """Delivered paths of one flow with their LP amounts and per-path facts."""

    paths: list[Path]
    edges: FlowEdges
    amount: np.ndarray  # LP amount per path
    kind: np.ndarray  # commodity (trucks) or origin (people)
    end_slot: np.ndarray  # slot of offloading / arrival
    end_place: np.ndarray

    @cached_property
    def edge_arrays(self) -> PathEdgeArrays:
        """The paths' edges as arrays, made once (``paths`` is not changed after construction)."""
        return PathEdgeArrays.of(self.paths)


@dataclass(frozen=True)
class DecodedPath:
    """A group of whole trucks (or people) moving together, in problem terms, not LP columns:
    ``kind`` is the commodity (trucks) or origin index (people); ``legs`` are (arc, departure slot,
    arrival slot) in order; the group ends offloaded (trucks) or safe (people) at ``end_place`` in
    ``end_slot``."""

    kind: int
    amount: int
    legs: tuple[tuple[int, int, int], ...]
    end_place: int
    end_slot: int

    @property
    def departs_slot(self) -> int:
        """Slot of the first departure (the end slot for a group that does not move)."""
        return self.legs[0][1] if self.legs else self.end_slot


@dataclass
class IntegerPlan:
    """Whole trucks per truck path and whole people per people path, with the plan's value.

    ``truck_routes`` and ``people_routes`` are the decoded groups with a positive amount, in path
    order: KPIs, the schedule and re-planning read these, never the LP's column offsets."""

    trucks: FlowPaths
    people: FlowPaths
    trucks_int: np.ndarray
    people_int: np.ndarray
    value: float
    truck_routes: list[DecodedPath]
    people_routes: list[DecodedPath]


def decode_paths(model: PlanningModel, flow: FlowPaths, amounts: np.ndarray, column_block: str) -> list[DecodedPath]:
    """The paths of ``flow`` with a positive whole ``amount``, decoded (``column_block``: "x" for
    trucks, "y" for people)."""
    block = model.col(column_block)
    moves = model.trucks if column_block == "x" else model.people
    chosen = np.flatnonzero(np.asarray(amounts) > 0)
    if len(chosen) == 0:
        return []
    arrays = flow.edge_arrays
    is_move = flow.edges.edge_type[arrays.flat] == 0
    m = flow.edges.ref[arrays.flat[is_move]] - block.start
    legs = list(zip(moves.arc[m].tolist(), moves.dep[m].tolist(), moves.arr[m].tolist(), strict=True))
    moves_before = np.concatenate([[0], np.cumsum(is_move)])[arrays.start].tolist()  # per path: its legs' slice
    kind, end_place, end_slot = flow.kind.tolist(), flow.end_place.tolist(), flow.end_slot.tolist()
    amount = np.asarray(amounts)[chosen].tolist()
    return [
        DecodedPath(int(kind[j]), int(a), tuple(legs[moves_before[j]:moves_before[j + 1]]), int(end_place[j]), int(end_slot[j]))
        for j, a in zip(chosen.tolist(), amount, strict=True)
    ]


def integer_plan(model: PlanningModel, trucks: FlowPaths, people: FlowPaths, trucks_int: np.ndarray, people_int: np.ndarray) -> IntegerPlan:
    """An integer plan from whole amounts per path: valued with the LP's objective, and decoded."""
    trucks_int = np.asarray(trucks_int).astype(np.int64)
    people_int = np.asarray(people_int).astype(np.int64)
    return IntegerPlan(
        trucks, people, trucks_int, people_int, plan_value(model, trucks, trucks_int, people, people_int),
        decode_paths(model, trucks, trucks_int, "x"), decode_paths(model, people, people_int, "y"),
    )


def _truck_edges(model: PlanningModel, x_all: np.ndarray) -> FlowEdges:
    n_slots = model.terms.grid.n_slots
    nodes, arcs, moves = model.truck_nodes, model.arcs, model.trucks
    x, s, u = model.col("x"), model.col("s"), model.col("u")
    hold_rows = np.repeat(model.storage_pairs, n_slots) * n_slots + np.tile(np.arange(n_slots), len(model.storage_pairs))
    hold_next = np.where(hold_rows % n_slots < n_slots - 1, hold_rows + 1, SINK)
    unload_rows = nodes.row(model.unload_place, model.unload_kind, model.unload_slot)
    return FlowEdges(
        source_row=np.concatenate([nodes.row(arcs.tail[moves.arc], moves.kind, moves.dep), hold_rows, unload_rows]),
        target_row=np.concatenate([nodes.row(arcs.head[moves.arc], moves.kind, moves.arr), hold_next, np.full(u.size, SINK)]),
        flow=np.concatenate([x_all[x.slice()], x_all[s.slice()], x_all[u.slice()]]),
        edge_type=np.concatenate([np.zeros(x.size, dtype=np.int8), np.ones(s.size, dtype=np.int8), np.full(u.size, 2, dtype=np.int8)]),
        ref=np.concatenate([x.start + np.arange(x.size), s.start + np.arange(s.size), u.start + np.arange(u.size)]),
    )


def _people_edges(model: PlanningModel, x_all: np.ndarray) -> FlowEdges:
    n_slots = model.terms.grid.n_slots
    nodes, arcs, moves = model.people_nodes, model.arcs, model.people
    y, h = model.col("y"), model.col("h")
    safe = np.zeros((len(model.scenario.places), max(len(model.origins), 1)), dtype=bool)
    for o, places in enumerate(model.safe_places):
        safe[list(places), o] = True
    heads = arcs.head[moves.arc]
    arrives_safe = safe[heads, moves.kind] if len(moves) else np.zeros(0, dtype=bool)
    target = np.where(arrives_safe, SINK, nodes.row(heads, moves.kind, moves.arr) if len(moves) else 0)
    hold_rows = np.repeat(model.holding_pairs, n_slots) * n_slots + np.tile(np.arange(n_slots), len(model.holding_pairs))
    hold_next = np.where(hold_rows % n_slots < n_slots - 1, hold_rows + 1, SINK)
    return FlowEdges(
        source_row=np.concatenate([nodes.row(arcs.tail[moves.arc], moves.kind, moves.dep) if len(moves) else np.zeros(0, dtype=np.int64), hold_rows]),
        target_row=np.concatenate([target.astype(np.int64), hold_next]),
        flow=np.concatenate([x_all[y.slice()], x_all[h.slice()]]),
        edge_type=np.concatenate([np.zeros(y.size, dtype=np.int8), np.ones(h.size, dtype=np.int8)]),
        ref=np.concatenate([y.start + np.arange(y.size), h.start + np.arange(h.size)]),
    )


def _flow_paths(paths: list[Path], edges: FlowEdges, kind_of_row, place_of_edge_end, slot_of_edge_end) -> FlowPaths:
    delivered = [p for p in paths if p.delivered]
    last = np.array([p.edges[-1] for p in delivered], dtype=np.int64)
    return FlowPaths(
        paths=delivered,
        edges=edges,
        amount=np.array([p.amount for p in delivered]),
        kind=np.array([kind_of_row(p.start_row) for p in delivered], dtype=np.int64),
        end_slot=slot_of_edge_end(last),
        end_place=place_of_edge_end(last),
    )


def truck_paths(model: PlanningModel, solution: LPSolution) -> FlowPaths:
    """Decompose the LP's truck flow into delivered paths (convoy candidates)."""
    n_slots = model.terms.grid.n_slots
    edges = _truck_edges(model, solution.x)
    paths = decompose(edges, model.supply_trucks.ravel())
    u = model.col("u")
    nodes = model.truck_nodes
    return _flow_paths(
        paths, edges,
        lambda row: nodes.pair_kind[row // n_slots],
        lambda last: model.unload_place[edges.ref[last] - u.start] if len(last) else np.zeros(0, dtype=np.int64),
        lambda last: model.unload_slot[edges.ref[last] - u.start] if len(last) else np.zeros(0, dtype=np.int64),
    )


def people_paths(model: PlanningModel, solution: LPSolution) -> FlowPaths:
    """Decompose the LP's people flow into paths that reach a safe place."""
    n_slots = model.terms.grid.n_slots
    edges = _people_edges(model, solution.x)
    paths = decompose(edges, model.supply_people.ravel()) if model.origins else []
    y = model.col("y")
    nodes = model.people_nodes
    return _flow_paths(
        paths, edges,
        lambda row: nodes.pair_kind[row // n_slots],
        lambda last: model.arcs.head[model.people.arc[edges.ref[last] - y.start]] if len(last) else np.zeros(0, dtype=np.int64),
        lambda last: model.people.arr[edges.ref[last] - y.start] if len(last) else np.zeros(0, dtype=np.int64),
    )


def _capacity_matrix(model: PlanningModel) -> tuple[sp.csr_matrix, np.ndarray]:
    """Every ≤ limit on trucks as (rows × LP columns of x, s and u): places, roads, quotas, offloading,
    and the fleet re-expressed in x and s (its rows count moving trucks through the auxiliary f = Σ x)."""
    matrix = model.lp.csc().tocsr()
    _, _, _, _, row_upper = model.lp.vectors()
    blocks = [model.lp.row_block(n) for n in ("place_trucks", "road_trucks", "quota", "offload")]
    rows = np.concatenate([np.arange(b.start, b.start + b.size) for b in blocks])
    parts = [matrix[rows]]
    upper = [row_upper[rows]]
    fleet, count, f = model.lp.row_block("fleet"), model.lp.row_block("fleet_count"), model.col("f")
    if fleet.size:
        fleet_rows = matrix[fleet.start:fleet.start + fleet.size]
        fleet_f = fleet_rows[:, f.start:f.stop]
        keep_x = np.ones(model.lp.n_cols)
        keep_x[f.start:f.stop] = 0.0  # f = Σ x: keep only the x part of each count row
        count_x = (matrix[count.start:count.start + count.size] @ sp.diags(keep_x)).tocsr()
        waiting = (fleet_rows @ sp.diags(keep_x)).tocsr()  # the trucks waiting loaded (s columns)
        parts.append((fleet_f @ count_x + waiting).tocsr())
        upper.append(row_upper[fleet.start:fleet.start + fleet.size])
    return sp.vstack(parts).tocsr(), np.concatenate(upper)


def capacity_labels(model: PlanningModel) -> list[str]:
    """A name for each row of ``_capacity_matrix`` (same order): its family, what it limits and when, e.g.
    "road_trucks road-x, slot starting at minute 480" or "quota daily entry quota, day 2"."""
    grid = model.terms.grid
    out = []
    for name in ("place_trucks", "road_trucks", "quota", "offload", "fleet"):
        block = model.lp.row_block(name)
        for entity, slot in zip(block.entity, block.slot, strict=True):
            what = block.labels[int(entity)] if 0 <= int(entity) < len(block.labels) else block.kind
            when = f"day {int(slot) + 1}" if name == "quota" else f"slot starting at minute {float(grid.boundaries_min[int(slot)]):g}"
            out.append(f"{name} {what}, {when}")
    return out


def _people_linear(model: PlanningModel, people: FlowPaths, cost: np.ndarray) -> np.ndarray:
    """Per people path, its edges' costs per person walking on. Up to a screening point that stops a
    share δ (``network.screening_processed_per_leaving``), 1/(1 − δ) as many walked and waited with the
    group: the people the point stopped; their walk and wait cost too, as in the LP."""
    processed = screening_processed_per_leaving(model.scenario)
    y = model.col("y")
    arrays = people.edge_arrays
    refs = people.edges.ref[arrays.flat]
    is_move = people.edges.edge_type[arrays.flat] == 0
    factor = np.ones(len(refs))
    factor[is_move] = processed[model.arcs.tail[model.people.arc[refs[is_move] - y.start]]]
    edge_cost = cost[refs]
    out = np.zeros(len(people.paths))
    # Walked from the last edge back, as a loop per path would: the weight of an edge is the product of
    # the factors of the edges after it, the total the sum in that order. Paths of one length together:
    # ``cumprod`` and ``cumsum`` along a row multiply and add in order, so each is the loop's float.
    for paths, positions in arrays.by_length:
        backwards = positions[:, ::-1]
        step = factor[backwards]
        weight = np.concatenate([np.ones((len(paths), 1)), np.cumprod(step[:, :-1], axis=1)], axis=1)
        terms = np.concatenate([np.zeros((len(paths), 1)), weight * edge_cost[backwards]], axis=1)
        out[paths] = np.cumsum(terms, axis=1)[:, -1]
    return out


class _Valuer:
    """The LP objective as a function of path amounts: linear moving costs and people values, plus
    concave tier values of aid per (zone, commodity)."""

    def __init__(self, model: PlanningModel, trucks: FlowPaths, people: FlowPaths, people_int: np.ndarray) -> None:
        scenario, grid = model.scenario, model.terms.grid
        objective = scenario.objective
        cost = np.concatenate(model.lp.cost)

        def linear(flow: FlowPaths) -> np.ndarray:
            # Every edge's own cost: moves, and waiting (people waiting away from home cost, lp_build).
            arrays = flow.edge_arrays
            return arrays.sums(cost[flow.edges.ref[arrays.flat]])

        self.truck_linear = linear(trucks)
        self.people_linear = _people_linear(model, people, cost)
        n_kinds = len(scenario.commodities)
        zone_index = {z.id: i for i, z in enumerate(scenario.zones)}
        zone_of = np.array([zone_index.get(p.zone, -1) if p.zone else -1 for p in scenario.places], dtype=np.int64)
        pair_of = np.full(len(scenario.zones) * n_kinds, -1, dtype=np.int64)
        pair_of[model.excess_zone * n_kinds + model.excess_kind] = np.arange(len(model.excess_zone))
        self.n_pairs = len(model.excess_zone)
        if len(trucks.paths):
            self.truck_pair = pair_of[zone_of[trucks.end_place] * n_kinds + trucks.kind]
            early = 1.0 + objective.aid_earliness_bonus * (1.0 - grid.midpoint_min[trucks.end_slot] / grid.horizon_min)
            self.truck_units = model.payload[trucks.kind] * early
        else:
            self.truck_pair = np.zeros(0, dtype=np.int64)
            self.truck_units = np.zeros(0)
        # Needs follow the plan's own whole people (plan/moving_need.py).
        need = moved_need_units(model, people, people_int)[model.excess_zone, model.excess_kind]
        shares = np.array([0.0] + [t.up_to_share for t in objective.tiers])
        self.tier_low = shares[:-1][None, :] * need[:, None]
        self.tier_size = np.diff(shares)[None, :] * need[:, None]
        priority = np.array([c.priority for c in scenario.commodities])
        population = np.array([z.population for z in scenario.zones])
        per_person_day = model.need_units[model.excess_zone, model.excess_kind] / max(model.horizon_days, 1e-12) / np.maximum(population[model.excess_zone], 1e-12)
        weights = np.array([t.weight for t in objective.tiers])
        self.tier_price = weights[None, :] * (priority[model.excess_kind] / np.maximum(per_person_day, 1e-300))[:, None]

    def effective(self, trucks_int: np.ndarray) -> np.ndarray:
        return np.bincount(self.truck_pair, weights=trucks_int * self.truck_units, minlength=self.n_pairs)

    def tiers(self, effective: np.ndarray) -> np.ndarray:
        """Value per (zone, commodity) pair of these effective delivered units."""
        filled = np.clip(effective[:, None] - self.tier_low, 0.0, self.tier_size)
        return (filled * self.tier_price).sum(axis=1)

    def total(self, trucks_int: np.ndarray, people_int: np.ndarray) -> float:
        return float(self.truck_linear @ trucks_int + self.people_linear @ people_int + self.tiers(self.effective(trucks_int)).sum())

    def truck_gains_one(self, trucks_int: np.ndarray, j: int) -> float:
        """Change of the objective from one more truck on path ``j``."""
        pair = self.truck_pair[j]
        current = float(trucks_int[self.truck_pair == pair] @ self.truck_units[self.truck_pair == pair])
        before = np.clip(current - self.tier_low[pair], 0.0, self.tier_size[pair])
        after = np.clip(current + self.truck_units[j] - self.tier_low[pair], 0.0, self.tier_size[pair])
        return float(((after - before) * self.tier_price[pair]).sum() + self.truck_linear[j])

    def truck_gains(self, trucks_int: np.ndarray) -> np.ndarray:
        """Change of the objective from one more truck on each truck path, all else equal."""
        effective = self.effective(trucks_int)
        now = self.tiers(effective)
        bumped = np.clip((effective[self.truck_pair] + self.truck_units)[:, None] - self.tier_low[self.truck_pair], 0.0, self.tier_size[self.truck_pair])
        return (bumped * self.tier_price[self.truck_pair]).sum(axis=1) - now[self.truck_pair] + self.truck_linear


def plan_value(model: PlanningModel, trucks: FlowPaths, trucks_int: np.ndarray, people: FlowPaths, people_int: np.ndarray) -> float:
    """The LP objective evaluated at a plan given as path amounts (same terms as the LP, with the
    cost of any quota floor or share left short: ``plan/quota_floors.py``)."""
    trucks_int = np.asarray(trucks_int, dtype=np.float64)
    people_int = np.asarray(people_int, dtype=np.float64)
    return _Valuer(model, trucks, people, people_int).total(trucks_int, people_int) - QuotaFloors(model, trucks).cost(trucks_int)


def round_and_repair(model: PlanningModel, solution: LPSolution, max_passes: int = 3, reduced: bool = True) -> IntegerPlan:
    """Whole trucks and people: floor each path, then greedily add trucks where limits allow, then the
    path integer program; where that plan is more than ``FLOW_PROGRAM_FROM_GAP`` below the LP bound,
    the whole-truck flow over the LP's arcs (``plan/whole_truck_flow.py``), kept if it is worth more.
    ``reduced=False`` gives the path program every limit row and no bounds on the paths, and skips the
    flow program (the approach before, kept as the bench's baseline; same feasible set, slower search)."""
    trucks = truck_paths(model, solution)
    people = people_paths(model, solution)
    trucks_int = np.floor(trucks.amount + TOL)
    people_int = np.floor(people.amount + TOL)
    if len(trucks.paths):
        # The path program gets time in proportion to the LP's own, at least 5 s (it needs 0.1–1.3 CPU s on Gaza,
        # and a wall-clock limit reached on a loaded machine would make the plan depend on the load), at most 10 s.
        mip_time_limit_s = min(10.0, max(5.0, 0.3 * solution.solve_seconds))
        trucks_int = _repair(model, trucks, trucks_int, people, people_int, max_passes, mip_time_limit_s, reduced)
        if reduced and model.scenario.convoy_rules is None and model.lp.n_cols >= VARIANTS_FROM_COLUMNS:
            trucks, trucks_int = _with_variants(model, trucks, trucks_int, people, people_int, max_passes, mip_time_limit_s)
    plan = integer_plan(model, trucks, people, trucks_int, people_int)
    if reduced and len(trucks.paths) and solution.objective - plan.value > FLOW_PROGRAM_FROM_GAP * max(abs(solution.objective), 1.0):
        # A bigger program than the path program (on the 500-place day, 14–23 s against an LP of 26–28): time in
        # proportion to the LP's, at least 10 s, at most 120 s; a wall-clock limit, so with room for a loaded machine.
        flow_time_limit_s = min(120.0, max(10.0, 1.5 * solution.solve_seconds))
        better = _whole_truck_flow_paths(model, solution, plan, flow_time_limit_s)
        if better is not None:
            plan = integer_plan(model, better[0], people, better[1], people_int)
    return plan


# The flow program (plan/whole_truck_flow.py) runs when the path plan is further than this from the
# LP bound: closer, there is little left to gain for the cost of a second integer program (the Gaza
# week's path plans are within 0.27 %, so it never runs there).
FLOW_PROGRAM_FROM_GAP = 0.005


def _whole_truck_flow_paths(
    model: PlanningModel, solution: LPSolution, plan: IntegerPlan, time_limit_s: float
) -> tuple[FlowPaths, np.ndarray] | None:
    """The whole-truck flow over the LP's arcs (``plan/whole_truck_flow.py``) as truck paths and whole
    trucks per path, if it is worth more than ``plan``; else None. Every limit is checked again on the
    new plan's whole trucks, as for the path program: a plan that breaks one is not taken."""
    start = path_incidence(plan.trucks, model.lp.n_cols) @ plan.trucks_int
    found = whole_truck_flow(model, solution, start, time_limit_s)
    if found is None:
        return None
    trucks = truck_paths(model, dataclasses.replace(solution, x=found.x))
    trucks_int = np.floor(trucks.amount + TOL)
    capacity, upper = _capacity_matrix(model)
    stock_member, stock = stock_limits(model, trucks)
    per_column = path_incidence(trucks, model.lp.n_cols) @ trucks_int
    if np.any(capacity @ per_column > upper + 1e-6) or np.any(stock_member @ trucks_int > stock + 1e-6):
        return None
    if plan_value(model, trucks, trucks_int, plan.people, plan.people_int) > plan.value + TOL:
        return trucks, trucks_int
    return None


VARIANTS_FROM_COLUMNS = 60_000  # large plans without convoy rules (with them, plan/convoy_retime.py uses variants)
VARIANT_SHIFTS = (-1, 0, 1)


def _with_variants(
    model: PlanningModel, trucks: FlowPaths, trucks_int: np.ndarray, people: FlowPaths, people_int: np.ndarray, max_passes: int,
    mip_time_limit_s: float,
) -> tuple[FlowPaths, np.ndarray]:
    """The LP's paths plus their variants (every commodity, one slot earlier or later: ``plan/path_variants.py``),
    repaired and solved again as a path program; the better of that plan and ``trucks_int`` (the LP spreads
    fractions of a truck over many paths, and whole trucks may fit better on paths the LP left empty)."""
    from safepassage.plan.path_variants import PathVariants, extended

    builder = PathVariants(model, trucks.edges.edge_type, trucks.edges.ref)
    seen = {tuple(p.edges) for p in trucks.paths}
    new = []
    for path in trucks.paths:
        for kind in range(len(model.scenario.commodities)):
            for shift in VARIANT_SHIFTS:
                made = builder.variant(path, kind, None, shift)
                if made is not None and tuple(made.edges) not in seen:
                    seen.add(tuple(made.edges))
                    new.append(made)
    if not new:
        return trucks, trucks_int
    wider = extended(trucks, new, model)
    start = np.concatenate([np.floor(trucks.amount + TOL), np.zeros(len(new))])
    other = _repair(model, wider, start, people, people_int, max_passes, mip_time_limit_s)
    if plan_value(model, wider, other, people, people_int) > plan_value(model, trucks, trucks_int, people, people_int) + TOL:
        return wider, other
    return trucks, trucks_int


def path_bounds(cap: sp.csr_matrix, upper: np.ndarray) -> np.ndarray:
    """Per path: the most whole trucks any single limit lets it carry, ``min_r ⌊upper_r / cap[r, j]⌋``
    over the rows ``r`` it touches (``cap ≥ 0``; a path touching no row gets ``inf``)."""
    by_col = cap.tocsc()
    out = np.full(by_col.shape[1], np.inf)
    ratio = np.repeat(upper, np.diff(cap.indptr)) / np.maximum(cap.data, 1e-300)
    by_entry = sp.csr_matrix((ratio, cap.indices, cap.indptr), shape=cap.shape).tocsc()
    for j in range(by_col.shape[1]):
        values = by_entry.data[by_entry.indptr[j]:by_entry.indptr[j + 1]]
        if len(values):
            out[j] = np.floor(values.min() + TOL)
    return np.maximum(out, 0.0)


def binding_rows(cap: sp.csr_matrix, upper: np.ndarray, bound: np.ndarray) -> np.ndarray:
    """Indices of the rows of ``cap · z ≤ upper`` (``cap ≥ 0``, ``0 ≤ z ≤ bound``) worth keeping.

    Left out: a row that every path at its bound together cannot exceed; and a row whose entries are
    at most those of the kept row before it, with an ``upper`` at least as large (that row implies
    it). The rows are taken sorted by the paths they touch, so that the fleet's and a place's
    consecutive slots, which repeat or nest, sit next to each other. Exact: the whole-truck plans that
    satisfy the kept rows are those that satisfy all of them."""
    finite = np.where(np.isinf(bound), 1e18, bound)
    reach = cap @ finite
    candidates = np.flatnonzero(reach > upper + TOL)
    if len(candidates) < 2:
        return candidates
    rows = cap[candidates].tocsr()
    rows.sort_indices()
    # Order by (path set, upper): rows with equal or nested sets of paths sit near each other.
    keys = [tuple(rows.indices[rows.indptr[i]:rows.indptr[i + 1]]) for i in range(rows.shape[0])]
    order = sorted(range(len(keys)), key=lambda i: (keys[i], upper[candidates[i]]))
    dense = rows.toarray()  # a few hundred rows × paths
    kept: list[int] = []
    dense_prev: np.ndarray | None = None
    prev_upper = 0.0
    for i in order:
        row = dense[i]
        limit = upper[candidates[i]]
        if dense_prev is not None and limit >= prev_upper - TOL and np.all(row <= dense_prev + TOL):
            continue  # the previous kept row is tighter on every path
        kept.append(i)
        dense_prev, prev_upper = row, limit
    return np.sort(candidates[kept])


# HiGHS heuristics the path program does without (measured by speed2, and here on one LP solution each,
# with and without): RINS and the feasibility jump change none of the Gaza week's five plan values nor the
# synthetic 50- and 200-place days', and the path program takes 0.41 instead of 0.53 CPU s on daily-4h-north,
# 0.51 instead of 0.58 on ceasefire. (On the 500-place day, where the program stops at its time limit,
# the path plan came out 16 person-days lower of 4.07 M, and the plan after the flow program 500 higher.)
PATH_PROGRAM_OPTIONS: dict[str, bool] = {"mip_heuristic_run_rins": False, "mip_heuristic_run_feasibility_jump": False}


def _path_program(
    trucks: FlowPaths, trucks_int: np.ndarray, valuer: _Valuer, per_path: sp.csc_matrix, upper: np.ndarray, stock_member: sp.csr_matrix,
    stock: np.ndarray, time_limit_s: float, reduced: bool = True,
) -> np.ndarray | None:
    """Best whole numbers of trucks on the LP's own paths (a small integer program, price-and-branch):

        max Σ_j c_j z_j + Σ_{i,j'} price[i,j'] g[i,j']
        s.t. Σ_j cap[r,j] z_j ≤ upper[r]           every place, road, quota and fleet limit the paths touch
             Σ_{j from s, leaving before lot l+1} z_j ≤ Σ_{l' ≤ l} lot[s, l']   stock at each origin, lot by lot
             Σ_j' g[i,j'] ≤ Σ_{j to i} units_j z_j  value tiers of each (zone, commodity)
             0 ≤ g[i,j'] ≤ tier size,  z_j ∈ {0, 1, …, bound_j}
    ``bound_j`` is the most trucks a single limit allows on path j (``path_bounds``); rows that cannot
    bind within those bounds, or that another row implies, are left out (``binding_rows``), which keeps
    the fleet's rows (one per slot, over every path in use then) from swamping the search.
    ``reduced=False``: every touched row and no path bounds (the approach before, for the bench).
    Started from the greedy plan; returns None if HiGHS finds nothing better in the time allowed."""
    import highspy

    from safepassage.plan.solve import mark_solved, new_highs

    n_paths = len(trucks.paths)
    limits = sp.vstack([per_path.tocsr(), stock_member]).tocsr()
    limit_upper = np.concatenate([upper, stock])
    touched = np.flatnonzero(np.diff(limits.indptr))  # rows with at least one path
    limits, limit_upper = limits[touched], limit_upper[touched]
    if reduced:
        bound = path_bounds(limits, limit_upper)
        kept = binding_rows(limits, limit_upper, bound)
    else:
        bound, kept = np.full(n_paths, np.inf), np.arange(len(touched))
    cap = limits[kept]
    n_pairs, n_tiers = valuer.tier_size.shape
    # Tier rows: Σ g - Σ units z ≤ 0.
    tier_z = sp.csr_matrix((-valuer.truck_units, (valuer.truck_pair, np.arange(n_paths))), shape=(n_pairs, n_paths))
    tier_g = sp.kron(sp.identity(n_pairs), np.ones((1, n_tiers))).tocsr()
    matrix = sp.vstack([
        sp.hstack([cap, sp.csr_matrix((cap.shape[0], n_pairs * n_tiers))]),
        sp.hstack([tier_z, tier_g]),
    ]).tocsc()
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_ = n_paths + n_pairs * n_tiers
    lp.num_row_ = matrix.shape[0]
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_ = np.concatenate([valuer.truck_linear, valuer.tier_price.ravel()])
    lp.col_lower_ = np.zeros(lp.num_col_)
    lp.col_upper_ = np.concatenate([np.where(np.isinf(bound), inf, bound), valuer.tier_size.ravel()])
    lp.row_lower_ = np.full(lp.num_row_, -inf)
    lp.row_upper_ = np.concatenate([limit_upper[kept] + TOL, np.zeros(n_pairs)])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n_paths + [highspy.HighsVarType.kContinuous] * (n_pairs * n_tiers)
    highs = new_highs(time_limit_s)
    highs.setOptionValue("mip_rel_gap", 1e-4)
    for option, value in (PATH_PROGRAM_OPTIONS if reduced else {}).items():  # the baseline keeps HiGHS's defaults
        highs.setOptionValue(option, value)
    highs.passModel(lp)
    start = highspy.HighsSolution()
    effective = valuer.effective(trucks_int)
    filled = np.clip(effective[:, None] - valuer.tier_low, 0.0, valuer.tier_size)
    start.col_value = list(np.concatenate([trucks_int, filled.ravel()]))
    start.value_valid = True
    highs.setSolution(start)
    mark_solved()
    highs.run()
    if highs.getInfo().primal_solution_status != 2:  # no feasible point found
        return None
    values = np.asarray(highs.getSolution().col_value[:n_paths])
    candidate = np.round(values)
    # Every limit, including the rows left out, checked on the whole-truck result.
    if np.any(per_path.tocsr() @ candidate > upper + 1e-6) or np.any(stock_member @ candidate > stock + 1e-6):
        return None
    return candidate


def path_departure_slot(trucks: FlowPaths) -> np.ndarray:
    """Per truck path: the slot its trucks leave their source (its first edge that is not holding)."""
    edges, arrays = trucks.edges, trucks.edge_arrays
    if len(trucks.paths) == 0:
        return np.zeros(0, dtype=np.int64)
    if np.any(arrays.lengths == 0):
        raise ValueError("a truck path without edges has no departure")
    # Per path: the position of its first edge that is not holding, else of its last edge.
    position = np.arange(len(arrays.flat), dtype=np.int64)
    candidate = np.where(edges.edge_type[arrays.flat] != 1, position, len(arrays.flat))
    first = np.minimum.reduceat(candidate, arrays.start[:-1])
    first = np.where(first < arrays.start[1:], first, arrays.start[1:] - 1)
    return edges.source_row[arrays.flat[first]].astype(np.int64)


def stock_limits(model: PlanningModel, trucks: FlowPaths) -> tuple[sp.csr_matrix, np.ndarray]:
    """Stock limits on whole trucks per path, lot by lot: (limits × paths) membership and truckloads.

    Stock of one (place, commodity) that arrives in several lots (``available_from``) is a staircase:
    the trucks leaving the place before lot ``l + 1`` arrives can carry at most lots ``0..l``. A path
    belongs to limit ``l`` of its source when it leaves before lot ``l + 1``; the last limit (all lots)
    holds every path of the source. By Hall's theorem these prefix limits are exactly what lets every
    truck take its load from a lot that has already arrived."""
    n_slots = model.terms.grid.n_slots
    n_paths = len(trucks.paths)
    source_pair = np.array([p.start_row // n_slots for p in trucks.paths], dtype=np.int64)
    departs = path_departure_slot(trucks) % n_slots if n_paths else np.zeros(0, dtype=np.int64)
    rows: list[int] = []
    cols: list[int] = []
    limits: list[float] = []
    for pair in np.unique(source_pair):
        lot_slots = np.flatnonzero(model.supply_trucks[pair] > 0)
        cumulative = np.cumsum(model.supply_trucks[pair, lot_slots])
        mine = np.flatnonzero(source_pair == pair)
        for lot, total in enumerate(cumulative):
            cutoff = lot_slots[lot + 1] if lot + 1 < len(lot_slots) else n_slots
            members = mine[departs[mine] < cutoff]
            rows += [len(limits)] * len(members)
            cols += list(members)
            limits.append(total)
    member = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(limits), n_paths))
    return member, np.array(limits, dtype=np.float64)


def _repair(
    model: PlanningModel, trucks: FlowPaths, trucks_int: np.ndarray, people: FlowPaths, people_int: np.ndarray, max_passes: int,
    mip_time_limit_s: float = 1.0, reduced: bool = True,
) -> np.ndarray:
    valuer = _Valuer(model, trucks, people, people_int)
    capacity, upper = _capacity_matrix(model)
    per_path = (capacity @ path_incidence(trucks, model.lp.n_cols)).tocsc()
    activity = per_path @ trucks_int
    # Stock, lot by lot: trucks leaving a source before a lot arrives cannot carry it.
    stock_member, stock = stock_limits(model, trucks)
    stock_by_path = stock_member.tocsc()
    used = stock_member @ trucks_int
    for _ in range(max_passes):
        gains = valuer.truck_gains(trucks_int)
        added = False
        for j in np.argsort(-gains):
            if gains[j] <= TOL:
                break
            start, stop = per_path.indptr[j], per_path.indptr[j + 1]
            rows, values = per_path.indices[start:stop], per_path.data[start:stop]
            lots = stock_by_path.indices[stock_by_path.indptr[j]:stock_by_path.indptr[j + 1]]
            if np.any(activity[rows] + values > upper[rows] + TOL) or np.any(used[lots] + 1 > stock[lots] + TOL):
                continue
            if valuer.truck_gains_one(trucks_int, j) <= TOL:  # earlier additions used the gain up
                continue
            trucks_int[j] += 1
            activity[rows] += values
            used[lots] += 1
            added = True
        if not added:
            break
    # Quota floors and shares (plan/quota_floors.py): meet what rounding left short, and value a plan with them.
    floors = QuotaFloors(model, trucks)
    trucks_int = floors.meet(trucks_int, per_path, upper, stock_member, stock)
    improved = _path_program(
        trucks, trucks_int, valuer, per_path, upper, stock_member, stock, time_limit_s=mip_time_limit_s, reduced=reduced,
    )
    if improved is not None and valuer.total(improved, people_int) - floors.cost(improved) > valuer.total(trucks_int, people_int) - floors.cost(trucks_int) + TOL:
        return improved
    return trucks_int
