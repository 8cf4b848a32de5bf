"""``validate`` rejects everything ``plan`` would reject for data reasons, and warns, with the figures,
about what is allowed but probably wrong."""

from __future__ import annotations

import copy

import pytest

from safepassage.cli import app
from safepassage.errors import ScenarioError
from safepassage.plan import plan_proposal
from safepassage.scenario import load_scenario
from safepassage.scenario.checks import scenario_warnings
from safepassage.scenario.model import Scenario


def _mutate(data: dict, change) -> dict:
    out = copy.deepcopy(data)
    change(out)
    return out


def _junction(d: dict) -> None:
    d["places"][0]["kind"] = "junction"


def _no_shelter(d: dict) -> None:
    """No place left in the south, the north's only safe destination."""
    d["places"] = [p for p in d["places"] if p.get("zone") != "south"]
    d["roads"] = [r for r in d["roads"] if {r["from"], r["to"]}.isdisjoint({"dp-south", "shelter"})]


PLAN_CASES = {
    "stock at a place without holding": (_junction, "stocks[0].place", "without holding"),
    "stock where holding is switched off": (lambda d: d["places"][0].__setitem__("holding", False), "stocks[0].place", "without holding"),
    "evacuation destination without places": (_no_shelter, "zones[1].evacuation.destinations", "no place lies in any destination zone"),
    "evacuation with nobody leaving, destination without places": (
        lambda d: (_no_shelter(d), d["zones"][1]["evacuation"].__setitem__("wants_to_leave", 0)),
        "zones[1].evacuation.destinations", "no place lies in any destination zone",
    ),
    "unknown opens": (lambda d: d["proposals"][1].__setitem__("opens", ["gaet"]), "proposals[1].opens[0]", "unknown place 'gaet'"),
}


@pytest.mark.parametrize("case", sorted(PLAN_CASES))
def test_validate_rejects_what_plan_rejects(case, tiny_data, write_yaml, runner):
    change, path, message = PLAN_CASES[case]
    data = _mutate(tiny_data, change)
    # Built without the loader (as the service or a re-plan may), the planner refuses it ...
    scenario = Scenario.model_validate(data)
    with pytest.raises(ScenarioError, match=message) as planned:
        for proposal in scenario.proposals:
            plan_proposal(scenario, proposal.id)
    assert path in {p.path for p in planned.value.problems}
    # ... and validate reports the same problem, at the same path, with its YAML line, exit 2.
    with pytest.raises(ScenarioError, match=message) as loaded:
        load_scenario(write_yaml(data))
    assert any(p.path == path and p.line is not None for p in loaded.value.problems)
    result = runner.invoke(app, ["validate", str(write_yaml(data))])
    assert result.exit_code == 2
    assert path in result.output and message in result.output


# Mutations of the tiny scenario that load_scenario accepts or rejects; for every one that plans badly
# for data reasons (ScenarioError), validate must have rejected it first.
SWEEP = [
    lambda d: d["places"][1].__setitem__("kind", "checkpoint"),
    lambda d: d["places"][2].__setitem__("kind", "junction"),
    lambda d: d["places"][4].pop("zone"),
    lambda d: d["zones"][1]["evacuation"].__setitem__("assembly_place", "shelter"),
    lambda d: d["zones"][1]["evacuation"].__setitem__("destinations", ["south", "north"]),
    lambda d: d["proposals"][1].__setitem__("opens", ["gate"]),
    lambda d: d["proposals"][1].__setitem__("admits", ["fuel"]),
    lambda d: d["stocks"].append({"place": "gate", "commodity": "food", "quantity": 5}),
    lambda d: d["stocks"].append({"place": "dp-north", "commodity": "fuel", "quantity": 5, "available_from": "2024-01-02T05:00"}),
    lambda d: d["places"][0].__setitem__("closed", True),
    lambda d: d["roads"].pop(1),
    lambda d: d["zones"].pop(0),
    *(change for change, _, _ in PLAN_CASES.values()),
]


@pytest.mark.parametrize("index", range(len(SWEEP)))
def test_nothing_valid_fails_later_for_data_reasons(index, tiny_data, write_yaml):
    data = _mutate(tiny_data, SWEEP[index])
    try:
        scenario = load_scenario(write_yaml(data))
    except ScenarioError:
        return  # rejected up front: fine
    for proposal in scenario.proposals:
        plan_proposal(scenario, proposal.id)  # must not raise ScenarioError


def test_warnings_give_the_figures(tiny_data, write_yaml, runner):
    data = copy.deepcopy(tiny_data)
    data["places"][4]["geometry"]["coordinates"] = [34.21, 31.12]  # the shelter, in the north but zone: south
    data["places"][2]["geometry"]["coordinates"] = [31.0, 34.2]  # dp-south, latitude and longitude swapped
    data["roads"][0]["length_km"] = 1  # depot and gate are 9.5 km apart
    scenario = load_scenario(write_yaml(data))
    found = {w.path: w.message for w in scenario_warnings(scenario)}
    assert "outside its zone 'south'" in found["places[4].zone"]
    assert "km from its edge" in found["places[4].zone"]
    assert "look swapped" in found["places[2].geometry.coordinates"]
    assert "1 km, but its ends 'depot' and 'gate' are 9.5" in found["roads[0].length_km"]
    result = runner.invoke(app, ["validate", str(write_yaml(data))])
    assert result.exit_code == 0
    assert result.output.count("warning:") >= 3


def test_consistent_scenarios_have_no_warnings(tiny_path):
    assert scenario_warnings(load_scenario(tiny_path)) == []
    assert scenario_warnings(load_scenario("gaza-2023-11")) == []


def test_days_beyond_the_windows_warn(tiny_path, runner):
    """The tiny pause is one 4-hour window on day 1; planning 3 days says the rest has no pause."""
    result = runner.invoke(app, ["plan", str(tiny_path), "-p", "pause", "--days", "3"])
    assert result.exit_code == 0, result.output
    assert "'pause': its last window ends 2024-01-01T10:00 (day 0.4), but the horizon runs 3 days" in result.output
    quiet = runner.invoke(app, ["plan", str(tiny_path), "-p", "pause"])
    assert "warning" not in quiet.output
