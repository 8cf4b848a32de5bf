"""Humanitarian notifications: bad input is a 422 naming the field with nothing written; sites and
their changes; per-leg green lights; movement outcomes; the notice period as configured."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from typing import Any

import pytest

from safepassage.interop.hns import notice_check
from safepassage.service import Settings
from tests.service.conftest import World, movement_body
from tests.service.hns_helpers import CONTACT, DEPOT, DP_NORTH, DP_SOUTH, GATE, movement_content, tiny_at, whole_hour

NOW = dt.datetime.now(dt.UTC)
DEPARTS, ARRIVES = NOW + dt.timedelta(days=3), NOW + dt.timedelta(days=3, hours=4)


def _setup(world: World) -> tuple[int, int]:
    api = world.api
    scenario_id = api.created("coord", "/scenarios", {"yaml": tiny_at(whole_hour(NOW))})["id"]
    movement_id = api.created("notifier", "/movements", movement_body(departs=DEPARTS.isoformat(), arrives=ARRIVES.isoformat()))["id"]
    return scenario_id, movement_id


def _body(world: World, scenario_id: int, movement_id: int, **content: Any) -> dict[str, Any]:
    return {"movement_id": movement_id, "scenario_id": scenario_id, "party_ids": [world.party_a, world.party_b], "content": movement_content(DEPARTS, ARRIVES, **content)}


def _written(world: World) -> tuple[int, int]:
    api = world.api
    return len(api.get("coord", "/hns-notifications").json()), len(api.get("coord", "/audit/export").json()["entries"])


def test_bad_notifications_name_the_field_and_write_nothing(world: World) -> None:
    api = world.api
    scenario_id, movement_id = _setup(world)
    before = _written(world)
    window = {"earliest_departure": ARRIVES.isoformat(), "latest_arrival": DEPARTS.isoformat()}
    past = NOW - dt.timedelta(days=2)
    cases = [
        (_body(world, scenario_id, movement_id, route={"type": "LineString", "coordinates": [DEPOT, DP_NORTH]}), ["body", "content", "route", "coordinates", 1], "leaves the scenario's roads"),
        (_body(world, scenario_id, movement_id, route={"type": "LineString", "coordinates": [DEPOT, GATE, [34.13, 31.2]]}), ["body", "content", "route", "coordinates", 2], "not a place"),
        (_body(world, scenario_id, movement_id, window=window), ["body", "content", "window", "latest_arrival"], "ends"),
        ({**_body(world, scenario_id, movement_id), "party_ids": [world.party_a, 9999]}, ["body", "party_ids", 1], "no party 9999"),
        ({"movement_id": movement_id, "scenario_id": scenario_id, "party_ids": [world.party_a], "content": movement_content(past, past + dt.timedelta(hours=2))},
         ["body", "content", "expires_at"], "expired"),
        ({**_body(world, scenario_id, movement_id), "scenario_id": None}, ["body", "scenario_id"], "give scenario_id"),
        (_body(world, scenario_id, movement_id, route={"type": "LineString", "coordinates": [[34.0, 95.0], GATE]}), ["body", "content", "route", "coordinates", 0, 1], ""),
        (_body(world, scenario_id, movement_id, vehicles=[{"vehicle_type": "truck", "plate": "X", "markings": "m", "night_markings": "n", "thermal_markings": "t"}] * 6),
         ["body", "content"], "convoy_leader"),
        (_body(world, scenario_id, movement_id, contact={**CONTACT, "available_24_7": False}), ["body", "content", "contact", "available_24_7"], ""),
        (_body(world, scenario_id, movement_id, route={"type": "LineString", "coordinates": [DEPOT] * 501}), ["body", "content", "route", "coordinates"], ""),
    ]
    for body, loc, words in cases:
        response = api.client.post("/hns-notifications", content=json.dumps(body, allow_nan=True),
                                   headers={**api.headers("notifier", uuid.uuid4().hex), "Content-Type": "application/json"})
        assert response.status_code == 422, (loc, response.text)
        detail = response.json()["detail"]
        assert any(item["loc"][: len(loc)] == loc and words in item["msg"] for item in detail), (loc, words, detail)
    assert _written(world) == before


def test_expired_and_superseded_notifications_are_not_answered(world: World) -> None:
    api = world.api
    scenario_id, movement_id = _setup(world)
    soon = dt.datetime.now(dt.UTC)
    body = {"movement_id": movement_id, "scenario_id": scenario_id, "party_ids": [world.party_a],
            "content": movement_content(soon - dt.timedelta(hours=3), soon - dt.timedelta(hours=1), expires_at=(soon + dt.timedelta(seconds=2)).isoformat())}
    sent = api.created("notifier", f"/hns-notifications/{api.created('notifier', '/hns-notifications', body)['id']}/send")
    draft = api.created("notifier", "/hns-notifications", body)
    time.sleep(2.2)
    before = _written(world)
    for response in (
        api.post("liaison-a", f"/hns-notifications/{sent['id']}/confirmations", {"kind": "receipt"}),
        api.post("liaison-a", f"/hns-notifications/{sent['id']}/responses", {"response": "facilitated"}),
        api.post("notifier", f"/hns-notifications/{draft['id']}/send"),
    ):
        assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["content", "expires_at"], response.text
    assert _written(world) == before
    assert api.get("coord", f"/hns-notifications/{sent['id']}").json()["expired"] is True


def test_conditions_with_a_route_off_the_roads_write_nothing(world: World) -> None:
    api = world.api
    scenario_id, movement_id = _setup(world)
    sent = api.created("notifier", f"/hns-notifications/{api.created('notifier', '/hns-notifications', _body(world, scenario_id, movement_id))['id']}/send")
    before = _written(world)
    bad = api.post("liaison-b", f"/hns-notifications/{sent['id']}/responses",
                   {"response": "facilitated_with_conditions", "conditions": {"route": {"type": "LineString", "coordinates": [DEPOT, DP_SOUTH]}}})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "conditions", "route", "coordinates", 1]
    assert _written(world) == before and api.get("coord", f"/hns-notifications/{sent['id']}/responses").json() == []
    no_conditions = api.post("liaison-b", f"/hns-notifications/{sent['id']}/responses", {"response": "facilitated_with_conditions"})
    assert no_conditions.status_code == 422 and no_conditions.json()["detail"][0]["loc"] == ["body", "conditions"]
    # A condition on the route that follows the roads makes version 2 with the route in its diff.
    detour = [DEPOT, GATE, DP_SOUTH, DP_NORTH]
    answer = api.created("liaison-b", f"/hns-notifications/{sent['id']}/responses",
                         {"response": "facilitated_with_conditions", "reason": "via the north", "conditions": {"route": {"type": "LineString", "coordinates": detour}}})
    new = api.get("coord", f"/hns-notifications/{answer['new_version_id']}").json()
    assert new["content"]["waypoints"] == ["depot", "gate", "dp-south", "dp-north"] and new["diff_base_version"] == 1
    assert {d["path"] for d in new["diff"]} == {"/route/coordinates/3", "/waypoints/3"}
    assert "via the north" in new["change_reason"]


def test_leg_green_lights_are_per_party(world: World) -> None:
    api = world.api
    scenario_id, movement_id = _setup(world)
    sent = api.created("notifier", f"/hns-notifications/{api.created('notifier', '/hns-notifications', _body(world, scenario_id, movement_id))['id']}/send")
    api.created("liaison-a", f"/hns-notifications/{sent['id']}/legs/0/clearance", {"light": "green"})
    api.created("liaison-a", f"/hns-notifications/{sent['id']}/legs/1/clearance", {"light": "red", "note": "checkpoint closed"})
    api.created("liaison-b", f"/hns-notifications/{sent['id']}/legs/1/clearance", {"light": "green"})
    legs = api.get("coord", f"/hns-notifications/{sent['id']}").json()["legs"]
    a, b = str(world.party_a), str(world.party_b)
    assert [(leg["from_place"], leg["to_place"], leg["lights"]) for leg in legs] == [("depot", "gate", {a: "green"}), ("gate", "dp-south", {a: "red", b: "green"})]
    assert [leg["lights"] for leg in api.get("liaison-b", f"/hns-notifications/{sent['id']}").json()["legs"]] == [{}, {b: "green"}]
    beyond = api.post("liaison-a", f"/hns-notifications/{sent['id']}/legs/2/clearance", {"light": "green"})
    assert beyond.status_code == 422 and beyond.json()["detail"][0]["loc"] == ["path", "leg_index"]


def test_sites_and_their_changes_are_notified_and_kept_per_party(world: World) -> None:
    api = world.api
    site = {"organisation": "UN agency", "site_kind": "shelter", "name": "School shelter", "lon": 34.25, "lat": 31.0, "occupants": 1200,
            "valid_from": NOW.isoformat(), "valid_until": (NOW + dt.timedelta(days=30)).isoformat(), "contact": CONTACT}
    first = api.created("notifier", "/sites", {"party_ids": [world.party_a], "content": site})
    assert first["kind"] == "site" and first["state"] == "sent" and first["version"] == 1 and first["notice"] is None
    moved = api.write("notifier", "PATCH", f"/sites/{first['site_id']}", {"content": {**site, "lat": 31.01}, "change_reason": "moved to the annex"})
    assert moved.status_code == 200
    second = moved.json()
    assert second["version"] == 2 and second["diff"] == [{"op": "replace", "path": "/lat", "old": 31.0, "new": 31.01}]
    assert api.get("coord", f"/hns-notifications/{first['id']}").json()["state"] == "superseded"
    listed = api.get("liaison-a", f"/parties/{world.party_a}/deconfliction-list").json()
    assert [(n["site_id"], n["version"], n["content"]["lat"]) for n in listed] == [(first["site_id"], 2, 31.01)]
    assert [s["id"] for s in api.get("liaison-a", "/sites").json()] == [first["site_id"]]
    assert api.get("liaison-b", "/sites").json() == []
    assert api.get("liaison-b", f"/sites/{first['site_id']}").status_code == 404
    assert api.get("liaison-b", f"/parties/{world.party_a}/deconfliction-list").status_code == 404
    assert api.client.get("/sites").status_code == 401  # never without signing in
    bad = api.post("notifier", "/sites", {"party_ids": [world.party_a], "content": {**site, "valid_until": NOW.isoformat(), "valid_from": (NOW + dt.timedelta(days=1)).isoformat()}})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "content", "valid_until"]


def test_movement_outcomes_use_ocha_words_and_sum_checkpoint_time(world: World) -> None:
    api = world.api
    movement = api.created("notifier", "/movements", movement_body())
    t = dt.datetime(2030, 1, 1, 6, tzinfo=dt.UTC)
    outcome = api.created("monitor", "/movement-outcomes", {
        "movement_id": movement["id"], "outcome": "initially_facilitated_then_impeded", "note": "turned back at the second checkpoint",
        "checkpoint_holds": [{"place_id": "gate", "held_from": t.isoformat(), "held_until": (t + dt.timedelta(minutes=95)).isoformat()},
                             {"place_id": "dp-south", "held_from": (t + dt.timedelta(hours=3)).isoformat(), "held_until": (t + dt.timedelta(hours=3, minutes=40)).isoformat()}],
    })
    assert outcome["held_minutes"] == 135 and [h["held_minutes"] for h in outcome["checkpoint_holds"]] == [95, 40]
    assert [o["outcome"] for o in api.get("coord", "/movement-outcomes", params={"movement_id": movement["id"]}).json()] == ["initially_facilitated_then_impeded"]
    wrong = api.post("monitor", "/movement-outcomes", {"movement_id": movement["id"], "outcome": "impeded"})
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["body", "outcome"]
    assert api.post("liaison-a", "/movement-outcomes", {"movement_id": movement["id"], "outcome": "denied"}).status_code == 403


@pytest.mark.parametrize(("hours_ahead", "emergency", "late"), [(60, False, False), (40, False, True), (40, True, False), (20, True, True), (-1, True, True)])
def test_notice_period_defaults(hours_ahead: float, emergency: bool, late: bool) -> None:
    sent = dt.datetime(2030, 3, 30, 12, tzinfo=dt.UTC)
    check = notice_check(sent + dt.timedelta(hours=hours_ahead), sent, emergency)
    assert check["late"] is late and check["given_hours"] == hours_ahead and check["required_hours"] == (24 if emergency else 48)


def test_notice_period_is_configured_per_deployment() -> None:
    settings = Settings.from_env({"SAFEPASSAGE_NOTICE_HOURS": "72", "SAFEPASSAGE_EMERGENCY_NOTICE_HOURS": "12"})
    assert (settings.notice_hours, settings.emergency_notice_hours) == (72.0, 12.0)
    with pytest.raises(ValueError, match="SAFEPASSAGE_NOTICE_HOURS must be a number of hours"):
        Settings.from_env({"SAFEPASSAGE_NOTICE_HOURS": "two days"})


def test_missing_receipt_is_escalated_and_never_blocks(world: World) -> None:
    api = world.api
    scenario_id, movement_id = _setup(world)
    draft = api.created("notifier", "/hns-notifications", _body(world, scenario_id, movement_id))
    due = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    api.created("notifier", f"/hns-notifications/{draft['id']}/send", {"receipt_due": due.isoformat()})
    api.created("liaison-b", f"/hns-notifications/{draft['id']}/confirmations", {"kind": "receipt"})
    early = api.post("liaison-a", f"/hns-notifications/{draft['id']}/confirmations", {"kind": "dissemination"})
    assert early.status_code == 409 and "confirm receipt first" in early.json()["detail"]
    time.sleep(1.3)
    swept = api.created("notifier", "/hns-escalations/sweep")["escalated"]
    assert [(e["party_id"], e["missing"]) for e in swept] == [(world.party_a, "receipt")]
    moved = api.get("coord", f"/movements/{movement_id}").json()
    assert moved["status"] == "unacknowledged" and "has not confirmed receiving" in moved["history"][-1]["reason"]
    assert api.created("coord", f"/movements/{movement_id}/status", {"status": "facilitated"})["status"] == "facilitated"
    # A late receipt is still taken, time-stamped after the escalation.
    late = api.created("liaison-a", f"/hns-notifications/{draft['id']}/confirmations", {"kind": "receipt"})
    assert late["addressees"][0]["receipt_at"] > late["addressees"][0]["receipt_escalated_at"]


def _pages(world: World, username: str, path: str, key: str | None = None, limit: int = 2, **params: Any) -> list[list[Any]]:
    """Every page of a list, following ``Next-Cursor`` (each page's items, or their ``key``)."""
    pages: list[list[Any]] = []
    after: str | None = None
    while True:
        response = world.api.get(username, path, params={**params, "limit": limit, **({"after": after} if after else {})})
        assert response.status_code == 200, response.text
        pages.append([item[key] if key else item for item in response.json()])
        after = response.headers.get("Next-Cursor")
        if after is None:
            assert "Link" not in response.headers
            return pages
        assert response.headers["Link"].endswith('; rel="next"') and f"after={after}" in response.headers["Link"]


def test_hns_lists_page_with_a_cursor(world: World) -> None:
    api = world.api
    scenario_id, movement_id = _setup(world)
    drafts = [api.created("notifier", "/hns-notifications", _body(world, scenario_id, movement_id))["id"] for _ in range(3)]
    assert _pages(world, "coord", "/hns-notifications", "id") == [drafts[::-1][:2], drafts[::-1][2:]]  # newest first
    assert _pages(world, "coord", "/hns-notifications", "id", state="draft", limit=1) == [[d] for d in drafts[::-1]]

    site = {"organisation": "UN agency", "site_kind": "shelter", "name": "School shelter", "lon": 34.25, "lat": 31.0, "occupants": 10,
            "valid_from": NOW.isoformat(), "valid_until": (NOW + dt.timedelta(days=30)).isoformat(), "contact": CONTACT}
    sites = [api.created("notifier", "/sites", {"party_ids": [world.party_a if i != 1 else world.party_b], "content": site})["site_id"] for i in range(4)]
    assert _pages(world, "coord", "/sites", "id") == [sites[:2], sites[2:]]
    assert _pages(world, "liaison-a", "/sites", "id") == [[sites[0], sites[2]], [sites[3]]]  # party B's site is skipped, not a short page

    outcomes = [api.created("monitor", "/movement-outcomes", {"movement_id": movement_id, "outcome": "postponed"})["id"] for _ in range(3)]
    assert _pages(world, "coord", "/movement-outcomes", "id", movement_id=movement_id) == [outcomes[:2], outcomes[2:]]

    moment = whole_hour(NOW) - dt.timedelta(days=2)
    incidents = [api.created("monitor", "/incidents", {"occurred_at": t.isoformat(), "lon": 34.15, "lat": 31.1, "incident_category": "military_operations_and_hostilities"})["event_id"]
                 for t in (moment, moment - dt.timedelta(hours=1), moment)]
    assert _pages(world, "monitor", "/incidents", "event_id") == [[incidents[1], incidents[0]], [incidents[2]]]  # by time, then id
    assert api.get("monitor", "/incidents", params={"after": "not-a-cursor"}).status_code == 422

    due = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    for draft in drafts[:2]:
        api.created("notifier", f"/hns-notifications/{draft}/send", {"receipt_due": due.isoformat()})
    time.sleep(1.3)
    pages = [[(e["hns_notification_id"], e["party_id"], e["missing"]) for e in page] for page in _pages(world, "monitor", "/hns-escalations", limit=3)]
    whole = [(e["hns_notification_id"], e["party_id"], e["missing"]) for e in api.get("monitor", "/hns-escalations").json()]
    assert [e for page in pages for e in page] == whole and len(pages) > 1 and all(0 < len(page) <= 3 for page in pages)  # the sites are overdue too
    assert {(d, p, "receipt") for d in drafts[:2] for p in (world.party_a, world.party_b)} <= set(whole)
    assert api.get("monitor", "/hns-escalations", params={"after": "1-2"}).status_code == 422
