"""The main job on the packaged default scenario: `safepassage run` (the README's `make run`).

Run once per session; every check reads what the command wrote, as a user would."""

from __future__ import annotations

import csv
import json

import pytest
from typer.testing import CliRunner

from safepassage.cli import app
from safepassage.scenario import load_scenario

pytestmark = pytest.mark.slow  # the Gaza week (solved once per session: see tests/conftest.py)

ORDER = ["ceasefire", "truce-4day", "daily-4h-north", "single-4h-pause", "no-pause"]


@pytest.fixture(scope="session")
def run_output(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    result = CliRunner().invoke(app, ["run", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out / "gaza-2023-11", result.output


@pytest.fixture(scope="session")
def summary(run_output):
    folder, _ = run_output
    return {p["name"]: p for p in json.loads((folder / "summary.json").read_text())["proposals"]}


def test_run_prints_the_comparison_of_the_five_proposals(run_output):
    _, output = run_output
    for name in ORDER:
        assert name in output
    assert "binding limit" in output
    assert "plans and summary written to" in output


def test_aid_arriving_is_ordered_as_a_reader_expects(summary):
    arrived = [summary[name]["trucks_arrived"] for name in ORDER]
    assert arrived == sorted(arrived, reverse=True), dict(zip(ORDER, arrived))
    # The truce and the ceasefire raise the daily entry quota: strictly more than any pause alone.
    assert summary["truce-4day"]["trucks_arrived"] > summary["daily-4h-north"]["trucks_arrived"]
    assert summary["ceasefire"]["trucks_arrived"] > summary["truce-4day"]["trucks_arrived"]


def test_people_reaching_safety_follow_the_pause_time(summary):
    safe = [summary[name]["people_reached_safety"] for name in ORDER]
    assert safe == sorted(safe, reverse=True), dict(zip(ORDER, safe))
    assert summary["no-pause"]["people_reached_safety"] == 0  # the corridor needs a pause
    assert summary["single-4h-pause"]["people_reached_safety"] > 0


def test_north_is_served_only_with_a_pause(summary):
    for zone in ("north-gaza", "gaza-city"):
        assert sum(summary["no-pause"]["arrived_by_zone"][zone].values()) == 0
        served = [sum(summary[name]["arrived_by_zone"][zone].values()) for name in ORDER[:-1]]
        assert all(amount > 0 for amount in served), (zone, served)


def test_every_proposal_names_its_bottleneck_and_a_small_gap(summary):
    for name in ORDER:
        proposal = summary[name]
        assert proposal["bottlenecks"], name
        top = proposal["bottlenecks"][0]
        assert top["kind"] in {"crossing", "inspection", "checkpoint", "place", "road", "quota", "fleet", "stock"}
        assert top["value_per_unit"] > 0
        assert proposal["objective"] <= proposal["bound"] + 1e-6 * proposal["bound"]
        # The gap holds the rounding to whole trucks (small) and the cost of grouping trucks into convoys.
        consolidation = proposal["consolidation"]
        assert proposal["gap"] - consolidation["cost_share_of_bound"] < 0.01, (name, proposal["gap"])
        assert consolidation["cost_share_of_bound"] < 0.05, (name, consolidation)
        assert consolidation["trucks_per_convoy"]["min"] >= 5 and consolidation["trucks_per_convoy"]["max"] <= 20


def test_restricted_fuel_arrives_only_under_an_agreement(summary):
    for name in ("no-pause", "single-4h-pause", "daily-4h-north"):
        assert summary[name]["tonnes_arrived"].get("fuel", 0) == 0
        assert summary[name]["tonnes_arrived"].get("cash", 0) == 0
    assert summary["truce-4day"]["tonnes_arrived"]["fuel"] > 0


def test_plans_and_csv_exports_are_written(run_output, summary):
    folder, _ = run_output
    scenario = load_scenario("gaza-2023-11")
    for name in ORDER:
        plan = json.loads((folder / name / "plan.json").read_text())
        with (folder / name / "convoys.csv").open() as handle:
            convoys = list(csv.DictReader(handle))
        assert len(convoys) == plan["convoys"] == len(plan["schedule"]["convoys"])
        assert sum(int(c["trucks"]) for c in convoys) == summary[name]["trucks_arrived"]
        with (folder / name / "evacuations.csv").open() as handle:
            moves = list(csv.DictReader(handle))
        assert sum(int(m["people"]) for m in moves) == summary[name]["people_reached_safety"]
        assert {c["destination"] for c in convoys} <= {p.id for p in scenario.places if p.kind.value == "distribution_point"}
    with (folder / "comparison.csv").open() as handle:
        assert [row["proposal"] for row in csv.DictReader(handle)] == [p.id for p in scenario.proposals]
