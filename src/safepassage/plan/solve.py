"""Solve a planning LP with HiGHS through highspy's matrix interface (no modelling layer).

Outcomes are typed: ``SolveStatus`` (an enum, independent of the solver) and ``LPSolution``. An
infeasible model raises ``InfeasibleError``; any other failure raises ``SolverError``.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

import highspy
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from safepassage.errors import InfeasibleError, SolverError
from safepassage.plan.lp_matrix import LPMatrix

__all__ = ["ColumnwiseLP", "SolveStatus", "LPSolution", "solve_lp", "solvable_parts", "solve_by_components"]


class SolveStatus(str, Enum):
    """How a solve ended."""

    optimal = "optimal"
    infeasible = "infeasible"
    unbounded = "unbounded"
    time_limit = "time_limit"
    error = "error"


@dataclass(frozen=True)
class LPSolution:
    """Primal values, row duals (value of one more unit of each row's bound) and the objective."""

    status: SolveStatus
    objective: float
    x: np.ndarray
    row_dual: np.ndarray
    row_activity: np.ndarray
    solve_seconds: float
    iterations: int


_STATUS = {
    highspy.HighsModelStatus.kOptimal: SolveStatus.optimal,
    highspy.HighsModelStatus.kInfeasible: SolveStatus.infeasible,
    highspy.HighsModelStatus.kUnbounded: SolveStatus.unbounded,
    highspy.HighsModelStatus.kUnboundedOrInfeasible: SolveStatus.infeasible,
    highspy.HighsModelStatus.kTimeLimit: SolveStatus.time_limit,
}


def part_matrix(matrix: sp.csc_matrix, rows: np.ndarray, cols: np.ndarray) -> sp.csc_matrix:
    """The constraint matrix of the part ``rows`` x ``cols``: the columns taken whole and their row
    indices renumbered (the same matrix as slicing rows and columns, without a pass over the other
    parts' rows). ``rows`` (ascending) must hold every row the ``cols`` have an entry in, as a part of
    ``lp_components`` does; ``ValueError`` otherwise."""
    columns = matrix[:, cols]
    local = np.full(matrix.shape[0], -1, dtype=np.int64)
    local[rows] = np.arange(len(rows))
    index = local[columns.indices]
    if np.any(index < 0):
        raise ValueError("a column has an entry in a row outside the part")
    part = sp.csc_matrix((columns.data, index, columns.indptr), shape=(len(rows), len(cols)))
    part.sort_indices()
    return part


@dataclass(frozen=True)
class ColumnwiseLP:
    """An LP as the arrays HiGHS reads: the constraint matrix column-wise, costs, bounds (infinite ones as
    HiGHS's infinity), the sense and the objective's constant.

    ``pass_to`` hands the arrays to HiGHS as they are. A ``highspy.HighsLp`` copies its matrix in and out
    element by element (about 40 ms over the parts of a Gaza week's LP), so the solve path keeps this form
    and makes a ``HighsLp`` (``to_highs``) only for callers that need one."""

    matrix: sp.csc_matrix
    cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    maximize: bool
    offset: float = 0.0

    @property
    def n_rows(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def n_cols(self) -> int:
        return int(self.matrix.shape[1])

    @classmethod
    def of_matrix(cls, lp: LPMatrix) -> ColumnwiseLP:
        """``lp`` (the planner's build) in this form."""
        cost, col_lower, col_upper, row_lower, row_upper = lp.vectors()
        inf = highspy.kHighsInf
        return cls(
            lp.csc(), cost, np.where(np.isinf(col_lower), -inf, col_lower), np.where(np.isinf(col_upper), inf, col_upper),
            np.where(np.isinf(row_lower), -inf, row_lower), np.where(np.isinf(row_upper), inf, row_upper),
            bool(lp.sense_maximize),
        )

    @classmethod
    def of_highs(cls, lp: highspy.HighsLp) -> ColumnwiseLP:
        """A ``HighsLp`` (column-wise) in this form."""
        matrix = sp.csc_matrix(
            (np.asarray(lp.a_matrix_.value_), np.asarray(lp.a_matrix_.index_), np.asarray(lp.a_matrix_.start_)),
            shape=(lp.num_row_, lp.num_col_),
        )
        return cls(
            matrix, np.asarray(lp.col_cost_), np.asarray(lp.col_lower_), np.asarray(lp.col_upper_), np.asarray(lp.row_lower_),
            np.asarray(lp.row_upper_), lp.sense_ == highspy.ObjSense.kMaximize, float(lp.offset_),
        )

    def _sense(self) -> highspy.ObjSense:
        return highspy.ObjSense.kMaximize if self.maximize else highspy.ObjSense.kMinimize

    def to_highs(self) -> highspy.HighsLp:
        """The same LP as a ``highspy.HighsLp``."""
        model = highspy.HighsLp()
        model.num_col_, model.num_row_ = self.n_cols, self.n_rows
        model.sense_ = self._sense()
        model.offset_ = self.offset
        model.col_cost_ = self.cost
        model.col_lower_, model.col_upper_ = self.col_lower, self.col_upper
        model.row_lower_, model.row_upper_ = self.row_lower, self.row_upper
        model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        model.a_matrix_.start_ = self.matrix.indptr.astype(np.int32)
        model.a_matrix_.index_ = self.matrix.indices.astype(np.int32)
        model.a_matrix_.value_ = self.matrix.data
        return model

    def pass_to(self, highs: highspy.Highs) -> None:
        """Give HiGHS this LP (``Highs.passModel`` from arrays); ``SolverError`` if HiGHS refuses it."""
        status = highs.passModel(
            self.n_cols, self.n_rows, int(self.matrix.nnz), int(highspy.MatrixFormat.kColwise), int(self._sense()),
            float(self.offset), np.ascontiguousarray(self.cost, dtype=np.float64),
            np.ascontiguousarray(self.col_lower, dtype=np.float64), np.ascontiguousarray(self.col_upper, dtype=np.float64),
            np.ascontiguousarray(self.row_lower, dtype=np.float64), np.ascontiguousarray(self.row_upper, dtype=np.float64),
            self.matrix.indptr.astype(np.int32), self.matrix.indices.astype(np.int32),
            np.ascontiguousarray(self.matrix.data, dtype=np.float64),
            np.zeros(self.n_cols, dtype=np.int32),  # every column continuous (HighsVarType.kContinuous)
        )
        if status == highspy.HighsStatus.kError:
            raise SolverError("HiGHS refused the planning LP (a bug: please report it with the scenario)")

    def part(self, rows: np.ndarray, cols: np.ndarray) -> ColumnwiseLP:
        """The LP restricted to ``rows`` and ``cols``, as ``sub_lp`` makes it (no constant)."""
        matrix = part_matrix(self.matrix, rows, cols)
        return ColumnwiseLP(matrix, self.cost[cols], self.col_lower[cols], self.col_upper[cols], self.row_lower[rows],
                            self.row_upper[rows], self.maximize)


def to_highs_lp(lp: LPMatrix) -> highspy.HighsLp:
    """The LP in HiGHS's column-wise matrix form."""
    return ColumnwiseLP.of_matrix(lp).to_highs()


# The thread count HiGHS's process-wide scheduler was started with (None: HiGHS's default), once known.
_scheduler_threads: dict[str, int | None] = {}


def _scheduler_for(threads: int | None) -> None:
    """HiGHS starts one scheduler per process, at its first run, and refuses a later run that asks for
    another explicit thread count (the run ends with the status "Not Set"). Before an instance asks for
    a count other than the scheduler's, reset the scheduler (blocking: runs in this process are
    sequential). A run that leaves ``threads`` unset accepts any scheduler."""
    if threads is not None and "threads" in _scheduler_threads and _scheduler_threads["threads"] != threads:
        highspy.Highs.resetGlobalScheduler(True)
        _scheduler_threads.clear()
    _scheduler_threads.setdefault("threads", threads)


def new_highs(time_limit_s: float | None = None, threads: int | None = None) -> highspy.Highs:
    """A silent HiGHS instance. highspy prints its banner to the C-level stdout while constructing,
    before any option can be set; that would corrupt ``--json`` output, so fd 1 is muted meanwhile.
    ``threads``: an explicit thread count, honoured even after runs with another (``_scheduler_for``)."""
    _scheduler_for(threads)
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            highs = highspy.Highs()
            highs.setOptionValue("output_flag", False)
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    highs.setOptionValue("output_flag", False)
    if time_limit_s is not None:
        highs.setOptionValue("time_limit", float(time_limit_s))
    if threads is not None:
        highs.setOptionValue("threads", int(threads))
    return highs


DEFAULT_SOLVER = "ipm"  # interior point + crossover: time-expanded flows are highly degenerate for simplex


def solve_lp(
    lp: LPMatrix,
    time_limit_s: float | None = None,
    solver: str = DEFAULT_SOLVER,
    highs: highspy.Highs | None = None,
    threads: int | None = None,
    fixed: tuple[np.ndarray, np.ndarray] | None = None,
) -> LPSolution:
    """Solve ``lp`` (maximisation by default) and return its solution; raise on failure.

    ``solver``: HiGHS's 'choose', 'simplex' or 'ipm' (default: 'ipm', several times faster than
    simplex on a week of 15-minute slots, same optimum). Pass ``highs`` to reuse an instance.
    ``fixed``: (columns, values) to solve with those columns fixed at those values (their bounds
    replaced by the value).
    """
    highs = highs or new_highs(time_limit_s, threads)
    if solver != "choose":
        highs.setOptionValue("solver", solver)
    started = time.perf_counter()
    if fixed is None:
        highs.passModel(to_highs_lp(lp))
    else:
        columnwise = ColumnwiseLP.of_matrix(lp)
        cols, values = fixed
        lower, upper = columnwise.col_lower.copy(), columnwise.col_upper.copy()
        lower[cols] = upper[cols] = values
        highs.passModel(dataclasses.replace(columnwise, col_lower=lower, col_upper=upper).to_highs())
    return _run(highs, started)


_SOLVED_IN_THIS_PROCESS = False


def mark_solved() -> None:
    """Record that HiGHS runs in this process (see ``solved_in_this_process``)."""
    global _SOLVED_IN_THIS_PROCESS
    _SOLVED_IN_THIS_PROCESS = True


def solved_in_this_process() -> bool:
    """Whether HiGHS has run here: its thread pool then does not survive a fork."""
    return _SOLVED_IN_THIS_PROCESS


def _run(highs: highspy.Highs, started: float) -> LPSolution:
    mark_solved()
    run_status = highs.run()
    seconds = time.perf_counter() - started
    status = _STATUS.get(highs.getModelStatus(), SolveStatus.error)
    if status is SolveStatus.infeasible:
        raise InfeasibleError("the planning model is infeasible: some fixed amount (stock, people, a quota) cannot be honoured; check stocks at places with no way out and negative limits")
    if status is not SolveStatus.optimal or run_status == highspy.HighsStatus.kError:
        raise SolverError(f"HiGHS stopped without an optimal plan: {highs.modelStatusToString(highs.getModelStatus())}")
    solution = highs.getSolution()
    info = highs.getInfo()
    return LPSolution(
        status=status,
        objective=float(info.objective_function_value),
        x=np.asarray(solution.col_value),
        row_dual=np.asarray(solution.row_dual),
        row_activity=np.asarray(solution.row_value),
        solve_seconds=seconds,
        iterations=int(info.simplex_iteration_count + info.ipm_iteration_count),
    )


# Components up to this many nonzeros go to the dual simplex, larger ones to the interior point.
# Measured on the aggregated LPs (bench/bench_planner.py --solver-options, and the parts one by one):
# on Gaza's people part (7–28 k nonzeros) the dual simplex is 2–3× faster than the primal simplex and
# 3–5× faster than interior point with crossover, same optimum; on the synthetic 200-place day
# (≈ 200 k nonzeros in one component) the interior point wins.
SIMPLEX_MAX_NONZEROS = 120_000
SIMPLEX_STRATEGY = 1  # HiGHS's dual simplex (4 would be the primal)
# Components below this many columns are solved together as one LP (a HiGHS instance each would
# cost more than the solve).
SMALL_COMPONENT_COLUMNS = 2_000


def sub_lp(lp: highspy.HighsLp, matrix: sp.spmatrix, rows: np.ndarray, cols: np.ndarray) -> highspy.HighsLp:
    """The LP restricted to ``rows`` and ``cols`` (``matrix``: its constraint matrix, column-wise at best).
    ``rows`` (ascending) must hold every row the ``cols`` have an entry in, as a part of ``lp_components``
    does; ``ValueError`` otherwise. The columns are taken whole and their row indices renumbered, the
    same matrix as slicing rows and columns, without a pass over the rows of the other parts."""
    part = part_matrix(matrix.tocsc(), rows, cols)
    out = highspy.HighsLp()
    out.num_col_, out.num_row_ = len(cols), len(rows)
    out.sense_ = lp.sense_
    out.col_cost_ = np.asarray(lp.col_cost_)[cols]
    out.col_lower_ = np.asarray(lp.col_lower_)[cols]
    out.col_upper_ = np.asarray(lp.col_upper_)[cols]
    out.row_lower_ = np.asarray(lp.row_lower_)[rows]
    out.row_upper_ = np.asarray(lp.row_upper_)[rows]
    out.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    out.a_matrix_.start_ = part.indptr.astype(np.int32)
    out.a_matrix_.index_ = part.indices.astype(np.int32)
    out.a_matrix_.value_ = part.data
    return out


def empty_rows_solution(row_lower: np.ndarray, row_upper: np.ndarray) -> LPSolution:
    """The solution of rows without columns (activity 0); raises ``InfeasibleError`` if a row's
    bounds exclude 0."""
    if np.any(row_lower > 1e-9) or np.any(row_upper < -1e-9):
        raise InfeasibleError("the planning model is infeasible: a limit with nothing left to move cannot be met")
    zeros = np.zeros(len(row_lower))
    return LPSolution(SolveStatus.optimal, 0.0, np.zeros(0), zeros, zeros, 0.0, 0)


def lp_components(lp: highspy.HighsLp | ColumnwiseLP) -> list[tuple[np.ndarray, np.ndarray]]:
    """The LP split into independent parts, as (rows, columns) index arrays: the connected components
    of its row–column graph (two rows are linked when a column has entries in both), the small ones
    lumped into one part. Every row and every column is in exactly one part."""
    whole = lp if isinstance(lp, ColumnwiseLP) else ColumnwiseLP.of_highs(lp)
    n_rows, n_cols, matrix = whole.n_rows, whole.n_cols, whole.matrix
    # The bipartite graph rows–columns, one edge per entry (components of an undirected graph: one direction
    # is enough); nodes are the rows, then the columns.
    n_nodes = n_rows + n_cols
    column_of = np.repeat(np.arange(n_cols, dtype=np.int64), np.diff(matrix.indptr))
    graph = sp.csr_matrix(
        (np.ones(len(column_of), dtype=np.int8), (matrix.indices.astype(np.int64), n_rows + column_of)), shape=(n_nodes, n_nodes)
    )
    _, label = connected_components(graph, directed=False)
    row_label, col_label = label[:n_rows], label[n_rows:]
    columns_per = np.bincount(col_label, minlength=label.max() + 1)
    big = np.flatnonzero(columns_per >= SMALL_COMPONENT_COLUMNS)
    parts = [(np.flatnonzero(row_label == c), np.flatnonzero(col_label == c)) for c in big]
    small = ~np.isin(label, big)
    if small.any():
        parts.append((np.flatnonzero(small[:n_rows]), np.flatnonzero(small[n_rows:])))
    return parts


def solvable_parts(
    whole: ColumnwiseLP, parts: list[tuple[np.ndarray, np.ndarray]], time_limit_s: float | None, threads: int | None,
    started: float,
) -> Iterator[tuple[np.ndarray, np.ndarray, ColumnwiseLP, highspy.Highs]]:
    """Each of ``parts`` (``lp_components(whole)``) that has columns, as (rows, cols, the part's LP, a new
    HiGHS instance with what is left of ``time_limit_s`` since ``started``); a part of rows without
    columns is checked instead (``empty_rows_solution``: its activity 0 must be within its bounds)."""
    for rows, cols in parts:
        if len(cols) == 0:
            empty_rows_solution(whole.row_lower[rows], whole.row_upper[rows])
            continue
        left = None if time_limit_s is None else max(time_limit_s - (time.perf_counter() - started), 1e-3)
        yield rows, cols, (whole if len(parts) == 1 else whole.part(rows, cols)), new_highs(left, threads)


def solve_by_components(
    lp: highspy.HighsLp | ColumnwiseLP, time_limit_s: float | None = None, threads: int | None = None,
    ipm_columns: np.ndarray | None = None,
) -> LPSolution:
    """Solve ``lp`` part by part (``lp_components``): the optimum of independent parts is the union
    of their optima, and the objective their sum. Each part goes to the dual simplex when it has at
    most ``SIMPLEX_MAX_NONZEROS`` nonzeros (a basic solution, so paths decompose as from crossover),
    to the interior point with crossover otherwise, and so is any part with a column flagged in
    ``ipm_columns`` (bool per column). Raises as ``solve_lp`` does: an infeasible or unbounded part
    makes the whole LP so."""
    started = time.perf_counter()
    whole = lp if isinstance(lp, ColumnwiseLP) else ColumnwiseLP.of_highs(lp)
    parts = lp_components(whole)
    x = np.zeros(whole.n_cols)
    row_dual = np.zeros(whole.n_rows)
    row_activity = np.zeros(whole.n_rows)
    objective = whole.offset
    iterations = 0
    for rows, cols, part, highs in solvable_parts(whole, parts, time_limit_s, threads, started):
        if part.matrix.nnz <= SIMPLEX_MAX_NONZEROS and (ipm_columns is None or not ipm_columns[cols].any()):
            highs.setOptionValue("solver", "simplex")
            highs.setOptionValue("simplex_strategy", SIMPLEX_STRATEGY)
        else:
            highs.setOptionValue("solver", "ipm")
        part.pass_to(highs)
        solved = _run(highs, time.perf_counter())
        x[cols] = solved.x
        row_dual[rows] = solved.row_dual
        row_activity[rows] = solved.row_activity
        objective += solved.objective - part.offset  # each part's own constant: the whole LP's is added once
        iterations += solved.iterations
    return LPSolution(SolveStatus.optimal, objective, x, row_dual, row_activity, time.perf_counter() - started, iterations)
