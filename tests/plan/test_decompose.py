"""Path decomposition of a time-expanded flow: every unit of supply leaves on one path, the paths
carry exactly the flow of every edge, and each path is a walk that ends delivered or still waiting."""

from __future__ import annotations

import numpy as np
import pytest

from safepassage.plan.decompose import SINK, FlowEdges, decompose

MOVE, HOLD, OUT = 0, 1, 2


def _edges(rows: list[tuple[int, int, float, int]]) -> FlowEdges:
    source, target, flow, kind = (np.array(column) for column in zip(*rows))
    return FlowEdges(source.astype(np.int64), target.astype(np.int64), flow.astype(np.float64), kind.astype(np.int64), np.arange(len(rows)))


def _carried(edges: FlowEdges, paths) -> np.ndarray:  # noqa: ANN001
    used = np.zeros(len(edges.flow))
    for path in paths:
        for edge in path.edges:
            used[edge] += path.amount
    return used


def test_a_split_flow_becomes_two_paths():
    # Row 0 (5 loads) sends 3 to row 1, offloaded there, and 2 to row 2, held to row 3, then offloaded.
    edges = _edges([(0, 1, 3.0, MOVE), (0, 2, 2.0, MOVE), (1, SINK, 3.0, OUT), (2, 3, 2.0, HOLD), (3, SINK, 2.0, OUT)])
    supply = np.array([5.0, 0.0, 0.0, 0.0])
    paths = sorted(decompose(edges, supply), key=lambda p: -p.amount)
    assert [(p.edges, p.amount, p.start_row, p.delivered) for p in paths] == [([0, 2], 3.0, 0, True), ([1, 3, 4], 2.0, 0, True)]


def test_supply_with_nowhere_to_go_is_one_undelivered_path():
    edges = _edges([(0, 1, 2.0, MOVE)])  # 2 of the 5 loads move to row 1 and wait there at the horizon
    paths = decompose(edges, np.array([5.0, 0.0]))
    assert sorted((p.edges, p.amount, p.delivered) for p in paths) == [([], 3.0, False), ([0], 2.0, False)]


@pytest.mark.parametrize("seed", range(8))
def test_random_flows_are_carried_exactly(seed: int):
    """Random path flows on a layered (time-ordered) network, summed into edge flows, decompose back
    into paths that carry every edge's flow and every row's supply, each a connected walk."""
    rng = np.random.default_rng(seed)
    layers, width = 5, 3  # rows = layer * width + position; edges only go to the next layer
    n_rows = layers * width
    supply = np.zeros(n_rows)
    flow: dict[tuple[int, int, int], float] = {}
    for _ in range(12):
        row = int(rng.integers(width))  # paths start in the first layer
        amount = float(rng.integers(1, 6))
        supply[row] += amount
        for layer in range(1, int(rng.integers(1, layers + 1))):
            nxt = layer * width + int(rng.integers(width))
            key = (row, nxt, HOLD if nxt - row == width else MOVE)
            flow[key] = flow.get(key, 0.0) + amount
            row = nxt
        if rng.random() < 0.7:
            flow[(row, SINK, OUT)] = flow.get((row, SINK, OUT), 0.0) + amount
    edges = _edges([(s, t, f, k) for (s, t, k), f in flow.items()])
    paths = decompose(edges, supply)
    assert _carried(edges, paths) == pytest.approx(edges.flow)
    by_start = np.bincount([p.start_row for p in paths], weights=[p.amount for p in paths], minlength=n_rows)
    assert by_start == pytest.approx(supply)
    delivered = sum(edges.flow[edges.edge_type == OUT])
    assert sum(p.amount for p in paths if p.delivered) == pytest.approx(delivered)
    for path in paths:
        rows = [path.start_row] + [int(edges.target_row[e]) for e in path.edges]
        assert all(int(edges.source_row[e]) == rows[i] for i, e in enumerate(path.edges))  # a connected walk
        assert path.delivered == (bool(path.edges) and int(edges.edge_type[path.edges[-1]]) == OUT)


def test_edges_without_flow_change_no_path_and_indices_stay_the_full_lists():
    # The same flow twice: alone, and with empty edges (zero, below EPS) interleaved before and between.
    flow = [(0, 1, 3.0, MOVE), (0, 2, 2.0, MOVE), (1, SINK, 3.0, OUT), (2, 3, 2.0, HOLD), (3, SINK, 2.0, OUT)]
    empty = [(0, 3, 0.0, MOVE), (1, 2, 1e-9, MOVE), (2, SINK, 0.0, OUT), (0, SINK, 0.0, OUT)]
    mixed = [empty[0], flow[0], empty[1], flow[1], empty[2], flow[2], flow[3], empty[3], flow[4]]
    where = [mixed.index(edge) for edge in flow]
    supply = np.array([5.0, 0.0, 0.0, 0.0])
    alone, with_empty = decompose(_edges(flow), supply), decompose(_edges(mixed), supply)
    def summary(paths):  # noqa: ANN001, ANN202
        return [(p.amount, p.start_row, p.delivered) for p in paths]

    assert summary(alone) == summary(with_empty)
    assert [[where[e] for e in p.edges] for p in alone] == [p.edges for p in with_empty]
    assert _carried(_edges(mixed), with_empty) == pytest.approx([e[2] if e[2] > 1e-6 else 0.0 for e in mixed])
