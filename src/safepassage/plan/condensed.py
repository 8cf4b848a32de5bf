"""A condensed time-expanded network with a bound certified on the fine grid.

The planning LP on the scenario's own (fine) grid has a column for every usable (arc, slot,
commodity): 9.5 million truck movements for the 500-place week on 15-minute slots. Most of the week
does not need that resolution: what a pause delivers is decided around the windows' edges. So:

1. **Condensed grid** (``condensed_horizon``): slots ``coarse_slot_minutes`` long, except within
   ``fine_margin_hours`` of every window's start and end, where they stay fine (the time grid's own
   ``coarse_slot_minutes`` / ``fine_margin_hours`` rules, ``plan/time_grid.py``). Every boundary of
   the condensed grid is a boundary of the fine grid (checked).
2. **Plan**: the ordinary planning LP on the condensed grid, solved by column generation
   (``plan/colgen``). Its solution is a ``PlanningModel`` solution: travel times are rounded up to
   the condensed boundaries and per-slot capacities are whole-unit shares of the same rates, so the
   integer step, the schedule, the KPIs and the plan checker take it as any plan.
3. **Certified bound on the fine grid** (``fine_grid_bound``): the condensed master's duals are
   spread over the fine slots (each fine slot of a coarse slot gets its coarse row's multiplier; a
   fleet row's multiplier is shared in proportion to length) and the Lagrangian of the *fine* LP is
   evaluated at them by one backward sweep on the fine grid (``colgen/pricing.py``,
   ``colgen/people.py``). ``L(π) ≥`` the fine LP's optimum for every ``π`` of the valid sign (weak
   duality), so the bound is certified however good the spreading is; the measured gap says how
   good it is. The fine LP is never written down.

``solve_condensed`` runs the levels of ``levels`` (coarsest first) until the certified gap of its
best plan is within ``target_gap``, keeping the best plan and the smallest bound seen, starting
from the fine LP's no-capacity bound (``no_capacity_bound``: what the stock could be worth with no
limit but time and need), which is the smaller one while a master still lacks the binding rows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from safepassage.plan.colgen.by_paths import SMOOTHING, PathMasterRefusal, refusal, solve_by_paths
from safepassage.plan.colgen.graph import TruckGraph, truck_graph
from safepassage.plan.colgen.master import ColumnGeneration, solve_by_columns
from safepassage.plan.colgen.people import (
    PeopleGraph,
    PeopleMultipliers,
    people_bound,
    people_graph,
    people_multipliers,
    price_people,
)
from safepassage.plan.colgen.pricing import Multipliers, initial_multipliers, lagrangian_bound, multipliers_from, price
from safepassage.plan.lp_build import PlanningModel
from safepassage.plan.network import Movements
from safepassage.plan.problem import PlanningProblem, compile_problem, whole_unit_capacity
from safepassage.plan.solve import LPSolution
from safepassage.plan.terms import resolve_terms
from safepassage.scenario.model import Horizon, Proposal, Scenario

__all__ = [
    "DEFAULT_LEVELS",
    "MASTERS",
    "PATH_LEVELS",
    "Condensed",
    "condensed_horizon",
    "fine_grid_bound",
    "fine_problem",
    "grids_nest",
    "no_capacity_bound",
    "solve_condensed",
    "spread_multipliers",
]

# (coarse slot minutes, fine margin hours), coarsest first; measured on the target recipe at 50
# places × 7 days with the arc master (docs/performance.md).
DEFAULT_LEVELS: tuple[tuple[int, float], ...] = ((120, 2.0), (60, 3.0))
# The path master's: one level. Its rounds cost about the same on either grid (they grow with the
# paths, not the slots), and at 500 places the 120-minute level's duals certified only 2.6 % on the
# fine grid, so the 60-minute level was needed anyway: 150 CPU s with this level alone against 296 s
# with both (0.45 % and 0.49 %). At 50 and 100 places both levels are faster (6 and 10 s against 12
# and 12 s) but all are within seconds (docs/performance.md, "The path master, second pass").
PATH_LEVELS: tuple[tuple[int, float], ...] = ((60, 3.0),)
MASTERS = ("auto", "arcs", "paths")
# The path master's rounds certify on the fine grid (one backward sweep there, 0.55 s at 500 places)
# only once the level's own gap is within this many times the target: the fine grid's bound at the
# spread duals was not below the level's own in any round measured (docs/performance.md, "Central
# duals"), so before that a certificate could not stop the level. The level's last multipliers are
# certified in any case.
CERTIFY_WITHIN = 4.0
Carried = tuple[PlanningProblem, Multipliers, PeopleMultipliers]


@dataclass
class Condensed:
    """Outcome of ``solve_condensed``: the best plan's column generation (on its condensed grid, with
    its ``horizon``), the certified bound on the fine-grid LP, and one record per level."""

    generation: ColumnGeneration
    horizon: Horizon
    bound: float
    levels: list[dict[str, float]] = field(default_factory=list)
    no_capacity_bound: float = float("inf")  # the fine LP's bound before any master (``no_capacity_bound``)

    @property
    def model(self) -> PlanningModel:
        return self.generation.model

    @property
    def value(self) -> float:
        """The condensed master's optimum: a value a feasible plan's LP reaches on the condensed grid."""
        return self.generation.value

    @property
    def gap(self) -> float:
        """``(bound − value) / bound``, the bound being certified on the fine grid."""
        return (self.bound - self.value) / abs(self.bound) if abs(self.bound) > 1e-9 else 0.0


def condensed_horizon(horizon: Horizon, coarse_slot_minutes: int, fine_margin_hours: float) -> Horizon:
    """``horizon`` with slots ``coarse_slot_minutes`` long away from the windows' edges (fine within
    ``fine_margin_hours`` of them). ``ValueError`` unless ``coarse_slot_minutes`` is a multiple of the
    fine slot and ``fine_margin_hours`` a whole number of fine slots (else the grids would not nest)."""
    fine = horizon.slot_minutes
    if coarse_slot_minutes < fine or coarse_slot_minutes % fine:
        raise ValueError(
            f"coarse_slot_minutes must be a multiple of the horizon's slot_minutes ({fine}); got {coarse_slot_minutes}"
        )
    if fine_margin_hours < 0 or abs(fine_margin_hours * 60 / fine - round(fine_margin_hours * 60 / fine)) > 1e-9:
        raise ValueError(
            f"fine_margin_hours must be a non-negative whole number of {fine}-minute slots; got {fine_margin_hours}"
        )
    return horizon.model_copy(
        update={
            "coarse_slot_minutes": coarse_slot_minutes,
            "fine_margin_hours": fine_margin_hours,
            "coarse_after_hours": None,
        }
    )


def _nested(coarse_b: np.ndarray, fine_b: np.ndarray) -> np.ndarray:
    """Per coarse boundary, whether the fine grid has it too."""
    at = np.clip(np.searchsorted(fine_b, coarse_b), 0, len(fine_b) - 1)
    before = np.clip(at - 1, 0, len(fine_b) - 1)
    return (np.abs(fine_b[at] - coarse_b) <= 1e-6) | (np.abs(fine_b[before] - coarse_b) <= 1e-6)


def grids_nest(
    scenario: Scenario, proposal: Proposal, horizon: Horizon | None, coarse_slot_minutes: int, fine_margin_hours: float
) -> bool:
    """Whether the condensed grid of this level has only boundaries the fine grid has (it does not
    when a window edge sits off the fine slots' lattice: its margin's edges are then off it too)."""
    reference = horizon or scenario.horizon
    try:
        level = condensed_horizon(reference, coarse_slot_minutes, fine_margin_hours)
    except ValueError:
        return False
    fine_b = resolve_terms(scenario, proposal, reference).grid.boundaries_min
    return bool(_nested(resolve_terms(scenario, proposal, level).grid.boundaries_min, fine_b).all())


def _coarse_slot_of(fine: PlanningProblem, coarse: PlanningProblem) -> tuple[np.ndarray, np.ndarray]:
    """For each fine slot, the coarse slot that holds it and the share of that slot's length it is."""
    fine_b, coarse_b = fine.grid.boundaries_min, coarse.grid.boundaries_min
    nested = _nested(coarse_b, fine_b)
    if not nested.all():
        at = float(coarse_b[np.flatnonzero(~nested)[0]])
        raise ValueError(
            f"the condensed grid has a slot boundary {at:g} minutes after the start that the fine grid lacks; "
            "choose window times, a fine margin and a coarse slot on the fine slot's lattice"
        )
    holder = np.searchsorted(coarse_b, fine_b[:-1] + 1e-6, side="right") - 1
    share = np.diff(fine_b) / np.diff(coarse_b)[holder]
    return holder, share


def _finite(values: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(values), values, 0.0)


def spread_multipliers(
    fine: PlanningProblem, coarse_model: PlanningModel, row_dual: np.ndarray
) -> tuple[Multipliers, PeopleMultipliers]:
    """Multipliers for the fine LP's coupling rows from the condensed master's duals (module doc),
    with ``Σ π_r b_r`` computed on the fine rows."""
    trucks = multipliers_from(coarse_model, row_dual)
    walkers = people_multipliers(coarse_model.problem, coarse_model, row_dual)
    return spread(fine, coarse_model.problem, trucks, walkers)


def spread(
    fine: PlanningProblem, coarse: PlanningProblem, trucks: Multipliers, walkers: PeopleMultipliers
) -> tuple[Multipliers, PeopleMultipliers]:
    """The condensed grid's multipliers ``trucks`` and ``walkers`` spread over the fine grid's rows
    (``spread_multipliers``), with ``Σ π_r b_r`` computed on the fine rows."""
    holder, share = _coarse_slot_of(fine, coarse)
    if len(trucks.quota) != len(fine.terms.quotas):
        raise ValueError("the condensed and the fine grid count different quota rows; the grids do not nest")
    pi = Multipliers(
        trucks.place[:, holder],
        trucks.road[:, holder],
        trucks.offload[:, holder],
        trucks.quota.copy(),
        trucks.fleet[holder] * share,
        trucks.need.copy(),
        0.0,
    )
    scenario = fine.scenario
    offload_rate = np.array(
        [60.0 / p.offload_minutes_per_truck if p.offload_minutes_per_truck else np.inf for p in scenario.places]
    )
    offload_cap = whole_unit_capacity(offload_rate, fine.terms.place_open, fine.grid.length_min)
    rhs = float((_finite(fine.place_trucks_cap) * pi.place).sum() + (_finite(fine.road_trucks_cap) * pi.road).sum())
    rhs += float((_finite(offload_cap) * pi.offload).sum())
    rhs += (
        float(np.array([q.trucks_whole for q in fine.terms.quotas], dtype=np.float64) @ pi.quota)
        if len(pi.quota)
        else 0.0
    )
    rhs += float(scenario.fleet.trucks * pi.fleet.sum()) if scenario.fleet is not None else 0.0
    pi.rhs_value = rhs
    # Holding areas are not priced on the fine grid (multiplier 0: any π ≥ 0 keeps the bound valid).
    walk = PeopleMultipliers(
        walkers.place[:, holder],
        walkers.road[:, holder],
        walkers.fair_bonus.copy(),
        0.0,
        np.zeros_like(walkers.place[:, holder]),
    )
    walk.rhs_value = float(
        (_finite(fine.place_people_cap) * walk.place).sum() + (_finite(fine.road_people_cap) * walk.road).sum()
    )
    return pi, walk


def fine_problem(scenario: Scenario, proposal: Proposal, horizon: Horizon | None = None) -> PlanningProblem:
    """The fine grid's problem without its movement lists (the bound reads only its tables)."""
    empty = np.zeros(0, dtype=np.int64)
    nothing = Movements(empty, empty, empty, empty)
    return compile_problem(scenario, proposal, horizon, truck_moves=nothing, people_moves=nothing)


def fine_grid_bound(
    fine: PlanningProblem,
    coarse_model: PlanningModel,
    row_dual: np.ndarray,
    graphs: tuple[TruckGraph, PeopleGraph] | None = None,
) -> tuple[float, float]:
    """``(trucks, people)`` Lagrangian bounds on the fine LP at the spread duals; their sum is ≥ the
    fine LP's optimum (trucks and people share no row: ``colgen.master`` checks it on the master).
    ``graphs``: the fine grid's ``truck_graph`` and ``people_graph``, when already computed."""
    return bound_from(fine, *spread_multipliers(fine, coarse_model, row_dual), graphs)


def bound_from(
    fine: PlanningProblem,
    pi: Multipliers,
    walk: PeopleMultipliers,
    graphs: tuple[TruckGraph, PeopleGraph] | None = None,
) -> tuple[float, float]:
    """``(trucks, people)`` Lagrangian bounds on the fine LP at fine-grid multipliers."""
    graph, walking = graphs or (truck_graph(fine), people_graph(fine))
    return lagrangian_bound(fine, graph, pi, price(fine, graph, pi)), people_bound(
        walking, walk, price_people(walking, walk)
    )


def no_capacity_bound(fine: PlanningProblem) -> float:
    """The fine LP's Lagrangian with no capacity priced and every unit worth its first tier (the
    multipliers column generation starts from), the stock held to what the capacities can let
    through in all (``pricing.lots_value``): loose, but valid before any master is solved, and
    tighter than a master's spread duals while the master still lacks the binding rows."""
    pi, walk = initial_multipliers(fine), people_multipliers(fine)
    graph = truck_graph(fine)
    walking = people_graph(fine)
    return lagrangian_bound(fine, graph, pi, price(fine, graph, pi)) + people_bound(
        walking, walk, price_people(walking, walk)
    )


def solve_condensed(
    scenario: Scenario,
    proposal: Proposal,
    horizon: Horizon | None = None,
    levels: tuple[tuple[int, float], ...] | None = None,
    target_gap: float = 0.005,
    time_limit_s: float | None = None,
    threads: int | None = None,
    zone_paths: str = "all",
    master: str = "auto",
    master_solver: str = "ipm",
    smoothing: float = SMOOTHING,
) -> Condensed:
    """Plan ``proposal`` on condensed grids, coarsest level first, until the best plan's gap to the
    certified fine-grid bound is within ``target_gap`` (module doc). Each level's column generation
    stops at a quarter of ``target_gap`` (its own bound) or at the time left; ``zone_paths`` is passed
    to it (``solve_by_columns``). ``master``: "arcs" (``solve_by_columns``), "paths"
    (``colgen.by_paths.solve_by_paths``), or "auto": paths unless the scenario has what the path
    master does not model (``PathMasterRefusal``: quota floors, stock that must leave), then arcs.
    ``levels``: None for the master's own (``PATH_LEVELS`` for "paths" and "auto", ``DEFAULT_LEVELS``
    for "arcs", and for "auto" once the path master refuses). ``master_solver``: the path master's
    (``PathMaster``: "ipm" or "simplex"). Raises as those do, and ``ValueError``
    for levels whose grids do not nest in the fine one or an unknown ``master``."""
    if levels is not None and not levels:
        raise ValueError("levels must name at least one (coarse_slot_minutes, fine_margin_hours)")
    if master not in MASTERS:
        raise ValueError(f"master must be one of {', '.join(MASTERS)}; got {master!r}")
    started = time.perf_counter()
    reference = horizon or scenario.horizon
    fine = fine_problem(scenario, proposal, reference)
    best: tuple[ColumnGeneration, Horizon] | None = None
    start_bound = bound = no_capacity_bound(fine)
    graphs = (truck_graph(fine), people_graph(fine))
    if levels is None:
        levels = DEFAULT_LEVELS if master == "arcs" else PATH_LEVELS
        if master == "auto" and refusal(fine, graphs[0]) is not None:
            levels = DEFAULT_LEVELS  # the arc master's (a level the path master still refuses falls back too)
    records: list[dict[str, float]] = []
    carried: list[Carried] = []  # the last level's (problem, truck and people multipliers), path master
    for minutes, margin in levels:
        level_horizon = condensed_horizon(reference, minutes, margin)
        left = None if time_limit_s is None else max(1.0, time_limit_s - (time.perf_counter() - started))
        t0 = time.perf_counter()
        per_round: list[float] = []
        lowest: list[float] = []  # the level's lowest bound so far (``certify_paths``)
        so_far = (bound, best[0].value if best is not None else -np.inf)

        def close_enough(
            value: float, fine_bound: float, found: list[float] = per_round, so_far: tuple[float, float] = so_far
        ) -> bool:
            # Every round's duals give a valid fine-grid bound (a few seconds against a master's
            # tens); the level stops as soon as its plan is within ``target_gap`` of the best one.
            found.append(fine_bound)
            least, most = min(so_far[0], *found), max(so_far[1], value)
            return least - most <= target_gap * abs(least)

        def certify(model: PlanningModel, solution: LPSolution) -> bool:
            return close_enough(solution.objective, sum(fine_grid_bound(fine, model, solution.row_dual, graphs)))

        def certify_paths(
            coarse: PlanningProblem, pi: Multipliers, walk: PeopleMultipliers, value: float, level_bound: float,
            lowest: list[float] = lowest,
        ) -> bool:
            if not carried or not lowest or level_bound < lowest[0]:
                # The multipliers that gave the level's lowest bound so far are the ones carried on
                # (certified at the level's end and spread onto the next level), not the last ones.
                carried[:] = [(coarse, pi, walk)]
                lowest[:] = [level_bound]
            if level_bound - value > CERTIFY_WITHIN * target_gap * abs(level_bound):
                return False  # not yet worth a sweep on the fine grid (``CERTIFY_WITHIN``)
            return close_enough(value, sum(bound_from(fine, *spread(fine, coarse, pi, walk), graphs)))

        def start(
            level: PlanningProblem, last: Carried | None = carried[0] if carried else None
        ) -> tuple[Multipliers, PeopleMultipliers] | None:
            # The coarser level's last multipliers, spread over this level's slots where they nest.
            try:
                return spread(level, *last) if last is not None else None
            except ValueError:
                return None

        generated = None
        if master in ("auto", "paths"):
            try:
                generated = solve_by_paths(
                    scenario, proposal, level_horizon, target_gap=target_gap / 4, time_limit_s=left, threads=threads,
                    zone_paths=zone_paths, on_multipliers=certify_paths, start=start, master_solver=master_solver,
                    smoothing=smoothing,
                )
            except PathMasterRefusal:
                if master == "paths":
                    raise
                per_round.clear()
        if generated is None:
            generated = solve_by_columns(
                scenario, proposal, level_horizon, target_gap=target_gap / 4, time_limit_s=left, threads=threads,
                zone_paths=zone_paths, on_round=certify,
            )
        if not per_round:  # the level ended before its own gap came near: certify its last multipliers
            close_enough(generated.value, sum(bound_from(fine, *spread(fine, *carried[0]), graphs)))
        t1 = time.perf_counter()
        level_bound = min(per_round)
        bound = min(bound, level_bound)
        if best is None or generated.value > best[0].value:
            best = (generated, level_horizon)
        records.append(
            {
                "coarse_slot_minutes": float(minutes),
                "fine_margin_hours": margin,
                "slots": float(generated.model.terms.grid.n_slots),
                "rounds": float(len(generated.rounds)),
                "value": generated.value,
                "level_bound": generated.bound,
                "fine_bound": level_bound,
                "last_fine_bound": per_round[-1],
                "solve_s": t1 - t0,
                "bound_s": 0.0,  # the fine-grid bounds are computed inside the rounds (in solve_s)
            }
        )
        gap = (bound - best[0].value) / abs(bound) if abs(bound) > 1e-9 else 0.0
        if gap <= target_gap or (time_limit_s is not None and time.perf_counter() - started > time_limit_s):
            break
    assert best is not None
    return Condensed(best[0], best[1], float(bound), records, start_bound)
