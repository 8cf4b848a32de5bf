"""Pricing by destination: the best path from every stock origin to every zone, by one forward sweep.

The backward sweep of ``pricing.py`` gives, from every (place, slot), the best reduced value of a
truckload *anywhere*. Every departure slot of an origin then leads to the same few destinations: the
zones whose need is priced highest. A master that serves four hundred places learns about them a
handful of zones a round, and until it serves them all, the unserved zones keep their first tier's
price and the bound stays near the no-capacity bound.

This module sweeps the other way, over the slots in increasing order, for every stock origin at
once: ``value[t, o, p]`` is the best reduced value of a truckload of origin ``o`` standing at ``p``
at the start of slot ``t``, from any of the origin's lots (each lot starts a path where and when it
comes in; moved and held by the same step values, ``pricing.step_values``, so by
the same rules and the same multipliers as the backward sweep). Offloading at ``(p, t)`` adds
``offload[k, p, t]``; the best of that over a zone's distribution points and a day's slots is the
best path from ``o`` to that zone that day. ``paths_by_zone`` traces those paths back: one column set
per (origin, zone, day) that prices out, where the backward sweep gives one per (origin, slot).

Moves are only ever ones the plain LP has (the same ``TruckGraph`` tests as ``pricing.trace_path``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from safepassage.errors import PlanInvariantError
from safepassage.plan.colgen.graph import TruckGraph
from safepassage.plan.colgen.pricing import Multipliers, step_values
from safepassage.plan.problem import PlanningProblem

__all__ = ["Reach", "ZonePath", "origins_of", "reach", "trace_many", "zone_paths", "paths_by_zone"]

HELD, START, UNREACHED = -1, -2, -3


@dataclass
class Reach:
    """The forward sweep's result: ``value[t, o, p]`` (−inf where unreachable), and how it was
    reached: ``arc[t, o, p]`` the arriving move's arc (or ``HELD`` from ``t − 1``, ``START``) and
    ``dep[t, o, p]`` that move's departure slot; ``origin[o]`` = (place, kind, first slot)."""

    value: np.ndarray  # (T, O, P)
    arc: np.ndarray  # (T, O, P) int32
    dep: np.ndarray  # (T, O, P) int32
    origin: np.ndarray  # (O, 3)
    offload: np.ndarray  # (K, P, T) the step values' offloading values


def origins_of(problem: PlanningProblem) -> np.ndarray:
    """(O, 3): each (place, kind) with stock and the first slot its stock is there."""
    stock = problem.stock
    loaded = stock.loads > 0
    if not loaded.any():
        return np.zeros((0, 3), dtype=np.int64)
    pairs = np.unique(np.stack([stock.place[loaded], stock.kind[loaded]]), axis=1).T
    first = [int(stock.slot[(stock.place == p) & (stock.kind == k) & loaded].min()) for p, k in pairs.tolist()]
    return np.column_stack([pairs, np.array(first, dtype=np.int64)])


def reach(problem: PlanningProblem, graph: TruckGraph, pi: Multipliers) -> Reach:
    """The forward sweep of the module doc, for every stock origin at once."""
    n_slots, n_places = graph.n_slots, graph.n_places
    origin = origins_of(problem)
    n_origins = len(origin)
    steps = step_values(problem, graph, pi)
    kind = origin[:, 1] if n_origins else np.zeros(0, dtype=np.int64)
    value = np.full((n_slots, n_origins, n_places), -np.inf)
    arc = np.full((n_slots, n_origins, n_places), UNREACHED, dtype=np.int32)
    dep = np.full((n_slots, n_origins, n_places), -1, dtype=np.int32)
    if n_origins:
        # Every lot is a start, not only an origin's first: where the origin may not hold its stock
        # (stranded outside a window), a later lot is not reached by holding the first one.
        stock = problem.stock
        loaded = stock.loads > 0
        place, lot_kind, slot = stock.place[loaded], stock.kind[loaded], stock.slot[loaded]
        o_of = np.full((n_places, graph.n_kinds), -1, dtype=np.int64)
        o_of[origin[:, 0], origin[:, 1]] = np.arange(n_origins)
        value[slot, o_of[place, lot_kind], place] = 0.0
        arc[slot, o_of[place, lot_kind], place] = START
    can_move = graph.kind_moves[kind][:, None]
    hold_ok = graph.holdable  # (P, T)
    for t in range(n_slots):
        here = value[t]  # (O, P): final, every arrival in t left before t
        if not np.isfinite(here).any():
            continue
        if t + 1 < n_slots:
            held = np.where(hold_ok[:, t][None, :], here + steps.hold[kind, :, t], -np.inf)
            better = held > value[t + 1]
            value[t + 1] = np.where(better, held, value[t + 1])
            arc[t + 1] = np.where(better, HELD, arc[t + 1])
            dep[t + 1] = np.where(better, t, dep[t + 1])
        usable = np.flatnonzero(graph.move_ok[:, t])
        if not len(usable):
            continue
        ok = can_move & (~graph.from_crossing[usable][None, :] | graph.admitted[kind, t][:, None])
        tails = graph.tail[usable]
        # Index the quota part by (origin's kind, tail) at t only: ``steps.quota[kind]`` would copy
        # all of (O, P, T) every slot (4 of the 4.2 s of a sweep at 500 places).
        quota = steps.quota[:, :, t][kind[:, None], tails[None, :]]
        moves = np.where(ok, here[:, tails] + steps.move[usable, t][None, :] - quota, -np.inf)
        # The best move into each (arrival slot, head): group the usable arcs by that target.
        target = graph.arr[usable, t] * n_places + graph.head[usable]
        order = np.argsort(target, kind="stable")
        starts = np.flatnonzero(np.r_[True, target[order][1:] != target[order][:-1]])
        sorted_moves = moves[:, order]
        top = np.maximum.reduceat(sorted_moves, starts, axis=1)  # (O, G)
        sizes = np.diff(np.r_[starts, len(order)])
        position = np.arange(len(order))
        first = np.minimum.reduceat(
            np.where(sorted_moves == np.repeat(top, sizes, axis=1), position, len(order)), starts, axis=1
        )
        chosen = usable[order[np.minimum(first, len(order) - 1)]]  # (O, G) arc ids
        group = order[starts]
        arrive, head = graph.arr[usable[group], t], graph.head[usable[group]]
        current = value[arrive, :, head].T  # (O, G)
        better = top > current
        if not better.any():
            continue
        o_idx, g_idx = np.nonzero(better)
        value[arrive[g_idx], o_idx, head[g_idx]] = top[o_idx, g_idx]
        arc[arrive[g_idx], o_idx, head[g_idx]] = chosen[o_idx, g_idx]
        dep[arrive[g_idx], o_idx, head[g_idx]] = t
    return Reach(value, arc, dep, origin, steps.offload)


def _trace(graph: TruckGraph, found: Reach, o: int, place: int, slot: int) -> tuple[int, list[tuple[int, int]]]:
    """The slot the best path of origin ``o`` to ``(place, slot)`` starts in (a lot's), and its
    moves (arc, departure slot)."""
    moves: list[tuple[int, int]] = []
    t, p = slot, place
    while True:
        a = int(found.arc[t, o, p])
        if a == START:
            return t, moves[::-1]
        if a == HELD:
            t -= 1
            continue
        if a == UNREACHED:
            raise PlanInvariantError(f"the forward sweep traced origin {o} into an unreached place {p} at slot {t}")
        d = int(found.dep[t, o, p])
        moves.append((a, d))
        p, t = int(graph.tail[a]), d


def trace_many(
    graph: TruckGraph, found: Reach, origin: np.ndarray, place: np.ndarray, slot: np.ndarray
) -> list[tuple[int, list[tuple[int, int]]]]:
    """``_trace`` for many ends at once (one step of every unfinished path per pass, so the passes
    are as many as the longest path's steps): for each ``(origin[i], place[i], slot[i])``, the slot
    its path starts in and its moves (arc, departure slot), in order."""
    n = len(origin)
    o, p, t = (np.asarray(v, dtype=np.int64).copy() for v in (origin, place, slot))
    start = np.full(n, -1, dtype=np.int64)
    owner: list[np.ndarray] = []
    arcs: list[np.ndarray] = []
    deps: list[np.ndarray] = []
    active = np.arange(n)
    while len(active):
        a = found.arc[t[active], o[active], p[active]].astype(np.int64)
        lost = a == UNREACHED
        if lost.any():
            i = int(active[np.argmax(lost)])
            raise PlanInvariantError(
                f"the forward sweep traced origin {int(o[i])} into an unreached place {int(p[i])} at slot {int(t[i])}"
            )
        done, held = a == START, a == HELD
        start[active[done]] = t[active[done]]
        t[active[held]] -= 1
        moved = ~(done | held)
        ids, used = active[moved], a[moved]
        dep = found.dep[t[ids], o[ids], p[ids]].astype(np.int64)
        owner.append(ids)
        arcs.append(used)
        deps.append(dep)
        p[ids], t[ids] = graph.tail[used], dep
        active = active[~done]
    if owner:
        who, arc_all, dep_all = np.concatenate(owner), np.concatenate(arcs), np.concatenate(deps)
    else:
        who = arc_all = dep_all = np.zeros(0, dtype=np.int64)
    # Steps were taken from each path's end backwards: sort by path, latest step first, then reverse.
    step = np.arange(len(who))
    order = np.lexsort((-step, who))
    bounds = np.searchsorted(who[order], np.arange(n + 1))
    arc_list, dep_list = arc_all[order].tolist(), dep_all[order].tolist()
    return [
        (int(start[i]), list(zip(arc_list[bounds[i] : bounds[i + 1]], dep_list[bounds[i] : bounds[i + 1]])))
        for i in range(n)
    ]


@dataclass(frozen=True)
class ZonePath:
    """One best path of ``zone_paths``: from origin ``origin`` (a row of ``Reach.origin``) of
    commodity ``kind``, starting with the lot that comes in at ``start_slot``, by ``moves`` (arc,
    departure slot), offloaded at ``end`` (place, slot)."""

    origin: int
    kind: int
    start_slot: int
    moves: list[tuple[int, int]]
    end: tuple[int, int]


def zone_paths(
    graph: TruckGraph, found: Reach, slot_day: np.ndarray, tol: float, skip: np.ndarray | None = None
) -> list[ZonePath]:
    """For every (origin, zone, day) whose best offloading prices above ``tol``: that path.
    ``slot_day[t]``: the day of slot ``t`` (give one day for every slot to take one path per
    (origin, zone)). ``skip[z, k]``: zones not to look at for commodity ``k``."""
    out: list[ZonePath] = []
    n_zones = int(graph.zone.max(initial=-1)) + 1
    if not len(found.origin) or n_zones == 0:
        return out
    zone_places = [np.flatnonzero(graph.zone == z) for z in range(n_zones)]
    day_slots = [np.flatnonzero(slot_day == day) for day in np.unique(slot_day).tolist()]
    ends: list[tuple[int, int, int, int]] = []  # (origin, kind, place, slot)
    for o, (_, kind, _) in enumerate(found.origin.tolist()):
        score = found.value[:, o, :] + found.offload[kind].T  # (T, P)
        score[~np.isfinite(score)] = -np.inf
        for z, places in enumerate(zone_places):
            if not len(places) or (skip is not None and skip[z, kind]):
                continue
            block = score[:, places]
            for in_day in day_slots:
                part = block[in_day]
                at = int(np.argmax(part))
                best = float(part.flat[at])
                if not best > tol:
                    continue
                t, i = divmod(at, len(places))
                ends.append((o, kind, int(places[i]), int(in_day[t])))
    if not ends:
        return out
    o_end, _, place_end, slot_end = np.array(ends, dtype=np.int64).T
    for (o, kind, place, slot), (start, moves) in zip(ends, trace_many(graph, found, o_end, place_end, slot_end)):
        out.append(ZonePath(o, kind, start, moves, (place, slot)))
    return out


def paths_by_zone(
    graph: TruckGraph, found: Reach, slot_day: np.ndarray, tol: float, skip: np.ndarray | None = None
) -> list[tuple[int, list[tuple[int, int]]]]:
    """``zone_paths`` as (kind, moves) pairs."""
    return [(path.kind, path.moves) for path in zone_paths(graph, found, slot_day, tol, skip)]
