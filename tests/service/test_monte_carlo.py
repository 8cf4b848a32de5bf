"""Monte Carlo runs of a stored plan: a job that simulates the plan N times and stores, per KPI, the
bands the simulator computes (checked against ``simulate_proposal`` run here with the same seed)."""

from __future__ import annotations

import pytest

from safepassage.scenario import load_scenario
from safepassage.simulate import simulate_proposal
from tests.service.conftest import TINY, World

RUNS = 12


def test_monte_carlo_job_stores_the_simulators_bands(world: World) -> None:
    api = world.api
    scenario = api.created("coord", "/scenarios", {"yaml": TINY.read_text()})
    plan = api.planned("coord", "/plans", {"scenario_id": scenario["id"], "proposal": "pause"})
    assert api.get("coord", f"/plans/{plan['id']}/monte-carlo").json() == []  # never simulated yet

    done = api.finished_job("coord", api.post("coord", f"/plans/{plan['id']}/monte-carlo", {"runs": RUNS, "seed": 7}))
    assert done.status_code == 200, done.text
    runs = done.json()
    assert len(runs) == 1
    run = runs[0]
    assert (run["plan_id"], run["runs"], run["seed"], run["policy"]) == (plan["id"], RUNS, 7, "fixed")

    expected = simulate_proposal(load_scenario(TINY), "pause", RUNS, seed=7).summary()
    assert set(run["kpis"]) == set(expected)
    for kpi, band in run["kpis"].items():
        for stat in ("mean", "p10", "p50", "p90", "planned"):
            want = expected[kpi][stat]
            assert band[stat] == (None if want is None else pytest.approx(want)), (kpi, stat)
        if band["p10"] is not None:
            assert band["p10"] <= band["p50"] <= band["p90"], kpi
    # The plan as simulated is the stored plan: its own value is the stored summary's.
    assert run["kpis"]["people_reached_safety"]["planned"] == pytest.approx(plan["summary"]["people_reached_safety"])
    assert run["kpis"]["trucks_arrived"]["planned"] == pytest.approx(plan["summary"]["trucks_arrived"])

    # A second run is kept beside the first, newest first; the job says where its result is.
    job = api.post("coord", f"/plans/{plan['id']}/monte-carlo", {"runs": 3}).json()
    assert job["kind"] == "montecarlo" and job["result_url"] == f"/plans/{plan['id']}/monte-carlo"
    api.finished_job("coord", api.post("coord", f"/plans/{plan['id']}/monte-carlo", {"runs": 3}))
    assert [r["runs"] for r in api.get("coord", f"/plans/{plan['id']}/monte-carlo").json()][-1] == RUNS
    audit = api.get("admin", "/audit/export").json()["entries"]
    assert any(e["action"] == "plan.monte_carlo" and e["object_id"] == str(run["id"]) for e in audit)


def test_monte_carlo_refuses_bad_requests_naming_the_field(world: World) -> None:
    api = world.api
    scenario = api.created("coord", "/scenarios", {"yaml": TINY.read_text()})
    plan = api.planned("coord", "/plans", {"scenario_id": scenario["id"], "proposal": "none"})
    for body, field in (({"runs": 0}, "runs"), ({"runs": 10_001}, "runs"), ({"runs": 5, "seed": -1}, "seed"), ({"runs": "many"}, "runs"),
                        ({"runs": 5, "extra": 1}, "extra")):
        answer = api.post("coord", f"/plans/{plan['id']}/monte-carlo", body)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["detail"][0]["loc"][-1] == field
    assert api.post("coord", "/plans/999999/monte-carlo", {"runs": 5}).status_code == 404
    assert api.get("coord", "/plans/999999/monte-carlo").status_code == 404
    assert api.post("monitor", f"/plans/{plan['id']}/monte-carlo", {"runs": 5}).status_code == 403
    assert api.get("liaison-a", f"/plans/{plan['id']}/monte-carlo").status_code == 403
    uploaded = api.created("coord", "/plans", {"scenario_id": scenario["id"], "proposal": "none", "movements": []})
    refused = api.post("coord", f"/plans/{uploaded['id']}/monte-carlo", {"runs": 5})
    assert refused.status_code == 422 and "not planned by the engine" in refused.json()["detail"][0]["msg"]
