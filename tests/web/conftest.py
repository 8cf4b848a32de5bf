"""Browser tests of the web UI: a real ``safepassage serve`` process on loopback (SQLite), seeded once
per session with the Gaza scenario and a plan of each proposal, driven by Playwright through Debian's
Chromium (never a downloaded browser).

Every page a test opens goes through ``Browse``: it records every request the page makes (all must go
to the server's own origin), checks the Content-Security-Policy header of every document, and can run
axe-core and take desktop and phone screenshots (``out/screenshots/``).
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.service.server import Server
from tests.web.seed import PASSWORD, World, seed, token

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"
ADMIN_PASSWORD = "an admin password for the web tests"
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 360, "height": 740}

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's Chromium is missing: run scripts/system-deps.sh"
)


@pytest.fixture(scope="session")
def world() -> Iterator[World]:
    if not CHROMIUM.exists() or shutil.which("timeout") is None:
        pytest.skip("Debian's Chromium (scripts/system-deps.sh) and coreutils' timeout are needed")
    # Our own folder, not pytest's numbered ones (which concurrent pytest runs prune) for the whole session.
    with tempfile.TemporaryDirectory(prefix="safepassage-web-") as folder:
        data = Path(folder)
        with Server(f"sqlite:///{data / 'web.db'}", data, ADMIN_PASSWORD, max_seconds=1200) as server:
            yield seed(server.url, ADMIN_PASSWORD)


@pytest.fixture(scope="session")
def browser(world: World) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Api:
    """The JSON API as one user (for setting up and for checking what the pages claim)."""

    def __init__(self, url: str, username: str, password: str = PASSWORD) -> None:
        self.client = httpx.Client(base_url=url, timeout=300)
        self.headers = {"Authorization": f"Bearer {token(self.client, username, password)}"}

    def get(self, path: str, **params: Any) -> Any:
        response = self.client.get(path, params=params, headers=self.headers)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, body: Any = None) -> Any:
        response = self.client.post(path, json=body, headers={**self.headers, "Idempotency-Key": str(uuid.uuid4())})
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope="session")
def api(world: World) -> Any:
    cache: dict[str, Api] = {}

    def as_user(username: str) -> Api:
        if username not in cache:
            cache[username] = Api(world.url, username, ADMIN_PASSWORD if username == "admin" else PASSWORD)
        return cache[username]

    return as_user


class Browse:
    """One browser context (one user, or nobody) with its request log and page checks."""

    def __init__(
        self,
        browser: Any,
        world: World,
        username: str | None,
        viewport: dict[str, int] = DESKTOP,
        javascript: bool = True,
    ) -> None:
        self.world = world
        self.context = browser.new_context(viewport=viewport, java_script_enabled=javascript)
        self.context_has_js = javascript
        self.requests: list[str] = []
        self.documents: list[tuple[str, int, dict[str, str]]] = []
        self.errors: list[str] = []
        self.context.on("request", lambda request: self.requests.append(request.url))
        self.context.on("response", self._response)
        self.page = self.context.new_page()
        # A document's own status is the test's business (a 404 page is expected); anything else that
        # fails to load, and every console error (a CSP violation is one), is a fault.
        self.page.on(
            "console",
            lambda m: self.errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None,
        )
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        if username:
            self.sign_in(username)

    def _response(self, response: Any) -> None:
        if response.request.resource_type == "document":
            self.documents.append((response.url, response.status, response.headers))
        elif response.status >= 400:
            self.errors.append(f"{response.status} for {response.url}")

    def sign_in(self, username: str, password: str = PASSWORD) -> None:
        self.page.goto(self.world.url + "/login")
        self.page.fill("#username", username)
        self.page.fill("#password", password)
        self.page.click("main button[type=submit]")
        self.page.wait_for_load_state()

    def open(self, path: str) -> Any:
        return self.page.goto(self.world.url + path)

    def axe(self) -> list[dict[str, Any]]:
        """Serious and critical axe-core violations of the current page (WCAG 2.x A and AA rules)."""
        if not self.page.evaluate("() => typeof window.axe !== 'undefined'"):
            self.page.evaluate(
                AXE.read_text(encoding="utf-8")
            )  # evaluated by the driver: not subject to the page's CSP
        result = self.page.evaluate(
            "() => axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
        )
        return [
            {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"][:3]]}
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]

    def screenshots(self, name: str, full_page: bool = False) -> None:
        """The current page at desktop and at 360-px phone size, under out/screenshots/."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
            self.page.set_viewport_size(size)
            if self.context_has_js:
                self.page.evaluate(
                    "() => window.scrollTo(0, 0)"
                )  # the top of the page, not where the last field left it
            self.page.wait_for_timeout(300)
            self.page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=full_page)
        self.page.set_viewport_size(DESKTOP)

    def check(self) -> None:
        """Every request went to the server's own origin; every page had the CSP; no console error."""
        own = urlsplit(self.world.url).netloc
        foreign = [
            u
            for u in self.requests
            if urlsplit(u).scheme in ("http", "https", "ws", "wss") and urlsplit(u).netloc != own
        ]
        assert not foreign, f"requests to other hosts: {foreign[:5]}"
        missing = [
            url
            for url, _status, headers in self.documents
            if "script-src 'self'" not in headers.get("content-security-policy", "")
        ]
        assert not missing, f"pages without the Content-Security-Policy: {missing}"
        assert not self.errors, f"console errors (a CSP violation is one): {self.errors[:5]}"

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def browse(browser: Any, world: World) -> Iterator[Any]:
    opened: list[Browse] = []

    def make(username: str | None, **kwargs: Any) -> Browse:
        b = Browse(browser, world, username, **kwargs)
        opened.append(b)
        return b

    yield make
    try:
        for b in opened:
            b.check()
    finally:
        for b in opened:
            b.close()


def best_plan(world: World) -> dict[str, Any]:
    """The plan with the highest objective among the seeded Gaza plans (what the compare page stars)."""
    return max(world.plans.values(), key=lambda p: p["summary"]["objective"])
