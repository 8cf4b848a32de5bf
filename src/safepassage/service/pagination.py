"""Cursor pagination for list endpoints: ``?limit=N&after=CURSOR``.

A page holds at most ``limit`` items in a stable order; when more follow, the response carries
``Next-Cursor: <cursor>`` and ``Link: <...?after=<cursor>&limit=N>; rel="next"`` (RFC 8288). Cursors
are keyset positions (the last id seen, or an opaque position for other orders), so pages neither
skip nor repeat rows when rows are added meanwhile, and a deep page costs what the first one does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import Query, Request, Response

__all__ = ["DEFAULT_LIMIT", "PAGINATION_HEADERS", "After", "Limit", "next_page"]

DEFAULT_LIMIT = 200
Limit = Annotated[int, Query(ge=1, le=1000, description="Items per page (at most 1000).")]
After = Annotated[int, Query(ge=0, le=2**31 - 1, description="Cursor: the `Next-Cursor` of the previous page (0: from the start).")]
PAGINATION_HEADERS = {
    "Next-Cursor": {"description": "Present when more items follow: pass it as `after`.", "schema": {"type": "string"}},
    "Link": {"description": 'RFC 8288 link to the next page (rel="next").', "schema": {"type": "string"}},
}
T = TypeVar("T")


def next_page(rows: Sequence[T], limit: int, cursor_of: Any, request: Request, response: Response) -> list[T]:
    """The first ``limit`` of ``rows`` (fetched with ``limit + 1``), setting the next-page headers if more follow."""
    page = list(rows[:limit])
    if len(rows) > limit and page:
        cursor = str(cursor_of(page[-1]))
        query = {k: v for k, v in request.query_params.items() if k not in ("after", "limit")}
        query.update({"after": cursor, "limit": str(limit)})
        response.headers["Next-Cursor"] = cursor
        response.headers["Link"] = f'<{request.url.path}?{urlencode(query)}>; rel="next"'
    return page
