"""GeoJSON (RFC 7946) FeatureCollections of zones, corridors and a plan.

Two audiences:

- ``public`` (the default): zone outlines generalised, roads and routes as coarse bands, no point
  features for people or sensitive sites, and the plan aggregated per route (see ``generalise``);
- ``internal``: exact geometry for logistics coordinators, one feature per convoy and movement.

Positions are ``[longitude, latitude]`` in WGS 84; exterior rings are counter-clockwise.

>>> from safepassage.scenario import load_scenario
>>> collection = zones_collection(load_scenario("gaza-2023-11"))
>>> collection["type"], len(collection["features"])
('FeatureCollection', 5)
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any, Literal

from shapely.geometry import mapping, shape

from safepassage.interop.generalise import Generaliser
from safepassage.interop.public_picture import PublicPicture, public_picture
from safepassage.interop.windows import covered_roads, window_occurrences
from safepassage.plan import PlanResult
from safepassage.plan.result import iso
from safepassage.scenario.model import Proposal, Scenario

__all__ = ["Audience", "corridors_collection", "plan_collection", "write_geojson", "zones_collection"]

Audience = Literal["public", "internal"]


def _geometry(geom: Any) -> dict[str, Any]:
    """Shapely geometry as a plain JSON mapping with lists (tuples would survive json but not equality tests)."""
    return json.loads(json.dumps(mapping(geom)))


def _feature(fid: str, geometry: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "id": fid, "geometry": geometry, "properties": properties}


def _collection(features: list[dict[str, Any]], **meta: Any) -> dict[str, Any]:
    # Foreign members (RFC 7946 §6.1) carry the context a reader needs.
    return {"type": "FeatureCollection", **meta, "features": features}


def _windows_of_road(scenario: Scenario, proposal: Proposal | None) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = defaultdict(list)
    if proposal is None:
        return out
    for occurrence in window_occurrences(scenario, proposal):
        for road in occurrence.roads:
            out[road].append({"start": occurrence.start.isoformat(), "end": occurrence.end.isoformat()})
    return out


def zones_collection(scenario: Scenario, audience: Audience = "public") -> dict[str, Any]:
    """Zones with population, hazard, needs per person per day and evacuation wishes."""
    generaliser = Generaliser(scenario)
    features = []
    for zone in scenario.zones:
        geometry = _geometry(generaliser.zone(zone)) if audience == "public" else _geometry(shape(zone.geometry.model_dump()))
        properties = {
            "kind": "zone",
            "id": zone.id,
            "name": zone.name,
            "name_ar": zone.name_ar,
            "pcode": zone.pcode,
            "population": zone.population,
            "hazard": zone.hazard,
            "needs_per_person_per_day": dict(zone.needs_per_person_per_day),
            "wants_to_leave": zone.evacuation.wants_to_leave if zone.evacuation else 0,
            "safe_destinations": list(zone.evacuation.destinations) if zone.evacuation else [],
        }
        features.append(_feature(f"zone/{zone.id}", geometry, properties))
    if audience == "internal":
        for place in scenario.places:
            features.append(_feature(f"place/{place.id}", {"type": "Point", "coordinates": list(place.geometry.coordinates)},
                                     {"kind": "place", "id": place.id, "name": place.name, "place_kind": place.kind.value,
                                      "name_ar": place.name_ar, "zone": place.zone, "sensitive": place.sensitive}))
    return _collection(features, name=f"{scenario.name} zones", audience=audience)


def corridors_collection(scenario: Scenario, plan: PlanResult | PublicPicture | None = None, audience: Audience = "public") -> dict[str, Any]:
    """Roads and the corridor of a plan.

    Public (needs a plan): the roads the plan actually uses inside the area of operation, from its public
    picture — ``carries`` says whether evacuees, convoys or both use a road, and ``windows`` lists the
    window occurrences in which they do; roads through a sensitive site go together under their way
    name. A road nobody uses (e.g. to a closed crossing) is not in it. Internal: every road, exact.
    """
    if audience == "public":
        if plan is None:
            return _collection([], name=f"{scenario.name} corridors", audience=audience, proposal=None,
                               note="the public corridor comes from a plan: give a proposal")
        picture = plan if isinstance(plan, PublicPicture) else public_picture(scenario, plan)
        features = []
        for index, public_road in enumerate(picture.roads, start=1):
            if public_road.geometry is None:
                continue
            ids = set(public_road.road_ids)
            used_in = [{"start": w.start.isoformat(), "end": w.end.isoformat()} for w in picture.windows
                       if ids & (set(w.corridor_roads) | set(w.convoy_roads))]
            points = [s.place_id for s in picture.screenings if ids & set(s.road_ids)]
            screening = {lang: picture.screening_warning(points, lang) for lang in ("en", "ar")} if points else None
            features.append(_feature(f"corridor/{index}", _geometry(public_road.geometry), {
                "kind": "corridor", "name": public_road.names["en"], "name_ar": public_road.names["ar"], "carries": list(public_road.carries),
                "evacuation_corridor": "evacuees" in public_road.carries, "windows": used_in, "screening": screening}))
        return _collection(features, name=f"{scenario.name} corridors", audience=audience, proposal=picture.proposal.id,
                           pause=picture.proposal.agreement)
    result = plan.result if isinstance(plan, PublicPicture) else plan  # type: ignore[union-attr]
    chosen = scenario.proposal(result.proposal) if result is not None else None
    windows = _windows_of_road(scenario, chosen)
    places = {p.id: p for p in scenario.places}
    features = []
    for road in scenario.roads:
        geometry = {"type": "LineString", "coordinates": [list(places[road.from_].geometry.coordinates), list(places[road.to].geometry.coordinates)]}
        features.append(_feature(f"corridor/{road.id}", geometry, {
            "kind": "corridor", "id": road.id, "name": road.name, "name_ar": road.name_ar, "from": road.from_, "to": road.to,
            "length_km": road.length_km, "trucks_per_hour": road.trucks_per_hour, "people_per_hour": road.people_per_hour,
            "walkable": road.walk_minutes is not None, "requires_pause": road.requires_pause, "windows": windows.get(road.id, [])}))
    return _collection(features, name=f"{scenario.name} corridors", audience=audience, proposal=chosen.id if chosen else None)


def _proposal_windows(scenario: Scenario, proposal: Proposal) -> list[dict[str, Any]]:
    return [{"start": o.start.isoformat(), "end": o.end.isoformat(), "zones": list(o.zones)} for o in window_occurrences(scenario, proposal)]


def plan_collection(scenario: Scenario, result: PlanResult, audience: Audience = "public") -> dict[str, Any]:
    """The plan: convoy routes and evacuation corridors with their windows and flows as properties.

    Public: one feature per distinct route (flows summed, a coarse band, place names generalised);
    internal: one LineString per convoy and per evacuation movement, with its exact times.
    """
    proposal = scenario.proposal(result.proposal)
    windows = _proposal_windows(scenario, proposal)
    pause_roads = {r.id for w in proposal.windows for r in covered_roads(scenario, w)}
    places = {p.id: p for p in scenario.places}
    generaliser = Generaliser(scenario)
    meta = {"name": f"{scenario.name} plan {result.proposal}", "audience": audience, "proposal": result.proposal,
            "proposal_name": result.proposal_name, "windows": windows, "horizon_start": iso(result.horizon_start), "horizon_days": result.horizon_days}

    def line(route: list[str]) -> dict[str, Any]:
        return {"type": "LineString", "coordinates": [list(places[p].geometry.coordinates) for p in route]}

    features = []
    if audience == "internal":
        for c in result.convoys:
            features.append(_feature(f"convoy/{c.id}", line(c.route), {
                "kind": "convoy", "id": c.id, "origin": c.origin, "destination": c.destination, "zone": c.zone,
                "departs": iso(c.departs), "arrives": iso(c.arrives), "trucks": c.trucks, "cargo": dict(c.cargo),
                "route": list(c.route), "crossings": list(c.crossings), "requires_pause": c.requires_pause,
                "windows": windows if c.requires_pause else []}))
        for e in result.evacuations:
            features.append(_feature(f"evacuation/{e.id}", line(e.corridor), {
                "kind": "evacuation", "id": e.id, "origin_zone": e.origin_zone, "destination_zone": e.destination_zone,
                "destination": e.destination, "departs": iso(e.departs), "arrives": iso(e.arrives), "people": e.people,
                "corridor": list(e.corridor), "requires_pause": e.requires_pause, "windows": windows if e.requires_pause else []}))
        return _collection(features, **meta)

    routes: dict[tuple[str, ...], dict[str, Any]] = {}
    for c in result.convoys:
        entry = routes.setdefault(tuple(c.route), {"kind": "convoy_route", "zone": c.zone, "convoys": 0, "trucks": 0,
                                                   "cargo": defaultdict(float), "first_departure": c.departs, "last_arrival": c.arrives,
                                                   "requires_pause": False})
        entry["convoys"] += 1
        entry["trucks"] += c.trucks
        for commodity, quantity in c.cargo.items():
            entry["cargo"][commodity] += quantity
        entry["first_departure"] = min(entry["first_departure"], c.departs)
        entry["last_arrival"] = max(entry["last_arrival"], c.arrives)
        entry["requires_pause"] |= c.requires_pause
        entry["in_window"] = entry.get("in_window", False) or any(leg.road in pause_roads for leg in c.legs)
    corridors: dict[tuple[str, ...], dict[str, Any]] = {}
    for e in result.evacuations:
        entry = corridors.setdefault(tuple(e.corridor), {"kind": "evacuation_corridor", "origin_zone": e.origin_zone,
                                                         "destination_zone": e.destination_zone, "movements": 0, "people": 0,
                                                         "first_departure": e.departs, "last_arrival": e.arrives, "requires_pause": False})
        entry["movements"] += 1
        entry["people"] += e.people
        entry["first_departure"] = min(entry["first_departure"], e.departs)
        entry["last_arrival"] = max(entry["last_arrival"], e.arrives)
        entry["requires_pause"] |= e.requires_pause
        entry["in_window"] = entry.get("in_window", False) or any(leg.road in pause_roads for leg in e.legs)
    for index, (route, entry) in enumerate(list(routes.items()) + list(corridors.items()), start=1):
        band = generaliser.route(list(route))
        if band is None:
            continue
        properties = dict(entry)
        if "cargo" in properties:
            properties["cargo"] = dict(properties["cargo"])
        properties["first_departure"], properties["last_arrival"] = iso(entry["first_departure"]), iso(entry["last_arrival"])
        properties["via"] = [generaliser.place_label(p) for p in route]
        properties["windows"] = windows if properties.pop("in_window") else []
        features.append(_feature(f"{entry['kind']}/{index}", _geometry(band), properties))
    return _collection(features, **meta)


def write_geojson(scenario: Scenario, folder: Path, result: PlanResult | None = None, proposal: str | None = None,
                  audience: Audience = "public") -> list[Path]:
    """Write ``zones.geojson``, ``corridors.geojson`` and (with a plan) ``plan.geojson`` into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    documents = {"zones.geojson": zones_collection(scenario, audience)}
    if result is not None or audience == "internal":
        documents["corridors.geojson"] = corridors_collection(scenario, result, audience)
    if result is not None:
        documents["plan.geojson"] = plan_collection(scenario, result, audience)
    paths = []
    for name, document in documents.items():
        path = folder / name
        path.write_text(json.dumps(document, indent=1, ensure_ascii=False), encoding="utf-8")
        paths.append(path)
    return paths
