"""Plan one proposal end to end: build the LP, solve it, round to whole trucks, and report.

>>> from safepassage.scenario import load_scenario
>>> from safepassage.plan import plan_proposal
>>> result = plan_proposal(load_scenario("gaza-2023-11"), "ceasefire")

The gap to the LP bound is the rounding to whole trucks (under 1%) plus the cost of grouping the
trucks into convoys within the scenario's convoy rules:

>>> result.consolidation["gap_before"] < 0.01
True
>>> abs(result.gap - result.consolidation["gap_before"] - result.consolidation["cost_share_of_bound"]) < 1e-9
True
>>> result.gap < 0.03
True
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable
from typing import Protocol, TypeVar

import numpy as np

from safepassage.errors import PlanInvariantError
from safepassage.plan.aggregate import solve_planning_lp
from safepassage.plan.bottleneck import find_bottlenecks
from safepassage.plan.colgen.choice import resolve_method
from safepassage.plan.convoys import consolidate, consolidation_report, planned_convoys, rules_of
from safepassage.plan.destinations import newly_full
from safepassage.plan.integer import IntegerPlan, round_and_repair
from safepassage.plan.integer_bound import whole_truck_bound
from safepassage.plan.kpi import plan_kpis
from safepassage.plan.lp_build import PlanningModel, build_planning_model
from safepassage.plan.quota_floors import path_incidence, quota_shortfalls
from safepassage.plan.result import Bottleneck, IntegerBound, PlanResult
from safepassage.plan.schedule import build_convoys, build_evacuations
from safepassage.plan.solve import LPSolution
from safepassage.plan.time_grid import to_utc
from safepassage.plan.window_pricing import solve_warm_from
from safepassage.scenario.model import Horizon, Proposal, Scenario

__all__ = ["BOUND_TOLERANCE", "check_within_bound", "plan_proposal"]

# The LP optimum is exact only up to HiGHS's tolerances (1e-7 on feasibility and optimality); an
# integer plan evaluated with the LP's own objective may exceed it by that much, and no more.
BOUND_TOLERANCE = 1e-6


def check_within_bound(value: float, bound: float) -> None:
    """Raise ``PlanInvariantError`` if an integer plan's ``value`` exceeds the LP ``bound`` beyond
    solver tolerance: the plan breaks a limit the LP respects, so it is not a plan at all.

    >>> check_within_bound(99.0, 100.0)
    >>> check_within_bound(101.0, 100.0)
    Traceback (most recent call last):
    ...
    safepassage.errors.PlanInvariantError: the integer plan is worth 101 person-days, more than the LP bound 100 ...
    """
    if value > bound + BOUND_TOLERANCE * max(1.0, abs(bound)):
        raise PlanInvariantError(
            f"the integer plan is worth {value:.6g} person-days, more than the LP bound {bound:.6g} "
            "(it must break a limit the LP respects); please report this as a bug with the scenario"
        )


def plan_proposal(scenario: Scenario, proposal: str, horizon: Horizon | None = None, time_limit_s: float | None = None, bottlenecks: int = 5, threads: int | None = None, window_value: bool = False, method: str = "auto", certify_s: float = 0.0) -> PlanResult:
    """The best plan for ``proposal`` (id or name) over ``scenario``.

    ``window_value``: also price the windows — re-solve with every window one hour longer and report
    the gain as a 'window' bottleneck (one more LP solve).
    ``threads`` caps HiGHS's threads (1 when several proposals are planned in parallel processes).
    ``method``: "lp" solves the whole time-expanded LP; "columns" solves it by column generation
    (``plan/colgen``; the bound is then a certified Lagrangian bound on the whole LP); "condensed"
    plans on a grid with coarse slots away from the windows' edges and certifies its bound on the
    scenario's own grid (``plan/condensed.py``: the plan's times are on the condensed grid); "auto" chooses
    by size (``plan/colgen/choice.py``: the Gaza week is "lp"). ``ValueError`` for another value.
    ``certify_s`` > 0: also run the whole-truck program for at most that many seconds and report the
    tighter bound it proves for whole-truck plans (``result.integer_bound``; ``plan/integer_bound.py``);
    only on the scenario's own grid, so ``ValueError`` if the method chosen is not "lp"; ``ValueError``
    also for a ``certify_s`` that is negative, NaN or infinite.
    Raises ``UnknownProposalError`` for a proposal the scenario lacks, ``InfeasibleError`` when no plan
    exists and ``SolverError`` when HiGHS fails or hits ``time_limit_s``.
    """
    if certify_s != 0 and not (math.isfinite(certify_s) and certify_s > 0):
        # Refused before the plan is made, not after minutes of solving (NaN is "true" to ``if certify_s``).
        raise ValueError(f"certify_s must be 0 (no bound) or a positive number of seconds, not {certify_s!r}")
    chosen = scenario.proposal(proposal)
    started = time.perf_counter()
    chosen_method = resolve_method(scenario, horizon, method, chosen)
    if certify_s and chosen_method != "lp":
        raise ValueError(
            f"certify_s: the whole-truck bound needs the plan made on the scenario's own grid (method 'lp'), "
            f"and this plan uses method {chosen_method!r}; pass method='lp' or leave certify_s at 0"
        )
    lp_bound: float | None = None  # the bound of the LP the plan comes from, when it is not ``bound``
    if chosen_method == "columns":
        from safepassage.plan.colgen import solve_by_columns

        generated = solve_by_columns(scenario, chosen, horizon, time_limit_s=time_limit_s, threads=threads)
        model, solution, bound = generated.model, generated.solution, generated.bound
        solved = time.perf_counter()
        built = solved - sum(r["solve_s"] for r in generated.rounds)
    elif chosen_method == "condensed":
        from safepassage.plan.condensed import solve_condensed

        condensed = solve_condensed(scenario, chosen, horizon, time_limit_s=time_limit_s, threads=threads)
        model, solution, bound = condensed.model, condensed.generation.solution, condensed.bound
        # The integer plan keeps the condensed LP's limits: check it against that LP's own bound.
        lp_bound = condensed.generation.bound
        solved = time.perf_counter()
        built = solved - sum(r["solve_s"] + r["bound_s"] for r in condensed.levels)
    else:
        model = build_planning_model(scenario, chosen, horizon)
        built = time.perf_counter()
        model, solution = solve_while_places_fill(
            model, lambda m: solve_planning_lp(m, time_limit_s=time_limit_s, threads=threads),
            lambda full: build_planning_model(scenario, chosen, horizon, full),
        )
        solved = time.perf_counter()
        bound = solution.objective
    plan = round_and_repair(model, solution)
    rules = rules_of(scenario)
    consolidated = consolidate(model, plan, rules) if rules is not None else None
    if consolidated is not None:
        plan = consolidated.plan  # the convoys' trucks only: KPIs, journeys and value follow the consolidated plan
    rounded = time.perf_counter()
    value = plan.value
    check_within_bound(value, bound if lp_bound is None else lp_bound)
    gap = (bound - value) / abs(bound) if abs(bound) > 1e-9 else 0.0
    grid = model.terms.grid
    result = PlanResult(
        scenario=scenario.name,
        proposal=chosen.id,
        proposal_name=chosen.name,
        horizon_start=grid.instant(0.0),
        horizon_days=grid.horizon_min / 1440.0,
        slot_minutes=float(grid.length_min.min()),
        status=solution.status,
        objective=value,
        bound=bound,
        gap=gap,
        kpis=plan_kpis(model, plan),
        convoys=build_convoys(model, plan),
        evacuations=build_evacuations(model, plan),
        bottlenecks=_with_window_value(find_bottlenecks(model, solution, top=bottlenecks), scenario, chosen, horizon, solution.objective, time_limit_s, threads, bottlenecks, chosen_method, (model, solution)) if window_value else find_bottlenecks(model, solution, top=bottlenecks),
        lp_rows=model.lp.n_rows,
        lp_cols=model.lp.n_cols,
        lp_nonzeros=int(model.lp.csc().nnz),
        build_seconds=built - started,
        solve_seconds=solved - built,
    )
    if consolidated is not None and rules is not None:
        result.planned_convoys = planned_convoys(model, consolidated, rules, result.convoys)
        result.consolidation = consolidation_report(consolidated, result.planned_convoys, bound)
    result.quota_shortfalls = [short.record(grid) for short in quota_shortfalls(model, plan.trucks, plan.trucks_int)]
    if certify_s:
        result.integer_bound = _integer_bound(model, plan, bound, certify_s, threads)
    result.timings = {"build_s": built - started, "solve_s": solved - built, "round_s": rounded - solved, "report_s": time.perf_counter() - rounded}
    return result


class _RowActivity(Protocol):
    @property
    def row_activity(self) -> np.ndarray: ...


Solved = TypeVar("Solved", bound=_RowActivity)


def solve_while_places_fill(
    model: PlanningModel, solve: Callable[[PlanningModel], Solved], rebuild: Callable[[frozenset[tuple[int, int]]], PlanningModel]
) -> tuple[PlanningModel, Solved]:
    """``solve(model)``, then again on ``rebuild(full places)`` while the solution fills a place of a
    destination split not yet marked full (people redirect from it: ``plan/destinations.py``); the
    last model and its solution."""
    solved = solve(model)
    while more := newly_full(model, solved.row_activity):
        model = rebuild(model.full_places | more)
        solved = solve(model)
    return model, solved


def _integer_bound(model: PlanningModel, plan: IntegerPlan, bound: float, certify_s: float, threads: int | None) -> IntegerBound:
    """The whole-truck program's bound on ``plan`` (``plan/integer_bound.py``), with the plan's gap to it.
    ``PlanInvariantError`` if the plan is worth more than the bound the program proved."""
    start = path_incidence(plan.trucks, model.lp.n_cols) @ plan.trucks_int
    proved = whole_truck_bound(model, start, certify_s, threads)
    tighter = min(bound, proved.dual_bound)
    check_within_bound(plan.value, tighter)
    # Within the solver's tolerance of a bound it meets (proved optimal), the plan can be worth a few ulps
    # more than HiGHS's figure for the same optimum (-1e-16 gap on a Santiago DST case). The plan is a
    # whole-truck plan, so no bound on them is below it: the bound is never less than the plan's value.
    tighter = max(tighter, plan.value)
    return IntegerBound(
        bound=tighter,
        gap=(tighter - plan.value) / abs(tighter) if abs(tighter) > 1e-9 else 0.0,
        best_found=proved.best_found if math.isfinite(proved.best_found) else None,
        proved=proved.proved,
        seconds=certify_s,
    )


def added_window_hours(scenario: Scenario, proposal: Proposal, longer: Proposal) -> float:
    """The real time ``longer`` adds to ``proposal``'s window occurrences, in hours, on average per occurrence.

    Windows are local wall-clock times, lengthened by one wall-clock hour; across a daylight-saving
    change that adds two real hours (the hour repeated in autumn) or none (the hour skipped in spring),
    so the window's price is the gain over the real hours added, never over an assumed one.

    >>> from safepassage.scenario.model import Window
    >>> def pause(day: dt.date, start_h: float, end_h: float) -> Proposal:
    ...     at = dt.datetime.combine(day, dt.time())
    ...     start, end = at + dt.timedelta(hours=start_h), at + dt.timedelta(hours=end_h)
    ...     return Proposal(id="p", name="p", windows=[Window(start=start, end=end, everywhere=True)])
    >>> class Berlin:
    ...     timezone = "Europe/Berlin"
    >>> autumn = dt.date(2024, 10, 27)  # 02:00-03:00 is lived twice
    >>> added_window_hours(Berlin, pause(autumn, 1.5, 2.5), pause(autumn, 1.5, 3.5))
    2.0
    >>> summer = dt.date(2024, 7, 1)
    >>> added_window_hours(Berlin, pause(summer, 10, 14), pause(summer, 10, 15))
    1.0
    """
    tz = scenario.timezone
    added = [
        (to_utc(end_longer, tz) - to_utc(end, tz)).total_seconds() / 3600.0
        for window, window_longer in zip(proposal.windows, longer.windows, strict=True)
        for (_, end), (_, end_longer) in zip(window.occurrences(), window_longer.occurrences(), strict=True)
    ]
    return sum(added) / len(added) if added else 0.0


def _with_window_value(found: list[Bottleneck], scenario: Scenario, proposal: Proposal, horizon: Horizon | None, bound: float, time_limit_s: float | None, threads: int | None, top: int, method: str = "lp", warm_from: tuple[PlanningModel, LPSolution] | None = None) -> list[Bottleneck]:
    """Add the value of one more hour at the end of every window (a finite difference of the LP;
    with ``method="columns"``, of the two column-generation masters, each within its target gap).
    ``warm_from``: the plan's LP and its solution; the longer LP is then built on its own grid as
    before but solved from them (``plan/window_pricing.py``: same optimum, faster). Like the plan's LP,
    the longer one starts from the places the plan found full and is solved again while more fill."""
    if not proposal.windows:
        return found
    longer = proposal.model_copy(update={"windows": [w.model_copy(update={"end": w.end + dt.timedelta(hours=1)}) for w in proposal.windows]})
    if method == "columns":
        from safepassage.plan.colgen import solve_by_columns

        extended = solve_by_columns(scenario, longer, horizon, time_limit_s=time_limit_s, threads=threads).value
    elif method == "condensed":
        from safepassage.plan.condensed import solve_condensed

        extended = solve_condensed(scenario, longer, horizon, time_limit_s=time_limit_s, threads=threads).value
    else:
        # As the plan's LP: from the places its own LP found full, re-solved until no new place fills.
        def rebuild(full: frozenset[tuple[int, int]]) -> PlanningModel:
            return build_planning_model(scenario, longer, horizon, full)

        start = rebuild(warm_from[0].full_places if warm_from is not None else frozenset())
        if warm_from is not None:
            plan_model, plan_solution = warm_from
            _, warm = solve_while_places_fill(
                start,
                lambda m: solve_warm_from(plan_model, plan_solution, m, time_limit_s=time_limit_s, threads=threads, primal=True),
                rebuild,
            )
            extended = warm.objective
        else:
            _, cold = solve_while_places_fill(start, lambda m: solve_planning_lp(m, time_limit_s=time_limit_s, threads=threads), rebuild)
            extended = cold.objective
    gain = extended - bound
    added_hours = added_window_hours(scenario, proposal, longer)
    if gain <= 1e-6 * max(1.0, abs(bound)) or added_hours <= 0.0:
        return found
    per_hour = gain / added_hours
    tz = scenario.timezone
    hours = sum((to_utc(b, tz) - to_utc(a, tz)).total_seconds() / 3600.0 for w in proposal.windows for a, b in w.occurrences()) / sum(w.repeat_days for w in proposal.windows)
    # Ranked with the others by the value of 10% more: windows 10% longer, valued linearly.
    window = Bottleneck("window", f"{proposal.id}.windows", round(per_hour, 4), "hour more per window", sum(w.repeat_days for w in proposal.windows), round(per_hour * 0.1 * hours, 2))
    return sorted(found + [window], key=lambda b: -b.value_of_10pct)[:top]
