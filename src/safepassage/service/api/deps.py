"""Dependencies shared by the routes, as ``Annotated`` aliases: the services of this app instance,
the database session, the caller (``CurrentUser``) and role gates, and the idempotent ``Writer``.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException, Request, status
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordBearer
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from safepassage.service.audit import AuditLog, canonical_json
from safepassage.service.auth import Passwords, Principal, TokenCache, TokenHasher, allowed_roles, authenticate_token
from safepassage.service.batch import IDEMPOTENCY_KEY, WriteBatcher
from safepassage.service.db import Database
from safepassage.service.jobs import PlanJobs
from safepassage.service.limits import SignInLimiter
from safepassage.service.models import IdempotencyRecord
from safepassage.service.settings import Settings

__all__ = [
    "Services", "ServicesDep", "SessionDep", "CurrentUser", "Permitted", "UserAdmin", "OrganisationWriter", "PartyWriter", "DirectoryReader", "ScenarioWriter", "PlanWriter", "PlanReader", "MovementWriter", "MovementStatusWriter", "MovementReader", "NotificationWriter", "NotificationReader", "PartyLiaison", "EscalationReader", "EscalationSweeper", "EventRecorder", "EventReader", "AuditReader", "Writer", "WriterDep", "WriteOutcome", "IdempotencyKey",
]


@dataclass
class Services:
    """What one app instance owns (built by ``create_app``; tests build their own)."""

    settings: Settings
    db: Database
    audit: AuditLog
    passwords: Passwords
    tokens: TokenCache
    writes: WriteBatcher
    token_hasher: TokenHasher
    sign_ins: SignInLimiter
    jobs: PlanJobs

    def close(self) -> None:
        self.jobs.close()
        self.writes.close()
        self.db.dispose()


# Dependencies that do no blocking work are ``async``: FastAPI runs them on the event loop instead of
# handing each one to the thread pool (one hop per dependency per request adds up on the write path).


async def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_session(services: ServicesDep) -> Iterator[Session]:
    with services.db.read_session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="auth/token", auto_error=False)


def _authenticate(services: Services, token: str) -> Principal | None:
    with services.db.read_session() as session:
        return authenticate_token(session, token, services.token_hasher, services.tokens)


async def current_user(services: ServicesDep, token: Annotated[str | None, Depends(oauth2_scheme)]) -> Principal:
    principal = None
    if token:
        # A token verified in the last half second is in memory; otherwise check it (HMAC, database) off the loop.
        principal = services.tokens.get(token) or await run_in_threadpool(_authenticate, services, token)
    if principal is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "not authenticated: give a valid bearer token (POST /auth/token)", headers={"WWW-Authenticate": "Bearer"})
    return principal


CurrentUser = Annotated[Principal, Depends(current_user)]


def Permitted(action: str) -> Any:  # noqa: N802  (reads as a type in signatures)
    """``user: Permitted("notifications.write")``: the caller, if their role may do ``action`` (else 403)."""
    roles = allowed_roles(action)

    async def gate(user: CurrentUser) -> Principal:
        if user.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"role {user.role.value} may not {action.replace('.', ' ')} (allowed: {', '.join(sorted(r.value for r in roles))})")
        return user

    return Annotated[Principal, Depends(gate)]


# The caller, if their role may do the action (see ``auth.PERMISSIONS``).
UserAdmin = Permitted("users.manage")
OrganisationWriter = Permitted("organisations.write")
PartyWriter = Permitted("parties.write")
DirectoryReader = Permitted("directory.read")
ScenarioWriter = Permitted("scenarios.write")
PlanWriter = Permitted("plans.write")
PlanReader = Permitted("plans.read")
MovementWriter = Permitted("movements.write")
MovementStatusWriter = Permitted("movements.status")
MovementReader = Permitted("movements.read")
NotificationWriter = Permitted("notifications.write")
NotificationReader = Permitted("notifications.read")
PartyLiaison = Permitted("notifications.acknowledge")
EscalationReader = Permitted("escalations.read")
EscalationSweeper = Permitted("escalations.sweep")
EventRecorder = Permitted("events.write")
EventReader = Permitted("events.read")
AuditReader = Permitted("audit.read")


IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key", min_length=1, max_length=180, pattern=r"^[\x21-\x7e]+$",
        description="Required on every write: a unique key per logical request (e.g. a UUID). Retrying with the same key and body replays the first answer instead of writing twice.",
    ),
]


@dataclass(frozen=True)
class WriteOutcome:
    """What a write did: the object it wrote (type, id, public JSON) and the HTTP status to answer."""

    object_type: str
    object_id: int | str
    payload: Any
    status_code: int = status.HTTP_201_CREATED


class Writer:
    """Runs one write exactly once per (user, Idempotency-Key), with its audit entry, in one transaction.

    A stored answer for the key is replayed without doing anything. Otherwise the write runs, its audit
    entry is appended and the key is stored with the answer, all in one savepoint of the next group
    commit (``WriteBatcher``); the client hears 2xx only after that commit.
    """

    def __init__(self, services: Services, request: Request, key: str) -> None:
        self.services, self.request, self.key = services, request, key

    def part(self, index: int) -> Writer:
        """The writer of part ``index`` of a request written in several transactions (key ``<key>#<index>``)."""
        return Writer(self.services, self.request, f"{self.key}#{index}")

    def _request_hash(self, body: BaseModel | dict[str, Any] | None) -> str:
        data = body.model_dump(mode="json") if isinstance(body, BaseModel) else body
        return hashlib.sha256(canonical_json([self.request.method, self.request.url.path, data])).hexdigest()

    def _job(self, user: Principal, action: str, body: BaseModel | dict[str, Any] | None, perform: Callable[[Session], WriteOutcome]) -> Callable[[Session], JSONResponse]:
        request_hash = self._request_hash(body)

        def job(session: Session) -> JSONResponse:
            seen = session.info.get(IDEMPOTENCY_KEY)
            stored = seen.get((user.id, self.key)) if seen is not None else session.get(IdempotencyRecord, (user.id, self.key))
            if stored is not None:
                return self._replay(stored, request_hash)
            outcome = perform(session)
            self.services.audit.append(session, actor=user.username, action=action, object_type=outcome.object_type, object_id=outcome.object_id, payload=outcome.payload)
            # Claimed last: if a concurrent twin stored the key first this insert fails, the write rolls
            # back whole, and the next attempt replays the twin's answer.
            record = IdempotencyRecord(user_id=user.id, key=self.key, request_hash=request_hash, status_code=outcome.status_code, response=outcome.payload)
            session.add(record)
            if seen is None:
                session.flush()
            else:
                seen[(user.id, self.key)] = record  # a twin later in the same batch replays it
            return JSONResponse(outcome.payload, status_code=outcome.status_code)

        return job

    def run(self, user: Principal, action: str, body: BaseModel | dict[str, Any] | None, perform: Callable[[Session], WriteOutcome]) -> JSONResponse:
        """Run the write (from a worker thread) and answer once it has committed."""
        job = self._job(user, action, body, perform)
        for _attempt in range(3):
            try:
                return self.services.writes.submit(job, (user.id, self.key))
            except IntegrityError:
                continue  # a concurrent request with the same key (or a unique name) won: look again
        raise HTTPException(status.HTTP_409_CONFLICT, "the write conflicts with another one made at the same time (duplicate name or key); retry")

    async def arun(self, user: Principal, action: str, body: BaseModel | dict[str, Any] | None, perform: Callable[[Session], WriteOutcome]) -> JSONResponse:
        """``run`` for ``async`` routes: waits for the commit without holding a worker thread."""
        job = self._job(user, action, body, perform)
        for _attempt in range(3):
            try:
                return await asyncio.wrap_future(self.services.writes.submit_nowait(job, (user.id, self.key)))
            except IntegrityError:
                continue
        raise HTTPException(status.HTTP_409_CONFLICT, "the write conflicts with another one made at the same time (duplicate name or key); retry")

    @staticmethod
    def _replay(stored: IdempotencyRecord, request_hash: str) -> JSONResponse:
        if stored.request_hash != request_hash:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                [{"loc": ["header", "Idempotency-Key"], "msg": "this Idempotency-Key was already used for a different request; use a new key", "type": "idempotency_key_reused"}],
            )
        return JSONResponse(stored.response, status_code=stored.status_code, headers={"Idempotency-Replayed": "true"})


async def get_writer(services: ServicesDep, request: Request, key: IdempotencyKey) -> Writer:
    return Writer(services, request, key)


WriterDep = Annotated[Writer, Depends(get_writer)]
