"""Plan every proposal of a scenario and put the results side by side."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

from safepassage.evaluate.assumptions import behavioural_assumptions, daily_profile
from safepassage.plan import PlanResult, plan_proposal
from safepassage.plan.bus_schedule import bus_plan_for
from safepassage.plan.bus_trips import BusPlan
from safepassage.plan.result import iso
from safepassage.plan.solve import solved_in_this_process
from safepassage.scenario.model import Horizon, Scenario

__all__ = ["Comparison", "compare_proposals", "default_workers"]


@dataclass
class Comparison:
    """Plans of several proposals of one scenario, in the scenario's order."""

    scenario: Scenario
    results: list[PlanResult]

    @property
    def horizon_days(self) -> float:
        return self.results[0].horizon_days if self.results else self.scenario.horizon.days

    def bus_plan(self, result: PlanResult) -> BusPlan | None:
        """The bus trips of ``result``'s proposal over its horizon (None without a bus fleet): people
        carried by bus are planned as trips apart from the LP (plan/bus_schedule.py), which plans the
        walkers from who is left."""
        start = result.horizon_start.replace(tzinfo=None)
        end = start + dt.timedelta(days=result.horizon_days)
        return bus_plan_for(self.scenario, self.scenario.proposal(result.proposal), start, end)

    def to_json(self) -> dict[str, Any]:
        """The documented comparison document (README: `compare --json`)."""
        return {
            "scenario": self.scenario.name,
            "title": self.scenario.title,
            "horizon_start": iso(self.results[0].horizon_start) if self.results else self.scenario.horizon.start.isoformat(),
            "horizon_days": self.horizon_days,
            "counting": "trucks crossed: leaving a crossing; trucks arrived: offloaded at a distribution point; quantities in each commodity's unit, tonnes via tonnes_per_unit",
            "proposals": [
                {
                    **r.summary(), "daily_profile": daily_profile(r), "behavioural_assumptions": behavioural_assumptions(self.scenario, r.proposal),
                    **_bus_summary(self.bus_plan(r)),
                }
                for r in self.results
            ],
        }


def _bus_summary(plan: BusPlan | None) -> dict[str, Any]:
    """``people_by_bus`` for a scenario with a bus fleet: trips, people reaching safety and people
    detained or turned back at screening (not counted in ``people_reached_safety``, which is on foot)."""
    if plan is None:
        return {}
    return {
        "people_by_bus": {
            "trips": len(plan.trips),
            "people_reached_safety": round(plan.people_reached_safety, 1),
            "people_detained_or_turned_back": round(plan.people_detained_or_turned_back, 1),
            "people_detained": round(plan.people_detained, 1),
            "people_turned_back": round(plan.people_turned_back, 1),
            "waiting_at_end": plan.waiting_at_end,
            # How the trips were planned (plan/bus_schedule.py): "mip" or "greedy" (kept, ``note`` says
            # why); objective and bound in person-days of safety, the planner's scale; gap relative.
            "method": plan.method,
            "objective": round(plan.objective, 2),
            "bound": round(plan.bound, 2) if plan.bound is not None else None,
            "gap": plan.gap,
            "greedy_objective": round(plan.greedy_objective, 2) if plan.greedy_objective is not None else None,
            "note": plan.note,
        }
    }


def default_workers() -> int:
    """Processes for planning proposals side by side: one per core, at most four."""
    return max(1, min(4, os.cpu_count() or 1))


def compare_proposals(
    scenario: Scenario,
    proposals: Sequence[str] | None = None,
    horizon: Horizon | None = None,
    on_done: Callable[[PlanResult], None] | None = None,
    on_start: Callable[[str], None] | None = None,
    workers: int = 1,
    window_value: bool = False,
    certify_s: float = 0.0,
) -> Comparison:
    """Plan each proposal (default: all, in file order); ``on_start``/``on_done`` report progress.

    With ``workers`` > 1 proposals are planned in that many processes (each solve single-threaded);
    results come back in the scenario's order either way and are identical. ``window_value`` prices
    one more hour of every window (one more solve per proposal); ``certify_s`` > 0 proves a bound for
    whole-truck plans in at most that many seconds per proposal (``plan/integer_bound.py``)."""
    chosen = list(proposals) if proposals else [p.id for p in scenario.proposals]
    for proposal in chosen:
        scenario.proposal(proposal)  # unknown names fail before any solve
    if workers <= 1 or len(chosen) <= 1:
        results = []
        for proposal in chosen:
            if on_start:
                on_start(proposal)
            result = plan_proposal(scenario, proposal, horizon=horizon, window_value=window_value, certify_s=certify_s)
            results.append(result)
            if on_done:
                on_done(result)
        return Comparison(scenario, results)
    by_name: dict[str, PlanResult] = {}
    # Forked workers start at once; but HiGHS's thread pool does not survive a fork of a process that
    # has already solved, so such a process spawns fresh interpreters instead (~1 s each to import).
    method = "spawn" if solved_in_this_process() or "fork" not in multiprocessing.get_all_start_methods() else "fork"
    with ProcessPoolExecutor(max_workers=min(workers, len(chosen)), mp_context=multiprocessing.get_context(method)) as pool:
        futures = {pool.submit(plan_proposal, scenario, proposal, horizon, threads=1, window_value=window_value, certify_s=certify_s): proposal for proposal in chosen}
        if on_start:
            on_start(", ".join(chosen))
        for future in as_completed(futures):
            result = future.result()
            by_name[futures[future]] = result
            if on_done:
                on_done(result)
    return Comparison(scenario, [by_name[p] for p in chosen])
