"""Solve a planning LP with HiGHS through highspy's matrix interface (no modelling layer).

Outcomes are typed: ``SolveStatus`` (an enum, independent of the solver) and ``LPSolution``. An
infeasible model raises ``InfeasibleError``; any other failure raises ``SolverError``.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from enum import Enum

import highspy
import numpy as np

from safepassage.errors import InfeasibleError, SolverError
from safepassage.plan.lp_matrix import LPMatrix

__all__ = ["SolveStatus", "LPSolution", "solve_lp"]


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


def to_highs_lp(lp: LPMatrix) -> highspy.HighsLp:
    """The LP in HiGHS's column-wise matrix form."""
    cost, col_lower, col_upper, row_lower, row_upper = lp.vectors()
    matrix = lp.csc()
    inf = highspy.kHighsInf
    model = highspy.HighsLp()
    model.num_col_ = lp.n_cols
    model.num_row_ = lp.n_rows
    model.sense_ = highspy.ObjSense.kMaximize if lp.sense_maximize else highspy.ObjSense.kMinimize
    model.col_cost_ = cost
    model.col_lower_ = np.where(np.isinf(col_lower), -inf, col_lower)
    model.col_upper_ = np.where(np.isinf(col_upper), inf, col_upper)
    model.row_lower_ = np.where(np.isinf(row_lower), -inf, row_lower)
    model.row_upper_ = np.where(np.isinf(row_upper), inf, row_upper)
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    model.a_matrix_.index_ = matrix.indices.astype(np.int32)
    model.a_matrix_.value_ = matrix.data
    return model


def new_highs(time_limit_s: float | None = None, threads: int | None = None) -> highspy.Highs:
    """A silent HiGHS instance. highspy prints its banner to the C-level stdout while constructing,
    before any option can be set; that would corrupt ``--json`` output, so fd 1 is muted meanwhile."""
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


def solve_lp(lp: LPMatrix, time_limit_s: float | None = None, solver: str = DEFAULT_SOLVER, highs: highspy.Highs | None = None, threads: int | None = None) -> LPSolution:
    """Solve ``lp`` (maximisation by default) and return its solution; raise on failure.

    ``solver``: HiGHS's 'choose', 'simplex' or 'ipm' (default: 'ipm', several times faster than
    simplex on a week of 15-minute slots, same optimum). Pass ``highs`` to reuse an instance.
    """
    highs = highs or new_highs(time_limit_s, threads)
    if solver != "choose":
        highs.setOptionValue("solver", solver)
    started = time.perf_counter()
    highs.passModel(to_highs_lp(lp))
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
