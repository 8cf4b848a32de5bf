"""The one rule for what a pause window covers, and its occurrences in absolute time.

A window covers:
- every zone and every road when ``everywhere`` is set;
- otherwise its listed ``zones``, its listed ``roads``, and every road touching a place in one of its
  listed zones.

The planner (``plan/terms.py``), the simulation (``simulate/world.py``) and the outside formats
(``interop/windows.py``: CAP, GeoJSON, iCalendar) all read coverage from here, so a pause-only road is
usable in exactly the moments the alerts announce.

>>> from safepassage.scenario import load_scenario
>>> gaza = load_scenario("gaza-2023-11")
>>> daily = gaza.proposal("daily-4h-north")
>>> covered_zone_ids(gaza, daily.windows[0])
['north-gaza', 'gaza-city']
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from safepassage.scenario.model import Proposal, Road, Scenario, Window

__all__ = [
    "WindowOccurrence",
    "covered_zone_ids",
    "covered_roads",
    "covered_road_mask",
    "notified_zone_ids",
    "window_occurrences",
    "aware",
]


@dataclass(frozen=True)
class WindowOccurrence:
    """One occurrence of a window: ``window`` index in the proposal, ``day`` index of its repeat,
    start and end as aware datetimes in the scenario's time zone, and the zones and roads it covers."""

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
    """A naive local time in ``timezone`` made aware (an aware one is returned as it is)."""
    return local if local.tzinfo is not None else local.replace(tzinfo=ZoneInfo(timezone))


def covered_zone_ids(scenario: Scenario, window: Window) -> list[str]:
    """Zones the window covers, in scenario order: all for ``everywhere``, else the listed ones."""
    if window.everywhere:
        return [z.id for z in scenario.zones]
    listed = set(window.zones)
    return [z.id for z in scenario.zones if z.id in listed]


def covered_road_mask(scenario: Scenario, window: Window) -> list[bool]:
    """Per road of ``scenario.roads``: whether the window covers it (see the module's rule)."""
    if window.everywhere:
        return [True] * len(scenario.roads)
    zone_of = {p.id: p.zone for p in scenario.places}
    zones, listed = set(window.zones), set(window.roads)
    return [r.id in listed or zone_of.get(r.from_) in zones or zone_of.get(r.to) in zones for r in scenario.roads]


def covered_roads(scenario: Scenario, window: Window) -> list[Road]:
    """Roads the window covers, in scenario order."""
    return [road for road, covered in zip(scenario.roads, covered_road_mask(scenario, window)) if covered]


def notified_zone_ids(scenario: Scenario, window: Window) -> list[str]:
    """Zones whose people an announcement of the window concerns: the zones it covers, and the zones
    at either end of the roads it lists (a corridor's ends). Coverage itself is ``covered_zone_ids``."""
    if window.everywhere:
        return [z.id for z in scenario.zones]
    ids = set(window.zones)
    zone_of = {p.id: p.zone for p in scenario.places}
    for road in scenario.roads:
        if road.id in window.roads:
            ids.update(z for z in (zone_of.get(road.from_), zone_of.get(road.to)) if z)
    return [z.id for z in scenario.zones if z.id in ids]


def window_occurrences(scenario: Scenario, proposal: Proposal) -> list[WindowOccurrence]:
    """Every occurrence of every window of ``proposal``, in time order within each window."""
    out = []
    for w_index, window in enumerate(proposal.windows):
        zones = tuple(notified_zone_ids(scenario, window))
        roads = tuple(r.id for r in covered_roads(scenario, window))
        for d_index, (start, end) in enumerate(window.occurrences()):
            out.append(WindowOccurrence(proposal.id, w_index, d_index, aware(start, scenario.timezone), aware(end, scenario.timezone), zones, roads))
    return out
