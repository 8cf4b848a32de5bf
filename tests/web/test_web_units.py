"""The web UI's pure parts, without a browser: what the plan page and the public page compute, the
liaison's downloads, and the security helpers."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi import HTTPException
from starlette.requests import Request

from safepassage.interop.windows import window_occurrences
from safepassage.plan import plan_proposal
from safepassage.scenario import load_scenario
from safepassage.web.inbox_pages import notifications_csv, notifications_geojson
from safepassage.web.plan_view import binding_limits_in_words, plan_frame, plan_page_data, zone_need_met_share
from safepassage.web.public_picture import public_view
from safepassage.web.security import check_csrf, check_same_origin, content_security_policy, csrf_token
from safepassage.web.staff_pages import key_fingerprint, latest_plans_by_proposal


def _request(headers: dict[str, str], host: str = "sp.example:8000", scheme: str = "http") -> Request:
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/ui/events",
        "scheme": scheme,
        "server": (host.split(":")[0], int(host.split(":")[1])),
        "headers": [(b"host", host.encode())] + [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "query_string": b"",
    }
    return Request(scope)


def test_binding_limits_read_as_sentences() -> None:
    words = binding_limits_in_words(
        [
            {
                "kind": "quota",
                "id": "policy.daily_quotas[0]",
                "value_per_unit": 134004.2,
                "unit": "truck per day",
                "binding_slots": 7,
            }
        ]
    )
    assert words == [
        "the daily truck quota policy.daily_quotas[0] binds in 7 time slots; one more truck per day would add 134,004 units of value"
    ]


def test_binding_limits_are_named_from_the_scenario_as_in_every_other_table() -> None:
    from safepassage.scenario import load_scenario

    scenario = load_scenario("gaza-2023-11")
    limits = [
        {"kind": "quota", "id": "policy.daily_quotas[0]", "value_per_unit": 10.0, "unit": "truck per day", "binding_slots": 7},
        {"kind": "quota", "id": "ceasefire.quotas[0]", "value_per_unit": 73471.0, "unit": "truck per day", "binding_slots": 5},
    ]
    entry, agreed = binding_limits_in_words(limits, scenario)
    assert entry.startswith("daily entry quota, 38 trucks/day binds in 7 time slots;")
    assert agreed.startswith("agreed daily quota for all but diesel fuel, 200 trucks/day binds in 5 time slots;")
    assert "quotas[" not in entry + agreed


def test_binding_limits_name_what_binds_for_trucks_or_people() -> None:
    def words(kind: str, ident: str, unit: str) -> str:
        (sentence,) = binding_limits_in_words([{"kind": kind, "id": ident, "unit": unit, "value_per_unit": 1200.4, "binding_slots": 3}])
        return sentence

    assert words("crossing", "rafah", "truck per hour").startswith("the truck throughput of the crossing rafah binds in 3 time slots;")
    assert words("place", "dp-rafah", "truck per hour").startswith("the truck throughput of dp-rafah binds")
    assert words("road", "salah-al-din-1", "person per hour").startswith("the walking capacity of the road salah-al-din-1 binds")
    assert words("distribution_point", "dp-1", "person per hour").startswith("the people throughput of the distribution point dp-1")
    assert words("stock", "al-arish/food", "truckload").endswith("one more truckload would add 1,200 units of value")
    window = words("window", "ceasefire.windows", "hour more per window")
    assert window == "the length of the pause windows of ceasefire.windows binds in 3 time slots; one more hour per window would add 1,200 units of value"


def test_need_met_share_is_the_mean_over_commodities() -> None:
    assert zone_need_met_share({"north": {"food": 0.8, "water": 0.2}}, "north") == pytest.approx(0.5)
    assert zone_need_met_share({"north": {}}, "north") is None
    assert zone_need_met_share({}, "south") is None


def test_plan_page_flows_and_people_safe_follow_the_movements() -> None:
    scenario = load_scenario("tests/scenarios/tiny.yaml")
    road = scenario.roads[0]
    movements = [
        {
            "id": 1,
            "reference": "C1",
            "kind": "convoy",
            "status": "arrived",
            "departs": "2024-01-01T06:00:00Z",
            "arrives": "2024-01-01T08:00:00Z",
            "trucks": 5,
            "people": 0,
            "origin": road.from_,
            "destination": road.to,
            "route": [road.from_, road.to],
        },
        {
            "id": 2,
            "reference": "E1",
            "kind": "evacuation",
            "status": "notified",
            "departs": "2024-01-01T06:00:00Z",
            "arrives": "2024-01-01T09:00:00Z",
            "trucks": 0,
            "people": 120,
            "origin": road.from_,
            "destination": road.to,
            "route": [road.from_, road.to],
        },
        {
            "id": 3,
            "reference": "E2",
            "kind": "evacuation",
            "status": "denied",
            "departs": "2024-01-01T07:00:00Z",
            "arrives": "2024-01-01T10:00:00Z",
            "trucks": 0,
            "people": 80,
            "origin": road.from_,
            "destination": road.to,
            "route": [road.from_, road.to],
        },
    ]
    events = [
        {
            "kind": "arrived",
            "movement_id": 1,
            "occurred_at": "2024-01-01T08:10:00Z",
            "quantities_good": {"food": 90.0},
            "people": None,
        }
    ]
    plan = {
        "id": 7,
        "proposal": scenario.proposals[0].id,
        "summary": {"need_met": {scenario.zones[0].id: {"food": 1.0}}},
    }
    data = plan_page_data(scenario, plan, movements, events)
    flows = {r["id"]: (r["trucks"], r["people"]) for r in data["roads"]}
    assert flows[road.id] == (5, 200)  # every movement planned on the road, whatever its status
    assert data["safe"]["planned"] == [{"at": "2024-01-01T09:00:00Z", "people": 120}]  # the denied one never arrives
    lane = next(m for m in data["movements"] if m["id"] == 1)
    assert lane["arrived_at"] == "2024-01-01T08:10:00Z" and lane["arrived_good"] == {"food": 90.0}
    place = {p.id: p for p in scenario.places}[road.from_]
    assert lane["route"] == [road.from_, road.to]  # drawn from the positions sent once, in "points"
    assert data["points"][road.from_] == [place.geometry.coordinates[1], place.geometry.coordinates[0]]
    assert set(data["points"]) == {end for r in scenario.roads for end in (r.from_, r.to)}  # no place off the roads
    assert plan_page_data(scenario, plan, movements, events, frame=plan_frame(scenario, plan)) == data
    assert data["zones"]["features"][0]["properties"]["need_met"] == 1.0
    assert len(data["windows"]) == len(window_occurrences(scenario, scenario.proposals[0]))


def test_public_view_of_gaza_has_every_alert_in_both_languages_and_no_sensitive_site() -> None:
    import datetime as dt

    scenario = load_scenario("gaza-2023-11")
    view = public_view(
        scenario, plan_proposal(scenario, "single-4h-pause"), sent=dt.datetime(2023, 11, 23, tzinfo=dt.UTC)
    )
    assert view.windows and len(view.windows) == len([a for a in view.alerts if a.onset is not None])
    assert all(set(w.headline) == {"en", "ar"} and w.headline["ar"] != w.headline["en"] for w in view.windows)
    text = repr(view.windows) + repr(view.corridors) + repr(view.map_svg)
    for place in (p for p in scenario.places if p.sensitive):
        assert place.name not in text and f"{place.geometry.coordinates[0]}" not in text
    assert view.unilateral is (scenario.proposal("single-4h-pause").agreement == "unilateral")


def test_liaison_downloads_carry_their_own_answer_only() -> None:
    notes = [
        {
            "id": 4,
            "kind": "movement",
            "title": "convoy C1",
            "valid_from": "a",
            "valid_until": "b",
            "ack_due": "c",
            "overdue": True,
            "message": "",
            "addressees": [{"party_id": 1, "latest_decision": "acknowledged", "answered_at": "d"}],
        },
        {
            "id": 5,
            "kind": "site",
            "title": "depot",
            "valid_from": "a",
            "valid_until": "b",
            "ack_due": "c",
            "site": {"lat": 31.2, "lon": 34.3},
            "addressees": [{"party_id": 1, "latest_decision": None, "answered_at": None}],
        },
    ]
    rows = list(csv.DictReader(io.StringIO(notifications_csv(notes, party_id=1))))
    assert [(r["id"], r["your_answer"]) for r in rows] == [("4", "acknowledged"), ("5", "")]
    geo = notifications_geojson(notes, party_id=1)
    assert [f["geometry"] for f in geo["features"]] == [None, {"type": "Point", "coordinates": [34.3, 31.2]}]


def test_newest_plan_per_proposal_in_the_scenarios_order() -> None:
    plans = [
        {"id": 1, "scenario_id": 1, "proposal": "a", "origin": "planned"},
        {"id": 3, "scenario_id": 1, "proposal": "a", "origin": "planned"},
        {"id": 4, "scenario_id": 1, "proposal": "b", "origin": "replanned"},
        {"id": 5, "scenario_id": 2, "proposal": "b", "origin": "planned"},
    ]
    assert [p["id"] if p else None for p in latest_plans_by_proposal(plans, 1, ["b", "a"])] == [None, 3]


def test_csrf_and_origin_checks_refuse_forgeries() -> None:
    token = "abc.def"
    check_csrf(_request({}), token, csrf_token(token))
    with pytest.raises(HTTPException, match="security token"):
        check_csrf(_request({}), token, csrf_token("another.session"))
    with pytest.raises(HTTPException, match="security token"):
        check_csrf(_request({}), token, None)
    check_same_origin(_request({"Origin": "http://sp.example:8000"}))
    with pytest.raises(HTTPException, match="cross-site"):
        check_same_origin(_request({"Origin": "http://evil.example"}))
    with pytest.raises(HTTPException, match="cross-site"):
        check_same_origin(
            _request({"Referer": "https://sp.example:8000/ui/events"})
        )  # another scheme is another origin


def test_content_security_policy_is_same_origin_with_no_inline_script() -> None:
    policy = content_security_policy()
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["script-src"] == "'self'" and directives["default-src"] == "'none'"
    assert "'unsafe-inline'" not in directives["style-src-elem"] and "sha256-" in directives["style-src-elem"]
    assert (
        "https://tiles.example.org"
        in content_security_policy("https://tiles.example.org").split("img-src", 1)[1].split(";")[0]
    )


def test_key_fingerprint_is_sha256_of_the_key() -> None:
    import hashlib

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate().public_key()
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert key_fingerprint(pem).replace(":", "") == hashlib.sha256(der).hexdigest()
