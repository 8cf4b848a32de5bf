"""Safe Passage: plan, coordinate and verify humanitarian pauses.

>>> from safepassage import load_scenario, plan_proposal
>>> result = plan_proposal(load_scenario("gaza-2023-11"), "daily-4h-north")
>>> result.kpis.people_reached_safety > 0
True

The names below load on first use (PEP 562), so that ``import safepassage`` — and every command
line start, ``safepassage --help`` included — does not pay for the planner (HiGHS, scipy), the
scenario model or the simulation until it needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from safepassage.errors import (
        InfeasibleError,
        Problem,
        SafePassageError,
        ScenarioError,
        SolverError,
        UnknownProposalError,
    )
    from safepassage.evaluate import Comparison, compare_proposals, write_comparison
    from safepassage.plan import (
        Bottleneck,
        Convoy,
        EvacuationMovement,
        PlanResult,
        ProposalKPIs,
        SolveStatus,
        plan_proposal,
    )
    from safepassage.plan.replan import CurrentState, StockPosition, replan
    from safepassage.scenario import Scenario, builtin_scenarios, load_scenario, parse_scenario

__version__ = "0.1.0"

_EXPORTS = {
    "Bottleneck": "safepassage.plan",
    "Comparison": "safepassage.evaluate",
    "Convoy": "safepassage.plan",
    "CurrentState": "safepassage.plan.replan",
    "EvacuationMovement": "safepassage.plan",
    "InfeasibleError": "safepassage.errors",
    "PlanResult": "safepassage.plan",
    "Problem": "safepassage.errors",
    "ProposalKPIs": "safepassage.plan",
    "SafePassageError": "safepassage.errors",
    "Scenario": "safepassage.scenario",
    "ScenarioError": "safepassage.errors",
    "SolveStatus": "safepassage.plan",
    "SolverError": "safepassage.errors",
    "StockPosition": "safepassage.plan.replan",
    "UnknownProposalError": "safepassage.errors",
    "builtin_scenarios": "safepassage.scenario",
    "compare_proposals": "safepassage.evaluate",
    "load_scenario": "safepassage.scenario",
    "parse_scenario": "safepassage.scenario",
    "plan_proposal": "safepassage.plan",
    "replan": "safepassage.plan.replan",
    "write_comparison": "safepassage.evaluate",
}

__all__ = [
    "Bottleneck",
    "Comparison",
    "Convoy",
    "CurrentState",
    "EvacuationMovement",
    "InfeasibleError",
    "PlanResult",
    "Problem",
    "ProposalKPIs",
    "SafePassageError",
    "Scenario",
    "ScenarioError",
    "SolveStatus",
    "SolverError",
    "StockPosition",
    "UnknownProposalError",
    "builtin_scenarios",
    "compare_proposals",
    "load_scenario",
    "parse_scenario",
    "plan_proposal",
    "replan",
    "write_comparison",
]


def __getattr__(name: str) -> object:
    """Import an exported name from its module the first time it is asked for."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'safepassage' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
