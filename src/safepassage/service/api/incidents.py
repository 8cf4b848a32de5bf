"""Incidents tied to what was notified, their export for accountability work, and movement outcomes
in OCHA's vocabulary with the time held at checkpoints. Staff only (exact positions)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from safepassage.service.api.deps import (
    EventReader,
    EventRecorder,
    MovementReader,
    MovementStatusWriter,
    SessionDep,
    WriteOutcome,
    WriterDep,
)
from safepassage.service.api.errors import not_found, unprocessable
from safepassage.service.incident_links import link_record, nearby_notifications
from safepassage.service.models import Event, IncidentLink, IncidentLocation, Movement, MovementOutcome, utcnow
from safepassage.service.pagination import DEFAULT_LIMIT, PAGINATION_HEADERS, After, Limit, next_page
from safepassage.service.schemas import (
    MAX_ID,
    IncidentCreate,
    IncidentPublic,
    MovementOutcomeCreate,
    MovementOutcomePublic,
)

router = APIRouter(tags=["incidents"])
FUTURE_TOLERANCE = dt.timedelta(minutes=10)  # clocks of field devices drift
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _incident(session: Session, event: Event, where: IncidentLocation) -> dict[str, Any]:
    links = session.execute(select(IncidentLink).where(IncidentLink.event_id == event.id).order_by(IncidentLink.distance_km, IncidentLink.id)).scalars()
    return IncidentPublic.model_validate({
        "event_id": event.id, "occurred_at": event.occurred_at.isoformat(), "lon": where.lon, "lat": where.lat, "incident_category": event.incident_category or "",
        "description": event.description, "movement_id": event.movement_id, "radius_km": where.radius_km, "margin_minutes": where.margin_minutes,
        "links": [link_record(session, link, event.occurred_at) for link in links],
    }).model_dump(mode="json")


@router.post("/incidents", response_model=IncidentPublic, status_code=201)
def record_incident(body: IncidentCreate, user: EventRecorder, write: WriterDep):  # type: ignore[no-untyped-def]
    """Record an incident at a place and time (an ``incident`` event) and link it at once to every notified
    movement or site within ``radius_km`` and inside its window widened by ``margin_minutes``."""

    if body.occurred_at > utcnow() + FUTURE_TOLERANCE:
        raise unprocessable(["body", "occurred_at"], f"{body.occurred_at.isoformat()} is in the future: an incident is recorded once it has happened")

    def perform(session: Session) -> WriteOutcome:
        if body.movement_id is not None and session.get(Movement, body.movement_id) is None:
            raise unprocessable(["body", "movement_id"], f"no movement {body.movement_id}")
        event = Event(kind="incident", occurred_at=body.occurred_at, movement_id=body.movement_id, incident_category=body.incident_category,
                      description=body.description, recorded_by=user.id, created_at=utcnow())
        session.add(event)
        session.flush()
        where = IncidentLocation(event_id=event.id, lon=body.lon, lat=body.lat, radius_km=body.radius_km, margin_minutes=body.margin_minutes)
        session.add(where)
        for row, distance in nearby_notifications(session, body.occurred_at, body.lon, body.lat, body.radius_km, body.margin_minutes):
            session.add(IncidentLink(event_id=event.id, hns_notification_id=row.id, distance_km=distance, created_at=utcnow()))
        session.flush()
        return WriteOutcome("event", event.id, _incident(session, event, where))

    return write.run(user, "incident.record", body, perform)


def _all_incidents(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(select(Event, IncidentLocation).join(IncidentLocation, IncidentLocation.event_id == Event.id).order_by(Event.occurred_at, Event.id)).all()
    return [_incident(session, event, where) for event, where in rows]


def _incident_cursor(row: Any) -> str:
    occurred = row[0].occurred_at
    return f"{int(occurred.replace(tzinfo=occurred.tzinfo or dt.UTC).timestamp() * 1_000_000)}-{row[0].id}"


@router.get("/incidents", response_model=list[IncidentPublic], responses={200: {"headers": PAGINATION_HEADERS}})
def list_incidents(
    user: EventReader, session: SessionDep, request: Request, response: Response, limit: Limit = DEFAULT_LIMIT,
    after: Annotated[str | None, Query(pattern=r"^-?\d{1,20}-\d{1,10}$", description="Cursor: the `Next-Cursor` of the previous page.")] = None,
) -> list[dict[str, Any]]:
    """Incidents in the order they occurred, a page at a time (keyset on the time and id)."""
    query = select(Event, IncidentLocation).join(IncidentLocation, IncidentLocation.event_id == Event.id).order_by(Event.occurred_at, Event.id).limit(limit + 1)
    if after is not None:
        micros, _, ident = after.rpartition("-")
        try:
            occurred = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=int(micros))
        except OverflowError:
            raise unprocessable(["query", "after"], "not a cursor from this list") from None
        query = query.where(or_(Event.occurred_at > occurred, (Event.occurred_at == occurred) & (Event.id > int(ident))))
    rows = list(session.execute(query).all())
    return [_incident(session, event, where) for event, where in next_page(rows, limit, _incident_cursor, request, response)]


@router.get("/incidents/{event_id}", response_model=IncidentPublic)
def get_incident(event_id: PathId, user: EventReader, session: SessionDep) -> dict[str, Any]:
    event, where = session.get(Event, event_id), session.get(IncidentLocation, event_id)
    if event is None or where is None:
        raise not_found("incident", event_id)
    return _incident(session, event, where)


EXPORT_COLUMNS = [
    "incident_id", "occurred_at", "incident_category", "notification_id", "series_id", "version", "kind", "movement_id", "site_id", "distance_km",
    "notified_at", "notified_before_incident", "party", "receipt_at", "receipt_by", "receipt_before_incident", "dissemination_at", "dissemination_by",
    "dissemination_before_incident", "response", "responded_at",
]


@router.get("/incident-links/export", responses={200: {"content": {"text/csv": {}, "application/json": {}}}})
def export_links(user: EventReader, session: SessionDep, format: Annotated[Literal["csv", "json"], Query()] = "csv") -> Response:
    """Every incident-to-notification link, one row per party told: what accountability work needs."""
    rows = []
    for incident in _all_incidents(session):
        for link in incident["links"]:
            for party in link["parties"] or [{}]:
                rows.append({
                    "incident_id": incident["event_id"], "occurred_at": incident["occurred_at"], "incident_category": incident["incident_category"],
                    "notification_id": link["hns_notification_id"], "series_id": link["series_id"], "version": link["version"], "kind": link["kind"],
                    "movement_id": link["movement_id"], "site_id": link["site_id"], "distance_km": link["distance_km"], "notified_at": link["notified_at"],
                    "notified_before_incident": link["notified_before_incident"], **{k: party.get(k) for k in EXPORT_COLUMNS[12:] if k != "party"},
                    "party": party.get("party"),
                })
    if format == "json":
        return Response(content=json.dumps(rows), media_type="application/json")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: "" if r[k] is None else r[k] for k in EXPORT_COLUMNS} for r in rows)
    return Response(content=out.getvalue(), media_type="text/csv")


@router.post("/movement-outcomes", response_model=MovementOutcomePublic, status_code=201, tags=["movements"])
def record_outcome(body: MovementOutcomeCreate, user: MovementStatusWriter, write: WriterDep):  # type: ignore[no-untyped-def]
    """How a movement went, in OCHA's words (facilitated, partially facilitated, initially facilitated then
    impeded, denied, postponed, cancelled), with the time held at each checkpoint (summed in minutes)."""

    def perform(session: Session) -> WriteOutcome:
        if session.get(Movement, body.movement_id) is None:
            raise unprocessable(["body", "movement_id"], f"no movement {body.movement_id}")
        holds = [h.model_dump(mode="json") | {"held_minutes": round((h.held_until - h.held_from).total_seconds() / 60, 2)} for h in body.checkpoint_holds]
        outcome = MovementOutcome(movement_id=body.movement_id, outcome=body.outcome, checkpoint_holds=holds, held_minutes=round(sum(h["held_minutes"] for h in holds), 2),
                                  note=body.note, recorded_by=user.id, created_at=utcnow())
        session.add(outcome)
        session.flush()
        return WriteOutcome("movement_outcome", outcome.id, MovementOutcomePublic.model_validate(outcome).model_dump(mode="json"))

    return write.run(user, f"movement.outcome_{body.outcome}", body, perform)


@router.get("/movement-outcomes", response_model=list[MovementOutcomePublic], tags=["movements"], responses={200: {"headers": PAGINATION_HEADERS}})
def list_outcomes(user: MovementReader, session: SessionDep, request: Request, response: Response,
                  movement_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
                  limit: Limit = DEFAULT_LIMIT, after: After = 0) -> list[MovementOutcome]:
    """Outcomes in the order recorded, a page at a time (keyset on the id)."""
    query = select(MovementOutcome).where(MovementOutcome.id > after).order_by(MovementOutcome.id).limit(limit + 1)
    if movement_id is not None:
        query = query.where(MovementOutcome.movement_id == movement_id)
    return next_page(list(session.execute(query).scalars()), limit, lambda r: r.id, request, response)


__all__ = ["router"]
