"""Schemathesis against the app's own OpenAPI schema: at least 1,000 generated requests (valid and
deliberately malformed) across every operation and role, and not one 5xx answer. Malformed bodies get
422 with the offending field named in ``loc``."""

from __future__ import annotations

import json
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.service.conftest import TINY, World, movement_body, notification_body

REQUESTS = 1_200


def _hostile(body: Any) -> tuple[Any, bool]:
    """``body`` with its first string made a lone surrogate and its first float NaN (depth-first)."""
    done = {"text": False, "number": False}

    def walk(value: Any) -> Any:
        if isinstance(value, str) and not done["text"]:
            done["text"] = True
            return value + "\ud800"
        if isinstance(value, float) and not done["number"]:
            done["number"] = True
            return float("nan")
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    out = walk(body)
    return out, done["text"] or done["number"]


def test_no_server_errors_on_generated_requests(world: World) -> None:
    api = world.api
    # Something to find behind the ids the generator tries.
    scenario = api.created("coord", "/scenarios", {"yaml": TINY.read_text()})
    api.created("coord", "/plans", {"scenario_id": scenario["id"], "proposal": "none", "movements": [movement_body()]})
    for _ in range(3):
        api.created("notifier", "/notifications", notification_body([world.party_a]))
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.client.app)
    cases = schema.as_strategy(generation_mode=GenerationMode.POSITIVE) | schema.as_strategy(generation_mode=GenerationMode.NEGATIVE)
    users = ["admin", "coord", "notifier", "monitor", "liaison-a"]
    seen: dict[str, int] = {"requests": 0, "422_without_loc": 0, "hostile": 0}
    statuses: dict[int, int] = {}
    server_errors: list[str] = []
    operations: set[str] = set()

    @settings(max_examples=REQUESTS, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
    @given(case=cases, user=st.sampled_from(users))
    def run(case, user: str) -> None:  # type: ignore[no-untyped-def]
        if case.path == "/plans" and case.method.upper() == "POST":
            return  # planning is slow and exercised in test_coordination; keep the run bounded
        if case.path in ("/auth/logout", "/users/{user_id}/tokens/revoke"):
            return  # would sign the generator's own users out (tested in test_sign_in)
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {api.tokens[user]}"}
        response = case.call()
        seen["requests"] += 1
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        operations.add(f"{case.method.upper()} {case.path}")
        if response.status_code >= 500:
            server_errors.append(f"{case.method.upper()} {case.formatted_path} -> {response.status_code}: {response.text[:200]}")
        if response.status_code == 422:
            detail = response.json().get("detail")
            if not (isinstance(detail, list) and all(isinstance(d.get("loc"), list) and d["loc"] for d in detail)):
                seen["422_without_loc"] += 1
        if isinstance(case.body, dict) and case.method.upper() in ("POST", "PATCH"):
            # The same request with a lone surrogate in its first text and NaN in its first number (what
            # Python's json writes, and what strict JSON forbids): 422, never a 5xx, always encodable.
            hostile, changed = _hostile(case.body)
            if changed:
                headers = {**case.headers, "Content-Type": "application/json", "Idempotency-Key": f"hostile-{seen['requests']}"}
                answer = api.client.request(case.method, case.formatted_path, content=json.dumps(hostile, allow_nan=True), headers=headers)
                seen["hostile"] += 1
                if answer.status_code >= 500:
                    server_errors.append(f"hostile {case.method.upper()} {case.formatted_path} -> {answer.status_code}: {answer.text[:200]}")
                elif answer.status_code not in (401, 403, 404, 405, 413, 422, 429):
                    server_errors.append(f"hostile {case.method.upper()} {case.formatted_path} accepted: {answer.status_code} {hostile}")
                answer.json()

    run()
    print(f"schemathesis: {seen['requests']} requests over {len(operations)} operations; statuses {dict(sorted(statuses.items()))}")
    assert server_errors == []
    assert seen["422_without_loc"] == 0
    assert seen["requests"] >= 1_000
    assert seen["hostile"] >= 100
    assert len(operations) >= 25
    assert sum(n for code, n in statuses.items() if code < 300) >= 100  # many requests got past validation
