"""Movements (from plans or entered by hand), their status lifecycle, and the event record."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from safepassage.service.api.deps import (
    EventReader,
    EventRecorder,
    MovementReader,
    MovementStatusWriter,
    MovementWriter,
    SessionDep,
    WriteOutcome,
    WriterDep,
)
from safepassage.service.api.errors import conflict, not_found, unprocessable
from safepassage.service.lifecycle import MovementStatus, transition_problem
from safepassage.service.models import Event, Movement, MovementStatusChange, utcnow
from safepassage.service.movements import movements_public
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
    EventCreate,
    EventKind,
    EventPublic,
    MovementCreate,
    MovementPublic,
    MovementStatusUpdate,
)

router = APIRouter()
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]


def transition(session: Session, movement: Movement, target: MovementStatus | str, user_id: int, reason: str = "") -> None:
    """Move ``movement`` to ``target`` (409 naming the allowed transitions if the lifecycle forbids it)."""
    target = MovementStatus(target)
    problem = transition_problem(movement.status, target)
    if problem:
        raise conflict(f"movement {movement.id}: {problem}")
    movement.history.append(MovementStatusChange(movement_id=movement.id, from_status=movement.status, to_status=target.value, reason=reason, changed_by=user_id))
    movement.status = target.value
    movement.updated_at = utcnow()


def movement_payload(movement: Movement) -> dict:
    return MovementPublic.model_validate(movement).model_dump(mode="json")


@router.post("/movements", response_model=MovementPublic, status_code=201, tags=["movements"])
async def create_movement(body: MovementCreate, user: MovementWriter, write: WriterDep):  # type: ignore[no-untyped-def]
    """Enter a movement by hand (status ``requested``), e.g. one planned outside Safe Passage."""
    from safepassage.service.api.plans import add_movements

    def perform(session: Session) -> WriteOutcome:
        if body.kind == "convoy" and body.trucks < 1:
            raise unprocessable(["body", "trucks"], "a convoy has at least one truck")
        if body.kind == "evacuation" and body.people < 1:
            raise unprocessable(["body", "people"], "an evacuation movement moves at least one person")
        (row,) = add_movements(session, None, [body], user.id)
        return WriteOutcome("movement", row.id, movement_payload(row))

    return await write.arun(user, "movement.create", body, perform)


@router.get("/movements", response_model=list[MovementPublic], tags=["movements"], responses={200: {"headers": PAGINATION_HEADERS}},
            dependencies=[Depends(refuse_offset)])
def list_movements(
    user: MovementReader, session: SessionDep, request: Request, response: Response,
    status_: Annotated[MovementStatus | None, Query(alias="status")] = None,
    plan_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Limit = DEFAULT_LIMIT, after: After = 0,
) -> list[dict[str, Any]]:
    """Movements by id, a page at a time (keyset on the id), each with its status history."""
    where = [Movement.id > after]
    if status_ is not None:
        where.append(Movement.status == status_.value)
    if plan_id is not None:
        where.append(Movement.plan_id == plan_id)
    return next_page(movements_public(session, *where, limit=limit + 1), limit, lambda m: m["id"], request, response)


@router.get("/movements/{movement_id}", response_model=MovementPublic, tags=["movements"])
def get_movement(movement_id: PathId, user: MovementReader, session: SessionDep) -> Movement:
    movement = session.get(Movement, movement_id)
    if movement is None:
        raise not_found("movement", movement_id)
    return movement


@router.post("/movements/{movement_id}/status", response_model=MovementPublic, tags=["movements"])
async def change_status(movement_id: PathId, body: MovementStatusUpdate, user: MovementStatusWriter, write: WriterDep):  # type: ignore[no-untyped-def]
    """Record a status change; only the lifecycle's transitions are allowed (409 otherwise)."""

    def perform(session: Session) -> WriteOutcome:
        movement = session.get(Movement, movement_id, with_for_update=True)
        if movement is None:
            raise not_found("movement", movement_id)
        transition(session, movement, body.status, user.id, body.reason)
        session.flush()
        return WriteOutcome("movement", movement.id, movement_payload(movement), status.HTTP_200_OK)

    return await write.arun(user, "movement.status", {"movement_id": movement_id, **body.model_dump(mode="json")}, perform)


EVENT_STATUS = {"departed": MovementStatus.in_transit, "arrived": MovementStatus.arrived}
RELATIVE_SLACK = 1e-6  # rounding in the client's arithmetic, not a tolerance for more cargo


def check_arrival(body: EventCreate, movement: Movement) -> None:
    """An arrival cannot bring more than its movement carried: per commodity, good plus damaged at most
    the cargo (a commodity it did not carry at all is refused), and at most the people it moved."""
    cargo = {k: float(v) for k, v in (movement.cargo or {}).items()}
    for commodity in sorted(set(body.quantities_good) | set(body.quantities_damaged)):
        arrived = body.quantities_good.get(commodity, 0.0) + body.quantities_damaged.get(commodity, 0.0)
        carried = cargo.get(commodity)
        field = "quantities_good" if commodity in body.quantities_good else "quantities_damaged"
        if carried is None:
            raise unprocessable(["body", field, commodity], f"movement {movement.id} carried no {commodity} "
                                f"(its cargo: {', '.join(sorted(cargo)) or 'none'}): record what arrived from its own movement")
        if arrived > carried * (1 + RELATIVE_SLACK) + RELATIVE_SLACK:
            raise unprocessable(["body", field, commodity], f"{arrived:g} of {commodity} arrived (good plus damaged) but movement "
                                f"{movement.id} carried {carried:g}: an arrival cannot exceed the cargo; check the unit and the figure")
    if body.people is not None and movement.kind == "evacuation" and body.people > movement.people:
        raise unprocessable(["body", "people"], f"{body.people} people arrived but movement {movement.id} moved {movement.people}")


@router.post("/events", response_model=EventPublic, status_code=201, tags=["events"])
async def record_event(body: EventCreate, user: EventRecorder, write: WriterDep):  # type: ignore[no-untyped-def]
    """Record an observation. ``departed``/``arrived`` also move their movement along the lifecycle."""

    def perform(session: Session) -> WriteOutcome:
        if body.movement_id is not None:
            movement = session.get(Movement, body.movement_id, with_for_update=True)
            if movement is None:
                raise unprocessable(["body", "movement_id"], f"no movement {body.movement_id}")
            if body.kind == "arrived":
                check_arrival(body, movement)
            if body.kind in EVENT_STATUS:
                transition(session, movement, EVENT_STATUS[body.kind], user.id, f"event: {body.kind}")
        event = Event(**body.model_dump(), recorded_by=user.id)
        session.add(event)
        session.flush()
        return WriteOutcome("event", event.id, EventPublic.model_validate(event).model_dump(mode="json"))

    return await write.arun(user, f"event.{body.kind}", body, perform)


@router.get("/events", response_model=list[EventPublic], tags=["events"], responses={200: {"headers": PAGINATION_HEADERS}},
            dependencies=[Depends(refuse_offset)])
def list_events(
    user: EventReader, session: SessionDep, request: Request, response: Response,
    kind: Annotated[EventKind | None, Query()] = None,
    movement_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Limit = DEFAULT_LIMIT, after: AfterMoment = None,
) -> list[Event]:
    """Events in the order they happened (then by id), a page at a time (keyset on both)."""
    query = select(Event).order_by(Event.occurred_at, Event.id).limit(limit + 1)
    if after is not None:
        query = query.where(after_moment(after, Event.occurred_at, Event.id))
    if kind is not None:
        query = query.where(Event.kind == kind)
    if movement_id is not None:
        query = query.where(Event.movement_id == movement_id)
    return next_page(list(session.execute(query).scalars()), limit, lambda e: moment_cursor(e.occurred_at, e.id), request, response)
