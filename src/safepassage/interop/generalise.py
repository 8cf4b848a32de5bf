"""Geometry the public may see: zone outlines grown and simplified, corridors as coarse bands, and no
exact position of people or of sensitive sites.

Every public output (CAP areas, public GeoJSON, public HXL, the report) goes through this module so the
rule lives in one place:

- a zone outline is simplified to ``ZONE_SIMPLIFY_M`` and then grown by ``ZONE_MARGIN_M`` (more than
  the simplification and the grid snap can cut, so the public outline always covers the zone), then
  snapped to a ``GRID_DEG`` grid, so no vertex sits on a surveyed point;
- no vertex of any public shape lies within ``SENSITIVE_CLEARANCE_M`` of a sensitive site (a shape
  that would is grown further until none does);
- a corridor (the roads people or trucks use) is a band ``CORRIDOR_HALF_WIDTH_M`` either side of the
  straight line between its places, simplified and snapped the same way; a sensitive place on it is
  replaced by its zone's representative point (or the segment is dropped when the place has no zone);
- a place position is rounded to ``PLACE_ROUND_DEG`` (about a kilometre) and sensitive places have none.

Distances are worked in metres on a local equirectangular projection centred on the scenario, which is
accurate to well under a percent over an area the size of a governorate.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient
from shapely.ops import unary_union

from safepassage.scenario.model import Place, Road, Scenario, Zone

__all__ = [
    "ZONE_MARGIN_M",
    "ZONE_SIMPLIFY_M",
    "CORRIDOR_HALF_WIDTH_M",
    "GRID_DEG",
    "SENSITIVE_CLEARANCE_M",
    "PLACE_ROUND_DEG",
    "Generaliser",
    "rings_of",
]

ZONE_MARGIN_M = 500.0
ZONE_SIMPLIFY_M = 300.0
SENSITIVE_CLEARANCE_M = 300.0
CORRIDOR_HALF_WIDTH_M = 1000.0
GRID_DEG = 0.001
PLACE_ROUND_DEG = 0.01
_M_PER_DEG = 111_320.0


class Generaliser:
    """Public geometry for one scenario (see the module docstring for the rules)."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        lats = [p.geometry.lat for p in scenario.places]
        self._cos = math.cos(math.radians(sum(lats) / len(lats)))
        self._places = {p.id: p for p in scenario.places}
        self._zones = {z.id: z for z in scenario.zones}
        self._sensitive_m = [self._to_m(Point(p.geometry.coordinates)) for p in scenario.places if p.sensitive]

    # projection -----------------------------------------------------------------------------------
    def _to_m(self, geometry: BaseGeometry) -> BaseGeometry:
        scale = np.array([_M_PER_DEG * self._cos, _M_PER_DEG])
        return shapely.transform(geometry, lambda xy: xy * scale)

    def _to_deg(self, geometry: BaseGeometry) -> BaseGeometry:
        scale = np.array([_M_PER_DEG * self._cos, _M_PER_DEG])
        return shapely.transform(geometry, lambda xy: xy / scale)

    def _finish(self, geometry_m: BaseGeometry, simplify_m: float, grow_m: float = 0.0) -> Polygon | MultiPolygon:
        """Simplify (then grow, for zones), snap to the grid, orient; grow more while a vertex is near a sensitive site."""
        for attempt in range(6):
            shape_m = geometry_m.simplify(simplify_m, preserve_topology=True)
            extra = attempt * SENSITIVE_CLEARANCE_M
            if grow_m + extra > 0:
                shape_m = shape_m.buffer(grow_m + extra, join_style="mitre", mitre_limit=2.0)
            result = self._snap(shape_m)
            if self._clear(result):
                return result
        raise ValueError("could not generalise a shape clear of sensitive sites")  # pragma: no cover

    def _clear(self, geometry: Polygon | MultiPolygon) -> bool:
        if not self._sensitive_m:
            return True
        vertices = shapely.points(shapely.get_coordinates(self._to_m(geometry)))
        return all(shapely.distance(vertices, site).min() > SENSITIVE_CLEARANCE_M for site in self._sensitive_m)

    def _snap(self, shape_m: BaseGeometry) -> Polygon | MultiPolygon:
        snapped = shapely.set_precision(self._to_deg(shape_m), GRID_DEG)
        snapped = shapely.make_valid(snapped)
        polygons = [g for g in getattr(snapped, "geoms", [snapped]) if isinstance(g, Polygon) and not g.is_empty]
        if not polygons:  # pragma: no cover - a band a kilometre wide never collapses on a 100 m grid
            raise ValueError("generalised geometry collapsed; the grid is too coarse for this shape")
        oriented = [orient(p, sign=1.0) for p in polygons]  # RFC 7946: exterior rings counter-clockwise
        return oriented[0] if len(oriented) == 1 else MultiPolygon(oriented)

    # public shapes --------------------------------------------------------------------------------
    def zone(self, zone: Zone) -> Polygon | MultiPolygon:
        """The zone's outline for the public: grown, simplified, snapped; holes removed (CAP has none)."""
        exact = self._to_m(shape(zone.geometry.model_dump()))
        shells = [Polygon(p.exterior) for p in getattr(exact, "geoms", [exact])]
        return self._finish(unary_union(shells), ZONE_SIMPLIFY_M, grow_m=ZONE_MARGIN_M)

    def public_point(self, place: Place) -> Point | None:
        """Where the public may see ``place``: its position rounded to about a kilometre, or its zone's
        representative point when it is sensitive (``None`` when it has no zone)."""
        if place.sensitive:
            return self._zone_anchor(place)
        return Point(round(place.geometry.lon, 2), round(place.geometry.lat, 2))

    def _zone_anchor(self, place: Place) -> Point | None:
        if place.zone is None or place.zone not in self._zones:
            return None
        anchor = shape(self._zones[place.zone].geometry.model_dump()).representative_point()
        return Point(round(anchor.x, 2), round(anchor.y, 2))

    def _corridor_point(self, place_id: str) -> Point | None:
        place = self._places[place_id]
        if place.sensitive:
            return self._zone_anchor(place)
        return Point(place.geometry.lon, place.geometry.lat)

    def corridor(self, roads: Iterable[Road]) -> Polygon | MultiPolygon | None:
        """A coarse band around these roads (``None`` when nothing public remains of them)."""
        lines = []
        for road in roads:
            a, b = self._corridor_point(road.from_), self._corridor_point(road.to)
            if a is None or b is None or a.equals(b):
                continue
            lines.append(LineString([a, b]))
        if not lines:
            return None
        band = unary_union([self._to_m(line) for line in lines]).buffer(CORRIDOR_HALF_WIDTH_M, quad_segs=4)
        return self._finish(band, CORRIDOR_HALF_WIDTH_M / 4)

    def route(self, place_ids: list[str]) -> Polygon | MultiPolygon | None:
        """A coarse band along a route given as places in order. A sensitive place with no public
        anchor (no zone) is passed over: the band joins its public neighbours directly, so the route
        stays on the map without showing where that place is."""
        public = [p for p in place_ids if self._corridor_point(p) is not None]
        roads = [_Segment(a, b) for a, b in zip(public, public[1:])]
        return self.corridor(roads)  # type: ignore[arg-type]

    def place_label(self, place_id: str) -> str:
        """A name the public may read: sensitive places become 'a site in <zone>'."""
        place = self._places.get(place_id)
        if place is None:
            return place_id
        if place.sensitive:
            zone = self._zones.get(place.zone or "")
            return f"a site in {zone.name}" if zone else "a site"
        return place.name


class _Segment:
    """Duck-typed road (from, to) for routes given as place sequences."""

    def __init__(self, from_: str, to: str) -> None:
        self.from_ = from_
        self.to = to


def rings_of(geometry: Polygon | MultiPolygon) -> list[list[tuple[float, float]]]:
    """The exterior ring of each polygon, as (lon, lat) positions, closed."""
    polygons = geometry.geoms if isinstance(geometry, MultiPolygon) else [geometry]
    return [[(float(x), float(y)) for x, y in p.exterior.coords] for p in polygons]
