"""The party inbox and the notification pages name places, not scenario ids: a notification of a
planned movement (titled by the service from the movement's ids) reads "Depot to South DP", in the
liaison's list, on its own page, and in the CSV and GeoJSON downloads; the staff's pages too. A
movement entered without a plan (no scenario to name it from) keeps its title."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest

from tests.service.conftest import (  # noqa: F401  (fixtures: one app and database per test)
    PASSWORD,
    TINY,
    Api,
    World,
    api,
    app,
    database_url,
    movement_body,
    settings,
    world,
)


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the titles are read the same on both; the service tests cover PostgreSQL


def _web_sign_in(api: Api, username: str) -> None:
    api.client.cookies.clear()
    form = api.client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None
    signed = api.client.post("/login", data={"username": username, "password": PASSWORD, "csrf": csrf.group(1)},
                             follow_redirects=False)
    assert signed.status_code == 303, signed.text


def _titles(html: str, prefix: str) -> list[str]:
    return [re.sub(r"\s+", " ", t).strip() for t in re.findall(rf'<a href="{prefix}/\d+">([^<]+)</a>', html)]


def test_the_inbox_names_the_places_of_a_planned_movement(world: World) -> None:
    api = world.api
    scenario = api.created("coord", "/scenarios", {"yaml": TINY.read_text()})
    plan = api.created("coord", "/plans", {"scenario_id": scenario["id"], "proposal": "pause",
                                            "movements": [movement_body(reference="C-7")]})
    (sent,) = api.created("notifier", f"/plans/{plan['id']}/notifications", {"party_ids": [world.party_a]})
    assert "depot to dp-south" in sent["title"]  # the service titles it from the ids ...
    loose = api.created("coord", "/movements", movement_body(reference="H-1"))  # no plan: no scenario
    hand = api.created("notifier", "/notifications", {"kind": "movement", "movement_id": loose["id"], "party_ids": [world.party_a],
                                                       "valid_from": "2030-01-01T00:00:00Z", "valid_until": "2030-01-02T00:00:00Z"})
    expected = sent["title"].replace("depot to dp-south", "Depot to South DP")  # ... and the pages name the places

    _web_sign_in(api, "liaison-a")
    inbox = api.client.get("/ui/inbox")
    assert inbox.status_code == 200
    titles = _titles(inbox.text, "/ui/inbox")
    assert expected in titles and hand["title"] in titles
    assert not any("dp-south" in t for t in titles if "C-7" in t)
    item = api.client.get(f"/ui/inbox/{sent['id']}").text
    assert f"<h1>{expected}</h1>" in item
    rows = list(csv.DictReader(io.StringIO(api.client.get("/ui/inbox/notifications.csv").text)))
    assert {r["title"] for r in rows} == {expected, hand["title"]}
    features: list[dict[str, Any]] = api.client.get("/ui/inbox/notifications.geojson").json()["features"]
    assert {f["properties"]["title"] for f in features} == {expected, hand["title"]}

    _web_sign_in(api, "liaison-b")  # another party sees neither, nor their names
    assert expected not in api.client.get("/ui/inbox").text
    assert api.client.get(f"/ui/inbox/{sent['id']}").status_code == 404

    _web_sign_in(api, "notifier")
    listing = api.client.get("/ui/notifications").text
    assert expected in listing and "C-7: depot to dp-south" not in listing
    assert f"{expected}</h1>" in api.client.get(f"/ui/notifications/{sent['id']}").text
