"""Seed a running service for the browser tests: two parties, one user per role, the Gaza scenario and
a plan of each of its proposals (planned once per test session; each takes seconds)."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from safepassage.scenario import resolve_scenario_path
from tests.service.hns_helpers import movement_content, tiny_at, whole_hour

__all__ = ["World", "seed", "PASSWORD", "USERS"]

PASSWORD = "a long test password"
# username -> (role, party name or None)
USERS = {
    "coordinator": ("coordinator", None),
    "monitor": ("monitor", None),
    "liaison-a": ("party_liaison", "Party A"),
    "liaison-b": ("party_liaison", "Party B"),
}


@dataclass
class World:
    url: str
    party_ids: dict[str, int]
    scenario_id: int
    plans: dict[str, dict[str, Any]] = field(default_factory=dict)
    hns: dict[str, dict[str, Any]] = field(default_factory=dict)  # party name -> a sent humanitarian notification


def _write(client: httpx.Client, token: str, path: str, body: Any) -> Any:
    response = client.post(
        path, json=body, headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}
    )
    response.raise_for_status()
    return response.json()


def _plan_of(client: httpx.Client, token: str, job: dict[str, Any], timeout_s: float = 600.0) -> Any:
    """The plan a ``POST /plans`` job made: plans are jobs (202), polled until done."""
    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + timeout_s
    while True:
        status = client.get(job["status_url"], headers=headers)
        status.raise_for_status()
        state = status.json()["status"]
        if state == "done":
            result = client.get(job["result_url"], headers=headers)
            result.raise_for_status()
            return result.json()
        if state == "failed" or time.monotonic() > deadline:
            raise RuntimeError(f"plan job {job['id']} for {job['proposal']}: {state} {status.json().get('error', '')}")
        time.sleep(0.2)


def token(client: httpx.Client, username: str, password: str = PASSWORD) -> str:
    response = client.post("/auth/token", data={"username": username, "password": password})
    response.raise_for_status()
    return str(response.json()["access_token"])


def seed(url: str, admin_password: str, proposals: list[str] | None = None) -> World:
    with httpx.Client(base_url=url, timeout=600) as client:
        admin = token(client, "admin", admin_password)
        parties = {name: _write(client, admin, "/parties", {"name": name})["id"] for name in ("Party A", "Party B")}
        for username, (role, party) in USERS.items():
            body: dict[str, Any] = {"username": username, "password": PASSWORD, "role": role}
            if party:
                body["party_id"] = parties[party]
            _write(client, admin, "/users", body)
        coordinator = token(client, "coordinator")
        scenario = _write(
            client,
            coordinator,
            "/scenarios",
            {"yaml": resolve_scenario_path("gaza-2023-11").read_text(encoding="utf-8")},
        )
        world = World(url, parties, scenario["id"])
        for name in proposals or scenario["proposals"]:
            job = _write(client, coordinator, "/plans", {"scenario_id": scenario["id"], "proposal": name})
            world.plans[name] = _plan_of(client, coordinator, job)
        _seed_hns(client, coordinator, world)
        client.get("/public").raise_for_status()  # the public picture plans the newest proposal once: do it now
        return world


def _seed_hns(client: httpx.Client, coordinator: str, world: World) -> None:
    """One humanitarian notification sent to each party, for a convoy two days ahead on the tiny
    scenario (the Gaza week is in the past, and an expired notification takes no answer)."""
    start = whole_hour(dt.datetime.now(dt.UTC) + dt.timedelta(days=2))
    tiny = _write(client, coordinator, "/scenarios", {"yaml": tiny_at(start)})
    for index, party in enumerate(("Party A", "Party B")):
        departs, arrives = start + dt.timedelta(hours=6 + index), start + dt.timedelta(hours=9 + index)
        movement = _write(
            client,
            coordinator,
            "/movements",
            {
                "kind": "convoy",
                "reference": f"H-{index + 1}",
                "origin": "depot",
                "destination": "dp-south",
                "departs": departs.isoformat(),
                "arrives": arrives.isoformat(),
                "trucks": 3,
                "cargo": {"food": 3},
            },
        )
        draft = _write(
            client,
            coordinator,
            "/hns-notifications",
            {
                "movement_id": movement["id"],
                "scenario_id": tiny["id"],
                "party_ids": [world.party_ids[party]],
                "content": movement_content(departs, arrives),
            },
        )
        world.hns[party] = _write(client, coordinator, f"/hns-notifications/{draft['id']}/send", None)
