"""Service settings, read from the environment when the service starts (never at import).

Zero configuration: an embedded SQLite file in ``./.safepassage/`` (mode 0700) and the Ed25519 signing key
of the audit log OUTSIDE it, in ``$XDG_CONFIG_HOME/safepassage/keys/`` (default ``~/.config/...``), so
that whoever copies or edits the database does not also hold the key that signs its checkpoints.
``SAFEPASSAGE_DATABASE_URL=postgresql+psycopg://user:pass@host/db`` points at PostgreSQL instead.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

__all__ = ["Settings"]

PasswordHashProfile = Literal["default", "fast"]
DEPLOYMENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
NUMBERS: dict[str, tuple[str, type[int] | type[float], str]] = {  # variable: (field, type, what the value counts)
    "SAFEPASSAGE_MAX_BODY_BYTES": ("max_body_bytes", int, "a whole number of bytes"),
    "SAFEPASSAGE_SCENARIO_MAX_BYTES": ("scenario_max_bytes", int, "a whole number of bytes"),
    "SAFEPASSAGE_SCENARIO_MAX_ALIASES": ("scenario_max_aliases", int, "a whole number of aliases"),
    "SAFEPASSAGE_PLAN_JOB_MEMORY_MB": ("plan_job_memory_mb", int, "a whole number of megabytes"),
    "SAFEPASSAGE_PLAN_JOB_TIME_LIMIT_S": ("plan_job_time_limit_s", float, "a number of seconds"),
    "SAFEPASSAGE_PLAN_JOB_CONCURRENCY": ("plan_job_concurrency", int, "a whole number of jobs"),
    "SAFEPASSAGE_SIGN_IN_FAILURES_BEFORE_DELAY": ("sign_in_failures_before_delay", int, "a whole number of failures"),
    "SAFEPASSAGE_NOTICE_HOURS": ("notice_hours", float, "a number of hours"),
    "SAFEPASSAGE_EMERGENCY_NOTICE_HOURS": ("emergency_notice_hours", float, "a number of hours"),
}


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
    max_body_bytes: int = 4_000_000
    scenario_max_bytes: int = 2_000_000
    scenario_max_aliases: int = 100
    plan_job_memory_mb: int = 1500
    plan_job_time_limit_s: float = 300.0
    plan_job_concurrency: int = 1
    dask_scheduler_address: str | None = None
    sign_in_failures_before_delay: int = 5
    sign_in_max_delay_s: float = 900.0

    def __post_init__(self) -> None:
        ttl = self.token_ttl_hours
        if not isinstance(ttl, (int, float)) or not math.isfinite(ttl) or not 0 < ttl <= 24 * 365:
            raise ValueError(f"token_ttl_hours (SAFEPASSAGE_TOKEN_TTL_HOURS) must be a finite number of hours in (0, 8760], got {ttl!r}")
        if not DEPLOYMENT_NAME.match(self.deployment_name):
            raise ValueError(f"deployment_name (SAFEPASSAGE_DEPLOYMENT) must be letters, digits and . _ - (it names the audit log), got {self.deployment_name!r}")
        for name in ("max_body_bytes", "scenario_max_bytes", "plan_job_memory_mb", "plan_job_concurrency"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)!r}")
        for name in ("plan_job_time_limit_s", "sign_in_max_delay_s", "notice_hours", "emergency_notice_hours"):
            value = getattr(self, name)
            if not math.isfinite(value) or value <= 0:
                raise ValueError(f"{name} must be a positive, finite number (seconds or hours, as its name says), got {value!r}")

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
        if env.get("SAFEPASSAGE_DASK_SCHEDULER"):
            values["dask_scheduler_address"] = env["SAFEPASSAGE_DASK_SCHEDULER"]
        for variable, (name, kind, unit) in NUMBERS.items():
            if env.get(variable):
                try:
                    values[name] = kind(env[variable])
                except ValueError:
                    raise ValueError(f"{variable} must be {unit}, got {env[variable]!r}") from None
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
        """Where the deployment's Ed25519 private key lives (created on first start): outside the data directory."""
        if self.signing_key_path:
            return self.signing_key_path
        config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
        return config / "safepassage" / "keys" / f"{self.deployment_name}-audit-signing-key.pem"

    @property
    def signing_key_inside_data_dir(self) -> bool:
        """True when the key sits in the data directory (or next to the SQLite file): whoever can rewrite
        the database can then re-sign it too."""
        key = self.resolved_signing_key_path.resolve()
        folders = [self.data_dir.resolve()]
        if self.resolved_database_url.startswith("sqlite:///"):
            folders.append(Path(self.resolved_database_url.removeprefix("sqlite:///")).resolve().parent)
        return any(folder == key.parent or folder in key.parents for folder in folders)
