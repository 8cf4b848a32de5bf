"""Database engines and sessions, built from ``Settings`` by ``Database`` (never at import time).

SQLite (the embedded default) runs in WAL mode with ``synchronous=FULL``; write transactions open with
``BEGIN IMMEDIATE`` so concurrent writers queue on the busy timeout instead of failing on a lock
upgrade. PostgreSQL needs nothing special: the audit head row lock serialises the chain.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from safepassage.service.settings import Settings

__all__ = ["Database", "alembic_config"]


def _sqlite_engine(url: str, *, immediate: bool, echo: bool) -> Engine:
    engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=8, max_overflow=16)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Take transaction control from pysqlite so BEGIN is ours (see module docstring).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def private_file(path: Path) -> None:
    """Create the SQLite file's folder (0700) and the file itself (0600) before SQLite opens it: its
    WAL and shared-memory files take the database file's mode, so no other local user can read
    password hashes or stored answers (which may hold exact site positions)."""
    folder = path.parent
    if not folder.exists():
        folder.mkdir(parents=True, mode=0o700)
        os.chmod(folder, 0o700)  # mkdir's mode is filtered by the umask
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(descriptor)
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)
    for suffix in ("-wal", "-shm"):
        sidecar = path.with_name(path.name + suffix)
        if sidecar.exists() and sidecar.stat().st_mode & 0o077:
            os.chmod(sidecar, 0o600)


class Database:
    """The engines and session factories of one service instance.

    ``read_session()`` for queries, ``write_session()`` for transactions that write (on SQLite they
    take the write lock at BEGIN). On PostgreSQL both use one engine.
    """

    def __init__(self, settings: Settings) -> None:
        self.url = settings.resolved_database_url
        self.is_sqlite = self.url.startswith("sqlite")
        if self.is_sqlite:
            path = self.url.split("///", 1)[1] if "///" in self.url else ""
            if path and path != ":memory:" and not path.startswith("file:"):
                private_file(Path(path.split("?", 1)[0]))
            self.engine = _sqlite_engine(self.url, immediate=False, echo=settings.sql_echo)
            self.write_engine = _sqlite_engine(self.url, immediate=True, echo=settings.sql_echo)
        else:
            self.engine = create_engine(self.url, echo=settings.sql_echo, pool_size=20, max_overflow=20, pool_recycle=1800)
            self.write_engine = self.engine
        self._reads = sessionmaker(self.engine, expire_on_commit=False)
        self._writes = sessionmaker(self.write_engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def read_session(self) -> Session:
        return self._reads()

    def write_session(self) -> Session:
        return self._writes()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write session committed on success, rolled back on error."""
        with self.write_session() as session:
            with session.begin():
                yield session

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision (idempotent)."""
        with self.write_engine.begin() as connection:
            config = alembic_config(self.url)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def dispose(self) -> None:
        self.engine.dispose()
        if self.write_engine is not self.engine:
            self.write_engine.dispose()


def alembic_config(url: str) -> Config:
    """An Alembic configuration for the packaged migrations, pointed at ``url``."""
    migrations = resources.files("safepassage.service").joinpath("migrations")
    config = Config()
    config.set_main_option("script_location", str(migrations))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config
