"""People "set out" only where they can go: under a proposal with no window covering their zone, the
departure model releases people only if a route to safety needs no pause (``scenario/routes.py``).
Before, ``compare --json`` showed ~720,000 people setting out from northern Gaza under no-pause,
although every route south needs a pause window."""

from __future__ import annotations

from pathlib import Path

import yaml

from safepassage.evaluate.assumptions import behavioural_assumptions
from safepassage.plan import plan_proposal
from safepassage.scenario import Scenario, load_scenario

CORRIDOR = Path(__file__).resolve().parents[1] / "scenarios" / "corridor.yaml"


def test_nobody_sets_out_under_no_pause_in_gaza():
    gaza = load_scenario("gaza-2023-11")
    document = behavioural_assumptions(gaza, "no-pause", samples=20)
    assert document["setting_out_total"] == {"p10": 0.0, "p50": 0.0, "p90": 0.0}
    assert all(z["value"] == 0.0 for z in document["setting_out"].values())
    # The daily pauses still move people: the fix is about having nowhere to go, not about windows.
    assert behavioural_assumptions(gaza, "daily-4h-north", samples=20)["setting_out_total"]["p50"] > 10_000


def _corridor_without_windows(pause_only: bool) -> Scenario:
    data = yaml.safe_load(CORRIDOR.read_text())
    data["proposals"].append({"id": "nothing", "name": "No pause"})
    for road in data["roads"]:
        if road["id"] == "corridor":
            road["requires_pause"] = pause_only
    return Scenario.model_validate(data)


def test_without_a_window_people_set_out_only_on_a_route_that_needs_no_pause():
    closed = _corridor_without_windows(pause_only=True)
    assert behavioural_assumptions(closed, "nothing", samples=5)["setting_out"]["town"]["value"] == 0.0
    assert plan_proposal(closed, "nothing").kpis.people_reached_safety == 0
    open_ = _corridor_without_windows(pause_only=False)
    setting_out = behavioural_assumptions(open_, "nothing", samples=5)["setting_out"]["town"]["value"]
    assert setting_out > 0
    assert 0 < plan_proposal(open_, "nothing").kpis.people_reached_safety <= setting_out + 1


def test_a_closed_place_on_the_only_route_stops_it_unless_the_proposal_opens_it():
    from safepassage.scenario.routes import walks_to_safety_without_pause

    data = yaml.safe_load(CORRIDOR.read_text())
    for road in data["roads"]:
        road["requires_pause"] = False
    screening = next(p for p in data["places"] if p["id"] == "screening")
    screening["closed"] = True
    data["proposals"] = [{"id": "shut", "name": "Closed"}, {"id": "opened", "name": "Opened", "opens": ["screening"]}]
    scenario = Scenario.model_validate(data)
    town = scenario.zones[0]
    assert not walks_to_safety_without_pause(scenario, scenario.proposal("shut"), town)
    assert walks_to_safety_without_pause(scenario, scenario.proposal("opened"), town)
