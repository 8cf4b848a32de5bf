"""Whether people of a zone can walk to safety without any pause window: over walkable roads that do
not require a pause, through places that are open (not ``closed``, or opened by the proposal), from
the zone's assembly place to a place in one of its destination zones.

The departure model uses it for a zone no window covers: people there can only set out if such a
route exists (otherwise nobody sets out, and no figure says they did).

>>> from safepassage.scenario import load_scenario
>>> gaza = load_scenario("gaza-2023-11")
>>> walks_to_safety_without_pause(gaza, gaza.proposal("no-pause"), gaza.zones[0])
False
"""

from __future__ import annotations

from collections import deque

from safepassage.scenario.model import Proposal, Scenario, Zone

__all__ = ["walks_to_safety_without_pause"]


def walks_to_safety_without_pause(scenario: Scenario, proposal: Proposal, zone: Zone) -> bool:
    """True when ``zone``'s people can reach a place of a destination zone on foot with no window open."""
    evacuation = zone.evacuation
    if evacuation is None:
        return False
    opened = set(proposal.opens)
    usable = {p.id for p in scenario.places if not p.closed or p.id in opened}
    targets = {p.id for p in scenario.places if p.zone in evacuation.destinations} & usable
    onward: dict[str, list[str]] = {}
    for road in scenario.roads:
        if road.walk_minutes is None or road.requires_pause:
            continue
        onward.setdefault(road.from_, []).append(road.to)
        if not road.one_way:
            onward.setdefault(road.to, []).append(road.from_)
    start = evacuation.assembly_place
    if start not in usable:
        return False
    seen, queue = {start}, deque([start])
    while queue:
        place = queue.popleft()
        if place in targets:
            return True
        for nxt in onward.get(place, []):
            if nxt in usable and nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return False
