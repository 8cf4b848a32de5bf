"""The window price solved warm: the LP with every window an hour longer, started from the plan's LP.

The price of the windows (``planner._with_window_value``) is the optimum of the LP with every window an
hour longer minus the plan's optimum, each LP on its own time grid. The grids differ (window edges are
slot boundaries and the fine margins follow them), so the longer LP has other columns and rows than the
plan's. It is still built on its own grid, and so its optimum is the re-build's; only its *start*
comes from the plan's LP solution:

* each built column and row has a key that does not depend on the grid — its family and what it
  concerns (road and its two places, commodity or origin; place; tier; quota and day) — and a slot
  (``column_keys``, ``row_keys``);
* a column (row) of the longer LP takes the plan's primal value (dual value) of the column (row) with
  the same key whose slot holds the start of its own slot, on the plan's grid: a slot cut in two gives
  both halves the value; one with no counterpart starts at 0 (``mapped_start``, ``mapped_duals``);
* the longer LP is aggregated and split into parts as a plan's LP is (``aggregate.aggregate``,
  ``solve.lp_components``); each part gets its share of the mapped primal and dual values, HiGHS's
  crossover turns them into a basis (``Highs.crossover``) and its simplex solves the part to
  optimality from that basis (``solve_warm``).

Whatever the start, each part is solved to optimality, so the price is the re-build's to HiGHS's
tolerances (``tests/plan/test_window_pricing.py``); the start only changes the time. Measured against
the re-build (interior point on the trucks' part): ``bench/bench_window_pricing.py`` and
``docs/performance.md``. A primal start alone (``setSolution``, or crossover from it) or a basis guessed
from the primal values was slower than the re-build on some Gaza proposals; the duals are what make
the crossover short. A start far from the optimum goes cold (``WARM_MAX_DUAL_INFEASIBILITY``,
``WARM_ITERATIONS_PER_ROW``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import highspy
import numpy as np

from safepassage.errors import SolverError
from safepassage.plan.aggregate import aggregate, disaggregate
from safepassage.plan.lp_build import PlanningModel
from safepassage.plan.solve import (
    SIMPLEX_MAX_NONZEROS,
    ColumnwiseLP,
    LPSolution,
    _run,
    lp_components,
    solvable_parts,
    solve_by_components,
)

__all__ = ["WarmSolve", "column_keys", "mapped_duals", "mapped_start", "row_keys", "solve_warm", "solve_warm_from"]

# Row families whose ``slot`` field is not a slot of the grid (a day, an origin, or nothing): matched
# on it exactly. Every other row family is in time.
_UNTIMED_ROWS = frozenset(
    {"quota", "quota_floor", "need_tiers", "destination_split", "shelter_capacity", "presence", "need_follows_people",
     "fair_evacuation"}
)
_TIMED_COLUMNS = frozenset({"x", "y", "s", "h", "u", "f"})
# A part a plan solves by interior point (the trucks', or a large one) is solved warm for at most this
# many simplex iterations per row (at least ``WARM_MIN_ITERATIONS``), then cold as a plan's is. From the
# mapped start, the Gaza trucks' parts took 0.10–0.17 iterations per row and a synthetic 30-place, 2-day
# case 0.33, all faster than the interior point; synthetic cases whose 1–2 hour windows grow by half or
# double took 1.4–1.5 per row, slower than it (``bench/bench_window_pricing.py``, docs/performance.md).
# A part a plan solves by the dual simplex has no limit: warm, it took fewer iterations than cold in
# every case measured.
WARM_ITERATIONS_PER_ROW = 0.4
WARM_MIN_ITERATIONS = 500
# Such a part goes cold at once when the crossover's basis has a sum of dual infeasibilities above this
# share of the start's objective value: 0.004–0.19 on the starts that paid (Gaza's trucks' parts, the
# 30-place case), 3–17 on the two that did not (24 and 50 places). The iteration cap stays behind it.
WARM_MAX_DUAL_INFEASIBILITY = 1.0


def column_keys(model: PlanningModel) -> tuple[np.ndarray, np.ndarray]:
    """Per built column of ``model``: an identity that does not depend on the time grid (int64) and its
    slot (-1: the column is not in time). Families without slots are identified by position."""
    lp, arcs = model.lp, model.arcs
    n_places = len(model.scenario.places)
    n_kinds = max(len(model.scenario.commodities), len(model.origins), 1)
    n_slots = max(model.terms.grid.n_slots, 1)
    families = list(lp.blocks)
    ident = np.full(lp.n_cols, -1, dtype=np.int64)
    slot = np.full(lp.n_cols, -1, dtype=np.int64)
    for family, (name, block) in enumerate(lp.blocks.items()):
        cols = block.slice()
        if name in ("x", "y"):
            moves = model.trucks if name == "x" else model.people
            road = ((arcs.road[moves.arc] + 1) * n_places + arcs.tail[moves.arc]) * n_places + arcs.head[moves.arc]
            entity, slot[cols] = road * n_kinds + moves.kind, moves.dep
        elif name in ("s", "h"):
            pairs, nodes = (
                (model.storage_pairs, model.truck_nodes) if name == "s" else (model.holding_pairs, model.people_nodes)
            )
            entity = np.repeat(nodes.pair_place[pairs] * n_kinds + nodes.pair_kind[pairs], n_slots)
            slot[cols] = np.tile(np.arange(n_slots), len(pairs))
        elif name == "u":
            entity, slot[cols] = model.unload_place * n_kinds + model.unload_kind, model.unload_slot
        elif name == "f":  # per duration (by rank) and departure slot
            entity, slot[cols] = np.arange(block.size) // n_slots, np.arange(block.size) % n_slots
        else:
            entity = np.arange(block.size)
        ident[cols] = entity * len(families) + family
    return ident, slot


def row_keys(model: PlanningModel) -> tuple[np.ndarray, np.ndarray]:
    """Per built row of ``model``: an identity that does not depend on the time grid (int64) and its
    slot (-1: the row is not in time). Balance rows are identified by (place, commodity or origin)."""
    lp = model.lp
    n_kinds = max(len(model.scenario.commodities), len(model.origins), 1)
    n_families = len(lp.row_blocks)
    ident = np.full(lp.n_rows, -1, dtype=np.int64)
    slot = np.full(lp.n_rows, -1, dtype=np.int64)
    for family, block in enumerate(lp.row_blocks):
        entity = block.entity
        if block.name in ("truck_balance", "people_balance") and block.size:
            nodes = model.truck_nodes if block.name == "truck_balance" else model.people_nodes
            entity = nodes.pair_place[entity] * n_kinds + nodes.pair_kind[entity]
        if block.name in _UNTIMED_ROWS:
            entity = entity * (1 << 20) + block.slot
        else:
            slot[block.slice()] = block.slot
        ident[block.slice()] = entity * n_families + family
    return ident, slot


def _match(
    base: PlanningModel, old: tuple[np.ndarray, np.ndarray], longer: PlanningModel, new: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """(found, index) per key of ``new``: whether ``old`` has its identity in the slot of ``base``'s
    grid that holds the start of its slot on ``longer``'s grid, and that key's index in ``old``."""
    (old_ident, old_slot), (new_ident, new_slot) = old, new
    old_bounds, new_bounds = base.terms.grid.boundaries_min, longer.terms.grid.boundaries_min
    covering = np.searchsorted(old_bounds, new_bounds[:-1], side="right") - 1
    new_in_old = np.where(new_slot >= 0, covering[np.maximum(new_slot, 0)], -1)
    n_old = base.terms.grid.n_slots + 1
    old_key = old_ident * n_old + (old_slot + 1)
    new_key = new_ident * n_old + (new_in_old + 1)
    if not len(old_key):
        return np.zeros(len(new_key), dtype=bool), np.zeros(len(new_key), dtype=np.int64)
    order = np.argsort(old_key, kind="stable")
    sorted_keys = old_key[order]
    at = np.minimum(np.searchsorted(sorted_keys, new_key), len(sorted_keys) - 1)
    return sorted_keys[at] == new_key, order[at]


def mapped_start(base: PlanningModel, base_x: np.ndarray, longer: PlanningModel) -> np.ndarray:
    """Values for ``longer``'s built columns from ``base_x`` (a solution of ``base``'s built LP): each
    column takes the value of ``base``'s column with its identity whose slot holds the start of its own
    slot, 0 where there is none. A family without slots is mapped by position, and only when it has
    as many columns in both LPs."""
    found, index = _match(base, column_keys(base), longer, column_keys(longer))
    for name, block in longer.lp.blocks.items():
        if name not in _TIMED_COLUMNS and (name not in base.lp.blocks or base.lp.blocks[name].size != block.size):
            found[block.slice()] = False
    start = np.zeros(longer.lp.n_cols)
    start[found] = base_x[index[found]]
    return start


def mapped_duals(base: PlanningModel, base_row_dual: np.ndarray, longer: PlanningModel) -> np.ndarray:
    """Row duals for ``longer``'s built rows from ``base_row_dual``, matched as ``mapped_start``
    matches columns (0 where there is no counterpart)."""
    found, index = _match(base, row_keys(base), longer, row_keys(longer))
    out = np.zeros(longer.lp.n_rows)
    out[found] = base_row_dual[index[found]]
    return out


@dataclass(frozen=True)
class WarmSolve:
    """The optimum of an LP solved warm, with how: seconds, simplex iterations (of the warm runs and of
    the cold solves), parts, and parts solved cold instead (``solve_warm``); ``row_activity``: the built
    LP's row activities at the optimum, when asked for (``primal=True``), else empty."""

    objective: float
    seconds: float
    iterations: int
    parts: int
    cold_parts: int
    row_activity: np.ndarray = field(default_factory=lambda: np.zeros(0))


def solve_warm(
    model: PlanningModel, start_x: np.ndarray, start_dual: np.ndarray, time_limit_s: float | None = None,
    threads: int | None = None, primal: bool = False,
) -> WarmSolve:
    """The optimum of ``model``'s LP, aggregated and split into parts as ``aggregate.solve_planning_lp``
    does, each part started from ``start_x`` and ``start_dual`` (values of the built columns and duals
    of the built rows: ``mapped_start``, ``mapped_duals``) by HiGHS's crossover, then solved by its
    simplex; a part the cold path gives the interior point whose crossover basis is far from dual
    feasible (``WARM_MAX_DUAL_INFEASIBILITY``) or whose simplex passes ``WARM_ITERATIONS_PER_ROW`` is
    solved cold instead, as
    ``solve.solve_by_components`` solves it. The optimum is returned, and with ``primal`` the built
    LP's row activities at it (disaggregated as ``aggregate.solve_planning_lp`` does): the planner's
    price needs them to find places newly full (``destinations.newly_full``). Raises as
    ``solve.solve_lp`` does."""
    started = time.perf_counter()
    agg = aggregate(model)
    trucks = np.zeros(model.lp.n_cols, dtype=bool)
    for name in ("x", "s", "u"):
        trucks[model.col(name).slice()] = True
    if agg.merged:
        truck_groups = np.zeros(agg.n_cols, dtype=bool)
        truck_groups[agg.col_group[trucks]] = True
        trucks = truck_groups
        whole = agg.columnwise
        y = np.bincount(agg.col_group, weights=start_x, minlength=agg.n_cols)
        dual = np.zeros(agg.n_rows)
        dual[agg.row_group] = start_dual  # a merged balance row's members carry one dual
    else:
        whole, y, dual = ColumnwiseLP.of_matrix(model.lp), start_x, start_dual
    y = np.clip(y, whole.col_lower, whole.col_upper)
    objective, iterations, cold_parts = whole.offset, 0, 0
    optimum = np.zeros(whole.n_cols)
    parts = lp_components(whole)
    for rows, cols, part, highs in solvable_parts(whole, parts, time_limit_s, threads, started):
        part.pass_to(highs)
        _crossover_start(highs, part, y[cols], dual[rows])
        # Simplex from the crossover's basis (with it, HiGHS skips presolve, which would set it aside).
        # Where the cold solve is the interior point, a start far from the optimum goes cold instead:
        # at once if the basis is far from dual feasible, else after a bounded number of iterations.
        highs.setOptionValue("solver", "simplex")
        capped = bool(trucks[cols].any()) or part.matrix.nnz > SIMPLEX_MAX_NONZEROS  # as ``solve_by_components``
        if capped:
            limit = max(WARM_MIN_ITERATIONS, int(WARM_ITERATIONS_PER_ROW * part.n_rows))
            highs.setOptionValue("simplex_iteration_limit", limit)
        solved = None
        if not capped or _dual_infeasibility(highs, part, y[cols]) <= WARM_MAX_DUAL_INFEASIBILITY:
            try:
                solved = _run(highs, time.perf_counter())
            except SolverError:
                if highs.getModelStatus() != highspy.HighsModelStatus.kIterationLimit:
                    raise
        if solved is None:
            left = None if time_limit_s is None else max(time_limit_s - (time.perf_counter() - started), 1e-3)
            solved = solve_by_components(part, time_limit_s=left, threads=threads, ipm_columns=trucks[cols])
            cold_parts += 1
        objective += solved.objective - part.offset
        iterations += solved.iterations
        optimum[cols] = solved.x
    activity = np.zeros(0)
    if primal:
        activity = model.lp.csc() @ (disaggregate(model, agg, optimum) if agg.merged else optimum)
    return WarmSolve(objective, time.perf_counter() - started, iterations, len(parts), cold_parts, activity)


def _dual_infeasibility(highs: highspy.Highs, part: ColumnwiseLP, x: np.ndarray) -> float:
    """The crossover basis's sum of dual infeasibilities, relative to the start's objective value."""
    return float(highs.getInfo().sum_dual_infeasibilities) / max(abs(float(part.cost @ x)), 1.0)


def _crossover_start(highs: highspy.Highs, part: ColumnwiseLP, x: np.ndarray, row_dual: np.ndarray) -> None:
    """Give ``highs`` (holding ``part``) a basis made by crossover from the primal ``x`` and the duals
    ``row_dual`` (column duals c − Aᵀy, HiGHS's sign convention for either sense). If the crossover
    fails, HiGHS is left without a basis and its simplex starts cold: slower, the same optimum."""
    solution = highspy.HighsSolution()
    solution.col_value = x
    solution.row_value = part.matrix @ x
    solution.value_valid = True
    solution.row_dual = row_dual
    solution.col_dual = part.cost - part.matrix.T @ row_dual
    solution.dual_valid = True
    highs.crossover(solution)


def solve_warm_from(
    base: PlanningModel, base_solution: LPSolution, longer: PlanningModel, time_limit_s: float | None = None,
    threads: int | None = None, primal: bool = False,
) -> WarmSolve:
    """``longer``'s LP optimum, started from ``base_solution`` (``base``'s LP, solved by
    ``aggregate.solve_planning_lp``): ``solve_warm`` from its mapped primal values and duals."""
    start_x = mapped_start(base, base_solution.x, longer)
    start_dual = mapped_duals(base, base_solution.row_dual, longer)
    return solve_warm(longer, start_x, start_dual, time_limit_s=time_limit_s, threads=threads, primal=primal)
