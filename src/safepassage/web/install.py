"""``install_web(app)``: the pages, the static files and the HTML error pages on a service app."""

from __future__ import annotations

import inspect
import os
from typing import cast

from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, Response

from safepassage.web import auth_pages, hns_pages, inbox_pages, public_pages, staff_pages
from safepassage.web.api_client import ApiError
from safepassage.web.assets import StaticAssets
from safepassage.web.render import page
from safepassage.web.security import security_headers

__all__ = ["install_web"]


def install_web(app: FastAPI, tile_url: str | None = None) -> None:
    """Add the web UI to ``app``. ``tile_url`` (default ``$SAFEPASSAGE_WEB_TILE_URL``) is an optional basemap."""
    app.state.web_tile_url = tile_url if tile_url is not None else os.environ.get("SAFEPASSAGE_WEB_TILE_URL") or None
    for module in (auth_pages, staff_pages, inbox_pages, hns_pages, public_pages):
        app.include_router(module.router)
    app.mount("/static", StaticAssets(), name="static")
    app.add_exception_handler(ApiError, _api_error)
    previous = app.exception_handlers.get(HTTPException, http_exception_handler)  # the API keeps its own answers

    async def http_error(request: Request, exc: Exception) -> Response:
        error = cast(HTTPException, exc)
        if _is_page(request):
            if error.status_code == 303:  # sign in first: a redirect with the same headers as every page
                return security_headers(Response(status_code=303, headers=dict(error.headers or {})))
            return _error_page(request, error.status_code, str(error.detail))
        answer = previous(request, exc)
        return await answer if inspect.isawaitable(answer) else answer

    app.add_exception_handler(HTTPException, http_error)


def _is_page(request: Request) -> bool:
    path = request.url.path
    return path.startswith(("/ui/", "/public", "/login", "/logout")) or path == "/"


def _error_page(request: Request, status_code: int, message: str) -> HTMLResponse:
    titles = {
        401: "Sign in first",
        403: "Not allowed",
        404: "Not found",
        409: "Conflict",
        413: "Too large",
        422: "Please check the form",
    }
    return page(
        request,
        "error.html",
        {
            "user": None,
            "status_code": status_code,
            "title": titles.get(status_code, "Something went wrong"),
            "message": message,
        },
        status_code=status_code,
    )


async def _api_error(request: Request, exc: Exception) -> Response:
    error = cast(ApiError, exc)
    if error.status_code == 401:
        return security_headers(Response(status_code=303, headers={"Location": f"/login?next={request.url.path}"}))
    return _error_page(request, error.status_code, error.message)
