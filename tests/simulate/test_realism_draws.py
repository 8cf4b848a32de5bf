"""The simulation's realism draws: cargo removed at inspection counted apart, unilateral pauses
honoured less often, and replayed history replacing the draws for the windows it covers."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from safepassage.plan import plan_proposal
from safepassage.scenario.behaviour import ShareRange, WindowReplay
from safepassage.simulate import Disruptions, build_world, compile_schedule, execute, outcome_kpis, realise, replication_rngs
from safepassage.simulate.outcome import metric_names, metric_vector


def _with_removal(tiny, share: float):
    food = tiny.commodities[0].model_copy(update={"removed_at_inspection": ShareRange(value=share, low=share, high=share, assumption="test")})
    return tiny.model_copy(update={"commodities": [food, *tiny.commodities[1:]]})


def test_cargo_removed_at_inspection_is_counted_apart(tiny):
    scenario = _with_removal(tiny, 0.1)
    plan = plan_proposal(scenario, "pause")
    world = build_world(scenario, "pause")
    schedule = compile_schedule(world, plan)
    world_rng, run_rng = replication_rngs(0, 0)
    only_removal = Disruptions.none().model_copy(update={"inspection_removal": True})
    outcome = execute(world, schedule, realise(world, only_removal, world_rng), only_removal, run_rng)
    kpis = outcome_kpis(world, outcome)
    planned_food = plan.kpis.quantity_arrived["food"]
    assert planned_food > 0
    assert kpis.quantity_arrived["food"] == pytest.approx(0.9 * planned_food)
    assert outcome.removed_units[:, 0].sum() == pytest.approx(0.1 * planned_food)
    names = metric_names(world)
    values = metric_vector(world, outcome)
    assert values[names.index("tonnes_removed.food")] == pytest.approx(0.1 * planned_food)
    # With every disruption off the plan runs exactly as planned: nothing is removed.
    world_rng, run_rng = replication_rngs(0, 0)
    exact = execute(world, schedule, realise(world, Disruptions.none(), world_rng), Disruptions.none(), run_rng)
    assert outcome_kpis(world, exact).quantity_arrived["food"] == pytest.approx(planned_food)


def _not_honoured_share(scenario, proposal: str, runs: int = 400) -> float:
    world = build_world(scenario, proposal)
    broken = 0
    for i in range(runs):
        events = realise(world, Disruptions(), np.random.default_rng(i)).events
        broken += sum(kind == "window_not_honoured" for _, kind, _ in events)
    return broken / (runs * len(world.windows))


def test_unilateral_pauses_are_honoured_less_often(tiny):
    pause = tiny.proposal("pause")
    unilateral = pause.model_copy(update={"agreement": "unilateral", "agreed_by": ["North command"]})
    scenario = tiny.model_copy(update={"proposals": [tiny.proposal("none"), unilateral]})
    agreed_share = _not_honoured_share(tiny, "pause")
    unilateral_share = _not_honoured_share(scenario, "pause")
    assert agreed_share == pytest.approx(Disruptions().window_not_honoured_probability, abs=0.04)
    assert unilateral_share == pytest.approx(Disruptions().unilateral_not_honoured_probability, abs=0.07)


def test_replayed_history_replaces_the_draws(tiny):
    pause = tiny.proposal("pause")
    replayed = pause.model_copy(update={"replay": [WindowReplay(date=dt.date(2024, 1, 1), violated=True, source="test")]})
    scenario = tiny.model_copy(update={"proposals": [tiny.proposal("none"), replayed]})
    world = build_world(scenario, "pause")
    always_broken = Disruptions(window_not_honoured_probability=1.0)
    events = realise(world, always_broken, np.random.default_rng(0)).events
    kinds = [kind for _, kind, _ in events]
    assert "window_violated" in kinds and "window_not_honoured" not in kinds
