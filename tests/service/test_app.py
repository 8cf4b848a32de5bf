"""The app factory and settings: nothing built at import, zero configuration, OpenAPI documented
with the Idempotency-Key on every write, and a small public API."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import safepassage.service as service
from safepassage.service import Settings, create_app
from safepassage.service.db import Database
from tests.service.conftest import ADMIN_PASSWORD


def test_public_api_is_complete() -> None:
    assert sorted(service.__all__) == ["Settings", "build_services", "create_app"]
    assert all(hasattr(service, name) for name in service.__all__)


def test_settings_are_read_when_asked(tmp_path: Path) -> None:
    settings = Settings.from_env({"SAFEPASSAGE_DATA_DIR": str(tmp_path), "SAFEPASSAGE_TOKEN_TTL_HOURS": "2"})
    assert settings.token_ttl_hours == 2.0
    assert settings.resolved_database_url == f"sqlite:///{(tmp_path / 'safepassage.db').resolve()}"
    # The signing key lives outside the data directory by default (whoever rewrites the database must not hold it).
    assert not settings.signing_key_inside_data_dir
    assert settings.resolved_signing_key_path.name == "safepassage-audit-signing-key.pem"
    assert Settings(data_dir=tmp_path, signing_key_path=tmp_path / "k.pem").signing_key_inside_data_dir
    assert Settings.from_env({"SAFEPASSAGE_DATABASE_URL": "postgresql+psycopg://u:p@h/db"}).resolved_database_url == "postgresql+psycopg://u:p@h/db"
    with pytest.raises(ValueError, match="SAFEPASSAGE_TOKEN_TTL_HOURS must be a number"):
        Settings.from_env({"SAFEPASSAGE_TOKEN_TTL_HOURS": "soon"})
    for bad in ("nan", "inf", "-inf", "0", "-3"):
        with pytest.raises(ValueError, match="token_ttl_hours .* must be a finite number of hours"):
            Settings.from_env({"SAFEPASSAGE_TOKEN_TTL_HOURS": bad})
    with pytest.raises(ValueError, match="deployment_name .* must be letters"):
        Settings.from_env({"SAFEPASSAGE_DEPLOYMENT": "two words"})
    with pytest.raises(ValueError, match="SAFEPASSAGE_PASSWORD_HASH must be 'default' or 'fast'"):
        Settings.from_env({"SAFEPASSAGE_PASSWORD_HASH": "md5"})


def test_zero_configuration_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No settings at all: SQLite in ./.safepassage (0700, files 0600), a new key outside it, a generated admin password."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for name in ("SAFEPASSAGE_DATABASE_URL", "SAFEPASSAGE_DATA_DIR", "SAFEPASSAGE_ADMIN_PASSWORD", "SAFEPASSAGE_SIGNING_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SAFEPASSAGE_PASSWORD_HASH", "fast")
    app = create_app()
    password = app.state.generated_admin_password
    assert password and (tmp_path / ".safepassage" / "safepassage.db").exists()
    key = tmp_path / "config" / "safepassage" / "keys" / "safepassage-audit-signing-key.pem"
    assert key.stat().st_mode & 0o777 == 0o600
    assert not list((tmp_path / ".safepassage").glob("*.pem"))
    assert (tmp_path / ".safepassage").stat().st_mode & 0o777 == 0o700
    for file in (tmp_path / ".safepassage").iterdir():
        assert file.stat().st_mode & 0o777 == 0o600, file.name
    with TestClient(app) as client:
        assert client.post("/auth/token", data={"username": "admin", "password": password}).status_code == 200
        assert client.get("/docs").status_code == 200
    # A second start finds the admin and the key: nothing is generated again.
    again = create_app()
    assert again.state.generated_admin_password is None
    assert again.state.services.audit.public_key.public_bytes_raw() == app.state.services.audit.public_key.public_bytes_raw()


def test_migrations_are_idempotent(settings: Settings) -> None:
    database = Database(settings)
    database.migrate()
    database.migrate()
    database.dispose()


def test_every_write_documents_the_idempotency_key(app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app) as client:
        schema = client.get("/openapi.json").json()
    writes = [(path, method, op) for path, item in schema["paths"].items() for method, op in item.items() if method in ("post", "put", "patch", "delete")]
    assert len(writes) >= 15
    for path, method, operation in writes:
        if path == "/auth/token":
            continue
        headers = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "header"}
        assert headers.get("Idempotency-Key", {}).get("required") is True, f"{method.upper()} {path}"


def test_nul_character_is_bad_input_not_a_server_error(api) -> None:  # type: ignore[no-untyped-def]
    # Found by schemathesis on PostgreSQL, whose text fields cannot hold NUL: it must be a 422.
    response = api.client.post("/auth/token", data={"username": "a\x00b", "password": "x"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "username"]
    api.login("admin", ADMIN_PASSWORD)
    response = api.post("admin", "/organisations", {"name": "Relief\x00 Org"})
    assert response.status_code in (201, 422), response.text
