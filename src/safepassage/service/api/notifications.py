"""Notifications to the parties, their acknowledgments, and escalation of the unanswered.

A party liaison sees only notifications addressed to their party (anything else is a 404, so ids do
not reveal what exists) and sees only their own party among the addressees.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from fastapi.responses import JSONResponse
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from safepassage.service.api.deps import (
    EscalationReader,
    EscalationSweeper,
    NotificationReader,
    NotificationWriter,
    PartyLiaison,
    ServicesDep,
    SessionDep,
    WriteOutcome,
    WriterDep,
)
from safepassage.service.api.errors import conflict, not_found, unprocessable
from safepassage.service.api.movements import transition
from safepassage.service.auth import Principal, Role
from safepassage.service.batch import KNOWN_KEY, assign_id
from safepassage.service.lifecycle import TERMINAL, MovementStatus
from safepassage.service.models import (
    Acknowledgment,
    Movement,
    Notification,
    NotificationParty,
    Party,
    PlanRecord,
    utcnow,
)
from safepassage.service.pagination import (
    DEFAULT_LIMIT,
    PAGINATION_HEADERS,
    After,
    AfterMoment,
    Limit,
    after_moment,
    moment_cursor,
    next_page,
    refuse_offset,
)
from safepassage.service.schemas import (
    MAX_ID,
    AcknowledgmentCreate,
    AcknowledgmentPublic,
    NotificationCreate,
    NotificationPublic,
    PlanNotificationsCreate,
    SweepPublic,
)

router = APIRouter()
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]


def notification_payload(n: Notification, viewer: Principal | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """The notification as ``viewer`` may see it. A party liaison sees only their own party among the
    addressees, and every flag (acknowledged, overdue, escalated) computed from their party's state
    alone, so nothing they see moves when another party answers."""
    now = now or utcnow()
    liaison = viewer is not None and viewer.role == Role.party_liaison
    shown = [a for a in n.addressees if a.party_id == viewer.party_id] if liaison and viewer is not None else n.addressees
    acknowledged = bool(shown) and all(a.latest_decision == "acknowledged" for a in shown)
    escalated_at = n.escalated_at
    if liaison and escalated_at is not None and shown and all(a.latest_decision == "acknowledged" and a.answered_at is not None
                                                             and a.answered_at <= escalated_at for a in shown):
        escalated_at = None  # escalated for another party's silence: not this liaison's business
    return NotificationPublic(
        id=n.id, kind=n.kind, movement_id=n.movement_id, site=n.site, title=n.title, message=n.message, notice_hours=n.notice_hours,
        valid_from=n.valid_from, valid_until=n.valid_until, ack_due=n.ack_due,
        short_notice=n.created_at > n.valid_from - dt.timedelta(hours=n.notice_hours),
        acknowledged=acknowledged, overdue=not acknowledged and now > n.ack_due, escalated_at=escalated_at, created_at=n.created_at,
        addressees=[{"party_id": a.party_id, "latest_decision": a.latest_decision, "answered_at": a.answered_at} for a in shown],
    ).model_dump(mode="json")


def _check_parties(session: Session, party_ids: list[int]) -> None:
    # Parties are never deleted (and the foreign key checks again), so ids seen once are remembered.
    known: set[int] = session.info.get(KNOWN_KEY, {}).get("parties", set())
    unknown = [p for p in party_ids if p not in known]
    found = set(session.execute(select(Party.id).where(Party.id.in_(unknown))).scalars()) if unknown else set()
    known.update(found)
    found |= set(party_ids) - set(unknown)
    for index, party_id in enumerate(party_ids):
        if party_id not in found:
            raise unprocessable(["body", "party_ids", index], f"no party {party_id}")


def _new_notification(session: Session, user: Principal, body: NotificationCreate, movement: Movement | None) -> Notification:
    if movement is not None:
        title = body.title or f"{movement.kind} {movement.reference or movement.id}: {movement.origin} to {movement.destination}, departs {movement.departs:%Y-%m-%d %H:%M}Z"
        if movement.status == MovementStatus.requested:
            transition(session, movement, MovementStatus.notified, user.id, "notification sent")
    else:
        assert body.site is not None  # guaranteed by NotificationCreate's validators
        title = body.title or f"{body.site.site_kind.replace('_', ' ')}: {body.site.name}"
    notification = Notification(
        kind=body.kind, movement_id=body.movement_id, site=body.site.model_dump() if body.site else None, title=title, message=body.message,
        notice_hours=body.notice_hours, valid_from=body.valid_from, valid_until=body.valid_until, ack_due=body.ack_due or body.valid_from,
        created_by=user.id, created_at=utcnow(),
    )
    notification.addressees = [NotificationParty(party_id=p) for p in body.party_ids]
    session.add(notification)
    return notification


@router.post("/notifications", response_model=NotificationPublic, status_code=201, tags=["notifications"])
async def create_notification(body: NotificationCreate, user: NotificationWriter, write: WriterDep):  # type: ignore[no-untyped-def]
    """Notify parties of a movement (it goes from requested to notified) or of a static site."""

    def perform(session: Session) -> WriteOutcome:
        _check_parties(session, body.party_ids)
        movement = None
        if body.movement_id is not None:
            movement = session.get(Movement, body.movement_id, with_for_update=True)
            if movement is None:
                raise unprocessable(["body", "movement_id"], f"no movement {body.movement_id}")
            if movement.status in TERMINAL:
                raise conflict(f"movement {movement.id} is {movement.status}: nothing left to notify")
        notification = _new_notification(session, user, body, movement)
        assign_id(session, notification, "notification")
        for addressee in notification.addressees:
            addressee.notification_id = notification.id
        return WriteOutcome("notification", notification.id, notification_payload(notification, now=notification.created_at))

    return await write.arun(user, "notification.create", body, perform)


BULK_CHUNK = 500


@router.post("/plans/{plan_id}/notifications", response_model=list[NotificationPublic], status_code=201, tags=["notifications"])
def notify_plan(plan_id: PathId, body: PlanNotificationsCreate, user: NotificationWriter, write: WriterDep, services: ServicesDep):  # type: ignore[no-untyped-def]
    """One notification per movement of the plan still ``requested``, valid from departure to arrival.

    Written in chunks of ``BULK_CHUNK`` movements, each its own transaction (and its own part of the
    Idempotency-Key), so a plan of thousands of movements never holds the write path for long; each
    notification gets its own audit entry. A retry replays the chunks written and finishes the rest."""
    request = {"plan_id": plan_id, **body.model_dump(mode="json")}

    def chunk(session: Session) -> WriteOutcome:
        if session.get(PlanRecord, plan_id) is None:
            raise not_found("plan", plan_id)
        _check_parties(session, body.party_ids)
        movements = session.execute(select(Movement).where(Movement.plan_id == plan_id, Movement.status == MovementStatus.requested.value)
                                    .order_by(Movement.id).limit(BULK_CHUNK).with_for_update()).scalars()
        created = []
        for m in movements:
            one = NotificationCreate(kind="movement", movement_id=m.id, party_ids=body.party_ids, message=body.message, notice_hours=body.notice_hours,
                                     valid_from=m.departs, valid_until=max(m.arrives, m.departs + dt.timedelta(minutes=1)),
                                     ack_due=m.departs - dt.timedelta(hours=body.ack_due_hours_before_departure))
            created.append(_new_notification(session, user, one, m))
        session.flush()
        payloads = [notification_payload(n, now=n.created_at) for n in created]
        for n, payload in zip(created, payloads, strict=True):
            services.audit.append(session, actor=user.username, action="notification.create", object_type="notification", object_id=n.id, payload=payload)
        return WriteOutcome("plan", plan_id, payloads)  # type: ignore[arg-type]

    answered: list[Any] = []
    for part in range(10_000):
        response = write.part(part).run(user, "plan.notify", {**request, "part": part}, chunk)
        batch = json.loads(bytes(response.body))
        answered += batch
        if len(batch) < BULK_CHUNK:
            break
    return JSONResponse(answered, status_code=status.HTTP_201_CREATED)


def _visible(user: Principal):  # type: ignore[no-untyped-def]
    """The notifications ``user`` may see (all of them, or those addressed to a liaison's party)."""
    query = select(Notification)
    if user.role == Role.party_liaison:
        query = query.where(exists().where(NotificationParty.notification_id == Notification.id, NotificationParty.party_id == user.party_id))
    return query


def _unacknowledged_by(party_id: int | None):  # type: ignore[no-untyped-def]
    """Not acknowledged by this party (a liaison's ``?overdue=`` looks at their own party only)."""
    return exists().where(NotificationParty.notification_id == Notification.id, NotificationParty.party_id == party_id,
                          or_(NotificationParty.latest_decision.is_(None), NotificationParty.latest_decision != "acknowledged"))


def _unacknowledged():  # type: ignore[no-untyped-def]
    return exists().where(NotificationParty.notification_id == Notification.id, or_(NotificationParty.latest_decision.is_(None), NotificationParty.latest_decision != "acknowledged"))


@router.get("/notifications", response_model=list[NotificationPublic], tags=["notifications"], responses={200: {"headers": PAGINATION_HEADERS}},
            dependencies=[Depends(refuse_offset)])
def list_notifications(
    user: NotificationReader, session: SessionDep, request: Request, response: Response,
    overdue: Annotated[bool | None, Query(description="Only those past ack_due without every acknowledgment.")] = None,
    movement_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Limit = DEFAULT_LIMIT, after: After = 0,
) -> list[dict[str, Any]]:
    """Notifications, newest first, a page at a time (keyset on the id: ``after`` is the last id seen);
    a party liaison gets only those addressed to their party."""
    query = _visible(user).order_by(Notification.id.desc()).limit(limit + 1)
    if after:
        query = query.where(Notification.id < after)
    now = utcnow()
    if overdue is not None:
        late = (_unacknowledged_by(user.party_id) if user.role == Role.party_liaison else _unacknowledged()) & (Notification.ack_due < now)
        query = query.where(late if overdue else ~late)
    if movement_id is not None:
        query = query.where(Notification.movement_id == movement_id)
    rows = list(session.execute(query).scalars())
    return [notification_payload(n, user, now) for n in next_page(rows, limit, lambda r: r.id, request, response)]


@router.get("/notifications/{notification_id}", response_model=NotificationPublic, tags=["notifications"])
def get_notification(notification_id: PathId, user: NotificationReader, session: SessionDep) -> dict[str, Any]:
    notification = session.execute(_visible(user).where(Notification.id == notification_id)).scalar_one_or_none()
    if notification is None:
        raise not_found("notification", notification_id)
    return notification_payload(notification, user)


@router.post("/notifications/{notification_id}/acknowledgments", response_model=AcknowledgmentPublic, status_code=201, tags=["notifications"])
async def acknowledge(notification_id: PathId, body: AcknowledgmentCreate, user: PartyLiaison, write: WriterDep):  # type: ignore[no-untyped-def]
    """A party liaison answers for their party: acknowledged, queried (with a message) or rejected (with a
    reason). When every addressed party has acknowledged, the movement becomes ``acknowledged``.
    A rejection is recorded and shown; it does not stop the movement (notification is not permission)."""

    def perform(session: Session) -> WriteOutcome:
        addressee = session.get(NotificationParty, (notification_id, user.party_id), with_for_update=True) if user.party_id else None
        if addressee is None:
            raise not_found("notification", notification_id)
        now = utcnow()
        ack = Acknowledgment(notification_id=notification_id, party_id=user.party_id, user_id=user.id, decision=body.decision, message=body.message, created_at=now)
        session.add(ack)
        addressee.latest_decision, addressee.answered_at = body.decision, now
        session.flush()
        notification = session.get(Notification, notification_id)
        session.refresh(notification, ["addressees"])
        if notification.movement_id and all(a.latest_decision == "acknowledged" for a in notification.addressees):
            movement = session.get(Movement, notification.movement_id, with_for_update=True)
            if movement is not None and movement.status in (MovementStatus.notified, MovementStatus.unacknowledged):
                transition(session, movement, MovementStatus.acknowledged, user.id, "acknowledged by every party notified")
        return WriteOutcome("acknowledgment", ack.id, AcknowledgmentPublic.model_validate(ack).model_dump(mode="json"))

    return await write.arun(user, f"notification.{body.decision}", {"notification_id": notification_id, **body.model_dump(mode="json")}, perform)


@router.get("/notifications/{notification_id}/acknowledgments", response_model=list[AcknowledgmentPublic], tags=["notifications"])
def list_acknowledgments(notification_id: PathId, user: NotificationReader, session: SessionDep) -> list[Acknowledgment]:
    if session.execute(_visible(user).where(Notification.id == notification_id)).scalar_one_or_none() is None:
        raise not_found("notification", notification_id)
    query = select(Acknowledgment).where(Acknowledgment.notification_id == notification_id).order_by(Acknowledgment.id)
    if user.role == Role.party_liaison:
        query = query.where(Acknowledgment.party_id == user.party_id)
    return list(session.execute(query).scalars())


# --- service hardening: cursor pagination of escalations (issue 12 item 12) ---------------------------

@router.get("/escalations", response_model=list[NotificationPublic], tags=["notifications"], responses={200: {"headers": PAGINATION_HEADERS}})
def list_escalations(
    user: EscalationReader, session: SessionDep, request: Request, response: Response, limit: Limit = DEFAULT_LIMIT, after: AfterMoment = None,
) -> list[dict[str, Any]]:
    """Notifications past their acknowledgment deadline without every party's acknowledgment, oldest
    deadline first, a page at a time. Listed loudly; the movement is never blocked."""
    now = utcnow()
    query = select(Notification).where(_unacknowledged(), Notification.ack_due < now).order_by(Notification.ack_due, Notification.id).limit(limit + 1)
    if after is not None:
        query = query.where(after_moment(after, Notification.ack_due, Notification.id))
    rows = list(session.execute(query).scalars())
    return [notification_payload(n, user, now) for n in next_page(rows, limit, lambda n: moment_cursor(n.ack_due, n.id), request, response)]


@router.post("/escalations/sweep", response_model=SweepPublic, tags=["notifications"])
async def sweep(user: EscalationSweeper, write: WriterDep):  # type: ignore[no-untyped-def]
    """Flag every overdue notification (``escalated_at``) and mark its movement ``unacknowledged``."""

    def perform(session: Session) -> WriteOutcome:
        now = utcnow()
        overdue = list(session.execute(select(Notification).where(_unacknowledged(), Notification.ack_due < now, Notification.escalated_at.is_(None)).order_by(Notification.id).with_for_update()).scalars())
        movements = []
        for n in overdue:
            n.escalated_at = now
            if n.movement_id:
                movement = session.get(Movement, n.movement_id, with_for_update=True)
                if movement is not None and movement.status == MovementStatus.notified:
                    transition(session, movement, MovementStatus.unacknowledged, user.id, f"notification {n.id} not acknowledged by {n.ack_due.isoformat()}")
                    movements.append(movement.id)
        session.flush()
        payload = SweepPublic(escalated_notification_ids=[n.id for n in overdue], unacknowledged_movement_ids=movements).model_dump(mode="json")
        return WriteOutcome("escalation", now.strftime("%Y%m%dT%H%M%S%fZ"), payload, status.HTTP_200_OK)

    return await write.arun(user, "escalation.sweep", None, perform)


__all__ = ["router", "notification_payload"]

