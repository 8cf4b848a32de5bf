"""People moved by vehicle: a bus fleet planned as trips (seats, speed, boarding places, round trips),
not as a stream of walkers.

Each bus shuttles from its boarding place to the nearest place in a safe destination zone along
vehicle roads (shortest by length, scipy's Dijkstra) and back. A trip leaves only when people who chose
to go (the departure model's release, or everyone in ``wants_to_leave`` without a behaviour block) are
waiting; it carries at most ``seats``. On a route with pause-only roads the whole round trip — loaded
leg, screening, empty return — lies inside one window occurrence covering those roads. At a screening
point on the route people are held ``processing_minutes`` (the bus waits with them), at most
``holding_people`` at once (later buses queue), and the detained-or-turned-back share does not reach
safety (counted apart). Windows in several places at once are planned independently, each with its
own buses.
"""

from __future__ import annotations

import datetime as dt
import heapq
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from safepassage.behaviour import departures
from safepassage.errors import Problem, ScenarioError
from safepassage.scenario.clock import local_instant
from safepassage.scenario.model import Proposal, Scenario, Window

__all__ = ["BusTrip", "BusPlan", "boarded_minutes", "bus_plan_for", "plan_bus_trips"]

_UTC = dt.timezone.utc


@dataclass(frozen=True)
class BusTrip:
    """One round trip of one bus: departure, arrival at safety and return (aware, local offset; see ``plan.result``)."""

    vehicle: int
    boarding_place: str
    zone: str
    route: list[str]
    departs: dt.datetime
    arrives: dt.datetime
    returns: dt.datetime
    people: int
    detained_or_turned_back: float
    held_minutes: float


@dataclass
class BusPlan:
    """Trips of the bus fleet and what they deliver; ``waiting_at_end``: people released who no trip carried."""

    trips: list[BusTrip] = field(default_factory=list)
    people_reached_safety: float = 0.0
    people_detained_or_turned_back: float = 0.0
    people_detained: float = 0.0  # of people_detained_or_turned_back, by the screening point's two shares
    people_turned_back: float = 0.0
    waiting_at_end: dict[str, float] = field(default_factory=dict)


def _covers_road(window: Window, scenario: Scenario, road_id: str) -> bool:
    if window.everywhere or road_id in window.roads:
        return True
    road = next(r for r in scenario.roads if r.id == road_id)
    zones = {scenario.place(road.from_).zone, scenario.place(road.to).zone}
    return bool(zones & set(window.zones))


def plan_bus_trips(scenario: Scenario, proposal: Proposal, start: dt.datetime, end: dt.datetime) -> BusPlan:
    """Plan the scenario's bus fleet under ``proposal`` from local ``start`` to ``end``.

    Raises ``ScenarioError`` when the scenario has no bus fleet or a boarding place has no vehicle
    route to a safe destination."""
    fleet = scenario.fleet.buses if scenario.fleet is not None else None
    if fleet is None:
        raise ScenarioError(
            [
                Problem(
                    "fleet.buses",
                    "the scenario has no bus fleet",
                    "add fleet.buses (vehicles, seats, speed_kmh, boarding_places)",
                )
            ]
        )
    tz = ZoneInfo(scenario.timezone)
    origin = start.replace(tzinfo=tz).astimezone(_UTC)

    def minutes(local: dt.datetime) -> float:
        return (local.replace(tzinfo=tz).astimezone(_UTC) - origin).total_seconds() / 60.0

    def local(minute: float) -> dt.datetime:
        return local_instant(origin + dt.timedelta(minutes=minute), scenario.timezone)

    horizon_min = minutes(end)
    index = {p.id: i for i, p in enumerate(scenario.places)}
    vehicle_roads = [r for r in scenario.roads if r.trucks]
    n = len(scenario.places)
    rows = [index[r.from_] for r in vehicle_roads] + [index[r.to] for r in vehicle_roads if not r.one_way]
    cols = [index[r.to] for r in vehicle_roads] + [index[r.from_] for r in vehicle_roads if not r.one_way]
    lengths = [r.length_km for r in vehicle_roads] + [r.length_km for r in vehicle_roads if not r.one_way]
    road_of = {(a, b): r for a, b, r in zip(rows, cols, vehicle_roads + [r for r in vehicle_roads if not r.one_way])}
    graph = csr_matrix((lengths, (rows, cols)), shape=(n, n))

    released: dict[str, list[tuple[float, float]]] = {}
    if scenario.behaviour is None:
        for zone in scenario.zones:
            if zone.evacuation is not None:
                released[zone.id] = [(0.0, zone.evacuation.wants_to_leave)]
    else:
        for found in departures(scenario, proposal, start, end):
            released[found.zone] = sorted(found.release_minutes)

    plan = BusPlan()
    problems: list[Problem] = []
    boarding_zones = {
        b: [z for z in scenario.zones if z.evacuation is not None and z.evacuation.assembly_place == b]
        for b in fleet.boarding_places
    }
    vehicles_at = {
        b: fleet.vehicles // len(fleet.boarding_places) + (1 if k < fleet.vehicles % len(fleet.boarding_places) else 0)
        for k, b in enumerate(fleet.boarding_places)
    }
    screening_load: dict[str, list[tuple[float, float, float]]] = {}  # place -> (from, to, people) held
    vehicle_id = 0
    for b, zones in boarding_zones.items():
        for zone in zones:
            evacuation = zone.evacuation
            if evacuation is None:
                continue
            safe = [index[p.id] for p in scenario.places if p.zone in evacuation.destinations]
            distance, predecessor = dijkstra(graph, indices=index[b], return_predecessors=True)
            reachable = [s for s in safe if np.isfinite(distance[s])]
            if not reachable:
                problems.append(
                    Problem(
                        f"fleet.buses.boarding_places[{fleet.boarding_places.index(b)}]",
                        f"no vehicle road from '{b}' to a safe place for zone '{zone.id}'",
                        "add roads open to vehicles (trucks: true) to a destination zone",
                    )
                )
                continue
            target = min(reachable, key=lambda s: distance[s])
            path = [target]
            while path[-1] != index[b]:
                path.append(int(predecessor[path[-1]]))
            path.reverse()
            route = [scenario.places[i].id for i in path]
            legs = [road_of[(a, c)] for a, c in zip(path[:-1], path[1:])]
            one_way_min = float(distance[target]) / fleet.speed_kmh * 60.0
            screen = next((scenario.places[i] for i in path if scenario.places[i].screening is not None), None)
            screening = screen.screening if screen is not None else None
            processing = screening.processing_minutes if screening is not None else 0.0
            detained_share = screening.stopped_share if screening is not None else 0.0  # detained or turned back
            holding = screening.holding_people if screening is not None else None
            pause_roads = [r.id for r in legs if r.requires_pause]
            if pause_roads:
                spans = sorted(
                    (minutes(s), minutes(e))
                    for w in proposal.windows
                    if all(_covers_road(w, scenario, r) for r in pause_roads)
                    for s, e in w.occurrences()
                )
            else:
                spans = [(0.0, horizon_min)]
            stream = released.get(zone.id, [])
            carried = 0.0
            # All buses of this boarding place run in parallel: always plan the next trip of the bus free first.
            queue = [(0.0, vehicle_id + k + 1) for k in range(vehicles_at[b] // max(1, len(zones)) or 1)]
            vehicle_id += len(queue)
            trips_by_day: dict[tuple[int, int], int] = {}
            heapq.heapify(queue)
            while queue:
                free_at, vehicle = heapq.heappop(queue)
                waiting_from = _first_time_waiting(stream, carried, free_at)
                if waiting_from is None:
                    continue
                span = next(
                    (
                        (s, e)
                        for s, e in spans
                        if max(s, waiting_from) + fleet.boarding_minutes + 2 * one_way_min + processing
                        <= min(e, horizon_min)
                    ),
                    None,
                )
                if span is None:
                    continue
                # Leave full, or with whoever is waiting at the last departure that still fits the window.
                cycle = fleet.boarding_minutes + 2 * one_way_min + processing
                full_at = _first_time_waiting(stream, carried + fleet.seats - 1, max(span[0], waiting_from))
                latest = min(span[1], horizon_min) - cycle
                depart = max(span[0], waiting_from)
                depart = max(depart, min(full_at if full_at is not None else latest, latest))
                day = int(depart // 1440)
                if (
                    fleet.round_trips_per_day is not None
                    and trips_by_day.get((vehicle, day), 0) >= fleet.round_trips_per_day
                ):
                    heapq.heappush(queue, ((day + 1) * 1440.0, vehicle))
                    continue
                load = float(int(min(float(fleet.seats), _released_by(stream, depart) - carried)))
                if load < 1:
                    heapq.heappush(queue, (depart + 1.0, vehicle))
                    continue
                at_screen = depart + fleet.boarding_minutes + one_way_min / 2.0
                held_from = at_screen
                if screen is not None and holding is not None:
                    held_from = _when_room(
                        screening_load.setdefault(screen.id, []), at_screen, processing, load, holding
                    )
                delay = held_from - at_screen
                arrives = depart + fleet.boarding_minutes + one_way_min + processing + delay
                returns = arrives + one_way_min
                if returns > min(span[1], horizon_min):
                    # The queue at screening would strand the bus outside the window: it waits for the next one.
                    heapq.heappush(queue, (span[1], vehicle))
                    continue
                if screen is not None:
                    screening_load.setdefault(screen.id, []).append((held_from, held_from + processing, load))
                carried += load
                trips_by_day[(vehicle, day)] = trips_by_day.get((vehicle, day), 0) + 1
                detained = load * detained_share
                plan.trips.append(
                    BusTrip(
                        vehicle,
                        b,
                        zone.id,
                        route,
                        local(depart),
                        local(arrives),
                        local(returns),
                        int(load),
                        round(detained, 2),
                        round(processing + delay, 1),
                    )
                )
                plan.people_reached_safety += load - detained
                plan.people_detained_or_turned_back += detained
                if screening is not None and detained_share > 0:
                    plan.people_detained += detained * screening.detained_share / detained_share
                    plan.people_turned_back += detained * screening.turned_back_share / detained_share
                heapq.heappush(queue, (returns, vehicle))
            plan.waiting_at_end[zone.id] = round(max(0.0, _released_by(stream, horizon_min) - carried), 1)
    if problems:
        raise ScenarioError(problems)
    plan.trips.sort(key=lambda t: (t.departs, t.vehicle))
    return plan


def _released_by(stream: list[tuple[float, float]], minute: float) -> float:
    return float(sum(n for m, n in stream if m <= minute))


def _first_time_waiting(stream: list[tuple[float, float]], carried: float, after: float) -> float | None:
    """The first minute ≥ ``after`` at which at least one released person is not yet carried."""
    if _released_by(stream, after) - carried >= 1:
        return after
    total = 0.0
    for minute, people in stream:
        total += people
        if minute > after and total - carried >= 1:
            return minute
    return None


def _when_room(
    held: list[tuple[float, float, float]], arrive: float, processing: float, load: float, capacity: float
) -> float:
    """Earliest time ≥ ``arrive`` when ``load`` more people fit in a holding area of ``capacity``."""
    candidates = sorted({arrive} | {end for _, end, _ in held if end > arrive})
    for t in candidates:
        during = [(s, e, n) for s, e, n in held if s < t + processing and e > t]
        points = sorted({t} | {s for s, _, _ in during if s > t})
        if all(sum(n for s, e, n in during if s <= p < e) + load <= capacity for p in points):
            return t
    return candidates[-1]


def bus_plan_for(scenario: Scenario, proposal: Proposal, start: dt.datetime, end: dt.datetime) -> BusPlan | None:
    """The bus trips of ``proposal`` from local ``start`` to ``end``, or None when the scenario has no
    bus fleet (then everyone moves on foot)."""
    if scenario.fleet is None or scenario.fleet.buses is None:
        return None
    return plan_bus_trips(scenario, proposal, start, end)


def boarded_minutes(plan: BusPlan, start: dt.datetime, timezone: str) -> dict[str, list[tuple[float, float]]]:
    """Per zone, (minute from local ``start``, people) of every trip's boarding: everyone a trip took
    from the zone's pool (``BusTrip.people``: those who reach safety and those detained or turned back)."""
    origin = start.replace(tzinfo=ZoneInfo(timezone)).astimezone(_UTC)
    out: dict[str, list[tuple[float, float]]] = {}
    for trip in plan.trips:
        minute = (trip.departs.astimezone(_UTC) - origin).total_seconds() / 60.0
        out.setdefault(trip.zone, []).append((minute, float(trip.people)))
    return out
