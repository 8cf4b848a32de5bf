"""How the condensed network's levels end and hand over (``plan/condensed.py``): a level stops as soon
as its plan is within the target of the bound certified on the fine grid, and a finer level starts
pricing from the coarser level's multipliers without changing the optimum it reaches."""

from __future__ import annotations

import numpy as np
import pytest

from safepassage.plan.colgen.by_paths import solve_by_paths
from safepassage.plan.colgen.people import people_multipliers
from safepassage.plan.colgen.pricing import Multipliers, initial_multipliers
from safepassage.plan.condensed import condensed_horizon, solve_condensed
from safepassage.plan.lp_build import build_planning_model
from safepassage.plan.solve import solve_lp
from safepassage.testing.synthetic import target_scenario
from tests.plan.test_condensed import _small

REL = 1e-6


@pytest.fixture(scope="module")
def week():
    scenario = target_scenario(n_places=30, days=2, slot_minutes=60)
    proposal = scenario.proposal("daily-windows")
    exact = solve_lp(build_planning_model(scenario, proposal).lp).objective
    return scenario, proposal, exact


@pytest.fixture(scope="module")
def day():
    """The target recipe's 20-place day on 15-minute slots, and its fine LP's optimum."""
    _, scenario = _small()
    proposal = scenario.proposal("daily-windows")
    return scenario, proposal, solve_lp(build_planning_model(scenario, proposal).lp).objective


@pytest.mark.parametrize("master", ["paths", "arcs"])
def test_a_level_stops_once_its_plan_is_within_the_target_of_the_certified_bound(day, master):
    scenario, proposal, exact = day
    target = 0.01
    loose = solve_condensed(scenario, proposal, levels=((120, 1.0),), target_gap=target, master=master)
    tight = solve_condensed(scenario, proposal, levels=((120, 1.0),), target_gap=0.0, master=master)
    assert loose.generation.stopped == "certified"
    assert loose.gap <= target
    assert len(loose.generation.rounds) < len(tight.generation.rounds)
    for done in (loose, tight):
        assert done.bound >= exact * (1 - REL)  # certified on the fine grid, whenever it stops
        assert done.value <= exact * (1 + REL)


def test_the_callers_certificate_stops_the_path_loop_at_the_round_it_says(week):
    scenario, proposal, _ = week
    seen: list[float] = []

    def third(problem, pi, walk, value, bound) -> bool:
        assert bound >= value * (1 - 1e-9)  # the loop's own bound
        seen.append(value)
        return len(seen) == 3

    done = solve_by_paths(scenario, proposal, condensed_horizon(scenario.horizon, 120, 2.0), target_gap=0.0,
                          prune_after=None, on_multipliers=third)
    assert done.stopped == "certified" and len(done.rounds) == 3
    assert seen == [r["value"] for r in done.rounds]


def test_a_finer_level_started_from_coarser_multipliers_reaches_the_same_optimum(week):
    scenario, proposal, _ = week
    horizon = condensed_horizon(scenario.horizon, 120, 2.0)
    cold = solve_by_paths(scenario, proposal, horizon, target_gap=0.0)
    handed = solve_condensed(scenario, proposal, levels=((240, 1.0), (120, 2.0)), target_gap=0.0, master="paths")
    assert handed.levels[1]["value"] == pytest.approx(cold.value, rel=REL)
    asked: list[int] = []

    def start(problem):
        asked.append(problem.n_slots)
        return initial_multipliers(problem), people_multipliers(problem)

    same = solve_by_paths(scenario, proposal, horizon, target_gap=0.0, start=start)
    assert asked == [cold.model.problem.n_slots]
    assert same.value == pytest.approx(cold.value, rel=REL)


def test_absurd_start_multipliers_change_the_first_columns_but_not_the_optimum(week):
    scenario, proposal, _ = week
    horizon = condensed_horizon(scenario.horizon, 120, 2.0)
    cold = solve_by_paths(scenario, proposal, horizon, target_gap=0.0)

    def start(problem):
        pi = initial_multipliers(problem)
        rng = np.random.default_rng(7)
        scale = float(pi.need.max())
        odd = Multipliers(
            rng.uniform(0, scale, pi.place.shape),
            rng.uniform(0, scale, pi.road.shape),
            pi.offload,
            pi.quota,
            pi.fleet,
            pi.need * 3,
            0.0,
        )
        return odd, people_multipliers(problem)

    odd = solve_by_paths(scenario, proposal, horizon, target_gap=0.0, start=start)
    assert odd.rounds[0]["added_paths"] > cold.rounds[0]["added_paths"]
    assert odd.value == pytest.approx(cold.value, rel=REL)
    assert odd.stopped in ("priced out", "gap")


def test_a_level_that_ends_uncertified_is_certified_at_its_lowest_bounds_multipliers(week, monkeypatch):
    """The level's last multipliers need not be its best: the certificate at its end (and the start
    of the next level) takes the ones that gave the level's lowest bound."""
    from safepassage.plan import condensed
    from safepassage.plan.colgen.pricing import blend

    scenario, proposal, _ = week
    horizon = condensed_horizon(scenario.horizon, 120, 2.0)
    coarse = condensed.fine_problem(scenario, proposal, horizon)
    low = initial_multipliers(coarse)
    high = blend(low, Multipliers(*(np.full_like(getattr(low, f), 5.0) for f in ("place", "road", "offload", "quota", "fleet", "need")), 0.0), 0.5)
    walk = people_multipliers(coarse)
    real = condensed.solve_by_paths

    def fake(*args, on_multipliers, **options):
        # Far from certified (value 0), so the rounds do not sweep the fine grid: the lower bound
        # first, then a higher one last.
        assert not on_multipliers(coarse, low, walk, 0.0, 10.0)
        assert not on_multipliers(coarse, high, walk, 0.0, 12.0)
        return real(*args, **options)

    spread_with: list[Multipliers] = []
    real_spread = condensed.spread

    def spy(fine, level, pi, people):
        spread_with.append(pi)
        return real_spread(fine, level, pi, people)

    monkeypatch.setattr(condensed, "solve_by_paths", fake)
    monkeypatch.setattr(condensed, "spread", spy)
    done = solve_condensed(scenario, proposal, levels=((120, 2.0),), target_gap=0.0, master="paths")
    assert spread_with and spread_with[-1] is low
    assert done.bound >= done.value * (1 - REL)
