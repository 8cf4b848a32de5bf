"""Scenarios and plans: upload a scenario, plan a proposal (or upload a plan), re-plan from the record."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import yaml
from fastapi import APIRouter, HTTPException, Path, Request, Response, status
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from safepassage.errors import ScenarioError, UnknownProposalError
from safepassage.plan.replan import CurrentState, StockPosition
from safepassage.scenario import Scenario, parse_scenario
from safepassage.service.api.deps import (
    PlanReader,
    PlanWriter,
    ScenarioWriter,
    Services,
    ServicesDep,
    SessionDep,
    WriteOutcome,
    Writer,
    WriterDep,
)
from safepassage.service.api.errors import not_found, scenario_problems, unprocessable
from safepassage.service.auth import Principal
from safepassage.service.jobs import PlanJobRequest, PlanJobs, json_safe, movements_from_result
from safepassage.service.lifecycle import DEPARTED, MOVING, MovementStatus
from safepassage.service.models import (
    Event,
    Movement,
    MovementStatusChange,
    PlanJob,
    PlanRecord,
    PlanResultRecord,
    ScenarioRecord,
    utcnow,
)
from safepassage.service.movements import movements_public
from safepassage.service.pagination import DEFAULT_LIMIT, PAGINATION_HEADERS, After, Limit, next_page
from safepassage.service.schemas import (
    MAX_ID,
    MovementCreate,
    MovementPublic,
    PlanCreate,
    PlanJobPublic,
    PlanPublic,
    ReplanRequest,
    ScenarioCreate,
    ScenarioPublic,
)
from safepassage.service.settings import Settings

__all__ = ["add_movements", "job_public", "json_safe", "movements_from_result", "plan_public", "recorded_state", "router", "scenario_public", "start_job"]

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
def create_scenario(body: ScenarioCreate, user: ScenarioWriter, write: WriterDep, services: ServicesDep):  # type: ignore[no-untyped-def]
    """Store a scenario (YAML); every problem in it is reported at once, with its path. The text may be
    at most ``SAFEPASSAGE_SCENARIO_MAX_BYTES`` and use at most ``SAFEPASSAGE_SCENARIO_MAX_ALIASES``
    YAML aliases (a few aliases can expand to gigabytes: a "billion laughs" bomb)."""
    check_scenario_text(body.yaml, services.settings)
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


def check_scenario_text(text: str, settings: Settings) -> None:
    """422 naming ``body.yaml`` if the text is too large or uses too many aliases (checked by scanning
    tokens, which never expands an alias)."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > settings.scenario_max_bytes:
        raise unprocessable(["body", "yaml"], f"the scenario is {size} bytes; at most {settings.scenario_max_bytes} are accepted "
                                              "(SAFEPASSAGE_SCENARIO_MAX_BYTES)", "too_large")
    aliases = 0
    try:
        for token in yaml.scan(text):
            if isinstance(token, yaml.AliasToken):
                aliases += 1
                if aliases > settings.scenario_max_aliases:
                    raise unprocessable(["body", "yaml"], f"the YAML uses more than {settings.scenario_max_aliases} aliases (*name); "
                                                          "write the values out (SAFEPASSAGE_SCENARIO_MAX_ALIASES)", "too_many_aliases")
    except yaml.YAMLError:
        return  # not valid YAML: parse_scenario reports it with its line


@router.get("/scenarios", response_model=list[ScenarioPublic], tags=["plans"], responses={200: {"headers": PAGINATION_HEADERS}})
def list_scenarios(user: PlanReader, session: SessionDep, request: Request, response: Response, limit: Limit = DEFAULT_LIMIT, after: After = 0) -> list[dict[str, Any]]:
    """Scenarios by id, a page at a time (their stored summaries: no YAML is parsed)."""
    rows = list(session.execute(select(ScenarioRecord).where(ScenarioRecord.id > after).order_by(ScenarioRecord.id).limit(limit + 1)).scalars())
    return [scenario_public(r) for r in next_page(rows, limit, lambda r: r.id, request, response)]


@router.get("/scenarios/{scenario_id}", response_model=ScenarioPublic, tags=["plans"])
def get_scenario(scenario_id: PathId, user: PlanReader, session: SessionDep) -> dict[str, Any]:
    record = session.get(ScenarioRecord, scenario_id)
    if record is None:
        raise not_found("scenario", scenario_id)
    return scenario_public(record)


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


def _load_scenario(session: Session, scenario_id: int, loc: list[str | int]) -> tuple[ScenarioRecord, Scenario]:
    record = session.get(ScenarioRecord, scenario_id)
    if record is None:
        raise unprocessable(loc, f"no scenario {scenario_id}")
    return record, parse_scenario(record.yaml_text, source=f"scenario {record.id}")


def _check_proposal(record: ScenarioRecord, proposal: str) -> None:
    """422 at once for a proposal the scenario lacks (ids from the stored summary: nothing is parsed)."""
    proposals = scenario_public(record)["proposals"]
    if proposal not in proposals:
        try:
            parse_scenario(record.yaml_text, source=f"scenario {record.id}").proposal(proposal)  # it may be a proposal's name
        except UnknownProposalError as exc:
            raise unprocessable(["body", "proposal"], str(exc)) from None


def job_public(job: PlanJob, jobs: PlanJobs | None = None) -> dict[str, Any]:
    status_ = job.status
    if status_ == "queued" and jobs is not None and jobs.running(job.id):
        status_ = "running"
    source = (job.request or {}).get("plan_id") if job.kind == "montecarlo" else None
    result_url = f"/plans/{source}/monte-carlo" if source else f"/plans/jobs/{job.id}/result"
    return PlanJobPublic.model_validate({
        "id": job.id, "kind": job.kind, "scenario_id": job.scenario_id, "proposal": job.proposal, "status": status_, "error": job.error,
        "problems": job.problems, "plan_id": job.plan_id, "created_at": job.created_at, "finished_at": job.finished_at,
        "status_url": f"/plans/jobs/{job.id}", "result_url": result_url,
    }).model_dump(mode="json")


def ended_job(session: Session, job_id: int, outcome: dict[str, Any]) -> PlanJob | None:
    """Mark job ``job_id`` finished now. Returns the job when the caller must record its result (the outcome is
    ok), or None: the job is gone or already ended (nothing written), or it failed (status, error and problems
    recorded here)."""
    job = session.get(PlanJob, job_id)
    if job is None or job.status in ("done", "failed"):
        return None
    job.finished_at = utcnow()
    if not outcome.get("ok"):
        job.status, job.error, job.problems = "failed", str(outcome.get("error", "failed"))[:4000], outcome.get("problems")
        return None
    return job


def _finish_job(services: Services, actor: str, user_id: int, job_id: int, outcome: dict[str, Any]) -> None:
    """Record a job's end (from a Dask thread): the plan, its movements and its audit entry, or the failure."""

    def record(session: Session) -> None:
        job = ended_job(session, job_id, outcome)
        if job is None:
            return
        parent = job.request.get("parent_plan_id")
        plan = PlanRecord(scenario_id=job.scenario_id, proposal=job.proposal, origin="replanned" if job.kind == "replan" else "planned",
                          parent_plan_id=parent, summary=outcome["summary"], state=job.request.get("state"), created_by=user_id, created_at=utcnow())
        session.add(plan)
        session.flush()
        movements = [MovementCreate.model_validate(m) for m in outcome["movements"]]
        rows = add_movements(session, plan.id, movements, user_id)
        if outcome.get("result") is not None:
            session.add(PlanResultRecord(plan_id=plan.id, document=outcome["result"], created_at=utcnow()))
        services.audit.append(session, actor=actor, action="plan.replan" if job.kind == "replan" else "plan.create", object_type="plan",
                              object_id=plan.id, payload=plan_public(plan, [r.id for r in rows]))
        job.status, job.plan_id = "done", plan.id

    services.writes.submit_nowait(record)


def start_job(services: Services, write: Writer, user: Principal, action: str, request_body: dict[str, Any], job_row: dict[str, Any],
              engine_request: PlanJobRequest, finish: Callable[[Services, str, int, int, dict[str, Any]], None] | None = None) -> JSONResponse:
    """Store the job (idempotently, audited) and hand it to Dask; 202 with the job. ``finish(services,
    actor, user_id, job_id, outcome)`` records its end (default: the plan it made)."""
    record_end = finish or _finish_job

    def perform(session: Session) -> WriteOutcome:
        job = PlanJob(**job_row, status="queued", error="", created_by=user.id, created_at=utcnow())
        session.add(job)
        session.flush()
        return WriteOutcome("plan_job", job.id, job_public(job), status.HTTP_202_ACCEPTED)

    response = write.run(user, action, request_body, perform)
    if response.status_code == status.HTTP_202_ACCEPTED:
        job_id = int(json.loads(bytes(response.body))["id"])
        response.headers["Location"] = f"/plans/jobs/{job_id}"
        if response.headers.get("Idempotency-Replayed") != "true":  # a replay: the job already runs (or ran)
            services.jobs.submit(job_id, engine_request, lambda i, outcome: record_end(services, user.username, user.id, i, outcome))
    return response


JOB_RESPONSES: dict[int | str, dict[str, Any]] = {202: {"model": PlanJobPublic, "description": "Planning started as a job: poll its status_url"}}


@router.post("/plans", response_model=PlanPublic, status_code=201, tags=["plans"], responses=JOB_RESPONSES)
def create_plan(body: PlanCreate, user: PlanWriter, write: WriterDep, session: SessionDep, services: ServicesDep):  # type: ignore[no-untyped-def]
    """Plan a proposal of a stored scenario with the engine — as a job (202, poll ``/plans/jobs/{id}``)
    — or store the uploaded ``movements`` at once (201). Every convoy and evacuation movement becomes a
    movement in status ``requested``."""
    record = session.get(ScenarioRecord, body.scenario_id)
    if record is None:
        raise unprocessable(["body", "scenario_id"], f"no scenario {body.scenario_id}")
    _check_proposal(record, body.proposal)
    yaml_text = record.yaml_text
    session.rollback()
    if body.movements is None:
        update = {k: v for k, v in (("days", body.horizon_days), ("slot_minutes", body.slot_minutes)) if v is not None}
        engine = PlanJobRequest("plan", yaml_text, body.proposal, update, None, services.settings.plan_job_time_limit_s)
        row = {"kind": "plan", "scenario_id": body.scenario_id, "proposal": body.proposal, "request": body.model_dump(mode="json")}
        return start_job(services, write, user, "plan.job", body.model_dump(mode="json"), row, engine)
    movements = body.movements
    summary = {"name": body.proposal, "convoys": sum(m.kind == "convoy" for m in movements), "evacuation_movements": sum(m.kind == "evacuation" for m in movements)}

    def perform(write_session: Session) -> WriteOutcome:
        plan = PlanRecord(scenario_id=body.scenario_id, proposal=body.proposal, origin="uploaded", summary=summary, created_by=user.id)
        write_session.add(plan)
        write_session.flush()
        rows = add_movements(write_session, plan.id, movements, user.id)
        return WriteOutcome("plan", plan.id, plan_public(plan, [r.id for r in rows]))

    return write.run(user, "plan.create", body, perform)


@router.get("/plans/jobs/{job_id}", response_model=PlanJobPublic, tags=["plans"], responses={404: {"description": "No such job"}})
def get_job(job_id: PathId, user: PlanReader, session: SessionDep, services: ServicesDep) -> dict[str, Any]:
    """A plan job: queued, running, done (``plan_id``) or failed (``error`` and ``problems``)."""
    job = session.get(PlanJob, job_id)
    if job is None:
        raise not_found("plan job", job_id)
    return job_public(job, services.jobs)


@router.get("/plans/jobs/{job_id}/result", response_model=PlanPublic, tags=["plans"],
            responses={404: {"description": "No such job"}, 409: {"description": "The job has not finished: poll its status"},
                       422: {"description": "The job failed: its problems, naming the field, or the limit it exceeded"}})
def job_result(job_id: PathId, user: PlanReader, session: SessionDep) -> dict[str, Any]:
    """The plan a job made (200), 409 while it runs, or 422 with the reason it failed."""
    job = session.get(PlanJob, job_id)
    if job is None:
        raise not_found("plan job", job_id)
    if job.status == "failed":
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, job.problems or [{"loc": ["body"], "msg": job.error, "type": "plan_job_failed"}])
    if job.status != "done" or job.plan_id is None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"plan job {job_id} has not finished: poll /plans/jobs/{job_id}")
    plan = session.get(PlanRecord, job.plan_id)
    if plan is None:
        raise not_found("plan", job.plan_id)
    return plan_public(plan, list(session.execute(select(Movement.id).where(Movement.plan_id == plan.id).order_by(Movement.id)).scalars()))


@router.get("/plans", response_model=list[PlanPublic], tags=["plans"], responses={200: {"headers": PAGINATION_HEADERS}})
def list_plans(user: PlanReader, session: SessionDep, request: Request, response: Response, limit: Limit = DEFAULT_LIMIT, after: After = 0) -> list[dict[str, Any]]:
    """Plans by id, a page at a time."""
    plans = next_page(list(session.execute(select(PlanRecord).where(PlanRecord.id > after).order_by(PlanRecord.id).limit(limit + 1)).scalars()),
                      limit, lambda p: p.id, request, response)
    ids: dict[int | None, list[int]] = defaultdict(list)
    if plans:
        for movement_id, plan_id in session.execute(select(Movement.id, Movement.plan_id).where(Movement.plan_id.in_([p.id for p in plans])).order_by(Movement.id)):
            ids[plan_id].append(movement_id)
    return [plan_public(p, ids[p.id]) for p in plans]


@router.get("/plans/{plan_id}", response_model=PlanPublic, tags=["plans"])
def get_plan(plan_id: PathId, user: PlanReader, session: SessionDep) -> dict[str, Any]:
    plan = session.get(PlanRecord, plan_id)
    if plan is None:
        raise not_found("plan", plan_id)
    return plan_public(plan, list(session.execute(select(Movement.id).where(Movement.plan_id == plan_id).order_by(Movement.id)).scalars()))


@router.get("/plans/{plan_id}/result", tags=["plans"], responses={404: {"description": "No such plan, or none stored for it"}})
def plan_result(plan_id: PathId, user: PlanReader, session: SessionDep) -> dict[str, Any]:
    """The plan's full result as the planner writes it (``PlanResult.to_dict``: summary, KPIs, every convoy
    and evacuation movement with its legs, planned convoys with their dispatches; times ISO 8601 with their
    offset), stored when its job ended. 404 for an uploaded plan or one made before results were stored."""
    record = session.get(PlanResultRecord, plan_id)
    if record is None:
        if session.get(PlanRecord, plan_id) is None:
            raise not_found("plan", plan_id)
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"plan {plan_id} has no stored result: it was uploaded, or planned before "
                                                       "results were stored (migration 0005); plan its proposal again")
    return dict(record.document["plan"])


@router.get("/plans/{plan_id}/movements", response_model=list[MovementPublic], tags=["plans"])
def plan_movements(plan_id: PathId, user: PlanReader, session: SessionDep) -> list[dict[str, Any]]:
    """Every movement of the plan by id, each with its status history (three statements in all, however many)."""
    if session.get(PlanRecord, plan_id) is None:
        raise not_found("plan", plan_id)
    return movements_public(session, Movement.plan_id == plan_id)


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


@router.post("/plans/{plan_id}/replan", response_model=PlanJobPublic, status_code=202, tags=["plans"], responses={404: {"description": "No such plan"}})
def replan_plan(plan_id: PathId, body: ReplanRequest, user: PlanWriter, write: WriterDep, session: SessionDep, services: ServicesDep):  # type: ignore[no-untyped-def]
    """Re-plan the rest of the horizon from the recorded state at ``at`` — arrivals, movements in
    transit, people who left, closures — as a job (202; poll ``/plans/jobs/{id}``). The new plan
    (origin ``replanned``) keeps the state it used."""
    plan = session.get(PlanRecord, plan_id)
    if plan is None:
        raise not_found("plan", plan_id)
    record, scenario = _load_scenario(session, plan.scenario_id, ["path", "plan_id"])
    tz = ZoneInfo(scenario.timezone)
    at_local = body.at.astimezone(tz).replace(tzinfo=None) if body.at.tzinfo else body.at
    state = recorded_state(session, plan, scenario, at_local)
    yaml_text, proposal = record.yaml_text, plan.proposal
    session.rollback()
    engine = PlanJobRequest("replan", yaml_text, proposal, {}, state, services.settings.plan_job_time_limit_s)
    row = {"kind": "replan", "scenario_id": record.id, "proposal": proposal,
           "request": {"parent_plan_id": plan_id, "at": body.model_dump(mode="json")["at"], "state": _state_json(state)}}
    return start_job(services, write, user, "plan.replan_job", {"plan_id": plan_id, **body.model_dump(mode="json")}, row, engine)
