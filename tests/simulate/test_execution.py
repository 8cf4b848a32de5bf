"""The execution model against the planner: with every disruption off it reproduces the plan's KPIs
exactly; with disruptions it only ever delays or loses aid and people, never creates them."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pytest

from safepassage.plan import plan_proposal
from safepassage.simulate import (
    Disruptions,
    build_world,
    compile_schedule,
    execute,
    outcome_kpis,
    realise,
    replication_rngs,
)
from safepassage.testing.synthetic import synthetic_scenario

HARSH = Disruptions(
    travel_time_sigma=0.6, inspection_rejection_rate=0.2, crossing_closed_per_day=0.3, window_not_honoured_probability=0.3,
    window_cut_probability=0.5, window_cut_max_share=0.8, road_incidents_per_day=0.3, damage_rate=0.1,
)


def _run(world, schedule, disruptions, seed=0, index=0):
    world_rng, run_rng = replication_rngs(seed, index)
    return execute(world, schedule, realise(world, disruptions, world_rng), disruptions, run_rng)


def _assert_reproduces(scenario, proposal, horizon=None):
    plan = plan_proposal(scenario, proposal, horizon=horizon)
    world = build_world(scenario, proposal, horizon)
    outcome = _run(world, compile_schedule(world, plan), Disruptions.none())
    assert asdict(outcome_kpis(world, outcome)) == asdict(plan.kpis)
    return plan


@pytest.mark.parametrize("proposal", ["none", "pause"])
def test_without_disruptions_the_tiny_plans_run_exactly_as_planned(tiny, proposal):
    plan = _assert_reproduces(tiny, proposal)
    assert plan.kpis.total_trucks_arrived > 0


def test_without_disruptions_the_default_scenario_runs_exactly_as_planned(gaza, gaza_plans):
    for proposal, (plan, world, schedule) in gaza_plans.items():
        outcome = _run(world, schedule, Disruptions.none())
        assert asdict(outcome_kpis(world, outcome)) == asdict(plan.kpis), proposal
        assert plan.kpis.people_reached_safety > 0 and plan.kpis.total_trucks_arrived > 0


@pytest.mark.parametrize("proposal", ["single-4h-pause", "daily-4h-north"])
def test_without_disruptions_the_default_scenario_on_its_own_grid_runs_exactly_as_planned(gaza, proposal):
    # The packaged horizon: 7 days, 15-minute slots near windows and 60-minute slots elsewhere.
    _assert_reproduces(gaza, proposal)


@pytest.mark.parametrize("seed", [3, 11, 29])
def test_without_disruptions_random_small_scenarios_run_exactly_as_planned(seed):
    scenario = synthetic_scenario(14, days=1, seed=seed, slot_minutes=60)
    for proposal in scenario.proposals:
        _assert_reproduces(scenario, proposal.id)


def test_disruptions_only_delay_or_lose_what_the_plan_promised(gaza_plans):
    for proposal, (_plan, world, schedule) in gaza_plans.items():
        planned = _run(world, schedule, Disruptions.none())
        planned_units = np.cumsum(planned.good_units_by_boundary, axis=0)
        planned_people = np.cumsum(planned.people_by_boundary)
        lost_something = False
        for index in range(6):
            for disruptions in (Disruptions(), HARSH):
                outcome = _run(world, schedule, disruptions, seed=5, index=index)
                # By every moment, no more good aid of any commodity and no more people safe than planned.
                assert np.all(np.cumsum(outcome.good_units_by_boundary, axis=0) <= planned_units + 1e-9), proposal
                assert np.all(np.cumsum(outcome.people_by_boundary) <= planned_people), proposal
                assert np.all(outcome.trucks_arrived <= planned.trucks_arrived)
                assert np.all(outcome.good_units + outcome.damaged_units <= planned.good_units + 1e-9)
                lost_something |= outcome.trucks_arrived.sum() < planned.trucks_arrived.sum() or outcome.people_reached_safety < planned.people_reached_safety
        assert lost_something, f"harsh disruptions never cost {proposal} anything"


def test_damaged_aid_is_counted_apart_from_good_aid(gaza_plans):
    plan, world, schedule = gaza_plans["truce-4day"]
    outcome = _run(world, schedule, Disruptions.none().model_copy(update={"damage_rate": 0.5}))
    assert outcome.damaged_units.sum() > 0
    assert np.allclose(outcome.good_units + outcome.damaged_units, _run(world, schedule, Disruptions.none()).good_units)
    kpis = outcome_kpis(world, outcome)
    assert sum(kpis.tonnes_arrived.values()) < sum(plan.kpis.tonnes_arrived.values())
    assert kpis.trucks_arrived == plan.kpis.trucks_arrived  # damaged cargo still arrives


def test_trucks_rejected_at_inspection_queue_again_and_some_still_arrive(gaza_plans):
    plan, world, schedule = gaza_plans["truce-4day"]
    rejecting = Disruptions.none().model_copy(update={"inspection_rejection_rate": 0.5})
    outcome = _run(world, schedule, rejecting)
    assert outcome.trucks_rejected > 0
    # More than the half that passed first time arrive: rejected trucks came back and passed later.
    assert outcome.trucks_arrived.sum() > 0.5 * plan.kpis.total_trucks_arrived


def test_a_window_not_honoured_stops_movement_on_pause_only_roads(gaza_plans):
    plan, world, schedule = gaza_plans["daily-4h-north"]
    # The daily pauses are announced by one side: their windows are drawn with the unilateral probability.
    assert world.proposal.agreement == "unilateral"
    never = Disruptions.none().model_copy(update={"window_not_honoured_probability": 1.0, "unilateral_not_honoured_probability": 1.0})
    outcome = _run(world, schedule, never)
    assert plan.kpis.people_reached_safety > 0
    assert outcome.people_reached_safety == 0  # every corridor needs the pause


def test_the_same_seed_reproduces_and_another_seed_differs(gaza_plans):
    _, world, schedule = gaza_plans["truce-4day"]
    first = _run(world, schedule, Disruptions(), seed=7, index=2)
    again = _run(world, schedule, Disruptions(), seed=7, index=2)
    other = [_run(world, schedule, Disruptions(), seed=8, index=i) for i in range(3)]
    assert np.array_equal(first.good_units, again.good_units) and np.array_equal(first.people_by_boundary, again.people_by_boundary)
    assert any(not np.array_equal(first.good_units, o.good_units) or not np.array_equal(first.people_by_boundary, o.people_by_boundary) for o in other)


def test_extensions_are_drawn_day_by_day_up_to_the_maximum(gaza, gaza_short):
    world = build_world(gaza, "truce-4day", gaza_short)
    always = realise(world, Disruptions.none().model_copy(update={"extension_probability": 1.0}), np.random.default_rng(0))
    never = realise(world, Disruptions.none(), np.random.default_rng(0))
    assert always.extension_days == 3.0 and any(kind == "extension" for _, kind, _ in always.events)
    assert never.extension_days == 0.0
    # Default: the scenario's own probability per day (truce_extension_probability = 0.75).
    drawn = [realise(world, Disruptions(), np.random.default_rng(i)).extension_days for i in range(200)]
    assert 0 < np.mean([d == 3.0 for d in drawn]) < 1 and set(drawn) <= {0.0, 1.0, 2.0, 3.0}


def test_a_plan_for_another_scenario_is_refused(tiny, gaza, gaza_plans):
    from safepassage.errors import ScenarioError

    plan, _, _ = gaza_plans["truce-4day"]
    with pytest.raises(ScenarioError, match="not in the scenario"):
        compile_schedule(build_world(tiny, "pause"), plan)
