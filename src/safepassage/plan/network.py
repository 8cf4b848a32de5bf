"""The time-expanded network as arrays: directed arcs from roads, and which (arc, departure slot)
pairs can ever carry trucks or people under a proposal.

Nothing here is one Python object per variable: every set is a numpy array with one entry per
usable (arc, slot) pair. Arcs that can never be used get no entry: roads closed to trucks, closed
places, departures whose arrival falls past the horizon, pause-only roads outside their windows, and
arcs that no stock can reach or that lead nowhere useful.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from safepassage.plan.terms import Terms
from safepassage.scenario.model import PlaceKind, Scenario

__all__ = ["Arcs", "Movements", "build_arcs", "screening_minutes", "screening_processed_per_leaving", "truck_movements", "people_movements", "reachable_arcs"]


@dataclass(frozen=True)
class Arcs:
    """Directed arcs (two per two-way road). ``truck_min``/``walk_min`` are NaN where not usable."""

    tail: np.ndarray
    head: np.ndarray
    road: np.ndarray
    truck_min: np.ndarray
    walk_min: np.ndarray
    trucks_per_hour: np.ndarray  # inf: no limit
    people_per_hour: np.ndarray

    def __len__(self) -> int:
        return len(self.tail)


@dataclass(frozen=True)
class Movements:
    """Usable (arc, departure slot, arrival slot, commodity-or-origin) quadruples, one per LP column."""

    arc: np.ndarray
    dep: np.ndarray
    arr: np.ndarray
    kind: np.ndarray  # commodity index (trucks) or origin-zone index (people)

    def __len__(self) -> int:
        return len(self.arc)


def screening_minutes(scenario: Scenario) -> np.ndarray:
    """Per place: the minutes a person on foot spends being processed at its screening point (0 where
    the place has no ``screening``)."""
    return np.array([p.screening.processing_minutes if p.screening is not None else 0.0 for p in scenario.places])


def screening_processed_per_leaving(scenario: Scenario) -> np.ndarray:
    """Per place: people its screening point processes for each person who leaves it onward,
    1 / (1 − δ) with δ = detained + turned back (planned values); 1 where nobody is stopped.

    The people flow's rule (planner, PuLP cross-check, checker, simulation): of the people processed
    when they leave a screening point's queue, δ are stopped there (detained, or turned back to their
    zone) and 1 − δ walk on; the point's ``people_per_hour`` counts everyone processed."""
    stopped = np.array([p.screening.stopped_share if p.screening is not None else 0.0 for p in scenario.places])
    return 1.0 / (1.0 - stopped)


def build_arcs(scenario: Scenario) -> Arcs:
    """Both directions of every road (one for ``one_way`` roads), with travel times and capacities.
    ``walk_min`` of a road leaving a screening point includes the point's processing minutes (people
    enter processing when they leave its queue, at the point's people_per_hour, then walk on)."""
    index = {p.id: i for i, p in enumerate(scenario.places)}
    rows = []
    for r, road in enumerate(scenario.roads):
        truck = road.truck_minutes
        walk = road.walk_minutes
        values = (
            np.nan if truck is None else truck,
            np.nan if walk is None else walk,
            np.inf if road.trucks_per_hour is None else road.trucks_per_hour,
            np.inf if road.people_per_hour is None else road.people_per_hour,
        )
        rows.append((index[road.from_], index[road.to], r, *values))
        if not road.one_way:
            rows.append((index[road.to], index[road.from_], r, *values))
    if not rows:
        empty = np.zeros(0)
        return Arcs(empty.astype(np.int64), empty.astype(np.int64), empty.astype(np.int64), empty, empty, empty, empty)
    table = np.array(rows, dtype=np.float64)
    tail = table[:, 0].astype(np.int64)
    return Arcs(
        tail=tail,
        head=table[:, 1].astype(np.int64),
        road=table[:, 2].astype(np.int64),
        truck_min=table[:, 3],
        # People leaving a screening point are processed first: its processing_minutes come before the walk.
        walk_min=table[:, 4] + screening_minutes(scenario)[tail],
        trucks_per_hour=table[:, 5],
        people_per_hour=table[:, 6],
    )


def reachable_arcs(n_places: int, tail: np.ndarray, head: np.ndarray, usable: np.ndarray, sources: set[int], sinks: set[int], blocked_tails: set[int] | frozenset[int] = frozenset()) -> np.ndarray:
    """Arcs on some path from a source to a sink (static graph): tail reachable from a source and
    head reaching a sink. ``blocked_tails``: places flow may end at but not leave (e.g. safe zones)."""
    forward: list[list[int]] = [[] for _ in range(n_places)]
    backward: list[list[int]] = [[] for _ in range(n_places)]
    for a in np.flatnonzero(usable):
        if tail[a] in blocked_tails:
            continue
        forward[tail[a]].append(head[a])
        backward[head[a]].append(tail[a])

    def search(starts: set[int], edges: list[list[int]]) -> np.ndarray:
        seen = np.zeros(n_places, dtype=bool)
        queue = deque(starts)
        seen[list(starts)] = True
        while queue:
            node = queue.popleft()
            for nxt in edges[node]:
                if not seen[nxt]:
                    seen[nxt] = True
                    queue.append(nxt)
        return seen

    if not sources or not sinks:
        return np.zeros(len(tail), dtype=bool)
    from_source = search(sources, forward)
    to_sink = search(sinks, backward)
    blocked = np.zeros(n_places, dtype=bool)
    blocked[list(blocked_tails)] = True
    return usable & from_source[tail] & to_sink[head] & ~blocked[tail]


def _time_expand(terms: Terms, arcs: Arcs, travel_min: np.ndarray, arc_ok: np.ndarray, enter_only: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(arc, dep, arr) for every usable arc and departure slot whose movement ends inside the horizon,
    leaves an open place, reaches an open place, and stays inside a window on pause-only roads.

    ``enter_only`` (people on foot): a pause-only road must be entered inside a window; people already
    on it when the window closes walk on to its end (they are not stopped half-way)."""
    grid = terms.grid
    n_slots = grid.n_slots
    idx = np.flatnonzero(arc_ok)
    if len(idx) == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z, z
    dep = np.tile(np.arange(n_slots, dtype=np.int64), len(idx))
    arc = np.repeat(idx, n_slots)
    arr = grid.arrival_slot(dep, travel_min[arc])
    keep = arr < n_slots
    arc, dep, arr = arc[keep], dep[keep], arr[keep]
    keep = terms.place_open[arcs.tail[arc], dep] & terms.place_open_ever[arcs.head[arc]]
    arc, dep, arr = arc[keep], dep[keep], arr[keep]
    # Pause-only roads: every slot from departure to arrival must be covered by a window.
    blocked = (~terms.road_usable).astype(np.int64)
    blocked_before = np.concatenate([np.zeros((blocked.shape[0], 1), dtype=np.int64), np.cumsum(blocked, axis=1)], axis=1)
    road = arcs.road[arc]
    if enter_only:
        keep = (blocked_before[road, dep + 1] - blocked_before[road, dep]) == 0
    else:
        keep = (blocked_before[road, arr] - blocked_before[road, dep]) == 0
    return arc[keep], dep[keep], arr[keep]


def prune_by_time(n_places: int, tail: np.ndarray, head: np.ndarray, dep: np.ndarray, arr: np.ndarray, source_slot: dict[int, int], sinks: set[int], n_slots: int) -> np.ndarray:
    """Movements that some flow can use: leaving a place no earlier than anything can reach it (from a
    source at its first available slot) and arriving in time to go on to a sink before the horizon
    ends. Assumes waiting is allowed everywhere, so it never removes a usable movement."""
    never = np.iinfo(np.int64).max
    earliest = np.full(n_places, never, dtype=np.int64)
    for place, slot in source_slot.items():
        earliest[place] = min(earliest[place], slot)
    for _ in range(n_places):
        ok = dep >= earliest[tail]
        updated = earliest.copy()
        np.minimum.at(updated, head[ok], arr[ok])
        if np.array_equal(updated, earliest):
            break
        earliest = updated
    latest = np.full(n_places, -1, dtype=np.int64)
    latest[list(sinks)] = n_slots - 1
    for _ in range(n_places):
        ok = arr <= latest[head]
        updated = latest.copy()
        np.maximum.at(updated, tail[ok], dep[ok])
        if np.array_equal(updated, latest):
            break
        latest = updated
    return (dep >= earliest[tail]) & (arr <= latest[head])


def stock_availability(scenario: Scenario, terms: Terms) -> list[dict[int, int]]:
    """Per commodity: place -> first slot its stock there is available."""
    place_index = {p.id: i for i, p in enumerate(scenario.places)}
    commodity_index = {c.id: k for k, c in enumerate(scenario.commodities)}
    grid = terms.grid
    out: list[dict[int, int]] = [{} for _ in scenario.commodities]
    for stock in scenario.stocks:
        minute = max(grid.to_minutes(stock.available_from), 0.0) if stock.available_from else 0.0
        if minute >= grid.horizon_min:
            continue
        slot = int(np.searchsorted(grid.boundaries_min, minute, side="right") - 1)
        k, p = commodity_index[stock.commodity], place_index[stock.place]
        out[k][p] = min(out[k].get(p, slot), slot)
    return out


def truck_sources_and_sinks(scenario: Scenario, terms: Terms) -> tuple[list[set[int]], list[set[int]]]:
    """Per commodity: places holding stock of it, and open distribution points in zones that need it."""
    place_index = {p.id: i for i, p in enumerate(scenario.places)}
    commodity_index = {c.id: k for k, c in enumerate(scenario.commodities)}
    sources: list[set[int]] = [set() for _ in scenario.commodities]
    for stock in scenario.stocks:
        sources[commodity_index[stock.commodity]].add(place_index[stock.place])
    zone_needs = {z.id: z.needs_per_person_per_day for z in scenario.zones}
    sinks: list[set[int]] = [set() for _ in scenario.commodities]
    for i, place in enumerate(scenario.places):
        if place.kind == PlaceKind.distribution_point and place.zone and terms.place_open[i].any():
            for k, commodity in enumerate(scenario.commodities):
                if zone_needs.get(place.zone, {}).get(commodity.id, 0) > 0 and terms.admitted_slots[k].any():
                    sinks[k].add(i)
    return sources, sinks


def truck_movements(scenario: Scenario, terms: Terms, arcs: Arcs) -> Movements:
    """Every usable (arc, dep, arr, commodity) for loaded trucks under ``terms``."""
    n_places = len(scenario.places)
    sources, sinks = truck_sources_and_sinks(scenario, terms)
    truck_ok = ~np.isnan(arcs.truck_min) & terms.place_open_ever[arcs.tail] & terms.place_open_ever[arcs.head]
    arc, dep, arr = _time_expand(terms, arcs, np.nan_to_num(arcs.truck_min, nan=0.0), truck_ok)
    crossing = np.array([p.kind == PlaceKind.crossing for p in scenario.places], dtype=bool)
    crossing_ids = set(np.flatnonzero(crossing).tolist())
    stock_slots = stock_availability(scenario, terms)
    parts = []
    for k in range(len(scenario.commodities)):
        # A commodity never admitted cannot leave a crossing: nothing beyond one can carry it.
        blocked = crossing_ids if not terms.admitted_slots[k].any() else set()
        ok = reachable_arcs(n_places, arcs.tail, arcs.head, truck_ok, sources[k], sinks[k], blocked_tails=blocked)
        keep = ok[arc]
        # A restricted commodity may leave a crossing only while it is admitted.
        keep &= ~crossing[arcs.tail[arc]] | terms.admitted_slots[k, dep]
        a, d, r = arc[keep], dep[keep], arr[keep]
        timely = prune_by_time(n_places, arcs.tail[a], arcs.head[a], d, r, stock_slots[k], sinks[k], terms.grid.n_slots)
        parts.append((a[timely], d[timely], r[timely], np.full(int(timely.sum()), k, dtype=np.int64)))
    return Movements(*(np.concatenate([p[i] for p in parts]) if parts else np.zeros(0, dtype=np.int64) for i in range(4)))


def people_sources_and_sinks(scenario: Scenario) -> tuple[list[int], list[int], list[set[int]]]:
    """Origin zones with people wanting to leave: (zone index, assembly place, safe places)."""
    place_index = {p.id: i for i, p in enumerate(scenario.places)}
    zones: list[int] = []
    assembly: list[int] = []
    safe: list[set[int]] = []
    for z, zone in enumerate(scenario.zones):
        if zone.evacuation is None or zone.evacuation.wants_to_leave <= 0:
            continue
        places = {i for i, p in enumerate(scenario.places) if p.zone in zone.evacuation.destinations}
        # Evacuees end at shelters or reception areas where the destination has them, not at a
        # distribution point or a junction on the way.
        shelters = {i for i in places if scenario.places[i].kind == PlaceKind.shelter}
        zones.append(z)
        assembly.append(place_index[zone.evacuation.assembly_place])
        safe.append(shelters or places)
    return zones, assembly, safe


def people_movements(scenario: Scenario, terms: Terms, arcs: Arcs) -> Movements:
    """Every usable (arc, dep, arr, origin) for people on foot under ``terms``."""
    origins, assembly, safe = people_sources_and_sinks(scenario)
    walk_ok = ~np.isnan(arcs.walk_min) & terms.place_open_ever[arcs.head]
    arc, dep, arr = _time_expand(terms, arcs, np.nan_to_num(arcs.walk_min, nan=0.0), walk_ok, enter_only=True)
    parts = []
    for o, (start, sinks) in enumerate(zip(assembly, safe)):
        ok = reachable_arcs(len(scenario.places), arcs.tail, arcs.head, walk_ok, {start}, sinks, blocked_tails=sinks)
        keep = ok[arc]
        a, d, r = arc[keep], dep[keep], arr[keep]
        timely = prune_by_time(len(scenario.places), arcs.tail[a], arcs.head[a], d, r, {start: 0}, sinks, terms.grid.n_slots)
        parts.append((a[timely], d[timely], r[timely], np.full(int(timely.sum()), o, dtype=np.int64)))
    if not parts:
        z = np.zeros(0, dtype=np.int64)
        return Movements(z, z, z, z)
    return Movements(*(np.concatenate([p[i] for p in parts]) for i in range(4)))
