"""Humanitarian notifications (HNS) of movements: drafts from a plan, versions and their diffs,
sending with the notice check, the two confirmations, party responses, per-leg green lights, and
escalation of missing confirmations.

A party liaison sees only versions sent to their party (anything else is a 404) and only their own
party among the addressees, responses and leg lights. Notification is not permission: a late notice,
a missing confirmation or a denial is recorded and made loud, never a block.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from safepassage.interop.hns import MovementContent, content_diff, draft_movement
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
from safepassage.service.auth import Role
from safepassage.service.hns_store import (
    CONFIRMATION_ORDER,
    answerable,
    check_parties,
    check_route,
    get_visible,
    move_movement,
    movement_content,
    movement_scenario_id,
    new_version,
    overdue_confirmations,
    payload,
    scenario_of,
    send,
    series_versions,
    trucks_by_commodity,
    visible,
)
from safepassage.service.lifecycle import TERMINAL, MovementStatus
from safepassage.service.models import HnsNotification, HnsResponse, LegClearance, Movement, PlanRecord, utcnow
from safepassage.service.pagination import DEFAULT_LIMIT, PAGINATION_HEADERS, After, Limit, next_page
from safepassage.service.schemas import (
    MAX_ID,
    ConfirmationCreate,
    HnsDraftsCreate,
    HnsDraftUpdate,
    HnsEscalationPublic,
    HnsNotificationCreate,
    HnsNotificationPublic,
    HnsResponseCreate,
    HnsResponsePublic,
    HnsSend,
    HnsSweepPublic,
    LegClearanceCreate,
)

router = APIRouter(tags=["humanitarian notifications"])
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("/plans/{plan_id}/hns-drafts", response_model=list[HnsNotificationPublic], status_code=201)
def draft_from_plan(plan_id: PathId, body: HnsDraftsCreate, user: NotificationWriter, write: WriterDep):  # type: ignore[no-untyped-def]
    """Draft one movement notification per convoy of the plan that has none yet (route, window, vehicles,
    staff, cargo from the plan; plates and the leader's name left for the organisation to fill in)."""

    def perform(session: Session) -> WriteOutcome:
        plan = session.get(PlanRecord, plan_id)
        if plan is None:
            raise not_found("plan", plan_id)
        check_parties(session, body.party_ids)
        scenario = scenario_of(session, plan.scenario_id)
        drafted = select(HnsNotification.movement_id).where(HnsNotification.movement_id.is_not(None))
        movements = session.execute(select(Movement).where(Movement.plan_id == plan_id, Movement.kind == "convoy", Movement.id.not_in(drafted)).order_by(Movement.id)).scalars()
        created = []
        for m in movements:
            if m.status in TERMINAL:
                continue
            content = draft_movement(scenario, m.route, m.departs, m.arrives, m.cargo, trucks_by_commodity(scenario, m.cargo, m.trucks), m.trucks,
                                     body.organisation, body.contact.model_dump(exclude={"available_24_7"}), dt.timedelta(hours=body.expires_after_arrival_hours))
            created.append(new_version(session, user, kind="movement", content=content, party_ids=body.party_ids, window=(m.departs, m.arrives),
                                       expires_at=dt.datetime.fromisoformat(content["expires_at"]), emergency=body.emergency, movement_id=m.id, scenario_id=plan.scenario_id))
        return WriteOutcome("plan", plan_id, [payload(session, n) for n in created])

    return write.run(user, "hns.draft_plan", {"plan_id": plan_id, **body.model_dump(mode="json")}, perform)


@router.post("/hns-notifications", response_model=HnsNotificationPublic, status_code=201)
def create_draft(body: HnsNotificationCreate, user: NotificationWriter, write: WriterDep):  # type: ignore[no-untyped-def]
    """Draft a movement notification by hand. The route must follow the scenario's roads, the window must
    end after it starts, the parties must exist and the expiry lie ahead (else 422 naming the field)."""

    def perform(session: Session) -> WriteOutcome:
        check_parties(session, body.party_ids)
        movement = session.get(Movement, body.movement_id)
        if movement is None:
            raise unprocessable(["body", "movement_id"], f"no movement {body.movement_id}")
        scenario_id = movement_scenario_id(session, movement, body.scenario_id)
        content, window = movement_content(session, scenario_of(session, scenario_id), body.content, ["body", "content"])
        row = new_version(session, user, kind="movement", content=content, party_ids=body.party_ids, window=window, expires_at=body.content.expires_at,
                          emergency=body.emergency, movement_id=movement.id, scenario_id=scenario_id)
        return WriteOutcome("hns_notification", row.id, payload(session, row))

    return write.run(user, "hns.draft", body, perform)


@router.get("/hns-notifications", response_model=list[HnsNotificationPublic], responses={200: {"headers": PAGINATION_HEADERS}})
def list_notifications(
    user: NotificationReader, session: SessionDep, request: Request, response: Response,
    movement_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    series_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    state: Annotated[str | None, Query(pattern="^(draft|sent|superseded)$")] = None,
    limit: Limit = DEFAULT_LIMIT, after: After = 0,
) -> list[dict[str, Any]]:
    """Versions, newest first, a page at a time (keyset on the id: ``after`` is the last id seen);
    a party liaison gets only those sent to their party."""
    query = visible(user).order_by(HnsNotification.id.desc()).limit(limit + 1)
    if after:
        query = query.where(HnsNotification.id < after)
    if movement_id is not None:
        query = query.where(HnsNotification.movement_id == movement_id)
    if series_id is not None:
        query = query.where(HnsNotification.series_id == series_id)
    if state is not None:
        query = query.where(HnsNotification.state == state)
    now = utcnow()
    rows = list(session.execute(query).scalars())
    return [payload(session, n, user, now) for n in next_page(rows, limit, lambda r: r.id, request, response)]


@router.get("/hns-notifications/{notification_id}", response_model=HnsNotificationPublic)
def get_notification(notification_id: PathId, user: NotificationReader, session: SessionDep) -> dict[str, Any]:
    return payload(session, get_visible(session, user, notification_id), user)


@router.get("/hns-notifications/{notification_id}/versions", response_model=list[HnsNotificationPublic])
def list_versions(notification_id: PathId, user: NotificationReader, session: SessionDep) -> list[dict[str, Any]]:
    """Every version of this notification the caller may see, oldest first, each with its diff."""
    row = get_visible(session, user, notification_id)
    allowed = {n.id for n in session.execute(visible(user).where(HnsNotification.series_id == row.series_id)).scalars()}
    return [payload(session, n, user) for n in series_versions(session, row.series_id or row.id) if n.id in allowed]


@router.patch("/hns-notifications/{notification_id}", response_model=HnsNotificationPublic)
def update_draft(notification_id: PathId, body: HnsDraftUpdate, user: NotificationWriter, write: WriterDep):  # type: ignore[no-untyped-def]
    """Replace a draft's content (e.g. fill in plates and the leader); a sent version is never edited."""

    def perform(session: Session) -> WriteOutcome:
        row = get_visible(session, user, notification_id, for_update=True)
        if row.state != "draft":
            raise conflict(f"notification {row.id} is {row.state}: draft a new version instead of editing it")
        if row.kind != "movement" or row.scenario_id is None:
            raise conflict(f"notification {row.id} is of a site: change the site (PATCH /sites/{row.site_id})")
        content, window = movement_content(session, scenario_of(session, row.scenario_id), body.content, ["body", "content"])
        row.content, (row.window_start, row.window_end), row.expires_at = content, window, body.content.expires_at
        if row.diff_base_id is not None:
            base = session.get(HnsNotification, row.diff_base_id)
            row.diff = content_diff(base.content, content) if base is not None else None
        session.flush()
        return WriteOutcome("hns_notification", row.id, payload(session, row), status.HTTP_200_OK)

    return write.run(user, "hns.update_draft", {"notification_id": notification_id, **body.model_dump(mode="json")}, perform)


@router.post("/hns-notifications/{notification_id}/send", response_model=HnsNotificationPublic)
def send_notification(notification_id: PathId, user: NotificationWriter, write: WriterDep, services: ServicesDep, body: HnsSend | None = None):  # type: ignore[no-untyped-def]
    """Send a draft to its parties (a later version re-notifies them and supersedes the earlier one).
    Notice shorter than the deployment's period is flagged ``notice.late``; the movement is not blocked."""

    def perform(session: Session) -> WriteOutcome:
        row = get_visible(session, user, notification_id, for_update=True)
        send(session, user, row, services.settings, given.receipt_due, given.dissemination_due)
        return WriteOutcome("hns_notification", row.id, payload(session, row), status.HTTP_200_OK)

    given = body or HnsSend()
    return write.run(user, "hns.send", {"notification_id": notification_id, **given.model_dump(mode="json")}, perform)


@router.post("/hns-notifications/{notification_id}/confirmations", response_model=HnsNotificationPublic, status_code=201)
def confirm(notification_id: PathId, body: ConfirmationCreate, user: PartyLiaison, write: WriterDep):  # type: ignore[no-untyped-def]
    """A liaison confirms, for their party, receipt or dissemination to field units (after receipt)."""

    def perform(session: Session) -> WriteOutcome:
        row, addressee = answerable(session, user, notification_id)
        now = utcnow()
        if body.kind == "receipt":
            if addressee.receipt_at is not None:
                raise conflict(f"receipt of notification {row.id} was confirmed at {addressee.receipt_at.isoformat()}")
            addressee.receipt_at, addressee.receipt_by = now, user.id
            session.flush()
            session.refresh(row, ["addressees"])
            if all(a.receipt_at is not None for a in row.addressees):
                move_movement(session, row, (MovementStatus.notified, MovementStatus.unacknowledged), MovementStatus.acknowledged, user.id,
                              f"every party confirmed receiving notification {row.id}")
        else:
            if addressee.receipt_at is None:
                raise conflict("confirm receipt first: dissemination to field units follows receipt")
            if addressee.dissemination_at is not None:
                raise conflict(f"dissemination of notification {row.id} was confirmed at {addressee.dissemination_at.isoformat()}")
            addressee.dissemination_at, addressee.dissemination_by, addressee.dissemination_note = now, user.id, body.note
        session.flush()
        return WriteOutcome("hns_notification", row.id, payload(session, row, user))

    return write.run(user, f"hns.confirm_{body.kind}", {"notification_id": notification_id, **body.model_dump(mode="json")}, perform)


def _conditioned_content(session: Session, row: HnsNotification, body: HnsResponseCreate) -> dict[str, Any] | None:
    """The content with the conditions' window and route applied, or None when they change neither."""
    conditions = body.conditions
    if conditions is None or (conditions.window is None and conditions.route is None):
        return None
    content = dict(row.content)
    if conditions.window is not None:
        window = conditions.window.model_dump(mode="json")
        content["window"] = window
        old_end = dt.datetime.fromisoformat(row.content["window"]["latest_arrival"])
        keep = row.expires_at - old_end
        content["expires_at"] = max(row.expires_at, conditions.window.latest_arrival + keep).isoformat()
    if conditions.route is not None:
        if row.scenario_id is None:
            raise unprocessable(["body", "conditions", "route"], "this notification has no scenario to check a route against")
        coordinates = [list(p) for p in conditions.route.coordinates]
        content["waypoints"] = check_route(scenario_of(session, row.scenario_id), coordinates, ["body", "conditions", "route", "coordinates"])
        content["route"] = {"type": "LineString", "coordinates": coordinates}
    return MovementContent.model_validate(content).model_dump(mode="json")


@router.post("/hns-notifications/{notification_id}/responses", response_model=HnsResponsePublic, status_code=201)
def respond(notification_id: PathId, body: HnsResponseCreate, user: PartyLiaison, write: WriterDep, services: ServicesDep):  # type: ignore[no-untyped-def]
    """A party's answer. Facilitated with conditions that change the window or the route drafts a new
    version (``new_version_id``) with its diff, to be sent to every party again (re-notification)."""

    def perform(session: Session) -> WriteOutcome:
        row, addressee = answerable(session, user, notification_id)
        new_content = _conditioned_content(session, row, body) if row.kind == "movement" else None
        response = HnsResponse(hns_notification_id=row.id, party_id=user.party_id, user_id=user.id, response=body.response, reason=body.reason,
                               conditions=body.conditions.model_dump(mode="json") if body.conditions else None, created_at=utcnow())
        session.add(response)
        addressee.response, addressee.responded_at = body.response, response.created_at
        session.flush()
        if new_content is not None:
            said = body.reason or (body.conditions.other if body.conditions else "")
            window = (dt.datetime.fromisoformat(new_content["window"]["earliest_departure"]), dt.datetime.fromisoformat(new_content["window"]["latest_arrival"]))
            new = new_version(session, user, kind=row.kind, content=new_content, party_ids=[a.party_id for a in row.addressees], window=window,
                              expires_at=dt.datetime.fromisoformat(new_content["expires_at"]), emergency=row.emergency, movement_id=row.movement_id,
                              scenario_id=row.scenario_id, previous=row, change_reason=f"conditions of party {user.party_id} (response {response.id}) {said}".strip())
            response.new_version_id = new.id
            services.audit.append(session, actor=user.username, action="hns.version", object_type="hns_notification", object_id=new.id, payload=payload(session, new))
        session.flush()
        return WriteOutcome("hns_response", response.id, HnsResponsePublic.model_validate(response).model_dump(mode="json"))

    return write.run(user, f"hns.respond_{body.response}", {"notification_id": notification_id, **body.model_dump(mode="json")}, perform)


@router.get("/hns-notifications/{notification_id}/responses", response_model=list[HnsResponsePublic])
def list_responses(notification_id: PathId, user: NotificationReader, session: SessionDep) -> list[HnsResponse]:
    get_visible(session, user, notification_id)
    query = select(HnsResponse).where(HnsResponse.hns_notification_id == notification_id).order_by(HnsResponse.id)
    if user.role == Role.party_liaison:
        query = query.where(HnsResponse.party_id == user.party_id)
    return list(session.execute(query).scalars())


@router.post("/hns-notifications/{notification_id}/legs/{leg_index}/clearance", response_model=HnsNotificationPublic, status_code=201)
def clear_leg(notification_id: PathId, leg_index: Annotated[int, Path(ge=0, le=499)], body: LegClearanceCreate, user: PartyLiaison, write: WriterDep):  # type: ignore[no-untyped-def]
    """A party's green (or red) light for one leg of the route, e.g. past one of its control points."""

    def perform(session: Session) -> WriteOutcome:
        row, _ = answerable(session, user, notification_id)
        legs = len(row.content["route"]["coordinates"]) - 1 if row.kind == "movement" else 0
        if leg_index >= legs:
            raise unprocessable(["path", "leg_index"], f"the route has {legs} legs (0 to {legs - 1})")
        session.add(LegClearance(hns_notification_id=row.id, party_id=user.party_id, leg_index=leg_index, light=body.light, note=body.note, user_id=user.id, created_at=utcnow()))
        session.flush()
        return WriteOutcome("hns_notification", row.id, payload(session, row, user))

    return write.run(user, f"hns.leg_{body.light}", {"notification_id": notification_id, "leg_index": leg_index, **body.model_dump(mode="json")}, perform)


def _escalation(row: HnsNotification, party_id: int, missing: str, due: dt.datetime, escalated_at: dt.datetime | None) -> dict[str, Any]:
    return HnsEscalationPublic(hns_notification_id=row.id, series_id=row.series_id or row.id, version=row.version, party_id=party_id, missing=missing,  # type: ignore[arg-type]
                               due=due, escalated_at=escalated_at).model_dump(mode="json")


def _escalation_position(due: dt.datetime, notification_id: int, party_id: int, kind: str) -> tuple[int, int, int, int]:
    return (int(due.replace(tzinfo=due.tzinfo or dt.UTC).timestamp() * 1_000_000), notification_id, party_id, CONFIRMATION_ORDER[kind])


@router.get("/hns-escalations", response_model=list[HnsEscalationPublic], responses={200: {"headers": PAGINATION_HEADERS}})
def list_escalations(
    user: EscalationReader, session: SessionDep, request: Request, response: Response, limit: Limit = DEFAULT_LIMIT,
    after: Annotated[str | None, Query(pattern=r"^\d{1,20}-\d{1,10}-\d{1,10}-[01]$", description="Cursor: the `Next-Cursor` of the previous page.")] = None,
) -> list[dict[str, Any]]:
    """Every confirmation (receipt, dissemination) past its deadline on a sent version, oldest first,
    a page at a time (the cursor is the position of the last one seen: deadline, version, party, kind)."""
    rows = list(overdue_confirmations(session, utcnow()))
    if after is not None:
        start = tuple(int(part) for part in after.split("-"))
        rows = [r for r in rows if _escalation_position(r[3], r[0].id, r[1].party_id, r[2]) > start]
    page = next_page(rows, limit, lambda r: "-".join(str(p) for p in _escalation_position(r[3], r[0].id, r[1].party_id, r[2])), request, response)
    return [_escalation(row, a.party_id, kind, due, a.receipt_escalated_at if kind == "receipt" else a.dissemination_escalated_at)
            for row, a, kind, due in page]


@router.post("/hns-escalations/sweep", response_model=HnsSweepPublic)
def sweep(user: EscalationSweeper, write: WriterDep):  # type: ignore[no-untyped-def]
    """Escalate (time-stamp) every overdue confirmation not escalated yet; the audit log records which."""

    def perform(session: Session) -> WriteOutcome:
        now = utcnow()
        escalated = []
        for row, a, kind, due in overdue_confirmations(session, now, unescalated_only=True):
            setattr(a, f"{kind}_escalated_at", now)
            if kind == "receipt":
                move_movement(session, row, (MovementStatus.notified,), MovementStatus.unacknowledged, user.id,
                              f"party {a.party_id} has not confirmed receiving notification {row.id} (due {due.isoformat()})")
            escalated.append(_escalation(row, a.party_id, kind, due, now))
        session.flush()
        return WriteOutcome("hns_escalation", now.strftime("%Y%m%dT%H%M%S%fZ"), {"escalated": escalated}, status.HTTP_200_OK)

    return write.run(user, "hns.sweep", None, perform)


__all__ = ["router"]
