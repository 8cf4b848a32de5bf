"""The whole-truck flow over the LP's arcs (``plan/whole_truck_flow.py``): it closes rounding loss the
path program leaves, and what it returns is a whole-truck flow that keeps every row of the LP.

The case: the synthetic 50-place day (seed 1), where the LP fills the narrow first value tiers of
several (zone, fuel) pairs with a fifth of a truck each, and the path program's plan stays 0.63 %
below the LP bound; the best whole-truck plan is 0.10 % below it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml

from safepassage.plan import integer, plan_proposal
from safepassage.plan.aggregate import solve_planning_lp
from safepassage.plan.lp_build import PlanningModel, build_planning_model
from safepassage.plan.planner import check_within_bound
from safepassage.plan.solve import LPSolution
from safepassage.plan.whole_truck_flow import route_neighbourhood, whole_truck_flow
from safepassage.scenario.model import Scenario
from safepassage.testing.synthetic import synthetic_scenario_data
from tests.plan.plan_checker import check_plan

PROPOSAL = "daily-windows"


@pytest.fixture(scope="module")
def case() -> tuple[dict, Scenario, PlanningModel, LPSolution]:
    data = synthetic_scenario_data(50, 1, 1, 15)
    scenario = Scenario.model_validate(data)
    model = build_planning_model(scenario, scenario.proposal(PROPOSAL))
    return data, scenario, model, solve_planning_lp(model)


def _gap(bound: float, value: float) -> float:
    return (bound - value) / bound


def test_the_flow_program_closes_loss_the_path_rounding_left(case):
    _, _, model, solution = case
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(integer, "FLOW_PROGRAM_FROM_GAP", math.inf)  # the rounding before: paths only
        paths_only = integer.round_and_repair(model, solution)
    plan = integer.round_and_repair(model, solution)
    bound = solution.objective
    assert _gap(bound, paths_only.value) > 0.005  # the loss the path program leaves on this case
    assert _gap(bound, plan.value) < 0.3 * _gap(bound, paths_only.value)
    check_within_bound(plan.value, bound)
    # The plan's value is its own: recomputed from its whole trucks and people.
    recomputed = integer.plan_value(model, plan.trucks, plan.trucks_int, plan.people, plan.people_int)
    assert plan.value == pytest.approx(recomputed)
    assert np.all(plan.trucks_int == np.round(plan.trucks_int)) and np.all(plan.trucks_int >= 0)


def test_the_flow_is_whole_and_keeps_every_row_of_the_lp(case):
    _, _, model, solution = case
    found = whole_truck_flow(model, solution, None, time_limit_s=60.0)
    assert found is not None
    x = found.x
    for name in ("x", "u"):
        block = x[model.col(name).slice()]
        assert np.array_equal(block, np.round(block)) and block.min() >= 0
    # Moves only on the arcs the LP's trucks use; the people exactly as the LP moves them.
    moves = x[model.col("x").slice()]
    assert not np.any(moves[~route_neighbourhood(model, solution.x)])
    for name in ("y", "h"):
        assert np.allclose(x[model.col(name).slice()], solution.x[model.col(name).slice()])
    _, col_lower, col_upper, row_lower, row_upper = model.lp.vectors()
    activity = model.lp.csc() @ x
    assert np.all(activity >= row_lower - 1e-6) and np.all(activity <= row_upper + 1e-6)
    assert np.all(x >= col_lower - 1e-9) and np.all(x <= col_upper + 1e-9)
    assert found.objective <= solution.objective * (1 + 1e-9)


def test_the_plan_with_the_flow_program_keeps_every_rule(case):
    data, scenario, _, solution = case
    result = plan_proposal(scenario, PROPOSAL)
    assert result.gap < 0.002  # 0.10 % on this case; the path program alone left 0.63 %
    assert check_plan(yaml.safe_dump(data, sort_keys=False), result.to_dict()) == []
