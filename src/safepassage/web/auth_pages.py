"""Sign-in, sign-out and the home page (which sends each role to its first page)."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse

from safepassage.web.api_client import ApiClient, ApiError
from safepassage.web.forms import checked_form, field
from safepassage.web.render import page, redirect, signed_in
from safepassage.web.security import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    check_same_origin,
    clear_session,
    new_login_csrf,
    set_login_csrf,
    set_session,
)

__all__ = ["router", "home_of"]

router = APIRouter(include_in_schema=False)

HOME = {"party_liaison": "/ui/inbox", "monitor": "/ui/events", "notifier": "/ui/notifications"}


def home_of(role: str) -> str:
    return HOME.get(role, "/ui/compare")


def _safe_next(target: str | None) -> str | None:
    # Only a path on this site: never an absolute URL (open redirect) or a protocol-relative one.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@router.get("/", response_class=HTMLResponse, response_model=None)
async def root(request: Request) -> HTMLResponse | RedirectResponse:
    if request.cookies.get(SESSION_COOKIE):
        try:
            user = await signed_in(request)
        except HTTPException:
            pass
        else:
            return redirect(home_of(user.role))
    return page(request, "welcome.html", {"user": None})


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    token = new_login_csrf()
    response = page(
        request, "login.html", {"user": None, "next": _safe_next(next) or "", "error": None, "login_csrf": token}
    )
    set_login_csrf(response, request, token)
    return response


@router.post("/login", response_class=HTMLResponse, response_model=None)
async def login(request: Request) -> HTMLResponse | RedirectResponse:
    check_same_origin(request)
    form = await request.form(max_files=0, max_fields=10)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    submitted = field(form, "csrf")
    if not cookie or not hmac.compare_digest(cookie, submitted):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the sign-in form expired: reload it and try again")
    username, password = field(form, "username"), str(form.get("password") or "")
    try:
        token = await ApiClient(request.app).sign_in(username, password)
        me = await ApiClient(request.app, token).me()
    except ApiError as exc:
        if exc.status_code >= 500:
            raise
        retry = page(
            request,
            "login.html",
            {
                "user": None,
                "next": _safe_next(field(form, "next")) or "",
                "error": "Wrong username or password.",
                "login_csrf": cookie,
            },
            status_code=401,
        )
        return retry
    response = redirect(_safe_next(field(form, "next")) or home_of(str(me["role"])))
    set_session(response, request, token)
    return response


@router.post("/logout")
async def logout(request: Request) -> RedirectResponse:
    user = await signed_in(request)
    await checked_form(request, user)
    response = redirect("/login")
    clear_session(response, request)
    return response
