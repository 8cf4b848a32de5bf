"""Prototype: exact commodity aggregation of the planning LP (issue 10, item 1).

Commodities of one *class* share everything the truck flow depends on: the one node (place, slot)
where all their stock becomes available, the slots in which they may leave a crossing, their quota
memberships and the places that take them. For such a class, a truckload is a truckload: the moves
and the holding are one column per (arc, slot) and per (place, slot) for the whole class, the
balance rows are one per (place, class, slot), and offloading stays per commodity, with one row
per commodity "offloaded ≤ stock".

It is exact because the class has one source node: any class flow decomposes into paths from that
node, each ending in one commodity's offloading column; giving each path the commodity of its end
meets every commodity's stock (the new row) and every shared limit (the flow is the same). With
several source nodes (warehouses, or lots arriving at different times) the merge is a relaxation:
the stock of one warehouse could be "delivered" as another's commodity. Such commodities are kept
apart (a class of one).

The aggregated LP is made from the built one by a linear map (rows summed, columns merged), so the
prototype does not depend on how the LP is built: ``A' = R · A · Q`` where ``R`` sums each class's
balance rows and ``Q`` keeps one column per merged group. That every group's columns are equal after
``R`` is checked, not assumed.

    PYTHONPATH=src .venv/bin/python bench/aggregate_proto.py     # Gaza's five proposals + synthetic
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from safepassage.plan.decompose import SINK, FlowEdges, decompose
from safepassage.plan.lp_build import PlanningModel
from safepassage.plan.solve import LPSolution, _run, new_highs

__all__ = ["Aggregation", "aggregate", "commodity_classes", "solve_aggregated"]


def commodity_classes(model: PlanningModel) -> list[list[int]]:
    """Classes of commodities that can share truck columns exactly (see the module doc); a commodity
    with stock at several nodes, or with none, is a class of its own."""
    terms = model.terms
    n_kinds = len(model.scenario.commodities)
    nodes = model.truck_nodes
    supply = model.supply_trucks
    sinks: list[set[int]] = [set() for _ in range(n_kinds)]
    for p, k in zip(model.unload_place.tolist(), model.unload_kind.tolist()):
        sinks[k].add(p)
    keys: dict[tuple, list[int]] = {}
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
            tuple(k in q.commodities for q in terms.quotas),
            tuple(sorted(sinks[k])),
        )
        keys.setdefault(key, []).append(k)
    return sorted(list(keys.values()) + singles)


@dataclass
class Aggregation:
    """The aggregated LP (HiGHS form) and the maps back to the built LP."""

    highs_lp: highspy.HighsLp
    classes: list[list[int]]
    class_of: np.ndarray  # (K,) class index per commodity
    col_group: np.ndarray  # built column -> aggregated column
    rep: np.ndarray  # aggregated column -> a built column it stands for (the first)
    row_group: np.ndarray  # built row -> aggregated row
    n_cols: int
    n_rows: int
    nnz: int


def _keys(model: PlanningModel, class_of: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A group id per built column and per built row: merged x and s columns, summed balance rows."""
    lp, nodes = model.lp, model.truck_nodes
    n_slots = model.terms.grid.n_slots
    n_classes = int(class_of.max()) + 1 if len(class_of) else 1
    n_places = len(model.scenario.places)
    col_key = np.arange(lp.n_cols, dtype=np.int64) + 1  # unique positive keys for the others
    x, s = model.col("x"), model.col("s")
    moves = model.trucks
    # x: (arc, dep, arr, class) ; s: (place, class, slot). Negative keys never meet the others.
    arr_span = n_slots + 1
    x_key = ((moves.arc * n_slots + moves.dep) * arr_span + moves.arr) * n_classes + class_of[moves.kind]
    col_key[x.slice()] = -(2 * x_key + 2)
    pair = np.repeat(model.storage_pairs, n_slots)
    slot = np.tile(np.arange(n_slots), len(model.storage_pairs))
    s_key = (nodes.pair_place[pair] * n_classes + class_of[nodes.pair_kind[pair]]) * n_slots + slot
    col_key[s.slice()] = -(2 * s_key + 1)
    row_key = np.arange(lp.n_rows, dtype=np.int64) + 1
    block = lp.row_block("truck_balance")
    pair_of_row = np.repeat(np.arange(nodes.n_pairs), n_slots)
    slot_of_row = np.tile(np.arange(n_slots), nodes.n_pairs)
    b_key = (nodes.pair_place[pair_of_row] * n_classes + class_of[nodes.pair_kind[pair_of_row]]) * n_slots + slot_of_row
    row_key[block.slice()] = -(b_key + 1)
    del n_places
    return col_key, row_key


def aggregate(model: PlanningModel, classes: list[list[int]] | None = None, check: bool = True) -> Aggregation:
    """The aggregated LP of ``model`` for ``classes`` (default: ``commodity_classes``)."""
    classes = commodity_classes(model) if classes is None else classes
    n_kinds = len(model.scenario.commodities)
    class_of = np.zeros(n_kinds, dtype=np.int64)
    for c, members in enumerate(classes):
        class_of[members] = c
    lp = model.lp
    col_key, row_key = _keys(model, class_of)
    _, first_col, col_group = np.unique(col_key, return_index=True, return_inverse=True)
    _, row_group = np.unique(row_key, return_inverse=True)
    n_rows_merged = int(row_group.max()) + 1 if len(row_group) else 0
    matrix = lp.csc()
    R = sp.csr_matrix((np.ones(lp.n_rows), (row_group, np.arange(lp.n_rows))), shape=(n_rows_merged, lp.n_rows))
    merged = (R @ matrix).tocsc()
    cost, col_lower, col_upper, row_lower, row_upper = lp.vectors()
    rep = first_col
    if check:
        # Every built column of a group must be the same column after the rows are summed.
        diff = merged - merged[:, rep[col_group]]
        if abs(diff).max() > 1e-12 or np.abs(cost - cost[rep[col_group]]).max() > 1e-12:
            raise AssertionError("columns merged by the aggregation differ: the classes are not exact")
    a = merged[:, rep]
    merged_lower = np.bincount(row_group, weights=np.where(np.isinf(row_lower), 0, row_lower), minlength=n_rows_merged)
    merged_upper = np.bincount(row_group, weights=np.where(np.isinf(row_upper), 0, row_upper), minlength=n_rows_merged)
    lower_inf = np.bincount(row_group, weights=np.isinf(row_lower).astype(float), minlength=n_rows_merged) > 0
    upper_inf = np.bincount(row_group, weights=np.isinf(row_upper).astype(float), minlength=n_rows_merged) > 0
    merged_lower[lower_inf] = -np.inf
    merged_upper[upper_inf] = np.inf
    # One row per commodity of a merged class: offloaded truckloads ≤ its stock.
    u = model.col("u")
    multi = [k for members in classes if len(members) > 1 for k in members]
    extra_rows, extra_cols = [], []
    stock = np.zeros(len(multi))
    for r, k in enumerate(multi):
        cols = u.start + np.flatnonzero(model.unload_kind == k)
        extra_rows.append(np.full(len(cols), r))
        extra_cols.append(col_group[cols])
        stock[r] = model.supply_trucks[model.truck_nodes.pair_kind == k].sum()
    if multi:
        rows_e, cols_e = np.concatenate(extra_rows), np.concatenate(extra_cols)
        extra = sp.csc_matrix((np.ones(len(rows_e)), (rows_e, cols_e)), shape=(len(multi), a.shape[1]))
        a = sp.vstack([a, extra]).tocsc()
        merged_lower = np.concatenate([merged_lower, np.full(len(multi), -np.inf)])
        merged_upper = np.concatenate([merged_upper, stock])
    a.sort_indices()
    inf = highspy.kHighsInf
    h = highspy.HighsLp()
    h.num_col_, h.num_row_ = a.shape[1], a.shape[0]
    h.sense_ = highspy.ObjSense.kMaximize
    h.col_cost_ = cost[rep]
    h.col_lower_ = np.where(np.isinf(col_lower[rep]), -inf, col_lower[rep])
    h.col_upper_ = np.where(np.isinf(col_upper[rep]), inf, col_upper[rep])
    h.row_lower_ = np.where(np.isinf(merged_lower), -inf, merged_lower)
    h.row_upper_ = np.where(np.isinf(merged_upper), inf, merged_upper)
    h.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    h.a_matrix_.start_ = a.indptr.astype(np.int32)
    h.a_matrix_.index_ = a.indices.astype(np.int32)
    h.a_matrix_.value_ = a.data
    return Aggregation(h, classes, class_of, col_group, rep, row_group, a.shape[1], a.shape[0], int(a.nnz))


def disaggregate(model: PlanningModel, agg: Aggregation, y: np.ndarray) -> np.ndarray:
    """The built LP's columns from the aggregated solution ``y``: the class flow decomposed into paths
    from its source node, each path given the commodity of the offloading column it ends in; paths
    that end unloaded take the commodities' stock not offloaded."""
    lp, nodes = model.lp, model.truck_nodes
    n_slots = model.terms.grid.n_slots
    x_out = np.zeros(lp.n_cols)
    x_col, s_col, u_col = model.col("x"), model.col("s"), model.col("u")
    truck_cols = np.zeros(lp.n_cols, dtype=bool)
    truck_cols[x_col.slice()] = True
    truck_cols[s_col.slice()] = True
    x_out[~truck_cols] = y[agg.col_group[~truck_cols]]
    # Lookup (group, commodity) -> built column, for x and s.
    lookup: dict[tuple[int, int], int] = {}
    kinds_x = model.trucks.kind
    for j in range(x_col.size):
        lookup[(int(agg.col_group[x_col.start + j]), int(kinds_x[j]))] = x_col.start + j
    pair_of_s = np.repeat(model.storage_pairs, n_slots)
    for j in range(s_col.size):
        lookup[(int(agg.col_group[s_col.start + j]), int(nodes.pair_kind[pair_of_s[j]]))] = s_col.start + j
    # Aggregated flow edges on aggregated balance rows.
    block = lp.row_block("truck_balance")
    row = lambda built_row: agg.row_group[block.start + built_row]
    moves, arcs = model.trucks, model.arcs
    groups_x = np.unique(agg.col_group[x_col.slice()])
    groups_s = np.unique(agg.col_group[s_col.slice()])
    rep_x = agg.rep[groups_x] - x_col.start
    rep_s = agg.rep[groups_s] - s_col.start
    hold_rows = pair_of_s[rep_s] * n_slots + rep_s % n_slots
    hold_next = np.where(hold_rows % n_slots < n_slots - 1, hold_rows + 1, -1)
    unload_rows = nodes.row(model.unload_place, model.unload_kind, model.unload_slot)
    src = np.concatenate([row(nodes.row(arcs.tail[moves.arc[rep_x]], moves.kind[rep_x], moves.dep[rep_x])), row(hold_rows), row(unload_rows)])
    tgt = np.concatenate([row(nodes.row(arcs.head[moves.arc[rep_x]], moves.kind[rep_x], moves.arr[rep_x])), np.where(hold_next >= 0, row(np.maximum(hold_next, 0)), SINK), np.full(u_col.size, SINK)])
    edges = FlowEdges(
        source_row=src, target_row=tgt,
        flow=np.concatenate([y[groups_x], y[groups_s], y[agg.col_group[u_col.slice()]]]),
        edge_type=np.concatenate([np.zeros(len(groups_x), np.int8), np.ones(len(groups_s), np.int8), np.full(u_col.size, 2, np.int8)]),
        ref=np.concatenate([groups_x, groups_s, u_col.start + np.arange(u_col.size)]),
    )
    n_agg_rows = agg.n_rows
    supply = np.bincount(row(np.arange(block.size)), weights=model.supply_trucks.ravel(), minlength=n_agg_rows)
    paths = decompose(edges, supply)
    # Commodity stock not offloaded, per commodity, for the paths that end unloaded.
    stock = np.array([model.supply_trucks[nodes.pair_kind == k].sum() for k in range(len(model.scenario.commodities))])
    offloaded = np.bincount(model.unload_kind, weights=y[agg.col_group[u_col.slice()]], minlength=len(stock))
    left = np.maximum(stock - offloaded, 0.0)
    for path in paths:
        if not path.edges:
            continue
        last = path.edges[-1]
        if edges.edge_type[last] == 2:
            shares = {int(model.unload_kind[edges.ref[last] - u_col.start]): path.amount}
        else:
            cls = _class_of_row(model, agg, int(path.start_row))
            pool = {k: left[k] for k in agg.classes[cls] if left[k] > 1e-12}
            total = sum(pool.values())
            shares = {k: path.amount * v / total for k, v in pool.items()} if total > 0 else {}
            for k, v in shares.items():
                left[k] -= v
        for e in path.edges:
            if edges.edge_type[e] == 2:
                continue
            for k, amount in shares.items():
                col = lookup.get((int(edges.ref[e]), k))
                if col is None:
                    raise AssertionError(f"a path of commodity {k} uses a move it has no column for")
                x_out[col] += amount
    return x_out


def _class_of_row(model: PlanningModel, agg: Aggregation, agg_row: int) -> int:
    block = model.lp.row_block("truck_balance")
    built = int(np.flatnonzero(agg.row_group[block.start:block.start + block.size] == agg_row)[0])
    return int(agg.class_of[model.truck_nodes.pair_kind[built // model.terms.grid.n_slots]])


def solve_aggregated(model: PlanningModel, threads: int | None = None) -> tuple[LPSolution, Aggregation, dict]:
    """Aggregate, solve with HiGHS (IPM + crossover, as the planner) and disaggregate."""
    started = time.perf_counter()
    agg = aggregate(model)
    built = time.perf_counter()
    highs = new_highs(threads=threads)
    highs.setOptionValue("solver", "ipm")
    highs.passModel(agg.highs_lp)
    solution = _run(highs, time.perf_counter())
    solved = time.perf_counter()
    x = disaggregate(model, agg, solution.x)
    done = time.perf_counter()
    matrix = model.lp.csc()
    dual = solution.row_dual[agg.row_group]
    full = LPSolution(solution.status, solution.objective, x, dual, matrix @ x, solution.solve_seconds, solution.iterations)
    return full, agg, {"aggregate_s": built - started, "solve_s": solved - built, "disaggregate_s": done - solved}


def _main() -> None:
    import argparse
    import json

    from safepassage.plan.lp_build import build_planning_model
    from safepassage.plan.solve import solve_lp
    from safepassage.scenario import load_scenario

    parser = argparse.ArgumentParser()
    parser.add_argument("--synthetic", nargs="*", default=["30x1x3", "40x2x4", "60x1x5"], help="PLACESxDAYSxWAREHOUSES")
    args = parser.parse_args()
    cases = []
    gaza = load_scenario("gaza-2023-11")
    cases += [(f"gaza/{p.id}", gaza, p.id) for p in gaza.proposals]
    if args.synthetic:
        from safepassage.scenario.synthetic import DEFAULT_COMMODITIES, SyntheticCommodity, synthetic_scenario

        extra = (SyntheticCommodity("generator-parts", "Generator parts", "pallet", 20.0, 0.00005, 0.4, 1.0, restricted=True),)
        for spec in args.synthetic:
            n, d, w = spec.split("x")
            s = synthetic_scenario(int(n), float(d), 1, 15, warehouses=int(w), replenish=False, commodities=DEFAULT_COMMODITIES + extra)
            cases.append((f"synthetic {spec}", s, "daily-windows"))
    for name, scenario, proposal in cases:
        model = build_planning_model(scenario, scenario.proposal(proposal))
        t0 = time.perf_counter()
        plain = solve_lp(model.lp, threads=1)
        t_plain = time.perf_counter() - t0
        t0 = time.perf_counter()
        merged, agg, parts = solve_aggregated(model, threads=1)
        t_agg = time.perf_counter() - t0
        cost = model.lp.vectors()[0]
        rel = abs(merged.objective - plain.objective) / max(1.0, abs(plain.objective))
        back = abs(cost @ merged.x - plain.objective) / max(1.0, abs(plain.objective))
        _, lo, _hi, rlo, rhi = model.lp.vectors()
        act = model.lp.csc() @ merged.x
        residual = max(np.max(np.maximum(rlo - act, 0), initial=0), np.max(np.maximum(act - rhi, 0), initial=0), np.max(np.maximum(lo - merged.x, 0), initial=0))
        print(json.dumps({
            "case": name, "classes": agg.classes, "cols": [model.lp.n_cols, agg.n_cols], "rows": [model.lp.n_rows, agg.n_rows],
            "nnz": [int(model.lp.csc().nnz), agg.nnz], "plain_s": round(t_plain, 3), "aggregated_s": round(t_agg, 3),
            "speedup": round(t_plain / t_agg, 2), "rel_diff": rel, "disaggregated_rel_diff": back, "parts": {k: round(v, 3) for k, v in parts.items()},
            "max_violation_in_built_lp": float(residual),
        }), flush=True)


if __name__ == "__main__":
    _main()
