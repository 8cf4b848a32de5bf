"""Cursor pagination for list endpoints: ``?limit=N&after=CURSOR``.

A page holds at most ``limit`` items in a stable order; when more follow, the response carries
``Next-Cursor: <cursor>`` and ``Link: <...?after=<cursor>&limit=N>; rel="next"`` (RFC 8288). Cursors
are keyset positions (the last id seen, or an opaque position for other orders), so pages neither
skip nor repeat rows when rows are added meanwhile, and a deep page costs what the first one does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import HTTPException, Query, Request, Response, status
from sqlalchemy import ColumnElement, or_

__all__ = ["DEFAULT_LIMIT", "PAGINATION_HEADERS", "After", "AfterMoment", "Limit", "after_moment", "moment_cursor", "next_page", "refuse_offset"]

DEFAULT_LIMIT = 200
Limit = Annotated[int, Query(ge=1, le=1000, description="Items per page (at most 1000).")]
After = Annotated[int, Query(ge=0, le=2**31 - 1, description="Cursor: the `Next-Cursor` of the previous page (0: from the start).")]
AfterMoment = Annotated[str | None, Query(pattern=r"^-?\d{1,20}-\d{1,10}$", description="Cursor: the `Next-Cursor` of the previous page.")]
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


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def moment_cursor(moment: dt.datetime, ident: int) -> str:
    """The cursor of a row in a list ordered by (a UTC time, id): ``<microseconds since 1970>-<id>``."""
    return f"{(moment - EPOCH) // dt.timedelta(microseconds=1)}-{ident}"


def after_moment(after: str, moment: Any, ident: Any) -> ColumnElement[bool]:
    """Rows after cursor ``after`` (from ``moment_cursor``) in ascending (``moment``, ``ident``) order;
    422 naming ``query.after`` for a cursor no list made."""
    micros, _, number = after.rpartition("-")
    try:
        at = EPOCH + dt.timedelta(microseconds=int(micros))
    except OverflowError:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, [{"loc": ["query", "after"], "msg": "not a cursor from this list",
                                                                    "type": "value_error"}]) from None
    return or_(moment > at, (moment == at) & (ident > int(number)))


def refuse_offset(request: Request) -> None:
    """422 for ``offset``: these lists page by cursor only (an ignored offset would silently give page one)."""
    if "offset" in request.query_params:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, [{"loc": ["query", "offset"], "type": "value_error",
                            "msg": "this list pages by cursor: pass the Next-Cursor header of the previous page as after"}])
