"""The world a plan is executed in: the planner's slot grid, capacities, windows and quotas as arrays
(``SimulationWorld``, built once per proposal), and one draw of what goes wrong (``Realisation``,
built once per replication).

Capacities are the planner's own: whole trucks (people) per slot adding up to the hourly rate over
the open hours (``whole_unit_capacity``), so a plan that respects them runs undelayed and a movement
that is late competes for the same slots as the ones that are on time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from safepassage.plan.problem import PlanningProblem, compile_problem
from safepassage.plan.terms import WindowSpan
from safepassage.scenario.model import Horizon, PlaceKind, Proposal, Scenario
from safepassage.simulate.disruptions import Disruptions

__all__ = ["SimulationWorld", "Realisation", "build_world", "world_of", "realise"]


@dataclass
class SimulationWorld:
    """Static arrays for one proposal over one horizon (index order: scenario places/roads/commodities).

    It is the compiled planning problem (``problem``), the same object the planner solves, with its
    arrays laid out for the event simulation; a ``Realisation`` adds one draw of the disruptions."""

    problem: PlanningProblem
    scenario: Scenario
    proposal: Proposal
    horizon: Horizon
    boundaries_min: np.ndarray  # (T+1,)
    boundary_date: list[str]  # local ISO date of each boundary
    slot_day: np.ndarray  # (T,)
    day_first_slot: np.ndarray  # (D+1,) first slot of each local day, and T
    place_open: np.ndarray  # bool (P, T)
    place_zone: np.ndarray  # (P,) zone index or -1
    is_crossing: np.ndarray  # bool (P,)
    is_inspection: np.ndarray  # bool (P,)
    place_trucks: np.ndarray  # (P, T) whole trucks per slot (inf: no limit)
    place_people: np.ndarray  # (P, T)
    arc_tail: np.ndarray
    arc_head: np.ndarray
    arc_road: np.ndarray
    arc_truck_min: np.ndarray
    arc_walk_min: np.ndarray
    arc_of: dict[tuple[str, str, str], int]  # (road id, from, to) -> arc
    road_trucks: np.ndarray  # (A, T)
    road_people: np.ndarray  # (A, T)
    road_pause: np.ndarray  # bool (R,)
    windows: list[WindowSpan]  # every window occurrence, with the roads it covers (the one coverage rule)
    quota_day: np.ndarray  # (Q,)
    quota_window: np.ndarray  # (Q,) -1: the whole day; 1: only slots inside a window; 0: only slots outside
    window_active: np.ndarray  # bool (T,) some window of the proposal is active (as planned)
    quota_cap: np.ndarray  # (Q,)
    quota_slots: np.ndarray  # bool (Q, T): the slots each quota counts
    quota_member: np.ndarray  # bool (Q, P, K)
    admitted: np.ndarray  # bool (K, D)
    payload: np.ndarray  # (K,) units per truck
    tonnes_per_unit: np.ndarray  # (K,)
    priority: np.ndarray  # (K,)
    need_units: np.ndarray  # (Z, K) over the horizon
    need_ppd: np.ndarray  # (Z, K)
    wanting: int  # people wanting to leave, all origin zones
    wanting_to_return: int  # displaced people wanting to go home (movement: return), all origin zones
    zone_returns: np.ndarray  # bool (Z,) the zone's people make a return (counted as returned, never as safe)
    stopped_planned: np.ndarray  # (P, 2) shares of the people a screening point processes it detains / turns back
    start_local: dt.datetime  # aware
    _quota_cache: dict = field(default_factory=dict, repr=False)

    @property
    def n_slots(self) -> int:
        return self.problem.n_slots

    @property
    def horizon_min(self) -> float:
        return self.problem.grid.horizon_min

    @property
    def horizon_days(self) -> float:
        return self.problem.horizon_days

    def quotas_for(self, place: int, kind: int, slot: int) -> np.ndarray:
        """Indices of the quota ceilings that count a truck of ``kind`` leaving ``place`` in ``slot`` (the
        slots each counts: its local day or agreement day, inside or outside windows, as the planner's
        ``define_quota_constraints``). Floors and shares are the planner's targets, not limits here."""
        key = (place, kind, slot)
        found = self._quota_cache.get(key)
        if found is None:
            found = (
                np.flatnonzero(self.quota_member[:, place, kind] & self.quota_slots[:, slot])
                if len(self.quota_day) else np.zeros(0, dtype=np.int64)
            )
            self._quota_cache[key] = found
        return found

    def minutes(self, moment: dt.datetime) -> float:
        """Minutes from the horizon start to an aware ``moment`` (as in a plan's legs): absolute time."""
        return (moment - self.start_local).total_seconds() / 60.0


def build_world(scenario: Scenario, proposal: str | Proposal, horizon: Horizon | None = None) -> SimulationWorld:
    """The static world of ``proposal`` over ``horizon`` (default: the scenario's), on the planner's grid."""
    return world_of(compile_problem(scenario, proposal, horizon))


def world_of(problem: PlanningProblem) -> SimulationWorld:
    """The simulation's view of a compiled problem (no second interpretation of the scenario)."""
    scenario, terms, arcs, grid = problem.scenario, problem.terms, problem.arcs, problem.grid
    n_slots = grid.n_slots
    place_ids = problem.ids.places
    arc_of = {(scenario.roads[arcs.road[a]].id, place_ids[arcs.tail[a]], place_ids[arcs.head[a]]): a for a in range(len(arcs))}
    n_quotas = len(terms.quotas)
    quota_member = np.zeros((n_quotas, len(scenario.places), len(scenario.commodities)), dtype=bool)
    for q, quota in enumerate(terms.quotas):
        quota_member[np.ix_([q], list(quota.places), list(quota.commodities))] = True
    slot_day = terms.slot_day
    n_days = int(slot_day.max()) + 1
    day_first_slot = np.array([int(np.argmax(slot_day == d)) for d in range(n_days)] + [n_slots], dtype=np.int64)
    return SimulationWorld(
        problem=problem, scenario=scenario, proposal=problem.proposal, horizon=problem.horizon,
        boundaries_min=grid.boundaries_min.copy(),
        boundary_date=[grid.to_local(m).date().isoformat() for m in grid.boundaries_min],
        slot_day=slot_day, day_first_slot=day_first_slot, place_open=terms.place_open, place_zone=problem.place_zone,
        is_crossing=problem.is_kind(PlaceKind.crossing), is_inspection=problem.is_kind(PlaceKind.inspection),
        place_trucks=problem.place_trucks_cap, place_people=problem.place_people_cap,
        arc_tail=arcs.tail, arc_head=arcs.head, arc_road=arcs.road, arc_truck_min=arcs.truck_min, arc_walk_min=arcs.walk_min, arc_of=arc_of,
        road_trucks=problem.road_trucks_cap, road_people=problem.road_people_cap,
        road_pause=np.array([r.requires_pause for r in scenario.roads], dtype=bool),
        windows=problem.windows,
        quota_day=np.array([q.day for q in terms.quotas], dtype=np.int64),
        quota_window=np.array([-1 if q.during_window is None else int(q.during_window) for q in terms.quotas], dtype=np.int64),
        window_active=terms.window_active.copy(),
        quota_cap=np.array([q.trucks_whole for q in terms.quotas], dtype=np.float64),
        quota_member=quota_member, admitted=terms.admitted,
        quota_slots=np.array([q.slots for q in terms.quotas], dtype=bool).reshape(len(terms.quotas), n_slots),
        payload=problem.payload, tonnes_per_unit=problem.tonnes_per_unit, priority=problem.priority,
        need_units=problem.need_units, need_ppd=problem.need_ppd,
        wanting=problem.wanting_to_leave, start_local=grid.to_local(0.0),
        wanting_to_return=problem.wanting_to_return,
        zone_returns=np.array([z.evacuation is not None and z.evacuation.movement == "return" for z in scenario.zones], dtype=bool),
        stopped_planned=np.array(
            [[p.screening.detained_share, p.screening.turned_back_share] if p.screening is not None else [0.0, 0.0] for p in scenario.places],
            dtype=np.float64,
        ).reshape(len(scenario.places), 2),
    )


@dataclass
class Realisation:
    """One draw of the world: what is usable when, and the capacity left to share (mutated by a run).

    ``events`` lists what an observer sees, in time order: (minute, kind, subject) with kind one of
    'window_not_honoured', 'window_cut', 'window_violated' (a replay fact), 'crossing_closed', 'road_incident',
    'extension'."""

    road_blocked_before: np.ndarray  # (R, T+1) cumulative count of unusable slots per road
    road_ok: np.ndarray  # bool (R, T)
    place_trucks: np.ndarray  # (P, T) capacity left
    place_people: np.ndarray
    road_trucks: np.ndarray  # (A, T)
    road_people: np.ndarray
    quota_left: np.ndarray  # (Q,)
    extension_days: float
    events: list[tuple[float, str, str]]
    removed_share: np.ndarray | None = None  # (K,) share of each commodity's cargo removed at inspection in this run
    stopped_share: np.ndarray | None = None  # (P, 2) shares detained / turned back at each screening point in this run
    effects: list[tuple[float, np.ndarray | None, int, int, int]] = field(default_factory=list)  # (minute, roads, place, slot_lo, slot_hi)

    def observed_closures(self, minute: float, n_roads: int, n_places: int, n_slots: int) -> tuple[np.ndarray, np.ndarray]:
        """(roads × slots, places × slots) closed as known to an observer at ``minute``."""
        roads = np.zeros((n_roads, n_slots), dtype=bool)
        places = np.zeros((n_places, n_slots), dtype=bool)
        for seen, which, place, lo, hi in self.effects:
            if seen > minute + 1e-6:
                continue
            if which is not None:
                roads[which, lo:hi] = True
            if place >= 0:
                places[place, lo:hi] = True
        return roads, places

    def road_clear(self, road: int, dep_slot: int, arr_slot: int) -> bool:
        """Whether ``road`` is usable in every slot from ``dep_slot`` up to (not including) ``arr_slot``."""
        return self.road_blocked_before[road, arr_slot] - self.road_blocked_before[road, dep_slot] == 0


def _mask(mid: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return (mid >= lo) & (mid < hi)


def realise(world: SimulationWorld, disruptions: Disruptions, rng: np.random.Generator) -> Realisation:
    """Draw windows honoured or cut, extensions, crossing closures and road incidents for one replication.

    Draws are made for every entity in a fixed order whatever happens later, so the same generator
    gives the same world under any policy (common random numbers)."""
    scenario = world.scenario
    boundaries = world.boundaries_min
    mid = (boundaries[:-1] + boundaries[1:]) / 2.0
    n_roads, n_slots = len(scenario.roads), world.n_slots
    events: list[tuple[float, str, str]] = []
    effects: list[tuple[float, np.ndarray | None, int, int, int]] = []
    d = disruptions

    def slots(lo_min: float, hi_min: float) -> tuple[int, int]:
        lo = int(np.searchsorted(mid, lo_min, side="left"))
        return lo, max(lo, int(np.searchsorted(mid, hi_min, side="left")))

    # Windows: honoured, cut short (a uniform share lost at the end), or not honoured.
    n_windows = len(world.windows)
    u_honour, u_cut, u_share = rng.random(n_windows), rng.random(n_windows), rng.random(n_windows)
    extension = world.proposal.extension
    p_extension = d.extension_probability if d.extension_probability is not None else (extension.probability_per_day if extension else 0.0)
    max_blocks = int(np.ceil(extension.max_extra_days / extension.days_per_block)) if extension else 0
    u_extension = rng.random(max_blocks)
    extension_days = 0.0
    if extension:
        for u in u_extension:
            if u >= p_extension or extension_days + extension.days_per_block > extension.max_extra_days + 1e-9:
                break
            extension_days += extension.days_per_block
    # A unilateral pause is honoured less often (the other side never agreed to it).
    unilateral = world.proposal.agreement == "unilateral"
    p_not_honoured = d.unilateral_not_honoured_probability if unilateral else d.window_not_honoured_probability
    p_cut = d.unilateral_cut_probability if unilateral else d.window_cut_probability
    replay = {r.date.isoformat(): r for r in world.proposal.replay}
    covered = np.zeros((n_roads, n_slots), dtype=bool)
    last = int(np.argmax([w.end_min for w in world.windows])) if n_windows else -1
    for i, window in enumerate(world.windows):
        start, end = window.start_min, window.end_min
        if i == last and extension_days:
            events.append((end, "extension", f"+{extension_days:g} day(s)"))
            end += extension_days * 1440.0
        first_boundary = min(int(np.searchsorted(boundaries, window.start_min - 1e-6)), len(world.boundary_date) - 1)
        fact = replay.get(world.boundary_date[first_boundary]) if replay else None
        if fact is not None:
            # History replayed: the occurrence is planned as it happened (behaviour/replay.py); no draw replaces it.
            if fact.violated:
                events.append((start, "window_violated", f"window {i + 1} (replayed)"))
            covered[window.roads] |= _mask(mid, start, end)[None, :]
            continue
        if u_honour[i] < p_not_honoured:
            events.append((start, "window_not_honoured", f"window {i + 1}"))
            effects.append((start, window.roads & world.road_pause, -1, *slots(start, end)))
            continue
        if u_cut[i] < p_cut:
            lost = u_share[i] * d.window_cut_max_share * (end - start)
            if lost > 0:
                effects.append((end - lost, window.roads & world.road_pause, -1, *slots(end - lost, end)))
                end -= lost
                events.append((end, "window_cut", f"window {i + 1} ({lost / 60:.1f} h lost)"))
        covered[window.roads] |= _mask(mid, start, end)[None, :]
    road_ok = np.where(world.road_pause[:, None], covered, True)

    # Road incidents: Poisson per road over the horizon, uniform start, uniform duration.
    rate = d.road_incidents_per_day * world.horizon_days
    n_incidents = rng.poisson(rate, n_roads) if rate > 0 else np.zeros(n_roads, dtype=np.int64)
    total = int(n_incidents.sum())
    starts = rng.random(total) * world.horizon_min
    hours = d.road_incident_hours_min + rng.random(total) * (d.road_incident_hours_max - d.road_incident_hours_min)
    for road, start, length in zip(np.repeat(np.arange(n_roads), n_incidents), starts, hours):
        closed = (boundaries[1:] > start) & (boundaries[:-1] < start + length * 60.0)  # any overlap
        road_ok[road] &= ~closed
        hit = np.flatnonzero(closed)
        if len(hit):
            only = np.zeros(n_roads, dtype=bool)
            only[road] = True
            effects.append((float(start), only, -1, int(hit[0]), int(hit[-1]) + 1))
        events.append((float(start), "road_incident", f"{scenario.roads[road].id} ({length:.1f} h)"))
    road_blocked_before = np.concatenate([np.zeros((n_roads, 1), dtype=np.int64), np.cumsum(~road_ok, axis=1)], axis=1)

    # Crossings closed for whole local days.
    place_trucks = world.place_trucks.copy()
    place_people = world.place_people.copy()
    n_days = len(world.day_first_slot) - 1
    crossings = np.flatnonzero(world.is_crossing)
    closed = rng.random((len(crossings), n_days)) < d.crossing_closed_per_day
    for c, day in zip(*np.nonzero(closed)):
        p = crossings[c]
        lo, hi = world.day_first_slot[day], world.day_first_slot[day + 1]
        if world.place_open[p, lo:hi].any():
            place_trucks[p, lo:hi] = 0.0
            place_people[p, lo:hi] = 0.0
            events.append((float(boundaries[lo]), "crossing_closed", f"{scenario.places[p].id} day {day + 1}"))
            effects.append((float(boundaries[lo]), None, int(p), int(lo), int(hi)))
    # Cargo removed at inspection: one share per commodity and run, uniform over its stated range.
    removed_share = np.zeros(len(scenario.commodities))
    for k, commodity in enumerate(scenario.commodities):
        removal = commodity.removed_at_inspection
        if removal is not None and d.inspection_removal:
            lo = removal.value if removal.low is None else removal.low
            hi = removal.value if removal.high is None else removal.high
            removed_share[k] = lo + rng.random() * (hi - lo)
    # People stopped at screening: detained and turned back shares per point and run, uniform over their ranges.
    stopped_share = world.stopped_planned.copy()
    if d.screening_draws:
        for p, place in enumerate(scenario.places):
            screening = place.screening
            for j, share in enumerate((screening.detained, screening.turned_back) if screening is not None else ()):
                if share is not None:
                    lo = share.value if share.low is None else share.low
                    hi = share.value if share.high is None else share.high
                    stopped_share[p, j] = lo + rng.random() * (hi - lo)
    events.sort()
    return Realisation(
        removed_share=removed_share, stopped_share=stopped_share,
        road_blocked_before=road_blocked_before, road_ok=road_ok, place_trucks=place_trucks, place_people=place_people,
        road_trucks=world.road_trucks.copy(), road_people=world.road_people.copy(), quota_left=world.quota_cap.copy(),
        extension_days=extension_days, events=events, effects=effects,
    )
