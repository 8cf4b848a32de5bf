"""The service stores each engine plan's ``PlanResult`` (migration 0005) and the public page and Monte
Carlo runs read it instead of planning the proposal again; plans stored without one are planned again."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
from alembic import command

import safepassage.service.jobs as jobs
import safepassage.web.public_pages as public_pages
from safepassage.plan import plan_proposal
from safepassage.scenario import load_scenario
from safepassage.service.db import alembic_config
from safepassage.service.jobs import PlanJobRequest, json_safe, monte_carlo_outcome
from safepassage.service.models import PlanResultRecord
from safepassage.service.plan_results import plan_result_document, plan_result_from_document
from safepassage.simulate import simulate_proposal
from safepassage.web.public_pages import announced_at
from safepassage.web.public_picture import public_view
from tests.service.conftest import TINY, World


def _round_trip(result: Any) -> Any:
    """Through JSON text, as the database keeps it."""
    return plan_result_from_document(json.loads(json.dumps(json_safe(plan_result_document(result)), allow_nan=False)))


def test_a_stored_result_reads_back_equal_to_the_plan() -> None:
    scenario = load_scenario(TINY)
    for proposal in ("none", "pause"):
        result = plan_proposal(scenario, proposal)
        assert _round_trip(result) == result, proposal


@pytest.mark.slow
def test_the_gaza_weeks_results_read_back_equal(gaza_week: Any) -> None:
    for result in gaza_week.results:
        back = _round_trip(result)
        assert back == result, result.proposal
        assert back.planned_convoys and back.planned_convoys[0].dispatches == result.planned_convoys[0].dispatches


def test_a_nan_gap_is_stored_as_null_and_reads_back_as_nan() -> None:
    import dataclasses
    import math

    result = dataclasses.replace(plan_proposal(load_scenario(TINY), "none"), gap=math.nan)
    document = json_safe(plan_result_document(result))
    assert document["plan"]["gap"] is None
    assert math.isnan(plan_result_from_document(json.loads(json.dumps(document, allow_nan=False))).gap)


def test_a_document_of_another_format_is_refused() -> None:
    document = json_safe(plan_result_document(plan_proposal(load_scenario(TINY), "pause")))
    with pytest.raises(ValueError, match="format 2"):
        plan_result_from_document({**document, "format": 2})


def test_monte_carlo_simulates_the_stored_plan_without_planning(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = load_scenario(TINY)
    result = plan_proposal(scenario, "pause")
    document = json_safe(plan_result_document(result))

    def no_planning(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the Monte Carlo job planned the proposal again")

    monkeypatch.setattr(jobs, "plan_proposal", no_planning)
    outcome = monte_carlo_outcome(scenario, PlanJobRequest("montecarlo", "", "pause", runs=6, seed=3, plan_document=document), 10.0)
    expected = simulate_proposal(scenario, "pause", 6, seed=3, plan=result).summary()
    for kpi, band in outcome["monte_carlo"]["kpis"].items():
        for stat in ("mean", "p10", "p50", "p90", "planned"):
            want = expected[kpi][stat]
            assert band[stat] == (None if want is None else pytest.approx(want)), (kpi, stat)


def _shown(page: str, view: Any) -> None:
    """Every window and every corridor of ``view`` is on the English public page."""
    assert view.windows and view.corridors
    for window in view.windows:
        assert html.escape(window.headline["en"]) in page, window.headline["en"]
    for corridor in view.corridors:
        assert html.escape(corridor["name"]["en"]) in page, corridor["name"]


def test_the_public_page_shows_the_stored_plan(world: World, app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    api = world.api
    scenario_row = api.created("coord", "/scenarios", {"yaml": TINY.read_text()})
    plan = api.planned("coord", "/plans", {"scenario_id": scenario_row["id"], "proposal": "pause"})
    db = app.state.services.db
    with db.read_session() as session:
        record = session.get(PlanResultRecord, plan["id"])
        assert record is not None, "the plan job stored no result"
        stored = plan_result_from_document(record.document)
    assert (stored.proposal, len(stored.convoys) + len(stored.evacuations)) == ("pause", len(plan["movement_ids"]))
    assert stored.summary()["people_reached_safety"] == plan["summary"]["people_reached_safety"]
    served = api.get("monitor", f"/plans/{plan['id']}/result")
    assert served.status_code == 200 and served.json() == json_safe(stored.to_dict())
    assert api.get("liaison-a", f"/plans/{plan['id']}/result").status_code == 403  # liaisons read no plans
    scenario = load_scenario(TINY)
    view = public_view(scenario, stored, sent=announced_at(scenario, "pause", stored.horizon_start))

    planned: list[str] = []
    real_plan = public_pages.plan_proposal
    monkeypatch.setattr(public_pages, "plan_proposal", lambda *a, **k: planned.append("planned") or real_plan(*a, **k))
    page = api.client.get("/public")
    assert page.status_code == 200
    _shown(page.text, view)
    assert planned == [], "the public page planned the proposal again although the plan's result is stored"

    # A plan stored before migration 0005 has no result: down to 0004 (the table goes) and up again, the page
    # plans its proposal again and says the same.
    with db.write_engine.begin() as connection:
        config = alembic_config(db.url)
        config.attributes["connection"] = connection
        command.downgrade(config, "0004_monte_carlo_runs")
        command.upgrade(config, "head")
    with db.read_session() as session:
        assert session.get(PlanResultRecord, plan["id"]) is None
    missing = api.get("coord", f"/plans/{plan['id']}/result")
    assert missing.status_code == 404 and "plan its proposal again" in missing.json()["detail"]
    assert api.get("coord", "/plans/999999/result").status_code == 404
    app.state.web_public_cache.clear()
    again = api.client.get("/public")
    assert again.status_code == 200 and planned == ["planned"]
    _shown(again.text, view)
    assert re.findall(r"<li[^>]*>", again.text) == re.findall(r"<li[^>]*>", page.text)
