"""Scenarios and plans: upload a scenario, plan a proposal (or upload a plan), re-plan from the record."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections import defaultdict
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Path, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from safepassage.errors import InfeasibleError, ScenarioError, SolverError, UnknownProposalError
from safepassage.plan import PlanResult, plan_proposal
from safepassage.plan.replan import CurrentState, StockPosition, replan
from safepassage.scenario import Scenario, parse_scenario
from safepassage.service.api.deps import PlanReader, PlanWriter, ScenarioWriter, SessionDep, WriteOutcome, WriterDep
from safepassage.service.api.errors import not_found, scenario_problems, unprocessable
from safepassage.service.lifecycle import DEPARTED, MOVING, MovementStatus
from safepassage.service.models import Event, Movement, MovementStatusChange, PlanRecord, ScenarioRecord, utcnow
from safepassage.service.schemas import MAX_ID, MovementCreate, MovementPublic, PlanCreate, PlanPublic, ReplanRequest, ScenarioCreate, ScenarioPublic

router = APIRouter()
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]


def scenario_summary(scenario: Scenario) -> dict[str, Any]:
    """What the list and the audit need of a scenario, stored with it so nobody parses YAML to list them."""
    return {"proposals": [p.id for p in scenario.proposals]}


def scenario_public(record: ScenarioRecord, scenario: Scenario | None = None) -> dict[str, Any]:
    summary = record.summary
    if summary is None:  # stored before summaries were kept (migration 0002)
        summary = scenario_summary(scenario or parse_scenario(record.yaml_text, source=f"scenario {record.id}"))
    return ScenarioPublic(id=record.id, name=record.name, title=record.title, proposals=list(summary["proposals"]), created_at=record.created_at,
                          yaml_sha256=hashlib.sha256(record.yaml_text.encode("utf-8")).hexdigest()).model_dump(mode="json")


@router.post("/scenarios", response_model=ScenarioPublic, status_code=201, tags=["plans"])
def create_scenario(body: ScenarioCreate, user: ScenarioWriter, write: WriterDep):  # type: ignore[no-untyped-def]
    """Store a scenario (YAML); every problem in it is reported at once, with its path."""
    try:
        scenario = parse_scenario(body.yaml, source="yaml")
    except ScenarioError as exc:
        raise scenario_problems(exc, ["body", "yaml"]) from None

    def perform(session: Session) -> WriteOutcome:
        record = ScenarioRecord(name=scenario.name, title=scenario.title, yaml_text=body.yaml, created_by=user.id, summary=scenario_summary(scenario))
        session.add(record)
        session.flush()
        return WriteOutcome("scenario", record.id, scenario_public(record, scenario))

    return write.run(user, "scenario.create", body, perform)


@router.get("/scenarios", response_model=list[ScenarioPublic], tags=["plans"])
def list_scenarios(user: PlanReader, session: SessionDep) -> list[dict[str, Any]]:
    return [scenario_public(r) for r in session.execute(select(ScenarioRecord).order_by(ScenarioRecord.id)).scalars()]


@router.get("/scenarios/{scenario_id}", response_model=ScenarioPublic, tags=["plans"])
def get_scenario(scenario_id: PathId, user: PlanReader, session: SessionDep) -> dict[str, Any]:
    record = session.get(ScenarioRecord, scenario_id)
    if record is None:
        raise not_found("scenario", scenario_id)
    return scenario_public(record)


def _local(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _json_safe(value: Any) -> Any:
    """Plain JSON: NaN and infinities (which JSON lacks) become null; other objects become strings."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return str(value)


def movements_from_result(result: PlanResult, scenario: Scenario) -> list[MovementCreate]:
    """One movement per convoy and per evacuation movement of a plan (times made UTC-aware)."""
    tz = ZoneInfo(scenario.timezone)

    def aware(text: str) -> dt.datetime:
        moment = _local(text)
        return (moment if moment.tzinfo else moment.replace(tzinfo=tz)).astimezone(dt.UTC)

    out = [
        MovementCreate(kind="convoy", reference=c.id, origin=c.origin, destination=c.destination, route=list(c.route), departs=aware(c.departs), arrives=aware(c.arrives), trucks=c.trucks, cargo={k: float(v) for k, v in c.cargo.items()})
        for c in result.convoys
    ]
    out += [
        MovementCreate(kind="evacuation", reference=e.id, origin=e.corridor[0] if e.corridor else e.origin_zone, destination=e.destination, route=list(e.corridor), departs=aware(e.departs), arrives=aware(e.arrives), people=e.people, origin_zone=e.origin_zone)
        for e in result.evacuations
    ]
    return out


def add_movements(session: Session, plan_id: int | None, movements: list[MovementCreate], user_id: int) -> list[Movement]:
    rows = []
    for m in movements:
        row = Movement(plan_id=plan_id, **m.model_dump(), status=MovementStatus.requested.value, created_by=user_id)
        row.history = [MovementStatusChange(from_status=None, to_status=MovementStatus.requested.value, reason="created", changed_by=user_id)]
        rows.append(row)
    session.add_all(rows)
    session.flush()
    return rows


def plan_public(plan: PlanRecord, movement_ids: list[int]) -> dict[str, Any]:
    return PlanPublic(id=plan.id, scenario_id=plan.scenario_id, proposal=plan.proposal, origin=plan.origin, parent_plan_id=plan.parent_plan_id, summary=plan.summary, state=plan.state, movement_ids=movement_ids, created_at=plan.created_at).model_dump(mode="json")


def _run_engine(call: Any) -> PlanResult:
    try:
        return call()
    except UnknownProposalError as exc:
        raise unprocessable(["body", "proposal"], str(exc)) from None
    except ScenarioError as exc:
        raise scenario_problems(exc, ["body"]) from None
    except InfeasibleError as exc:
        raise unprocessable(["body"], f"no feasible plan: {exc}", "infeasible") from None
    except SolverError as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, f"the solver failed: {exc}") from None


def _load_scenario(session: Session, scenario_id: int, loc: list[str | int]) -> tuple[ScenarioRecord, Scenario]:
    record = session.get(ScenarioRecord, scenario_id)
    if record is None:
        raise unprocessable(loc, f"no scenario {scenario_id}")
    return record, parse_scenario(record.yaml_text, source=f"scenario {record.id}")


@router.post("/plans", response_model=PlanPublic, status_code=201, tags=["plans"])
def create_plan(body: PlanCreate, user: PlanWriter, write: WriterDep, session: SessionDep):  # type: ignore[no-untyped-def]
    """Plan a proposal of a stored scenario with the engine (or store the uploaded ``movements``).

    Every convoy and evacuation movement becomes a movement in status ``requested``."""
    record, scenario = _load_scenario(session, body.scenario_id, ["body", "scenario_id"])
    session.rollback()  # planning takes a while: hold no snapshot meanwhile
    if body.movements is not None:
        try:
            scenario.proposal(body.proposal)
        except UnknownProposalError as exc:
            raise unprocessable(["body", "proposal"], str(exc)) from None
        origin, summary, movements = "uploaded", {"name": body.proposal, "convoys": sum(m.kind == "convoy" for m in body.movements), "evacuation_movements": sum(m.kind == "evacuation" for m in body.movements)}, body.movements
    else:
        update = {k: v for k, v in (("days", body.horizon_days), ("slot_minutes", body.slot_minutes)) if v is not None}
        result = _run_engine(lambda: plan_proposal(scenario, body.proposal, scenario.horizon.model_copy(update=update), time_limit_s=120))
        origin, summary, movements = "planned", _json_safe(result.summary()), movements_from_result(result, scenario)

    def perform(write_session: Session) -> WriteOutcome:
        plan = PlanRecord(scenario_id=record.id, proposal=body.proposal, origin=origin, summary=summary, created_by=user.id)
        write_session.add(plan)
        write_session.flush()
        rows = add_movements(write_session, plan.id, movements, user.id)
        return WriteOutcome("plan", plan.id, plan_public(plan, [r.id for r in rows]))

    return write.run(user, "plan.create", body, perform)


@router.get("/plans", response_model=list[PlanPublic], tags=["plans"])
def list_plans(user: PlanReader, session: SessionDep) -> list[dict[str, Any]]:
    plans = list(session.execute(select(PlanRecord).order_by(PlanRecord.id)).scalars())
    ids: dict[int, list[int]] = defaultdict(list)
    for movement_id, plan_id in session.execute(select(Movement.id, Movement.plan_id).where(Movement.plan_id.is_not(None)).order_by(Movement.id)):
        ids[plan_id].append(movement_id)
    return [plan_public(p, ids[p.id]) for p in plans]


@router.get("/plans/{plan_id}", response_model=PlanPublic, tags=["plans"])
def get_plan(plan_id: PathId, user: PlanReader, session: SessionDep) -> dict[str, Any]:
    plan = session.get(PlanRecord, plan_id)
    if plan is None:
        raise not_found("plan", plan_id)
    return plan_public(plan, list(session.execute(select(Movement.id).where(Movement.plan_id == plan_id).order_by(Movement.id)).scalars()))


@router.get("/plans/{plan_id}/movements", response_model=list[MovementPublic], tags=["plans"])
def plan_movements(plan_id: PathId, user: PlanReader, session: SessionDep) -> list[Movement]:
    if session.get(PlanRecord, plan_id) is None:
        raise not_found("plan", plan_id)
    return list(session.execute(select(Movement).where(Movement.plan_id == plan_id).order_by(Movement.id)).scalars())


def recorded_state(session: Session, plan: PlanRecord, scenario: Scenario, at_local: dt.datetime) -> CurrentState:
    """What the record says at ``at_local``: stock left and in transit, people still waiting, closures.

    Convoys that departed take their cargo from their origin's stock; those still moving add it at their
    destination from their expected arrival; returned convoys give it back. People who departed (and did
    not return) no longer wait. Crossing closed/opened events up to ``at`` decide what is closed.
    """
    tz = ZoneInfo(scenario.timezone)
    lineage, cursor = [], plan
    while cursor is not None and len(lineage) < 100:
        lineage.append(cursor.id)
        cursor = session.get(PlanRecord, cursor.parent_plan_id) if cursor.parent_plan_id else None
    movements = list(session.execute(select(Movement).where(Movement.plan_id.in_(lineage))).scalars())

    def local(moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(tz).replace(tzinfo=None)

    stock: dict[tuple[str, str], float] = defaultdict(float)
    available: dict[tuple[str, str], dt.datetime | None] = {}
    for s in scenario.stocks:
        stock[(s.place, s.commodity)] += s.quantity
        available[(s.place, s.commodity)] = s.available_from
    positions: list[StockPosition] = []
    people_gone: dict[str, float] = defaultdict(float)
    for m in movements:
        status_ = MovementStatus(m.status)
        if status_ not in DEPARTED or status_ == MovementStatus.returned:
            continue
        if m.kind == "convoy":
            for commodity, quantity in m.cargo.items():
                stock[(m.origin, commodity)] -= float(quantity)
                if status_ in MOVING:
                    positions.append(StockPosition(m.destination, commodity, float(quantity), local(m.arrives)))
        elif m.origin_zone:
            people_gone[m.origin_zone] += m.people
    positions += [StockPosition(place, commodity, max(0.0, q), available.get((place, commodity))) for (place, commodity), q in stock.items() if q > 1e-9]
    waiting = {z.id: max(0.0, z.evacuation.wants_to_leave - people_gone[z.id]) for z in scenario.zones if z.evacuation is not None}

    place_ids, road_ids = {p.id for p in scenario.places}, {r.id for r in scenario.roads}
    closed_places: set[str] = set()
    closed_roads: set[str] = set()
    at_utc = at_local.replace(tzinfo=tz).astimezone(dt.UTC)
    events = session.execute(select(Event).where(Event.kind.in_(("crossing_closed", "crossing_opened")), Event.occurred_at <= at_utc).order_by(Event.occurred_at, Event.id)).scalars()
    for event in events:
        for ident, known, closed in ((event.place_id, place_ids, closed_places), (event.road_id, road_ids, closed_roads)):
            if ident and ident in known:
                (closed.add if event.kind == "crossing_closed" else closed.discard)(ident)
    return CurrentState(at=at_local, stock=positions, people_waiting=waiting, closed_places=closed_places, closed_roads=closed_roads)


def _state_json(state: CurrentState) -> dict[str, Any]:
    return {
        "at": state.at.isoformat(),
        "stock": [{"place": s.place, "commodity": s.commodity, "quantity": s.quantity, "available_from": s.available_from.isoformat() if s.available_from else None} for s in state.stock or []],
        "people_waiting": state.people_waiting,
        "closed_places": sorted(state.closed_places),
        "closed_roads": sorted(state.closed_roads),
    }


@router.post("/plans/{plan_id}/replan", response_model=PlanPublic, status_code=201, tags=["plans"])
def replan_plan(plan_id: PathId, body: ReplanRequest, user: PlanWriter, write: WriterDep, session: SessionDep):  # type: ignore[no-untyped-def]
    """Re-plan the rest of the horizon from the recorded state at ``at``: arrivals, movements in
    transit, people who left, closures. The new plan (origin ``replanned``) keeps the state it used."""
    plan = session.get(PlanRecord, plan_id)
    if plan is None:
        raise not_found("plan", plan_id)
    record, scenario = _load_scenario(session, plan.scenario_id, ["path", "plan_id"])
    tz = ZoneInfo(scenario.timezone)
    at_local = body.at.astimezone(tz).replace(tzinfo=None) if body.at.tzinfo else body.at
    state = recorded_state(session, plan, scenario, at_local)
    session.rollback()
    try:
        result = _run_engine(lambda: replan(scenario, plan.proposal, state, time_limit_s=120))
    except HTTPException as exc:
        if exc.status_code == 422 and isinstance(exc.detail, list):
            for item in exc.detail:
                if item["loc"][:2] == ["body", "state"] and "at" in item["loc"]:
                    item["loc"] = ["body", "at"]
        raise
    summary = _json_safe(result.summary())
    movements = movements_from_result(result, scenario)

    def perform(write_session: Session) -> WriteOutcome:
        new = PlanRecord(scenario_id=record.id, proposal=plan.proposal, origin="replanned", parent_plan_id=plan.id, summary=summary, state=_state_json(state), created_by=user.id, created_at=utcnow())
        write_session.add(new)
        write_session.flush()
        rows = add_movements(write_session, new.id, movements, user.id)
        return WriteOutcome("plan", new.id, plan_public(new, [r.id for r in rows]))

    return write.run(user, "plan.replan", {"plan_id": plan_id, **body.model_dump(mode="json")}, perform)
