"""Availability (issue 12 items 10-13): request bodies over the limit get 413 before they are read;
scenario uploads are capped in size and YAML aliases; plans run as jobs with memory and time limits
while the API stays responsive; every list pages with a cursor; bulk notify is written in chunks."""

from __future__ import annotations

import select
import socket
import statistics
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from safepassage.service import Settings, create_app
from safepassage.service.api import notifications as notifications_api
from tests.service.conftest import ADMIN_PASSWORD, TINY, Api, World, movement_body, notification_body
from tests.service.server import Server

GAZA = Path(__file__).resolve().parents[2] / "src" / "safepassage" / "scenario" / "builtin" / "gaza-2023-11.yaml"
HUGE = 200 * 2**20


def _raw_request(url: str, head: str, body_chunks: Any = ()) -> tuple[str, int]:
    """Send ``head`` then as many chunks as the server takes; (status line, body bytes sent)."""
    host, port = url.removeprefix("http://").split(":")
    sent = 0
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(head.encode("ascii"))
        answer = b""
        for chunk in body_chunks:
            if select.select([conn], [], [], 0)[0]:  # the server has answered: stop sending
                answer = conn.recv(4096)
                break
            try:
                conn.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError, TimeoutError):
                break
            sent += len(chunk)
        while b"\r\n" not in answer:
            more = conn.recv(4096)
            if not more:
                break
            answer += more
    return answer.split(b"\r\n", 1)[0].decode("ascii", "replace"), sent


def test_a_200_mb_unauthenticated_body_is_refused_before_it_is_read(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    with Server(f"sqlite:///{data / 'body.db'}", data, ADMIN_PASSWORD) as server:
        started = time.perf_counter()
        status, sent = _raw_request(server.url, f"POST /organisations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {HUGE}\r\n\r\n")
        assert status.endswith("413 Request Entity Too Large") or " 413 " in status, status
        assert sent == 0 and time.perf_counter() - started < 5  # answered from the header alone
        # Without a length (chunked), it is cut off once the limit is passed, far short of 200 MB.
        chunk = b"%x\r\n%s\r\n" % (2**20, b"x" * 2**20)
        status, sent = _raw_request(server.url, "POST /organisations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
                                    (chunk for _ in range(200)))
        assert " 413 " in status, status
        assert sent < 40 * 2**20, f"{sent / 2**20:.0f} MB were sent before the refusal"


def test_scenario_size_and_alias_caps(world: World, app: Any) -> None:
    settings: Settings = app.state.services.settings
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
                                                              for p, c in zip("abcdefgh", "bcdefghi", strict=True))
    assert len(bomb) < 500
    started = time.perf_counter()
    refused = world.api.post("coord", "/scenarios", {"yaml": bomb * 2})
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "yaml"]
    assert f"more than {settings.scenario_max_aliases} aliases" in refused.json()["detail"][0]["msg"]
    assert time.perf_counter() - started < 5
    big = "# " + "x" * (settings.scenario_max_bytes) + "\n" + TINY.read_text()
    too_big = world.api.post("coord", "/scenarios", {"yaml": big})
    assert too_big.status_code in (413, 422)
    assert world.api.post("coord", "/scenarios", {"yaml": TINY.read_text()}).status_code == 201


def _limited_app(settings: Settings, tmp_path: Path, **limits: Any) -> Any:
    url = f"sqlite:///{tmp_path / 'limited' / 'db.sqlite'}"
    return create_app(Settings(**{**settings.__dict__, "database_url": url, **limits}))


def test_a_plan_job_over_its_time_limit_is_stopped_and_the_api_stays_responsive(settings: Settings, tmp_path: Path) -> None:
    app = _limited_app(settings, tmp_path, plan_job_time_limit_s=5.0)
    try:
        with TestClient(app) as client:
            api = Api(client)
            api.login("admin", ADMIN_PASSWORD)
            scenario = api.created("admin", "/scenarios", {"yaml": GAZA.read_text()})
            # The Gaza ceasefire over 30 days in 5-minute slots: ~155 CPU s here, so far over the 5 s limit
            # on any machine (the packaged 7-day week plans in ~2.5 s and would finish inside the limit).
            body = {"scenario_id": scenario["id"], "proposal": "ceasefire", "horizon_days": 30, "slot_minutes": 5}
            submitted = api.post("admin", "/plans", body)
            assert submitted.status_code == 202 and submitted.headers["Location"] == submitted.json()["status_url"]
            latencies: list[float] = []
            statuses: set[str] = set()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                for path in ("/health", "/scenarios", submitted.json()["status_url"]):
                    started = time.perf_counter()
                    response = api.get("admin", path)
                    latencies.append(time.perf_counter() - started)
                    assert response.status_code == 200
                status = response.json()["status"]
                statuses.add(status)
                if status in ("done", "failed"):
                    break
            result = api.get("admin", submitted.json()["result_url"])
    finally:
        app.state.services.close()
    latencies.sort()
    p99 = latencies[int(0.99 * (len(latencies) - 1))]
    print(f"API during a plan job: {len(latencies)} requests, median {statistics.median(latencies) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms")
    assert "running" in statuses and "failed" in statuses
    assert result.status_code == 422
    assert "over its time limit of 5 s" in result.json()["detail"][0]["msg"]
    assert latencies[-1] < 2.0  # the solve runs in another process: requests keep being answered


def test_a_plan_job_over_its_memory_limit_is_stopped(settings: Settings, tmp_path: Path) -> None:
    app = _limited_app(settings, tmp_path, plan_job_memory_mb=40)
    try:
        with TestClient(app) as client:
            api = Api(client)
            api.login("admin", ADMIN_PASSWORD)
            scenario = api.created("admin", "/scenarios", {"yaml": TINY.read_text()})
            result = api.finished_job("admin", api.post("admin", "/plans", {"scenario_id": scenario["id"], "proposal": "pause"}))
            assert result.status_code == 422
            message = result.json()["detail"][0]["msg"]
            assert "over its memory limit of 40 MB" in message and "SAFEPASSAGE_PLAN_JOB_MEMORY_MB" in message
    finally:
        app.state.services.close()


LISTS = ["/users", "/parties", "/organisations", "/plans", "/scenarios", "/escalations", "/events", "/notifications", "/movements"]


def test_every_list_pages_with_a_cursor(world: World) -> None:
    api = world.api
    for i in range(3):
        api.created("admin", "/organisations", {"name": f"Org {i}"})
        api.created("admin", "/parties", {"name": f"Party {i}"})
    scenario = api.created("coord", "/scenarios", {"yaml": TINY.read_text()})
    api.created("coord", "/scenarios", {"yaml": TINY.read_text()})
    for _ in range(3):
        api.created("coord", "/plans", {"scenario_id": scenario["id"], "proposal": "pause", "movements": [movement_body()]})
        api.created("notifier", "/notifications", notification_body([world.party_a], valid_from="2020-01-01T00:00:00Z", ack_due="2020-01-01T00:00:00Z"))
    # events page by (occurred_at, id): two at the same moment, one earlier recorded later
    for moment in ("2030-01-01T10:00:00Z", "2030-01-01T10:00:00Z", "2030-01-01T09:00:00Z"):
        api.created("monitor", "/events", {"kind": "pause_violation", "occurred_at": moment, "description": "test"})
    for path in LISTS:
        everything = api.get("admin", path, params={"limit": 1000}).json()
        assert len(everything) >= 2, path
        seen: list[Any] = []
        after: str | None = None
        for _ in range(100):
            params = {"limit": 1} if after is None else {"limit": 1, "after": after}
            page = api.get("admin", path, params=params)
            assert page.status_code == 200, (path, page.text)
            assert len(page.json()) <= 1
            seen += page.json()
            after = page.headers.get("Next-Cursor")
            if after is None:
                break
            assert page.headers["Link"].endswith('rel="next"')
        assert [x["id"] for x in seen] == [x["id"] for x in everything], path
    exported = api.get("admin", "/audit/export", params={"limit": 5}).json()
    assert len(exported["entries"]) == 5 and exported["next_after"] == 5
    following = api.get("admin", "/audit/export", params={"limit": 5, "after": exported["next_after"]}).json()
    assert following["entries"][0]["seq"] == 6


def test_lists_paged_by_cursor_refuse_an_offset_and_a_forged_cursor(world: World) -> None:
    api = world.api
    for path in ("/events", "/notifications", "/movements"):
        refused = api.get("admin", path, params={"offset": 5})
        assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["query", "offset"], path
        assert "Next-Cursor" in refused.json()["detail"][0]["msg"]
    for cursor in ("yesterday", "99999999999999999999-1"):
        bad = api.get("admin", "/events", params={"after": cursor})
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "after"], cursor


def test_bulk_notify_is_written_in_chunks(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notifications_api, "BULK_CHUNK", 4)
    api = world.api
    scenario = api.created("coord", "/scenarios", {"yaml": TINY.read_text()})
    plan = api.created("coord", "/plans", {"scenario_id": scenario["id"], "proposal": "pause",
                                            "movements": [movement_body(reference=f"C{i}") for i in range(10)]})
    key = "bulk-notify-1"
    sent = api.post("notifier", f"/plans/{plan['id']}/notifications", {"party_ids": [world.party_a]}, key=key)
    assert sent.status_code == 201 and len(sent.json()) == 10
    entries = api.get("admin", "/audit/export").json()["entries"]
    assert sum(e["action"] == "plan.notify" for e in entries) == 3  # chunks of 4, 4 and 2
    assert sum(e["action"] == "notification.create" for e in entries) == 10  # one entry per notification
    again = api.post("notifier", f"/plans/{plan['id']}/notifications", {"party_ids": [world.party_a]}, key=key)
    assert again.status_code == 201 and [n["id"] for n in again.json()] == [n["id"] for n in sent.json()]  # replayed, not duplicated
    assert api.get("admin", "/audit/verify").json()["ok"] is True


def test_a_large_bulk_notify_does_not_hold_the_write_path(world: World) -> None:
    """While 1,200 movements are notified (three chunks), single writes from another user still commit."""
    api = world.api
    scenario = api.created("coord", "/scenarios", {"yaml": TINY.read_text()})
    plan = api.created("coord", "/plans", {"scenario_id": scenario["id"], "proposal": "pause",
                                            "movements": [movement_body(reference=f"C{i}") for i in range(1200)]})
    done = threading.Event()
    answer: dict[str, Any] = {}

    def bulk() -> None:
        answer["response"] = api.post("notifier", f"/plans/{plan['id']}/notifications", {"party_ids": [world.party_a]})
        done.set()

    thread = threading.Thread(target=bulk)
    thread.start()
    single = 0
    while not done.is_set():
        assert api.post("coord", "/notifications", notification_body([world.party_b])).status_code == 201
        single += 1
    thread.join()
    assert answer["response"].status_code == 201 and len(answer["response"].json()) == 1200
    assert single >= 1
