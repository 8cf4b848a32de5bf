"""Passwords, bearer tokens, roles and the permission matrix.

Passwords are hashed with argon2id, always outside any database transaction and at most
``Passwords.concurrency`` at a time (a flood of sign-ins queues for a slot instead of taking every
core). A token is ``<id>.<secret>`` with a 256-bit random secret; only HMAC-SHA256 of the secret under
the deployment's token key is stored (a high-entropy secret needs no slow hash, and a keyed one is
useless to whoever reads the table without the key). A verified token is remembered in memory for
``CACHE_SECONDS`` (0.5 s), so a revocation made by another instance on the same database takes effect
within a second.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.profiles import RFC_9106_LOW_MEMORY
from sqlalchemy import update
from sqlalchemy.orm import Session

from safepassage.service.models import ApiToken, User, utcnow

__all__ = [
    "CACHE_SECONDS", "PERMISSIONS", "Passwords", "Principal", "Role", "TokenCache", "TokenHasher", "allowed_roles", "authenticate_token",
    "issue_token", "revoke_user_tokens",
]

CACHE_SECONDS = 0.5


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
    token_id: str | None = None


def principal_of(user: User, token_id: str | None = None) -> Principal:
    return Principal(user.id, user.username, Role(user.role), user.party_id, user.organisation_id, token_id)


class Passwords:
    """argon2id hashing with the deployment's profile (see ``Settings.password_hash_profile``)."""

    def __init__(self, profile: str = "default", concurrency: int | None = None) -> None:
        if profile == "fast":
            self._hasher = PasswordHasher(time_cost=1, memory_cost=256, parallelism=1)
        else:
            self._hasher = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)
        self.concurrency = concurrency or max(1, (os.cpu_count() or 2) // 2)
        self._slots = threading.BoundedSemaphore(self.concurrency)
        # Hashing runs on threads of lower priority (and argon2's lane threads inherit it), so a flood of
        # sign-ins yields the processor to the writes and reads of signed-in users.
        self._pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="safepassage-argon2", initializer=_lower_priority)
        # A hash to verify against when the user does not exist, so timing does not tell usernames apart.
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    def hash(self, secret: str) -> str:
        self._slots.acquire()
        try:
            return self._pool.submit(self._hasher.hash, secret).result()
        finally:
            self._slots.release()

    def _check(self, hashed: str | None, secret: str) -> bool:
        try:
            return self._hasher.verify(hashed or self._dummy, secret) and hashed is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def verify(self, hashed: str | None, secret: str, wait_s: float | None = None) -> bool:
        """True if ``secret`` matches ``hashed``. With ``wait_s``, raise ``TimeoutError`` if no hashing
        slot frees up in time (the caller answers 429 rather than queueing without end)."""
        if not self._slots.acquire(timeout=wait_s if wait_s is not None else -1):
            raise TimeoutError("every password-hashing slot is busy")
        try:
            return self._pool.submit(self._check, hashed, secret).result()
        finally:
            self._slots.release()


def _lower_priority() -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)  # Linux: per thread
    except (AttributeError, OSError):
        pass


class TokenHasher:
    """HMAC-SHA256 of token secrets (and of other secrets that must be compared, never stored) under a
    key derived from the deployment's signing key, so every instance of a deployment agrees on it."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def digest(self, secret: str, purpose: str = "token") -> str:
        return hmac.new(self._key, f"{purpose}\x00{secret}".encode(), hashlib.sha256).hexdigest()

    def matches(self, stored: str, secret: str) -> bool:
        return hmac.compare_digest(stored, self.digest(secret))


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


def issue_token(session: Session, user_id: int, hasher: TokenHasher, ttl_hours: float) -> tuple[str, ApiToken]:
    """A new bearer token for user ``user_id`` (the plain token is returned once and never stored)."""
    token_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    record = ApiToken(id=token_id, user_id=user_id, secret_hash=hasher.digest(secret), created_at=utcnow(),
                      expires_at=utcnow() + dt.timedelta(hours=ttl_hours))
    session.add(record)
    return f"{token_id}.{secret}", record


def revoke_user_tokens(session: Session, user_id: int) -> int:
    """Revoke every live token of a user (password change, disabling, an admin's revocation); how many."""
    result = session.execute(update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked.is_(False)).values(revoked=True))
    return int(getattr(result, "rowcount", 0) or 0)


def authenticate_token(session: Session, token: str, hasher: TokenHasher, cache: TokenCache) -> Principal | None:
    """The principal a bearer token stands for, or None (unknown, revoked, expired, inactive user)."""
    cached = cache.get(token)
    if cached is not None:
        return cached
    token_id, _, secret = token.partition(".")
    if not token_id or not secret or len(token_id) > 32 or len(secret) > 100:
        return None
    record = session.get(ApiToken, token_id)
    if record is None or record.revoked or record.expires_at <= utcnow():
        return None
    if not hasher.matches(record.secret_hash, secret):
        return None
    user = session.get(User, record.user_id)
    if user is None or not user.active:
        return None
    principal = principal_of(user, token_id)
    cache.put(token, principal, record.expires_at)
    return principal
