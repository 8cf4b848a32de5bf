"""`safepassage simulate` and `safepassage sensitivity`: exit codes, messages, JSON, reproducibility;
and ``monte_carlo_bands`` for `compare --runs`."""

from __future__ import annotations

import json

import safepassage.simulate as simulate_api
from safepassage.cli import app
from safepassage.evaluate import compare_proposals
from safepassage.evaluate.bands import ComparisonBands, monte_carlo_bands


def test_simulate_prints_bands_and_the_same_seed_gives_the_same_json(runner, tiny_path):
    args = ["simulate", str(tiny_path), "--proposal", "pause", "--runs", "30", "--seed", "4", "--workers", "0", "--json"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    document = json.loads(first.stdout)
    value = document["fixed"]["kpis"]["value"]
    assert set(value) >= {"mean", "p10", "p50", "p90", "planned"} and value["p10"] <= value["p50"] <= value["p90"] <= value["planned"]
    assert document["fixed"]["kpis"]["need_met.north.food"]["planned"] == 1.0
    again = json.loads(runner.invoke(app, args).stdout)
    assert again["fixed"]["kpis"] == document["fixed"]["kpis"]


def test_simulate_with_replan_reports_the_value_of_replanning(runner, tiny_path):
    result = runner.invoke(app, ["simulate", str(tiny_path), "-p", "pause", "--runs", "20", "--workers", "0", "--replan"])
    assert result.exit_code == 0, result.output
    assert "value of re-planning" in result.stdout and "warm re-plans per run" in result.stdout


def test_simulate_an_unknown_proposal_exits_2_naming_the_known_ones(runner, tiny_path):
    result = runner.invoke(app, ["simulate", str(tiny_path), "-p", "truce", "--runs", "5", "--workers", "0"])
    assert result.exit_code == 2
    assert "unknown proposal 'truce'" in result.stderr and "none, pause" in result.stderr


def test_simulate_with_a_bad_disruptions_file_exits_2(runner, tiny_path, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("damage_rate: 2\n")
    result = runner.invoke(app, ["simulate", str(tiny_path), "-p", "pause", "--runs", "5", "--workers", "0", "--disruptions", str(bad)])
    assert result.exit_code == 2
    assert "damage_rate" in result.stderr


def _with_parameters(tiny_data: dict) -> dict:
    data = dict(tiny_data)
    data["parameters"] = {
        "gate_trucks_per_hour": {"value": 2, "low": 0.2, "high": 4, "confidence": "low", "unit": "trucks/hour"},
        "corridor_people_per_hour": {"value": 100, "low": 5, "high": 300, "confidence": "assumption", "unit": "people/hour"},
        "sure_thing": {"value": 1, "low": 0.5, "high": 2, "confidence": "high"},
    }
    data["places"] = [dict(p, trucks_per_hour="$gate_trucks_per_hour") if p["id"] == "gate" else p for p in data["places"]]
    data["roads"] = [dict(r, people_per_hour="$corridor_people_per_hour") if r["id"] == "r3" else r for r in data["roads"]]
    return data


def test_sensitivity_names_the_parameters_that_drive_the_ranking(runner, tiny_data, write_yaml, tmp_path):
    path = write_yaml(_with_parameters(tiny_data))
    chart = tmp_path / "tornado.png"
    result = runner.invoke(app, ["sensitivity", str(path), "--workers", "1", "--chart", str(chart), "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert {p["name"] for p in document["parameters"]} == {"gate_trucks_per_hour", "corridor_people_per_hour"}  # high confidence is not swept
    assert document["ranking"] == ["pause", "none"]
    assert document["drivers"][0] in {"gate_trucks_per_hour", "corridor_people_per_hour"}
    effect = {p["name"]: p for p in document["parameters"]}["gate_trucks_per_hour"]
    assert effect["kpis_low"]["none"]["trucks_arrived"] < document["baseline"]["none"]["trucks_arrived"]
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sensitivity_of_an_unknown_parameter_exits_2(runner, tiny_data, write_yaml):
    path = write_yaml(_with_parameters(tiny_data))
    result = runner.invoke(app, ["sensitivity", str(path), "--parameter", "sure_thing", "--workers", "1"])
    assert result.exit_code == 2
    assert "not an uncertain parameter" in result.stderr and "gate_trucks_per_hour" in result.stderr


def test_monte_carlo_bands_give_percentiles_per_kpi_and_beat_probabilities(tiny):
    comparison = compare_proposals(tiny)
    typed = monte_carlo_bands(comparison, runs=30, seed=9)
    assert isinstance(typed, ComparisonBands) and typed.runs == 30 and typed.seed == 9
    bands = typed.to_json()
    assert set(bands["proposals"]) == {"none", "pause"}
    for proposal in bands["proposals"].values():
        for kpi in ("value", "trucks_arrived", "tonnes_arrived", "people_reached_safety"):
            assert {"mean", "p10", "p50", "p90"} <= set(proposal["kpis"][kpi])
    means = [bands["proposals"][p]["kpis"]["value"]["mean"] for p in bands["ranking"]]
    assert means == sorted(means, reverse=True)
    beat = bands["beats_next"][0]
    assert (beat["proposal"], beat["next"]) == tuple(bands["ranking"]) and 0.0 <= beat["probability"] <= 1.0
    assert json.dumps(bands)  # JSON-ready
    assert monte_carlo_bands(comparison, runs=30, seed=9) == typed
    band = typed.band("pause", "trucks_arrived")
    assert band is not None and band.spread == (bands["proposals"]["pause"]["kpis"]["trucks_arrived"]["p10"], bands["proposals"]["pause"]["kpis"]["trucks_arrived"]["p90"])
    assert [(b.proposal, b.next) for b in typed.beats_next] == [(beat["proposal"], beat["next"])]


def test_exported_names_are_complete():
    public = {name for name in dir(simulate_api) if not name.startswith("_") and not hasattr(getattr(simulate_api, name), "__path__") and callable(getattr(simulate_api, name))}
    modules = {"disruptions", "execution", "montecarlo", "outcome", "schedule", "world"}
    assert public - modules <= set(simulate_api.__all__)
    assert all(hasattr(simulate_api, name) for name in simulate_api.__all__)
