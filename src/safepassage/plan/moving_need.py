"""People who move take their needs with them, so aid follows people.

A zone's need over the horizon is its people's daily need times the days they are there. Everyone who
arrives at a safe place (or home, for a return) in zone ``d`` at minute ``t_arr`` is in ``d`` for the
rest of the horizon and no longer in their origin zone ``o``:

    need[z,k] = need_ppd[z,k] · (population[z] · H_days + P[z])
    P[z]      = Σ_{m: y[m] arrives in z} rem[m] · y[m] − Σ_{m: y[m] of origin zone z arrives} rem[m] · y[m]
    rem[m]    = (H − t_arr[m]) / 1440   (days left in the horizon after the arrival)

In the LP (``define_need_follows_people_constraints``), ``P[z]`` is a free column per zone that people
enter or leave, fixed by one row, and each value tier of a (zone, commodity) with moving people is a
row instead of a column bound:

    g[z,k,j] − Δshare_j · need_ppd[z,k] · P[z] ≤ Δshare_j · need_ppd[z,k] · population[z] · H_days

So the planner sends aid where people will be: less to the zone they leave, more to the one they
reach, from the time they arrive. The integer step values a plan with the need of its own whole
people (``moved_need_units``), and the KPIs report need met against it. People count in their origin
zone until they arrive (while they walk or wait, their need is theirs at home). Turn it on with
``objective.needs_follow_people: true``. The simulation's re-planner carries the need of people who
arrived before it re-plans, or are on their way (``WarmState.presence_days``: the presence rows'
right-hand side).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from safepassage.plan.integer import FlowPaths
    from safepassage.plan.lp_build import PlanningModel

__all__ = ["define_need_follows_people_constraints", "move_tier_bounds_to_rows", "moved_need_units", "moving_zones"]


def _arrivals(model: PlanningModel) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Walking moves that arrive where their people stay: (move index, zone reached, origin zone, days left)."""
    people, arcs, grid = model.people, model.arcs, model.terms.grid
    if not model.origins or len(people) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, np.zeros(0)
    head = arcs.head[people.arc]
    moves = np.flatnonzero(model.problem.safe_mask[head, people.kind])
    reached = model.problem.place_zone[head[moves]]
    origin = np.array(model.origins, dtype=np.int64)[people.kind[moves]]
    rem_days = (grid.horizon_min - grid.boundaries_min[people.arr[moves]]) / 1440.0
    return moves, reached, origin, rem_days


def moving_zones(model: PlanningModel) -> np.ndarray:
    """bool (Z,): zones people can leave or reach in this plan (their need may move)."""
    out = np.zeros(len(model.scenario.zones), dtype=bool)
    if not model.scenario.objective.needs_follow_people:
        return out
    _, reached, origin, _ = _arrivals(model)
    out[reached[reached >= 0]] = True
    out[origin] = True
    return out


def define_need_follows_people_constraints(model: PlanningModel) -> None:
    """The moving-need rows of the module doc: one ``presence`` row per zone people enter or leave,
    and one tier row per value tier of its (zone, commodity) pairs, replacing those tiers' bounds."""
    lp = model.lp
    zones = np.flatnonzero(moving_zones(model))
    presence = lp.add_columns("presence", len(zones), lower=-np.inf)
    labels = [z.id for z in model.scenario.zones]
    rows = lp.add_rows(
        "presence", "people", 0.0, 0.0, zones, np.zeros(len(zones), dtype=np.int64), labels, unit="person-day"
    )
    tier_cols = np.flatnonzero(np.isin(model.tier_zone, zones))
    delta = np.diff(model.problem.tier_share)[model.tier_index[tier_cols]]
    static = delta * model.need_units[model.tier_zone[tier_cols], model.tier_kind[tier_cols]]
    tiers = lp.add_rows(
        "need_follows_people",
        "need",
        -np.inf,
        static,
        model.tier_zone[tier_cols],
        model.tier_kind[tier_cols],
        labels,
        unit="unit",
    )
    if len(zones) == 0:
        return
    column_of = np.full(len(model.scenario.zones), -1, dtype=np.int64)
    column_of[zones] = np.arange(len(zones))
    lp.add_entries(rows.start + np.arange(len(zones)), presence.start + np.arange(len(zones)), 1.0)
    moves, reached, origin, rem_days = _arrivals(model)
    y = model.col("y")
    into = reached >= 0
    lp.add_entries(rows.start + column_of[reached[into]], y.start + moves[into], -rem_days[into])
    lp.add_entries(rows.start + column_of[origin], y.start + moves, rem_days)
    # The tiers of moving zones: a row each (above), no longer a column bound.
    g = model.col("g")
    lp.col_upper[list(lp.blocks).index("g")][tier_cols] = np.inf
    lp.add_entries(tiers.start + np.arange(len(tier_cols)), g.start + tier_cols, 1.0)
    need_ppd = model.problem.need_ppd[model.tier_zone[tier_cols], model.tier_kind[tier_cols]]
    lp.add_entries(
        tiers.start + np.arange(len(tier_cols)),
        presence.start + column_of[model.tier_zone[tier_cols]],
        -delta * need_ppd,
    )


def move_tier_bounds_to_rows(model: PlanningModel, col_upper: np.ndarray, row_upper: np.ndarray) -> None:
    """For a re-plan that has just set every tier column's bound in ``col_upper`` (need left after what
    was delivered): in zones whose need moves with people, that bound goes to the zone's tier row as
    its right-hand side, and the column is unbounded again, as in ``define_need_follows_people_constraints``."""
    block = model.lp.row_block("need_follows_people")
    if block.size == 0:
        return
    g = model.col("g")
    tier_cols = g.start + np.flatnonzero(np.isin(model.tier_zone, np.flatnonzero(moving_zones(model))))
    row_upper[block.start : block.start + block.size] = col_upper[tier_cols]
    col_upper[tier_cols] = np.inf


def moved_need_units(model: PlanningModel, people: FlowPaths, people_int: np.ndarray) -> np.ndarray:
    """(Z, K) units needed over the horizon once these whole people have moved (the module doc's
    ``need``); the scenario's static need when ``needs_follow_people`` is off or no one moves."""
    need = model.need_units.copy()
    if not model.scenario.objective.needs_follow_people or len(people.paths) == 0:
        return need
    grid = model.terms.grid
    amount = np.asarray(people_int, dtype=np.float64)
    rem_days = (grid.horizon_min - grid.boundaries_min[people.end_slot]) / 1440.0
    reached = model.problem.place_zone[people.end_place]
    origin = np.array(model.origins, dtype=np.int64)[people.kind]
    shift = np.zeros(len(model.scenario.zones))
    np.add.at(shift, reached[reached >= 0], (amount * rem_days)[reached >= 0])
    np.add.at(shift, origin, -amount * rem_days)
    return need + model.problem.need_ppd * shift[:, None]
