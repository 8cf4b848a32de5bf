"""Service settings, read from the environment when the service starts (never at import).

Zero configuration: an embedded SQLite file and an Ed25519 signing key in ``./.safepassage/``.
``SAFEPASSAGE_DATABASE_URL=postgresql+psycopg://user:pass@host/db`` points at PostgreSQL instead.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

__all__ = ["Settings"]

PasswordHashProfile = Literal["default", "fast"]


@dataclass(frozen=True)
class Settings:
    """Everything the service needs to start. Build with ``Settings.from_env()`` or directly in tests.

    ``password_hash_profile``: ``default`` is argon2id with RFC 9106's low-memory parameters; ``fast``
    is a weak profile for test suites that create hundreds of users (never use it in a deployment).
    """

    data_dir: Path = Path(".safepassage")
    database_url: str | None = None
    signing_key_path: Path | None = None
    token_ttl_hours: float = 12.0
    password_hash_profile: PasswordHashProfile = "default"
    bootstrap_admin_password: str | None = field(default=None, repr=False)
    deployment_name: str = "safepassage"
    sql_echo: bool = False
    notice_hours: float = 48.0  # notice a movement notification should give (HNS); later is flagged, never blocked
    emergency_notice_hours: float = 24.0  # the same for one marked as an emergency

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from ``SAFEPASSAGE_*`` variables (``environ`` defaults to ``os.environ``)."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        if env.get("SAFEPASSAGE_DATA_DIR"):
            values["data_dir"] = Path(env["SAFEPASSAGE_DATA_DIR"])
        if env.get("SAFEPASSAGE_DATABASE_URL"):
            values["database_url"] = env["SAFEPASSAGE_DATABASE_URL"]
        if env.get("SAFEPASSAGE_SIGNING_KEY"):
            values["signing_key_path"] = Path(env["SAFEPASSAGE_SIGNING_KEY"])
        if env.get("SAFEPASSAGE_TOKEN_TTL_HOURS"):
            try:
                values["token_ttl_hours"] = float(env["SAFEPASSAGE_TOKEN_TTL_HOURS"])
            except ValueError:
                raise ValueError(f"SAFEPASSAGE_TOKEN_TTL_HOURS must be a number of hours, got {env['SAFEPASSAGE_TOKEN_TTL_HOURS']!r}") from None
        if env.get("SAFEPASSAGE_PASSWORD_HASH"):
            profile = env["SAFEPASSAGE_PASSWORD_HASH"]
            if profile not in ("default", "fast"):
                raise ValueError(f"SAFEPASSAGE_PASSWORD_HASH must be 'default' or 'fast', got {profile!r}")
            values["password_hash_profile"] = profile
        if env.get("SAFEPASSAGE_ADMIN_PASSWORD"):
            values["bootstrap_admin_password"] = env["SAFEPASSAGE_ADMIN_PASSWORD"]
        if env.get("SAFEPASSAGE_DEPLOYMENT"):
            values["deployment_name"] = env["SAFEPASSAGE_DEPLOYMENT"]
        for name, variable in (("notice_hours", "SAFEPASSAGE_NOTICE_HOURS"), ("emergency_notice_hours", "SAFEPASSAGE_EMERGENCY_NOTICE_HOURS")):
            if env.get(variable):
                try:
                    values[name] = float(env[variable])
                except ValueError:
                    raise ValueError(f"{variable} must be a number of hours, got {env[variable]!r}") from None
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    @property
    def resolved_database_url(self) -> str:
        """The database URL: the configured one, or an SQLite file in ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'safepassage.db').resolve()}"

    @property
    def resolved_signing_key_path(self) -> Path:
        """Where the deployment's Ed25519 private key lives (created on first start)."""
        return self.signing_key_path or self.data_dir / "audit-signing-key.pem"
