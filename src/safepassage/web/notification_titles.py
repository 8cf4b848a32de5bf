"""Notification titles as people read them: place and zone names, not ids.

The service titles a movement's notification from the movement's own fields (``convoy C-3: depot to
dp-gaza-city, departs ...``), which are scenario ids. The pages show the same title with the movement's
origin, destination and origin zone written as the scenario names them (``Depot to Gaza City
distribution point``). Only those ids of that movement are replaced, as whole words: every other word
of a title, written by the service or by hand, stays. A movement entered by hand (no plan, so no
scenario) keeps its title as stored.

Callers pass notifications the API has already let the user read (adapter over the service's tables,
as ``scenario_source``): a liaison sees the names of the places of their own notifications only.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from safepassage.scenario import Scenario
from safepassage.service.models import Movement, PlanRecord
from safepassage.web.scenario_source import stored_scenario

__all__ = ["named_title", "with_named_titles"]


def _name(scenario: Scenario, ident: str) -> str | None:
    place = next((p for p in scenario.places if p.id == ident), None)
    if place is not None:
        return place.name
    zone = next((z for z in scenario.zones if z.id == ident), None)
    return zone.name if zone is not None else None


def named_title(title: str, ids: list[str], scenario: Scenario) -> str:
    """``title`` with each of ``ids`` (whole words) replaced by its place or zone name in ``scenario``.

    >>> from safepassage.scenario import load_scenario
    >>> tiny = load_scenario("tests/scenarios/tiny.yaml")
    >>> named_title("convoy C-1: depot to dp-south, departs 2024-01-01 06:00Z", ["depot", "dp-south"], tiny)
    'convoy C-1: Depot to South DP, departs 2024-01-01 06:00Z'
    """
    names = {i: n for i in ids if (n := _name(scenario, i)) is not None}
    if not names:
        return title
    longest_first = sorted(names, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w-])(" + "|".join(re.escape(i) for i in longest_first) + r")(?![\w-])")
    return pattern.sub(lambda m: names[m.group(1)], title)


def with_named_titles(app: FastAPI, notes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copies of ``notes`` (API notification payloads) whose movement titles name places, not ids."""
    movement_ids = {n["movement_id"] for n in notes if n.get("movement_id")}
    if not movement_ids:
        return notes
    with app.state.services.db.read_session() as session:
        rows = session.execute(
            select(Movement.id, Movement.origin, Movement.destination, Movement.origin_zone, PlanRecord.scenario_id)
            .outerjoin(PlanRecord, PlanRecord.id == Movement.plan_id)
            .where(Movement.id.in_(movement_ids))
        ).all()
    movements = {int(r[0]): ([str(r[1]), str(r[2])] + ([str(r[3])] if r[3] else []), r[4]) for r in rows}
    out = []
    for note in notes:
        found = movements.get(note.get("movement_id") or 0)
        scenario = stored_scenario(app, int(found[1])) if found is not None and found[1] is not None else None
        if found is None or scenario is None:
            out.append(note)
            continue
        out.append({**note, "title": named_title(note["title"], found[0], scenario)})
    return out
