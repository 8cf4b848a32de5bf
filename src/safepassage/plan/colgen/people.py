"""Pricing and the certified bound for people on foot, the walking twin of ``pricing.py``.

The people part of the planning LP is a flow of people by origin zone, released at the origin's
assembly place (``plan/departure.py``), conserved at every (place, origin, slot) that is not safe
for the origin, and ended by arriving at a safe place (worth ``person_days_per_person_safe``, more
if earlier) or by waiting until the horizon ends. Its coupling rows are the places' people
throughput, the roads' pedestrian capacity (both ≤, multipliers ≥ 0) and the fair-share rows (≥ 0,
multipliers ≤ 0). As for trucks, for any such multipliers

    L(π) = Σ_r π_r b_r + Σ_sources released · W(source)    ≥    the people LP's optimum,

with ``W(p, o, t)`` the best reduced value of one person of origin ``o`` at ``(p, t)``, computed by a
backward sweep over the slots (walking too takes at least one slot). The fair-share rows have right-
hand side 0, so only the capacity rows add to ``Σ π b``.

The walking movements the sweep may use are those of ``network.people_movements``: the arc can be
walked, the tail is open in the departure slot and the head at some time, a pause-only road is
entered inside a window, and the tail is not already safe for the origin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from safepassage.plan.departure import people_released
from safepassage.plan.lp_build import PERSON_HOUR_COST, PlanningModel, _evacuation_priority
from safepassage.plan.network import screening_processed_per_leaving
from safepassage.plan.problem import PlanningProblem

__all__ = [
    "PeopleGraph",
    "PeopleMultipliers",
    "PeoplePricing",
    "people_graph",
    "people_multipliers",
    "price_people",
    "people_bound",
    "trace_walk",
]

NONE, SAFE = -3, -1


@dataclass(frozen=True)
class PeopleGraph:
    """Arc × slot tables of the walking network (index order: the problem's; origins as in ``problem.origins``)."""

    n_slots: int
    tail: np.ndarray  # (A,)
    head: np.ndarray  # (A,)
    arr: np.ndarray  # (A, T)
    move_ok: np.ndarray  # (A, T)
    hours: np.ndarray  # (A, T)
    safe: np.ndarray  # (O, P) the place is safe for the origin
    holdable: np.ndarray  # (P,)
    arrival_value: np.ndarray  # (O, T + 1) person-days of arriving safe in a slot
    place_limited: np.ndarray  # (P,)
    road_limited: np.ndarray  # (A,)
    released: np.ndarray  # (O, T) people released at the assembly place
    assembly: np.ndarray  # (O,)
    keep: np.ndarray  # (P,) share of the people processed at a place who walk on (1 − δ at a screening point)
    wait_cost: np.ndarray  # (P, T) person-days a person waiting away from home costs over the slot (as the LP's h)

    @property
    def n_origins(self) -> int:
        return len(self.assembly)

    @property
    def n_places(self) -> int:
        return len(self.holdable)


def people_graph(problem: PlanningProblem) -> PeopleGraph:
    """The walking tables of ``problem`` (its own ``people`` are not read)."""
    scenario, terms, arcs, grid = problem.scenario, problem.terms, problem.arcs, problem.grid
    n_slots = grid.n_slots
    dep = np.arange(n_slots, dtype=np.int64)
    walk = np.nan_to_num(arcs.walk_min, nan=0.0)
    arr = np.searchsorted(
        grid.boundaries_min, grid.boundaries_min[dep][None, :] + walk[:, None] - 1e-9, side="left"
    ).astype(np.int64)
    arc_ok = ~np.isnan(arcs.walk_min) & terms.place_open_ever[arcs.head]
    entered_covered = terms.road_usable[arcs.road]  # a pause-only road is entered inside a window
    move_ok = arc_ok[:, None] & (arr < n_slots) & terms.place_open[arcs.tail] & entered_covered
    hours = (grid.boundaries_min[np.minimum(arr, n_slots)] - grid.boundaries_min[dep][None, :]) / 60.0
    n_origins = len(problem.origins)
    holdable = np.array([p.allows_holding for p in scenario.places], dtype=bool)
    for i, place in enumerate(scenario.places):  # a screening point's holding area decides, as in the LP
        if place.screening is not None and place.screening.holding_people is not None:
            holdable[i] = place.screening.holding_people > 0
    holdable[problem.assembly] = True
    objective = scenario.objective
    priority = np.array([_evacuation_priority(scenario.zones[z]) for z in problem.origins])
    boundaries = grid.boundaries_min
    arrival = (
        priority[:, None]
        * objective.person_days_per_person_safe
        * (1.0 + objective.earliness_bonus * (1.0 - boundaries[None, :] / grid.horizon_min))
    )
    # fmt: off
    return PeopleGraph(
        n_slots=n_slots, tail=arcs.tail, head=arcs.head, arr=arr, move_ok=move_ok, hours=hours,
        safe=problem.safe_mask[:, :n_origins].T.copy(), holdable=holdable, arrival_value=arrival,
        place_limited=np.isfinite(problem.place_people_rate), road_limited=np.isfinite(arcs.people_per_hour),
        released=people_released(scenario, problem.proposal, grid, problem.origins),
        assembly=np.array(problem.assembly, dtype=np.int64),
        keep=1.0 / screening_processed_per_leaving(scenario),
        wait_cost=np.repeat(
            objective.person_hour_waiting_cost * grid.length_min[None, :] / 60.0, len(scenario.places), axis=0
        ),
    )
    # fmt: on


@dataclass
class PeopleMultipliers:
    place: np.ndarray  # (P, T) ≥ 0
    road: np.ndarray  # (A, T) ≥ 0
    fair_bonus: np.ndarray  # (O,) −Σ_r π_r · coefficient of a safe arrival of origin o in fair row r
    rhs_value: float
    holding: np.ndarray  # (P, T) ≥ 0: a screening point's holding-area row, per person waiting there


def people_multipliers(
    problem: PlanningProblem, model: PlanningModel | None = None, row_dual: np.ndarray | None = None
) -> PeopleMultipliers:
    """Multipliers from a (restricted) LP's duals, clipped to the valid side; all zero without one."""
    n_places, n_slots = len(problem.scenario.places), problem.n_slots
    out = PeopleMultipliers(
        np.zeros((n_places, n_slots)), np.zeros((len(problem.arcs), n_slots)), np.zeros(len(problem.origins)), 0.0,
        np.zeros((n_places, n_slots)),
    )
    if model is None or row_dual is None:
        return out
    lp = model.lp
    _, _, _, _, row_upper = lp.vectors()
    for name, table in (("place_people", out.place), ("road_people", out.road), ("screening_holding", out.holding)):
        block = lp.row_block(name)
        values = np.maximum(row_dual[block.slice()], 0.0)
        table[block.entity, block.slot] = values
        upper = row_upper[block.slice()]
        out.rhs_value += float(values[np.isfinite(upper)] @ upper[np.isfinite(upper)])
    fair = lp.row_block("fair_evacuation")
    if fair.size:
        y = model.col("y")
        people = model.people
        arrives = np.flatnonzero(model.problem.safe_mask[model.arcs.head[people.arc], people.kind])
        matrix = lp.csc()[fair.start : fair.start + fair.size, y.start + arrives].toarray()  # (rows, safe arrivals)
        multiplier = np.minimum(row_dual[fair.slice()], 0.0)
        bonus = -(multiplier @ matrix)  # per safe-arrival column
        # Every origin that can reach safety has a safe arrival in the LP (the first columns are
        # each origin's best walks), so every origin's coefficients are read off its own columns.
        out.fair_bonus[people.kind[arrives]] = bonus
    return out


@dataclass
class PeoplePricing:
    value: np.ndarray  # (T + 1, O, P)
    leave: np.ndarray  # (T, O, P)
    choice: np.ndarray  # (T, O, P) arc, or NONE
    wait: np.ndarray  # (T, O, P)


def price_people(graph: PeopleGraph, pi: PeopleMultipliers) -> PeoplePricing:
    """Best reduced values of one person of each origin at every (place, slot) (the module doc)."""
    n_slots, n_origins, n_places = graph.n_slots, graph.n_origins, graph.n_places
    arr_in = np.minimum(graph.arr, n_slots)
    # One person at a screening point's node funds keep = 1 − δ people walking on (the people
    # balance's c_p = 1/keep); the point's throughput row counts the person processed.
    keep = graph.keep[graph.tail][:, None]
    base = -PERSON_HOUR_COST * graph.hours - np.where(graph.road_limited[:, None], pi.road, 0.0)
    place_price = np.where(graph.place_limited[graph.tail][:, None], pi.place[graph.tail], 0.0)
    order = np.argsort(graph.tail, kind="stable")
    tails_sorted = graph.tail[order]
    starts = (
        np.flatnonzero(np.r_[True, tails_sorted[1:] != tails_sorted[:-1]])
        if len(order)
        else np.zeros(0, dtype=np.int64)
    )
    group_tail = tails_sorted[starts]
    counts = np.diff(np.r_[starts, len(order)])
    position = np.arange(len(order))
    origins = np.arange(n_origins)[:, None]
    head_safe = graph.safe[:, graph.head[order]]  # (O, A)
    tail_ok = ~graph.safe[:, graph.tail[order]]
    value = np.zeros((n_slots + 1, n_origins, n_places))
    leave = np.full((n_slots, n_origins, n_places), -np.inf)
    choice = np.full((n_slots, n_origins, n_places), NONE, dtype=np.int64)
    wait = np.zeros((n_slots, n_origins, n_places), dtype=bool)
    home = np.zeros((n_origins, n_places), dtype=bool)
    home[np.arange(n_origins), graph.assembly] = True
    for t in range(n_slots - 1, -1, -1):
        best = np.full((n_origins, n_places), -np.inf)
        pick = np.full((n_origins, n_places), NONE, dtype=np.int64)
        if len(order) and n_origins:
            a = order
            arrival = arr_in[a, t]
            onward = np.where(
                head_safe,
                graph.arrival_value[:, arrival] + pi.fair_bonus[:, None],
                value[arrival[None, :], origins, graph.head[a][None, :]],
            )
            reduced = keep[a, 0][None, :] * (base[a, t][None, :] + onward) - place_price[a, t][None, :]
            moves = np.where(graph.move_ok[a, t][None, :] & tail_ok, reduced, -np.inf)
            top = np.maximum.reduceat(moves, starts, axis=1)
            first = np.minimum.reduceat(
                np.where(moves == np.repeat(top, counts, axis=1), position, len(a)), starts, axis=1
            )
            best[:, group_tail] = top
            pick[:, group_tail] = np.where(np.isfinite(top), order[np.minimum(first, len(a) - 1)], NONE)
        # Waiting costs away from home (the origin's assembly place), and a holding area's row is priced.
        waiting = np.where(home, 0.0, graph.wait_cost[None, :, t]) + pi.holding[None, :, t]
        hold = np.where(graph.holdable[None, :], value[t + 1] - waiting, -np.inf)
        leave[t], choice[t] = best, pick
        wait[t] = hold >= best
        value[t] = np.maximum(best, hold)
    return PeoplePricing(value, leave, choice, wait)


def people_bound(graph: PeopleGraph, pi: PeopleMultipliers, pricing: PeoplePricing) -> float:
    """``L(π)`` for the people part: an upper bound on the full people LP's optimum."""
    total = pi.rhs_value
    for o in range(graph.n_origins):
        released = graph.released[o]
        slots = np.flatnonzero(released > 0)
        total += float(released[slots] @ pricing.value[slots, o, graph.assembly[o]])
    return total


def trace_walk(
    graph: PeopleGraph, pricing: PeoplePricing, origin: int, place: int, slot: int
) -> tuple[list[tuple[int, int, int]], bool]:
    """The best walk of a person of ``origin`` leaving ``place`` in ``slot``: moves, and whether it ends safe."""
    moves: list[tuple[int, int, int]] = []
    t, p, forced = slot, place, True
    while t < graph.n_slots:
        if not forced and pricing.wait[t, origin, p]:
            t += 1
            continue
        forced = False
        c = int(pricing.choice[t, origin, p])
        if c == NONE:
            return moves, False
        arrival = int(graph.arr[c, t])
        moves.append((c, t, arrival))
        p, t = int(graph.head[c]), arrival
        if graph.safe[origin, p]:
            return moves, True
    return moves, False
