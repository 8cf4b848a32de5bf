"""Fixtures for the service tests: every test gets its own database (an SQLite file in tmp_path, or a
fresh PostgreSQL schema), its own app, and users for every role.

PostgreSQL: ``SAFEPASSAGE_TEST_POSTGRES_URL`` (default: the database scripts/system-deps.d/20-postgresql.sh
creates). If it is unreachable the PostgreSQL tests FAIL, unless ``SAFEPASSAGE_SKIP_POSTGRES=1``.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from safepassage.service import Settings, create_app

DEFAULT_PG = "postgresql+psycopg://safepassage:safepassage@127.0.0.1:5432/safepassage_test"
ADMIN_PASSWORD = "admin-password-1"
PASSWORD = "password-123"
BACKENDS = ["sqlite", "postgresql"]


def postgres_url() -> str:
    return os.environ.get("SAFEPASSAGE_TEST_POSTGRES_URL", DEFAULT_PG)


_pg_checked: dict[str, str | None] = {}


def _require_postgres() -> None:
    if os.environ.get("SAFEPASSAGE_SKIP_POSTGRES") == "1":
        pytest.skip("SAFEPASSAGE_SKIP_POSTGRES=1: PostgreSQL tests skipped")
    if "error" not in _pg_checked:
        try:
            engine = create_engine(postgres_url())
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            engine.dispose()
            _pg_checked["error"] = None
        except Exception as exc:  # noqa: BLE001  (any failure to connect is reported the same way)
            _pg_checked["error"] = f"{type(exc).__name__}: {exc}".splitlines()[0]
    if _pg_checked["error"]:
        pytest.fail(
            f"PostgreSQL is unreachable at {postgres_url().split('@')[-1]} ({_pg_checked['error']}). "
            "Run `bash scripts/system-deps.d/20-postgresql.sh` (as root), set SAFEPASSAGE_TEST_POSTGRES_URL, "
            "or set SAFEPASSAGE_SKIP_POSTGRES=1 to skip the PostgreSQL half of the service tests.",
            pytrace=False,
        )


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A database of its own for this test: a new SQLite file, or a new PostgreSQL schema dropped after."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'safepassage.db'}"
        return
    _require_postgres()
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(postgres_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{postgres_url()}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url, signing_key_path=tmp_path / "keys" / "audit-signing-key.pem",
                    password_hash_profile="fast", bootstrap_admin_password=ADMIN_PASSWORD)


@dataclass
class Api:
    """A test client that signs in users and sends a fresh Idempotency-Key with every write."""

    client: TestClient
    tokens: dict[str, str] = field(default_factory=dict)

    def login(self, username: str, password: str = PASSWORD) -> str:
        response = self.client.post("/auth/token", data={"username": username, "password": password})
        assert response.status_code == 200, response.text
        self.tokens[username] = response.json()["access_token"]
        return self.tokens[username]

    def headers(self, username: str | None, key: str | None = None) -> dict[str, str]:
        out = {"Authorization": f"Bearer {self.tokens[username]}"} if username else {}
        if key is not None:
            out["Idempotency-Key"] = key
        return out

    def get(self, username: str | None, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, headers=self.headers(username), **kwargs)

    def write(self, username: str | None, method: str, path: str, body: Any = None, key: str | None = None) -> Any:
        return self.client.request(method, path, json=body, headers=self.headers(username, key or uuid.uuid4().hex))

    def post(self, username: str | None, path: str, body: Any = None, key: str | None = None) -> Any:
        return self.write(username, "POST", path, body, key)

    def created(self, username: str, path: str, body: Any = None) -> dict[str, Any]:
        response = self.post(username, path, body)
        assert response.status_code in (200, 201), f"{path}: {response.status_code} {response.text}"
        return response.json()

    def finished_job(self, username: str, response: Any, timeout_s: float = 180.0) -> Any:
        """Poll a plan job (a 202 answer) until it ends; the response of its result endpoint."""
        assert response.status_code == 202, f"{response.status_code} {response.text}"
        job = response.json()
        deadline = time.monotonic() + timeout_s
        while job["status"] in ("queued", "running"):
            assert time.monotonic() < deadline, f"plan job {job['id']} still {job['status']} after {timeout_s} s"
            time.sleep(0.1)
            job = self.get(username, job["status_url"]).json()
        return self.get(username, job["result_url"])

    def planned(self, username: str, path: str, body: Any) -> dict[str, Any]:
        """POST a plan or replan request and wait for its job: the plan."""
        result = self.finished_job(username, self.post(username, path, body))
        assert result.status_code == 200, result.text
        return result.json()


@pytest.fixture
def app(settings: Settings) -> Iterator[Any]:
    application = create_app(settings)
    yield application
    application.state.services.close()


@pytest.fixture
def api(app: Any) -> Iterator[Api]:
    with TestClient(app) as client:
        api = Api(client)
        api.login("admin", ADMIN_PASSWORD)
        yield api


@dataclass
class World:
    """Parties A and B, an organisation, and one signed-in user per role (two liaisons)."""

    api: Api
    party_a: int
    party_b: int
    users: dict[str, int]


ROLE_USERS = {"coord": "coordinator", "notifier": "notifier", "monitor": "monitor", "liaison-a": "party_liaison", "liaison-b": "party_liaison"}


@pytest.fixture
def world(api: Api) -> World:
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


TINY = Path(__file__).resolve().parents[1] / "scenarios" / "tiny.yaml"


def movement_body(**overrides: Any) -> dict[str, Any]:
    body = {"kind": "convoy", "reference": "C-1", "origin": "depot", "destination": "dp-south", "route": ["depot", "gate", "dp-south"],
            "departs": "2030-01-01T06:00:00Z", "arrives": "2030-01-01T08:00:00Z", "trucks": 3, "cargo": {"food": 3.0}}
    body.update(overrides)
    return body


def notification_body(party_ids: list[int], **overrides: Any) -> dict[str, Any]:
    body = {"kind": "site", "site": {"site_kind": "warehouse", "name": "Depot", "lat": 31.0, "lon": 34.0}, "party_ids": party_ids,
            "notice_hours": 24, "valid_from": "2030-01-01T00:00:00Z", "valid_until": "2030-01-31T00:00:00Z"}
    body.update(overrides)
    return body
