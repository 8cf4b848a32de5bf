"""Plan jobs: solves run outside the request, on Dask, each in a child process with memory and time limits.

A request that plans (``POST /plans`` without movements, ``POST /plans/{id}/replan``) stores a
``PlanJob`` and answers 202 at once. The job goes to Dask — by default a local cluster inside the
service with ``plan_job_concurrency`` worker threads (so at most that many solves at once); with
``SAFEPASSAGE_DASK_SCHEDULER`` a real cluster, so a deployment can give planning its own machines.
The Dask task starts ``python -m safepassage.service.plan_worker`` and watches it: the child's
resident memory (with its own children) is sampled every 50 ms and the child is killed past
``plan_job_memory_mb``, or past ``plan_job_time_limit_s``, with an error saying which limit and by how
much. The outcome comes back to the service, which writes the plan, its movements and its audit entry
in one transaction (or marks the job failed, with the reason) through the group-commit writer.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
import pickle
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safepassage.errors import InfeasibleError, ScenarioError, SolverError, UnknownProposalError
from safepassage.plan import PlanResult, plan_proposal
from safepassage.plan.replan import CurrentState, replan
from safepassage.scenario import Scenario, parse_scenario
from safepassage.service.plan_results import plan_result_document, plan_result_from_document
from safepassage.service.schemas import MovementCreate
from safepassage.service.settings import Settings

__all__ = ["PlanJobRequest", "PlanJobs", "compute_plan", "json_safe", "monte_carlo_outcome", "movements_from_result", "run_limited"]

log = logging.getLogger(__name__)
SAMPLE_S = 0.05


def json_safe(value: Any) -> Any:
    """Plain JSON: NaN and infinities (which JSON lacks) become null; other objects become strings."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return str(value)


def movements_from_result(result: PlanResult, scenario: Scenario) -> list[MovementCreate]:
    """One movement per convoy and per evacuation movement of a plan (times in UTC)."""

    def aware(moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(dt.UTC)

    out = [
        MovementCreate(kind="convoy", reference=c.id, origin=c.origin, destination=c.destination, route=list(c.route), departs=aware(c.departs),
                       arrives=aware(c.arrives), trucks=c.trucks, cargo={k: float(v) for k, v in c.cargo.items()})
        for c in result.convoys
    ]
    out += [
        MovementCreate(kind="evacuation", reference=e.id, origin=e.corridor[0] if e.corridor else e.origin_zone, destination=e.destination,
                       route=list(e.corridor), departs=aware(e.departs), arrives=aware(e.arrives), people=e.people, origin_zone=e.origin_zone)
        for e in result.evacuations
    ]
    return out


@dataclass
class PlanJobRequest:
    """What a plan job needs, self-contained (it travels to another process, maybe another machine)."""

    kind: str  # plan | replan
    yaml_text: str
    proposal: str
    horizon_update: dict[str, Any] = field(default_factory=dict)
    state: CurrentState | None = None
    time_limit_s: float = 120.0
    runs: int = 0  # montecarlo: simulated runs of the plan
    seed: int = 0  # montecarlo: the seed (same seed, same bands)
    plan_document: dict[str, Any] | None = None  # montecarlo: the plan's stored result (None: plan the proposal again)


def _problem(loc: list[str | int], message: str, kind: str) -> dict[str, Any]:
    return {"loc": loc, "msg": message, "type": kind}


def compute_plan(request: PlanJobRequest) -> dict[str, Any]:
    """Run the engine (in the limited child process). ``{"ok": True, "summary", "movements", "result"}``
    (``result``: the plan's ``plan_result_document``, stored with the plan) (for a
    ``montecarlo`` job also ``"monte_carlo"``: the runs' per-KPI bands, see ``monte_carlo_outcome``) or
    ``{"ok": False, "error", "problems"}`` with 422-style problems naming the request field."""
    scenario = parse_scenario(request.yaml_text, source="stored scenario")
    solve_s = max(1.0, request.time_limit_s)
    try:
        if request.kind == "montecarlo":
            return monte_carlo_outcome(scenario, request, solve_s)
        if request.kind == "replan":
            if request.state is None:
                raise ValueError("a replan job needs the recorded state")
            result = replan(scenario, request.proposal, request.state, time_limit_s=solve_s)
        else:
            result = plan_proposal(scenario, request.proposal, scenario.horizon.model_copy(update=request.horizon_update), time_limit_s=solve_s, threads=1)
    except UnknownProposalError as exc:
        return {"ok": False, "error": str(exc), "problems": [_problem(["body", "proposal"], str(exc), "value_error")]}
    except ScenarioError as exc:
        problems = []
        for p in exc.problems:
            loc: list[str | int] = ["body", *p.path.split(".")]
            if loc[1:3] == ["state", "at"]:
                loc = ["body", "at"]
            problems.append(_problem(loc, p.message + (f" (hint: {p.hint})" if p.hint else ""), "scenario_error"))
        return {"ok": False, "error": str(exc), "problems": problems or [_problem(["body"], str(exc), "scenario_error")]}
    except InfeasibleError as exc:
        return {"ok": False, "error": f"no feasible plan: {exc}", "problems": [_problem(["body"], f"no feasible plan: {exc}", "infeasible")]}
    except SolverError as exc:
        return {"ok": False, "error": f"the solver failed: {exc}", "problems": [_problem(["body"], f"the solver failed: {exc}", "solver_error")]}
    return {"ok": True, "summary": json_safe(result.summary()), "movements": [m.model_dump(mode="json") for m in movements_from_result(result, scenario)],
            "result": json_safe(plan_result_document(result))}


def monte_carlo_outcome(scenario: Scenario, request: PlanJobRequest, solve_s: float) -> dict[str, Any]:
    """Simulate the plan's stored result (``request.plan_document``; for a plan stored before results were
    kept, plan the proposal again on the plan's horizon: the engine is deterministic, the same plan)
    ``request.runs`` times with ``request.seed`` under the default disruptions, in this process
    (``safepassage.simulate.simulate_proposal``, the plain loop). ``{"ok": True, "monte_carlo": {"runs",
    "seed", "policy", "disruptions", "seconds", "kpis": {kpi: {"mean", "p10", "p50", "p90", "planned",
    "reached"?}}}, "summary"}``; errors raise as for a plan."""
    from safepassage.simulate import Disruptions, simulate_proposal

    horizon = scenario.horizon.model_copy(update=request.horizon_update)
    if request.plan_document is not None:
        result = plan_result_from_document(request.plan_document)
    else:
        result = plan_proposal(scenario, request.proposal, horizon, time_limit_s=solve_s, threads=1)
    disruptions = Disruptions()
    simulated = simulate_proposal(
        scenario, result.proposal, request.runs, request.seed, horizon=horizon, disruptions=disruptions, plan=result
    )
    document = simulated.to_json()
    return {
        "ok": True,
        "summary": json_safe(result.summary()),
        "monte_carlo": json_safe({
            "runs": document["runs"], "seed": document["seed"], "policy": document["policy"],
            "disruptions": disruptions.model_dump(mode="json"), "seconds": document["seconds"], "kpis": document["kpis"],
        }),
    }


def _limit_failure(message: str) -> dict[str, Any]:
    return {"ok": False, "error": message, "problems": [_problem(["body"], message, "plan_job_limit")]}


def run_limited(request: PlanJobRequest, memory_mb: int, time_limit_s: float) -> dict[str, Any]:
    """Run ``compute_plan(request)`` in a child process, killed past ``memory_mb`` of resident memory
    or ``time_limit_s`` of wall time (the Dask task; it only watches, so it needs little itself)."""
    import psutil

    with tempfile.TemporaryDirectory(prefix="safepassage-plan-") as folder:
        source, target, errors = Path(folder, "request.pickle"), Path(folder, "outcome.pickle"), Path(folder, "stderr.txt")
        source.write_bytes(pickle.dumps(request))
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
        with errors.open("wb") as stderr:
            child = subprocess.Popen([sys.executable, "-m", "safepassage.service.plan_worker", str(source), str(target)],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr, env=env, start_new_session=True)
        watched = psutil.Process(child.pid)
        started, peak_mb = time.monotonic(), 0.0
        while child.poll() is None:
            try:
                rss = watched.memory_info().rss + sum(c.memory_info().rss for c in watched.children(recursive=True))
            except psutil.Error:
                rss = 0
            peak_mb = max(peak_mb, rss / 2**20)
            elapsed = time.monotonic() - started
            if peak_mb > memory_mb or elapsed > time_limit_s:
                child.kill()
                child.wait()
                if peak_mb > memory_mb:
                    return _limit_failure(f"the plan job was stopped: it used {peak_mb:.0f} MB, over its memory limit of {memory_mb} MB "
                                          "(SAFEPASSAGE_PLAN_JOB_MEMORY_MB); plan a shorter horizon or a coarser time slot")
                return _limit_failure(f"the plan job was stopped after {elapsed:.1f} s, over its time limit of {time_limit_s:g} s "
                                      "(SAFEPASSAGE_PLAN_JOB_TIME_LIMIT_S); plan a shorter horizon or a coarser time slot")
            time.sleep(SAMPLE_S)
        if child.returncode != 0 or not target.exists():
            tail = errors.read_text(encoding="utf-8", errors="replace")[-500:]
            return {"ok": False, "error": f"the plan job's process failed (exit code {child.returncode}): {tail}",
                    "problems": [_problem(["body"], f"the plan job failed (exit code {child.returncode})", "plan_job_failed")]}
        outcome: dict[str, Any] = pickle.loads(target.read_bytes())
        outcome["peak_mb"] = round(peak_mb, 1)
        outcome["seconds"] = round(time.monotonic() - started, 2)
        return outcome


class PlanJobs:
    """The Dask client of one service instance (started at the first job) and the jobs it runs."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client: Any = None
        self._cluster: Any = None
        self._lock = threading.Lock()
        self._futures: dict[int, Any] = {}

    def _dask(self) -> Any:
        with self._lock:
            if self._client is None:
                from distributed import Client, LocalCluster

                if self._settings.dask_scheduler_address:
                    self._client = Client(self._settings.dask_scheduler_address)
                else:
                    # Threads suffice: each task only watches its solve, which runs in a child process. Tasks travel
                    # in-process; the scheduler's and worker's HTTP endpoints listen on loopback, on free ports.
                    self._cluster = LocalCluster(n_workers=1, threads_per_worker=self._settings.plan_job_concurrency, processes=False,
                                                 dashboard_address="127.0.0.1:0", worker_dashboard_address="127.0.0.1:0",
                                                 silence_logs=logging.ERROR)
                    self._client = Client(self._cluster)
            return self._client

    def submit(self, job_id: int, request: PlanJobRequest, done: Callable[[int, dict[str, Any]], None]) -> None:
        """Queue job ``job_id``; ``done(job_id, outcome)`` is called (from a Dask thread) when it ends."""
        client = self._dask()
        future = client.submit(run_limited, request, self._settings.plan_job_memory_mb, self._settings.plan_job_time_limit_s,
                               key=f"safepassage-plan-job-{job_id}-{os.getpid()}", pure=False)
        self._futures[job_id] = future

        def finished(f: Any) -> None:
            self._futures.pop(job_id, None)
            try:
                outcome = f.result()
            except Exception as exc:  # noqa: BLE001  (a worker lost, a cancelled task: the job fails, saying so)
                outcome = {"ok": False, "error": f"the plan job did not finish: {type(exc).__name__}: {exc}",
                           "problems": [_problem(["body"], "the plan job did not finish", "plan_job_failed")]}
            try:
                done(job_id, outcome)
            except Exception:
                log.exception("could not record the end of plan job %s", job_id)

        future.add_done_callback(finished)

    def running(self, job_id: int) -> bool:
        """True if this instance's cluster is running job ``job_id`` now (not just queued)."""
        future = self._futures.get(job_id)
        if future is None or self._client is None:
            return False
        try:
            processing = self._client.processing()
        except Exception:  # noqa: BLE001
            return False
        return any(future.key in keys for keys in processing.values())

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
            if self._cluster is not None:
                self._cluster.close()
            self._client = self._cluster = None
