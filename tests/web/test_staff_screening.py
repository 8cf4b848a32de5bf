"""The staff's compare and plan pages say how many people the plan expects screening points to hold or
send back, next to the people reaching safety, where the scenario's screening stops anyone (read from
the plan's own KPIs); a plan of a corridor without screening says nothing of it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.service.conftest import (  # noqa: F401  (fixtures: one app and database per test)
    TINY,
    World,
    api,
    app,
    database_url,
    settings,
    world,
)
from tests.web.test_inbox_titles import _web_sign_in

CORRIDOR = Path(__file__).resolve().parents[1] / "scenarios" / "corridor.yaml"
SHARE = {"value": 0.05, "low": 0.0, "high": 0.1, "assumption": "test figure"}


@pytest.fixture
def backend() -> str:
    return "sqlite"


def _corridor_with_screening() -> str:
    data = yaml.safe_load(CORRIDOR.read_text(encoding="utf-8"))
    data.pop("behaviour")
    place = next(p for p in data["places"] if p["id"] == "screening")
    place["screening"] = {"detained": SHARE, "turned_back": {**SHARE, "value": 0.1, "high": 0.2}}
    return yaml.safe_dump(data, sort_keys=False)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_compare_and_plan_pages_count_the_people_stopped_at_screening(world: World) -> None:
    api = world.api
    scenario = api.created("coord", "/scenarios", {"yaml": _corridor_with_screening()})
    plan = api.planned("coord", "/plans", {"scenario_id": scenario["id"], "proposal": "agreed"})
    summary = plan["summary"]
    assert summary["people_detained"] > 0 and summary["people_turned_back"] > 0
    said = f"about {summary['people_detained']:,.0f} detained and {summary['people_turned_back']:,.0f} turned back at screening"
    _web_sign_in(api, "coord")
    assert said in _text(api.client.get(f"/ui/compare?scenario={scenario['id']}").text)
    assert said in _text(api.client.get(f"/ui/plans/{plan['id']}").text)

    tiny = api.created("coord", "/scenarios", {"yaml": TINY.read_text()})
    quiet = api.planned("coord", "/plans", {"scenario_id": tiny["id"], "proposal": "pause"})
    assert quiet["summary"]["people_detained"] == quiet["summary"]["people_turned_back"] == 0
    assert "turned back at screening" not in api.client.get(f"/ui/compare?scenario={tiny['id']}").text
    assert "turned back at screening" not in api.client.get(f"/ui/plans/{quiet['id']}").text
