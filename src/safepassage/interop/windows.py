"""Pause windows as the outside world sees them: time-zone-aware occurrences and what each one covers.

A window covers its listed ``zones`` (and every road touching a place in them), its listed ``roads``,
or everything when ``everywhere`` is set — the same rule the planner applies.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from safepassage.scenario.model import Proposal, Road, Scenario, Window

__all__ = ["WindowOccurrence", "covered_roads", "covered_zones", "window_occurrences", "aware"]


@dataclass(frozen=True)
class WindowOccurrence:
    """One occurrence of a window: ``window`` index in the proposal, ``day`` index of its repeat."""

    proposal: str
    window: int
    day: int
    start: dt.datetime  # aware, scenario time zone
    end: dt.datetime
    zones: tuple[str, ...]
    roads: tuple[str, ...]

    @property
    def key(self) -> str:
        """Stable name of the occurrence within its proposal, e.g. ``w1-d3`` (1-based)."""
        return f"w{self.window + 1}-d{self.day + 1}"


def aware(local: dt.datetime, timezone: str) -> dt.datetime:
    """A naive local time in ``timezone`` made aware."""
    return local.replace(tzinfo=ZoneInfo(timezone))


def covered_zones(scenario: Scenario, window: Window) -> list[str]:
    """Zones the window covers: all for ``everywhere``, else the listed ones and those of listed roads' places."""
    if window.everywhere:
        return [z.id for z in scenario.zones]
    ids = list(window.zones)
    places = {p.id: p for p in scenario.places}
    for road in scenario.roads:
        if road.id in window.roads:
            for end in (road.from_, road.to):
                zone = places[end].zone
                if zone and zone not in ids:
                    ids.append(zone)
    return [z.id for z in scenario.zones if z.id in ids]


def covered_roads(scenario: Scenario, window: Window) -> list[Road]:
    """Roads the window covers: listed ones and every road touching a place in a listed zone."""
    if window.everywhere:
        return list(scenario.roads)
    zone_of = {p.id: p.zone for p in scenario.places}
    return [
        r for r in scenario.roads
        if r.id in window.roads or zone_of.get(r.from_) in window.zones or zone_of.get(r.to) in window.zones
    ]


def window_occurrences(scenario: Scenario, proposal: Proposal) -> list[WindowOccurrence]:
    """Every occurrence of every window of ``proposal``, in time order within each window."""
    out = []
    for w_index, window in enumerate(proposal.windows):
        zones = tuple(covered_zones(scenario, window))
        roads = tuple(r.id for r in covered_roads(scenario, window))
        for d_index, (start, end) in enumerate(window.occurrences()):
            out.append(WindowOccurrence(proposal.id, w_index, d_index, aware(start, scenario.timezone), aware(end, scenario.timezone), zones, roads))
    return out
