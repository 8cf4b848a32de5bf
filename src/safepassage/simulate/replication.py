"""One replication of a plan, and batches of them: the unit of work that runs in this process or on
a Dask worker (``dask_runner``). Kept apart from ``montecarlo`` (which drives whole studies and may
hand batches to Dask) so that neither module imports the other's caller.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from safepassage.plan import PlanResult
from safepassage.simulate.disruptions import Disruptions
from safepassage.simulate.execution import Outcome, execute
from safepassage.simulate.outcome import metric_names, metric_vector
from safepassage.simulate.schedule import Schedule
from safepassage.simulate.world import SimulationWorld, realise

__all__ = ["SimulationJob", "Policy", "replication_rngs", "run_replication", "run_batch"]

Policy = Literal["fixed", "replan"]


@dataclass
class SimulationJob:
    """Everything a worker needs to run replications of one plan (picklable; sent once per worker)."""

    world: SimulationWorld
    schedule: Schedule
    disruptions: Disruptions
    policy: Policy = "fixed"
    plan: PlanResult | None = None
    max_replans: int = 3
    replan_people: bool = False  # re-plan evacuation movements too (see simulate.policies)
    replan_repair: bool = True  # whole trucks by rounding and repair (False: rounded down only)
    token: str = field(default_factory=lambda: f"{time.time_ns()}")  # identifies a worker's warm planner cache


def replication_rngs(seed: int, index: int) -> tuple[np.random.Generator, np.random.Generator]:
    """(world, run) generators of replication ``index``: independent of batches and workers."""
    world_seq, run_seq = np.random.SeedSequence(seed, spawn_key=(index,)).spawn(2)
    return np.random.default_rng(world_seq), np.random.default_rng(run_seq)


def run_replication(job: SimulationJob, seed: int, index: int) -> Outcome:
    """One replication: its ``Outcome``."""
    world_rng, run_rng = replication_rngs(seed, index)
    realisation = realise(job.world, job.disruptions, world_rng)
    replanner = None
    if job.policy == "replan":
        from safepassage.simulate.policies import replanner_for

        replanner = replanner_for(job)
    return execute(job.world, job.schedule, realisation, job.disruptions, run_rng, replanner=replanner)


def run_batch(job: SimulationJob, seed: int, indices: list[int] | range) -> np.ndarray:
    """Metric vectors (rows in the order of ``indices``) of a batch of replications."""
    rows = [metric_vector(job.world, run_replication(job, seed, i)) for i in indices]
    return np.array(rows) if rows else np.zeros((0, len(metric_names(job.world))))
