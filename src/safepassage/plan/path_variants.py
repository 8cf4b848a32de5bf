"""Truck paths the LP did not use, built from paths it did: the same moves, holds and offloading at the
same times, for another commodity, starting from that commodity's stock at the same place.

A variant is made only of the LP's own columns (a move, hold or offload the model does not have is
not invented), so every rule the model encodes by which columns exist (roads open to trucks, pause-only
roads in windows, convoys within windows, offloading slots) holds for it; the limits written as rows
and column bounds are checked by the caller against the whole plan (``PathLimits``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from safepassage.plan.decompose import Path
from safepassage.plan.lp_build import PlanningModel

__all__ = ["PathVariants", "PathLimits", "extended"]


class PathVariants:
    """Builds variants of the truck paths of one decomposition (``edges`` from ``integer.truck_paths``)."""

    def __init__(self, model: PlanningModel, edge_type: np.ndarray, ref: np.ndarray) -> None:
        self.model = model
        self.edge_type, self.ref = edge_type, ref
        self.n_slots = model.terms.grid.n_slots
        self.n_kinds = len(model.scenario.commodities)
        self.x, self.s, self.u = model.col("x"), model.col("s"), model.col("u")
        moves = model.trucks
        self.move_key = (moves.arc.astype(np.int64) * self.n_slots + moves.dep) * self.n_kinds + moves.kind
        self.move_order = np.argsort(self.move_key, kind="stable")
        self.move_sorted = self.move_key[self.move_order]
        place, kind = model.unload_place.astype(np.int64), model.unload_kind
        self.unload_key = (place * self.n_kinds + kind) * self.n_slots + model.unload_slot
        self.unload_order = np.argsort(self.unload_key, kind="stable")
        self.unload_sorted = self.unload_key[self.unload_order]
        self.storage_position = np.full(model.truck_nodes.n_pairs, -1, dtype=np.int64)
        self.storage_position[model.storage_pairs] = np.arange(len(model.storage_pairs))

    def _find(self, sorted_keys: np.ndarray, order: np.ndarray, key: int) -> int:
        at = int(np.searchsorted(sorted_keys, key))
        return int(order[at]) if at < len(sorted_keys) and sorted_keys[at] == key else -1

    def _hold_edge(self, place: int, kind: int, slot: int) -> int:
        pair = int(self.model.truck_nodes.lookup[place, kind])
        position = int(self.storage_position[pair]) if pair >= 0 else -1
        return -1 if position < 0 else self.x.size + position * self.n_slots + slot

    def variant(self, template: Path, kind: int, end_place: int | None = None, shift: int = 0) -> Path | None:
        """``template``'s moves, holds and offloading for commodity ``kind``, leaving its first place with
        that commodity's earliest stock there that has arrived by the departure; None when the model has
        no such path (a column missing, no stock there in time, or a template that does not move).

        With ``end_place`` (a place on the template's way), the variant leaves the template when it
        arrives there and offloads at the first slot the model allows, waiting there if it may. With
        ``shift``, every move, wait and offload is ``shift`` slots later (earlier when negative), where
        the model has the same move taking the same slots."""
        model, nodes = self.model, self.model.truck_nodes
        moving = [e for e in template.edges if self.edge_type[e] != 1]
        if not moving or self.edge_type[moving[0]] != 0:
            return None
        first_move = int(self.ref[moving[0]] - self.x.start)
        source, departs = int(model.arcs.tail[model.trucks.arc[first_move]]), int(model.trucks.dep[first_move]) + shift
        if departs < 0:
            return None
        pair = int(nodes.lookup[source, kind])
        if pair < 0:
            return None
        lots = np.flatnonzero(model.supply_trucks[pair, : departs + 1] > 0)
        if not len(lots):
            return None
        start = int(lots[0])
        edges: list[int] = []
        if departs > start:  # waiting loaded at the source until the departure
            first_hold = self._hold_edge(source, kind, start)
            if first_hold < 0:
                return None
            edges = list(range(first_hold, first_hold + departs - start))
        first = template.edges.index(moving[0])
        for e in template.edges[first:]:
            column = int(self.ref[e])
            if self.edge_type[e] == 0:
                m = column - self.x.start
                dep = int(model.trucks.dep[m]) + shift
                if not 0 <= dep < self.n_slots:
                    return None
                key = (int(model.trucks.arc[m]) * self.n_slots + dep) * self.n_kinds + kind
                found = self._find(self.move_sorted, self.move_order, key)
                if found < 0 or model.trucks.arr[found] != model.trucks.arr[m] + shift:
                    return None
                edges.append(found)
                if end_place is not None and int(model.arcs.head[model.trucks.arc[m]]) == end_place:
                    arrives = int(model.trucks.arr[found])
                    return self._offload(edges, end_place, kind, arrives, pair * self.n_slots + start)
            elif self.edge_type[e] == 1:
                i = column - self.s.start
                held = model.storage_pairs[i // self.n_slots]
                slot = i % self.n_slots + shift
                hold = self._hold_edge(int(nodes.pair_place[held]), kind, slot) if 0 <= slot < self.n_slots - 1 else -1
                if hold < 0:
                    return None
                edges.append(hold)
            else:
                if end_place is not None:
                    return None  # the template never reaches end_place
                i = column - self.u.start
                slot = int(model.unload_slot[i]) + shift
                if not 0 <= slot < self.n_slots:
                    return None
                key = (int(model.unload_place[i]) * self.n_kinds + kind) * self.n_slots + slot
                found = self._find(self.unload_sorted, self.unload_order, key)
                if found < 0:
                    return None
                edges.append(self.x.size + self.s.size + found)
        return Path(edges, 0.0, pair * self.n_slots + start, True)

    def _offload(self, edges: list[int], place: int, kind: int, slot: int, start_row: int,
                 max_wait_slots: int = 96) -> Path | None:
        """``edges`` (arriving at ``place`` in ``slot``) ended by offloading there at the first slot the model
        has, waiting in between where waiting is allowed; None if there is none within ``max_wait_slots``."""
        waits: list[int] = []
        for t in range(slot, min(slot + max_wait_slots, self.n_slots)):
            key = (place * self.n_kinds + kind) * self.n_slots + t
            found = self._find(self.unload_sorted, self.unload_order, key)
            if found >= 0:
                return Path(edges + waits + [self.x.size + self.s.size + found], 0.0, start_row, True)
            hold = self._hold_edge(place, kind, t)
            if hold < 0:
                return None
            waits.append(hold)
        return None


def extended(flow, paths: list[Path], model: PlanningModel):  # type: ignore[no-untyped-def]
    """``flow`` (a ``FlowPaths`` of trucks) with ``paths`` appended (amount 0; they end offloaded)."""
    from safepassage.plan.integer import FlowPaths

    if not paths:
        return flow
    u = model.col("u")
    last = np.array([p.edges[-1] for p in paths], dtype=np.int64)
    n_slots = model.terms.grid.n_slots
    return FlowPaths(
        paths=flow.paths + paths,
        edges=flow.edges,
        amount=np.concatenate([flow.amount, np.zeros(len(paths))]),
        kind=np.concatenate([flow.kind, model.truck_nodes.pair_kind[[p.start_row // n_slots for p in paths]]]),
        end_slot=np.concatenate([flow.end_slot, model.unload_slot[flow.edges.ref[last] - u.start]]).astype(np.int64),
        end_place=np.concatenate([flow.end_place, model.unload_place[flow.edges.ref[last] - u.start]]).astype(np.int64),
    )


@dataclass
class PathLimits:
    """Every limit on whole trucks per path, with the plan's use of each: capacity rows (places, roads,
    quotas, offloading, fleet), the bounds of the LP columns the paths use, and stock lot by lot.
    ``fits(j)`` says whether one more truck on path ``j`` keeps all of them, and names the first it
    would break."""

    per_path: sp.csc_matrix
    upper: np.ndarray
    labels: list[str]
    columns: sp.csc_matrix
    column_upper: np.ndarray
    stock_member: sp.csc_matrix
    stock: np.ndarray
    activity: np.ndarray
    column_use: np.ndarray
    stock_used: np.ndarray

    @classmethod
    def of(cls, model: PlanningModel, flow, trucks_int: np.ndarray) -> PathLimits:  # type: ignore[no-untyped-def]
        from safepassage.plan.integer import _capacity_matrix, capacity_labels, stock_limits
        from safepassage.plan.quota_floors import path_incidence

        capacity, upper = _capacity_matrix(model)
        incidence = path_incidence(flow, model.lp.n_cols)
        per_path = (capacity @ incidence).tocsc()
        _, _, column_upper, _, _ = model.lp.vectors()
        stock_member, stock = stock_limits(model, flow)
        z = np.asarray(trucks_int, dtype=np.float64)
        return cls(per_path, upper, capacity_labels(model), incidence.tocsc(), column_upper, stock_member.tocsc(),
                   stock, per_path @ z, incidence @ z, stock_member @ z)

    def _block(self, matrix: sp.csc_matrix, j: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = matrix.indptr[j], matrix.indptr[j + 1]
        return matrix.indices[lo:hi], matrix.data[lo:hi]

    def fits(self, j: int, trucks: int = 1) -> str | None:
        """None when ``trucks`` more on path ``j`` keep every limit, else the limit it would break."""
        rows, values = self._block(self.per_path, j)
        over = np.flatnonzero(self.activity[rows] + trucks * values > self.upper[rows] + 1e-6)
        if len(over):
            return self.labels[int(rows[over[0]])]
        cols, values = self._block(self.columns, j)
        if np.any(self.column_use[cols] + trucks * values > self.column_upper[cols] + 1e-6):
            return "a move, wait or offload the model bounds"
        lots, _ = self._block(self.stock_member, j)
        if np.any(self.stock_used[lots] + trucks > self.stock[lots] + 1e-6):
            return "stock"
        return None

    def add(self, j: int, trucks: int) -> None:
        """Record ``trucks`` more (or fewer, when negative) on path ``j``."""
        rows, values = self._block(self.per_path, j)
        self.activity[rows] += trucks * values
        cols, values = self._block(self.columns, j)
        self.column_use[cols] += trucks * values
        lots, _ = self._block(self.stock_member, j)
        self.stock_used[lots] += trucks
