"""Where the web UI gets a stored scenario's geometry and terms (adapter over the service's tables).

The API exposes a scenario's name and proposals but not its places and zones; the plan page needs
them to draw the map. Callers must already have been allowed to read the plan or scenario by the API
(``ApiClient.plan`` succeeded for this user); this module only loads and parses, and caches the parse
(stored scenarios never change).
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import NamedTuple

from fastapi import FastAPI
from sqlalchemy import select

from safepassage.plan import PlanResult
from safepassage.scenario import Scenario, parse_scenario
from safepassage.service.models import PlanRecord, ScenarioRecord
from safepassage.service.plan_results import stored_plan_result

__all__ = ["LatestPlan", "stored_scenario", "latest_planned_proposal", "stored_result"]

_lock = threading.Lock()


def stored_scenario(app: FastAPI, scenario_id: int) -> Scenario | None:
    """The parsed scenario ``scenario_id`` (cached per app), or None if there is none."""
    cache: dict[int, Scenario] = app.state.__dict__.setdefault("web_scenario_cache", {})
    with _lock:
        if scenario_id in cache:
            return cache[scenario_id]
    with app.state.services.db.read_session() as session:
        record = session.get(ScenarioRecord, scenario_id)
        if record is None:
            return None
        scenario = parse_scenario(record.yaml_text, source=f"scenario {record.id}")
    with _lock:
        cache[scenario_id] = scenario
    return scenario


class LatestPlan(NamedTuple):
    scenario_id: int
    proposal: str
    planned_at: dt.datetime
    plan_id: int


def latest_planned_proposal(app: FastAPI) -> LatestPlan | None:
    """The newest plan (its scenario, proposal, when it was made, its id): the pause the deployment works on now."""
    with app.state.services.db.read_session() as session:
        row = session.execute(
            select(PlanRecord.scenario_id, PlanRecord.proposal, PlanRecord.created_at, PlanRecord.id)
            .order_by(PlanRecord.id.desc())
            .limit(1)
        ).first()
    return None if row is None else LatestPlan(int(row[0]), str(row[1]), row[2], int(row[3]))


def stored_result(app: FastAPI, plan_id: int) -> PlanResult | None:
    """The result stored with plan ``plan_id`` when its job ended, or None (an uploaded plan, or one made
    before results were stored: migration 0005)."""
    with app.state.services.db.read_session() as session:
        return stored_plan_result(session, plan_id)
