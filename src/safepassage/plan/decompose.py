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
    """Paths carrying the flow out of every supply row (``supply`` indexed by row)."""
    order = np.lexsort((edges.edge_type != 2, edges.source_row))  # per row: sinks first
    rows_sorted = edges.source_row[order]
    n_rows = len(supply)
    pointer = np.searchsorted(rows_sorted, np.arange(n_rows + 1), side="left")
    remaining = edges.flow.astype(np.float64).copy()
    first = pointer[:-1].copy()  # per row: first candidate position in `order`
    supply_left = supply.astype(np.float64).copy()
    target, etype = edges.target_row, edges.edge_type
    paths: list[Path] = []
    for start in np.flatnonzero(supply_left > EPS):
        while supply_left[start] > EPS:
            amount = supply_left[start]
            row, walk = int(start), []
            while True:
                pos, end = first[row], pointer[row + 1]
                while pos < end and remaining[order[pos]] <= EPS:
                    pos += 1
                first[row] = pos
                if pos == end:
                    break
                edge = int(order[pos])
                walk.append(edge)
                amount = min(amount, remaining[edge])
                if etype[edge] == 2 or target[edge] == SINK:
                    break
                row = int(target[edge])
            if amount <= EPS:
                break
            for edge in walk:
                remaining[edge] -= amount
            supply_left[start] -= amount
            delivered = bool(walk) and (etype[walk[-1]] == 2 or (target[walk[-1]] == SINK and etype[walk[-1]] == 0))
            paths.append(Path(walk, float(amount), int(start), delivered))
            if not walk:
                supply_left[start] = 0.0
    return paths
