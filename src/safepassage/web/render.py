"""Rendering pages: the Jinja2 environment, the signed-in caller, and HTML responses that carry the
security headers. Templates autoescape everything; no template contains a script body.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from safepassage.web.api_client import ApiClient, ApiError
from safepassage.web.assets import asset_url
from safepassage.web.security import SESSION_COOKIE, csrf_token, security_headers

__all__ = [
    "WebUser",
    "templates",
    "page",
    "redirect",
    "signed_in",
    "anonymous_api",
    "tile_origin",
    "fmt_time",
    "fmt_number",
    "timer_in_words",
]

TEMPLATES = Path(__file__).parent / "templates"


def fmt_time(value: str | dt.datetime | None, with_zone: bool = True) -> str:
    """An ISO time as ``2023-11-24 10:00 UTC`` (always UTC in staff pages; the public page uses local time)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str) and len(value) >= 17 and value.endswith(("Z", "+00:00")) and value[10] == "T":
        return value[:10] + " " + value[11:16] + (" UTC" if with_zone else "")  # already UTC: no parsing (long tables)
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M") + (" UTC" if with_zone and moment.tzinfo is not None else "")


def timer_in_words(due: dt.datetime, now: dt.datetime) -> str:
    """A deadline from ``now`` (both aware): ``due in 3 h 5 min`` or ``overdue by 2 h 0 min``; past two days
    in days and hours (``overdue by 1,109 d 2 h``), since minutes mean nothing there.

    >>> import datetime as dt
    >>> timer_in_words(dt.datetime(2024, 1, 1, 12, tzinfo=dt.UTC), dt.datetime(2024, 1, 1, 8, 55, tzinfo=dt.UTC))
    'due in 3 h 5 min'
    >>> timer_in_words(dt.datetime(2024, 1, 1, tzinfo=dt.UTC), dt.datetime(2024, 1, 4, 2, 30, tzinfo=dt.UTC))
    'overdue by 3 d 2 h'
    """
    left = due - now
    minutes = int(abs(left.total_seconds()) // 60)
    hours = minutes // 60
    text = f"{hours // 24:,} d {hours % 24} h" if hours >= 48 else f"{hours} h {minutes % 60} min"
    return f"due in {text}" if left.total_seconds() > 0 else f"overdue by {text}"


def fmt_number(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def _build_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["time"] = fmt_time
    env.filters["number"] = fmt_number
    env.filters["pct"] = lambda v, digits=0: "—" if v is None else f"{100 * v:.{digits}f}%"
    env.filters["words"] = lambda v: str(v).replace("_", " ")
    env.globals["asset"] = asset_url  # /static/<path>?v=<content hash>: cached for a year
    env.globals["nonce"] = lambda: secrets.token_hex(8)  # a form's idempotency key: a resubmit replays
    return env


templates = _build_env()


@dataclass(frozen=True)
class WebUser:
    """The signed-in user as the pages see it, with an API client acting as them."""

    id: int
    username: str
    role: str
    party_id: int | None
    token: str
    api: ApiClient

    @property
    def csrf(self) -> str:
        return csrf_token(self.token)

    @property
    def is_staff(self) -> bool:
        return self.role != "party_liaison"


def tile_origin(request: Request) -> str | None:
    url = getattr(request.app.state, "web_tile_url", None)
    if not url:
        return None
    parts = urlsplit(url.replace("{s}", "a").replace("{z}", "0").replace("{x}", "0").replace("{y}", "0"))
    return f"{parts.scheme}://{parts.netloc}"


def page(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    html = templates.get_template(template).render(
        request=request, tile_url=getattr(request.app.state, "web_tile_url", None), **context
    )
    response = HTMLResponse(html, status_code=status_code)
    security_headers(response, tile_origin(request))
    return response


def redirect(url: str) -> RedirectResponse:
    response = RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)
    security_headers(response)
    return response


async def signed_in(request: Request) -> WebUser:
    """The caller from the session cookie, or a redirect to the sign-in page (303)."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        api = ApiClient(request.app, token)
        try:
            me = await api.me()
        except ApiError as exc:
            if exc.status_code != 401:
                raise
        else:
            return WebUser(int(me["id"]), str(me["username"]), str(me["role"]), me.get("party_id"), token, api)
    raise HTTPException(
        status.HTTP_303_SEE_OTHER, "sign in first", headers={"Location": f"/login?next={request.url.path}"}
    )


def anonymous_api(request: Request) -> ApiClient:
    return ApiClient(request.app)
