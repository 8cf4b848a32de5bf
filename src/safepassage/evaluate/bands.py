"""Monte Carlo bands for a comparison of proposals: each KPI's mean, P10, P50, P90 per proposal, and how
often each proposal beats the next one in the ranking (paired replications: replication ``i`` of every
proposal meets the same draws of the world, so the comparison is fair).

The bands are typed (``ComparisonBands`` of ``Band`` and ``Beats``); ``ComparisonBands.to_json`` is the
documented JSON document (``compare --runs --json``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from safepassage.scenario.model import Horizon
from safepassage.simulate.disruptions import Disruptions
from safepassage.simulate.montecarlo import (
    MonteCarloResult,
    Policy,
    prepare_job,
    simulate_proposal,
)

if TYPE_CHECKING:
    from dask.distributed import Client

    from safepassage.evaluate.compare import Comparison

__all__ = ["Band", "Beats", "ComparisonBands", "monte_carlo_bands", "comparison_horizon", "bands_of"]

HEADLINE = ("value", "trucks_arrived", "tonnes_arrived", "people_reached_safety", "hours_to_50pct_safe", "hours_to_90pct_safe")

@dataclass(frozen=True)
class Band:
    """One KPI over the runs: mean, P10, P50, P90 (None when no run reached it), ``reached`` (the share of
    runs that reached an hours-to-a-share KPI, when some did not) and the plan's own value."""

    mean: float | None
    p10: float | None
    p50: float | None
    p90: float | None
    planned: float | None
    reached: float | None = None

    @property
    def spread(self) -> tuple[float, float] | None:
        """(P10, P90), or None when no run gave a value."""
        return (self.p10, self.p90) if self.p10 is not None and self.p90 is not None else None

    def to_json(self) -> dict[str, float | None]:
        out: dict[str, float | None] = {"mean": self.mean, "p10": self.p10, "p50": self.p50, "p90": self.p90}
        if self.reached is not None:
            out["reached"] = self.reached
        out["planned"] = self.planned
        return out


@dataclass(frozen=True)
class Beats:
    """How often (share of paired runs) ``proposal``'s value beats that of ``next``, the next in the ranking."""

    proposal: str
    next: str
    probability: float


@dataclass(frozen=True)
class ComparisonBands:
    """Bands of every proposal of a comparison: ``kpis[proposal][kpi]``, the ranking by mean value, and
    ``beats_next`` along that ranking."""

    runs: int
    seed: int
    policy: Policy
    disruptions: Disruptions
    kpis: dict[str, dict[str, Band]]
    ranking: list[str]
    beats_next: list[Beats]

    def band(self, proposal: str, kpi: str) -> Band | None:
        """The band of ``kpi`` for ``proposal`` (None if it was not simulated)."""
        return self.kpis.get(proposal, {}).get(kpi)

    def kpis_json(self, proposal: str) -> dict[str, dict[str, float | None]]:
        """``{kpi: {"mean", "p10", "p50", "p90", "planned"}}`` of one proposal ({} if not simulated)."""
        return {name: band.to_json() for name, band in self.kpis.get(proposal, {}).items()}

    def to_json(self) -> dict[str, object]:
        """The JSON document::

            {"runs": N, "seed": S, "policy": "fixed", "disruptions": {...},
             "proposals": {id: {"kpis": {kpi: {"mean", "p10", "p50", "p90", "planned"}}}},
             "ranking": [ids by mean value],
             "beats_next": [{"proposal": a, "next": b, "probability": P(value_a > value_b)}]}
        """
        return {
            "runs": self.runs, "seed": self.seed, "policy": self.policy, "disruptions": self.disruptions.model_dump(),
            "proposals": {p: {"kpis": self.kpis_json(p)} for p in self.kpis},
            "ranking": list(self.ranking),
            "beats_next": [{"proposal": b.proposal, "next": b.next, "probability": b.probability} for b in self.beats_next],
        }


def comparison_horizon(comparison: Comparison) -> Horizon:
    """The horizon the comparison's plans were made on (the scenario's, with their days and slot length)."""
    scenario = comparison.scenario
    if not comparison.results:
        return scenario.horizon
    first = comparison.results[0]
    if abs(first.horizon_days - scenario.horizon.days) < 1e-9 and abs(first.slot_minutes - scenario.horizon.slot_minutes) < 1e-9:
        return scenario.horizon
    return scenario.horizon.model_copy(update={"days": first.horizon_days, "slot_minutes": int(round(first.slot_minutes))})


def monte_carlo_bands(
    comparison: Comparison,
    runs: int,
    seed: int = 0,
    workers: int = 0,
    disruptions: Disruptions | None = None,
    policy: Policy = "fixed",
    scheduler: str | None = None,
    horizon: Horizon | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> ComparisonBands:
    """Bands for every plan of ``comparison`` (``ComparisonBands``; ``to_json`` gives the document).

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

    def run_all(client: Client | None = None) -> list[MonteCarloResult]:
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
    return bands_of(results, disruptions)


def _band(entry: dict[str, float | None]) -> Band:
    return Band(mean=entry["mean"], p10=entry["p10"], p50=entry["p50"], p90=entry["p90"], planned=entry.get("planned"), reached=entry.get("reached"))


def bands_of(results: list[MonteCarloResult], disruptions: Disruptions) -> ComparisonBands:
    """The bands of finished Monte Carlo results (one per proposal, same seed and runs)."""
    by_id = {r.proposal: r for r in results}
    means = {r.proposal: float(np.mean(r.column("value"))) for r in results}
    ranking = sorted(means, key=lambda p: -means[p])
    beats = [Beats(a, b, float(np.mean(by_id[a].column("value") > by_id[b].column("value")))) for a, b in zip(ranking, ranking[1:])]
    return ComparisonBands(
        runs=results[0].runs if results else 0,
        seed=results[0].seed if results else 0,
        policy=results[0].policy if results else "fixed",
        disruptions=disruptions,
        kpis={r.proposal: {name: _band(entry) for name, entry in r.summary().items()} for r in results},
        ranking=ranking,
        beats_next=beats,
    )
