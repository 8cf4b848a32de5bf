"""The humanitarian-notification round trip over HTTP against a running service, on SQLite and
PostgreSQL: drafts from a plan, sending, two confirmations and escalation, a party's conditions making
a new version with its diff and a re-notification, a denial with its reason, a late notice flagged but
not blocking, and an incident linked to the notified convoy near it with its notification history."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from safepassage.scenario import parse_scenario
from safepassage.service.audit import payload_hash
from tests.service.conftest import ADMIN_PASSWORD
from tests.service.hns_helpers import (
    CONTACT,
    DP_SOUTH,
    GATE,
    http_api,
    make_world,
    movement_content,
    tiny_at,
    whole_hour,
)
from tests.service.server import Server


def test_hns_round_trip_over_http(database_url: str, tmp_path: Path) -> None:
    with Server(database_url, tmp_path, ADMIN_PASSWORD) as server:
        api = http_api(server.url)
        world = make_world(api)
        a, b = world.party_a, world.party_b
        now = dt.datetime.now(dt.UTC)

        # 1. Plan a proposal three days ahead and draft one notification per convoy.
        yaml_text = tiny_at(whole_hour(now) + dt.timedelta(days=3))
        scenario = parse_scenario(yaml_text)
        stored = api.created("coord", "/scenarios", {"yaml": yaml_text})
        plan = api.planned("coord", "/plans", {"scenario_id": stored["id"], "proposal": "pause"})
        convoys = [m for m in api.get("coord", f"/plans/{plan['id']}/movements").json() if m["kind"] == "convoy"]
        drafts = api.created("notifier", f"/plans/{plan['id']}/hns-drafts", {"party_ids": [a, b], "organisation": "UN agency", "contact": CONTACT})
        assert len(drafts) == len(convoys) == plan["summary"]["convoys"] > 0
        for draft, movement in zip(drafts, convoys, strict=True):
            content = draft["content"]
            assert draft["state"] == "draft" and draft["movement_id"] == movement["id"] and draft["version"] == 1
            assert content["waypoints"] == movement["route"]
            assert content["route"]["coordinates"] == [list(scenario.place(p).geometry.coordinates) for p in movement["route"]]
            assert dt.datetime.fromisoformat(content["window"]["earliest_departure"]) == dt.datetime.fromisoformat(movement["departs"])
            assert dt.datetime.fromisoformat(content["window"]["latest_arrival"]) == dt.datetime.fromisoformat(movement["arrives"])
            assert len(content["vehicles"]) == movement["trucks"] + (1 if movement["trucks"] > 5 else 0)
            assert {c["commodity"]: c["quantity"] for c in content["cargo"]} == movement["cargo"]
            assert content["contact"]["available_24_7"] is True and draft["missing_fields"][0] == "vehicles[0].plate"
        assert api.get("liaison-a", "/hns-notifications").json() == []  # drafts are not shown to the parties
        assert api.get("liaison-a", f"/hns-notifications/{drafts[0]['id']}").status_code == 404

        # 2. Fill in the plates of the first draft, then send every draft.
        first = drafts[0]
        plated = {**first["content"], "vehicles": [{**v, "plate": f"UN-{i:03d}"} for i, v in enumerate(first["content"]["vehicles"])]}
        assert api.write("notifier", "PATCH", f"/hns-notifications/{first['id']}", {"content": plated}).json()["missing_fields"] == []
        soon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)
        sent = [api.created("notifier", f"/hns-notifications/{d['id']}/send", {"dissemination_due": soon.isoformat()}) for d in drafts]
        assert all(s["state"] == "sent" and s["notice"]["late"] is False and s["notice"]["required_hours"] == 48 for s in sent)
        assert {m["status"] for m in api.get("coord", f"/plans/{plan['id']}/movements").json() if m["kind"] == "convoy"} == {"notified"}
        assert [h["reason"] for h in api.get("coord", f"/movements/{convoys[0]['id']}").json()["history"]][-1] == f"humanitarian notification {drafts[0]['id']} sent"
        assert {n["id"] for n in api.get("liaison-a", "/hns-notifications").json()} == {s["id"] for s in sent}

        # 3. Party A confirms receipt but not dissemination: escalated. Party B confirms both.
        v1 = sent[0]["id"]
        after_a = api.created("liaison-a", f"/hns-notifications/{v1}/confirmations", {"kind": "receipt"})
        assert [x["party_id"] for x in after_a["addressees"]] == [a] and after_a["addressees"][0]["receipt_by"] == world.users["liaison-a"]
        api.created("liaison-b", f"/hns-notifications/{v1}/confirmations", {"kind": "receipt"})
        api.created("liaison-b", f"/hns-notifications/{v1}/confirmations", {"kind": "dissemination", "note": "passed to the checkpoint commanders"})
        assert api.get("coord", f"/movements/{convoys[0]['id']}").json()["status"] == "acknowledged"  # both confirmed receipt
        while dt.datetime.now(dt.UTC) <= soon + dt.timedelta(milliseconds=200):
            time.sleep(0.2)
        escalations = [e for e in api.get("monitor", "/hns-escalations").json() if e["hns_notification_id"] == v1]
        assert [(e["party_id"], e["missing"]) for e in escalations] == [(a, "dissemination")]
        swept = api.created("notifier", "/hns-escalations/sweep")["escalated"]
        assert (v1, a, "dissemination") in {(e["hns_notification_id"], e["party_id"], e["missing"]) for e in swept}
        assert not any(e["hns_notification_id"] == v1 and e["party_id"] == b for e in swept)
        assert api.created("notifier", "/hns-escalations/sweep")["escalated"] == []  # escalated once
        seen = {x["party_id"]: x for x in api.get("coord", f"/hns-notifications/{v1}").json()["addressees"]}
        assert seen[a]["dissemination_overdue"] is True and seen[a]["dissemination_escalated_at"] is not None
        assert seen[b]["dissemination_overdue"] is False and seen[b]["dissemination_escalated_at"] is None

        # 4. Party B facilitates with a changed window: a new version, its diff, a re-notification.
        old_window = sent[0]["content"]["window"]
        later = {k: (dt.datetime.fromisoformat(v) + dt.timedelta(hours=1)).isoformat() for k, v in old_window.items()}
        answer = api.created("liaison-b", f"/hns-notifications/{v1}/responses", {"response": "facilitated_with_conditions", "conditions": {"window": later, "other": "one hour later"}})
        v2 = answer["new_version_id"]
        assert answer["response"] == "facilitated_with_conditions" and v2 is not None
        draft2 = api.get("coord", f"/hns-notifications/{v2}").json()
        assert draft2["version"] == 2 and draft2["series_id"] == v1 and draft2["state"] == "draft" and draft2["diff_base_version"] == 1
        changed = {d["path"]: (dt.datetime.fromisoformat(d["old"]), dt.datetime.fromisoformat(d["new"])) for d in draft2["diff"]}
        for key in ("earliest_departure", "latest_arrival"):
            assert changed[f"/window/{key}"] == (dt.datetime.fromisoformat(old_window[key]), dt.datetime.fromisoformat(later[key]))
        assert set(changed) <= {"/window/earliest_departure", "/window/latest_arrival", "/expires_at"}
        audit = api.get("coord", "/audit/export").json()["entries"]
        version_entry = next(e for e in audit if e["action"] == "hns.version" and e["object_id"] == str(v2))
        assert version_entry["payload_hash"] == payload_hash(draft2)  # the audit log holds this diff
        renotified = api.created("notifier", f"/hns-notifications/{v2}/send")
        assert renotified["state"] == "sent" and renotified["renotification"] is True
        assert api.get("coord", f"/hns-notifications/{v1}").json()["state"] == "superseded"
        assert [v["version"] for v in api.get("liaison-a", f"/hns-notifications/{v2}/versions").json()] == [1, 2]
        stale = api.post("liaison-a", f"/hns-notifications/{v1}/responses", {"response": "facilitated"})
        assert stale.status_code == 409 and f"id {v2}" in stale.json()["detail"]

        # 5. A denial with its reason (a denial without one is refused and writes nothing).
        v_other = sent[1]["id"]
        no_reason = api.post("liaison-a", f"/hns-notifications/{v_other}/responses", {"response": "denied"})
        assert no_reason.status_code == 422 and no_reason.json()["detail"][0]["loc"] == ["body", "reason"]
        denied = api.created("liaison-a", f"/hns-notifications/{v_other}/responses", {"response": "denied", "reason": "active hostilities on the route"})
        assert denied["response"] == "denied" and denied["reason"] == "active hostilities on the route"
        assert [r["response"] for r in api.get("coord", f"/hns-notifications/{v_other}/responses").json()] == ["denied"]
        assert api.get("liaison-b", f"/hns-notifications/{v_other}/responses").json() == []  # party A's answer is not B's to see
        assert {x["party_id"]: x["response"] for x in api.get("coord", f"/hns-notifications/{v_other}").json()["addressees"]} == {a: "denied", b: None}
        # Notification is not permission: the denied movement is recorded, not blocked by the service.
        assert api.get("coord", f"/movements/{sent[1]['movement_id']}").json()["status"] == "notified"

        # 6. A convoy notified late (departed an hour ago): flagged, not blocked; then an incident near it.
        departs, arrives = now - dt.timedelta(hours=1), now + dt.timedelta(hours=2)
        movement = api.created("notifier", "/movements", {"kind": "convoy", "reference": "LATE-1", "origin": "depot", "destination": "dp-south",
                                                          "route": ["depot", "gate", "dp-south"], "departs": departs.isoformat(), "arrives": arrives.isoformat(), "trucks": 3, "cargo": {"food": 3}})
        late = api.created("notifier", "/hns-notifications", {"movement_id": movement["id"], "scenario_id": stored["id"], "party_ids": [a, b], "content": movement_content(departs, arrives)})
        late = api.created("notifier", f"/hns-notifications/{late['id']}/send")
        assert late["notice"]["late"] is True and late["notice"]["given_hours"] < 0
        api.created("liaison-a", f"/hns-notifications/{late['id']}/confirmations", {"kind": "receipt"})
        api.created("liaison-b", f"/hns-notifications/{late['id']}/confirmations", {"kind": "receipt"})
        api.created("liaison-b", f"/hns-notifications/{late['id']}/confirmations", {"kind": "dissemination"})
        api.created("liaison-b", f"/hns-notifications/{late['id']}/responses", {"response": "facilitated"})
        assert api.get("coord", f"/movements/{movement['id']}").json()["status"] == "acknowledged"  # every party confirmed receipt
        assert api.created("coord", f"/movements/{movement['id']}/status", {"status": "facilitated"})["status"] == "facilitated"

        near = [(GATE[0] + DP_SOUTH[0]) / 2, 31.003]  # about 330 m off the gate to south leg
        incident = api.created("monitor", "/incidents", {"occurred_at": dt.datetime.now(dt.UTC).isoformat(), "lon": near[0], "lat": near[1], "radius_km": 1,
                                                          "incident_category": "violence_against_personnel_assets_facilities", "description": "shots near the convoy"})
        assert [link["hns_notification_id"] for link in incident["links"]] == [late["id"]]
        link = incident["links"][0]
        assert 0.30 < link["distance_km"] < 0.36 and link["notified_before_incident"] is True and link["movement_id"] == movement["id"]
        record = {p["party"]: p for p in link["parties"]}
        assert record["Party A"]["receipt_by"] == "liaison-a" and record["Party A"]["receipt_before_incident"] is True
        assert record["Party A"]["dissemination_at"] is None and record["Party A"]["dissemination_before_incident"] is False
        assert record["Party B"]["dissemination_by"] == "liaison-b" and record["Party B"]["dissemination_before_incident"] is True
        assert [(h["version"], [(r["party_id"], r["response"], r["before_incident"]) for r in h["responses"]]) for h in link["history"]] == [(1, [(b, "facilitated", True)])]
        far = api.created("monitor", "/incidents", {"occurred_at": dt.datetime.now(dt.UTC).isoformat(), "lon": 34.15, "lat": 31.1, "radius_km": 1,
                                                     "incident_category": "military_operations_and_hostilities"})
        assert far["links"] == []
        export = api.get("monitor", "/incident-links/export").text.splitlines()
        assert export[0].startswith("incident_id,occurred_at,incident_category,notification_id")
        assert len(export) == 1 + 2 and all(line.startswith(f"{incident['event_id']},") for line in export[1:])
        assert api.get("liaison-a", "/incidents").status_code == 403
        api.client.close()
