"""The FastAPI application factory. Nothing is built at import: ``create_app(settings)`` makes the
engine, migrates the schema, loads (or creates) the signing key and, on an empty database, the first
admin. Tests build one app per database.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from sqlalchemy import select

from safepassage.service.api import audit, directory, hns, incidents, movements, notifications, plans, sites
from safepassage.service.api.deps import Services
from safepassage.service.audit import AuditLog, load_or_create_signing_key
from safepassage.service.auth import Passwords, Role, TokenCache
from safepassage.service.batch import WriteBatcher
from safepassage.service.db import Database
from safepassage.service.models import User
from safepassage.service.settings import Settings
from safepassage.web.install import install_web

__all__ = ["create_app", "build_services", "ensure_admin"]

log = logging.getLogger(__name__)

DESCRIPTION = """Coordination of humanitarian pauses: notifications of movements and sites to the parties,
acknowledgments, escalation, the event record, re-planning, and a tamper-evident audit log.

Sign in with `POST /auth/token` (OAuth2 password flow) and send `Authorization: Bearer <token>`.
Every write needs an `Idempotency-Key` header; a retry with the same key replays the first answer.
Notification is not permission: a missing acknowledgment is escalated, never a block."""


def build_services(settings: Settings, *, migrate: bool = True) -> Services:
    db = Database(settings)
    if migrate:
        db.migrate()
    key = load_or_create_signing_key(settings.resolved_signing_key_path)
    return Services(settings=settings, db=db, audit=AuditLog(key, settings.deployment_name), passwords=Passwords(settings.password_hash_profile), tokens=TokenCache(), writes=WriteBatcher(db))


def ensure_admin(services: Services, username: str = "admin", password: str | None = None) -> str | None:
    """Create the first admin if there are no users; returns the password used (generated if not given)."""
    with services.db.transaction() as session:
        if session.execute(select(User.id).limit(1)).first():
            return None
        password = password or secrets.token_urlsafe(18)
        admin = User(username=username, full_name="Administrator", role=Role.admin.value, password_hash=services.passwords.hash(password))
        session.add(admin)
        session.flush()
        services.audit.append(session, actor="system", action="user.create", object_type="user", object_id=admin.id, payload={"id": admin.id, "username": username, "role": "admin"})
        return password


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """A new app over ``settings`` (default: ``Settings.from_env()`` read now), or over ready ``services``."""
    services = services or build_services(settings or Settings.from_env())
    generated = ensure_admin(services, password=services.settings.bootstrap_admin_password)
    if generated and not services.settings.bootstrap_admin_password:
        log.warning("created the first admin: username 'admin', password %s (change it: PATCH /users/1)", generated)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        services.close()

    app = FastAPI(title="Safe Passage coordination service", version="1", description=DESCRIPTION, lifespan=lifespan)
    app.state.services = services
    app.state.generated_admin_password = generated

    @app.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        """Liveness: no database access."""
        return {"status": "ok"}

    for module in (directory, plans, movements, notifications, hns, sites, incidents, audit):
        app.include_router(module.router)
    app.add_exception_handler(DataError, _unstorable_value)
    install_web(app)  # the web UI (pages, static files): issue 13
    return app


async def _unstorable_value(request: Request, exc: Exception) -> JSONResponse:
    """A value the database refuses (PostgreSQL: a NUL character in text, a number out of range) is
    the client's bad input, not a server fault: 422, saying what kind of value to fix."""
    reason = str(getattr(exc, "orig", exc)).splitlines()[0]
    return JSONResponse(status_code=422, content={"detail": [{"loc": ["body"], "msg": f"a value cannot be stored: {reason}", "type": "value_error"}]})
