"""Convoys that must finish inside the window (a besieged enclave): entry, offloading and the empty
return over pause-only roads all lie inside one window occurrence.

Where a zone or road sets ``convoys_within_windows``, a loaded truck may offload at a distribution
point in slot t only if, in some window occurrence [s, e) covering the place,

    s ≤ start(t)  and  end(t) + offload_minutes_per_truck + exit_minutes(place) ≤ e

where ``exit_minutes`` is the shortest truck time from the place back over the rule's roads to a
place outside them (the empty return). Offloading takes ``offload_minutes_per_truck`` per truck at the
point: at most 60 / offload_minutes trucks an hour.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from safepassage.scenario.model import Scenario

__all__ = ["rule_roads", "exit_minutes", "offload_allowed", "offload_rate_per_hour"]


def rule_roads(scenario: Scenario) -> np.ndarray:
    """bool (R,): roads under the convoys-within-windows rule (flagged, or touching a flagged zone)."""
    zones = {z.id for z in scenario.zones if z.convoys_within_windows}
    zone_of = {p.id: p.zone for p in scenario.places}
    return np.array(
        [r.convoys_within_windows or zone_of[r.from_] in zones or zone_of[r.to] in zones for r in scenario.roads],
        dtype=bool,
    )


def exit_minutes(scenario: Scenario, truck_speed_default_kmh: float | None = None) -> np.ndarray:
    """(P,) shortest truck minutes from each place to leave the rule's roads (0 outside them; inf when
    no way out). Roads closed to trucks or without a truck speed are not used."""
    flagged = rule_roads(scenario)
    index = {p.id: i for i, p in enumerate(scenario.places)}
    n = len(scenario.places)
    rows, cols, minutes = [], [], []
    on_rule = np.zeros(n, dtype=bool)
    for road, is_rule in zip(scenario.roads, flagged):
        travel = road.truck_minutes
        if travel is None and truck_speed_default_kmh:
            travel = road.length_km / truck_speed_default_kmh * 60.0
        if not is_rule or travel is None:
            continue
        a, b = index[road.from_], index[road.to]
        on_rule[[a, b]] = True
        rows += [a]
        cols += [b]
        minutes += [travel]
        if not road.one_way:
            rows += [b]
            cols += [a]
            minutes += [travel]
    touches_outside = np.zeros(n, dtype=bool)
    for road, is_rule in zip(scenario.roads, flagged):
        if not is_rule and road.trucks:
            touches_outside[[index[road.from_], index[road.to]]] = True
    exits = np.flatnonzero(touches_outside | ~on_rule)
    out = np.zeros(n)
    inside = np.flatnonzero(on_rule & ~touches_outside)
    if len(inside) == 0:
        return out
    if len(exits) == 0:
        out[inside] = np.inf
        return out
    graph = csr_matrix((minutes, (rows, cols)), shape=(n, n))
    distance = dijkstra(graph, indices=exits, min_only=True)
    out[inside] = distance[inside]
    return out


def offload_rate_per_hour(scenario: Scenario) -> np.ndarray:
    """(P,) trucks offloaded per hour at each place: 60 / offload_minutes_per_truck, capped by the
    place's trucks_per_hour (inf when neither is given)."""
    rate = np.array([p.trucks_per_hour or np.inf for p in scenario.places], dtype=float)
    offload = np.array(
        [60.0 / p.offload_minutes_per_truck if p.offload_minutes_per_truck else np.inf for p in scenario.places]
    )
    return np.minimum(rate, offload)


def offload_allowed(
    boundaries_min: np.ndarray, spans_min: list[tuple[float, float]], offload_min: float, exit_min: float
) -> np.ndarray:
    """bool (T,): slots in which a truck may offload at a place whose windows are ``spans_min`` (minutes
    from the horizon start) and still offload and leave before the window closes (equation above)."""
    start, end = boundaries_min[:-1], boundaries_min[1:]
    allowed = np.zeros(len(start), dtype=bool)
    if not np.isfinite(exit_min):
        return allowed
    for s, e in spans_min:
        allowed |= (start >= s - 1e-9) & (end + offload_min + exit_min <= e + 1e-9)
    return allowed


def spans_of(mask: np.ndarray, boundaries_min: np.ndarray) -> list[tuple[float, float]]:
    """(start, end) minutes of each run of True slots in ``mask``."""
    padded = np.concatenate([[False], mask.astype(bool), [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return [(float(boundaries_min[a]), float(boundaries_min[b])) for a, b in zip(edges[::2], edges[1::2])]


def offload_mask(
    scenario: Scenario, boundaries_min: np.ndarray, zone_covered: np.ndarray, road_usable: np.ndarray
) -> np.ndarray:
    """bool (P, T): slots in which offloading is allowed at each place under the convoys-within-windows
    rule (True everywhere for places the rule does not reach). ``zone_covered`` (Z, T) and
    ``road_usable`` (R, T) are the planner's window masks."""
    n_slots = len(boundaries_min) - 1
    mask = np.ones((len(scenario.places), n_slots), dtype=bool)
    flagged = rule_roads(scenario)
    if not flagged.any():
        return mask
    exits = exit_minutes(scenario)
    zone_index = {z.id: i for i, z in enumerate(scenario.zones)}
    flagged_zone = {z.id for z in scenario.zones if z.convoys_within_windows}
    for p, place in enumerate(scenario.places):
        if exits[p] <= 0 and place.zone not in flagged_zone:
            continue
        if place.zone in flagged_zone:
            covered = zone_covered[zone_index[place.zone]]
        else:
            touching = [r for r, road in enumerate(scenario.roads) if flagged[r] and place.id in (road.from_, road.to)]
            covered = road_usable[touching].any(axis=0) if touching else np.zeros(n_slots, dtype=bool)
        mask[p] = offload_allowed(
            boundaries_min, spans_of(covered, boundaries_min), place.offload_minutes_per_truck or 0.0, float(exits[p])
        )
    return mask
