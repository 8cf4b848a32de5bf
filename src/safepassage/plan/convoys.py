"""Whole convoys: trucks that share a route and a window go together, within the scenario's convoy rules.

The integer plan moves trucks along timed paths (a *journey*: trucks on one path at one time). Many
journeys share a route and a window but differ by minutes, or only in their offloading slot; no party
would deconflict them one by one. Consolidation groups them into convoys, as the Logistics Cluster's
RITA groups journeys into planned convoys:

- The key is (route, window): the route is the sequence of places; the window is the local day of the
  first leg that needs a pause (its pause that day), or of the departure when no leg needs one. A
  route that is the start of a longer route of the same window joins it: the convoy drops those trucks
  at their distribution point on the way (its ``stops``).
- Within a key, journeys are taken in departure order and packed into convoys of at most
  ``max_trucks`` trucks whose departures lie within ``marshalling_minutes`` of the convoy's first one;
  two convoys of one key depart at least ``departure_spacing_minutes`` apart. A convoy left below
  ``min_trucks`` takes the last trucks of the full one before it when both then keep the rules
  (23 trucks with a cap of 20 go as 18 + 5, not 20 + 3 dropped).
- A convoy smaller than ``min_trucks`` does not go. Its trucks are first re-timed
  (``plan/convoy_retime.py``): onto a convoy that goes (its timing, for their commodity, all the way or
  to their own stop on its way), or merged with other small groups onto one departure; where no
  capacity is free, a dropped truck's load may ride in place of a convoy load worth less there. What
  is still left leaves the plan, each group reported with its reason. The loss is the
  *consolidation cost*, measured by the planner's own objective and reported against the LP bound.

Re-timed trucks run on paths made of the LP's own columns, and each is kept only if the whole plan
still holds every limit (places, roads, quotas, offloading, fleet, column bounds, stock lot by lot).
A convoy of more than ``leader_above_trucks`` trucks adds a leader vehicle, and one escort vehicle when
``escort_required``; these light vehicles are listed, not counted against truck capacities.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from safepassage.plan.decompose import Path
from safepassage.plan.integer import FlowPaths, IntegerPlan, integer_plan, plan_value
from safepassage.plan.lp_build import PlanningModel
from safepassage.plan.result import Convoy, Dispatch, PlannedConvoy, iso
from safepassage.scenario.model import Scenario

__all__ = [
    "Rules", "Journey", "ConvoyGroup", "Consolidation", "PlannedConvoy", "Dispatch", "ConsolidatedPlan", "form_convoys", "size_stats",
    "rules_of", "consolidate", "planned_convoys", "consolidation_report",
]


@dataclass(frozen=True)
class Rules:
    """Convoy rules (see ``scenario.model.ConvoyRules``); the defaults consolidate without limits."""

    min_trucks: int = 1
    max_trucks: int | None = None
    departure_spacing_minutes: float = 0.0
    marshalling_minutes: float = 240.0
    leader_above_trucks: int = 5
    escort_required: bool = False


@dataclass(frozen=True)
class Journey:
    """Trucks on one timed path: ``ref`` points back into the caller's paths."""

    ref: int
    key: Hashable  # (route, window)
    departs_min: float  # minutes from the horizon start
    trucks: int


@dataclass
class ConvoyGroup:
    """One convoy: its key, its journeys' trucks ``(ref, trucks)`` and its first and last departures."""

    key: Hashable
    members: list[tuple[int, int]] = field(default_factory=list)
    first_departure_min: float = 0.0
    last_departure_min: float = 0.0

    @property
    def trucks(self) -> int:
        return sum(n for _, n in self.members)


@dataclass
class Consolidation:
    """The convoys formed and the trucks left out (``dropped[ref]``: trucks removed from journey ``ref``)."""

    convoys: list[ConvoyGroup]
    dropped: dict[int, int]

    @property
    def trucks_dropped(self) -> int:
        return sum(self.dropped.values())


def form_convoys(journeys: Sequence[Journey], rules: Rules) -> Consolidation:
    """Pack journeys into convoys key by key (see the module docstring); deterministic.

    >>> r = Rules(min_trucks=2, max_trucks=3, marshalling_minutes=60)
    >>> c = form_convoys([Journey(0, "a", 0, 2), Journey(1, "a", 30, 2), Journey(2, "a", 200, 1)], r)
    >>> [(g.members, g.first_departure_min) for g in c.convoys], c.dropped
    ([([(0, 2)], 0), ([(1, 2)], 30)], {2: 1})

    A convoy left below ``min_trucks`` takes the last trucks of the one before it, when that one keeps
    ``min_trucks`` and both keep the marshalling and spacing rules (above: 3 + 1 becomes 2 + 2).
    """
    if rules.min_trucks < 1 or (rules.max_trucks is not None and rules.max_trucks < rules.min_trucks):
        raise ValueError(f"convoy rules: need 1 <= min_trucks <= max_trucks, got {rules.min_trucks} and {rules.max_trucks}")
    by_key: dict[Hashable, list[Journey]] = defaultdict(list)
    for journey in journeys:
        if journey.trucks > 0:
            by_key[journey.key].append(journey)
    convoys: list[ConvoyGroup] = []
    dropped: dict[int, int] = defaultdict(int)
    cap = rules.max_trucks or 10**9
    for key in sorted(by_key, key=lambda k: (min(j.departs_min for j in by_key[k]), repr(k))):
        formed: list[ConvoyGroup] = []
        sizes: list[int] = []  # trucks per formed convoy, kept as they are added
        for journey in sorted(by_key[key], key=lambda j: (j.departs_min, j.ref)):
            left = journey.trucks
            while left > 0:
                current = formed[-1] if formed else None
                if current is not None and sizes[-1] < cap and journey.departs_min - current.first_departure_min <= rules.marshalling_minutes:
                    take = min(left, cap - sizes[-1])
                    current.members.append((journey.ref, take))
                    current.last_departure_min = journey.departs_min
                    sizes[-1] += take
                    left -= take
                    continue
                if current is not None and journey.departs_min < current.first_departure_min + rules.departure_spacing_minutes:
                    dropped[journey.ref] += left  # no room, and too soon after the last convoy to start another
                    break
                formed.append(ConvoyGroup(key, [], journey.departs_min, journey.departs_min))
                sizes.append(0)
        _rebalance(formed, sizes, {j.ref: j.departs_min for j in by_key[key]}, rules)
        for group, size in zip(formed, sizes, strict=True):
            if size < rules.min_trucks:
                for ref, n in group.members:
                    dropped[ref] += n
            else:
                convoys.append(_merged(group))
    convoys.sort(key=lambda g: (g.first_departure_min, repr(g.key)))
    return Consolidation(convoys, dict(dropped))


def _rebalance(formed: list[ConvoyGroup], sizes: list[int], departs: dict[int, float], rules: Rules) -> None:
    """Fill each convoy below ``min_trucks`` with the last trucks of the convoy before it (in place), when
    that one keeps ``min_trucks``, the moved trucks leave within ``marshalling_minutes`` of the small
    convoy's last truck, and the two convoys' first departures stay ``departure_spacing_minutes`` apart."""
    for i in range(1, len(formed)):
        need = rules.min_trucks - sizes[i]
        before, small = formed[i - 1], formed[i]
        if need <= 0 or sizes[i - 1] - need < rules.min_trucks or not small.members:
            continue
        moved: list[tuple[int, int]] = []
        left = need
        for ref, n in reversed(before.members):
            if left == 0:
                break
            take = min(n, left)
            moved.append((ref, take))
            left -= take
        first = min(departs[ref] for ref, _ in moved)
        if small.last_departure_min - first > rules.marshalling_minutes or first - before.first_departure_min < rules.departure_spacing_minutes:
            continue
        for _ref, take in moved:  # take them off the end of the convoy before
            last_ref, last_n = before.members[-1]
            before.members[-1] = (last_ref, last_n - take)
            if before.members[-1][1] == 0:
                before.members.pop()
        before.last_departure_min = max(departs[ref] for ref, _ in before.members)
        small.members[:0] = list(reversed(moved))
        small.first_departure_min = first
        sizes[i - 1] -= need
        sizes[i] += need


def _merged(group: ConvoyGroup) -> ConvoyGroup:
    totals: dict[int, int] = defaultdict(int)
    for ref, n in group.members:
        totals[ref] += n
    group.members = sorted(totals.items())
    return group


def size_stats(sizes: Sequence[int]) -> dict[str, float]:
    """Trucks per convoy: count, min, median, max (zeros when there is no convoy)."""
    if not sizes:
        return {"convoys": 0, "min": 0, "median": 0, "max": 0}
    return {"convoys": len(sizes), "min": min(sizes), "median": float(statistics.median(sizes)), "max": max(sizes)}


# --- the planner's side: journeys of an integer plan in, convoys and the consolidated plan out -------

def rules_of(scenario: Scenario) -> Rules | None:
    """The scenario's convoy rules (``max_trucks`` defaults to the fleet's ``max_convoy_trucks``), or
    None when the scenario sets none (then the plan is not consolidated)."""
    given = scenario.convoy_rules
    if given is None:
        return None
    fleet_cap = scenario.fleet.max_convoy_trucks if scenario.fleet else None
    return Rules(given.min_trucks, given.max_trucks or fleet_cap, given.departure_spacing_minutes, given.marshalling_minutes,
                 given.leader_above_trucks, given.escort_required)


def _path_legs(model: PlanningModel, flow: FlowPaths, j: int) -> tuple[tuple[int, int, int], ...]:
    """(arc, departure slot, arrival slot) of each move of truck path ``j``, in order."""
    block, moves = model.col("x"), model.trucks
    edges = np.asarray(flow.paths[j].edges, dtype=np.int64)
    m = flow.edges.ref[edges[flow.edges.edge_type[edges] == 0]] - block.start
    return tuple(zip(moves.arc[m].tolist(), moves.dep[m].tolist(), moves.arr[m].tolist()))


class _LegsOf:
    """``_path_legs`` made once per path: consolidation reads a path's legs for its route, its journey and
    its record, for the plan's paths and again for the same paths in the re-timed plan (which extends it)."""

    def __init__(self, model: PlanningModel) -> None:
        self.model = model
        self.made: dict[tuple[int, int], tuple[Path, tuple[tuple[int, int, int], ...]]] = {}

    def __call__(self, flow: FlowPaths, j: int) -> tuple[tuple[int, int, int], ...]:
        path = flow.paths[j]
        key = (id(flow.edges), id(path))
        known = self.made.get(key)
        if known is None or known[0] is not path:
            known = (path, _path_legs(self.model, flow, j))
            self.made[key] = known
        return known[1]


@dataclass
class ConsolidatedPlan:
    """The integer plan after consolidation (trucks re-timed onto convoys as new paths, what no convoy takes
    left out), its convoys (members are truck paths of ``plan``), the value before consolidation (same
    objective as the LP), the trucks re-timed, and each group dropped with its reason."""

    plan: IntegerPlan
    consolidation: Consolidation
    value_before: float
    legs: dict[int, tuple[tuple[int, int, int], ...]]
    trucks_retimed: int = 0
    dropped: list[dict[str, Any]] = field(default_factory=list)
    trucks_added: int = 0
    loads_swapped: int = 0

    @property
    def cost(self) -> float:
        """Objective lost to consolidation (person-days); negative when re-timed trucks are worth more at
        their new time than at their old one."""
        return self.value_before - self.plan.value


def _trunks(routes: set[tuple[tuple[int, ...], str, bool]]) -> dict[tuple[tuple[int, ...], str, bool], tuple[int, ...]]:
    """For each (route, window, pause) the longest route of the same window it starts like: a convoy
    to Gaza City also takes the trucks that stop at a distribution point on the way."""
    out = {}
    trunks: dict[tuple[str, bool], list[tuple[int, ...]]] = defaultdict(list)
    for route, window, paused in sorted(routes, key=lambda r: (-len(r[0]), r)):
        known = trunks[(window, paused)]
        found = next((t for t in known if t[: len(route)] == route), None)
        if found is None:
            known.append(route)
            found = route
        out[(route, window, paused)] = found
    return out


def consolidate(model: PlanningModel, plan: IntegerPlan, rules: Rules) -> ConsolidatedPlan:
    """Group the plan's truck journeys into convoys by route and window; re-time the trucks that cannot
    form one onto a convoy that goes, or merge them into one (``plan/convoy_retime.py``), and drop only
    what is left, with its reason."""
    from safepassage.plan.convoy_retime import retime_dropped

    scenario, grid, arcs = model.scenario, model.terms.grid, model.arcs
    pause_road = np.array([r.requires_pause for r in scenario.roads], dtype=bool)
    legs_of: dict[int, tuple[tuple[int, int, int], ...]] = {}
    path_legs = _LegsOf(model)

    def facts_of(flow: FlowPaths, j: int) -> tuple[tuple[int, ...], str, bool] | None:
        """(route, window, whether it needs a pause) of path ``j``; None when it does not move."""
        legs = path_legs(flow, j)
        if not legs:
            return None  # offloaded where it was: no movement to group
        route = tuple([int(arcs.tail[legs[0][0]])] + [int(arcs.head[a]) for a, _, _ in legs])
        if int(flow.end_place[j]) != route[-1]:
            route += (int(flow.end_place[j]),)
        paused = [dep for a, dep, _ in legs if pause_road[arcs.road[a]]]
        window = grid.to_local(float(grid.boundaries_min[paused[0] if paused else legs[0][1]])).date().isoformat()
        return route, window, paused != []

    facts: dict[int, tuple[tuple[int, ...], str, bool]] = {}
    for j, trucks in enumerate(plan.trucks_int):
        found = facts_of(plan.trucks, j) if trucks > 0 else None
        if found is not None:
            facts[j] = found
            legs_of[j] = path_legs(plan.trucks, j)
    trunk = _trunks(set(facts.values()))

    def journey_of(flow: FlowPaths, j: int, trucks: int) -> Journey | None:
        fact = facts.get(j) if flow is plan.trucks else facts_of(flow, j)
        if fact is None:
            return None
        route, window, paused = fact
        # A route no path of the plan had joins the longest trunk of its window it starts like.
        main = trunk.get(fact) or next((t for (r, w, p), t in sorted(trunk.items(), key=lambda i: -len(i[1]))
                                        if w == window and p == paused and t[: len(route)] == route), route)
        legs = path_legs(flow, j)
        return Journey(j, (main, window, paused), float(grid.boundaries_min[legs[0][1]]), trucks)

    journeys = [journey_of(plan.trucks, j, int(plan.trucks_int[j])) for j in facts]
    first = form_convoys([j for j in journeys if j is not None], rules)
    moved = retime_dropped(model, plan, rules, journey_of, first)
    plain = plan.trucks_int.copy()
    for j, n in first.dropped.items():
        plain[j] -= n
    kept = integer_plan(model, moved.trucks, plan.people, moved.trucks_int, plan.people_int)  # valued with the LP's objective
    if kept.value < plan_value(model, plan.trucks, plain, plan.people, plan.people_int) - 1e-6:
        moved = retime_dropped(model, plan, rules, journey_of, first, enabled=False)  # never worse than dropping
        kept = integer_plan(model, moved.trucks, plan.people, moved.trucks_int, plan.people_int)
    for path in np.flatnonzero(moved.trucks_int > 0).tolist():
        if path not in legs_of:
            legs_of[path] = path_legs(moved.trucks, path)
    dropped = []
    for d in moved.dropped:
        fact, legs = facts_of(moved.trucks, d.ref), path_legs(moved.trucks, d.ref)
        dropped.append({
            "commodity": scenario.commodities[int(moved.trucks.kind[d.ref])].id, "trucks": d.trucks,
            "route": [scenario.places[i].id for i in fact[0]] if fact else [],
            "departs": iso(grid.instant(float(grid.boundaries_min[legs[0][1]]))) if legs else None, "reason": d.reason,
        })
    return ConsolidatedPlan(kept, moved.consolidation, plan.value, legs_of, moved.trucks_retimed, dropped, moved.trucks_added,
                            moved.loads_swapped)


def planned_convoys(model: PlanningModel, consolidated: ConsolidatedPlan, rules: Rules, journeys: Sequence[Convoy]) -> list[PlannedConvoy]:
    """The convoys as schedule records, each with its dispatches and the journeys (``PlanResult.convoys``)
    they match by route and times."""
    scenario, grid, arcs = model.scenario, model.terms.grid, model.arcs
    plan = consolidated.plan
    crossing = {i for i, p in enumerate(scenario.places) if p.kind.value == "crossing"}
    # Journeys with one route and timing (split by the fleet's max_convoy_trucks, or mixed cargo) share a key:
    # a dispatch takes trucks from them in order, so each journey's trucks are named once.
    room: dict[tuple[tuple[str, ...], tuple[dt.datetime, ...], dt.datetime], list[list[Any]]] = defaultdict(list)
    for c in journeys:
        room[(tuple(c.route), tuple(leg.departs for leg in c.legs), c.arrives)].append([c.id, c.trucks])

    def named(departs: dt.datetime, arrives: dt.datetime, route: tuple[str, ...], timing: tuple[dt.datetime, ...], trucks: int) -> list[Dispatch]:
        out = []
        for entry in room.get((route, timing, arrives), []):
            take = min(trucks, entry[1])
            if take > 0:
                out.append(Dispatch(entry[0], departs, arrives, take))
                entry[1] -= take
                trucks -= take
        return out + ([Dispatch("", departs, arrives, trucks)] if trucks > 0 else [])
    out = []
    for n, group in enumerate(consolidated.consolidation.convoys):
        key: tuple[tuple[int, ...], str, bool] = group.key  # type: ignore[assignment]  # as made by consolidate()
        route_idx, window, paused = key
        first_legs = consolidated.legs[group.members[0][0]]
        cargo_trucks: dict[str, int] = defaultdict(int)
        dispatch: dict[tuple[dt.datetime, dt.datetime, tuple[str, ...], tuple[dt.datetime, ...]], int] = defaultdict(int)
        for j, trucks in group.members:
            legs = consolidated.legs[j]
            cargo_trucks[scenario.commodities[int(plan.trucks.kind[j])].id] += trucks
            route = tuple([scenario.places[arcs.tail[legs[0][0]]].id] + [scenario.places[arcs.head[a]].id for a, _, _ in legs])
            departs = grid.instant(float(grid.boundaries_min[legs[0][1]]))
            arrives = grid.instant(float(grid.boundaries_min[int(plan.trucks.end_slot[j])]))
            timing = tuple(grid.instant(float(grid.boundaries_min[dep])) for _, dep, _ in legs)
            dispatch[(departs, arrives, route, timing)] += trucks
        payload = {c.id: c.truck_payload for c in scenario.commodities}
        leader = group.trucks > rules.leader_above_trucks
        end_place = scenario.places[route_idx[-1]]
        ends = {int(plan.trucks.end_place[j]) for j, _ in group.members}
        out.append(PlannedConvoy(
            id=f"K{n + 1:04d}",
            route=[scenario.places[i].id for i in route_idx],
            origin=scenario.places[route_idx[0]].id,
            destination=end_place.id,
            stops=[scenario.places[i].id for i in dict.fromkeys(route_idx) if i in ends],
            zone=end_place.zone or "",
            window=window,
            departs=grid.instant(group.first_departure_min),
            arrives=max(a for _, a, _, _ in dispatch),  # the last arrival
            trucks=group.trucks,
            leader=leader,
            escort=rules.escort_required,
            vehicles=group.trucks + int(leader) + int(rules.escort_required),
            cargo={k: round(v * payload[k], 3) for k, v in sorted(cargo_trucks.items())},
            cargo_trucks=dict(sorted(cargo_trucks.items())),
            crossings=[scenario.places[arcs.tail[a]].id for a, _, _ in first_legs if arcs.tail[a] in crossing],
            requires_pause=paused,
            dispatches=[d for (dep, a, route, timing), t in sorted(dispatch.items()) for d in named(dep, a, route, timing, t)],
        ))
    return out


def consolidation_report(consolidated: ConsolidatedPlan, convoys: Sequence[PlannedConvoy], bound: float) -> dict[str, Any]:
    """What consolidation did, against the LP bound: convoys per day, trucks per convoy, cost."""
    per_day: dict[str, int] = defaultdict(int)
    for convoy in convoys:
        per_day[convoy.window] += 1
    scale = abs(bound) if abs(bound) > 1e-9 else 1.0
    return {
        "convoys": len(convoys),
        "convoys_per_day": dict(sorted(per_day.items())),
        "trucks_per_convoy": size_stats([c.trucks for c in convoys]),
        "trucks_dropped": consolidated.consolidation.trucks_dropped,
        "trucks_retimed": consolidated.trucks_retimed,
        "trucks_added": consolidated.trucks_added,
        "loads_swapped": consolidated.loads_swapped,
        "dropped": consolidated.dropped,
        "value_before": consolidated.value_before,
        "value_after": consolidated.plan.value,
        "cost": consolidated.cost,
        "cost_share_of_bound": consolidated.cost / scale,
        "gap_before": max(0.0, (bound - consolidated.value_before) / scale),
    }
