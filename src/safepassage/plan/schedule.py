"""Turn whole-truck and whole-people paths into a schedule: convoys and evacuation movements."""

from __future__ import annotations

from collections import defaultdict

from safepassage.plan.integer import IntegerPlan
from safepassage.plan.lp_build import PlanningModel
from safepassage.plan.result import Convoy, EvacuationMovement, Leg

__all__ = ["build_convoys", "build_evacuations"]


def _leg_records(model: PlanningModel, legs: list[tuple[int, int, int]]) -> list[Leg]:
    grid, arcs, scenario = model.terms.grid, model.arcs, model.scenario
    return [
        Leg(
            road=scenario.roads[arcs.road[a]].id,
            from_place=scenario.places[arcs.tail[a]].id,
            to_place=scenario.places[arcs.head[a]].id,
            departs=grid.instant(grid.boundaries_min[dep]),
            arrives=grid.instant(grid.boundaries_min[arr]),
        )
        for a, dep, arr in legs
    ]


def build_convoys(model: PlanningModel, plan: IntegerPlan) -> list[Convoy]:
    """Group truck paths with the same route and times into convoys (mixed cargo), split by the
    fleet's ``max_convoy_trucks``; ordered by departure."""
    scenario, grid, arcs = model.scenario, model.terms.grid, model.arcs
    groups: dict[tuple, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for route in plan.truck_routes:
        groups[(route.legs, route.end_place, route.end_slot)][route.kind] += route.amount
    limit = scenario.fleet.max_convoy_trucks if scenario.fleet and scenario.fleet.max_convoy_trucks else None
    crossing = {i for i, p in enumerate(scenario.places) if p.kind.value == "crossing"}
    convoys = []
    for (legs, end_place, end_slot), cargo in sorted(groups.items(), key=lambda item: (item[0][0][0][1] if item[0][0] else item[0][2], item[0][2])):
        if not legs:
            continue
        total = sum(cargo.values())
        chunks = _split(cargo, limit) if limit and total > limit else [cargo]
        place_ids = [scenario.places[arcs.tail[legs[0][0]]].id] + [scenario.places[arcs.head[a]].id for a, _, _ in legs]
        for chunk in chunks:
            convoys.append(
                Convoy(
                    id="",
                    origin=place_ids[0],
                    destination=scenario.places[end_place].id,
                    zone=scenario.places[end_place].zone or "",
                    departs=grid.instant(grid.boundaries_min[legs[0][1]]),
                    arrives=grid.instant(grid.boundaries_min[end_slot]),
                    trucks=sum(chunk.values()),
                    cargo={scenario.commodities[k].id: round(n * scenario.commodities[k].truck_payload, 3) for k, n in sorted(chunk.items())},
                    cargo_trucks={scenario.commodities[k].id: n for k, n in sorted(chunk.items())},
                    route=place_ids,
                    legs=_leg_records(model, list(legs)),
                    crossings=[scenario.places[arcs.tail[a]].id for a, _, _ in legs if arcs.tail[a] in crossing],
                    requires_pause=any(scenario.roads[arcs.road[a]].requires_pause for a, _, _ in legs),
                )
            )
    return [_with_id(c, f"C{i + 1:04d}") for i, c in enumerate(convoys)]


def _split(cargo: dict[int, int], limit: int) -> list[dict[int, int]]:
    """Split a convoy's cargo (commodity -> trucks) into chunks of at most ``limit`` trucks."""
    chunks: list[dict[int, int]] = [{}]
    room = limit
    for k, n in sorted(cargo.items()):
        while n > 0:
            if room == 0:
                chunks.append({})
                room = limit
            take = min(n, room)
            chunks[-1][k] = chunks[-1].get(k, 0) + take
            n -= take
            room -= take
    return chunks


def _with_id(record, new_id: str):
    from dataclasses import replace

    return replace(record, id=new_id)


def build_evacuations(model: PlanningModel, plan: IntegerPlan) -> list[EvacuationMovement]:
    """Group people paths with the same corridor and times into evacuation movements."""
    scenario, grid, arcs = model.scenario, model.terms.grid, model.arcs
    groups: dict[tuple, int] = defaultdict(int)
    for walk in plan.people_routes:
        if walk.legs:
            groups[(walk.kind, walk.legs)] += walk.amount
    movements = []
    for (origin, legs), people in sorted(groups.items(), key=lambda item: (item[0][1][0][1], item[0][0])):
        head = int(arcs.head[legs[-1][0]])
        corridor = [scenario.places[arcs.tail[legs[0][0]]].id] + [scenario.places[arcs.head[a]].id for a, _, _ in legs]
        movements.append(
            EvacuationMovement(
                id="",
                origin_zone=scenario.zones[model.origins[origin]].id,
                corridor=corridor,
                departs=grid.instant(grid.boundaries_min[legs[0][1]]),
                arrives=grid.instant(grid.boundaries_min[legs[-1][2]]),
                people=people,
                destination=scenario.places[head].id,
                destination_zone=scenario.places[head].zone or "",
                legs=_leg_records(model, list(legs)),
                requires_pause=any(scenario.roads[arcs.road[a]].requires_pause for a, _, _ in legs),
                purpose="return" if model.problem.returning[origin] else "evacuation",
            )
        )
    return [_with_id(m, f"E{i + 1:04d}") for i, m in enumerate(movements)]


