"""Issue 12 item 5: a flood of sign-ins must not stall or fail writes on SQLite.

40 clients sign in for 30 s against a real server (uvicorn, SQLite, the deployment argon2 profile, the
rate limit turned off so every attempt is hashed) — 30 with wrong passwords, 10 with the right one —
while a notifier writes notifications one after another. Every write must succeed and the write p99
stay under 1 s. Passwords are hashed outside any transaction, at most a few at a time.
"""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import httpx

from tests.service.conftest import ADMIN_PASSWORD, PASSWORD, notification_body
from tests.service.server import Server

CLIENTS, WRONG, SECONDS = 40, 30, 30.0


def test_a_sign_in_flood_does_not_stall_writes_on_sqlite(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    env = {"SAFEPASSAGE_PASSWORD_HASH": "default", "SAFEPASSAGE_SIGN_IN_FAILURES_BEFORE_DELAY": "1000000000"}
    with Server(f"sqlite:///{data / 'flood.db'}", data, ADMIN_PASSWORD, max_seconds=240, extra_env=env) as server:
        client = httpx.Client(base_url=server.url, timeout=60)
        admin = {"Authorization": "Bearer " + client.post("/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD}).json()["access_token"]}

        def write(path: str, body: dict) -> httpx.Response:
            return client.post(path, json=body, headers={**admin, "Idempotency-Key": uuid.uuid4().hex})

        party = write("/parties", {"name": "Party A"}).json()["id"]
        assert write("/users", {"username": "notifier", "password": PASSWORD, "role": "notifier"}).status_code == 201
        token = client.post("/auth/token", data={"username": "notifier", "password": PASSWORD}).json()["access_token"]
        notifier = {"Authorization": f"Bearer {token}"}

        stop = threading.Event()
        sign_ins: dict[int, int] = {}
        lock = threading.Lock()

        def flood(index: int) -> None:
            password = "wrong-password-x" if index < WRONG else PASSWORD
            with httpx.Client(base_url=server.url, timeout=60) as own:
                while not stop.is_set():
                    code = own.post("/auth/token", data={"username": "notifier", "password": password}).status_code
                    with lock:
                        sign_ins[code] = sign_ins.get(code, 0) + 1

        threads = [threading.Thread(target=flood, args=(i,), daemon=True) for i in range(CLIENTS)]
        for thread in threads:
            thread.start()
        latencies: list[float] = []
        failures: list[str] = []
        deadline = time.monotonic() + SECONDS
        while time.monotonic() < deadline:
            started = time.perf_counter()
            response = client.post("/notifications", json=notification_body([party], message=f"n{len(latencies)}"),
                                   headers={**notifier, "Idempotency-Key": uuid.uuid4().hex})
            latencies.append(time.perf_counter() - started)
            if response.status_code != 201:
                failures.append(f"{response.status_code} {response.text[:200]}")
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        report = client.get("/audit/verify", headers=admin).json()
        client.close()
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
    print(f"sign-in flood: {len(latencies)} writes, p50 {latencies[len(latencies) // 2] * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms; sign-ins {sign_ins}")
    assert failures == []
    assert sign_ins.get(401, 0) > 0 and sign_ins.get(200, 0) > 0  # the flood really ran, both ways
    assert p99 < 1.0, f"write p99 {p99:.3f} s under the sign-in flood"
    assert report["ok"] is True, report
