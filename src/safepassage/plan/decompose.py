"""Decompose a time-expanded flow into paths: each path is one group of trucks (or people) that
leaves a source together, moves and waits, and ends offloaded, safe, or still waiting at the horizon.

Time strictly increases along every edge (moves take at least one slot, holding goes to the next
slot), so the flow has no cycles and the classic path decomposition terminates with at most one
path per edge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain

import numpy as np

__all__ = ["FlowEdges", "Path", "PathEdgeArrays", "decompose"]

EPS = 1e-6
SINK = -1


@dataclass(frozen=True)
class FlowEdges:
    """Edges of one flow: from node row to node row (``SINK`` = leaves the network there),
    with their flow, a type (0 move, 1 hold, 2 sink) and a reference (LP column)."""

    source_row: np.ndarray
    target_row: np.ndarray
    flow: np.ndarray
    edge_type: np.ndarray
    ref: np.ndarray


@dataclass
class Path:
    """One path: its edges (indices into FlowEdges), amount, start row and whether it reached a sink."""

    edges: list[int]
    amount: float
    start_row: int
    delivered: bool = field(default=False)


@dataclass(frozen=True)
class PathEdgeArrays:
    """The edges of a list of paths in one array: path ``j``'s edges, in order, are
    ``flat[start[j]:start[j + 1]]``. Lets per-path sums and look-ups run as NumPy calls over every path
    at once instead of a call per path."""

    flat: np.ndarray
    start: np.ndarray

    @classmethod
    def of(cls, paths: list[Path]) -> PathEdgeArrays:
        walks = [path.edges for path in paths]
        lengths = np.fromiter(map(len, walks), dtype=np.int64, count=len(walks))
        start = np.zeros(len(walks) + 1, dtype=np.int64)
        np.cumsum(lengths, out=start[1:])
        flat = np.fromiter(chain.from_iterable(walks), dtype=np.int64, count=int(start[-1]))
        return cls(flat, start)

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.start)

    def path_of(self) -> np.ndarray:
        """Per entry of ``flat``: the index of its path."""
        return np.repeat(np.arange(len(self.start) - 1, dtype=np.int64), self.lengths)

    @cached_property
    def by_length(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """The paths with at least one edge grouped by their number of edges: per group, (path indices,
        a matrix of their positions in ``flat``, one row per path, its edges in order). Made once; read,
        never changed, by the per-path sums."""
        lengths = self.lengths
        order = np.argsort(lengths, kind="stable")
        ordered = lengths[order]
        cuts = np.concatenate([[0], np.flatnonzero(np.diff(ordered)) + 1, [len(order)]])
        out = []
        for a, b in zip(cuts[:-1].tolist(), cuts[1:].tolist(), strict=True):
            length = int(ordered[a]) if b > a else 0
            if length == 0:
                continue
            paths = order[a:b]
            out.append((paths, self.start[paths][:, None] + np.arange(length, dtype=np.int64)[None, :]))
        return out

    def sums(self, values: np.ndarray) -> np.ndarray:
        """Per path, the sum of ``values`` (one per entry of ``flat``) over its edges; 0 for a path without
        edges. Each is the same float as ``values[path's slice].sum()``: NumPy sums every row of a matrix
        along its last axis in the same pairwise order as the row alone, so the paths are summed in
        groups of equal length (``np.add.reduceat`` would not give the same floats)."""
        values = np.asarray(values, dtype=np.float64)
        out = np.zeros(len(self.start) - 1, dtype=np.float64)
        for paths, positions in self.by_length:
            out[paths] = values[positions].sum(axis=1)
        return out


def decompose(edges: FlowEdges, supply: np.ndarray) -> list[Path]:
    """Paths carrying the flow out of every supply row (``supply`` indexed by row).

    Only edges with flow above ``EPS`` can be on a path (flow left on an edge only falls), so the walk
    sees those alone, in the same order; it is plain Python over lists (indexing a NumPy array one
    element at a time costs several times more), with the same float64 arithmetic, so the paths are
    the same as a walk over every edge."""
    flow = edges.flow.astype(np.float64)
    kept = np.flatnonzero(flow > EPS)
    source, etype, target_rows = edges.source_row[kept], edges.edge_type[kept], edges.target_row[kept]
    order_array = np.lexsort((etype != 2, source))  # per row: sinks first (a stable sort: ties by edge)
    n_rows = len(supply)
    pointer = np.searchsorted(source[order_array], np.arange(n_rows + 1), side="left").tolist()
    order: list[int] = order_array.tolist()
    original: list[int] = kept.tolist()
    remaining: list[float] = flow[kept].tolist()
    first = pointer[:-1]  # per row: first candidate position in `order`
    supply_left: list[float] = supply.astype(np.float64).tolist()
    target: list[int] = target_rows.tolist()
    ends: list[bool] = ((etype == 2) | (target_rows == SINK)).tolist()
    delivers: list[bool] = ((etype == 2) | ((target_rows == SINK) & (etype == 0))).tolist()
    paths: list[Path] = []
    for start in np.flatnonzero(supply.astype(np.float64) > EPS).tolist():
        while supply_left[start] > EPS:
            amount = supply_left[start]
            row, walk = start, []
            while True:
                pos, end = first[row], pointer[row + 1]
                while pos < end and remaining[order[pos]] <= EPS:
                    pos += 1
                first[row] = pos
                if pos == end:
                    break
                edge = order[pos]
                walk.append(edge)
                if remaining[edge] < amount:
                    amount = remaining[edge]
                if ends[edge]:
                    break
                row = target[edge]
            if amount <= EPS:
                break
            for edge in walk:
                remaining[edge] -= amount
            supply_left[start] -= amount
            paths.append(Path([original[e] for e in walk], float(amount), start, bool(walk) and delivers[walk[-1]]))
            if not walk:
                supply_left[start] = 0.0
    return paths
