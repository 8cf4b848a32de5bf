"""Typed solver outcomes: an infeasible model and a solve cut short raise their own errors."""

from __future__ import annotations

import numpy as np
import pytest

from safepassage.errors import InfeasibleError, SolverError
from safepassage.plan.lp_build import build_planning_model
from safepassage.plan.lp_matrix import LPMatrix
from safepassage.plan.solve import SolveStatus, solve_lp
from safepassage.scenario import load_scenario


def _tiny_lp(lower: float, upper: float) -> LPMatrix:
    lp = LPMatrix()
    block = lp.add_columns("x", 2, cost=np.array([1.0, 2.0]), lower=0.0, upper=10.0)
    rows = lp.add_rows("limit", "place", lower, upper, np.array([0]), np.array([0]), ["both"])
    lp.add_entries(np.array([rows.start, rows.start]), np.array([block.start, block.start + 1]), 1.0)
    return lp


def test_optimal_solution_and_duals():
    solution = solve_lp(_tiny_lp(-np.inf, 4.0))
    assert solution.status is SolveStatus.optimal
    assert solution.objective == pytest.approx(8.0)
    assert solution.x == pytest.approx([0.0, 4.0])
    assert abs(solution.row_dual[0]) == pytest.approx(2.0)  # one more unit of the limit is worth 2


def test_infeasible_model_raises():
    with pytest.raises(InfeasibleError, match="infeasible"):
        solve_lp(_tiny_lp(30.0, 40.0))  # x0 + x1 >= 30 but each is at most 10


def test_time_limit_raises_solver_error(tiny_path):
    scenario = load_scenario("gaza-2023-11")
    model = build_planning_model(scenario, scenario.proposal("ceasefire"))
    with pytest.raises(SolverError, match="without an optimal plan"):
        solve_lp(model.lp, time_limit_s=1e-6)
