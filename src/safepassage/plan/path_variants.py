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


def _first_of(keys: np.ndarray) -> dict[int, int]:
    """Each key of ``keys`` -> the first index holding it (``np.unique`` gives first occurrences)."""
    unique, first = np.unique(keys, return_index=True)
    return dict(zip(unique.tolist(), first.tolist(), strict=True))


class PathVariants:
    """Builds variants of the truck paths of one decomposition (``edges`` from ``integer.truck_paths``).

    A template is read once into segments: a move, a run of waits at one place in consecutive slots (a
    path may wait tens of slots, one edge each), an offload. A variant maps segment by segment, with
    the same result as a walk along the template edge by edge that stops at the first missing column."""

    def __init__(self, model: PlanningModel, edge_type: np.ndarray, ref: np.ndarray) -> None:
        self.model = model
        self.edge_type, self.ref = edge_type, ref
        self.n_slots = n_slots = model.terms.grid.n_slots
        self.n_kinds = n_kinds = len(model.scenario.commodities)
        self.x, self.s, self.u = model.col("x"), model.col("s"), model.col("u")
        moves, nodes = model.trucks, model.truck_nodes
        # Look-ups as dicts and lists: a variant reads a few dozen single elements, which NumPy serves slowly.
        move_key = (moves.arc.astype(np.int64) * n_slots + moves.dep) * n_kinds + moves.kind
        unload_key = (model.unload_place.astype(np.int64) * n_kinds + model.unload_kind) * n_slots + model.unload_slot
        self.move_of = _first_of(move_key)  # key -> the first move with it
        self.offload_of = _first_of(unload_key)
        self.move_arc, self.move_dep, self.move_arr = moves.arc.tolist(), moves.dep.tolist(), moves.arr.tolist()
        self.move_head = model.arcs.head[moves.arc].tolist()
        self.move_tail = model.arcs.tail[moves.arc].tolist()
        self.unload_place, self.unload_slot = model.unload_place.tolist(), model.unload_slot.tolist()
        storage_position = np.full(nodes.n_pairs, -1, dtype=np.int64)
        storage_position[model.storage_pairs] = np.arange(len(model.storage_pairs))
        # (place, kind) -> first hold column offset of that pair (x.size + position · n_slots), -1 without holding.
        safe_pair = np.maximum(nodes.lookup, 0)
        self.hold_base = np.where((nodes.lookup >= 0) & (storage_position[safe_pair] >= 0),
                                  self.x.size + storage_position[safe_pair] * n_slots, -1).tolist()
        self.held_place = nodes.pair_place[model.storage_pairs].tolist()
        self.pair_of = nodes.lookup.tolist()
        positive = model.supply_trucks > 0
        self.first_lot = np.where(positive.any(axis=1), positive.argmax(axis=1), -1).tolist()  # per pair
        self.offload_edge0 = self.x.size + self.s.size
        self._templates: dict[int, tuple[Path, list[tuple[int, int, int]] | None]] = {}
        self.edge_type_list: list[int] = np.asarray(edge_type).tolist()
        self.ref_list: list[int] = np.asarray(ref, dtype=np.int64).tolist()
        self.block_start = (self.x.start, self.s.start, self.u.start)

    def _segments(self, template: Path) -> list[tuple[int, int, int]] | None:
        """``template`` from its first move on as (type, a, b): (0, move, 0), (1, first wait's column
        offset in ``s``, number of waits), (2, offload, 0); None when it does not start by moving."""
        known = self._templates.get(id(template))
        if known is not None and known[0] is template:
            return known[1]
        # A walk over the template's edges in Python lists: templates are a few dozen edges, for which NumPy's
        # per-call cost is most of the time.
        kind_of, column_of, block_start, n_slots = self.edge_type_list, self.ref_list, self.block_start, self.n_slots
        edges = template.edges
        first = next((i for i, e in enumerate(edges) if kind_of[e] != 1), -1)
        segments: list[tuple[int, int, int]] | None = None
        if first >= 0 and kind_of[edges[first]] == 0:
            runs: list[list[int]] = []
            previous_type, previous_offset = -1, -1
            for e in edges[first:]:
                edge_type = kind_of[e]
                offset = column_of[e] - block_start[edge_type]  # the move, wait or offload index within its block
                # A wait continues a run when it is the next slot of the same pair.
                if edge_type == 1 and previous_type == 1 and offset == previous_offset + 1 and offset % n_slots != 0:
                    runs[-1][2] += 1
                else:
                    runs.append([edge_type, offset, 1])
                previous_type, previous_offset = edge_type, offset
            segments = [(t, o, n if t == 1 else 0) for t, o, n in runs]
        self._templates[id(template)] = (template, segments)
        return segments

    def variant(self, template: Path, kind: int, end_place: int | None = None, shift: int = 0) -> Path | None:
        """``template``'s moves, holds and offloading for commodity ``kind``, leaving its first place with
        that commodity's earliest stock there that has arrived by the departure; None when the model has
        no such path (a column missing, no stock there in time, or a template that does not move).

        With ``end_place`` (a place on the template's way), the variant leaves the template when it
        arrives there and offloads at the first slot the model allows, waiting there if it may. With
        ``shift``, every move, wait and offload is ``shift`` slots later (earlier when negative), where
        the model has the same move taking the same slots."""
        segments = self._segments(template)
        if segments is None:
            return None
        n_slots, n_kinds = self.n_slots, self.n_kinds
        move_dep, move_arr, move_arc, move_of = self.move_dep, self.move_arr, self.move_arc, self.move_of
        first_move = segments[0][1]
        source, departs = self.move_tail[first_move], move_dep[first_move] + shift
        if departs < 0:
            return None
        pair = self.pair_of[source][kind]
        if pair < 0:
            return None
        start = self.first_lot[pair]
        if start < 0 or start > departs:
            return None
        start_row = pair * n_slots + start
        edges: list[int] = []
        if departs > start:  # waiting loaded at the source until the departure
            base = self.hold_base[source][kind]
            if base < 0:
                return None
            edges.extend(range(base + start, base + departs))
        for segment_type, a, b in segments:
            if segment_type == 0:
                dep = move_dep[a] + shift
                if not 0 <= dep < n_slots:
                    return None
                found = move_of.get((move_arc[a] * n_slots + dep) * n_kinds + kind, -1)
                if found < 0 or move_arr[found] != move_arr[a] + shift:
                    return None
                edges.append(found)
                if end_place is not None and self.move_head[a] == end_place:
                    return self._offload(edges, end_place, kind, move_arr[found], start_row)
            elif segment_type == 1:
                slot = a % n_slots + shift
                if slot < 0 or slot + b - 1 >= n_slots - 1:
                    return None
                base = self.hold_base[self.held_place[a // n_slots]][kind]
                if base < 0:
                    return None
                edges.extend(range(base + slot, base + slot + b))
            else:
                if end_place is not None:
                    return None  # the template never reaches end_place
                slot = self.unload_slot[a] + shift
                if not 0 <= slot < n_slots:
                    return None
                found = self.offload_of.get((self.unload_place[a] * n_kinds + kind) * n_slots + slot, -1)
                if found < 0:
                    return None
                edges.append(self.offload_edge0 + found)
        return Path(edges, 0.0, start_row, True)

    def _offload(self, edges: list[int], place: int, kind: int, slot: int, start_row: int,
                 max_wait_slots: int = 96) -> Path | None:
        """``edges`` (arriving at ``place`` in ``slot``) ended by offloading there at the first slot the model
        has, waiting in between where waiting is allowed; None if there is none within ``max_wait_slots``."""
        base = self.hold_base[place][kind]
        for t in range(slot, min(slot + max_wait_slots, self.n_slots)):
            found = self.offload_of.get((place * self.n_kinds + kind) * self.n_slots + t, -1)
            if found >= 0:
                waits = list(range(base + slot, base + t))
                return Path(edges + waits + [self.offload_edge0 + found], 0.0, start_row, True)
            if base < 0:
                return None
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

    def fitting(self, paths: list[int]) -> np.ndarray:
        """``fits(j) is None`` for each of ``paths``, at once: the same comparisons, entry by entry."""
        js = np.asarray(paths, dtype=np.int64)
        ok = np.ones(len(js), dtype=bool)
        checks = (
            (self.per_path, self.activity, self.upper, True),
            (self.columns, self.column_use, self.column_upper, True),
            (self.stock_member, self.stock_used, self.stock, False),  # a truck takes one truckload of its lot
        )
        for matrix, use, limit, by_value in checks:
            block = matrix[:, js]
            owner = np.repeat(np.arange(len(js)), np.diff(block.indptr))
            over = use[block.indices] + (block.data if by_value else 1) > limit[block.indices] + 1e-6
            ok &= np.bincount(owner[over], minlength=len(js)) == 0
        return ok

    def refit(self, verdicts: np.ndarray, paths: list[int], changed: int) -> None:
        """Bring ``verdicts`` (``fitting(paths)`` before trucks were added on path ``changed``) up to date, in
        place: only paths sharing a limit row, a column or a stock lot with ``changed`` can have a new
        verdict (``fits`` reads nothing else), so only those are asked again."""
        js = np.asarray(paths, dtype=np.int64)
        touched = np.zeros(len(js), dtype=bool)
        for matrix in (self.per_path, self.columns, self.stock_member):
            of_changed, _ = self._block(matrix, changed)
            mark = np.zeros(matrix.shape[0], dtype=bool)
            mark[of_changed] = True
            block = matrix[:, js]
            owner = np.repeat(np.arange(len(js)), np.diff(block.indptr))
            touched[owner[mark[block.indices]]] = True
        again = np.flatnonzero(touched)
        verdicts[again] = self.fitting(js[again].tolist())

    def add(self, j: int, trucks: int) -> None:
        """Record ``trucks`` more (or fewer, when negative) on path ``j``."""
        rows, values = self._block(self.per_path, j)
        self.activity[rows] += trucks * values
        cols, values = self._block(self.columns, j)
        self.column_use[cols] += trucks * values
        lots, _ = self._block(self.stock_member, j)
        self.stock_used[lots] += trucks
