"""Warm re-planning: the same optimum as solving the changed LP from scratch, reached from the first
basis; re-planning policy inside the simulation."""

from __future__ import annotations

import highspy
import numpy as np
import pytest

from safepassage.plan.solve import new_highs, to_highs_lp
from safepassage.plan.warm import WarmPlanner
from safepassage.simulate import simulate_proposal


def _cold_objective(warm: WarmPlanner, state) -> float:
    col_lower, col_upper, row_lower, row_upper = warm._bounds(state)
    lp = to_highs_lp(warm.model.lp)
    lp.col_lower_, lp.col_upper_, lp.row_lower_, lp.row_upper_ = col_lower, col_upper, row_lower, row_upper
    highs = new_highs()
    highs.passModel(lp)
    highs.run()
    assert highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return highs.getInfo().objective_function_value


@pytest.fixture(scope="module")
def warm_gaza(gaza, gaza_short):
    return WarmPlanner(gaza, "daily-4h-north", gaza_short)


def test_an_unchanged_state_at_the_start_gives_back_the_first_optimum(warm_gaza):
    result = warm_gaza.replan(warm_gaza.state(0, truck_supply=warm_gaza.model.supply_trucks, people_supply=warm_gaza.model.supply_people))
    assert result.objective == pytest.approx(warm_gaza.base.objective, rel=1e-7)
    assert result.convoys and result.evacuations


def test_a_warm_replan_finds_the_same_optimum_as_a_cold_solve(warm_gaza):
    n_slots = warm_gaza.n_slots
    state = warm_gaza.state(n_slots // 3)
    roads = [r.id for r in warm_gaza.model.scenario.roads]
    state.road_closed[roads.index("sad-wadi-gaza-gaza-city"), n_slots // 3: n_slots // 2] = True
    warm = warm_gaza.replan(state)
    assert warm.objective == pytest.approx(_cold_objective(warm_gaza, state), rel=1e-6)
    assert warm.objective < warm_gaza.base.objective
    first_departure = min(c.departs for c in warm.convoys)
    assert first_departure >= warm_gaza.model.terms.grid.instant(warm_gaza.model.terms.grid.boundaries_min[n_slots // 3])


def test_closing_a_corridor_for_the_whole_horizon_stops_evacuation(warm_gaza):
    # Every way south from the northern governorates crosses Wadi Gaza on a pause-only road (Salah al-Din
    # or al-Rashid): closing both for the whole horizon leaves no evacuation, where the open plan has one.
    open_plan = warm_gaza.replan(warm_gaza.state(0, truck_supply=warm_gaza.model.supply_trucks, people_supply=warm_gaza.model.supply_people))
    state = warm_gaza.state(0, truck_supply=warm_gaza.model.supply_trucks, people_supply=warm_gaza.model.supply_people)
    roads = [r.id for r in warm_gaza.model.scenario.roads]
    for road in ("sad-wadi-gaza-gaza-city", "rashid-wadi-gaza-gaza-city"):
        state.road_closed[roads.index(road)] = True
    closed = warm_gaza.replan(state)
    assert sum(m.people for m in open_plan.evacuations) > 0
    assert sum(m.people for m in closed.evacuations) == 0


def test_replans_are_independent_of_the_order_they_come_in(warm_gaza):
    a = warm_gaza.state(10)
    b = warm_gaza.state(20)
    first = warm_gaza.replan(a).objective
    warm_gaza.replan(b)
    assert warm_gaza.replan(a).objective == first


def test_the_replanning_policy_reports_its_value_against_the_fixed_plan(tiny):
    fixed = simulate_proposal(tiny, "pause", runs=40, seed=2)
    replanned = simulate_proposal(tiny, "pause", runs=40, seed=2, policy="replan")
    assert replanned.column("replans").sum() > 0 and fixed.column("replans").sum() == 0
    # Same world in both (common random numbers): runs without an observed disruption are identical.
    calm = replanned.column("replans") == 0
    assert calm.any()
    assert np.array_equal(fixed.column("value")[calm], replanned.column("value")[calm])
    assert replanned.column("value").mean() >= fixed.column("value").mean()


def test_runs_must_be_positive(tiny):
    with pytest.raises(ValueError, match='"runs" must be at least 1'):
        simulate_proposal(tiny, "pause", runs=0)
