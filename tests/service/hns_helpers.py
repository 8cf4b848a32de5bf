"""Shared set-up for the humanitarian-notification tests: the tiny scenario moved in time, a world of
users over any client (in-process or a real server), and HNS content bodies."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from tests.service.conftest import ADMIN_PASSWORD, PASSWORD, ROLE_USERS, TINY, Api, World

CONTACT = {"name": "Logistics duty officer", "phone": "+970 59 000 0000", "radio": "VHF ch 7", "available_24_7": True}
MARKS = {"markings": "emblem on roof and doors", "night_markings": "retro-reflective panels", "thermal_markings": "thermal marker panel"}
# tiny.yaml positions (lon, lat)
DEPOT, GATE, DP_SOUTH, DP_NORTH = [34.0, 31.0], [34.1, 31.0], [34.2, 31.0], [34.2, 31.5]


def tiny_at(start: dt.datetime) -> str:
    """tiny.yaml with its horizon starting at ``start`` (UTC, whole hour) and its pause 6 to 10 hours later."""
    text = TINY.read_text()
    text = text.replace("start: 2024-01-01T00:00", f"start: {start:%Y-%m-%dT%H:%M}")
    text = text.replace("start: 2024-01-01T06:00", f"start: {start + dt.timedelta(hours=6):%Y-%m-%dT%H:%M}")
    return text.replace("end: 2024-01-01T10:00", f"end: {start + dt.timedelta(hours=10):%Y-%m-%dT%H:%M}")


def whole_hour(moment: dt.datetime) -> dt.datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def make_world(api: Api) -> World:
    """Parties A and B, an organisation and one signed-in user per role (as conftest's ``world``)."""
    organisation = api.created("admin", "/organisations", {"name": "UN agency", "kind": "un_agency"})
    party_a = api.created("admin", "/parties", {"name": "Party A"})["id"]
    party_b = api.created("admin", "/parties", {"name": "Party B"})["id"]
    users = {}
    for username, role in ROLE_USERS.items():
        body = {"username": username, "password": PASSWORD, "role": role, "organisation_id": organisation["id"]}
        if role == "party_liaison":
            body["party_id"] = party_a if username.endswith("-a") else party_b
        users[username] = api.created("admin", "/users", body)["id"]
        api.login(username)
    return World(api, party_a, party_b, users)


def http_api(url: str) -> Api:
    api = Api(httpx.Client(base_url=url, timeout=120))  # type: ignore[arg-type]
    api.login("admin", ADMIN_PASSWORD)
    return api


def movement_content(departs: dt.datetime, arrives: dt.datetime, coordinates: list[list[float]] | None = None, **overrides: Any) -> dict[str, Any]:
    body = {
        "organisation": "UN agency", "route": {"type": "LineString", "coordinates": coordinates or [DEPOT, GATE, DP_SOUTH]},
        "window": {"earliest_departure": departs.isoformat(), "latest_arrival": arrives.isoformat()},
        "vehicles": [{"vehicle_type": "truck", "plate": f"UN-{i:03d}", **MARKS} for i in range(3)], "staff_count": 4,
        "cargo": [{"commodity": "food", "quantity": 3, "unit": "t", "tonnes": 3}], "contact": CONTACT,
        "expires_at": (arrives + dt.timedelta(hours=6)).isoformat(),
    }
    body.update(overrides)
    return body
