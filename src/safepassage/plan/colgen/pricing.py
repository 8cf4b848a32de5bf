"""Pricing and the certified bound: the best path of every commodity from every (place, slot) under
a set of Lagrange multipliers, by one backward sweep over the slots.

**The Lagrangian.** The truck part of the planning LP (``plan/lp_build.py``) is a flow of truckloads
(columns x, s, u) conserved at every (place, commodity, slot) and fed by the stock lots, plus the
tier columns g, e and the fleet counters f, under *coupling* rows: place throughput, road capacity,
daily quotas, offloading rate, the fleet, and the need tiers. Give each coupling row ``r`` a
multiplier ``π_r`` of the right sign (≥ 0 on a ≤ row; any sign on the need tiers' equalities) and
drop the row into the objective. What is left is, for any ``π``:

    L(π) = Σ_r π_r b_r  +  Σ_g ub_g · max(0, c_g − π·A_g)  +  Σ_lots loads · V(lot)

where ``V(p, k, t)`` is the best reduced value of one truckload of ``k`` at ``(p, t)``: wait, move
on, or offload, until offloaded or held past the horizon. Every feasible LP solution is feasible for
this relaxation and its objective there is no smaller, so **L(π) ≥ the LP optimum for every such
π** (weak Lagrangian duality). The multipliers are chosen as follows, each choice keeping L finite:
the need rows' ``μ ≥ 0`` (so the excess columns e add nothing; a (zone, commodity) a restricted LP
does not serve yet gets its first tier's price, so that serving it prices out), and the fleet counters f eliminated
by ``f = Σ x``: a move lasting ``d`` slots pays ``(1 + return_factor) · Σ_{t ≤ t' < t+d} φ_t'``.
Capacity rows that a restricted LP does not have get ``π = 0``, which is allowed.

**The sweep.** Time strictly increases along every move (``arrival_slot`` is at least one slot
later), so ``V`` is computed backwards over slots, all commodities and arcs at once:

    V(p, k, t) = max( offload value at (p, t),  hold(p, t) + V(p, k, t + 1),
                      max_{a leaving p} move value(a, t, k) + V(head a, k, arr(a, t)) )

with ``V(·, ·, T) = 0`` (what is held at the end stays). The same sweep gives the columns to add:
the best path leaving each stock origin in each slot.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from safepassage.plan.colgen.graph import TruckGraph
from safepassage.plan.lp_build import PlanningModel
from safepassage.plan.problem import PlanningProblem

__all__ = [
    "Multipliers",
    "blend",
    "write_multipliers",
    "Pricing",
    "StepValues",
    "multipliers_from",
    "step_values",
    "initial_multipliers",
    "first_tier_price",
    "price",
    "lagrangian_bound",
    "lots_value",
    "deliverable_truckloads",
    "trace_offload",
    "trace_path",
]

NONE, OFFLOAD = -3, -1
# ``deliverable_truckloads``' last answers, by the identity of their problem and graph.
_DELIVERABLE: list[tuple[weakref.ref[PlanningProblem], weakref.ref[TruckGraph], tuple[float, np.ndarray]]] = []


@dataclass
class Multipliers:
    """One multiplier per coupling row of the full truck LP (0 for rows a restricted LP lacks)."""

    place: np.ndarray  # (P, T) place truck throughput, ≥ 0
    road: np.ndarray  # (A, T) road truck capacity, ≥ 0
    offload: np.ndarray  # (P, T) offloading rate, ≥ 0
    quota: np.ndarray  # (Q,) daily quotas, ≥ 0
    fleet: np.ndarray  # (T,) fleet per slot, ≥ 0
    need: np.ndarray  # (Z, K) need tiers, ≥ 0
    rhs_value: float  # Σ_r π_r b_r


def blend(center: Multipliers, other: Multipliers, weight: float) -> Multipliers:
    """``weight · center + (1 − weight) · other``, field by field: multipliers of the valid sign again
    (each sign rule is convex), and ``rhs_value`` (linear in the multipliers) blended alike.
    ``ValueError`` unless ``0 ≤ weight ≤ 1``.

    >>> import numpy as np
    >>> a = Multipliers(*(np.ones(2) for _ in range(6)), 2.0)
    >>> b = Multipliers(*(np.zeros(2) for _ in range(6)), 0.0)
    >>> m = blend(a, b, 0.25)
    >>> m.fleet.tolist(), m.rhs_value
    ([0.25, 0.25], 0.5)
    """
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"weight must be in [0, 1], got {weight!r}")
    fields = ("place", "road", "offload", "quota", "fleet", "need")
    mixed = {name: weight * getattr(center, name) + (1.0 - weight) * getattr(other, name) for name in fields}
    return Multipliers(**mixed, rhs_value=weight * center.rhs_value + (1.0 - weight) * other.rhs_value)


def first_tier_price(problem: PlanningProblem) -> np.ndarray:
    """(Z, K): person-days per unit of the most valuable tier (0 where the zone does not need k)."""
    with np.errstate(divide="ignore"):
        per_unit = np.where(problem.need_ppd > 0, problem.priority[None, :] / problem.need_ppd, 0.0)
    return per_unit * float(problem.tier_weight.max(initial=0.0))


def initial_multipliers(problem: PlanningProblem) -> Multipliers:
    """No capacity priced, and every unit delivered worth its first tier: the bound is then what the
    stock could be worth with no limit but time and need."""
    n_places, n_slots = len(problem.scenario.places), problem.n_slots
    return Multipliers(
        np.zeros((n_places, n_slots)),
        np.zeros((len(problem.arcs), n_slots)),
        np.zeros((n_places, n_slots)),
        np.zeros(len(problem.terms.quotas)),
        np.zeros(n_slots),
        first_tier_price(problem),
        0.0,
    )


def multipliers_from(model: PlanningModel, row_dual: np.ndarray) -> Multipliers:
    """Multipliers from a (restricted) LP's row duals (HiGHS: reduced cost = c − Aᵀy, and y ≥ 0 on a
    binding ≤ row of a maximisation). Signs are clipped to the valid side; any values are valid."""
    out = initial_multipliers(model.problem)  # a need row the LP lacks: its first tier's price
    lp = model.lp
    _, _, _, _, row_upper = lp.vectors()
    rhs = 0.0

    def take(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        nonlocal rhs
        block = lp.row_block(name)
        values = np.maximum(row_dual[block.slice()], 0.0)
        upper = row_upper[block.slice()]
        rhs += float(values[np.isfinite(upper)] @ upper[np.isfinite(upper)])
        return block.entity, block.slot, values

    for name, table in (("place_trucks", out.place), ("road_trucks", out.road), ("offload", out.offload)):
        entity, slot, values = take(name)
        table[entity, slot] = values
    _, _, out.quota = take("quota")
    _, slot, values = take("fleet")
    out.fleet[slot] = values
    need = lp.row_block("need_tiers")  # equalities with right-hand side 0: μ ≥ 0 chosen
    out.need[need.entity, need.slot] = np.maximum(row_dual[need.slice()], 0.0)
    out.rhs_value = rhs
    return out


def write_multipliers(model: PlanningModel, pi: Multipliers, row_dual: np.ndarray) -> None:
    """Put ``pi`` into ``row_dual`` at ``model``'s coupling rows (place and road throughput,
    offloading, quotas, fleet, need tiers): the inverse of ``multipliers_from`` for multipliers of
    the valid sign."""
    lp = model.lp
    for name, table in (("place_trucks", pi.place), ("road_trucks", pi.road), ("offload", pi.offload)):
        block = lp.row_block(name)
        row_dual[block.slice()] = table[block.entity, block.slot]
    quota = lp.row_block("quota")
    row_dual[quota.slice()] = pi.quota
    fleet = lp.row_block("fleet")
    row_dual[fleet.slice()] = pi.fleet[fleet.slot]
    need = lp.row_block("need_tiers")
    row_dual[need.slice()] = pi.need[need.entity, need.slot]


@dataclass
class Pricing:
    """The sweep's result: ``value[t, k, p]`` = V; ``leave[t, k, p]`` = the best value of not waiting
    (moving on or offloading) and ``choice`` = that move's arc (``OFFLOAD``, or ``NONE``);
    ``wait[t, k, p]``: waiting is at least as good as leaving."""

    value: np.ndarray  # (T + 1, K, P)
    leave: np.ndarray  # (T, K, P)
    choice: np.ndarray  # (T, K, P)
    wait: np.ndarray  # (T, K, P)


def _quota_cost(problem: PlanningProblem, quota: np.ndarray) -> np.ndarray:
    """(K, P, T): the quota multipliers a truck of k leaving p in t pays: in the slots its LP row
    counts (``DayQuota.slots``; an agreement-hours quota's day is the agreement's, not the local day)."""
    terms = problem.terms
    out = np.zeros((len(problem.scenario.commodities), len(problem.scenario.places), problem.n_slots))
    for q, price_q in zip(terms.quotas, quota.tolist()):
        if price_q <= 0.0:
            continue
        kinds, places = np.array(q.commodities, dtype=np.int64), np.array(q.places, dtype=np.int64)
        out[np.ix_(kinds, places, np.flatnonzero(q.slots))] += price_q
    return out


@dataclass
class StepValues:
    """Reduced values of one step of a truckload under a set of multipliers (what both sweeps add up):
    ``move[a, t]`` of leaving on arc ``a`` in ``t`` before the quota part ``quota[k, p, t]`` of its
    tail ``p``; ``offload[k, p, t]`` (−inf where not allowed); ``hold[k, p, t]`` of waiting to t + 1."""

    move: np.ndarray  # (A, T)
    quota: np.ndarray  # (K, P, T)
    offload: np.ndarray  # (K, P, T)
    hold: np.ndarray  # (K, P, T)


def step_values(problem: PlanningProblem, graph: TruckGraph, pi: Multipliers) -> StepValues:
    """The ``StepValues`` of ``graph`` under ``pi`` (the Lagrangian's terms, module doc)."""
    n_slots = graph.n_slots
    fleet = problem.scenario.fleet
    factor = 1.0 + fleet.return_factor if fleet is not None else 0.0
    fleet_before = np.concatenate([[0.0], np.cumsum(pi.fleet)])
    arr = graph.arr
    arr_in = np.minimum(arr, n_slots)
    slot = np.arange(n_slots)
    # Move value without the quota part (A, T).
    base = (
        -graph.truck_hour_cost * graph.hours
        - np.where(graph.place_limited[graph.tail][:, None], pi.place[graph.tail], 0.0)
        - np.where(graph.road_limited[:, None], pi.road, 0.0)
        - factor * (fleet_before[arr_in] - fleet_before[slot][None, :])
    )
    quota_cost = _quota_cost(problem, pi.quota)
    zone = np.maximum(graph.zone, 0)
    offload_value = (
        graph.payload[:, None, None] * graph.early[None, None, :] * pi.need[zone].T[:, :, None]
        - np.where(graph.place_limited[:, None], pi.place, 0.0)[None]
        - np.where(graph.offload_limited[:, None], pi.offload, 0.0)[None]
    )
    offload_value = np.where(graph.offload_ok, offload_value, -np.inf)
    hold_value = np.where(graph.waiting.T[:, :, None], -pi.fleet[None, None, :], 0.0)  # (K, P, T)
    return StepValues(base, quota_cost, offload_value, hold_value)


def price(problem: PlanningProblem, graph: TruckGraph, pi: Multipliers) -> Pricing:
    """Best reduced values of a truckload anywhere, under ``pi`` (the backward sweep of the module doc)."""
    n_slots, n_kinds, n_places = graph.n_slots, graph.n_kinds, graph.n_places
    steps = step_values(problem, graph, pi)
    base, quota_cost, offload_value, hold_value = steps.move, steps.quota, steps.offload, steps.hold
    arr_in = np.minimum(graph.arr, n_slots)

    order = np.argsort(graph.tail, kind="stable")
    tails_sorted = graph.tail[order]
    starts = (
        np.flatnonzero(np.r_[True, tails_sorted[1:] != tails_sorted[:-1]])
        if len(order)
        else np.zeros(0, dtype=np.int64)
    )
    group_tail = tails_sorted[starts]
    position = np.arange(len(order))
    kinds = np.arange(n_kinds)[:, None]
    can_move = graph.kind_moves[:, None]

    value = np.zeros((n_slots + 1, n_kinds, n_places))
    leave = np.full((n_slots, n_kinds, n_places), -np.inf)
    choice = np.full((n_slots, n_kinds, n_places), NONE, dtype=np.int64)
    wait = np.zeros((n_slots, n_kinds, n_places), dtype=bool)
    for t in range(n_slots - 1, -1, -1):
        best = offload_value[:, :, t].copy()
        pick = np.where(np.isfinite(best), OFFLOAD, NONE)
        if len(order):
            a = order
            ok = (
                graph.move_ok[a, t][None, :]
                & can_move
                & (~graph.from_crossing[a][None, :] | graph.admitted[:, t][:, None])
            )
            onward = value[arr_in[a, t][None, :], kinds, graph.head[a][None, :]]
            moves = np.where(ok, base[a, t][None, :] - quota_cost[:, graph.tail[a], t] + onward, -np.inf)
            top = np.maximum.reduceat(moves, starts, axis=1)
            first = np.minimum.reduceat(
                np.where(moves == np.repeat(top, np.diff(np.r_[starts, len(a)]), axis=1), position, len(a)),
                starts,
                axis=1,
            )
            better = top > best[:, group_tail]
            best[:, group_tail] = np.where(better, top, best[:, group_tail])
            pick[:, group_tail] = np.where(
                better & np.isfinite(top), order[np.minimum(first, len(a) - 1)], pick[:, group_tail]
            )
        hold = np.where(graph.holdable[:, t][None, :], hold_value[:, :, t] + value[t + 1], -np.inf)
        leave[t], choice[t] = best, pick
        wait[t] = hold >= best
        value[t] = np.maximum(best, hold)
    return Pricing(value, leave, choice, wait)


def lagrangian_bound(problem: PlanningProblem, graph: TruckGraph, pi: Multipliers, pricing: Pricing) -> float:
    """``L(π)`` of the module doc: an upper bound on the optimum of the full truck LP."""
    stock = problem.stock
    lot_value = pricing.value[stock.slot, stock.kind, stock.place] if len(stock) else np.zeros(0)
    # Tier columns of every (zone, commodity) some offloading column could serve.
    served = np.zeros(problem.need_ppd.shape, dtype=bool)
    kinds, places = np.nonzero(graph.offload_ok.any(axis=2))
    served[graph.zone[places], kinds] = True
    zones, kinds = np.nonzero(served)
    share = np.diff(problem.tier_share)
    cost = problem.tier_weight[None, :] * problem.priority[kinds][:, None] / problem.need_ppd[zones, kinds][:, None]
    upper = share[None, :] * problem.need_units[zones, kinds][:, None]
    tiers = float((np.maximum(cost - pi.need[zones, kinds][:, None], 0.0) * upper).sum())
    return pi.rhs_value + tiers + lots_value(problem, graph, lot_value)


def _max_flow(
    graph: TruckGraph, loads: np.ndarray, place: np.ndarray, road: np.ndarray, sinks: np.ndarray
) -> float:
    """Maximum flow from ``loads`` (per place) to ``sinks`` (places) through places and roads of
    capacity ``place`` and ``road`` (``inf``: none); ``inf`` where it is not limited."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import maximum_flow

    n = graph.n_places
    big = 1 << 30  # "no limit": more than every finite sum here
    sources = np.flatnonzero(loads > 0)
    if not len(sources) or not len(sinks):
        return 0.0
    # Nodes: place p in (p), place p out (n + p), source 2n, sink 2n + 1. Offloading counts in the
    # place's throughput, so a sink is reached from the place's out node.
    tail = np.concatenate([np.arange(n), n + graph.tail, np.full(len(sources), 2 * n), n + sinks])
    head = np.concatenate([np.arange(n, 2 * n), graph.head, sources, np.full(len(sinks), 2 * n + 1)])
    capacity = np.concatenate([place, road, np.ceil(loads[sources]), np.full(len(sinks), np.inf)])
    capacity = np.where(np.isfinite(capacity), np.minimum(np.floor(capacity + 1e-9), big), big).astype(np.int64)
    # Parallel roads add up in 64 bits before the cap, so that two unlimited ones cannot overflow.
    matrix = csr_matrix((capacity, (tail, head)), shape=(2 * n + 2, 2 * n + 2))
    matrix.sum_duplicates()
    matrix.data = np.minimum(matrix.data, big).astype(np.int32)
    flow = float(maximum_flow(matrix, 2 * n, 2 * n + 1).flow_value)
    return np.inf if flow >= big else flow


def deliverable_truckloads(problem: PlanningProblem, graph: TruckGraph) -> tuple[float, np.ndarray]:
    """Upper bounds on the truckloads any plan offloads, in all and of each commodity (K,): the
    maximum flow from the stock (each place's loads) to the places where they may be offloaded,
    over the roads and places with their truck capacities summed over the slots a move may leave in
    or an offloading happen (for one commodity: the slots it may leave a crossing in; a place's
    throughput counts every truckload leaving it or offloaded at it, a road's every one entering it).
    Any plan's truckloads, summed over time, are such a flow. ``inf`` where nothing limits them."""
    for known_problem, known_graph, known in _DELIVERABLE:
        if known_problem() is problem and known_graph() is graph:
            return known
    stock = problem.stock
    n_kinds = graph.n_kinds
    if not len(stock):
        return 0.0, np.zeros(n_kinds)

    def flow(kind: int | None) -> float:
        move_ok = graph.move_ok
        if kind is not None:
            move_ok = move_ok & (~graph.from_crossing[:, None] | graph.admitted[kind][None, :])
        offload = np.asarray(graph.offload_ok.any(axis=0) if kind is None else graph.offload_ok[kind])
        leaving = np.zeros((graph.n_places, graph.n_slots), dtype=bool)
        np.logical_or.at(leaving, graph.tail, move_ok)
        used = leaving | offload
        place = np.where(graph.place_limited, np.where(used, problem.place_trucks_cap, 0.0).sum(axis=1), np.inf)
        road = np.where(graph.road_limited, np.where(move_ok, problem.road_trucks_cap, 0.0).sum(axis=1), np.inf)
        mine = np.ones(len(stock), dtype=bool) if kind is None else stock.kind == kind
        loads = np.zeros(graph.n_places)
        np.add.at(loads, stock.place[mine], stock.loads[mine])
        return _max_flow(graph, loads, place, road, np.flatnonzero(np.any(offload, axis=1)))

    found = (flow(None), np.array([flow(k) for k in range(n_kinds)]))
    # 0.1 s at 500 places: kept for the rounds, without keeping the problem or its graph alive.
    _DELIVERABLE[:] = [(weakref.ref(problem), weakref.ref(graph), found), *_DELIVERABLE[:3]]
    return found


def lots_value(problem: PlanningProblem, graph: TruckGraph, lot_value: np.ndarray) -> float:
    """The stock's part of the Lagrangian: ``Σ loads · V(lot)`` (``lot_value``: ``V`` per row of
    ``problem.stock``), with implied rows kept instead of priced for the lots worth something: at
    most ``deliverable_truckloads`` truckloads offloaded in all and of each commodity (sums of rows
    every offloaded truckload is counted in, so they hold for every feasible solution and the bound
    stays valid). Those lots fill them best value first, which is optimal for these nested limits.
    It matters where big lots' duals are 0 while paths from them still price out at capacity rows
    the master has not priced yet: without it, every truckload of those lots would count, far more
    than the crossings can let through."""
    stock = problem.stock
    if not len(stock):
        return 0.0
    loads = stock.loads
    worth = np.flatnonzero(lot_value > 0)
    # A lot worth less than nothing (stock that must leave a place it cannot stay at) counts in full,
    # as before: leaving its share of the rows out only loosens the bound.
    total = float(loads[lot_value <= 0] @ lot_value[lot_value <= 0])
    left, by_kind = deliverable_truckloads(problem, graph)
    by_kind = by_kind.copy()
    for lot in worth[np.argsort(-lot_value[worth], kind="stable")].tolist():
        kind = int(stock.kind[lot])
        take = min(float(loads[lot]), left, float(by_kind[kind]))
        if take <= 0.0:
            continue
        total += take * float(lot_value[lot])
        left -= take
        by_kind[kind] -= take
    return total


def trace_offload(
    graph: TruckGraph, pricing: Pricing, kind: int, place: int, slot: int
) -> tuple[list[tuple[int, int, int]], tuple[int, int] | None]:
    """The best path of a truckload of ``kind`` leaving ``place`` in ``slot`` (not waiting there
    first): its moves (arc, dep, arr), and the (place, slot) where it is offloaded (None if it is
    not: held past the horizon)."""
    moves: list[tuple[int, int, int]] = []
    t, p, forced = slot, place, True
    while t < graph.n_slots:
        if not forced and pricing.wait[t, kind, p]:
            t += 1
            continue
        forced = False
        c = int(pricing.choice[t, kind, p])
        if c == OFFLOAD:
            return moves, (p, t)
        if c == NONE:
            return moves, None
        arrival = int(graph.arr[c, t])
        moves.append((c, t, arrival))
        p, t = int(graph.head[c]), arrival
    return moves, None


def trace_path(
    graph: TruckGraph, pricing: Pricing, kind: int, place: int, slot: int
) -> tuple[list[tuple[int, int, int]], bool]:
    """``trace_offload``'s moves, and whether the path ends offloaded."""
    moves, end = trace_offload(graph, pricing, kind, place, slot)
    return moves, end is not None
