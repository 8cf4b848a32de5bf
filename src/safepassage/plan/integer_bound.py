"""A bound on every whole-truck plan, tighter than the LP's: the integer program itself, run for a while.

A plan's ``bound`` is the LP optimum, in which a truck may be a fraction. Where the LP fills the narrow
first value tiers of small zones with fractions of a truck, no whole-truck plan comes near it: on the
synthetic 200-place day every whole-truck plan is at least 1.25 % below the LP bound (its integrality
gap, docs/performance.md), so a gap against the LP bound cannot say whether the plan is good.

``whole_truck_bound`` solves the planning program with every truck column whole (moves ``x``,
offloading ``u``, holding ``s`` except stock waiting at its own origin: ``whole_truck_flow.whole_columns``)
and people continuous, for at most ``time_limit_s``, starting from the plan. HiGHS's dual bound on that
program is worth at least as much as any whole-truck plan: a plan also has whole people and keeps the
convoy rules, which only restrict it further. So ``min(LP bound, dual bound)`` bounds the plan, and the
gap against it is how far, at most, the plan is from the best whole-truck plan. Without any truck column
(people only) the program is the LP, and its optimum is the bound.

The bound is valid only for the program the plan was made on: with ``method="lp"`` that is the
scenario's own grid. A condensed grid or a column-generation master is a restriction of it, whose
integer program bounds nothing on the fine grid (``planner.plan_proposal`` refuses the pair).
"""

from __future__ import annotations

import dataclasses
import math

import highspy
import numpy as np

from safepassage.plan.lp_build import PlanningModel
from safepassage.plan.solve import to_highs_lp
from safepassage.plan.whole_truck_flow import run_whole_truck_program, whole_columns

__all__ = ["WholeTruckBound", "whole_truck_bound"]

# HiGHS stops when its incumbent is within this share of its dual bound: far below the 1 % that matters
# for a planner, so the bound is what the time limit allows.
MIP_REL_GAP = 1e-4


@dataclasses.dataclass(frozen=True)
class WholeTruckBound:
    """What the whole-truck program proved within its time: ``dual_bound`` (no whole-truck plan is worth
    more; ``inf`` if HiGHS found none in time, e.g. stopped inside the root LP), ``best_found`` (the best
    whole-truck point it found, people continuous; ``-inf`` if none) and ``proved`` (HiGHS closed its own
    gap to ``MIP_REL_GAP`` before the time limit)."""

    dual_bound: float
    best_found: float
    proved: bool


def whole_truck_bound(
    model: PlanningModel, start: np.ndarray | None, time_limit_s: float, threads: int | None = None
) -> WholeTruckBound:
    """The dual bound of the planning program with whole truck columns and continuous people (module
    doc) after at most ``time_limit_s`` of HiGHS (wall clock). ``start`` (per LP column; the plan's
    truck columns) is given to HiGHS as a partial start: its whole columns, the rest solved for.
    ``ValueError`` for a time limit that is not positive and finite."""
    if not (math.isfinite(time_limit_s) and time_limit_s > 0):
        raise ValueError(f"time_limit_s must be a positive number of seconds, not {time_limit_s!r}")
    highs = run_whole_truck_program(model, to_highs_lp(model.lp), start, time_limit_s, MIP_REL_GAP, threads)
    info = highs.getInfo()
    best = float(info.objective_function_value) if info.primal_solution_status == 2 else -math.inf
    proved = highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
    if not whole_columns(model).any():
        # No truck column (people only, e.g. an evacuation corridor): HiGHS solves the LP and leaves
        # mip_dual_bound at 0, which is no bound. The program is the LP; its optimum is its bound.
        return WholeTruckBound(dual_bound=best if proved else math.inf, best_found=best, proved=proved)
    dual = float(info.mip_dual_bound)
    # HiGHS maximises here (the planning LP's sense); a dual bound it has not yet computed is +inf.
    dual = dual if math.isfinite(dual) else math.inf
    return WholeTruckBound(dual_bound=dual, best_found=best, proved=proved)
