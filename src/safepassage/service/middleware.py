"""ASGI middleware of the service: a request-body limit checked before any byte of the body is read,
and the latest audit checkpoint on every response.

Both are plain ASGI (not ``BaseHTTPMiddleware``) so they add no task or copy per request.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import HTTPException

from safepassage.service.audit import CHECKPOINT_HEADER

__all__ = ["BodyLimit", "CheckpointHeader"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _too_large(limit: int) -> tuple[dict[str, Any], bytes]:
    body = json.dumps({"detail": f"the request body is larger than {limit} bytes (SAFEPASSAGE_MAX_BODY_BYTES)"}).encode("ascii")
    start = {"type": "http.response.start", "status": 413,
             "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode("ascii")), (b"connection", b"close")]}
    return start, body


class BodyLimit:
    """413 for a body over ``max_bytes``: at once from ``Content-Length`` (nothing read), or as soon as a
    chunked body passes the limit (what was read so far is dropped, the rest is never read)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and (not value.isdigit() or int(value) > self.max_bytes):
                await self._reject(send)
                return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await self._reject(send)

    async def _reject(self, send: Send) -> None:
        start, body = _too_large(self.max_bytes)
        await send(start)
        await send({"type": "http.response.body", "body": body})


class _BodyTooLarge(HTTPException):
    """Raised from ``receive`` once a streamed body passes the limit; an ``HTTPException`` so that the
    routes' body parsing passes it on (as a 413) instead of calling it a parse error."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes (SAFEPASSAGE_MAX_BODY_BYTES)", headers={"Connection": "close"})


class CheckpointHeader:
    """Adds ``Safepassage-Checkpoint: base64(signed note)`` to every HTTP response: every notification
    and every answer a party receives carries the latest checkpoint of the audit log, to keep."""

    def __init__(self, app: ASGIApp, current: Callable[[], str]) -> None:
        self.app, self.current = app, current

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_checkpoint(message: Message) -> None:
            if message["type"] == "http.response.start":
                note = self.current()
                if note:
                    headers = list(message.get("headers", []))
                    headers.append((CHECKPOINT_HEADER.lower().encode("ascii"), base64.b64encode(note.encode("utf-8"))))
                    message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_checkpoint)
