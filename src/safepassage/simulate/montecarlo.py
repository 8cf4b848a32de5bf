"""Monte Carlo: a plan executed many times under independent draws of disruption; KPIs as distributions.

Replication ``i`` of seed ``s`` draws from ``SeedSequence(s, spawn_key=(i,))`` and nothing else, so
its numbers do not depend on which batch or worker ran it: the same seed gives the same result with
one worker, two, or none (a plain loop). Within a replication the world (windows, closures, incidents,
extensions) comes from one child stream and the run's own draws (travel noise, rejections, damage)
from another, so the fixed plan and the re-planning policy meet the same world (common random numbers).

>>> from safepassage.scenario import load_scenario
>>> scenario = load_scenario("tests/scenarios/tiny.yaml")
>>> result = simulate_proposal(scenario, "pause", runs=20, seed=1)
>>> result.summary()["people_reached_safety"]["p50"] <= 300
True
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from safepassage.plan import PlanResult, plan_proposal
from safepassage.scenario.model import Horizon, Scenario
from safepassage.simulate.dask_runner import run_on_dask
from safepassage.simulate.disruptions import Disruptions
from safepassage.simulate.execution import execute
from safepassage.simulate.outcome import metric_names, metric_vector
from safepassage.simulate.replication import (
    Policy,
    SimulationJob,
    replication_rngs,
    run_batch,
    run_replication,
)
from safepassage.simulate.schedule import compile_schedule
from safepassage.simulate.world import build_world, realise

__all__ = ["SimulationJob", "MonteCarloResult", "Policy", "replication_rngs", "run_replication", "run_batch", "simulate_proposal", "summarise", "prepare_job"]

PERCENTILES = (10, 50, 90)


def summarise(names: list[str], values: np.ndarray) -> dict[str, dict[str, float | None]]:
    """Mean, P10, P50, P90 of each metric over replications (NaN-aware: hours to a share of people safe
    are NaN in runs that never reach it; ``reached`` says in what share of runs it was reached)."""
    out: dict[str, dict[str, float | None]] = {}
    for j, name in enumerate(names):
        column = values[:, j]
        finite = column[np.isfinite(column)]
        if len(finite) == 0:
            out[name] = {"mean": None, "p10": None, "p50": None, "p90": None}
            continue
        p10, p50, p90 = np.percentile(finite, PERCENTILES)
        entry: dict[str, float | None] = {"mean": float(finite.mean()), "p10": float(p10), "p50": float(p50), "p90": float(p90)}
        if len(finite) < len(column):
            entry["reached"] = len(finite) / len(column)
        out[name] = entry
    return out


@dataclass
class MonteCarloResult:
    """Replications of one proposal's plan: ``values`` (runs × metrics) and the plan's own metrics."""

    scenario: str
    proposal: str
    policy: Policy
    seed: int
    names: list[str]
    values: np.ndarray
    planned: np.ndarray  # the metrics of the plan itself (a run without disruptions)
    seconds: float = 0.0
    workers: int = 0
    replan_seconds: list[float] = field(default_factory=list)

    @property
    def runs(self) -> int:
        return len(self.values)

    def column(self, name: str) -> np.ndarray:
        return self.values[:, self.names.index(name)]

    def summary(self) -> dict[str, dict[str, float | None]]:
        """Per metric: mean, p10, p50, p90 and the planned value."""
        out = summarise(self.names, self.values)
        for j, name in enumerate(self.names):
            out[name]["planned"] = None if not np.isfinite(self.planned[j]) else float(self.planned[j])
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario, "proposal": self.proposal, "policy": self.policy, "seed": self.seed, "runs": self.runs,
            "workers": self.workers, "seconds": round(self.seconds, 3), "kpis": self.summary(),
        }


def prepare_job(scenario: Scenario, proposal: str, horizon: Horizon | None = None, disruptions: Disruptions | None = None, policy: Policy = "fixed", plan: PlanResult | None = None) -> SimulationJob:
    """Plan ``proposal`` (unless ``plan`` is given) and compile it for execution."""
    chosen = scenario.proposal(proposal)
    plan = plan or plan_proposal(scenario, chosen.id, horizon=horizon)
    world = build_world(scenario, chosen, horizon)
    return SimulationJob(world, compile_schedule(world, plan), disruptions if disruptions is not None else Disruptions(), policy, plan)


def planned_metrics(job: SimulationJob) -> np.ndarray:
    """The metrics of the plan as planned (one run with every disruption off)."""
    off = Disruptions.none()
    world_rng, run_rng = replication_rngs(0, 0)
    outcome = execute(job.world, job.schedule, realise(job.world, off, world_rng), off, run_rng)
    return metric_vector(job.world, outcome)


def simulate_proposal(
    scenario: Scenario,
    proposal: str,
    runs: int,
    seed: int = 0,
    horizon: Horizon | None = None,
    disruptions: Disruptions | None = None,
    policy: Policy = "fixed",
    workers: int = 0,
    scheduler: str | None = None,
    batch_size: int | None = None,
    plan: PlanResult | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    job: SimulationJob | None = None,
) -> MonteCarloResult:
    """Run ``runs`` replications of the plan of ``proposal``.

    ``workers`` 0 (and no ``scheduler``): a plain loop in this process. ``workers`` K: a local Dask
    cluster of K single-threaded processes; ``scheduler`` 'tcp://HOST:PORT': an existing cluster.
    Results are identical in every case for the same ``seed``. ``on_progress(done, total)`` is called
    as replications finish. Raises ``ValueError`` for ``runs`` < 1."""
    if runs < 1:
        raise ValueError(f'"runs" must be at least 1, got {runs}')
    job = job or prepare_job(scenario, proposal, horizon, disruptions, policy, plan)
    started = time.perf_counter()
    if workers <= 0 and scheduler is None:
        size = batch_size or max(1, min(50, runs // 20 or 1))
        parts = []
        for lo in range(0, runs, size):
            indices = range(lo, min(runs, lo + size))
            parts.append(run_batch(job, seed, indices))
            if on_progress:
                on_progress(indices.stop, runs)
        values = np.concatenate(parts)
    else:
        values = run_on_dask(job, seed, runs, workers=workers, scheduler=scheduler, batch_size=batch_size, on_progress=on_progress)
    return MonteCarloResult(
        scenario=scenario.name, proposal=job.world.proposal.id, policy=job.policy, seed=seed, names=metric_names(job.world), values=values,
        planned=planned_metrics(job), seconds=time.perf_counter() - started, workers=workers,
    )
