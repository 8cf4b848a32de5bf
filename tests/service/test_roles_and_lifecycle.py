"""Every role against every write and read it may or may not do, and every movement-status transition
(allowed ones succeed, every other one is refused with 409), over the API on both databases."""

from __future__ import annotations

from collections import deque

import pytest

from safepassage.service.auth import PERMISSIONS, Role
from safepassage.service.lifecycle import TRANSITIONS, MovementStatus, can_transition, transition_problem
from tests.service.conftest import PASSWORD, World, movement_body, notification_body

ROLE_OF = {"admin": Role.admin, "coord": Role.coordinator, "notifier": Role.notifier, "monitor": Role.monitor, "liaison-a": Role.party_liaison}


def test_permission_matrix_over_the_api(world: World) -> None:
    api = world.api
    movement = api.created("notifier", "/movements", movement_body())
    site = api.created("notifier", "/notifications", notification_body([world.party_a]))
    counter = iter(range(10_000))

    def writes(username: str) -> dict[str, tuple[str, str, dict | None]]:
        n = next(counter)
        return {
            "users.manage": ("POST", "/users", {"username": f"u{n}", "password": PASSWORD, "role": "monitor"}),
            "organisations.write": ("POST", "/organisations", {"name": f"Org {n}"}),
            "parties.write": ("POST", "/parties", {"name": f"Party {n}"}),
            "movements.write": ("POST", "/movements", movement_body(reference=f"M{n}")),
            "notifications.write": ("POST", "/notifications", notification_body([world.party_a])),
            "events.write": ("POST", "/events", {"kind": "pause_violation", "occurred_at": "2030-01-01T00:00:00Z"}),
            "escalations.sweep": ("POST", "/escalations/sweep", None),
            "notifications.acknowledge": ("POST", f"/notifications/{site['id']}/acknowledgments", {"decision": "acknowledged"}),
            "movements.status": ("POST", f"/movements/{movement['id']}/status", {"status": "cancelled"}),
        }

    reads = {
        "users.manage": "/users",
        "directory.read": "/parties",
        "plans.read": "/plans",
        "movements.read": "/movements",
        "notifications.read": "/notifications",
        "escalations.read": "/escalations",
        "events.read": "/events",
        "audit.read": "/audit/verify",
    }
    failures = []
    for username, role in ROLE_OF.items():
        for action, (method, path, body) in writes(username).items():
            if action == "movements.status" and role in PERMISSIONS[action]:
                continue  # cancelling is final; checked once below
            response = api.write(username, method, path, body)
            allowed = role in PERMISSIONS[action]
            if allowed != (response.status_code in (200, 201)) or (not allowed and response.status_code != 403):
                failures.append((username, action, response.status_code, response.text[:120]))
        for action, path in reads.items():
            response = api.get(username, path)
            allowed = role in PERMISSIONS[action]
            if (response.status_code == 200) != allowed or (not allowed and response.status_code != 403):
                failures.append((username, f"read {path}", response.status_code, response.text[:120]))
    assert failures == []
    assert api.post("monitor", f"/movements/{movement['id']}/status", {"status": "cancelled"}).status_code == 200
    assert api.get(None, "/audit/public-key").text.startswith("-----BEGIN PUBLIC KEY-----")


def test_only_admin_manages_users(world: World) -> None:
    api = world.api
    for username in ("coord", "notifier", "monitor", "liaison-a"):
        assert api.write(username, "PATCH", f"/users/{world.users['monitor']}", {"role": "admin"}).status_code == 403
        assert api.get(username, f"/users/{world.users['monitor']}").status_code == 403
    promoted = api.write("admin", "PATCH", f"/users/{world.users['notifier']}", {"role": "coordinator"})
    assert promoted.status_code == 200 and promoted.json()["role"] == "coordinator"
    assert api.post("notifier", "/plans", {"scenario_id": 1, "proposal": "x"}).status_code == 422  # now allowed to try


def _path_to(target: MovementStatus) -> list[MovementStatus]:
    """The shortest chain of allowed transitions from ``requested`` to ``target``."""
    start = MovementStatus.requested
    previous: dict[MovementStatus, MovementStatus | None] = {start: None}
    queue = deque([start])
    while queue:
        here = queue.popleft()
        for nxt in sorted(TRANSITIONS[here]):
            if nxt not in previous:
                previous[nxt] = here
                queue.append(nxt)
    chain, cursor = [], target
    while previous[cursor] is not None:
        chain.append(cursor)
        cursor = previous[cursor]  # type: ignore[assignment]
    return chain[::-1]


EDGES = [(a, b) for a, targets in TRANSITIONS.items() for b in sorted(targets)]


def test_transition_table_is_the_design_chain() -> None:
    assert can_transition("requested", "notified") and can_transition("unacknowledged", "facilitated")
    assert not can_transition("requested", "in_transit")
    assert transition_problem("arrived", "returned") == "a movement cannot go from arrived to returned (arrived is final)"
    assert {s for s in MovementStatus if not TRANSITIONS[s]} == {MovementStatus.denied, MovementStatus.cancelled, MovementStatus.arrived, MovementStatus.intercepted, MovementStatus.returned}
    assert all(_path_to(s) or s == MovementStatus.requested for s in MovementStatus)  # every status is reachable


def test_every_transition_over_the_api(world: World) -> None:
    """Each allowed edge succeeds from a movement brought to its source; every other target is a 409."""
    api = world.api
    refused = 0
    for source in MovementStatus:
        movement = api.created("notifier", "/movements", movement_body(reference=f"to-{source.value}"))
        for step in _path_to(source):
            assert api.created("coord", f"/movements/{movement['id']}/status", {"status": step.value})["status"] == step.value
        for target in MovementStatus:
            if target in TRANSITIONS[source]:
                continue
            response = api.post("monitor", f"/movements/{movement['id']}/status", {"status": target.value})
            assert response.status_code == 409, (source, target, response.text)
            refused += 1
    assert refused == len(MovementStatus) ** 2 - len(EDGES)
    for source, target in EDGES:
        movement = api.created("notifier", "/movements", movement_body(reference=f"{source.value}-{target.value}"))
        for step in [*_path_to(source), target]:
            response = api.post("coord", f"/movements/{movement['id']}/status", {"status": step.value, "reason": "test"})
            assert response.status_code == 200, (source, target, step, response.text)
        final = api.get("monitor", f"/movements/{movement['id']}").json()
        assert final["status"] == target.value
        assert [h["to_status"] for h in final["history"]] == ["requested", *[s.value for s in _path_to(source)], target.value]


@pytest.mark.parametrize("role", ["notifier", "liaison-a"])
def test_roles_that_cannot_change_status(world: World, role: str) -> None:
    movement = world.api.created("notifier", "/movements", movement_body())
    assert world.api.post(role, f"/movements/{movement['id']}/status", {"status": "notified"}).status_code == 403
