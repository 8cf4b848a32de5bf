"""Warm re-planning that keeps the basis: after a disruption, the warm re-plan reaches the optimum of
a cold solve of the same state (to 1e-6), its schedule starts at the re-plan time, and a second
re-plan from the basis the first one left is still right."""

from __future__ import annotations

import numpy as np
import pytest

from safepassage.errors import InfeasibleError
from safepassage.plan.kept_basis import KeptBasisPlanner
from safepassage.plan.time_grid import to_utc
from safepassage.scenario import load_scenario

CORRIDOR = "sad-wadi-gaza-gaza-city"


@pytest.fixture(scope="module")
def planner():
    return KeptBasisPlanner(load_scenario("gaza-2023-11"), "daily-4h-north")


def _slot_at(planner, hours: float) -> int:
    return int(np.searchsorted(planner.model.terms.grid.boundaries_min, hours * 60.0))


def _disruption(planner, hours: float, lost_share: float):
    """At ``hours``: ``lost_share`` of the stock the plan holds there is lost, the corridor closes."""
    m = planner.model
    tau = _slot_at(planner, hours)
    deviation = planner.deviation(tau)
    held = planner.base.x[m.col("s").slice()].reshape(len(m.storage_pairs), m.terms.grid.n_slots)[:, tau - 1]
    deviation.truck_delta[m.storage_pairs] = -lost_share * held
    deviation.roads_closed[[r.id for r in m.scenario.roads].index(CORRIDOR)] = True
    return deviation


def test_warm_replan_equals_a_cold_solve_of_the_same_state(planner):
    deviation = _disruption(planner, 24.0, 0.1)
    assert deviation.truck_delta.sum() < 0  # the plan holds stock at 24 h, and some of it is lost
    warm = planner.replan(deviation)
    cold = planner.cold(deviation)
    assert warm.objective == pytest.approx(cold.objective, rel=1e-6)
    assert warm.objective < planner.base.objective  # a loss and a closure cannot help
    # The schedule is from the re-plan time on, and no convoy uses the closed corridor afterwards.
    grid = planner.model.terms.grid
    at = grid.to_local(float(grid.boundaries_min[deviation.at_slot]))
    tz = planner.model.scenario.timezone
    assert warm.convoys
    assert all(to_utc(c.departs, tz) >= to_utc(at, tz) for c in warm.convoys)


def test_a_second_replan_from_the_kept_basis(planner):
    first = planner.replan(_disruption(planner, 24.0, 0.1))
    later = _disruption(planner, 72.0, 0.2)
    second = planner.replan(later)
    assert second.objective == pytest.approx(planner.cold(later).objective, rel=1e-6)
    assert first.objective != pytest.approx(second.objective, rel=1e-9)


def test_no_deviation_keeps_the_plan(planner):
    result = planner.replan(planner.deviation(_slot_at(planner, 48.0)))
    assert result.objective == pytest.approx(planner.base.objective, rel=1e-6)


def test_losing_more_than_is_there_is_infeasible(planner):
    deviation = _disruption(planner, 24.0, 0.0)
    deviation.roads_closed[:] = False
    m = planner.model
    deviation.truck_delta[m.storage_pairs] = -(planner.base.x[m.col("s").slice()].reshape(len(m.storage_pairs), -1)[:, deviation.at_slot - 1] + 1000.0)
    with pytest.raises(InfeasibleError, match="infeasible"):
        planner.replan(deviation)
