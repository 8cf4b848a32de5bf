"""Planning: the time grid, the time-expanded LP, its solution with HiGHS, and the integer schedule."""

from safepassage.plan.planner import plan_proposal
from safepassage.plan.result import Bottleneck, Convoy, EvacuationMovement, PlanResult, ProposalKPIs
from safepassage.plan.solve import LPSolution, SolveStatus

__all__ = ["Bottleneck", "Convoy", "EvacuationMovement", "LPSolution", "PlanResult", "ProposalKPIs", "SolveStatus", "plan_proposal"]
