"""Input and schema conformance (issue 12 items 14, 17, 18): lone surrogates and NaN/Infinity are 422s
(never 500s, never an unencodable echo, and the connection stays usable), arrivals cannot exceed what
their movement carried, the OpenAPI schema documents every error status, and a 405 lists every method."""

from __future__ import annotations

import json
import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.service.conftest import World, movement_body, notification_body

SURROGATE = "\ud800"


def _raw(world: World, user: str, method: str, path: str, body: Any) -> Any:
    """Send ``body`` as Python's json writes it: NaN, Infinity and lone surrogates (as \\ud800) included."""
    headers = {**world.api.headers(user, uuid.uuid4().hex), "Content-Type": "application/json"}
    return world.api.client.request(method, path, content=json.dumps(body, allow_nan=True), headers=headers)


def _assert_422(response: Any, loc: list[Any] | None = None) -> None:
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]  # the answer itself is valid JSON
    assert isinstance(detail, list) and detail[0]["loc"]
    if loc is not None:
        assert detail[0]["loc"] == loc, detail


def test_lone_surrogates_are_422_naming_the_field(world: World) -> None:
    _assert_422(_raw(world, "admin", "POST", "/organisations", {"name": f"Relief {SURROGATE}"}), ["body", "name"])
    _assert_422(_raw(world, "notifier", "POST", "/notifications", notification_body([world.party_a], message=SURROGATE)), ["body", "message"])
    site = notification_body([world.party_a])
    site["site"]["name"] = "x" + SURROGATE
    _assert_422(_raw(world, "notifier", "POST", "/notifications", site), ["body", "site", "name"])
    # A valid pair (an emoji written as escapes) is text like any other.
    assert _raw(world, "admin", "POST", "/organisations", {"name": "Relief \U0001f69a"}).status_code == 201
    # The connection is still good, and nothing was written.
    assert world.api.get("admin", "/organisations").status_code == 200
    assert all(SURROGATE not in o["name"] for o in world.api.get("admin", "/organisations").json())


def test_nan_and_infinity_are_422(world: World) -> None:
    for value in (float("nan"), float("inf"), float("-inf")):
        _assert_422(_raw(world, "notifier", "POST", "/notifications", notification_body([world.party_a], notice_hours=value)))
        movement = movement_body(cargo={"food": value})
        _assert_422(_raw(world, "notifier", "POST", "/movements", movement))
    assert world.api.get("admin", "/health").status_code == 200


@settings(max_examples=40, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(text=st.text(st.characters(categories=["Cs", "L", "N", "Zs"]), min_size=1, max_size=12),
       number=st.floats(allow_nan=True, allow_infinity=True))
def _generated(world: World, text: str, number: float) -> None:
    for path, body in (("/organisations", {"name": text}), ("/parties", {"name": text, "description": text}),
                       ("/notifications", notification_body([world.party_a], message=text, notice_hours=number))):
        response = _raw(world, "admin", "POST", path, body)
        assert response.status_code < 500, (path, body, response.text)
        response.json()  # always encodable
        has_surrogate = any(0xD800 <= ord(c) <= 0xDFFF for c in text)
        if has_surrogate:
            assert response.status_code == 422, (path, body)


def test_generated_surrogates_and_non_finite_numbers_never_reach_the_database(world: World) -> None:
    _generated(world)


def test_arrivals_cannot_exceed_the_cargo(world: World) -> None:
    api = world.api
    movement = api.created("notifier", "/movements", movement_body(trucks=5, cargo={"food": 100.0, "water": 20.0}))
    api.created("coord", f"/movements/{movement['id']}/status", {"status": "cancelled"})  # any state: the check comes first
    moving = api.created("notifier", "/movements", movement_body(trucks=5, cargo={"food": 100.0, "water": 20.0}))
    for status in ("notified", "acknowledged", "facilitated", "in_transit"):
        api.created("coord", f"/movements/{moving['id']}/status", {"status": status})
    arrived = {"kind": "arrived", "movement_id": moving["id"], "occurred_at": "2030-01-01T08:00:00Z"}
    too_much = api.post("monitor", "/events", {**arrived, "quantities_good": {"food": 1e12}})
    _assert_422(too_much, ["body", "quantities_good", "food"])
    assert "carried 100" in too_much.json()["detail"][0]["msg"]
    damaged_too = api.post("monitor", "/events", {**arrived, "quantities_good": {"food": 95}, "quantities_damaged": {"food": 6}})
    _assert_422(damaged_too, ["body", "quantities_good", "food"])
    not_carried = api.post("monitor", "/events", {**arrived, "quantities_good": {"fuel": 1}})
    _assert_422(not_carried, ["body", "quantities_good", "fuel"])
    assert api.get("coord", f"/movements/{moving['id']}").json()["status"] == "in_transit"  # nothing half-written
    ok = api.post("monitor", "/events", {**arrived, "quantities_good": {"food": 95, "water": 20}, "quantities_damaged": {"food": 5}})
    assert ok.status_code == 201


ERRORS = {"401", "403", "404", "409", "413", "429"}


def test_openapi_documents_every_error_status(world: World) -> None:
    schema = world.api.client.get("/openapi.json").json()
    missing = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if path in ("/health",):
                continue
            documented = set(operation.get("responses", {}))
            if not ERRORS <= documented:
                missing.append(f"{method.upper()} {path}: {sorted(ERRORS - documented)}")
    assert missing == []
    sign_in = schema["paths"]["/auth/token"]["post"]["responses"]["429"]
    assert "Retry-After" in sign_in.get("headers", {})


def test_405_allow_lists_every_method_of_the_path(world: World) -> None:
    response = world.api.client.delete("/users", headers=world.api.headers("admin"))
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "POST"}
    one = world.api.client.put(f"/users/{world.users['coord']}", headers=world.api.headers("admin"))
    assert one.status_code == 405 and set(one.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "PATCH"}
