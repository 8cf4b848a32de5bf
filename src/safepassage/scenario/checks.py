"""Whole-scenario checks that a single field cannot make.

- ``reference_problems``: references, duplicates, overlaps. They run on the raw (parameter-substituted)
  data, tolerant of wrong types, so that they can be reported together with pydantic's field errors:
  the user sees every problem in one pass.
- ``plan_problems``: what makes a valid-looking scenario impossible to plan (stock where it cannot wait,
  an evacuation with nowhere to go, a proposal opening an unknown place). ``load_scenario`` (hence
  ``validate``) reports them, and the planner refuses a scenario built any other way with the same
  check, so nothing that validates fails later for data reasons.
- ``scenario_warnings``: figures that are allowed but probably wrong (a place outside its own zone,
  latitude and longitude swapped, a road shorter than the straight line between its ends).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from safepassage.errors import Problem, ScenarioError
from safepassage.scenario.clock import horizon_end_utc, to_utc
from safepassage.scenario.model import Horizon, PlaceKind, Scenario

__all__ = [
    "reference_problems",
    "plan_problems",
    "require_plannable",
    "scenario_warnings",
    "horizon_warnings",
    "ROAD_SHORTER_THAN_LINE_SHARE",
]

# A road may be no shorter than this share of the straight line between its ends (the rest allows
# for imprecise coordinates) before ``validate`` warns.
ROAD_SHORTER_THAN_LINE_SHARE = 0.8
EARTH_RADIUS_KM = 6371.0088


def _items(data: Any, key: str) -> list[tuple[int, dict[str, Any]]]:
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, list):
        return []
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)]


def _ids(items: Iterable[tuple[int, dict[str, Any]]]) -> set[str]:
    return {item["id"] for _, item in items if isinstance(item.get("id"), str)}


def _suggest(value: str, known: set[str]) -> str:
    import difflib

    close = difflib.get_close_matches(value, sorted(known), n=1)
    listing = ", ".join(sorted(known)[:12]) or "none defined"
    return f"did you mean '{close[0]}'?" if close else f"known: {listing}"


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def ref(self, path: str, value: Any, known: set[str], what: str, section: str) -> None:
        if isinstance(value, str) and value not in known:
            self.problems.append(
                Problem(
                    path,
                    f"unknown {what} '{value}'",
                    f"{_suggest(value, known)}; {what}s are defined under '{section}'",
                )
            )

    def refs(self, path: str, values: Any, known: set[str], what: str, section: str) -> None:
        if isinstance(values, list):
            for k, value in enumerate(values):
                self.ref(f"{path}[{k}]", value, known, what, section)

    def duplicates(self, section: str, items: list[tuple[int, dict[str, Any]]]) -> None:
        seen: dict[str, int] = {}
        for i, item in items:
            ident = item.get("id")
            if not isinstance(ident, str):
                continue
            if ident in seen:
                self.problems.append(
                    Problem(
                        f"{section}[{i}].id",
                        f"duplicate id '{ident}' (also {section}[{seen[ident]}])",
                        "ids must be unique within a section",
                    )
                )
            else:
                seen[ident] = i


def _as_datetime(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _window_occurrences(window: dict[str, Any]) -> list[tuple[dt.datetime, dt.datetime]]:
    start, end = _as_datetime(window.get("start")), _as_datetime(window.get("end"))
    repeat = window.get("repeat_days", 1)
    if start is None or end is None or end <= start or not isinstance(repeat, int) or repeat < 1:
        return []
    return [(start + dt.timedelta(days=d), end + dt.timedelta(days=d)) for d in range(repeat)]


def reference_problems(data: Any) -> list[Problem]:
    """Every cross-reference problem in a raw scenario mapping (empty list: none)."""
    if not isinstance(data, dict):
        return []
    out = _Collector()
    places, roads, zones = _items(data, "places"), _items(data, "roads"), _items(data, "zones")
    commodities, proposals = _items(data, "commodities"), _items(data, "proposals")
    for section, items in (
        ("places", places),
        ("roads", roads),
        ("zones", zones),
        ("commodities", commodities),
        ("proposals", proposals),
    ):
        out.duplicates(section, items)
    place_ids, road_ids, zone_ids, commodity_ids = _ids(places), _ids(roads), _ids(zones), _ids(commodities)
    crossing_ids = {p["id"] for _, p in places if p.get("kind") == "crossing" and isinstance(p.get("id"), str)}
    found = data.get("sources")
    sources: dict[str, Any] = found if isinstance(found, dict) else {}
    source_ids = set(sources)

    def source_refs(path: str, item: dict[str, Any]) -> None:
        out.refs(f"{path}.sources", item.get("sources"), source_ids, "source", "sources")

    for i, place in places:
        out.ref(f"places[{i}].zone", place.get("zone"), zone_ids, "zone", "zones")
        source_refs(f"places[{i}]", place)
    for i, road in roads:
        out.ref(f"roads[{i}].from", road.get("from"), place_ids, "place", "places")
        out.ref(f"roads[{i}].to", road.get("to"), place_ids, "place", "places")
        if isinstance(road.get("from"), str) and road.get("from") == road.get("to"):
            out.problems.append(
                Problem(
                    f"roads[{i}].to",
                    f"road starts and ends at the same place '{road['to']}'",
                    "a road joins two different places; remove it or fix one end",
                )
            )
        source_refs(f"roads[{i}]", road)
    for i, zone in zones:
        needs = zone.get("needs_per_person_per_day")
        if isinstance(needs, dict):
            for commodity in needs:
                out.ref(
                    f"zones[{i}].needs_per_person_per_day.{commodity}",
                    commodity,
                    commodity_ids,
                    "commodity",
                    "commodities",
                )
        evacuation = zone.get("evacuation")
        if isinstance(evacuation, dict):
            out.ref(
                f"zones[{i}].evacuation.assembly_place", evacuation.get("assembly_place"), place_ids, "place", "places"
            )
            out.refs(f"zones[{i}].evacuation.destinations", evacuation.get("destinations"), zone_ids, "zone", "zones")
            destinations = evacuation.get("destinations")
            if isinstance(destinations, list) and zone.get("id") in destinations:
                k = destinations.index(zone.get("id"))
                out.problems.append(
                    Problem(
                        f"zones[{i}].evacuation.destinations[{k}]",
                        f"zone '{zone['id']}' lists itself as a safe destination",
                        "people leave a zone for another zone; remove it from destinations",
                    )
                )
        source_refs(f"zones[{i}]", zone)
    for i, commodity in commodities:
        source_refs(f"commodities[{i}]", commodity)
    for i, stock in _items(data, "stocks"):
        out.ref(f"stocks[{i}].place", stock.get("place"), place_ids, "place", "places")
        out.ref(f"stocks[{i}].commodity", stock.get("commodity"), commodity_ids, "commodity", "commodities")
        source_refs(f"stocks[{i}]", stock)
    parameters = data.get("parameters")
    if isinstance(parameters, dict):
        for name, parameter in parameters.items():
            if isinstance(parameter, dict):
                source_refs(f"parameters.{name}", parameter)
    policy = data.get("policy")
    if isinstance(policy, dict):
        out.refs(
            "policy.restricted_commodities",
            policy.get("restricted_commodities"),
            commodity_ids,
            "commodity",
            "commodities",
        )
        _quota_refs(out, "policy.daily_quotas", policy.get("daily_quotas"), crossing_ids, commodity_ids)
    for i, proposal in proposals:
        path = f"proposals[{i}]"
        out.refs(f"{path}.admits", proposal.get("admits"), commodity_ids, "commodity", "commodities")
        out.refs(f"{path}.opens", proposal.get("opens"), place_ids, "place", "places")
        _quota_refs(out, f"{path}.quotas", proposal.get("quotas"), crossing_ids, commodity_ids)
        windows = [(j, w) for j, w in enumerate(proposal.get("windows") or []) if isinstance(w, dict)]
        for j, window in windows:
            out.refs(f"{path}.windows[{j}].zones", window.get("zones"), zone_ids, "zone", "zones")
            out.refs(f"{path}.windows[{j}].roads", window.get("roads"), road_ids, "road", "roads")
        _overlap_problems(out, path, windows)
        for q, quota in enumerate(proposal.get("quotas") or []):
            if isinstance(quota, dict):
                out.refs(f"{path}.quotas[{q}].zones", quota.get("zones"), zone_ids, "zone", "zones")
        source_refs(path, proposal)
    behaviour = data.get("behaviour")
    if isinstance(behaviour, dict) and isinstance(behaviour.get("zones"), dict):
        for zone_id in behaviour["zones"]:
            out.ref(f"behaviour.zones.{zone_id}", zone_id, zone_ids, "zone", "zones")
    fleet = data.get("fleet")
    if isinstance(fleet, dict) and isinstance(fleet.get("buses"), dict):
        out.refs("fleet.buses.boarding_places", fleet["buses"].get("boarding_places"), place_ids, "place", "places")
    return out.problems


def _quota_refs(out: _Collector, path: str, quotas: Any, crossing_ids: set[str], commodity_ids: set[str]) -> None:
    if not isinstance(quotas, list):
        return
    for q, quota in enumerate(quotas):
        if isinstance(quota, dict):
            out.refs(f"{path}[{q}].places", quota.get("places"), crossing_ids, "crossing", "places (kind: crossing)")
            out.refs(f"{path}[{q}].commodities", quota.get("commodities"), commodity_ids, "commodity", "commodities")


def _covers_common_ground(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Two windows cover the same ground when either covers everywhere or they share a zone or road."""
    if a.get("everywhere") or b.get("everywhere"):
        return True
    for key in ("zones", "roads"):
        left, right = a.get(key), b.get(key)
        if isinstance(left, list) and isinstance(right, list) and {str(v) for v in left} & {str(v) for v in right}:
            return True
    return False


def _overlap_problems(out: _Collector, path: str, windows: list[tuple[int, dict[str, Any]]]) -> None:
    """Windows may overlap in time over different zones and roads (operations in several places at
    once); an overlap over the same zone or road (or with an ``everywhere`` window) is an error."""
    spans = sorted(
        (start, end, j) for j, window in windows for start, end in _window_occurrences(window)
    )
    by_index = dict(windows)
    reported: set[tuple[int, int]] = set()
    for a, (_s1, e1, j1) in enumerate(spans):
        for s2, _e2, j2 in spans[a + 1:]:
            if s2 >= e1:
                break
            first, second = sorted((j1, j2))
            if (first, second) in reported or not _covers_common_ground(by_index[j1], by_index[j2]):
                continue
            reported.add((first, second))
            out.problems.append(
                Problem(
                    f"{path}.windows[{second}]",
                    f"overlaps windows[{first}] over the same zone or road "
                    f"({s2.isoformat()} is before {e1.isoformat()})",
                    "windows over the same zone or road must not overlap; merge them or move one "
                    "(windows over different zones or roads may overlap)",
                )
            )


def plan_problems(scenario: Scenario) -> list[Problem]:
    """What makes a validated scenario impossible to plan, each with its path and a fix (empty: none)."""
    problems: list[Problem] = []
    places = {p.id: p for p in scenario.places}
    for i, stock in enumerate(scenario.stocks):
        place = places.get(stock.place)
        if place is not None and not place.allows_holding:
            problems.append(
                Problem(
                    f"stocks[{i}].place",
                    f"stock cannot wait at '{stock.place}' (a {place.kind.value} without holding)",
                    "put stock at a warehouse, or set holding: true on the place",
                )
            )
    for z, zone in enumerate(scenario.zones):
        if zone.evacuation is None:
            continue
        if not any(p.zone in zone.evacuation.destinations for p in scenario.places):
            problems.append(
                Problem(
                    f"zones[{z}].evacuation.destinations",
                    f"no place lies in any destination zone ({', '.join(zone.evacuation.destinations)})",
                    "add a shelter (or any place) with zone: set to a destination",
                )
            )
        split = zone.evacuation.destination_split
        field = {"preference": "preference_weight", "capacity": "capacity_people"}.get(split)
        if field is not None:
            safe = [p for p in scenario.places if p.zone in zone.evacuation.destinations]
            safe = [p for p in safe if p.kind == PlaceKind.shelter] or safe
            for p in safe:
                if getattr(p, field) is None:
                    problems.append(
                        Problem(
                            f"zones[{z}].evacuation.destination_split",
                            f"'{split}' splits people by each destination's {field}, but '{p.id}' has none",
                            f"give {field} on place '{p.id}', or choose destination_split: nearest",
                        )
                    )
    for i, proposal in enumerate(scenario.proposals):
        for k, place_id in enumerate(proposal.opens):
            if place_id not in places:
                problems.append(
                    Problem(
                        f"proposals[{i}].opens[{k}]", f"unknown place '{place_id}'", _suggest(place_id, set(places))
                    )
                )
    return problems


def require_plannable(scenario: Scenario) -> None:
    """Raise ``ScenarioError`` listing ``plan_problems`` if there are any (the planner's entry check)."""
    problems = plan_problems(scenario)
    if problems:
        raise ScenarioError(problems, scenario.name)


def _distance_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance (haversine) between two positions in degrees."""
    import math

    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def scenario_warnings(scenario: Scenario) -> list[Problem]:
    """Figures that are allowed but probably wrong, each with the figures that make it suspect.

    - a place whose point lies outside the polygon of its own zone (with the distance to it);
    - a place whose latitude and longitude look swapped (the swapped point lies where the others are);
    - a road whose ``length_km`` is below ``ROAD_SHORTER_THAN_LINE_SHARE`` of the straight-line
      distance between its ends (a road cannot be shorter than the straight line).
    """
    from shapely.geometry import Point, shape
    from shapely.ops import unary_union

    warnings: list[Problem] = []
    polygons = {z.id: shape(z.geometry.model_dump()) for z in scenario.zones}
    area = unary_union(list(polygons.values())).buffer(0.5) if polygons else None  # ~50 km around the zones
    for i, place in enumerate(scenario.places):
        lon, lat = place.geometry.lon, place.geometry.lat
        point, swapped = Point(lon, lat), Point(lat, lon)
        if area is not None and not area.covers(point) and area.covers(swapped):
            warnings.append(
                Problem(
                    f"places[{i}].geometry.coordinates",
                    f"[{lon:g}, {lat:g}] lies far from every zone, but [{lat:g}, {lon:g}] lies among them: "
                    "latitude and longitude look swapped",
                    "GeoJSON positions are [longitude, latitude]",
                )
            )
            continue
        zone = polygons.get(place.zone) if place.zone else None
        if zone is not None and not zone.covers(point):
            nearest = zone.exterior.interpolate(zone.exterior.project(point)) if zone.geom_type == "Polygon" else None
            away = (
                f"{_distance_km(lon, lat, nearest.x, nearest.y):.2f} km"
                if nearest is not None
                else f"{zone.distance(point):.4f} degrees"
            )
            warnings.append(
                Problem(
                    f"places[{i}].zone",
                    f"'{place.id}' at [{lon:g}, {lat:g}] lies outside its zone '{place.zone}' ({away} from its edge)",
                    "check the place's coordinates or its zone",
                )
            )
    places = {p.id: p for p in scenario.places}
    for i, road in enumerate(scenario.roads):
        a, b = places.get(road.from_), places.get(road.to)
        if a is None or b is None:
            continue
        straight_km = _distance_km(a.geometry.lon, a.geometry.lat, b.geometry.lon, b.geometry.lat)
        if road.length_km < ROAD_SHORTER_THAN_LINE_SHARE * straight_km:
            warnings.append(
                Problem(
                    f"roads[{i}].length_km",
                    f"{road.length_km:g} km, but its ends '{road.from_}' and '{road.to}' are "
                    f"{straight_km:.2f} km apart in a straight line",
                    "check the length (in km) or the coordinates of its ends",
                )
            )
    return warnings


def horizon_warnings(scenario: Scenario, horizon: Horizon) -> list[Problem]:
    """A horizon made longer than the scenario's runs past the windows: say so, per proposal.

    Windows are not stretched to a longer horizon (a pause is what the parties agreed), so the days
    after a proposal's last window are planned without any pause."""
    if horizon.days <= scenario.horizon.days:
        return []
    tz = scenario.timezone
    start_utc, end_utc = to_utc(horizon.start, tz), horizon_end_utc(horizon.start, horizon.days, tz)
    out = []
    for i, proposal in enumerate(scenario.proposals):
        ends = [to_utc(end, tz) for window in proposal.windows for _, end in window.occurrences()]
        if ends and max(ends) < end_utc:
            last = max(ends)
            day = (last - start_utc).total_seconds() / 86400.0
            local = last.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
            out.append(
                Problem(
                    f"proposals[{i}].windows",
                    f"'{proposal.id}': its last window ends {local.isoformat(timespec='minutes')} (day {day:.1f}), "
                    f"but the horizon runs {horizon.days:g} days: the rest is planned without a pause",
                    "add windows (or repeat_days) to cover the longer horizon, or plan fewer days",
                )
            )
    return out
