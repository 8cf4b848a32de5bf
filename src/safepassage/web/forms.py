"""Reading a submitted form safely: same origin, the session's CSRF token, bounded sizes."""

from __future__ import annotations

from fastapi import HTTPException, Request, status
from starlette.datastructures import FormData

from safepassage.web.render import WebUser
from safepassage.web.security import check_csrf, check_same_origin

__all__ = ["checked_form", "field", "MAX_FORM_BYTES"]

MAX_FORM_BYTES = 256 * 1024


async def checked_form(request: Request, user: WebUser) -> FormData:
    """The form of a POST by ``user``, after the origin and CSRF checks (403) and a size limit (413)."""
    check_same_origin(request)
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_FORM_BYTES:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"the form is larger than {MAX_FORM_BYTES // 1024} KiB")
    form = await request.form(max_files=0, max_fields=200)
    token = form.get("csrf")
    check_csrf(request, user.token, token if isinstance(token, str) else None)
    return form


def field(form: FormData, name: str, default: str = "") -> str:
    value = form.get(name, default)
    return value.strip() if isinstance(value, str) else default
