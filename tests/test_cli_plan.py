"""CLI behaviour: exit codes, clean JSON on stdout, files written, clear messages."""

from __future__ import annotations

import csv
import json

from safepassage.cli import app


def test_unknown_proposal_exits_2_and_lists_known(runner, tiny_path):
    result = runner.invoke(app, ["plan", str(tiny_path), "--proposal", "truce"])
    assert result.exit_code == 2
    assert "unknown proposal 'truce'" in result.output
    assert "none, pause" in result.output


def test_unknown_packaged_scenario_exits_2(runner):
    result = runner.invoke(app, ["compare", "atlantis-2030"])
    assert result.exit_code == 2
    assert "no such file and no packaged scenario" in result.output
    assert "gaza-2023-11" in result.output


def test_plan_json_is_one_document_with_the_schedule(runner, tiny_path):
    result = runner.invoke(app, ["plan", str(tiny_path), "--proposal", "pause", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    (proposal,) = document["proposals"]
    assert proposal["name"] == "pause"
    assert proposal["people_reached_safety"] == 300
    assert sum(m["people"] for m in proposal["schedule"]["evacuations"]) == 300
    assert proposal["trucks_arrived"] == sum(c["trucks"] for c in proposal["schedule"]["convoys"])


def test_plan_writes_csv_and_json(runner, tiny_path, tmp_path):
    out = tmp_path / "plan"
    result = runner.invoke(app, ["plan", str(tiny_path), "--proposal", "pause", "--out", str(out), "--no-schedule"])
    assert result.exit_code == 0, result.output
    with (out / "convoys.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    plan = json.loads((out / "plan.json").read_text())
    assert len(rows) == len(plan["schedule"]["convoys"]) > 0
    assert {r["destination"] for r in rows} <= {"dp-south", "dp-north"}


def test_compare_prints_table_and_bottlenecks(runner, tiny_path):
    result = runner.invoke(app, ["compare", str(tiny_path)])
    assert result.exit_code == 0, result.output
    assert "pause is limited by: walkers on r3, 100 people/hour" in result.output
    assert "none: no limit binds" in result.output


def test_horizon_options_are_checked(runner, tiny_path):
    result = runner.invoke(app, ["compare", str(tiny_path), "--slot-minutes", "0"])
    assert result.exit_code == 2
    assert "slot-minutes" in result.output


def test_compare_out_replaces_folder_whole(runner, tiny_path, tmp_path):
    out = tmp_path / "cmp"
    out.mkdir()
    (out / "stale.txt").write_text("old")
    result = runner.invoke(app, ["compare", str(tiny_path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert not (out / "stale.txt").exists()
    assert {p.name for p in out.iterdir()} >= {"summary.json", "comparison.csv", "need_met.csv", "none", "pause"}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_compare_runs_adds_bands_next_to_each_kpi(runner, tiny_path):
    result = runner.invoke(app, ["compare", str(tiny_path), "--runs", "12", "--seed", "3", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["simulation"]["runs"] == 12
    for proposal in document["proposals"]:
        for kpi in ("trucks_arrived", "people_reached_safety"):
            low, mid, high = (proposal[f"{kpi}_{s}"] for s in ("p10", "p50", "p90"))
            assert low <= mid <= high
            # Disruptions only take away: no band goes above what the plan promised.
            assert high <= proposal[kpi]
    (beats,) = document["simulation"]["beats_next"]
    assert 0.0 <= beats["probability"] <= 1.0
    again = json.loads(runner.invoke(app, ["compare", str(tiny_path), "--runs", "12", "--seed", "3", "--json"]).stdout)
    assert again["simulation"] == document["simulation"]
