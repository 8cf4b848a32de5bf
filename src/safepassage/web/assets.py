"""The UI's static files: content-versioned URLs, long caching, and gzip computed once per file.

Templates write ``{{ asset("vendor/leaflet/leaflet.js") }}``, which gives
``/static/vendor/leaflet/leaflet.js?v=<first 12 hex of the file's SHA-256>``. A request that names the
current version is answered with ``Cache-Control: public, max-age=31536000, immutable`` (a new file
content is a new URL, so a browser never keeps a stale copy); any other request for the same file is
cached for an hour only. Text files (JS, CSS) are compressed with gzip (level 9) once, the first time
they are asked for, and the compressed bytes are kept in memory for every later request that accepts
gzip (``Vary: Accept-Encoding``): the vendored libraries shrink to about a third.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from safepassage.web.security import security_headers

__all__ = ["STATIC", "StaticAssets", "asset_url", "asset_version", "YEAR_S"]

STATIC = Path(__file__).parent / "static"
YEAR_S = 365 * 24 * 3600
COMPRESSIBLE = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}
_lock = threading.Lock()


@dataclass(frozen=True)
class _Compressed:
    version: str
    gzipped: bytes
    size: int


_versions: dict[str, str] = {}
_compressed: dict[str, _Compressed] = {}


def _file(path: str) -> Path:
    target = (STATIC / path).resolve()
    if STATIC.resolve() not in target.parents or not target.is_file():
        raise FileNotFoundError(f"no static file {path!r} under {STATIC}")
    return target


def asset_version(path: str) -> str:
    """The first 12 hex digits of the SHA-256 of ``static/<path>`` (computed once per process)."""
    with _lock:
        if path in _versions:
            return _versions[path]
    version = hashlib.sha256(_file(path).read_bytes()).hexdigest()[:12]
    with _lock:
        _versions[path] = version
    return version


def asset_url(path: str) -> str:
    """The versioned URL of ``static/<path>`` (raises ``FileNotFoundError`` for a missing file, so a
    template naming a file that does not exist fails at once rather than in the browser)."""
    return f"/static/{path}?v={asset_version(path)}"


def _gzipped(path: str) -> _Compressed:
    with _lock:
        if path in _compressed:
            return _compressed[path]
    raw = _file(path).read_bytes()
    entry = _Compressed(hashlib.sha256(raw).hexdigest()[:12], gzip.compress(raw, compresslevel=9, mtime=0), len(raw))
    with _lock:
        _compressed[path] = entry
    return entry


class StaticAssets(StaticFiles):
    """``/static``: the security headers on every file, immutable caching for versioned URLs, gzip for text."""

    def __init__(self) -> None:
        super().__init__(directory=STATIC)

    async def get_response(self, path: str, scope: Scope) -> Response:
        headers = Headers(scope=scope)
        query = scope.get("query_string", b"").decode("latin-1")
        suffix = Path(path).suffix
        wants_gzip = "gzip" in headers.get("accept-encoding", "")
        if suffix in COMPRESSIBLE and wants_gzip and scope["method"] in ("GET", "HEAD"):
            try:
                entry = _gzipped(path)
            except (FileNotFoundError, OSError):
                entry = None
            if entry is not None:
                response = Response(entry.gzipped if scope["method"] == "GET" else b"", media_type=COMPRESSIBLE[suffix])
                response.headers["Content-Encoding"] = "gzip"
                response.headers["Content-Length"] = str(len(entry.gzipped))
                etag = f'"{entry.version}-gz"'
                if etag in headers.get("if-none-match", ""):
                    response = Response(status_code=304)
                response.headers["ETag"] = etag
                return self._cached(response, query == f"v={entry.version}")
        response = await super().get_response(path, scope)
        if response.status_code >= 400:
            return security_headers(response)
        current = False
        if query.startswith("v="):
            try:
                current = query == f"v={asset_version(path)}"
            except (FileNotFoundError, OSError):
                current = False
        return self._cached(response, current)

    @staticmethod
    def _cached(response: Response, current_version: bool) -> Response:
        security_headers(response)
        response.headers["Vary"] = "Accept-Encoding"
        response.headers["Cache-Control"] = (
            f"public, max-age={YEAR_S}, immutable" if current_version else "public, max-age=3600"
        )
        return response
