"""Crash test: a bounded burst of concurrent notification writes over loopback, the server killed
with SIGKILL midway and restarted. Every write that got a 2xx is there exactly once, retries of the
unanswered ones (same Idempotency-Key) never duplicate, and the audit chain verifies."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from typer.testing import CliRunner

from safepassage.cli import app as cli
from tests.service.conftest import ADMIN_PASSWORD, PASSWORD, notification_body
from tests.service.server import Server

WRITES = 160
KILL_AFTER = 50
THREADS = 8


def _login(base: str, username: str, password: str) -> dict[str, str]:
    token = httpx.post(f"{base}/auth/token", data={"username": username, "password": password}, timeout=10).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_sigkill_midway_loses_and_duplicates_nothing(database_url: str, tmp_path: Path) -> None:
    server = Server(database_url, tmp_path, ADMIN_PASSWORD).start()
    try:
        admin = _login(server.url, "admin", ADMIN_PASSWORD)
        party = httpx.post(f"{server.url}/parties", json={"name": "Party A"}, headers={**admin, "Idempotency-Key": "p"}, timeout=10).json()["id"]
        httpx.post(f"{server.url}/users", json={"username": "notifier", "password": PASSWORD, "role": "notifier"}, headers={**admin, "Idempotency-Key": "u"}, timeout=10).raise_for_status()
        notifier = _login(server.url, "notifier", PASSWORD)

        requests = [(uuid.uuid4().hex, notification_body([party], message=f"write-{i}")) for i in range(WRITES)]
        answered: dict[str, int] = {}
        done = threading.Lock()
        killed = threading.Event()

        burst = httpx.Client(timeout=30, limits=httpx.Limits(max_connections=THREADS))

        def send(item: tuple[str, dict]) -> None:
            key, body = item
            if killed.is_set():
                return
            try:
                response = burst.post(f"{server.url}/notifications", json=body, headers={**notifier, "Idempotency-Key": key})
            except httpx.HTTPError:
                return  # the server died under this request: its fate is unknown to the client
            with done:
                answered[key] = response.status_code
                if len(answered) >= KILL_AFTER and not killed.is_set():
                    killed.set()
                    server.kill()

        with ThreadPoolExecutor(THREADS) as pool, burst:
            list(pool.map(send, requests))
        assert killed.is_set()
        acknowledged = {key for key, code in answered.items() if 200 <= code < 300}
        assert len(acknowledged) >= KILL_AFTER

        server = Server(database_url, tmp_path, ADMIN_PASSWORD).start()
        client = httpx.Client(base_url=server.url, timeout=30)
        message_of = {key: body["message"] for key, body in requests}
        stored = [n["message"] for n in client.get("/notifications", params={"limit": 1000}, headers=notifier).json()]
        assert len(stored) == len(set(stored)), "a write was duplicated"
        assert {message_of[key] for key in acknowledged} <= set(stored), "a write answered 2xx was lost"
        assert len(stored) < WRITES  # the kill really cut the burst short

        # Retrying everything with the same keys completes the burst without a single duplicate.
        for key, body in requests:
            retry = client.post("/notifications", json=body, headers={**notifier, "Idempotency-Key": key})
            assert retry.status_code == 201
        final = [n["message"] for n in client.get("/notifications", params={"limit": 1000}, headers=notifier).json()]
        assert sorted(final) == sorted(message_of.values())

        report = client.get("/audit/verify", headers=admin).json()
        client.close()
        assert report["ok"] is True, report
    finally:
        server.kill()
    result = CliRunner().invoke(cli, ["audit", "verify"], env={"SAFEPASSAGE_DATABASE_URL": database_url, "SAFEPASSAGE_DATA_DIR": str(tmp_path),
                                                             "SAFEPASSAGE_SIGNING_KEY": server.env["SAFEPASSAGE_SIGNING_KEY"]})
    assert result.exit_code == 0, result.output
    assert "audit log verifies" in result.output
