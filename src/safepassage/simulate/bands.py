"""Monte Carlo bands for a comparison of proposals: each KPI's mean, P10, P50, P90 per proposal, and how
often each proposal beats the next one in the ranking (paired replications: replication ``i`` of every
proposal meets the same draws of the world, so the comparison is fair)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from safepassage.scenario.model import Horizon
from safepassage.simulate.disruptions import Disruptions
from safepassage.simulate.montecarlo import (
    MonteCarloResult,
    Policy,
    prepare_job,
    simulate_proposal,
)

__all__ = ["monte_carlo_bands", "comparison_horizon"]

HEADLINE = ("value", "trucks_arrived", "tonnes_arrived", "people_reached_safety", "hours_to_50pct_safe", "hours_to_90pct_safe")


def comparison_horizon(comparison) -> Horizon:
    """The horizon the comparison's plans were made on (the scenario's, with their days and slot length)."""
    scenario = comparison.scenario
    if not comparison.results:
        return scenario.horizon
    first = comparison.results[0]
    if abs(first.horizon_days - scenario.horizon.days) < 1e-9 and abs(first.slot_minutes - scenario.horizon.slot_minutes) < 1e-9:
        return scenario.horizon
    return scenario.horizon.model_copy(update={"days": first.horizon_days, "slot_minutes": int(round(first.slot_minutes))})


def monte_carlo_bands(
    comparison,
    runs: int,
    seed: int = 0,
    workers: int = 0,
    disruptions: Disruptions | None = None,
    policy: Policy = "fixed",
    scheduler: str | None = None,
    horizon: Horizon | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, Any]:
    """Bands for every plan of ``comparison`` (an ``evaluate.Comparison``), JSON-ready::

        {"runs": N, "seed": S, "policy": "fixed", "disruptions": {...},
         "proposals": {id: {"kpis": {kpi: {"mean", "p10", "p50", "p90", "planned"}}}},
         "ranking": [ids by mean value],
         "beats_next": [{"proposal": a, "next": b, "probability": P(value_a > value_b)}]}

    KPI names: value, trucks_arrived, tonnes_arrived, people_reached_safety, hours_to_50pct_safe,
    hours_to_90pct_safe, trucks_arrived.<commodity>, tonnes_arrived.<commodity>, tonnes_damaged.<commodity>,
    tonnes_arrived.<zone>.<commodity>, need_met.<zone>.<commodity>, trucks_rejected.
    ``workers`` 0: in this process; K: a local Dask cluster of K processes (one for all proposals);
    ``scheduler``: an existing cluster. ``horizon``: the horizon the plans were made on (default: read
    from the comparison). ``on_progress(proposal, done, total)``. Same seed, same numbers."""
    scenario = comparison.scenario
    horizon = horizon or comparison_horizon(comparison)
    disruptions = disruptions if disruptions is not None else Disruptions()
    jobs = [prepare_job(scenario, r.proposal, horizon, disruptions, policy, plan=r) for r in comparison.results]

    def run_all(client=None) -> list[MonteCarloResult]:
        out = []
        for job in jobs:
            progress = (lambda done, total, name=job.world.proposal.id: on_progress(name, done, total)) if on_progress else None
            if client is None:
                out.append(simulate_proposal(scenario, job.world.proposal.id, runs, seed, job=job, on_progress=progress))
            else:
                from safepassage.simulate.dask_runner import run_on_dask
                from safepassage.simulate.montecarlo import planned_metrics
                from safepassage.simulate.outcome import metric_names

                values = run_on_dask(job, seed, runs, client=client, on_progress=progress)
                out.append(MonteCarloResult(scenario.name, job.world.proposal.id, policy, seed, metric_names(job.world), values, planned_metrics(job), workers=workers))
        return out

    if workers > 0 or scheduler:
        from safepassage.simulate.dask_runner import dask_client

        with dask_client(max(workers, 1), scheduler) as client:
            results = run_all(client)
    else:
        results = run_all()
    return bands_document(results, disruptions)


def bands_document(results: list[MonteCarloResult], disruptions: Disruptions) -> dict[str, Any]:
    """The JSON document of ``monte_carlo_bands`` from finished Monte Carlo results (same seed and runs)."""
    by_id = {r.proposal: r for r in results}
    means = {r.proposal: float(np.mean(r.column("value"))) for r in results}
    ranking = sorted(means, key=lambda p: -means[p])
    beats = []
    for a, b in zip(ranking, ranking[1:]):
        va, vb = by_id[a].column("value"), by_id[b].column("value")
        beats.append({"proposal": a, "next": b, "probability": float(np.mean(va > vb))})
    return {
        "runs": results[0].runs if results else 0,
        "seed": results[0].seed if results else 0,
        "policy": results[0].policy if results else "fixed",
        "disruptions": disruptions.model_dump(),
        "proposals": {r.proposal: {"kpis": r.summary()} for r in results},
        "ranking": ranking,
        "beats_next": beats,
    }
