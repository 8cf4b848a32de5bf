"""Safe Passage: plan, coordinate and verify humanitarian pauses.

>>> from safepassage import load_scenario, plan_proposal
>>> result = plan_proposal(load_scenario("gaza-2023-11"), "daily-4h-north")
>>> result.kpis.people_reached_safety > 0
True
"""

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
