"""Browser security for the web UI: the session cookie, CSRF tokens, the same-origin check and the
response headers (a strict Content-Security-Policy: scripts, styles, images and connections only from
this origin; no inline script).

The session cookie holds the user's API bearer token (HttpOnly, SameSite=Strict, Secure when the
request came over TLS), so the page's JavaScript never sees it. The CSRF token of a session is an
HMAC of that token: forms carry it, and a write without the right one is refused. Before sign-in, the
login form is protected by a random double-submit cookie.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import secrets
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import HTTPException, Request, Response, status

__all__ = [
    "SESSION_COOKIE",
    "LOGIN_CSRF_COOKIE",
    "csrf_token",
    "check_csrf",
    "check_same_origin",
    "set_session",
    "clear_session",
    "new_login_csrf",
    "set_login_csrf",
    "security_headers",
    "content_security_policy",
    "compressed_json",
]

SESSION_COOKIE = "sp_session"
LOGIN_CSRF_COOKIE = "sp_login_csrf"
SESSION_MAX_AGE_S = 12 * 3600


def csrf_token(session_token: str) -> str:
    """The CSRF token of a session: unguessable without the (HttpOnly) session cookie."""
    return hmac.new(session_token.encode("utf-8"), b"safepassage-web-csrf", hashlib.sha256).hexdigest()


def check_csrf(request: Request, session_token: str | None, submitted: str | None) -> None:
    """403 unless the form's token is the session's (compared in constant time)."""
    if not session_token or not submitted or not hmac.compare_digest(csrf_token(session_token), submitted):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "the form's security token is missing or stale: reload the page and submit again"
        )


def check_same_origin(request: Request) -> None:
    """403 for a write whose Origin (or Referer) is another site. A browser sends Origin on every POST."""
    claimed = request.headers.get("origin") or request.headers.get("referer")
    if claimed is None:
        return  # not a browser (or a privacy tool stripped it): the CSRF token still decides
    origin = urlsplit(claimed)
    here = urlsplit(str(request.base_url))
    if (origin.scheme, origin.netloc) != (here.scheme, here.netloc):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "cross-site form submission refused")


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_MAX_AGE_S,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")


def clear_session(response: Response, request: Request) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=_secure(request))


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)


def set_login_csrf(response: Response, request: Request, value: str) -> None:
    response.set_cookie(
        LOGIN_CSRF_COOKIE, value, max_age=3600, httponly=True, samesite="strict", secure=_secure(request), path="/login"
    )


@lru_cache(maxsize=1)
def _vis_hashes() -> str:
    """Hashes of the stylesheets vis-timeline injects (recorded by scripts/vendor-web.sh)."""
    path = Path(__file__).parent / "static" / "vendor" / "vis-timeline" / "injected-style-hashes.txt"
    lines = path.read_text(encoding="ascii").splitlines() if path.exists() else []
    return " ".join(f"'{line.strip()}'" for line in lines if line.strip().startswith("sha256-"))


def content_security_policy(tile_origin: str | None = None) -> str:
    """Same origin only; a configured tile server is the one exception, for images."""
    images = "'self' data:" + (f" {tile_origin}" if tile_origin else "")
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; style-src-elem 'self' "
        + _vis_hashes()
        + "; style-src-attr 'unsafe-inline'; img-src "
        + images
        + "; connect-src 'self'; font-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )


def security_headers(response: Response, tile_origin: str | None = None) -> Response:
    response.headers["Content-Security-Policy"] = content_security_policy(tile_origin)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def compressed_json(request: Request, data: object) -> Response:
    """``data`` as JSON with the security headers, gzipped (level 6) when the client accepts it and the
    body is over 1 KB. Only for data the signed-in user may read anyway and that echoes nothing from the
    request (so compression reveals no secret next to attacker-chosen text)."""
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")
    response = Response(media_type="application/json")
    if len(body) > 1024 and "gzip" in request.headers.get("accept-encoding", ""):
        body = gzip.compress(body, compresslevel=6, mtime=0)
        response.headers["Content-Encoding"] = "gzip"
    response.body = body
    response.headers["Content-Length"] = str(len(body))
    response.headers["Vary"] = "Accept-Encoding"
    return security_headers(response)
