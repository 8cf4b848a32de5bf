"""Sign-in and tokens: rate limits with a growing delay (429 + Retry-After), failed sign-ins in the
audit log, HMAC-checked tokens whose ids stay out of exports, logout and revocation (also seen by a
second instance within a second), the NIST SP 800-63B password policy, and the small defects of
issue 12 item 9."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from safepassage.service import Settings, create_app
from safepassage.service.auth import TokenHasher
from safepassage.service.limits import SignInLimiter
from safepassage.service.password_policy import password_problem
from tests.service.conftest import ADMIN_PASSWORD, PASSWORD, World


def _sign_in(world: World, username: str, password: str) -> Any:
    return world.api.client.post("/auth/token", data={"username": username, "password": password})


def test_repeated_failures_get_429_with_a_growing_delay(world: World) -> None:
    limit = world.api.client.app.state.services.settings.sign_in_failures_before_delay  # type: ignore[attr-defined]
    for _ in range(limit):
        assert _sign_in(world, "coord", "not-the-password").status_code == 401
    blocked = _sign_in(world, "coord", PASSWORD)  # even the right password waits: no oracle during the delay
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) >= 1
    assert "try again in" in blocked.json()["detail"]
    # Other accounts from elsewhere are not blocked by one account's failures.
    assert _sign_in(world, "notifier", PASSWORD).status_code == 200
    failed = [e for e in world.api.get("admin", "/audit/export").json()["entries"] if e["action"] == "auth.failed"]
    assert len(failed) == limit and {e["object_id"] for e in failed} == {str(world.users["coord"])} and failed[0]["actor"] == "anonymous"


def test_the_delay_grows_and_is_per_account_and_per_address() -> None:
    clock = [1000.0]
    limiter = SignInLimiter(free_failures=3, max_delay_s=60, address_factor=4)
    limiter._now = lambda: clock[0]  # type: ignore[method-assign]
    delays = []
    for _ in range(9):
        limiter.failed("alice", "10.0.0.1")
        delays.append(limiter.retry_after("alice", "10.0.0.2"))
    assert delays == [0, 0, 1, 2, 4, 8, 16, 32, 60]  # doubles after the free failures, capped
    assert limiter.retry_after("bob", "10.0.0.1") == 0  # the address has 9 failures, below 3 x 4
    for name in ("c", "d", "e"):
        limiter.failed(name, "10.0.0.1")
    assert limiter.retry_after("bob", "10.0.0.1") >= 1  # 12 failures from one address: it waits too
    clock[0] += 61
    assert limiter.retry_after("alice", "10.0.0.2") == 0
    limiter.succeeded("alice")
    assert limiter.retry_after("alice", "10.0.0.3") == 0


def test_tokens_are_keyed_hashes_and_their_ids_stay_out_of_exports(world: World) -> None:
    services = world.api.client.app.state.services  # type: ignore[attr-defined]
    token = world.api.tokens["coord"]
    token_id, _, secret = token.partition(".")
    with services.db.read_session() as session:
        from safepassage.service.models import ApiToken

        stored = session.get(ApiToken, token_id).secret_hash
    assert stored == services.token_hasher.digest(secret) and not stored.startswith("$argon2")
    assert stored != TokenHasher(b"another key").digest(secret)
    export = world.api.get("admin", "/audit/export").text
    assert token_id not in export
    # A random secret with a real token id costs one HMAC, not an argon2 verification.
    started = time.perf_counter()
    for _ in range(20):
        assert world.api.client.get("/auth/me", headers={"Authorization": f"Bearer {token_id}.{uuid.uuid4().hex}"}).status_code == 401
    assert time.perf_counter() - started < 5


def test_logout_revocation_password_change_and_reenabling(world: World) -> None:
    api = world.api
    assert api.post("coord", "/auth/logout").status_code == 200
    assert api.get("coord", "/auth/me").status_code == 401
    api.login("coord")
    second = api.tokens["coord"]
    assert api.post("admin", f"/users/{world.users['coord']}/tokens/revoke").json()["revoked_tokens"] >= 1
    assert api.client.get("/auth/me", headers={"Authorization": f"Bearer {second}"}).status_code == 401
    # A password change revokes every token of the user.
    api.login("notifier")
    assert api.write("admin", "PATCH", f"/users/{world.users['notifier']}", {"password": "a-new-long-passphrase"}).status_code == 200
    assert api.get("notifier", "/auth/me").status_code == 401
    api.login("notifier", "a-new-long-passphrase")
    # Disabling revokes; re-enabling revives none of the old tokens.
    old = api.tokens["notifier"]
    assert api.write("admin", "PATCH", f"/users/{world.users['notifier']}", {"active": False}).status_code == 200
    assert api.write("admin", "PATCH", f"/users/{world.users['notifier']}", {"active": True}).status_code == 200
    assert api.client.get("/auth/me", headers={"Authorization": f"Bearer {old}"}).status_code == 401


def test_a_second_instance_sees_a_revocation_within_a_second(world: World, settings: Settings) -> None:
    other = create_app(settings)
    try:
        with TestClient(other) as client:
            headers = {"Authorization": f"Bearer {world.api.tokens['monitor']}"}
            assert client.get("/auth/me", headers=headers).status_code == 200  # now cached there
            assert world.api.post("admin", f"/users/{world.users['monitor']}/tokens/revoke").status_code == 200
            time.sleep(1.0)
            assert client.get("/auth/me", headers=headers).status_code == 401
    finally:
        other.state.services.close()


@pytest.mark.parametrize("password", ["password", "aaaaaaaa", "12345678", "abcdefgh", "qwertyuiop", "monitor", "Monitor1", "monitor2024"])
def test_weak_passwords_are_refused(world: World, password: str) -> None:
    response = world.api.write("admin", "PATCH", f"/users/{world.users['monitor']}", {"password": password})
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "password"]
    if "onitor" not in password:  # the user-name rule depends on whose password it is
        created = world.api.post("admin", "/users", {"username": "newcomer", "password": password, "role": "monitor"})
        assert created.status_code == 422


def test_the_policy_and_its_shipped_list() -> None:
    assert password_problem("password1") is not None and "common or breached" in password_problem("password1")  # type: ignore[operator]
    assert password_problem("tulip-harbour-quietly") is None
    assert "user name" in (password_problem("alice1234", username="alice") or "")
    assert password_problem("a" * 201) == "must be at most 200 characters long"


def test_the_bootstrap_password_follows_the_policy_and_is_never_echoed(tmp_path: Path, settings: Settings) -> None:
    weak = Settings(**{**settings.__dict__, "bootstrap_admin_password": "password", "database_url": f"sqlite:///{tmp_path / 'w' / 'db.sqlite'}"})
    with pytest.raises(ValueError, match="SAFEPASSAGE_ADMIN_PASSWORD is on the list of common or breached passwords"):
        create_app(weak)
    chosen = Settings(**{**settings.__dict__, "database_url": f"sqlite:///{tmp_path / 'c' / 'db.sqlite'}"})
    app = create_app(chosen)
    assert app.state.generated_admin_password is None  # chosen: nothing to print
    app.state.services.close()


def test_the_only_admin_cannot_demote_or_disable_themselves(world: World) -> None:
    api = world.api
    assert api.write("admin", "PATCH", "/users/1", {"role": "monitor"}).status_code == 409
    assert api.write("admin", "PATCH", "/users/1", {"active": False}).status_code == 409
    assert api.write("admin", "PATCH", f"/users/{world.users['coord']}", {"role": "admin"}).status_code == 200
    assert api.write("admin", "PATCH", "/users/1", {"role": "monitor"}).status_code == 200  # another admin exists now


def test_two_password_changes_with_one_key_are_not_a_silent_replay(world: World) -> None:
    api, key = world.api, uuid.uuid4().hex
    first = api.write("admin", "PATCH", f"/users/{world.users['monitor']}", {"password": "first-long-passphrase"}, key=key)
    assert first.status_code == 200
    second = api.write("admin", "PATCH", f"/users/{world.users['monitor']}", {"password": "second-long-passphrase"}, key=key)
    assert second.status_code == 422 and "already used for a different request" in second.text
    assert api.write("admin", "PATCH", f"/users/{world.users['monitor']}", {"password": "first-long-passphrase"}, key=key).headers.get("Idempotency-Replayed") == "true"


def test_bootstrap_uses_the_policy_defaults(settings: Settings) -> None:
    assert password_problem(ADMIN_PASSWORD, username="admin") is None
