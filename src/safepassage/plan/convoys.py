"""Whole convoys: trucks that share a route and a window go together, within the scenario's convoy rules.

The integer plan moves trucks along timed paths (a *journey*: trucks on one path at one time). Many
journeys share a route and a window but differ by minutes, or only in their offloading slot; no party
would deconflict them one by one. Consolidation groups them into convoys, as the Logistics Cluster's
RITA groups journeys into planned convoys:

- The key is (route, window): the route is the sequence of places; the window is the local day of the
  first leg that needs a pause (its pause that day), or of the departure when no leg needs one.
- Within a key, journeys are taken in departure order and packed into convoys of at most
  ``max_trucks`` trucks whose departures lie within ``marshalling_minutes`` of the convoy's first one;
  two convoys of one key depart at least ``departure_spacing_minutes`` apart.
- A convoy smaller than ``min_trucks`` does not go: its trucks leave the plan. That loss (and only
  that: no truck is moved in time) is the *consolidation cost*, measured by the planner's own objective
  and reported against the LP bound.

Every truck keeps the slot-by-slot timing of the integer plan, so every capacity (places, roads,
quotas, fleet, stock) that held for the integer plan holds for the convoys: dropping trucks never
breaks a "≤" limit. A convoy of more than ``leader_above_trucks`` trucks adds a leader vehicle, and one
escort vehicle when ``escort_required``; these light vehicles are listed, not counted against truck
capacities.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

__all__ = ["Rules", "Journey", "ConvoyGroup", "Consolidation", "PlannedConvoy", "Dispatch", "form_convoys", "size_stats"]


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


@dataclass(frozen=True)
class Dispatch:
    """Trucks of a convoy leaving together on one journey (local ISO times, as ``Convoy``)."""

    journey: str  # id of the journey (``PlanResult.convoys``) with this timing
    departs: str
    arrives: str
    trucks: int


@dataclass(frozen=True)
class PlannedConvoy:
    """One convoy: the unit notified to the parties and tracked. Its trucks follow ``route`` in the
    window from ``departs`` (the first dispatch) to ``arrives`` (the last arrival); ``dispatches`` gives
    each journey's timing. ``vehicles`` counts the trucks, the leader and the escort."""

    id: str
    route: list[str]
    origin: str
    destination: str
    zone: str
    window: str  # local date of the window (of the pause, for a route that needs one)
    departs: str
    arrives: str
    trucks: int
    leader: bool
    escort: bool
    vehicles: int
    cargo: dict[str, float]
    cargo_trucks: dict[str, int]
    crossings: list[str]
    requires_pause: bool
    dispatches: list[Dispatch]


def form_convoys(journeys: Sequence[Journey], rules: Rules) -> Consolidation:
    """Pack journeys into convoys key by key (see the module docstring); deterministic.

    >>> r = Rules(min_trucks=2, max_trucks=3, marshalling_minutes=60)
    >>> c = form_convoys([Journey(0, "a", 0, 2), Journey(1, "a", 30, 2), Journey(2, "a", 200, 1)], r)
    >>> [(g.members, g.first_departure_min) for g in c.convoys], c.dropped
    ([([(0, 2), (1, 1)], 0)], {1: 1, 2: 1})
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
        for journey in sorted(by_key[key], key=lambda j: (j.departs_min, j.ref)):
            left = journey.trucks
            while left > 0:
                current = formed[-1] if formed else None
                if current is not None and current.trucks < cap and journey.departs_min - current.first_departure_min <= rules.marshalling_minutes:
                    take = min(left, cap - current.trucks)
                    current.members.append((journey.ref, take))
                    current.last_departure_min = journey.departs_min
                    left -= take
                    continue
                if current is not None and journey.departs_min < current.first_departure_min + rules.departure_spacing_minutes:
                    dropped[journey.ref] += left  # no room, and too soon after the last convoy to start another
                    break
                formed.append(ConvoyGroup(key, [], journey.departs_min, journey.departs_min))
        for group in formed:
            if group.trucks < rules.min_trucks:
                for ref, n in group.members:
                    dropped[ref] += n
            else:
                convoys.append(_merged(group))
    convoys.sort(key=lambda g: (g.first_departure_min, repr(g.key)))
    return Consolidation(convoys, dict(dropped))


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
