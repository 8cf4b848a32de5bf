"""Benchmark the coordination service: sustained notification writes per second and p50/p99 latency,
on PostgreSQL and on SQLite, over loopback. Bounded: at most --requests writes and --seconds per run.

Baseline in the same run: the trivial ``GET /health`` endpoint through the same server and clients,
so the figures come with a ratio that says how much the write path (validation, idempotency record,
notification rows, audit chain append with its signature, commit) costs over the HTTP stack alone.

    .venv/bin/python bench/bench_service.py                       # both backends
    .venv/bin/python bench/bench_service.py --backend sqlite --requests 2000 --clients 16

PostgreSQL: SAFEPASSAGE_TEST_POSTGRES_URL (default: the test database of scripts/system-deps.d/20-postgresql.sh);
each run uses a fresh schema, dropped afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

DEFAULT_PG = "postgresql+psycopg://safepassage:safepassage@127.0.0.1:5432/safepassage_test"
ADMIN_PASSWORD = "bench-coordination-secret-7"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(database_url: str, data_dir: Path, max_seconds: int) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "SAFEPASSAGE_DATABASE_URL": database_url, "SAFEPASSAGE_DATA_DIR": str(data_dir),
           "SAFEPASSAGE_SIGNING_KEY": str(data_dir.parent / f"{data_dir.name}-audit-key.pem"),
           "SAFEPASSAGE_ADMIN_PASSWORD": ADMIN_PASSWORD, "SAFEPASSAGE_PASSWORD_HASH": "fast"}
    command = ["timeout", "--signal=KILL", str(max_seconds), sys.executable, "-c", "from safepassage.cli import main; main()",
               "serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)
    raise RuntimeError(f"server on {url} did not start")


def _load(url: str, method: str, path: str, headers: dict[str, str], body_of, requests: int, seconds: float, clients: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    counter = iter(range(requests))
    stop_at = time.monotonic() + seconds

    def worker() -> None:
        with httpx.Client(base_url=url, timeout=30) as client:
            while time.monotonic() < stop_at:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                started = time.perf_counter()
                response = client.request(method, path, json=body_of(i), headers={**headers, "Idempotency-Key": uuid.uuid4().hex} if method == "POST" else headers)
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    if response.status_code >= 300:
                        errors[0] += 1

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies), "errors": errors[0], "seconds": round(wall, 2), "per_second": round(len(latencies) / wall, 1),
        "p50_ms": round(1000 * statistics.median(latencies), 1), "p99_ms": round(1000 * latencies[int(0.99 * (len(latencies) - 1))], 1),
    }


def run_backend(backend: str, requests: int, seconds: float, clients: int) -> dict[str, object]:
    data_dir = Path(tempfile.mkdtemp(prefix=f"sp-bench-{backend}-"))
    schema = None
    if backend == "sqlite":
        database_url = f"sqlite:///{data_dir / 'bench.db'}"
    else:
        base = os.environ.get("SAFEPASSAGE_TEST_POSTGRES_URL", DEFAULT_PG)
        schema = f"bench_{uuid.uuid4().hex[:12]}"
        admin_engine = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin_engine.connect() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        database_url = f"{base}?options=-csearch_path%3D{schema}"
    process, url = _start_server(database_url, data_dir, max_seconds=int(4 * seconds + 120))
    try:
        with httpx.Client(base_url=url, timeout=30) as client:
            token = client.post("/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD}).json()["access_token"]
            auth = {"Authorization": f"Bearer {token}"}
            parties = [client.post("/parties", json={"name": f"Party {i}"}, headers={**auth, "Idempotency-Key": f"p{i}"}).json()["id"] for i in range(2)]
        body = {"kind": "site", "site": {"site_kind": "warehouse", "name": "Depot", "lat": 31.0, "lon": 34.0}, "party_ids": parties,
                "notice_hours": 24, "valid_from": "2030-01-01T00:00:00Z", "valid_until": "2030-01-31T00:00:00Z"}
        _load(url, "GET", "/health", {}, lambda i: None, min(200, requests), seconds, clients)  # warm-up
        baseline = _load(url, "GET", "/health", {}, lambda i: None, requests, seconds, clients)
        writes = _load(url, "POST", "/notifications", auth, lambda i: {**body, "message": f"bench {i}"}, requests, seconds, clients)
        with httpx.Client(base_url=url, timeout=120) as client:
            verified = client.get("/audit/verify", headers=auth).json()
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        if schema:
            with admin_engine.connect() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin_engine.dispose()
    return {
        "backend": backend, "clients": clients, "notifications": writes, "baseline_health": baseline,
        "ratio_writes_to_baseline": round(writes["per_second"] / baseline["per_second"], 3),
        "ratio_p99_to_baseline": round(writes["p99_ms"] / max(baseline["p99_ms"], 0.1), 2),
        "audit_chain_ok": verified["ok"], "audit_entries": verified["entries"], "data_rows_ok": not verified.get("row_problems"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["postgresql", "sqlite", "both"], default="both")
    parser.add_argument("--requests", type=int, default=3000, help="at most this many requests per measurement")
    parser.add_argument("--seconds", type=float, default=20.0, help="at most this long per measurement")
    parser.add_argument("--clients", type=int, default=16, help="concurrent client connections")
    parser.add_argument("--out", type=Path, help="also write the results as JSON here")
    args = parser.parse_args()
    backends = ["postgresql", "sqlite"] if args.backend == "both" else [args.backend]
    results = [run_backend(b, args.requests, args.seconds, args.clients) for b in backends]
    print(f"{'backend':<11} {'notif/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} | {'health/s':>8} {'p50 ms':>7} {'p99 ms':>7} | rate ratio  p99 ratio  log")
    for r in results:
        w, b = r["notifications"], r["baseline_health"]
        print(f"{r['backend']:<11} {w['per_second']:>8} {w['p50_ms']:>7} {w['p99_ms']:>7} {w['errors']:>6} | {b['per_second']:>8} {b['p50_ms']:>7} {b['p99_ms']:>7} | "
              f"{r['ratio_writes_to_baseline']:<10} {r['ratio_p99_to_baseline']:<10} {'ok' if r['audit_chain_ok'] and r['data_rows_ok'] else 'BROKEN'} ({r['audit_entries']} entries)")
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
