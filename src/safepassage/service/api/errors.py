"""HTTP errors shaped like FastAPI's own 422s, so a client reads one format for every bad field."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, status

from safepassage.errors import ScenarioError


def unprocessable(loc: list[str | int], message: str, kind: str = "value_error") -> HTTPException:
    """A 422 naming the field at ``loc`` (e.g. ``["body", "party_ids", 1]``)."""
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, [{"loc": loc, "msg": message, "type": kind}])


def scenario_problems(exc: ScenarioError, prefix: list[str | int]) -> HTTPException:
    detail: list[dict[str, Any]] = [
        {"loc": [*prefix, *p.path.split(".")], "msg": p.message + (f" (hint: {p.hint})" if p.hint else ""), "type": "scenario_error"}
        for p in exc.problems
    ]
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail or [{"loc": prefix, "msg": str(exc), "type": "scenario_error"}])


def not_found(what: str, ident: object) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"no {what} {ident}")


def conflict(message: str) -> HTTPException:
    return HTTPException(status.HTTP_409_CONFLICT, message)
