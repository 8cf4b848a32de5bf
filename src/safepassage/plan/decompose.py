"""Decompose a time-expanded flow into paths: each path is one group of trucks (or people) that
leaves a source together, moves and waits, and ends offloaded, safe, or still waiting at the horizon.

Time strictly increases along every edge (moves take at least one slot, holding goes to the next
slot), so the flow has no cycles and the classic path decomposition terminates with at most one
path per edge.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["FlowEdges", "Path", "decompose"]

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


def decompose(edges: FlowEdges, supply: np.ndarray) -> list[Path]:
    """Paths carrying the flow out of every supply row (``supply`` indexed by row).

    The walk is plain Python over lists (indexing a NumPy array one element at a time costs several
    times more); the arithmetic is the same float64 arithmetic, so the paths are the same."""
    order_array = np.lexsort((edges.edge_type != 2, edges.source_row))  # per row: sinks first
    rows_sorted = edges.source_row[order_array]
    n_rows = len(supply)
    pointer = np.searchsorted(rows_sorted, np.arange(n_rows + 1), side="left").tolist()
    order: list[int] = order_array.tolist()
    remaining: list[float] = edges.flow.astype(np.float64).tolist()
    first = pointer[:-1]  # per row: first candidate position in `order`
    supply_left: list[float] = supply.astype(np.float64).tolist()
    target: list[int] = edges.target_row.tolist()
    ends: list[bool] = ((edges.edge_type == 2) | (edges.target_row == SINK)).tolist()
    delivers: list[bool] = ((edges.edge_type == 2) | ((edges.target_row == SINK) & (edges.edge_type == 0))).tolist()
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
            paths.append(Path(walk, float(amount), start, bool(walk) and delivers[walk[-1]]))
            if not walk:
                supply_left[start] = 0.0
    return paths
