"""Where the web UI gets a stored scenario's geometry and terms (adapter over the service's tables).

The API exposes a scenario's name and proposals but not its places and zones; the plan page needs
them to draw the map. Callers must already have been allowed to read the plan or scenario by the API
(``ApiClient.plan`` succeeded for this user); this module only loads and parses, and caches the parse
(stored scenarios never change).
"""

from __future__ import annotations

import datetime as dt
import threading

from fastapi import FastAPI
from sqlalchemy import select

from safepassage.scenario import Scenario, parse_scenario
from safepassage.service.models import PlanRecord, ScenarioRecord

__all__ = ["stored_scenario", "latest_planned_proposal"]

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


def latest_planned_proposal(app: FastAPI) -> tuple[int, str, dt.datetime] | None:
    """(scenario id, proposal, planned at) of the newest plan: the pause the deployment works on now."""
    with app.state.services.db.read_session() as session:
        row = session.execute(
            select(PlanRecord.scenario_id, PlanRecord.proposal, PlanRecord.created_at)
            .order_by(PlanRecord.id.desc())
            .limit(1)
        ).first()
    return None if row is None else (int(row[0]), str(row[1]), row[2])
