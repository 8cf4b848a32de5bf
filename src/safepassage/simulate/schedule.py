"""A plan's schedule in the form the execution model runs: convoys and evacuation movements as legs
of (arc, planned departure, planned arrival) in minutes from the horizon start.

Planned times are lower bounds in execution: nothing leaves before its planned time, so a fixed plan
can be delayed by what goes wrong but never run ahead of itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from safepassage.errors import Problem, ScenarioError
from safepassage.plan.result import Convoy, EvacuationMovement, PlanResult
from safepassage.simulate.world import SimulationWorld

__all__ = ["PlannedLeg", "TruckGroup", "WalkGroup", "Schedule", "compile_schedule", "compile_records"]


@dataclass(frozen=True)
class PlannedLeg:
    """One road traversed: directed arc, its road index, tail and head places, planned times (minutes)."""

    arc: int
    road: int
    tail: int
    head: int
    departs_min: float
    arrives_min: float


@dataclass(frozen=True)
class TruckGroup:
    """A convoy: ``cargo`` whole trucks per commodity, its legs, and when it offloads at ``destination``."""

    name: str
    legs: tuple[PlannedLeg, ...]
    offload_min: float
    destination: int
    zone: int
    cargo: np.ndarray  # (K,) trucks


@dataclass(frozen=True)
class WalkGroup:
    """An evacuation movement: ``people`` from origin zone ``origin`` along its legs."""

    name: str
    legs: tuple[PlannedLeg, ...]
    people: int
    origin: int


@dataclass(frozen=True)
class Schedule:
    """Every convoy and movement of one plan, compiled against a ``SimulationWorld``."""

    trucks: tuple[TruckGroup, ...]
    walks: tuple[WalkGroup, ...]


def _legs(world: SimulationWorld, record: Convoy | EvacuationMovement, where: str) -> tuple[PlannedLeg, ...]:
    place_index = world.problem.ids.place_index
    legs = []
    for i, leg in enumerate(record.legs):
        arc = world.arc_of.get((leg.road, leg.from_place, leg.to_place))
        if arc is None:
            raise ScenarioError([Problem(f"{where}.legs[{i}]", f"road '{leg.road}' from '{leg.from_place}' to '{leg.to_place}' is not in the scenario", "simulate a plan made for this scenario")], "plan")
        legs.append(PlannedLeg(arc, int(world.arc_road[arc]), place_index[leg.from_place], place_index[leg.to_place], world.minutes(leg.departs), world.minutes(leg.arrives)))
    return tuple(legs)


def compile_schedule(world: SimulationWorld, plan: PlanResult) -> Schedule:
    """The convoys and movements of ``plan`` as executable groups; raises ScenarioError for a plan whose
    roads or places are not those of ``world`` (a plan made for another scenario)."""
    return compile_records(world, plan.convoys, plan.evacuations)


def compile_records(world: SimulationWorld, convoys: list[Convoy], evacuations: list[EvacuationMovement]) -> Schedule:
    """``compile_schedule`` for convoys and movements given directly (e.g. from a warm re-plan)."""
    ids = world.problem.ids
    commodity_index, place_index, zone_index = ids.commodity_index, ids.place_index, ids.zone_index
    known = set(place_index)
    problems = [
        Problem(f"convoys[{c.id}]", f"place or commodity not in the scenario: {', '.join(sorted(({c.destination, *c.route} - known) | (set(c.cargo_trucks) - set(commodity_index))))}", "simulate a plan made for this scenario")
        for c in convoys if {c.destination, *c.route} - known or set(c.cargo_trucks) - set(commodity_index)
    ]
    problems += [
        Problem(f"evacuations[{m.id}]", f"zone or place not in the scenario: {m.origin_zone}", "simulate a plan made for this scenario")
        for m in evacuations if m.origin_zone not in zone_index or set(m.corridor) - known
    ]
    if problems:
        raise ScenarioError(problems, "plan")
    trucks = []
    for convoy in convoys:
        cargo = np.zeros(len(commodity_index), dtype=np.int64)
        for commodity, n in convoy.cargo_trucks.items():
            cargo[commodity_index[commodity]] += int(n)
        destination = place_index[convoy.destination]
        trucks.append(TruckGroup(convoy.id, _legs(world, convoy, f"convoys[{convoy.id}]"), world.minutes(convoy.arrives), destination, int(world.place_zone[destination]), cargo))
    walks = [WalkGroup(m.id, _legs(world, m, f"evacuations[{m.id}]"), int(m.people), zone_index[m.origin_zone]) for m in evacuations]
    return Schedule(tuple(trucks), tuple(walks))
