"""Plan every proposal of a scenario and put the results side by side."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from safepassage.plan import PlanResult, plan_proposal
from safepassage.scenario.model import Horizon, Scenario

__all__ = ["Comparison", "compare_proposals"]


@dataclass
class Comparison:
    """Plans of several proposals of one scenario, in the scenario's order."""

    scenario: Scenario
    results: list[PlanResult]

    @property
    def horizon_days(self) -> float:
        return self.results[0].horizon_days if self.results else self.scenario.horizon.days

    def to_json(self) -> dict[str, Any]:
        """The documented comparison document (README: `compare --json`)."""
        return {
            "scenario": self.scenario.name,
            "title": self.scenario.title,
            "horizon_start": self.results[0].horizon_start if self.results else self.scenario.horizon.start.isoformat(),
            "horizon_days": self.horizon_days,
            "counting": "trucks crossed: leaving a crossing; trucks arrived: offloaded at a distribution point; quantities in each commodity's unit, tonnes via tonnes_per_unit",
            "proposals": [r.summary() for r in self.results],
        }


def compare_proposals(
    scenario: Scenario,
    proposals: Sequence[str] | None = None,
    horizon: Horizon | None = None,
    on_done: Callable[[PlanResult], None] | None = None,
    on_start: Callable[[str], None] | None = None,
) -> Comparison:
    """Plan each proposal (default: all, in file order); ``on_start``/``on_done`` report progress."""
    chosen = list(proposals) if proposals else [p.id for p in scenario.proposals]
    results = []
    for proposal in chosen:
        if on_start:
            on_start(proposal)
        result = plan_proposal(scenario, proposal, horizon=horizon)
        results.append(result)
        if on_done:
            on_done(result)
    return Comparison(scenario, results)
