"""People moved by vehicle: a bus fleet planned as trips (seats, speed, boarding places, round trips),
not as a stream of walkers.

Each bus shuttles from its boarding place to the nearest place in a safe destination zone along
vehicle roads (shortest by length, scipy's Dijkstra) and back. A trip leaves only when people who chose
to go (the departure model's release, or everyone in ``wants_to_leave`` without a behaviour block) are
waiting; it carries at most ``seats``. On a route with pause-only roads the whole round trip — loaded
leg, screening, empty return — lies inside one window occurrence covering those roads. At a screening
point on the route people are held ``processing_minutes`` (the bus waits with them), at most
``holding_people`` at once (later buses queue), no more than its ``people_per_hour`` enter processing
(``screening_rate``), and the detained-or-turned-back share does not reach safety (counted apart).
Windows in several places at once are planned independently, each with its own buses.

This module holds what both bus planners share (``bus_setting``: routes, releases, the value of a
passenger on the planner's scale) and the greedy (``plan_bus_trips``): first come, first served, an
even split of the fleet, buses leaving full or at the last departure that fits the window. The plan
used by ``compare``, ``backtest`` and the planner is the MIP's (``plan/bus_schedule.py``), which
starts from this greedy, keeps it when it cannot do better, and reports its bound and gap.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from safepassage.behaviour import departures
from safepassage.errors import Problem, ScenarioError
from safepassage.scenario.behaviour import BusFleet
from safepassage.scenario.clock import local_instant
from safepassage.scenario.coverage import covered_road_mask
from safepassage.scenario.model import Proposal, Scenario

__all__ = [
    "BusTrip",
    "BusPlan",
    "BusRoute",
    "BusSetting",
    "add_trip",
    "boarded_minutes",
    "bus_full",
    "bus_setting",
    "screening_rate",
    "greedy_bus_trips",
    "plan_bus_trips",
]

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
    method: str = "greedy"  # "mip" (plan/bus_schedule.py) or "greedy" (this module)
    objective: float = 0.0  # person-days of safety the trips deliver (BusSetting.arrival_value), earlier is better
    bound: float | None = None  # the MIP's proven upper bound on ``objective``; None for the greedy alone
    gap: float | None = None  # (bound - objective) / objective
    solve_seconds: float = 0.0
    greedy_objective: float | None = None  # the greedy's value on the same scale, when the MIP was tried
    note: str = ""  # why the greedy was kept, when it was


@dataclass(frozen=True)
class BusRoute:
    """The vehicle route of one zone's people from its boarding place to the nearest safe place, in
    minutes: ``one_way_min`` each way at the fleet's speed; ``to_screen_min`` from the bus leaving the
    boarding place (after boarding) to its arrival at the first screening point on the route, where
    passengers are held ``processing_min`` (the bus waits with them); ``spans``: the window occurrences
    (minutes from the plan's start) covering every pause-only road of the route, or the whole horizon."""

    boarding_place: str
    zone: str
    route: list[str]
    one_way_min: float
    screen: str | None
    to_screen_min: float
    processing_min: float
    stopped_share: float
    detained_share: float
    turned_back_share: float
    holding_people: float | None
    people_per_hour: float | None
    spans: list[tuple[float, float]]
    person_value: float  # person-days for one person of the zone reaching safety at the horizon's start

    def cycle_min(self, boarding_min: float) -> float:
        """Boarding, loaded leg, screening and empty return, without any queue at screening."""
        return boarding_min + 2.0 * self.one_way_min + self.processing_min


@dataclass
class BusSetting:
    """Everything both bus planners (this greedy and the MIP of ``plan/bus_schedule.py``) read: the
    routes, each zone's release stream (minute, people), the horizon in minutes, and the planning
    objective's earliness bonus, so both value a plan on one scale (``trips_value``)."""

    scenario: Scenario
    origin: dt.datetime  # the plan's start, UTC
    horizon_min: float
    routes: list[BusRoute]
    released: dict[str, list[tuple[float, float]]]
    vehicles_at: dict[str, int]  # the greedy's split of the fleet over boarding places
    earliness_bonus: float

    @property
    def fleet(self) -> BusFleet:
        buses = self.scenario.fleet.buses if self.scenario.fleet is not None else None
        assert buses is not None  # a BusSetting is only built for a scenario with a bus fleet
        return buses

    def local(self, minute: float) -> dt.datetime:
        return local_instant(self.origin + dt.timedelta(minutes=minute), self.scenario.timezone)

    def minute(self, instant: dt.datetime) -> float:
        return (instant.astimezone(_UTC) - self.origin).total_seconds() / 60.0

    def arrival_value(self, route: BusRoute, arrive_min: float) -> float:
        """Person-days for one passenger of ``route`` who boards and arrives at ``arrive_min``, as the
        LP values a person on foot (``plan/lp_build.py: define_people_columns``): the zone's priority
        times ``person_days_per_person_safe``, more if earlier (``earliness_bonus``), and only the
        share that screening lets through reaches safety."""
        early = 1.0 + self.earliness_bonus * (1.0 - arrive_min / self.horizon_min)
        return route.person_value * early * (1.0 - route.stopped_share)


# Weight of a person reaching safety by zone hazard, as in plan/lp_build.py (HAZARD_PRIORITY).
_HAZARD_PRIORITY = {"low": 1.0, "medium": 1.0, "high": 1.02, "extreme": 1.05}


def bus_setting(scenario: Scenario, proposal: Proposal, start: dt.datetime, end: dt.datetime) -> BusSetting:
    """Routes, releases and horizon for planning the bus fleet under ``proposal`` from local ``start``
    to ``end``. Raises ``ScenarioError`` when the scenario has no bus fleet or a boarding place has no
    vehicle route to a safe destination."""
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

    problems: list[Problem] = []
    routes: list[BusRoute] = []
    road_index = {r.id: i for i, r in enumerate(scenario.roads)}
    coverage = [covered_road_mask(scenario, w) for w in proposal.windows]  # the one rule: scenario/coverage.py
    for b in fleet.boarding_places:
        zones = [z for z in scenario.zones if z.evacuation is not None and z.evacuation.assembly_place == b]
        distance, predecessor = dijkstra(graph, indices=index[b], return_predecessors=True)
        for zone in zones:
            evacuation = zone.evacuation
            if evacuation is None:
                continue
            safe = [index[p.id] for p in scenario.places if p.zone in evacuation.destinations]
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
            legs = [road_of[(a, c)] for a, c in zip(path[:-1], path[1:])]
            screen_at = next((k for k, i in enumerate(path) if scenario.places[i].screening is not None), None)
            screen = scenario.places[path[screen_at]] if screen_at is not None else None
            screening = screen.screening if screen is not None else None
            pause_roads = [road_index[r.id] for r in legs if r.requires_pause]
            if pause_roads:
                spans = sorted(
                    (minutes(s), minutes(e))
                    for w, covered in zip(proposal.windows, coverage)
                    if all(covered[r] for r in pause_roads)
                    for s, e in w.occurrences()
                )
            else:
                spans = [(0.0, horizon_min)]
            priority = (
                zone.evacuation_priority if zone.evacuation_priority is not None else _HAZARD_PRIORITY[zone.hazard]
            )
            routes.append(
                BusRoute(
                    boarding_place=b,
                    zone=zone.id,
                    route=[scenario.places[i].id for i in path],
                    one_way_min=float(distance[target]) / fleet.speed_kmh * 60.0,
                    screen=screen.id if screen is not None else None,
                    to_screen_min=(
                        sum(r.length_km for r in legs[:screen_at]) / fleet.speed_kmh * 60.0
                        if screen_at is not None
                        else 0.0
                    ),
                    processing_min=screening.processing_minutes if screening is not None else 0.0,
                    stopped_share=screening.stopped_share if screening is not None else 0.0,
                    detained_share=screening.detained_share if screening is not None else 0.0,
                    turned_back_share=screening.turned_back_share if screening is not None else 0.0,
                    holding_people=screening.holding_people if screening is not None else None,
                    people_per_hour=screen.people_per_hour if screen is not None else None,
                    spans=spans,
                    person_value=priority * scenario.objective.person_days_per_person_safe,
                )
            )
    if problems:
        raise ScenarioError(problems)
    vehicles_at = {
        b: fleet.vehicles // len(fleet.boarding_places) + (1 if k < fleet.vehicles % len(fleet.boarding_places) else 0)
        for k, b in enumerate(fleet.boarding_places)
    }
    return BusSetting(scenario, origin, horizon_min, routes, released, vehicles_at, scenario.objective.earliness_bonus)


def bus_full(route: BusRoute, seats: int) -> float:
    """People in a full bus of ``route``: its seats, or fewer when the screening point's holding area
    (where passengers are held while processed) takes fewer at once."""
    if route.holding_people is not None and route.processing_min > 0:
        return float(min(seats, math.floor(route.holding_people)))
    return float(seats)


def screening_rate(route: BusRoute, seats: int) -> tuple[float, float] | None:
    """(W minutes, people): at most that many of the route's passengers enter processing at its screening
    point in any W minutes, W = max(60, 60·seats/people_per_hour) so that a full bus can always pass;
    None without ``people_per_hour`` at the point."""
    if route.people_per_hour is None:
        return None
    width = max(60.0, 60.0 * seats / route.people_per_hour)
    return width, route.people_per_hour * width / 60.0


def add_trip(
    plan: BusPlan, setting: BusSetting, route: BusRoute, vehicle: int, depart_min: float, people: int, delay_min: float
) -> None:
    """Append one round trip leaving at ``depart_min`` with ``people`` aboard that waits ``delay_min``
    in the queue at screening, and add what it delivers (people and value) to ``plan``'s totals."""
    fleet = setting.fleet
    arrives = depart_min + fleet.boarding_minutes + route.one_way_min + route.processing_min + delay_min
    returns = arrives + route.one_way_min
    detained = people * route.stopped_share
    plan.trips.append(
        BusTrip(
            vehicle,
            route.boarding_place,
            route.zone,
            route.route,
            setting.local(depart_min),
            setting.local(arrives),
            setting.local(returns),
            int(people),
            round(detained, 2),
            round(route.processing_min + delay_min, 1),
        )
    )
    plan.people_reached_safety += people - detained
    plan.people_detained_or_turned_back += detained
    if route.stopped_share > 0:
        plan.people_detained += detained * route.detained_share / route.stopped_share
        plan.people_turned_back += detained * route.turned_back_share / route.stopped_share
    plan.objective += people * setting.arrival_value(route, arrives)


def plan_bus_trips(scenario: Scenario, proposal: Proposal, start: dt.datetime, end: dt.datetime) -> BusPlan:
    """The greedy bus plan of the scenario's fleet under ``proposal`` from local ``start`` to ``end``
    (``method: "greedy"``, no bound): the fallback and starting solution of ``plan/bus_schedule.py``.

    Raises ``ScenarioError`` when the scenario has no bus fleet or a boarding place has no vehicle
    route to a safe destination."""
    return greedy_bus_trips(bus_setting(scenario, proposal, start, end))


def greedy_bus_trips(setting: BusSetting) -> BusPlan:
    """First come, first served: each boarding place's buses (an even split of the fleet, then of the
    place's zones) take the next trip as soon as one is free and people wait, leaving full or at the
    last departure that still fits the window."""
    fleet = setting.fleet
    horizon_min = setting.horizon_min
    plan = BusPlan(method="greedy")
    screening_load: dict[str, list[tuple[float, float, float]]] = {}  # place -> (from, to, people) held
    vehicle_id = 0
    for b in fleet.boarding_places:
        routes = [r for r in setting.routes if r.boarding_place == b]
        for j, route in enumerate(routes):
            processing = route.processing_min
            # Nobody is held where processing takes no time: the holding area is never used.
            holding = route.holding_people if processing > 0 else None
            rate = screening_rate(route, fleet.seats)
            spans = route.spans
            stream = setting.released.get(route.zone, [])
            carried = 0.0
            # All buses of this boarding place run in parallel: always plan the next trip of the bus free first.
            # The place's buses split over its zones; a place or zone may get none (never more buses than the fleet).
            here = setting.vehicles_at[b] // len(routes) + (1 if j < setting.vehicles_at[b] % len(routes) else 0)
            queue = [(0.0, vehicle_id + k + 1) for k in range(here)]
            vehicle_id += len(queue)
            trips_by_day: dict[tuple[int, int], int] = {}
            heapq.heapify(queue)
            cycle = route.cycle_min(fleet.boarding_minutes)
            while queue:
                free_at, vehicle = heapq.heappop(queue)
                waiting_from = _first_time_waiting(stream, carried, free_at)
                if waiting_from is None:
                    continue
                span = next(
                    ((s, e) for s, e in spans if max(s, waiting_from) + cycle <= min(e, horizon_min)),
                    None,
                )
                if span is None:
                    continue
                # Leave full, or with whoever is waiting at the last departure that still fits the window.
                full_at = _first_time_waiting(
                    stream, carried + bus_full(route, fleet.seats) - 1, max(span[0], waiting_from)
                )
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
                # No more than the holding area takes at once (a smaller area than a bus: part-full buses).
                load = float(int(min(bus_full(route, fleet.seats), _released_by(stream, depart) - carried)))
                if load < 1:
                    heapq.heappush(queue, (depart + 1.0, vehicle))
                    continue
                at_screen = depart + fleet.boarding_minutes + route.to_screen_min
                held_from = at_screen
                if route.screen is not None and (holding is not None or rate is not None):
                    held_from = _when_room(
                        screening_load.setdefault(route.screen, []), at_screen, processing, load, holding, rate
                    )
                delay = held_from - at_screen
                returns = depart + cycle + delay
                if returns > min(span[1], horizon_min):
                    # The queue at screening would strand the bus outside the window: it waits for the next one.
                    heapq.heappush(queue, (span[1], vehicle))
                    continue
                if route.screen is not None:
                    screening_load.setdefault(route.screen, []).append((held_from, held_from + processing, load))
                carried += load
                trips_by_day[(vehicle, day)] = trips_by_day.get((vehicle, day), 0) + 1
                add_trip(plan, setting, route, vehicle, depart, int(load), delay)
                heapq.heappush(queue, (returns, vehicle))
            plan.waiting_at_end[route.zone] = round(max(0.0, _released_by(stream, horizon_min) - carried), 1)
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
    held: list[tuple[float, float, float]],
    arrive: float,
    processing: float,
    load: float,
    capacity: float | None,
    rate: tuple[float, float] | None = None,
) -> float:
    """Earliest time ≥ ``arrive`` when ``load`` more people fit in a holding area of ``capacity``
    (None: unlimited) and, with ``rate`` = (W minutes, people), no W minutes see more than that many
    people enter processing (``held``: (from, to, people) already planned). ``load`` must fit both."""
    candidates = {arrive} | {end for _, end, _ in held if end > arrive}
    if rate is not None:
        candidates |= {s + rate[0] for s, _, _ in held if s + rate[0] > arrive}
    for t in sorted(candidates):
        during = [(s, e, n) for s, e, n in held if s < t + processing and e > t]
        points = sorted({t} | {s for s, _, _ in during if s > t})
        if capacity is not None and any(sum(n for s, e, n in during if s <= p < e) + load > capacity for p in points):
            continue
        if rate is not None:
            width, most = rate
            starts = {t} | {s for s, _, _ in held if t - width < s <= t}
            if any(sum(n for s, _, n in held if tau <= s < tau + width) + load > most for tau in starts):
                continue
        return t
    raise AssertionError("a load that fits the holding area and the rate always finds room once the others leave")


def boarded_minutes(plan: BusPlan, start: dt.datetime, timezone: str) -> dict[str, list[tuple[float, float]]]:
    """Per zone, (minute from local ``start``, people) of every trip's boarding: everyone a trip took
    from the zone's pool (``BusTrip.people``: those who reach safety and those detained or turned back)."""
    origin = start.replace(tzinfo=ZoneInfo(timezone)).astimezone(_UTC)
    out: dict[str, list[tuple[float, float]]] = {}
    for trip in plan.trips:
        minute = (trip.departs.astimezone(_UTC) - origin).total_seconds() / 60.0
        out.setdefault(trip.zone, []).append((minute, float(trip.people)))
    return out
