"""The simulation counts people as the planner does: people going home (``movement: return``) are
returned, and people a screening point stops are detained or turned back — each apart, never as
reaching safety; the stopped shares are drawn from their ranges in a run with draws."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from safepassage.plan import plan_proposal
from safepassage.scenario import Scenario, load_scenario
from safepassage.simulate import Disruptions, build_world, compile_schedule, execute, outcome_kpis, realise, replication_rngs, simulate_proposal
from safepassage.simulate.outcome import metric_names, metric_vector

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def _run(scenario: Scenario, proposal: str, disruptions: Disruptions, index: int = 0):
    plan = plan_proposal(scenario, proposal)
    world = build_world(scenario, proposal)
    world_rng, run_rng = replication_rngs(0, index)
    outcome = execute(world, compile_schedule(world, plan), realise(world, disruptions, world_rng), disruptions, run_rng)
    return plan, world, outcome


def test_people_going_home_are_returned_in_the_simulation_not_safe():
    scenario = load_scenario(SCENARIOS / "return.yaml")
    plan, world, outcome = _run(scenario, "ceasefire", Disruptions.none())
    assert plan.kpis.people_returned > 0 and plan.kpis.people_reached_safety == 0
    kpis = outcome_kpis(world, outcome)
    assert asdict(kpis) == asdict(plan.kpis)  # returned, by day, and nobody "safe", as planned
    assert kpis.people_reached_safety == 0 and kpis.people_returned == plan.kpis.people_returned
    names, values = metric_names(world), metric_vector(world, outcome)
    assert values[names.index("people_returned")] == plan.kpis.people_returned
    assert values[names.index("people_reached_safety")] == 0


def test_monte_carlo_bands_returns_apart():
    scenario = load_scenario(SCENARIOS / "return.yaml")
    result = simulate_proposal(scenario, "ceasefire", runs=4, seed=1)
    summary = result.summary()
    assert summary["people_reached_safety"]["p90"] == 0
    assert 0 < summary["people_returned"]["p90"] <= scenario.zones[0].evacuation.wants_to_leave


def _screened() -> Scenario:
    from tests.plan.test_lp_cross_check import _corridor_screened

    data = _corridor_screened().model_dump(mode="json", by_alias=True, exclude_none=True)
    place = next(p for p in data["places"] if p["id"] == "screening")
    place["screening"]["detained"].update(low=0.02, high=0.1)
    place["screening"]["turned_back"].update(low=0.1, high=0.3)
    return Scenario.model_validate(data)


def test_people_stopped_at_screening_are_counted_apart_as_planned_without_draws():
    plan, world, outcome = _run(_screened(), "agreed", Disruptions.none())
    assert plan.kpis.people_detained > 0 and plan.kpis.people_turned_back > 0
    assert asdict(outcome_kpis(world, outcome)) == asdict(plan.kpis)


def test_the_stopped_shares_are_drawn_from_their_ranges():
    scenario = _screened()
    only = Disruptions.none().model_copy(update={"screening_draws": True})
    plan = plan_proposal(scenario, "agreed")
    processed = plan.kpis.people_reached_safety + plan.kpis.people_detained + plan.kpis.people_turned_back
    detained, turned_back = [], []
    for index in range(12):
        _, world, outcome = _run(scenario, "agreed", only, index=index)
        kpis = outcome_kpis(world, outcome)
        # Everyone processed is safe, detained or turned back (whole people in a run with draws).
        assert kpis.people_reached_safety + kpis.people_detained + kpis.people_turned_back == pytest.approx(processed, abs=0.5 * len(plan.evacuations) + 1)
        detained.append(kpis.people_detained / processed)
        turned_back.append(kpis.people_turned_back / processed)
    assert 0.02 - 0.01 <= min(detained) and max(detained) <= 0.1 + 0.01
    assert 0.1 - 0.01 <= min(turned_back) and max(turned_back) <= 0.3 + 0.01
    assert np.ptp(turned_back) > 0.03  # drawn, not fixed at the planned 0.15
