"""Property: over random parties, liaisons and notifications, no party liaison can read, list or
acknowledge anything not addressed to their own party (0 leaks), on both databases."""

from __future__ import annotations

import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.service.conftest import PASSWORD, World, notification_body

worlds = st.fixed_dictionaries({
    "parties": st.integers(min_value=1, max_value=4),
    "liaisons_per_party": st.lists(st.integers(min_value=1, max_value=2), min_size=4, max_size=4),
    "notifications": st.lists(st.tuples(st.sets(st.integers(min_value=0, max_value=3), min_size=1), st.sampled_from(["site", "movement"])), max_size=6),
    "answers": st.lists(st.tuples(st.integers(min_value=0, max_value=7), st.integers(min_value=0, max_value=5), st.sampled_from(["acknowledged", "queried", "rejected"])), max_size=6),
})


def test_no_liaison_sees_or_answers_what_is_not_addressed_to_their_party(world: World) -> None:
    api = world.api
    earlier: list[int] = []  # notifications of earlier examples: addressed to other parties, never to new ones
    leaks: list[tuple] = []

    @settings(max_examples=12, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
    @given(spec=worlds)
    def run(spec: dict) -> None:
        tag = uuid.uuid4().hex[:8]
        parties = [api.created("coord", "/parties", {"name": f"party-{tag}-{i}"})["id"] for i in range(spec["parties"])]
        liaisons: dict[str, int] = {}
        for index, party_id in enumerate(parties):
            for j in range(spec["liaisons_per_party"][index]):
                name = f"l-{tag}-{index}-{j}"
                api.created("admin", "/users", {"username": name, "password": PASSWORD, "role": "party_liaison", "party_id": party_id})
                api.login(name)
                liaisons[name] = party_id
        addressed: dict[int, set[int]] = {}
        for targets, kind in spec["notifications"]:
            party_ids = sorted({parties[t % len(parties)] for t in targets})
            body = notification_body(party_ids)
            if kind == "movement":
                movement = api.created("notifier", "/movements", {"kind": "convoy", "origin": "a", "destination": "b", "departs": "2030-01-01T00:00:00Z", "arrives": "2030-01-01T01:00:00Z", "trucks": 1})
                body = {**body, "kind": "movement", "movement_id": movement["id"], "site": None}
                body.pop("site")
            addressed[api.created("notifier", "/notifications", body)["id"]] = set(party_ids)
        ids = sorted(addressed)
        names = sorted(liaisons)
        for n_index, l_index, decision in spec["answers"]:
            if not ids:
                break
            name, notification_id = names[l_index % len(names)], ids[n_index % len(ids)]
            response = api.post(name, f"/notifications/{notification_id}/acknowledgments", {"decision": decision, "message": "why"})
            expected = 201 if liaisons[name] in addressed[notification_id] else 404
            if response.status_code != expected:
                leaks.append(("answer", name, notification_id, response.status_code))

        for name, party_id in liaisons.items():
            mine = {n for n, targets in addressed.items() if party_id in targets}
            listed = api.get(name, "/notifications", params={"limit": 1000}).json()
            if {n["id"] for n in listed} != mine:
                leaks.append(("list", name, sorted(n["id"] for n in listed), sorted(mine)))
            for notification in listed:
                if [a["party_id"] for a in notification["addressees"]] != [party_id]:
                    leaks.append(("addressees", name, notification["id"]))
            for notification_id in [*ids, *earlier[-10:]]:
                if notification_id in mine:
                    continue
                for response in (
                    api.get(name, f"/notifications/{notification_id}"),
                    api.get(name, f"/notifications/{notification_id}/acknowledgments"),
                    api.post(name, f"/notifications/{notification_id}/acknowledgments", {"decision": "acknowledged"}),
                ):
                    if response.status_code != 404:
                        leaks.append(("read or answer", name, notification_id, response.request.url.path, response.status_code))
            for path in ("/movements", "/events", "/plans", "/escalations", "/audit/export", "/users"):
                if api.get(name, path).status_code != 403:
                    leaks.append(("staff view", name, path))
            visible_parties = {p["id"] for p in api.get(name, "/parties").json()}
            if visible_parties != {party_id}:
                leaks.append(("parties", name, visible_parties))
        # Every answer on record came from a party the notification was addressed to.
        for notification_id, targets in addressed.items():
            for answer in api.get("coord", f"/notifications/{notification_id}/acknowledgments").json():
                if answer["party_id"] not in targets:
                    leaks.append(("stored answer", notification_id, answer))
        earlier.extend(ids)

    run()
    assert leaks == []


# --- humanitarian notifications (HNS), their answers and static sites --------------------------------

hns_worlds = st.fixed_dictionaries({
    "parties": st.integers(min_value=1, max_value=3),
    "notifications": st.lists(st.tuples(st.sets(st.integers(min_value=0, max_value=2), min_size=1), st.sampled_from(["movement", "site", "draft"])), max_size=5),
    "answers": st.lists(st.tuples(st.integers(min_value=0, max_value=7), st.integers(min_value=0, max_value=2),
                                  st.sampled_from(["receipt", "dissemination", "facilitated", "denied", "green"])), max_size=6),
})


def _hns_answer(api, name: str, notification_id: int, action: str):  # type: ignore[no-untyped-def]
    base = f"/hns-notifications/{notification_id}"
    if action in ("receipt", "dissemination"):
        return api.post(name, f"{base}/confirmations", {"kind": action})
    if action == "green":
        return api.post(name, f"{base}/legs/0/clearance", {"light": "green"})
    return api.post(name, f"{base}/responses", {"response": action, "reason": "why"})


def test_no_liaison_sees_or_answers_hns_notifications_or_sites_of_other_parties(world: World) -> None:
    import datetime as dt

    from tests.service.hns_helpers import CONTACT, movement_content, tiny_at, whole_hour

    api = world.api
    now = dt.datetime.now(dt.UTC)
    departs, arrives = now + dt.timedelta(days=3), now + dt.timedelta(days=3, hours=4)
    scenario_id = api.created("coord", "/scenarios", {"yaml": tiny_at(whole_hour(now))})["id"]
    site = {"organisation": "UN agency", "site_kind": "warehouse", "name": "Depot", "lon": 34.0, "lat": 31.0,
            "valid_from": now.isoformat(), "valid_until": (now + dt.timedelta(days=30)).isoformat(), "contact": CONTACT}
    earlier: list[int] = []
    earlier_sites: list[int] = []
    leaks: list[tuple] = []

    @settings(max_examples=8, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
    @given(spec=hns_worlds)
    def run(spec: dict) -> None:
        tag = uuid.uuid4().hex[:8]
        parties = [api.created("coord", "/parties", {"name": f"hns-{tag}-{i}"})["id"] for i in range(spec["parties"])]
        liaisons: dict[str, int] = {}
        for index, party_id in enumerate(parties):
            name = f"h-{tag}-{index}"
            api.created("admin", "/users", {"username": name, "password": PASSWORD, "role": "party_liaison", "party_id": party_id})
            api.login(name)
            liaisons[name] = party_id
        addressed: dict[int, set[int]] = {}  # sent versions -> parties told
        hidden: list[int] = []  # drafts: no liaison sees them, even when addressed to their party
        sites: dict[int, set[int]] = {}
        for targets, kind in spec["notifications"]:
            party_ids = sorted({parties[t % len(parties)] for t in targets})
            if kind == "site":
                sent = api.created("notifier", "/sites", {"party_ids": party_ids, "content": site})
                addressed[sent["id"]], sites[sent["site_id"]] = set(party_ids), set(party_ids)
                continue
            movement = api.created("notifier", "/movements", {"kind": "convoy", "origin": "depot", "destination": "dp-south", "departs": departs.isoformat(), "arrives": arrives.isoformat(), "trucks": 3})
            draft = api.created("notifier", "/hns-notifications", {"movement_id": movement["id"], "scenario_id": scenario_id, "party_ids": party_ids, "content": movement_content(departs, arrives)})
            if kind == "draft":
                hidden.append(draft["id"])
            else:
                addressed[api.created("notifier", f"/hns-notifications/{draft['id']}/send")["id"]] = set(party_ids)
        ids, names = sorted(addressed), sorted(liaisons)
        for n_index, l_index, action in spec["answers"]:
            if not ids:
                break
            name, notification_id = names[l_index % len(names)], ids[n_index % len(ids)]
            if action == "green" and notification_id in {n for n in ids if api.get("coord", f"/hns-notifications/{n}").json()["kind"] == "site"}:
                continue
            response = _hns_answer(api, name, notification_id, action)
            expected = {201, 409} if liaisons[name] in addressed[notification_id] else {404}
            if response.status_code not in expected:
                leaks.append(("answer", name, notification_id, action, response.status_code))

        for name, party_id in liaisons.items():
            mine = {n for n, targets in addressed.items() if party_id in targets}
            listed = api.get(name, "/hns-notifications", params={"limit": 1000}).json()
            if {n["id"] for n in listed} != mine:
                leaks.append(("list", name, sorted(n["id"] for n in listed), sorted(mine)))
            for notification in listed:
                if [a["party_id"] for a in notification["addressees"]] != [party_id]:
                    leaks.append(("addressees", name, notification["id"]))
                if any(set(leg["lights"]) - {str(party_id)} for leg in notification["legs"]):
                    leaks.append(("lights", name, notification["id"]))
                for answer in api.get(name, f"/hns-notifications/{notification['id']}/responses").json():
                    if answer["party_id"] != party_id:
                        leaks.append(("responses", name, notification["id"], answer["party_id"]))
            for notification_id in [*ids, *hidden, *earlier[-8:]]:
                if notification_id in mine:
                    continue
                base = f"/hns-notifications/{notification_id}"
                for response in (api.get(name, base), api.get(name, f"{base}/versions"), api.get(name, f"{base}/responses"),
                                 *(_hns_answer(api, name, notification_id, action) for action in ("receipt", "facilitated", "green"))):
                    if response.status_code != 404:
                        leaks.append(("read or answer", name, notification_id, response.request.url.path, response.status_code))
            my_sites = {s for s, targets in sites.items() if party_id in targets}
            if {s["id"] for s in api.get(name, "/sites").json()} != my_sites:
                leaks.append(("sites", name))
            for site_id in [*sites, *earlier_sites[-5:]]:
                if site_id not in my_sites and api.get(name, f"/sites/{site_id}").status_code != 404:
                    leaks.append(("site", name, site_id))
            for other in parties:
                listed_sites = api.get(name, f"/parties/{other}/deconfliction-list")
                if other != party_id and listed_sites.status_code != 404:
                    leaks.append(("deconfliction list", name, other))
                if other == party_id and {n["site_id"] for n in listed_sites.json()} != my_sites:
                    leaks.append(("own deconfliction list", name))
            for path in ("/hns-escalations", "/incidents", "/incident-links/export", "/movement-outcomes"):
                if api.get(name, path).status_code != 403:
                    leaks.append(("staff view", name, path))
        earlier.extend([*ids, *hidden])
        earlier_sites.extend(sites)

    run()
    assert leaks == []
