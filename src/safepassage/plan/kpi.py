"""KPIs of an integer plan, computed from its paths (see the counting rules in ``result.py``)."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from safepassage.plan.integer import IntegerPlan
from safepassage.plan.lp_build import PlanningModel
from safepassage.plan.moving_need import moved_need_units
from safepassage.plan.result import ProposalKPIs
from safepassage.scenario.model import PlaceKind

__all__ = ["plan_kpis"]


def plan_kpis(model: PlanningModel, plan: IntegerPlan) -> ProposalKPIs:
    """Trucks crossing and arriving, quantities per zone, need met, people reaching safety and when,
    people returned home (``movement: return``), and people detained or turned back at screening,
    each counted apart from people reaching safety."""
    scenario, grid, arcs = model.scenario, model.terms.grid, model.arcs
    commodities = [c.id for c in scenario.commodities]
    crossing = np.array([p.kind == PlaceKind.crossing for p in scenario.places], dtype=bool)
    routes = plan.truck_routes

    crossed = np.zeros(len(commodities), dtype=np.int64)
    arrived = np.zeros(len(commodities), dtype=np.int64)
    for route in routes:
        crossed[route.kind] += route.amount * sum(int(crossing[arcs.tail[a]]) for a, _, _ in route.legs)
        arrived[route.kind] += route.amount
    quantity = arrived * model.payload
    tonnes = quantity * model.problem.tonnes_per_unit

    zone_of = {i: p.zone for i, p in enumerate(scenario.places)}
    by_zone: dict[str, dict[str, float]] = {z.id: {} for z in scenario.zones}
    by_day: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for route in routes:
        k = route.kind
        zone_id = zone_of[route.end_place]
        assert zone_id is not None  # trucks offload only at distribution points in a zone
        amount = float(route.amount * model.payload[k])
        by_zone[zone_id][commodities[k]] = by_zone[zone_id].get(commodities[k], 0.0) + amount
        day = grid.to_local(grid.boundaries_min[route.end_slot]).date().isoformat()
        by_day[day][commodities[k]] += amount * scenario.commodities[k].tonnes_per_unit
    need_met: dict[str, dict[str, float]] = {}
    need_units = moved_need_units(model, plan.people, plan.people_int)  # needs follow the plan's people
    for z, zone in enumerate(scenario.zones):
        shares = {}
        for k, commodity in enumerate(commodities):
            need = need_units[z, k]
            if need > 0:
                shares[commodity] = round(float(by_zone[zone.id].get(commodity, 0.0) / need), 6)
        need_met[zone.id] = shares

    returning = model.problem.returning
    walks = [w for w in plan.people_routes if not returning[w.kind]]
    returns = [w for w in plan.people_routes if returning[w.kind]]
    returned_by_day: dict[str, int] = defaultdict(int)
    for walk in returns:
        returned_by_day[grid.to_local(grid.boundaries_min[walk.end_slot]).date().isoformat()] += walk.amount
    wanting = model.problem.wanting_to_leave
    reached = int(sum(w.amount for w in walks))
    end_slot = np.array([w.end_slot for w in walks], dtype=np.int64)
    order = np.argsort(end_slot, kind="stable")
    cumulative = np.cumsum(np.array([w.amount for w in walks], dtype=np.int64)[order]) if len(order) else np.zeros(0)

    def hours_to(share: float) -> float | None:
        if wanting <= 0 or not len(cumulative) or cumulative[-1] < share * wanting:
            return None
        first = int(np.searchsorted(cumulative, share * wanting - 1e-9))
        return round(float(grid.boundaries_min[end_slot[order[first]]]) / 60.0, 2)

    detained, turned_back = _stopped_at_screening(model, plan)

    safe_by_day: dict[str, int] = defaultdict(int)
    for walk in walks:
        safe_by_day[grid.to_local(grid.boundaries_min[walk.end_slot]).date().isoformat()] += walk.amount
    return ProposalKPIs(
        trucks_crossed={c: int(crossed[k]) for k, c in enumerate(commodities)},
        trucks_arrived={c: int(arrived[k]) for k, c in enumerate(commodities)},
        tonnes_arrived={c: round(float(tonnes[k]), 3) for k, c in enumerate(commodities)},
        quantity_arrived={c: round(float(quantity[k]), 3) for k, c in enumerate(commodities)},
        arrived_by_zone={z: {c: round(v, 3) for c, v in d.items()} for z, d in by_zone.items()},
        need_met=need_met,
        people_reached_safety=reached,
        people_wanting_to_leave=wanting,
        hours_to_50pct_safe=hours_to(0.5),
        hours_to_90pct_safe=hours_to(0.9),
        arrivals_by_day={d: {c: round(v, 3) for c, v in sorted(v_.items())} for d, v_ in sorted(by_day.items()) for v in [v_]},
        safe_by_day=dict(sorted(safe_by_day.items())),
        people_returned=int(sum(w.amount for w in returns)),
        people_wanting_to_return=model.problem.wanting_to_return,
        returned_by_day=dict(sorted(returned_by_day.items())),
        people_detained=round(detained, 1),
        people_turned_back=round(turned_back, 1),
    )


def _stopped_at_screening(model: PlanningModel, plan: IntegerPlan) -> tuple[float, float]:
    """People detained and turned back at screening points: for every group walking on from a point
    that stops a share δ = detained + turned back, δ/(1 − δ) as many were processed there and stopped
    (``network.screening_processed_per_leaving``), split by the two planned shares. Expected numbers,
    so not whole people."""
    detained = turned_back = 0.0
    for walk in plan.people_routes:
        for arc, _, _ in walk.legs:
            screening = model.scenario.places[int(model.arcs.tail[arc])].screening
            if screening is None or screening.stopped_share <= 0:
                continue
            processed = walk.amount / (1.0 - screening.stopped_share)
            detained += processed * screening.detained_share
            turned_back += processed * screening.turned_back_share
    return detained, turned_back
