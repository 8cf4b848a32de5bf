"""Monte Carlo runs of a stored plan: ``POST /plans/{id}/monte-carlo`` simulates it N times under random
disruption as a plan job (202, poll ``/plans/jobs/{job}``); ``GET /plans/{id}/monte-carlo`` lists the
stored runs, newest first, each with per-KPI mean, P10, P50, P90 and the plan's own value.

The job simulates the plan's stored result (``service.plan_results``; a plan stored before results were
kept is planned again on the same horizon: the engine is deterministic, so it is the same plan) and runs ``safepassage.simulate`` in the
job's child process, under the same memory and time limits as a plan.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from safepassage.service.api.deps import PlanReader, PlanWriter, Services, ServicesDep, SessionDep, WriterDep
from safepassage.service.api.errors import not_found, unprocessable
from safepassage.service.api.plans import ended_job, start_job
from safepassage.service.jobs import PlanJobRequest
from safepassage.service.models import (
    MonteCarloBand,
    MonteCarloRun,
    PlanJob,
    PlanRecord,
    PlanResultRecord,
    ScenarioRecord,
    utcnow,
)
from safepassage.service.schemas import MAX_ID, MonteCarloCreate, MonteCarloRunPublic, PlanJobPublic

__all__ = ["router", "run_public"]

router = APIRouter()
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]


def run_public(run: MonteCarloRun) -> dict[str, Any]:
    kpis = {
        b.kpi: {"mean": b.mean, "p10": b.p10, "p50": b.p50, "p90": b.p90, "planned": b.planned, "reached": b.reached}
        for b in run.bands
    }
    return MonteCarloRunPublic(
        id=run.id, plan_id=run.plan_id, job_id=run.job_id, runs=run.runs, seed=run.seed, policy=run.policy,
        disruptions=run.disruptions, seconds=run.seconds, created_at=run.created_at, kpis=kpis,  # type: ignore[arg-type]
    ).model_dump(mode="json")


def _finish(services: Services, actor: str, user_id: int, job_id: int, outcome: dict[str, Any]) -> None:
    """Record a Monte Carlo job's end (from a Dask thread): the run and its bands with an audit entry, or the failure."""

    def record(session: Session) -> None:
        job = ended_job(session, job_id, outcome)
        if job is None:
            return
        found = outcome["monte_carlo"]
        plan_id = int(job.request["plan_id"])
        run = MonteCarloRun(plan_id=plan_id, job_id=job.id, runs=int(found["runs"]), seed=int(found["seed"]), policy=str(found["policy"]),
                            disruptions=found["disruptions"], seconds=float(found["seconds"] or 0.0), created_by=user_id, created_at=utcnow())
        session.add(run)
        session.flush()
        session.add_all(
            MonteCarloBand(run_id=run.id, kpi=kpi[:300], mean=b.get("mean"), p10=b.get("p10"), p50=b.get("p50"), p90=b.get("p90"),
                           planned=b.get("planned"), reached=b.get("reached"))
            for kpi, b in found["kpis"].items()
        )
        session.flush()
        session.refresh(run)
        services.audit.append(session, actor=actor, action="plan.monte_carlo", object_type="monte_carlo_run", object_id=run.id,
                              payload={k: v for k, v in run_public(run).items() if k != "kpis"})
        job.status, job.plan_id = "done", plan_id

    services.writes.submit_nowait(record)


@router.post("/plans/{plan_id}/monte-carlo", response_model=PlanJobPublic, status_code=202, tags=["plans"],
             responses={404: {"description": "No such plan"}, 422: {"description": "Not a plan the engine made, or bad runs/seed"}})
def start_monte_carlo(plan_id: PathId, body: MonteCarloCreate, user: PlanWriter, write: WriterDep, session: SessionDep,
                      services: ServicesDep) -> JSONResponse:
    """Simulate the plan ``runs`` times under random disruption, as a job (202; poll its ``status_url``;
    when done, its ``result_url`` lists the plan's stored runs). Only a plan the engine made from its
    scenario (origin ``planned``) can be simulated."""
    plan = session.get(PlanRecord, plan_id)
    if plan is None:
        raise not_found("plan", plan_id)
    if plan.origin != "planned":
        raise unprocessable(["path", "plan_id"], f"plan {plan_id} was {plan.origin}, not planned by the engine from its scenario: "
                                                 "simulate the plan it came from, or plan the proposal again")
    record = session.get(ScenarioRecord, plan.scenario_id)
    if record is None:
        raise not_found("scenario", plan.scenario_id)
    made_by = session.execute(select(PlanJob).where(PlanJob.plan_id == plan_id, PlanJob.kind == "plan")).scalars().first()
    asked = (made_by.request if made_by is not None else {}) or {}
    update = {k: v for k, v in (("days", asked.get("horizon_days")), ("slot_minutes", asked.get("slot_minutes"))) if v is not None}
    stored = session.get(PlanResultRecord, plan_id)  # None for a plan made before results were stored: the job plans it again
    yaml_text, proposal, scenario_id = record.yaml_text, plan.proposal, plan.scenario_id
    document = None if stored is None else stored.document
    session.rollback()
    engine = PlanJobRequest("montecarlo", yaml_text, proposal, update, None, services.settings.plan_job_time_limit_s, runs=body.runs, seed=body.seed,
                            plan_document=document)
    row = {"kind": "montecarlo", "scenario_id": scenario_id, "proposal": proposal, "request": {"plan_id": plan_id, **body.model_dump(mode="json")}}
    return start_job(services, write, user, "plan.monte_carlo_job", {"plan_id": plan_id, **body.model_dump(mode="json")}, row, engine, _finish)


@router.get("/plans/{plan_id}/monte-carlo", response_model=list[MonteCarloRunPublic], tags=["plans"],
            responses={404: {"description": "No such plan"}})
def list_monte_carlo(plan_id: PathId, user: PlanReader, session: SessionDep) -> list[dict[str, Any]]:
    """The plan's stored Monte Carlo runs, newest first (an empty list if it was never simulated)."""
    if session.get(PlanRecord, plan_id) is None:
        raise not_found("plan", plan_id)
    runs = session.execute(select(MonteCarloRun).where(MonteCarloRun.plan_id == plan_id).order_by(MonteCarloRun.id.desc()).limit(50)).scalars()
    return [run_public(r) for r in runs]
