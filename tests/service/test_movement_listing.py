"""Movement listings are set-based: the number of SQL statements does not grow with the movements, and
each listed movement says exactly what reading it alone says (status and full history)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from tests.service.conftest import TINY, World, movement_body


@contextmanager
def counted(app: Any) -> Iterator[list[str]]:
    """Every SQL statement the app's engine runs inside the block, but those of the service's write
    thread ("safepassage-writes"), which commits queued work, e.g. the end of a plan job, whenever it
    comes: that says nothing about how a listing reads."""
    statements: list[str] = []
    engine = app.state.services.db.engine

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if threading.current_thread().name != "safepassage-writes":
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _plan_with(world: World, scenario_id: int, movements: int) -> dict[str, Any]:
    api = world.api
    plan = api.created("coord", "/plans", {"scenario_id": scenario_id, "proposal": "pause",
                                            "movements": [movement_body(reference=f"C{i}") for i in range(movements)]})
    # every other movement gets a longer history: requested -> cancelled
    for movement_id in plan["movement_ids"][::2]:
        api.created("coord", f"/movements/{movement_id}/status", {"status": "cancelled", "reason": f"test {movement_id}"})
    return plan


def test_plan_movements_take_the_same_statements_for_3_or_40_movements(world: World, app: Any, monkeypatch: Any) -> None:
    # A verified token is cached for half a second; on a slow machine it expired between two listings and
    # one of them also counted the token's look-up (a CI run: 3 statements for 3 movements, 6 for 40).
    # Counted here is the listing, so the token stays cached for the test.
    from safepassage.service import auth

    monkeypatch.setattr(auth, "CACHE_SECONDS", 3600.0)
    api = world.api
    scenario = api.created("coord", "/scenarios", {"yaml": TINY.read_text()})
    small, large = _plan_with(world, scenario["id"], 3), _plan_with(world, scenario["id"], 40)
    counts = {}
    for plan in (small, large):
        for path in (f"/plans/{plan['id']}/movements", f"/movements?plan_id={plan['id']}"):
            with counted(app) as statements:
                listed = api.get("coord", path)
            assert listed.status_code == 200, listed.text
            counts[(plan["id"], path.split("?")[0])] = len(statements)
            body = listed.json()
            assert [m["id"] for m in body] == plan["movement_ids"]
            # each listed movement equals the movement read alone (the ORM path), history included
            for m in body[:4] + body[-2:]:
                assert m == api.get("coord", f"/movements/{m['id']}").json()
            assert [[h["to_status"] for h in m["history"]] for m in body[:2]] == [["requested", "cancelled"], ["requested"]]
            assert body[0]["history"][1]["reason"] == f"test {body[0]['id']}" and body[0]["status"] == "cancelled"
    for small_path, large_path in ((f"/plans/{small['id']}/movements", f"/plans/{large['id']}/movements"), ("/movements", "/movements")):
        small_count, large_count = counts[(small["id"], small_path)], counts[(large["id"], large_path)]
        assert small_count == large_count, f"{small_path}: {small_count} statements for 3 movements, {large_count} for 40"


def test_movements_listing_pages_keep_their_histories(world: World) -> None:
    api = world.api
    scenario = api.created("coord", "/scenarios", {"yaml": TINY.read_text()})
    plan = _plan_with(world, scenario["id"], 7)
    first = api.get("coord", "/movements", params={"plan_id": plan["id"], "limit": 3})
    cursor = first.headers["Next-Cursor"]
    assert [m["id"] for m in first.json()] == plan["movement_ids"][:3] and cursor == str(plan["movement_ids"][2])
    page = api.get("coord", "/movements", params={"plan_id": plan["id"], "limit": 3, "after": cursor}).json()
    assert [m["id"] for m in page] == plan["movement_ids"][3:6]
    assert [len(m["history"]) for m in page] == [1, 2, 1]  # of movements 3, 4, 5 only 4 was cancelled (every other one from 0)
    cancelled = api.get("coord", "/movements", params={"plan_id": plan["id"], "status": "cancelled"}).json()
    assert [m["id"] for m in cancelled] == plan["movement_ids"][::2]
