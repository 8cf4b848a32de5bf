"""Every malformed-scenario case gives a clear error with its path and a hint, and exit code 2."""

from __future__ import annotations

import copy

import pytest

from safepassage.cli import app
from safepassage.errors import ScenarioError
from safepassage.scenario import load_scenario


def _mutate(data: dict, change) -> dict:
    out = copy.deepcopy(data)
    change(out)
    return out


CASES = {
    "missing field": (lambda d: d["roads"][0].pop("length_km"), "roads[0].length_km", "Field required"),
    "wrong type": (lambda d: d["zones"][0].__setitem__("population", "many"), "zones[0].population", "valid number"),
    "zero capacity": (lambda d: d["places"][1].__setitem__("trucks_per_hour", 0), "places[1].trucks_per_hour", "greater than 0"),
    "negative capacity": (lambda d: d["roads"][2].__setitem__("people_per_hour", -5), "roads[2].people_per_hour", "greater than 0"),
    "unknown place": (lambda d: d["roads"][1].__setitem__("to", "dp-sout"), "roads[1].to", "unknown place 'dp-sout'"),
    "unknown zone": (lambda d: d["places"][2].__setitem__("zone", "west"), "places[2].zone", "unknown zone 'west'"),
    "unknown commodity": (lambda d: d["stocks"][0].__setitem__("commodity", "rice"), "stocks[0].commodity", "unknown commodity 'rice'"),
    "window ends before start": (
        lambda d: d["proposals"][1]["windows"][0].__setitem__("end", "2024-01-01T05:00"),
        "proposals[1].windows[0]", "before or when it starts",
    ),
    "overlapping windows": (
        lambda d: d["proposals"][1]["windows"].append({"start": "2024-01-01T09:00", "end": "2024-01-01T11:00", "zones": ["north"]}),
        "proposals[1].windows[1]", "overlaps windows[0]",
    ),
    "unknown time zone": (lambda d: d.__setitem__("timezone", "Mars/Olympus"), "timezone", "unknown time zone 'Mars/Olympus'"),
    "invalid geometry": (
        lambda d: d["zones"][0]["geometry"].__setitem__("coordinates", [[[34.0, 30.9], [34.4, 31.2], [34.4, 30.9], [34.0, 31.2], [34.0, 30.9]]]),
        "zones[0].geometry", "invalid polygon: Self-intersection",
    ),
    "unclosed ring": (
        lambda d: d["zones"][1]["geometry"].__setitem__("coordinates", [[[34.0, 31.1], [34.4, 31.1], [34.4, 31.2], [34.0, 31.2], [34.1, 31.1]]]),
        "zones[1].geometry", "must be closed",
    ),
    "road to itself": (lambda d: d["roads"][0].__setitem__("to", "depot"), "roads[0].to", "starts and ends at the same place"),
    "safe destination is itself": (
        lambda d: d["zones"][1]["evacuation"].__setitem__("destinations", ["north"]),
        "zones[1].evacuation.destinations[0]", "lists itself as a safe destination",
    ),
    "unknown parameter": (lambda d: d["roads"][0].__setitem__("length_km", "$road_km"), "roads[0].length_km", "unknown parameter reference '$road_km'"),
    "misspelt field": (lambda d: d["places"][0].__setitem__("trucks_per_hr", 3), "places[0].trucks_per_hr", "Extra inputs are not permitted"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_scenario_reports_path_and_message(case, tiny_data, write_yaml):
    change, path, message = CASES[case]
    scenario_file = write_yaml(_mutate(tiny_data, change))
    with pytest.raises(ScenarioError, match="problem") as info:
        load_scenario(scenario_file)
    matching = [p for p in info.value.problems if p.path == path]
    assert matching, f"no problem at {path}: {info.value.problems}"
    assert any(message in p.message for p in matching), matching
    assert all(p.line is not None for p in info.value.problems)


@pytest.mark.parametrize("case", sorted(CASES))
def test_validate_command_exits_2_with_the_path(case, tiny_data, write_yaml, runner):
    change, path, message = CASES[case]
    scenario_file = write_yaml(_mutate(tiny_data, change))
    result = runner.invoke(app, ["validate", str(scenario_file)])
    assert result.exit_code == 2
    assert path in result.output
    assert message.split("'")[0].strip() in result.output


def test_every_problem_is_reported_at_once(tiny_data, write_yaml):
    def many(d):
        d["roads"][1]["to"] = "nowhere"
        d["zones"][0]["population"] = "lots"
        d["timezone"] = "Nowhere/Land"
        d["places"][1]["trucks_per_hour"] = -1

    with pytest.raises(ScenarioError, match="4 problem") as info:
        load_scenario(write_yaml(_mutate(tiny_data, many)))
    paths = {p.path for p in info.value.problems}
    assert paths == {"roads[1].to", "zones[0].population", "timezone", "places[1].trucks_per_hour"}


def test_hint_tells_how_to_fix(tiny_data, write_yaml):
    with pytest.raises(ScenarioError, match="unknown place") as info:
        load_scenario(write_yaml(_mutate(tiny_data, lambda d: d["roads"][1].__setitem__("to", "dp-sout"))))
    assert "did you mean 'dp-south'" in info.value.problems[0].hint


def test_not_yaml_names_the_line(tmp_path, runner):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nplaces: [\n  - oops: {\n")
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 2
    assert "not valid YAML" in result.output
    assert "line" in result.output


def test_missing_file_exits_2(runner, tmp_path):
    result = runner.invoke(app, ["validate", str(tmp_path / "absent.yaml")])
    assert result.exit_code == 2
    assert "no such file" in result.output


def test_valid_scenario_passes(tiny_path, runner):
    result = runner.invoke(app, ["validate", str(tiny_path)])
    assert result.exit_code == 0, result.output
    assert "valid: tiny" in result.output


def test_nothing_runs_on_an_invalid_scenario(tiny_data, write_yaml, runner, tmp_path):
    scenario_file = write_yaml(_mutate(tiny_data, lambda d: d["roads"][0].__setitem__("to", "depot")))
    out = tmp_path / "out"
    result = runner.invoke(app, ["compare", str(scenario_file), "--out", str(out)])
    assert result.exit_code == 2
    assert not out.exists()


def test_parameter_reference_substitutes_value(tiny_data, write_yaml):
    data = _mutate(tiny_data, lambda d: d.__setitem__("parameters", {"gate_rate": {"value": 3, "low": 1, "high": 5}}))
    data["places"][1]["trucks_per_hour"] = "$gate_rate"
    scenario = load_scenario(write_yaml(data))
    assert scenario.places[1].trucks_per_hour == 3
    overridden = load_scenario(write_yaml(data), overrides={"gate_rate": 4.5})
    assert overridden.places[1].trucks_per_hour == 4.5


def test_a_misspelt_parameter_gives_one_clear_problem(tiny_data, write_yaml):
    data = _mutate(tiny_data, lambda d: d.update(parameters={"road_km": {"value": 10}}))
    data["roads"][0]["length_km"] = "$raod_km"
    with pytest.raises(ScenarioError, match="unknown parameter reference") as info:
        load_scenario(write_yaml(data))
    assert [(p.path, p.message) for p in info.value.problems] == [("roads[0].length_km", "unknown parameter reference '$raod_km'")]
    assert info.value.problems[0].hint == "did you mean '$road_km'?"
