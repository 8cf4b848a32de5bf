"""Passwords, bearer tokens, roles and the permission matrix.

Passwords and token secrets are hashed with argon2id; a token is ``<id>.<secret>`` and only the hash
of the secret is stored. A verified token is remembered in memory (by its SHA-256) for
``CACHE_SECONDS`` so a busy client does not pay one argon2 verification per request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.profiles import RFC_9106_LOW_MEMORY
from sqlalchemy.orm import Session

from safepassage.service.models import ApiToken, User, utcnow

__all__ = ["Role", "Principal", "PERMISSIONS", "allowed_roles", "Passwords", "TokenCache", "issue_token", "authenticate_token", "CACHE_SECONDS"]

CACHE_SECONDS = 30.0


class Role(StrEnum):
    admin = "admin"
    coordinator = "coordinator"
    notifier = "notifier"
    party_liaison = "party_liaison"
    monitor = "monitor"


R = Role
ALL_ROLES = frozenset(Role)
STAFF = frozenset({R.admin, R.coordinator, R.notifier, R.monitor})

# action -> roles allowed. Party liaisons additionally see only what is addressed to their party.
PERMISSIONS: dict[str, frozenset[Role]] = {
    "users.manage": frozenset({R.admin}),
    "organisations.write": frozenset({R.admin}),
    "parties.write": frozenset({R.admin, R.coordinator}),
    "directory.read": ALL_ROLES,
    "scenarios.write": frozenset({R.admin, R.coordinator}),
    "plans.write": frozenset({R.admin, R.coordinator}),
    "plans.read": STAFF,
    "movements.write": frozenset({R.admin, R.coordinator, R.notifier}),
    "movements.status": frozenset({R.admin, R.coordinator, R.monitor}),
    "movements.read": STAFF,
    "notifications.write": frozenset({R.admin, R.coordinator, R.notifier}),
    "notifications.read": ALL_ROLES,
    "notifications.acknowledge": frozenset({R.party_liaison}),
    "escalations.read": STAFF,
    "escalations.sweep": frozenset({R.admin, R.coordinator, R.notifier}),
    "events.write": frozenset({R.admin, R.coordinator, R.monitor}),
    "events.read": STAFF,
    "audit.read": frozenset({R.admin, R.coordinator, R.monitor}),
}


def allowed_roles(action: str) -> frozenset[Role]:
    return PERMISSIONS[action]


@dataclass(frozen=True)
class Principal:
    """Who is calling: the authenticated user as the request sees it."""

    id: int
    username: str
    role: Role
    party_id: int | None
    organisation_id: int | None


def principal_of(user: User) -> Principal:
    return Principal(user.id, user.username, Role(user.role), user.party_id, user.organisation_id)


class Passwords:
    """argon2id hashing with the deployment's profile (see ``Settings.password_hash_profile``)."""

    def __init__(self, profile: str = "default") -> None:
        if profile == "fast":
            self._hasher = PasswordHasher(time_cost=1, memory_cost=256, parallelism=1)
        else:
            self._hasher = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)
        # A hash to verify against when the user does not exist, so timing does not tell usernames apart.
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    def hash(self, secret: str) -> str:
        return self._hasher.hash(secret)

    def verify(self, hashed: str | None, secret: str) -> bool:
        try:
            return self._hasher.verify(hashed or self._dummy, secret) and hashed is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


class TokenCache:
    """Recently verified tokens: SHA-256 of the token -> (principal, token expiry, cached at)."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self._entries: dict[str, tuple[Principal, dt.datetime, float]] = {}
        self._lock = threading.Lock()
        self._max = max_entries

    @staticmethod
    def _digest(token: str) -> str:
        return hashlib.sha256(token.encode("utf-8")).hexdigest()

    def get(self, token: str) -> Principal | None:
        digest = self._digest(token)
        with self._lock:
            hit = self._entries.get(digest)
            if hit is None:
                return None
            principal, expires_at, cached_at = hit
            if time.monotonic() - cached_at > CACHE_SECONDS or expires_at <= utcnow():
                del self._entries[digest]
                return None
            return principal

    def put(self, token: str, principal: Principal, expires_at: dt.datetime) -> None:
        with self._lock:
            if len(self._entries) >= self._max:
                self._entries.clear()
            self._entries[self._digest(token)] = (principal, expires_at, time.monotonic())

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def issue_token(session: Session, user: User, passwords: Passwords, ttl_hours: float) -> tuple[str, ApiToken]:
    """A new bearer token for ``user`` (the plain token is returned once and never stored)."""
    token_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    record = ApiToken(id=token_id, user_id=user.id, secret_hash=passwords.hash(secret), expires_at=utcnow() + dt.timedelta(hours=ttl_hours))
    session.add(record)
    return f"{token_id}.{secret}", record


def authenticate_token(session: Session, token: str, passwords: Passwords, cache: TokenCache) -> Principal | None:
    """The principal a bearer token stands for, or None (unknown, revoked, expired, inactive user)."""
    cached = cache.get(token)
    if cached is not None:
        return cached
    token_id, _, secret = token.partition(".")
    if not token_id or not secret or len(token_id) > 32:
        return None
    record = session.get(ApiToken, token_id)
    if record is None or record.revoked or record.expires_at <= utcnow():
        return None
    if not passwords.verify(record.secret_hash, secret):
        return None
    user = session.get(User, record.user_id)
    if user is None or not user.active:
        return None
    principal = principal_of(user)
    cache.put(token, principal, record.expires_at)
    return principal
