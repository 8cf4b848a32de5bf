"""The web UI, served by ``safepassage serve`` beside the API: server-rendered pages (Jinja2) with
small same-origin scripts (Leaflet, vis-timeline, Observable Plot with d3; vendored under ``static/vendor/``).

``install_web(app)`` adds the pages, the static files and the error pages to a service app. The pages
read and write only through the API (``api_client``), so they apply exactly its role and party checks.
Set ``SAFEPASSAGE_WEB_TILE_URL`` (e.g. ``https://tiles.example.org/{z}/{x}/{y}.png``) to draw a basemap
under the plan map; without it the map shows only the scenario's own geometry (fully offline).
"""

from __future__ import annotations

# The service package first: its app factory installs this UI (``safepassage.web.install``), and the
# pages read the service's models, so the service must be complete before any page module loads.
import safepassage.service  # noqa: F401,I001
from safepassage.web.install import install_web

__all__ = ["install_web"]
