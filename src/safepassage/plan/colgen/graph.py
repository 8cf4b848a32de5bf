"""The loaded-truck part of the time-expanded network, kept as (arc × slot) tables instead of one
record per usable movement.

The plain LP lists every usable (arc, departure slot, arrival slot, commodity): 9.5 million of them
for the 500-place week. Column generation only ever needs, per slot, which arcs may be entered, where
they arrive and what they cost; that is a few (arcs × slots) tables (3,000 × 672 here), from which
any single movement the plain LP would have can be read off. ``TruckGraph`` holds them, computed
from the same ``PlanningProblem`` and by the same rules as ``network.truck_movements`` and
``lp_build.define_truck_columns``:

- a move on arc ``a`` leaving in slot ``t`` arrives in ``arr[a, t]`` (at least one slot later), and
  exists when the arc carries trucks, its tail is open at ``t``, its head opens at some time, it
  arrives inside the horizon, a pause-only road is covered for the whole move, and, leaving a
  crossing, the commodity is admitted in ``t``;
- trucks may wait loaded at ``(p, t)`` (to ``t + 1``) where the place allows holding and is not
  stranded outside a window (``holdable``);
- commodity ``k`` may be offloaded at ``(p, t)`` where the LP has an offloading column
  (``offload_ok``).

A path of moves, waits and one offloading from a stock lot therefore uses only movements the plain
LP has (``tests/plan/test_colgen.py`` checks this against ``truck_movements``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from safepassage.plan.lp_build import _outside_window_inside_rule
from safepassage.plan.problem import PlanningProblem
from safepassage.plan.window_rules import offload_mask
from safepassage.scenario.model import PlaceKind

__all__ = ["TruckGraph", "truck_graph"]


@dataclass(frozen=True)
class TruckGraph:
    """Arc × slot tables of the loaded-truck network (see the module doc). Index order: the problem's."""

    n_slots: int
    tail: np.ndarray  # (A,)
    head: np.ndarray  # (A,)
    arr: np.ndarray  # (A, T) arrival slot of a move leaving in t (T: after the horizon)
    move_ok: np.ndarray  # (A, T) the move exists for a commodity admitted where it must be
    from_crossing: np.ndarray  # (A,) the arc leaves a crossing (then the commodity must be admitted)
    admitted: np.ndarray  # (K, T)
    kind_moves: np.ndarray  # (K,) the commodity can move at all
    hours: np.ndarray  # (A, T) hours of the move
    holdable: np.ndarray  # (P, T) loaded trucks may wait from t to t + 1
    offload_ok: np.ndarray  # (K, P, T)
    early: np.ndarray  # (T,) earliness factor of aid offloaded in t
    waiting: np.ndarray  # (P, K) a loaded truck held here counts against the fleet (not a stock origin)
    place_limited: np.ndarray  # (P,) finite truck throughput
    road_limited: np.ndarray  # (A,) finite trucks_per_hour
    offload_limited: np.ndarray  # (P,) finite offloading rate
    zone: np.ndarray  # (P,) zone index or -1
    payload: np.ndarray  # (K,)
    truck_hour_cost: float

    @property
    def n_kinds(self) -> int:
        return len(self.payload)

    @property
    def n_places(self) -> int:
        return len(self.zone)

    def movements_of(self, arc: np.ndarray, dep: np.ndarray, kind: np.ndarray) -> np.ndarray:
        """bool per (arc, dep, kind): whether the plain LP has that movement's column."""
        ok = self.move_ok[arc, dep] & self.kind_moves[kind]
        return ok & (~self.from_crossing[arc] | self.admitted[kind, dep])


def truck_graph(problem: PlanningProblem) -> TruckGraph:
    """The tables of ``problem``'s loaded-truck network (its own ``trucks`` are not read)."""
    scenario, terms, arcs, grid = problem.scenario, problem.terms, problem.arcs, problem.grid
    n_slots, n_places, n_kinds = grid.n_slots, len(scenario.places), len(scenario.commodities)
    open_ever = terms.place_open_ever
    dep = np.arange(n_slots, dtype=np.int64)
    travel = np.nan_to_num(arcs.truck_min, nan=0.0)
    arr = np.searchsorted(
        grid.boundaries_min, grid.boundaries_min[dep][None, :] + travel[:, None] - 1e-9, side="left"
    ).astype(np.int64)
    arc_ok = ~np.isnan(arcs.truck_min) & open_ever[arcs.tail] & open_ever[arcs.head]
    blocked = np.concatenate(
        [np.zeros((len(scenario.roads), 1), dtype=np.int64), np.cumsum(~terms.road_usable, axis=1)], axis=1
    )
    road = arcs.road[:, None]
    covered = (blocked[road, np.minimum(arr, n_slots)] - blocked[road, dep[None, :]]) == 0
    move_ok = arc_ok[:, None] & (arr < n_slots) & terms.place_open[arcs.tail] & covered
    crossing = problem.is_kind(PlaceKind.crossing)
    hours = (grid.boundaries_min[np.minimum(arr, n_slots)] - grid.boundaries_min[dep][None, :]) / 60.0

    holds = np.array([p.allows_holding for p in scenario.places], dtype=bool)
    holdable = holds[:, None] & ~_outside_window_inside_rule(scenario, terms)

    zone = problem.place_zone
    dp = problem.is_kind(PlaceKind.distribution_point) & (zone >= 0)
    within = offload_mask(scenario, grid.boundaries_min, terms.zone_covered, terms.road_usable)
    needed = np.zeros((n_kinds, n_places), dtype=bool)
    needed[:, dp] = (problem.need_ppd[zone[dp]] > 0).T
    # A commodity never admitted, or needed nowhere, has no moves at all (no sink to reach).
    kind_moves = terms.admitted_slots.any(axis=1) & (needed & terms.place_open_ever[None, :]).any(axis=1)
    offload_ok = needed[:, :, None] & (terms.place_open & within)[None, :, :]

    stocked = np.zeros((n_places, n_kinds))
    np.add.at(stocked, (problem.stock.place, problem.stock.kind), problem.stock.loads)
    objective = scenario.objective
    early = 1.0 + objective.aid_earliness_bonus * (1.0 - grid.midpoint_min / grid.horizon_min)
    offload_rate = np.array(
        [60.0 / p.offload_minutes_per_truck if p.offload_minutes_per_truck else np.inf for p in scenario.places]
    )
    # fmt: off
    return TruckGraph(
        n_slots=n_slots, tail=arcs.tail, head=arcs.head, arr=arr, move_ok=move_ok, from_crossing=crossing[arcs.tail],
        admitted=terms.admitted_slots, kind_moves=kind_moves, hours=hours, holdable=holdable, offload_ok=offload_ok,
        early=early,
        waiting=stocked == 0, place_limited=np.isfinite(problem.place_truck_rate),
        road_limited=np.isfinite(arcs.trucks_per_hour), offload_limited=np.isfinite(offload_rate), zone=zone,
        payload=problem.payload, truck_hour_cost=float(objective.truck_hour_cost),
    )
    # fmt: on
