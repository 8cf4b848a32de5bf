"""The coordination round trip over the API, on SQLite and PostgreSQL: plans, notifications,
acknowledgments, escalation, events, re-planning, idempotency and input checking."""

from __future__ import annotations

import datetime as dt

from tests.service.conftest import TINY, World, movement_body, notification_body


def test_site_notification_round_trip(world: World) -> None:
    api = world.api
    sent = api.created("notifier", "/notifications", notification_body([world.party_a, world.party_b], message="Main warehouse"))
    assert sent["title"] == "warehouse: Depot"
    assert [a["party_id"] for a in sent["addressees"]] == [world.party_a, world.party_b]
    assert sent["acknowledged"] is False and sent["ack_due"] == sent["valid_from"]

    queried = api.created("liaison-a", f"/notifications/{sent['id']}/acknowledgments", {"decision": "queried", "message": "Which gate?"})
    assert queried["decision"] == "queried" and queried["party_id"] == world.party_a
    api.created("liaison-a", f"/notifications/{sent['id']}/acknowledgments", {"decision": "acknowledged"})
    rejected = api.created("liaison-b", f"/notifications/{sent['id']}/acknowledgments", {"decision": "rejected", "message": "Too close to the front line"})
    assert rejected["decision"] == "rejected"

    seen = api.get("coord", f"/notifications/{sent['id']}").json()
    assert {a["party_id"]: a["latest_decision"] for a in seen["addressees"]} == {world.party_a: "acknowledged", world.party_b: "rejected"}
    assert seen["acknowledged"] is False
    # A liaison sees only their own party among the addressees, and only their party's answers.
    seen_by_a = api.get("liaison-a", f"/notifications/{sent['id']}").json()
    assert [a["party_id"] for a in seen_by_a["addressees"]] == [world.party_a]
    answers_a = api.get("liaison-a", f"/notifications/{sent['id']}/acknowledgments").json()
    assert [a["decision"] for a in answers_a] == ["queried", "acknowledged"]
    assert len(api.get("coord", f"/notifications/{sent['id']}/acknowledgments").json()) == 3


def test_movement_notification_moves_the_status(world: World) -> None:
    api = world.api
    movement = api.created("notifier", "/movements", movement_body())
    assert movement["status"] == "requested"
    sent = api.created("notifier", "/notifications", {"kind": "movement", "movement_id": movement["id"], "party_ids": [world.party_a, world.party_b],
                                                       "valid_from": movement["departs"], "valid_until": movement["arrives"], "notice_hours": 24})
    assert "convoy C-1: depot to dp-south" in sent["title"]
    assert api.get("coord", f"/movements/{movement['id']}").json()["status"] == "notified"
    api.created("liaison-a", f"/notifications/{sent['id']}/acknowledgments", {"decision": "acknowledged"})
    assert api.get("coord", f"/movements/{movement['id']}").json()["status"] == "notified"  # party B has not answered
    api.created("liaison-b", f"/notifications/{sent['id']}/acknowledgments", {"decision": "acknowledged"})
    moved = api.get("coord", f"/movements/{movement['id']}").json()
    assert moved["status"] == "acknowledged"
    assert [h["to_status"] for h in moved["history"]] == ["requested", "notified", "acknowledged"]


def test_overdue_notification_is_escalated_and_never_blocks(world: World) -> None:
    api = world.api
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)).isoformat()
    movement = api.created("notifier", "/movements", movement_body())
    late = api.created("notifier", "/notifications", {"kind": "movement", "movement_id": movement["id"], "party_ids": [world.party_a],
                                                       "valid_from": "2030-01-01T06:00:00Z", "valid_until": "2030-01-01T08:00:00Z", "ack_due": past})
    on_time = api.created("notifier", "/notifications", notification_body([world.party_a]))
    assert late["overdue"] is True and on_time["overdue"] is False
    assert [n["id"] for n in api.get("monitor", "/escalations").json()] == [late["id"]]
    assert [n["id"] for n in api.get("coord", "/notifications", params={"overdue": True}).json()] == [late["id"]]

    swept = api.created("notifier", "/escalations/sweep")
    assert swept == {"escalated_notification_ids": [late["id"]], "unacknowledged_movement_ids": [movement["id"]]}
    assert api.created("notifier", "/escalations/sweep")["escalated_notification_ids"] == []  # flagged once
    assert api.get("coord", f"/notifications/{late['id']}").json()["escalated_at"] is not None
    # Not blocked: an unacknowledged movement can still be facilitated and go.
    assert api.created("coord", f"/movements/{movement['id']}/status", {"status": "facilitated"})["status"] == "facilitated"
    assert api.created("monitor", "/events", {"kind": "departed", "movement_id": movement["id"], "occurred_at": "2030-01-01T06:05:00Z"})["kind"] == "departed"
    assert api.get("coord", f"/movements/{movement['id']}").json()["status"] == "in_transit"


def test_events_record_what_happened(world: World) -> None:
    api = world.api
    movement = api.created("notifier", "/movements", movement_body(cargo={"food": 3.0}))
    for status in ("notified", "acknowledged", "facilitated"):
        api.created("coord", f"/movements/{movement['id']}/status", {"status": status})
    api.created("monitor", "/events", {"kind": "departed", "movement_id": movement["id"], "occurred_at": "2030-01-01T06:00:00Z"})
    arrived = api.created("monitor", "/events", {"kind": "arrived", "movement_id": movement["id"], "occurred_at": "2030-01-01T08:10:00Z",
                                                 "quantities_good": {"food": 2.5}, "quantities_damaged": {"food": 0.5}})
    assert arrived["quantities_good"] == {"food": 2.5} and arrived["quantities_damaged"] == {"food": 0.5}
    assert api.get("coord", f"/movements/{movement['id']}").json()["status"] == "arrived"
    incident = api.created("monitor", "/events", {"kind": "incident", "occurred_at": "2030-01-01T09:00:00Z", "place_id": "gate",
                                                  "incident_category": "violence_against_personnel_assets_facilities", "description": "Convoy fired upon"})
    assert incident["incident_category"] == "violence_against_personnel_assets_facilities"
    api.created("monitor", "/events", {"kind": "pause_violation", "occurred_at": "2030-01-01T09:30:00Z", "description": "Shelling near the corridor"})
    api.created("monitor", "/events", {"kind": "crossing_closed", "occurred_at": "2030-01-01T10:00:00Z", "place_id": "gate"})
    api.created("monitor", "/events", {"kind": "crossing_opened", "occurred_at": "2030-01-01T12:00:00Z", "place_id": "gate"})
    release = api.created("monitor", "/events", {"kind": "release", "occurred_at": "2030-01-01T15:00:00Z", "people": 13, "release_of": "hostages"})
    assert release["people"] == 13
    kinds = [e["kind"] for e in api.get("coord", "/events").json()]
    assert kinds == ["departed", "arrived", "incident", "pause_violation", "crossing_closed", "crossing_opened", "release"]
    assert [e["kind"] for e in api.get("coord", "/events", params={"movement_id": movement["id"]}).json()] == ["departed", "arrived"]
    # A second arrival of the same movement breaks the lifecycle: refused, and nothing recorded.
    again = api.post("monitor", "/events", {"kind": "arrived", "movement_id": movement["id"], "occurred_at": "2030-01-01T09:00:00Z"})
    assert again.status_code == 409 and "arrived is final" in again.json()["detail"]
    assert len(api.get("coord", "/events").json()) == 7


def test_plan_notify_and_replan_through_the_engine(world: World) -> None:
    api = world.api
    scenario = api.created("coord", "/scenarios", {"yaml": TINY.read_text()})
    assert scenario["proposals"] == ["none", "pause"]
    plan = api.planned("coord", "/plans", {"scenario_id": scenario["id"], "proposal": "pause"})
    assert plan["origin"] == "planned" and plan["summary"]["convoys"] >= 1 and plan["movement_ids"]
    movements = api.get("coord", f"/plans/{plan['id']}/movements").json()
    kinds = {m["kind"] for m in movements}
    assert kinds == {"convoy", "evacuation"}
    assert len(movements) == plan["summary"]["convoys"] + plan["summary"]["evacuation_movements"]

    sent = api.created("notifier", f"/plans/{plan['id']}/notifications", {"party_ids": [world.party_a], "notice_hours": 12})
    assert len(sent) == len(movements)
    assert {m["status"] for m in api.get("coord", f"/plans/{plan['id']}/movements").json()} == {"notified"}

    convoy = next(m for m in movements if m["kind"] == "convoy")
    for status in ("acknowledged", "facilitated"):
        api.created("coord", f"/movements/{convoy['id']}/status", {"status": status})
    api.created("monitor", "/events", {"kind": "departed", "movement_id": convoy["id"], "occurred_at": convoy["departs"]})
    api.created("monitor", "/events", {"kind": "crossing_closed", "occurred_at": "2024-01-01T01:00:00Z", "road_id": "r3"})

    new = api.planned("coord", f"/plans/{plan['id']}/replan", {"at": "2024-01-01T03:00:00"})
    assert new["origin"] == "replanned" and new["parent_plan_id"] == plan["id"]
    assert new["state"]["closed_roads"] == ["r3"]
    assert new["state"]["people_waiting"] == {"north": 300.0}
    in_transit = [s for s in new["state"]["stock"] if s["place"] == convoy["destination"]]
    assert sum(s["quantity"] for s in in_transit) == sum(convoy["cargo"].values())
    # Road r3 (the only way out of the north) is closed: the new plan moves nobody.
    assert new["summary"]["people_reached_safety"] == 0
    outside = api.finished_job("coord", api.post("coord", f"/plans/{plan['id']}/replan", {"at": "2025-01-01T00:00:00"}))
    assert outside.status_code == 422 and outside.json()["detail"][0]["loc"] == ["body", "at"]


def test_bad_scenario_and_unknown_proposal_are_named(world: World) -> None:
    api = world.api
    bad = api.post("coord", "/scenarios", {"yaml": TINY.read_text().replace("length_km: 10, truck_speed_kmh: 10}", "length_km: -10, truck_speed_kmh: 10}", 1)})
    assert bad.status_code == 422 and any("length_km" in item["loc"] for item in bad.json()["detail"])
    scenario = api.created("coord", "/scenarios", {"yaml": TINY.read_text()})
    unknown = api.post("coord", "/plans", {"scenario_id": scenario["id"], "proposal": "forever"})
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["body", "proposal"]
    uploaded = api.created("coord", "/plans", {"scenario_id": scenario["id"], "proposal": "pause", "movements": [movement_body(), movement_body(kind="evacuation", trucks=0, cargo={}, people=40, origin_zone="north")]})
    assert uploaded["origin"] == "uploaded" and len(uploaded["movement_ids"]) == 2


def test_idempotency_key_replays_and_never_duplicates(world: World) -> None:
    api = world.api
    body = notification_body([world.party_a])
    first = api.post("notifier", "/notifications", body, key="retry-1")
    second = api.post("notifier", "/notifications", body, key="retry-1")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json() and second.headers["Idempotency-Replayed"] == "true"
    assert len(api.get("coord", "/notifications").json()) == 1
    reused = api.post("notifier", "/notifications", {**body, "message": "different"}, key="retry-1")
    assert reused.status_code == 422 and reused.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    missing = api.client.post("/notifications", json=body, headers=api.headers("notifier"))
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    # The key belongs to its user: another user's identical key is a different request.
    assert api.post("coord", "/notifications", body, key="retry-1").status_code == 201
    assert len(api.get("coord", "/notifications").json()) == 2


def test_malformed_bodies_name_the_field(world: World) -> None:
    api = world.api
    cases = [
        (notification_body([world.party_a], valid_until="2029-01-01T00:00:00Z"), ["body", "valid_until"]),
        (notification_body([]), ["body", "party_ids"]),
        (notification_body([world.party_a], valid_from="2030-01-01T00:00:00"), ["body", "valid_from"]),
        (notification_body([world.party_a], kind="movement", site=None), ["body", "movement_id"]),
        (notification_body([world.party_a], site=None), ["body", "site"]),
        (notification_body([world.party_a], colour="red"), ["body", "colour"]),
        (notification_body([world.party_a, 999]), ["body", "party_ids", 1]),
        (notification_body([world.party_a], notice_hours="soon"), ["body", "notice_hours"]),
    ]
    for body, loc in cases:
        response = api.post("notifier", "/notifications", body)
        assert response.status_code == 422, (body, response.text)
        assert any(item["loc"][: len(loc)] == loc for item in response.json()["detail"]), (loc, response.json())
    sent = api.created("notifier", "/notifications", notification_body([world.party_a]))
    reason = api.post("liaison-a", f"/notifications/{sent['id']}/acknowledgments", {"decision": "rejected"})
    assert reason.status_code == 422 and reason.json()["detail"][0]["loc"] == ["body", "message"]
    category = api.post("monitor", "/events", {"kind": "incident", "occurred_at": "2030-01-01T00:00:00Z"})
    assert category.status_code == 422 and category.json()["detail"][0]["loc"] == ["body", "incident_category"]
    liaison = api.post("admin", "/users", {"username": "x1", "password": "password-1", "role": "party_liaison"})
    assert liaison.status_code == 422 and liaison.json()["detail"][0]["loc"] == ["body", "party_id"]
    not_json = api.client.post("/notifications", content=b"{not json", headers={**api.headers("notifier", "k-bad"), "Content-Type": "application/json"})
    assert not_json.status_code == 422


def test_sign_in_and_tokens(world: World) -> None:
    api = world.api
    assert api.client.post("/auth/token", data={"username": "coord", "password": "wrong-password"}).status_code == 401
    assert api.client.get("/notifications").status_code == 401
    assert api.client.get("/notifications", headers={"Authorization": "Bearer abc.def"}).status_code == 401
    assert api.get("coord", "/auth/me").json()["role"] == "coordinator"
    # Deactivated users are locked out at once (the token cache is cleared on user changes).
    assert api.write("admin", "PATCH", f"/users/{world.users['monitor']}", {"active": False}).status_code == 200
    assert api.get("monitor", "/events").status_code == 401
    assert api.client.post("/auth/token", data={"username": "monitor", "password": "password-123"}).status_code == 401
