"""Movement listings read set-wise: two statements whatever the number of movements.

A list of movements with their status histories used to load ``Movement`` entities (identity map,
change tracking, JSON columns decoded per attribute) plus their histories through the relationship,
then validate every entity again through ``MovementPublic``. Here one statement selects the movement
columns the API shows and one selects the histories of exactly those movements (a sub-select with the
same filter, not a list of ids), grouped by movement in Python. The rows come back as plain dicts in
``MovementPublic``'s shape; nothing is attached to the session.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from safepassage.service.models import Movement, MovementStatusChange

__all__ = ["MOVEMENT_COLUMNS", "movements_public"]

MOVEMENT_COLUMNS = (
    Movement.id, Movement.plan_id, Movement.kind, Movement.reference, Movement.origin, Movement.destination, Movement.route,
    Movement.departs, Movement.arrives, Movement.trucks, Movement.cargo, Movement.people, Movement.origin_zone, Movement.status,
    Movement.created_at, Movement.updated_at,
)
_HISTORY_COLUMNS = (
    MovementStatusChange.movement_id, MovementStatusChange.from_status, MovementStatusChange.to_status,
    MovementStatusChange.reason, MovementStatusChange.changed_by, MovementStatusChange.changed_at,
)


def movements_public(session: Session, *where: Any, limit: int | None = None, offset: int = 0) -> list[dict[str, Any]]:
    """The movements matching ``where`` (SQLAlchemy conditions on ``Movement``), by id, each with its
    status history oldest first, as ``MovementPublic`` dicts. ``limit``/``offset`` page the movements
    (the histories follow their page). Exactly two SQL statements."""
    ids: Select[Any] = select(Movement.id).where(*where).order_by(Movement.id)
    if limit is not None:
        ids = ids.limit(limit)
    if offset:
        ids = ids.offset(offset)
    page = ids.subquery()
    rows = session.execute(select(*MOVEMENT_COLUMNS).join(page, page.c.id == Movement.id).order_by(Movement.id)).mappings().all()
    history: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if rows:
        changes = select(*_HISTORY_COLUMNS).join(page, page.c.id == MovementStatusChange.movement_id)
        for change in session.execute(changes.order_by(MovementStatusChange.movement_id, MovementStatusChange.id)).mappings():
            item = dict(change)
            history[item.pop("movement_id")].append(item)
    return [{**row, "history": history[row["id"]]} for row in rows]
