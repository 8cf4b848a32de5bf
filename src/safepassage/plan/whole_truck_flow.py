"""Whole trucks from a small integer program over the time-expanded network around the LP's flow.

Rounding works on the LP's own paths (``plan/integer.py``). Where the LP fills the narrow first value
tiers of many (zone, commodity) pairs with fractions of a truck (a fuel truck carries 35 units; the
first tier of a small zone's fuel need is 4–7 units), the best whole-truck plan is not a rounding of
those paths: it drops some pairs, serves others the LP left empty, with another commodity, or at
other slots through a crossing that is full slot by slot. This module finds that plan.

The program is the planning LP itself, with:

- moves (x) and offloading (u) whole; holding (s) whole except where stock waits at its own origin
  (stock in a warehouse is not trucks, and may be a fraction of a truckload);
- moves only on the arcs the LP's trucks use, in any slot and for any commodity (the neighbourhood);
  every other move is fixed at its lower bound (0; in a warm re-plan, what a past move was fixed at);
- people (y, h) fixed at the LP's values: the people are made whole on their own (``integer.py``),
  and the need rows see the people the LP moves.

Every other row is the LP's own (places, roads, quotas, fleet, stock, value tiers, quota floors), so
a feasible point is a whole-truck flow that keeps every limit. HiGHS starts from the path plan. The
flow found is decomposed into paths and valued with the plan's own whole people by
``integer.plan_value``; the caller keeps the better plan, so this step never makes a plan worse.

On the synthetic 200-place day (``bench/bench_integer_gap.py``) the neighbourhood holds the best
whole-truck plan of the whole network: the full integer program over every truck column reaches the
same value, and its dual bound shows that no whole-truck plan comes within 1.24 % of the LP bound
there (see docs/performance.md).
"""

from __future__ import annotations

import dataclasses

import highspy
import numpy as np

from safepassage.plan.lp_build import PlanningModel
from safepassage.plan.solve import LPSolution, mark_solved, new_highs, to_highs_lp

__all__ = [
    "WholeTruckFlow", "route_neighbourhood", "integrality", "run_whole_truck_program", "whole_columns",
    "whole_truck_flow",
]

INTEGRAL_TOL = 1e-6  # HiGHS's default integrality tolerance: values this close to a whole number are one
# HiGHS stops within this share of its own bound. The path plan it starts from can be within 0.1 % of
# the best whole-truck plan (0.10 % on the 500-place day) while still worth improving, so 1e-3 would
# let it stop at the start; 1e-4 (its default) spends seconds proving what it has already found.
MIP_REL_GAP = 2e-4


@dataclasses.dataclass(frozen=True)
class WholeTruckFlow:
    """A whole-truck flow over the LP's columns (``x``: every column, trucks whole, people as in the
    LP), its objective in the program (person-days), and whether HiGHS proved it optimal in the
    neighbourhood (False: stopped by the time limit with this incumbent)."""

    x: np.ndarray
    objective: float
    optimal: bool


def route_neighbourhood(model: PlanningModel, lp_x: np.ndarray) -> np.ndarray:
    """bool per move column (``model.col("x")``): the move is on an arc some loaded truck of the LP
    solution ``lp_x`` uses, in any slot and for any commodity. (Moves within 4 hours of the LP's own
    departures on the arc were not enough: on the synthetic 500-place day that neighbourhood holds no
    better plan than the path program's; within 2 hours, neither on the 200-place day.)"""
    x = model.col("x")
    used = lp_x[x.slice()] > INTEGRAL_TOL
    arcs_used = np.zeros(len(model.arcs.tail), dtype=bool)
    arcs_used[model.trucks.arc[used]] = True
    return arcs_used[model.trucks.arc]


def whole_columns(model: PlanningModel) -> np.ndarray:
    """bool per LP column: the truck columns the program makes whole (x, u, and s away from stock origins)."""
    out = np.zeros(model.lp.n_cols, dtype=bool)
    out[model.col("x").slice()] = True
    out[model.col("u").slice()] = True
    s = model.col("s")
    n_slots = model.terms.grid.n_slots
    origin = model.supply_trucks[model.storage_pairs].sum(axis=1) > 0
    out[s.start:s.stop] = np.repeat(~origin, n_slots)
    return out


def integrality(whole: np.ndarray) -> list[highspy.HighsVarType]:
    """HiGHS's integrality list: integer where ``whole`` (bool per column), continuous elsewhere."""
    kinds = (highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger)
    return [kinds[int(flag)] for flag in whole]


def run_whole_truck_program(
    model: PlanningModel, lp: highspy.HighsLp, start: np.ndarray | None, time_limit_s: float, mip_rel_gap: float,
    threads: int | None = None,
) -> highspy.Highs:
    """Run HiGHS on ``lp`` (the planning LP, bounds as the caller set them) with ``whole_columns`` integer,
    for at most ``time_limit_s`` or to ``mip_rel_gap``, and return it for its solution and info.
    ``start`` (per LP column) is a partial start: its whole columns only; HiGHS solves for the rest."""
    whole = whole_columns(model)
    lp.integrality_ = integrality(whole)
    highs = new_highs(time_limit_s, threads)
    highs.setOptionValue("mip_rel_gap", mip_rel_gap)
    highs.passModel(lp)
    if start is not None:
        index = np.flatnonzero(whole)
        highs.setSolution(len(index), index.astype(np.int32), np.asarray(start, dtype=np.float64)[index])
    mark_solved()
    highs.run()
    return highs


def whole_truck_flow(
    model: PlanningModel, solution: LPSolution, start: np.ndarray | None, time_limit_s: float
) -> WholeTruckFlow | None:
    """The best whole-truck flow HiGHS finds in ``time_limit_s`` over the LP's arcs (module doc), or
    None when it finds no feasible point. ``start`` (per LP column, e.g. ``path_incidence @ trucks``)
    is the plan it starts from: its whole columns are given to HiGHS, which completes the rest."""
    lp = to_highs_lp(model.lp)
    col_lower = np.array(lp.col_lower_, dtype=np.float64)
    col_upper = np.array(lp.col_upper_, dtype=np.float64)
    x = model.col("x")
    outside = x.start + np.flatnonzero(~route_neighbourhood(model, solution.x))
    col_upper[outside] = col_lower[outside]  # 0, or what a re-plan fixed a past move at
    for name in ("y", "h"):
        people = model.col(name).slice()
        col_lower[people] = solution.x[people]
        col_upper[people] = solution.x[people]
    lp.col_lower_ = col_lower
    lp.col_upper_ = col_upper
    highs = run_whole_truck_program(model, lp, start, time_limit_s, MIP_REL_GAP)
    info = highs.getInfo()
    if info.primal_solution_status != 2:  # no feasible point
        return None
    flow = np.asarray(highs.getSolution().col_value, dtype=np.float64)
    whole = whole_columns(model)
    if np.any(np.abs(flow[whole] - np.round(flow[whole])) > INTEGRAL_TOL * 10):
        return None
    flow[whole] = np.round(flow[whole])
    optimal = highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return WholeTruckFlow(flow, float(info.objective_function_value), optimal)

