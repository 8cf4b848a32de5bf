"""The FastAPI application factory. Nothing is built at import: ``create_app(settings)`` makes the
engine, migrates the schema, loads (or creates) the signing key and, on an empty database, the first
admin. Tests build one app per database.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from safepassage.service.api import (
    audit,
    directory,
    hns,
    incidents,
    monte_carlo,
    movements,
    notifications,
    plans,
    sites,
)
from safepassage.service.api.deps import Services
from safepassage.service.api.inputs import method_not_allowed_handler, strict_json_body, validation_error_handler
from safepassage.service.audit import AuditLog, load_or_create_signing_key
from safepassage.service.auth import Passwords, Role, TokenCache, TokenHasher
from safepassage.service.batch import WriteBatcher
from safepassage.service.db import Database
from safepassage.service.jobs import PlanJobs
from safepassage.service.limits import SignInLimiter
from safepassage.service.middleware import BodyLimit, CheckpointHeader
from safepassage.service.models import User
from safepassage.service.password_policy import password_problem
from safepassage.service.schemas import UserPublic
from safepassage.service.settings import Settings
from safepassage.web.install import install_web

__all__ = ["create_app", "build_services", "ensure_admin"]

log = logging.getLogger(__name__)

DESCRIPTION = """Coordination of humanitarian pauses: notifications of movements and sites to the parties,
acknowledgments, escalation, the event record, re-planning, and a tamper-evident audit log.

Sign in with `POST /auth/token` (OAuth2 password flow) and send `Authorization: Bearer <token>`.
Every write needs an `Idempotency-Key` header; a retry with the same key replays the first answer.
Notification is not permission: a missing acknowledgment is escalated, never a block."""


class ErrorPublic(BaseModel):
    """Every error answer: a sentence, or (422) a list of problems each naming its field."""

    detail: str | list[dict[str, Any]]


# Documented on every route, so clients (and schemathesis) know every status the service may answer.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorPublic, "description": "Not signed in, or the token is unknown, expired or revoked"},
    403: {"model": ErrorPublic, "description": "The caller's role may not do this"},
    404: {"model": ErrorPublic, "description": "No such object (or not visible to a party liaison)"},
    409: {"model": ErrorPublic, "description": "Conflicts with the current state (a forbidden transition, a duplicate, a job not finished)"},
    413: {"model": ErrorPublic, "description": "The request body is larger than SAFEPASSAGE_MAX_BODY_BYTES"},
    429: {"model": ErrorPublic, "description": "Too many attempts: wait Retry-After seconds",
          "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait"}}},
}


def build_services(settings: Settings, *, migrate: bool = True) -> Services:
    db = Database(settings)
    if migrate:
        db.migrate()
    if settings.signing_key_inside_data_dir:
        log.warning("SECURITY: the audit signing key %s is inside the data directory: anyone who can rewrite the database can "
                    "also re-sign it. Move it elsewhere and set SAFEPASSAGE_SIGNING_KEY.", settings.resolved_signing_key_path)
    key = load_or_create_signing_key(settings.resolved_signing_key_path)
    audit_log = AuditLog(key, settings.deployment_name)
    if migrate:
        with db.write_session() as session:
            audit_log.refresh(session)
    token_key = hmac.new(key.private_bytes_raw(), b"safepassage bearer-token key", hashlib.sha256).digest()
    return Services(
        settings=settings, db=db, audit=audit_log, passwords=Passwords(settings.password_hash_profile), tokens=TokenCache(),
        writes=WriteBatcher(db, audit_log), token_hasher=TokenHasher(token_key),
        sign_ins=SignInLimiter(settings.sign_in_failures_before_delay, settings.sign_in_max_delay_s), jobs=PlanJobs(settings),
    )


def ensure_admin(services: Services, username: str = "admin", password: str | None = None) -> str | None:
    """Create the first admin if there are no users. Returns the generated password (to be shown once), or
    None when there were users already or the password was chosen (a chosen password is never echoed).
    A chosen password must pass the password policy (``ValueError`` naming SAFEPASSAGE_ADMIN_PASSWORD)."""
    with services.db.read_session() as session:
        if session.execute(select(User.id).limit(1)).first():
            return None
    generated = password is None
    if password is not None:
        problem = password_problem(password, username=username, context=("safepassage", services.settings.deployment_name))
        if problem:
            raise ValueError(f"SAFEPASSAGE_ADMIN_PASSWORD {problem}")
    password = password or secrets.token_urlsafe(18)
    password_hash = services.passwords.hash(password)  # slow on purpose: outside the transaction
    with services.db.transaction() as session:
        if session.execute(select(User.id).limit(1)).first():
            return None
        admin = User(username=username, full_name="Administrator", role=Role.admin.value, password_hash=password_hash)
        session.add(admin)
        session.flush()
        services.audit.append(session, actor="system", action="user.create", object_type="user", object_id=admin.id, payload=UserPublic.model_validate(admin).model_dump(mode="json"))
        note = session.info.get("safepassage.checkpoint")
    services.audit.publish(note)
    return password if generated else None


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """A new app over ``settings`` (default: ``Settings.from_env()`` read now), or over ready ``services``."""
    services = services or build_services(settings or Settings.from_env())
    generated = ensure_admin(services, password=services.settings.bootstrap_admin_password)
    if generated:
        log.warning("created the first admin 'admin' with a generated password (shown once by `safepassage serve`; change it: PATCH /users/1)")

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

    for module in (directory, plans, monte_carlo, movements, notifications, hns, sites, incidents, audit):
        app.include_router(module.router, dependencies=[Depends(strict_json_body)], responses=ERROR_RESPONSES)
    app.add_exception_handler(DataError, _unstorable_value)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, method_not_allowed_handler)
    install_web(app)  # the web UI (pages, static files): issue 13
    app.add_middleware(CheckpointHeader, current=lambda: services.audit.latest_checkpoint)
    app.add_middleware(BodyLimit, max_bytes=services.settings.max_body_bytes)
    return app


async def _unstorable_value(request: Request, exc: Exception) -> JSONResponse:
    """A value the database refuses (PostgreSQL: a NUL character in text, a number out of range) is
    the client's bad input, not a server fault: 422, saying what kind of value to fix."""
    reason = str(getattr(exc, "orig", exc)).splitlines()[0]
    return JSONResponse(status_code=422, content={"detail": [{"loc": ["body"], "msg": f"a value cannot be stored: {reason}", "type": "value_error"}]})
