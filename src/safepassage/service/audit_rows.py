"""Check the data rows against the audit log: every row a party relies on must still be what was logged.

The log keeps only payload hashes, so each row is turned back into the payload it was logged with and
hashed again. Rows that never change after their write (organisations, parties, users as last
updated, scenarios, plans, events, acknowledgments) are compared with the hash of their latest entry.
A notification is compared with its creation entry, recomputed as it was then (no answers yet, not
escalated); its addressees' latest answers must be the latest acknowledgment rows, which are checked
against their own entries. So a flipped answer, a rewritten message, a dropped addressee, or a
notification deleted with its acknowledgments are all reported, as is a row with no entry at all.

Movement rows change status through several kinds of writes and are not compared here (their status
history is a table of its own; see docs/service.md).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from safepassage.service.api.notifications import notification_payload
from safepassage.service.api.plans import plan_public, scenario_public
from safepassage.service.audit import payload_hash
from safepassage.service.models import (
    Acknowledgment,
    Event,
    Movement,
    Notification,
    NotificationParty,
    Organisation,
    Party,
    PlanRecord,
    ScenarioRecord,
    User,
)
from safepassage.service.schemas import AcknowledgmentPublic, EventPublic, OrganisationPublic, PartyPublic, UserPublic

__all__ = ["check_rows", "notification_as_created"]

# object_type -> the actions whose payload is that object's public JSON at the time of the entry.
LOGGED_AS_OBJECT = {
    "organisation": ("organisation.create",),
    "party": ("party.create",),
    "user": ("user.create", "user.update"),
    "scenario": ("scenario.create",),
    "plan": ("plan.create", "plan.replan"),
    "event": None,  # every event.<kind>
    "acknowledgment": None,  # notification.<decision>
    "notification": ("notification.create",),
}


def notification_as_created(n: Notification) -> dict[str, Any]:
    """The payload of ``n`` as it was logged when created: no answers, not escalated, seen by staff."""
    copy = Notification(**{c.key: getattr(n, c.key) for c in Notification.__table__.columns})
    copy.escalated_at = None
    copy.addressees = [NotificationParty(notification_id=n.id, party_id=a.party_id) for a in n.addressees]
    return notification_payload(copy, None, n.created_at)


def _public(schema: Any) -> Callable[[Any], Any]:
    return lambda row: schema.model_validate(row).model_dump(mode="json")


def _user_candidates(row: User) -> list[Any]:
    public = _public(UserPublic)(row)
    return [public, {"id": row.id, "username": row.username, "role": row.role}]  # the first admin, as format-1 logs wrote it


def check_rows(session: Session, entries: Iterable[Mapping[str, Any]], limit: int = 50) -> list[str]:
    """Problems found comparing the data rows with the log ``entries`` (at most ``limit``, oldest first)."""
    latest: dict[tuple[str, str], str] = {}
    created: dict[str, str] = {}
    for e in entries:
        kind, action = e["object_type"], e["action"]
        actions = LOGGED_AS_OBJECT.get(kind, ())
        if kind not in LOGGED_AS_OBJECT or (actions is not None and action not in actions):
            continue
        latest[(kind, e["object_id"])] = e["payload_hash"]
        if kind == "notification":
            created[e["object_id"]] = e["payload_hash"]

    problems: list[str] = []
    movement_ids: dict[int | None, list[int]] = defaultdict(list)
    for movement_id, plan_id in session.execute(select(Movement.id, Movement.plan_id).where(Movement.plan_id.is_not(None)).order_by(Movement.id)):
        movement_ids[plan_id].append(movement_id)

    tables: list[tuple[str, Any, Callable[[Any], list[Any]]]] = [
        ("organisation", Organisation, lambda r: [_public(OrganisationPublic)(r)]),
        ("party", Party, lambda r: [_public(PartyPublic)(r)]),
        ("user", User, _user_candidates),
        ("scenario", ScenarioRecord, lambda r: [scenario_public(r)]),
        ("plan", PlanRecord, lambda r: [plan_public(r, movement_ids[r.id])]),
        ("event", Event, lambda r: [_public(EventPublic)(r)]),
        ("acknowledgment", Acknowledgment, lambda r: [_public(AcknowledgmentPublic)(r)]),
        ("notification", Notification, lambda r: [notification_as_created(r)]),
    ]
    for kind, model, payloads in tables:
        seen: set[str] = set()
        for row in session.execute(select(model).order_by(model.id)).scalars():
            ident = str(row.id)
            seen.add(ident)
            logged = latest.get((kind, ident))
            if logged is None:
                problems.append(f"{kind} {ident} is in the database but not in the audit log: written outside the service")
            elif logged not in {payload_hash(p) for p in payloads(row)}:
                problems.append(f"{kind} {ident} differs from its logged payload: edited in the database")
        problems += [f"{kind} {ident} is in the audit log but not in the database: deleted"
                     for (k, ident) in latest if k == kind and ident not in seen]

    answers: dict[tuple[int, int], Acknowledgment] = {}
    for ack in session.execute(select(Acknowledgment).order_by(Acknowledgment.id)).scalars():
        answers[(ack.notification_id, ack.party_id)] = ack
    for addressee in session.execute(select(NotificationParty).order_by(NotificationParty.notification_id, NotificationParty.party_id)).scalars():
        last = answers.get((addressee.notification_id, addressee.party_id))
        expected: tuple[str | None, dt.datetime | None] = (last.decision, last.created_at) if last else (None, None)
        if (addressee.latest_decision, addressee.answered_at) != expected:
            problems.append(f"notification {addressee.notification_id}: party {addressee.party_id}'s answer is "
                            f"{addressee.latest_decision!r} but its latest logged acknowledgment says {expected[0]!r}: edited in the database")
    return problems[:limit]
