"""The coordination service: FastAPI over SQLAlchemy, SQLite by default and PostgreSQL for a shared
deployment; roles and party isolation; an append-only, hash-chained, signed audit log.

>>> from safepassage.service import Settings, create_app
>>> app = create_app(Settings(data_dir=Path("/tmp/sp")))        # doctest: +SKIP
"""

from safepassage.service.app import build_services, create_app
from safepassage.service.settings import Settings

__all__ = ["Settings", "build_services", "create_app"]
