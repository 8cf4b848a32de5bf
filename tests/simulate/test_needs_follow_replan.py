"""The simulation's re-planner carries the need of people who have already arrived: where needs follow
people, a re-plan made after the return counts the returnees in the zone they reached (through the
presence rows, ``WarmState.presence_days``) and sends the aid there, as a cold plan would."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from safepassage.plan.warm import WarmPlanner
from safepassage.scenario import Scenario

RETURN = Path(__file__).resolve().parents[1] / "scenarios" / "return.yaml"


def _early_return() -> Scenario:
    """The return scenario with the road home open on the first day and the supply road open to trucks
    at all times, so aid can follow people for two days after they arrive; stock is short."""
    data = yaml.safe_load(RETURN.read_text())
    for road in data["roads"]:
        if road["id"] == "r3":
            road["requires_pause"] = False
    data["stocks"][0]["quantity"] = 300
    data["proposals"][1]["windows"][0].update(start="2025-01-25T02:00", end="2025-01-25T14:00")
    return Scenario.model_validate(data)


def _aid_by_zone(replan) -> dict[str, float]:
    out: dict[str, float] = {}
    for convoy in replan.convoys:
        out[convoy.zone] = out.get(convoy.zone, 0.0) + sum(convoy.cargo.values())
    return out


def test_a_replan_after_the_return_sends_aid_where_the_returnees_are():
    scenario = _early_return()
    warm = WarmPlanner(scenario, scenario.proposal("ceasefire"), scenario.horizon)
    model = warm.model
    grid = model.terms.grid
    tau = int(np.searchsorted(grid.boundaries_min, 24 * 60.0))  # the second day, everyone home
    no_people = np.zeros_like(model.supply_people)
    zone = {z.id: i for i, z in enumerate(scenario.zones)}
    returnees = scenario.zones[zone["south"]].evacuation.wants_to_leave
    days_left = (grid.horizon_min - 16 * 60.0) / 1440.0  # home by 16:00 on the first day
    presence = np.zeros(len(scenario.zones))
    presence[zone["north"]] += returnees * days_left
    presence[zone["south"]] -= returnees * days_left

    forgetting = warm.state(tau, people_supply=no_people)
    carrying = warm.state(tau, people_supply=no_people)
    carrying.presence_days = presence
    before, after = _aid_by_zone(warm.replan(forgetting)), _aid_by_zone(warm.replan(carrying))
    assert after.get("north", 0.0) > before.get("north", 0.0)
    assert after.get("south", 0.0) < before.get("south", 0.0)


def test_the_simulation_hands_the_arrived_people_to_its_replanner(monkeypatch):
    """A run that re-plans after the return (the crossing closes every day) gives the warm re-plan the
    returnees' person-days in the north, taken from the south."""
    from safepassage.simulate import Disruptions
    from safepassage.simulate.montecarlo import prepare_job
    from safepassage.simulate.replication import run_replication

    seen: list[np.ndarray | None] = []
    original = WarmPlanner.replan

    def spy(self, state, repair=False):  # noqa: ANN001, ANN202
        seen.append(None if state.presence_days is None else state.presence_days.copy())
        return original(self, state, repair)

    monkeypatch.setattr(WarmPlanner, "replan", spy)
    scenario = _early_return()
    closing = Disruptions.none().model_copy(update={"crossing_closed_per_day": 1.0})
    job = prepare_job(scenario, "ceasefire", disruptions=closing, policy="replan")
    run_replication(job, seed=0, index=0)
    late = [p for p in seen if p is not None and p.any()]
    assert seen and all(p is not None for p in seen)
    assert late, "some re-plan comes after people arrived"
    north, south = (i for i, z in enumerate(scenario.zones) if z.id == "north"), (i for i, z in enumerate(scenario.zones) if z.id == "south")
    n, s = next(north), next(south)
    assert all(p[n] > 0 and p[s] == -p[n] for p in late)
