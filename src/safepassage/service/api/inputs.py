"""Input hygiene for every route: JSON bodies with lone surrogates or NaN/Infinity are 422s naming the
field, validation errors never echo a value that cannot be encoded, and a 405 lists every method of
the path in ``Allow``.

Python's ``json`` accepts ``NaN``, ``Infinity`` and ``"\\ud800"`` (an unpaired UTF-16 surrogate), none
of which is JSON (RFC 8259) or storable as UTF-8 text; left alone they reach the database or the
response encoder and become 500s.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from fastapi import Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from safepassage.service.api.errors import unprocessable

__all__ = ["strict_json_body", "validation_error_handler", "method_not_allowed_handler"]

_SUSPECT = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}|NaN|Infinity")


def _not_json_constant(name: str) -> Any:
    raise ValueError(name)


def _lone_surrogate(value: Any, path: list[str | int]) -> list[str | int] | None:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _lone_surrogate(key, path) or _lone_surrogate(item, [*path, key])
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _lone_surrogate(item, [*path, index])
            if found is not None:
                return found
    return None


async def strict_json_body(request: Request) -> None:
    """App-wide dependency: 422 for a JSON body holding NaN/Infinity or a lone surrogate (cheap: the body
    is parsed again only when its bytes contain one of them)."""
    if "json" not in request.headers.get("content-type", ""):
        return
    body = await request.body()
    if not body or not _SUSPECT.search(body):
        return
    try:
        data = json.loads(body, parse_constant=_not_json_constant)
    except ValueError as exc:
        if str(exc) in ("NaN", "Infinity", "-Infinity"):
            raise unprocessable(["body"], f"{exc} is not a JSON number: send a finite number", "finite_number") from None
        return  # malformed JSON: the route's own parsing reports it
    where = _lone_surrogate(data, ["body"])
    if where is not None:
        raise unprocessable(where, "contains a lone UTF-16 surrogate (e.g. \\ud800): send valid Unicode text", "unicode")


def _safe(value: Any) -> Any:
    """``value`` made encodable as strict JSON: non-finite numbers and unencodable text become their repr."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "backslashreplace").decode("ascii", "replace")
        return value
    if isinstance(value, dict):
        return {str(_safe(k)): _safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_safe(v) for v in value]
    if value is None or isinstance(value, (int, bool)):
        return value
    return _safe(str(value))


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422, with every echoed input and context value made encodable (a NaN or a lone
    surrogate in the input must not turn the 422 into a 500 and drop the connection)."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    return JSONResponse(status_code=422, content={"detail": _safe(errors)})


async def method_not_allowed_handler(request: Request, exc: Exception) -> Any:
    """405 with ``Allow`` listing every method the path answers (routes of one path are separate)."""
    if not isinstance(exc, StarletteHTTPException) or exc.status_code != 405:
        return await http_exception_handler(request, exc)  # type: ignore[arg-type]
    methods: set[str] = set()

    def collect(routes: list[Any]) -> None:
        for route in routes:
            included = getattr(route, "original_router", None)  # FastAPI's included routers (no prefixes here)
            if included is not None:
                collect(included.routes)
                continue
            route_methods = getattr(route, "methods", None)
            if route_methods and route.matches(request.scope)[0] != Match.NONE:  # the path matches (FULL or PARTIAL)
                methods.update(route_methods)

    collect(request.app.router.routes)
    if "GET" in methods:
        methods.add("HEAD")
    allow = ", ".join(sorted(methods)) or (exc.headers or {}).get("Allow", "")
    return JSONResponse({"detail": f"method {request.method} not allowed on this path (allowed: {allow})"}, status_code=405, headers={"Allow": allow})
