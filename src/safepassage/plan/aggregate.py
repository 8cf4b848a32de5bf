"""Exact commodity aggregation: solve a smaller LP with the same optimum, and read the solution back
in the built LP's own columns.

Commodities of one *class* share everything the truck flow depends on: the one node (place, slot)
where all their stock becomes available, the slots in which they may leave a crossing, their quota
memberships and the places that take them. For a class, a truckload is a truckload: moves and holding
become one column per (arc, slot) and per (place, slot) for the whole class, and the balance rows
one per (place, class, slot). Offloading stays per commodity, with one more row per commodity:
truckloads offloaded ≤ its stock.

Why it is exact: the class has a single source node, so any class flow decomposes into paths from
that node; each path ends in one commodity's offloading column and takes that commodity; the new
rows keep every commodity within its stock, and every shared limit sees the same flow. With several
source nodes (warehouses, or lots arriving at different times) it would be a relaxation — stock at
one warehouse could be "delivered" as another's commodity — so such commodities stay apart.

The aggregated LP is the built LP under a linear map: ``A' = R · A · Q``, where ``R`` sums each
class's balance rows and ``Q`` keeps one column per merged group. That all columns of a group are
equal after ``R`` (same entries, cost and bounds) is checked when the map is made.

>>> from safepassage.scenario import load_scenario
>>> from safepassage.plan.lp_build import build_planning_model
>>> gaza = load_scenario("gaza-2023-11")
>>> model = build_planning_model(gaza, gaza.proposal("daily-4h-north"))
>>> [[gaza.commodities[k].id for k in c] for c in commodity_classes(model) if len(c) > 1]
[['food', 'water', 'medical', 'shelter'], ['fuel', 'cash']]
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from safepassage.plan.decompose import SINK, FlowEdges, decompose
from safepassage.plan.lp_build import PlanningModel
from safepassage.plan.solve import (
    DEFAULT_SOLVER,
    ColumnwiseLP,
    LPSolution,
    _run,
    new_highs,
    solve_by_components,
    solve_lp,
)

__all__ = ["Aggregation", "AggregationError", "aggregate", "commodity_classes", "disaggregate", "solve_planning_lp"]


class AggregationError(RuntimeError):
    """The aggregation map or its inverse failed a check (a bug, not bad input)."""


def commodity_classes(model: PlanningModel) -> list[list[int]]:
    """Commodity indices grouped into exact classes (see the module doc), in index order. A commodity
    with stock at several nodes, or none, is a class of its own."""
    terms, nodes, supply = model.terms, model.truck_nodes, model.supply_trucks
    n_kinds = len(model.scenario.commodities)
    sinks: list[set[int]] = [set() for _ in range(n_kinds)]
    for p, k in zip(model.unload_place.tolist(), model.unload_kind.tolist()):
        sinks[k].add(p)
    classes: dict[tuple, list[int]] = {}
    singles: list[list[int]] = []
    for k in range(n_kinds):
        pairs = np.flatnonzero(nodes.pair_kind == k)
        rows, slots = np.nonzero(supply[pairs] > 0)
        source_nodes = {(int(nodes.pair_place[pairs[r]]), int(t)) for r, t in zip(rows, slots)}
        if len(source_nodes) != 1:
            singles.append([k])
            continue
        key = (
            next(iter(source_nodes)),
            terms.admitted_slots[k].tobytes(),
            tuple(k in q.commodities for q in terms.quotas + terms.quota_floors),
            tuple(sorted(sinks[k])),
        )
        classes.setdefault(key, []).append(k)
    return sorted(list(classes.values()) + singles)


@dataclass
class Aggregation:
    """The aggregated LP in HiGHS's form, and the maps between it and the built LP."""

    columnwise: ColumnwiseLP
    classes: list[list[int]]
    class_of: np.ndarray  # (K,) class per commodity
    col_group: np.ndarray  # built column -> aggregated column
    rep: np.ndarray  # aggregated column -> the first built column it stands for
    row_group: np.ndarray  # built row -> aggregated row (the extra per-commodity rows come after)
    n_cols: int
    n_rows: int
    nnz: int

    @property
    def highs_lp(self) -> highspy.HighsLp:
        """The aggregated LP as a ``highspy.HighsLp`` (made on each call)."""
        return self.columnwise.to_highs()

    @property
    def merged(self) -> bool:
        """Whether any class has more than one commodity (otherwise the LP is the built one)."""
        return any(len(c) > 1 for c in self.classes)


def _group_keys(model: PlanningModel, class_of: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A key per built column and per built row; equal keys are merged. Moves x: (arc, dep, arr,
    class); holding s: (place, class, slot); balance rows: (place, class, slot); the rest unique."""
    lp, nodes = model.lp, model.truck_nodes
    n_slots = model.terms.grid.n_slots
    n_classes = int(class_of.max()) + 1 if len(class_of) else 1
    x, s = model.col("x"), model.col("s")
    moves = model.trucks
    col_key = np.arange(lp.n_cols, dtype=np.int64) + 1  # positive: never merged
    x_key = ((moves.arc * n_slots + moves.dep) * (n_slots + 1) + moves.arr) * n_classes + class_of[moves.kind]
    col_key[x.slice()] = -(2 * x_key + 2)
    pair = np.repeat(model.storage_pairs, n_slots)
    slot = np.tile(np.arange(n_slots), len(model.storage_pairs))
    col_key[s.slice()] = -(
        2 * ((nodes.pair_place[pair] * n_classes + class_of[nodes.pair_kind[pair]]) * n_slots + slot) + 1
    )
    row_key = np.arange(lp.n_rows, dtype=np.int64) + 1
    block = lp.row_block("truck_balance")
    pair_of_row = np.repeat(np.arange(nodes.n_pairs), n_slots)
    slot_of_row = np.tile(np.arange(n_slots), nodes.n_pairs)
    row_key[block.slice()] = -(
        (nodes.pair_place[pair_of_row] * n_classes + class_of[nodes.pair_kind[pair_of_row]]) * n_slots + slot_of_row + 1
    )
    return col_key, row_key


def _summed_bounds(group: np.ndarray, bound: np.ndarray, n: int) -> np.ndarray:
    infinite = np.bincount(group, weights=np.isinf(bound).astype(np.float64), minlength=n) > 0
    total = np.bincount(group, weights=np.where(np.isinf(bound), 0.0, bound), minlength=n)
    negative = np.bincount(group, weights=(bound == -np.inf).astype(np.float64), minlength=n) > 0
    return np.where(infinite, np.where(negative, -np.inf, np.inf), total)


def aggregate(model: PlanningModel, classes: list[list[int]] | None = None) -> Aggregation:
    """The aggregated LP of ``model`` for ``classes`` (default: ``commodity_classes(model)``). Raises
    ``AggregationError`` if the columns it merges are not equal after the rows are summed (classes
    that do not share the truck flow's structure)."""
    classes = commodity_classes(model) if classes is None else classes
    class_of = np.zeros(len(model.scenario.commodities), dtype=np.int64)
    for c, members in enumerate(classes):
        class_of[members] = c
    lp = model.lp
    col_key, row_key = _group_keys(model, class_of)
    _, rep, col_group = np.unique(col_key, return_index=True, return_inverse=True)
    _, row_group = np.unique(row_key, return_inverse=True)
    n_rows = int(row_group.max()) + 1 if len(row_group) else 0
    summing = sp.csr_matrix((np.ones(lp.n_rows), (row_group, np.arange(lp.n_rows))), shape=(n_rows, lp.n_rows))
    summed = (summing @ lp.csc()).tocsc()
    cost, col_lower, col_upper, row_lower, row_upper = lp.vectors()
    same = rep[col_group]
    difference = summed - summed[:, same]
    if difference.nnz and abs(difference).max() > 1e-12:
        raise AggregationError("merged columns differ after summing their balance rows")
    for values in (cost, col_lower, col_upper):
        if not np.array_equal(values, values[same]):
            raise AggregationError("merged columns differ in cost or bounds")
    matrix = summed[:, rep]
    lower, upper = _summed_bounds(row_group, row_lower, n_rows), _summed_bounds(row_group, row_upper, n_rows)
    # Per commodity of a merged class: truckloads offloaded ≤ its stock.
    multi = [k for members in classes if len(members) > 1 for k in members]
    if multi:
        u = model.col("u")
        rows, cols = [], []
        for r, k in enumerate(multi):
            unload = u.start + np.flatnonzero(model.unload_kind == k)
            rows.append(np.full(len(unload), r))
            cols.append(col_group[unload])
        stock = np.array([model.supply_trucks[model.truck_nodes.pair_kind == k].sum() for k in multi])
        r_all, c_all = np.concatenate(rows), np.concatenate(cols)
        extra = sp.csc_matrix((np.ones(len(r_all)), (r_all, c_all)), shape=(len(multi), matrix.shape[1]))
        matrix = sp.vstack([matrix, extra]).tocsc()
        lower = np.concatenate([lower, np.full(len(multi), -np.inf)])
        upper = np.concatenate([upper, stock])
    matrix.sort_indices()
    inf = highspy.kHighsInf
    h = ColumnwiseLP(
        matrix, cost[rep], np.where(np.isinf(col_lower[rep]), -inf, col_lower[rep]),
        np.where(np.isinf(col_upper[rep]), inf, col_upper[rep]), np.where(np.isinf(lower), -inf, lower),
        np.where(np.isinf(upper), inf, upper), bool(lp.sense_maximize),
    )
    return Aggregation(
        h, classes, class_of, col_group, rep, row_group, matrix.shape[1], matrix.shape[0], int(matrix.nnz)
    )


def disaggregate(model: PlanningModel, agg: Aggregation, y: np.ndarray) -> np.ndarray:
    """The built LP's column values from the aggregated solution ``y``.

    Each class's flow is decomposed into paths from its source node; a path ending in commodity k's
    offloading column is k's, and adds its amount to k's own move and holding columns along the way.
    Paths that end without offloading carry stock no one offloads: they take the commodities' stock
    left over. Raises ``AggregationError`` if a path of k uses a move k has no column for."""
    lp, nodes = model.lp, model.truck_nodes
    n_slots = model.terms.grid.n_slots
    n_kinds = len(model.scenario.commodities)
    x_col, s_col, u_col = model.col("x"), model.col("s"), model.col("u")
    out = y[agg.col_group].copy()
    out[x_col.slice()] = 0.0
    out[s_col.slice()] = 0.0
    # (aggregated column, commodity) -> built column, for moves and holding.
    pair_of_s = np.repeat(model.storage_pairs, n_slots)
    built = np.concatenate([x_col.start + np.arange(x_col.size), s_col.start + np.arange(s_col.size)])
    kinds = np.concatenate([model.trucks.kind, nodes.pair_kind[pair_of_s]])
    keys = agg.col_group[built] * n_kinds + kinds
    order = np.argsort(keys)
    keys, built = keys[order], built[order]

    block = lp.row_block("truck_balance")
    to_row = agg.row_group[block.start : block.start + block.size]
    moves, arcs = model.trucks, model.arcs
    groups_x = np.unique(agg.col_group[x_col.slice()])
    groups_s = np.unique(agg.col_group[s_col.slice()])
    rep_x = agg.rep[groups_x] - x_col.start
    rep_s = agg.rep[groups_s] - s_col.start
    hold_rows = pair_of_s[rep_s] * n_slots + rep_s % n_slots
    last_slot = hold_rows % n_slots == n_slots - 1
    unload_rows = nodes.row(model.unload_place, model.unload_kind, model.unload_slot)
    edges = FlowEdges(
        source_row=np.concatenate(
            [
                to_row[nodes.row(arcs.tail[moves.arc[rep_x]], moves.kind[rep_x], moves.dep[rep_x])],
                to_row[hold_rows],
                to_row[unload_rows],
            ]
        ),
        target_row=np.concatenate(
            [
                to_row[nodes.row(arcs.head[moves.arc[rep_x]], moves.kind[rep_x], moves.arr[rep_x])],
                np.where(last_slot, SINK, to_row[np.where(last_slot, hold_rows, hold_rows + 1)]),
                np.full(u_col.size, SINK),
            ]
        ),
        flow=np.concatenate([y[groups_x], y[groups_s], y[agg.col_group[u_col.slice()]]]),
        edge_type=np.concatenate(
            [np.zeros(len(groups_x), np.int8), np.ones(len(groups_s), np.int8), np.full(u_col.size, 2, np.int8)]
        ),
        ref=np.concatenate([groups_x, groups_s, u_col.start + np.arange(u_col.size)]),
    )
    supply = np.bincount(to_row, weights=model.supply_trucks.ravel(), minlength=agg.n_rows)
    row_class = np.zeros(agg.n_rows, dtype=np.int64)
    row_class[to_row] = agg.class_of[nodes.pair_kind[np.arange(block.size) // n_slots]]
    stock = np.bincount(nodes.pair_kind, weights=model.supply_trucks.sum(axis=1), minlength=n_kinds)
    offloaded = np.bincount(model.unload_kind, weights=y[agg.col_group[u_col.slice()]], minlength=n_kinds)
    left = np.maximum(stock - offloaded, 0.0)
    # Each path's amount per commodity goes to that commodity's columns along the path; gathered as
    # (aggregated column, commodity, amount) and added in the same order at the end.
    groups_of: list[np.ndarray] = []
    kinds_of: list[int] = []
    amounts_of: list[float] = []
    edge_type, edge_ref = edges.edge_type, edges.ref
    for path in decompose(edges, supply):
        if not path.edges:
            continue
        last = path.edges[-1]
        if edge_type[last] == 2:
            shares = {int(model.unload_kind[edge_ref[last] - u_col.start]): path.amount}
        else:
            pool = {k: left[k] for k in agg.classes[row_class[path.start_row]] if left[k] > 0.0}
            total = sum(pool.values())
            shares = {k: path.amount * v / total for k, v in pool.items()} if total > 0.0 else {}
            for k, v in shares.items():
                left[k] -= v
        walk = np.asarray(path.edges, dtype=np.int64)
        walk_groups = edge_ref[walk[edge_type[walk] != 2]]
        for k, amount in shares.items():
            groups_of.append(walk_groups)
            kinds_of.append(k)
            amounts_of.append(amount)
    if groups_of:
        lengths = np.array([len(g) for g in groups_of], dtype=np.int64)
        wanted = np.concatenate(groups_of) * n_kinds + np.repeat(np.array(kinds_of, dtype=np.int64), lengths)
        i = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
        missing = keys[i] != wanted
        if missing.any():
            k = int(wanted[np.flatnonzero(missing)[0]] % n_kinds)
            raise AggregationError(
                f"a path of commodity {model.scenario.commodities[k].id} uses a move it has no column for"
            )
        np.add.at(out, built[i], np.repeat(np.array(amounts_of), lengths))
    return out


def solve_planning_lp(
    model: PlanningModel, time_limit_s: float | None = None, threads: int | None = None, split: bool = True
) -> LPSolution:
    """Solve the planning LP, aggregated where that is exact (see the module doc); the solution is in
    the built LP's columns and rows (a merged balance row's dual goes to each of its rows). Same
    optimum as ``solve_lp(model.lp)``; raises as it does.

    ``split`` (default): solve the LP's independent parts apart (``solve.solve_by_components``: on Gaza
    the trucks and the people never share a row). The truck flow goes to the interior point with
    crossover, as before: the convoys formed from its paths depend on which optimal vertex the LP
    returns, and on Gaza the primal simplex's vertex cost up to 6% of the bound in consolidation
    (daily-4h-north) against 0.7% for this one. The people's flow and the small parts go to the dual
    simplex. Without ``split`` the whole LP goes to the interior point: the approach before, kept as
    the bench's baseline."""
    agg = aggregate(model)
    trucks = np.zeros(model.lp.n_cols, dtype=bool)
    for name in ("x", "s", "u"):
        trucks[model.col(name).slice()] = True
    if not agg.merged:
        if split:
            return solve_by_components(
                ColumnwiseLP.of_matrix(model.lp), time_limit_s=time_limit_s, threads=threads, ipm_columns=trucks
            )
        return solve_lp(model.lp, time_limit_s=time_limit_s, threads=threads)
    started = time.perf_counter()
    if split:
        truck_groups = np.zeros(agg.n_cols, dtype=bool)
        truck_groups[agg.col_group[trucks]] = True
        solution = solve_by_components(
            agg.columnwise, time_limit_s=time_limit_s, threads=threads, ipm_columns=truck_groups
        )
    else:
        highs = new_highs(time_limit_s, threads)
        highs.setOptionValue("solver", DEFAULT_SOLVER)
        agg.columnwise.pass_to(highs)
        solution = _run(highs, started)
    x = disaggregate(model, agg, solution.x)
    return LPSolution(
        status=solution.status,
        objective=solution.objective,
        x=x,
        row_dual=solution.row_dual[agg.row_group],
        row_activity=model.lp.csc() @ x,
        solve_seconds=time.perf_counter() - started,
        iterations=solution.iterations,
    )
