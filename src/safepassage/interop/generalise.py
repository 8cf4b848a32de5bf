"""What the public may see of a scenario: the one redaction rule, applied in one place.

The rule is about data marked ``sensitive: true`` (places: shelters, checkpoints, warehouses):

1. **No position near a sensitive site.** No coordinate in any public output — a point, a polygon
   vertex, a number in prose — lies within ``SENSITIVE_CLEARANCE_M`` (2 km) of a sensitive site.
   Shapes that come that close are joined with the block of ``BLOCK_DEG`` grid cells around the site
   (every boundary point of such a block is more than 2 km from the site, and the block is coarse
   enough not to point at it); a non-sensitive place that close has no public position; a text that
   gives both a latitude and a longitude within 2 km of a site has them withheld (``text``).
2. **No name of a sensitive site.** A sensitive place is "a site in <zone>" (Arabic "موقع في <zone>"),
   a road touching one is called by its way name only (the name up to its first comma), and ``text``
   replaces their full names and ids wherever they appear.

Everything else is public: a town's coordinates, "USD 1.25M", the name of a crossing. Other
generalisation (not redaction) also lives here, so that every public output draws the same shapes:

- a zone outline is simplified to ``ZONE_SIMPLIFY_M``, grown by ``ZONE_MARGIN_M`` and snapped to a
  ``GRID_DEG`` grid, so no vertex sits on a surveyed point;
- the **area of operation** is the union of the public zone outlines; public areas are clipped to it
  (``clip``), so an alert never covers a neighbouring country;
- a corridor is a band ``CORRIDOR_HALF_WIDTH_M`` either side of the straight lines between its public
  places; a sensitive place on it is passed over (the band joins its neighbours directly);
- a place position is rounded to ``PLACE_ROUND_DEG`` (about a kilometre).

Distances are worked in metres on a local equirectangular projection centred on the scenario, which is
accurate to well under a percent over an area the size of a governorate.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable
from functools import cached_property
from typing import Literal

import numpy as np
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box, shape
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient
from shapely.ops import unary_union

from safepassage.scenario.model import Place, Road, Scenario, Zone

__all__ = [
    "BLOCK_DEG",
    "CORRIDOR_HALF_WIDTH_M",
    "GRID_DEG",
    "PLACE_ROUND_DEG",
    "SENSITIVE_CLEARANCE_M",
    "ZONE_MARGIN_M",
    "ZONE_SIMPLIFY_M",
    "Generaliser",
    "Language",
    "polygons_of",
    "rings_of",
]

Language = Literal["en", "ar"]
ZONE_MARGIN_M = 500.0
ZONE_SIMPLIFY_M = 300.0
SENSITIVE_CLEARANCE_M = 2000.0
_BLOCK_REACH_M = SENSITIVE_CLEARANCE_M + 300.0  # margin for the grid snap after set operations
BLOCK_DEG = 0.02
CORRIDOR_HALF_WIDTH_M = 1000.0
GRID_DEG = 0.001
PLACE_ROUND_DEG = 0.01
_M_PER_DEG = 111_320.0
WITHHELD = "[position withheld]"
_SITE = {"en": "a site", "ar": "موقع"}
_SITE_IN = {"en": "a site in {zone}", "ar": "موقع في {zone}"}
# A decimal-degree number (two or more decimals), optionally a range "34.40-34.42", with a hemisphere.
_DECIMAL = re.compile(r"(?<![\d.])(\d{1,3}\.\d{2,})(?:\s*[-–]\s*(\d{1,3}\.\d{2,}))?(?:\s*°)?(?:\s*[NSEW](?![a-zA-Z]))?(?![\w%])")
# Degrees and minutes (and seconds): 31°27'N, 31° 27′ 10″ N.
_DMS = re.compile(r"(\d{1,3})\s*°\s*(\d{1,2})\s*['′]\s*(?:(\d{1,2}(?:\.\d+)?)\s*[\"″]\s*)?[NSEW]?")


class Generaliser:
    """Public geometry, names and text for one scenario (see the module docstring for the rule)."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        lats = [p.geometry.lat for p in scenario.places]
        self._cos = math.cos(math.radians(sum(lats) / len(lats)))
        self._places = {p.id: p for p in scenario.places}
        self._zones = {z.id: z for z in scenario.zones}
        self.sensitive = [p for p in scenario.places if p.sensitive]
        self._sensitive_m = [self._to_m(Point(p.geometry.coordinates)) for p in self.sensitive]

    # projection -----------------------------------------------------------------------------------
    def _to_m(self, geometry: BaseGeometry) -> BaseGeometry:
        scale = np.array([_M_PER_DEG * self._cos, _M_PER_DEG])
        return shapely.transform(geometry, lambda xy: xy * scale)

    def _to_deg(self, geometry: BaseGeometry) -> BaseGeometry:
        scale = np.array([_M_PER_DEG * self._cos, _M_PER_DEG])
        return shapely.transform(geometry, lambda xy: xy / scale)

    def distance_to_sensitive_m(self, lon: float, lat: float) -> float:
        """Metres from (lon, lat) to the nearest sensitive site (infinity when there is none)."""
        point = self._to_m(Point(lon, lat))
        return min((point.distance(site) for site in self._sensitive_m), default=math.inf)

    # the clearance rule ---------------------------------------------------------------------------
    def _block(self, site: Place) -> Polygon | MultiPolygon:
        """The ``BLOCK_DEG`` grid cells within reach of a site: all its boundary lies > 2 km from it."""
        lon0 = math.floor(site.geometry.lon / BLOCK_DEG)
        lat0 = math.floor(site.geometry.lat / BLOCK_DEG)
        site_m = self._to_m(Point(site.geometry.coordinates))
        cells = []
        for i in range(lon0 - 3, lon0 + 4):
            for j in range(lat0 - 3, lat0 + 4):
                cell = box(i * BLOCK_DEG, j * BLOCK_DEG, (i + 1) * BLOCK_DEG, (j + 1) * BLOCK_DEG)
                if self._to_m(cell).distance(site_m) <= _BLOCK_REACH_M:
                    cells.append(cell)
        return shapely.set_precision(unary_union(cells), GRID_DEG)

    @cached_property
    def _blocks(self) -> list[tuple[BaseGeometry, BaseGeometry]]:
        return [(site_m, self._block(site)) for site, site_m in zip(self.sensitive, self._sensitive_m)]

    def _cleared(self, geometry: BaseGeometry) -> BaseGeometry:
        """``geometry`` (degrees) joined with the block of every site its boundary comes near."""
        boundary_m = self._to_m(geometry.boundary)
        blocks = [block for site_m, block in self._blocks if boundary_m.distance(site_m) <= _BLOCK_REACH_M]
        return unary_union([geometry, *blocks]) if blocks else geometry

    def is_clear(self, geometry: BaseGeometry) -> bool:
        """True when no vertex of ``geometry`` (degrees) lies within 2 km of a sensitive site."""
        if not self._sensitive_m or geometry.is_empty:
            return True
        vertices = shapely.points(shapely.get_coordinates(self._to_m(geometry)))
        return all(shapely.distance(vertices, site).min() > SENSITIVE_CLEARANCE_M for site in self._sensitive_m)

    def _finish(self, geometry_deg: BaseGeometry) -> Polygon | MultiPolygon:
        """Cleared of sensitive sites, snapped to the grid, valid, outer rings only, oriented (RFC 7946)."""
        for _ in range(3):
            snapped = _polygonal(shapely.make_valid(shapely.set_precision(self._cleared(geometry_deg), GRID_DEG)))
            if self.is_clear(snapped):
                return snapped
            geometry_deg = snapped
        raise ValueError("could not generalise a shape clear of sensitive sites")  # pragma: no cover - blocks are grid-exact

    # public shapes --------------------------------------------------------------------------------
    def zone(self, zone: Zone) -> Polygon | MultiPolygon:
        """The zone's outline for the public: simplified, grown, snapped, cleared; holes removed (CAP has none)."""
        exact = self._to_m(shape(zone.geometry.model_dump()))
        shells = unary_union([Polygon(p.exterior) for p in getattr(exact, "geoms", [exact])])
        grown = shells.simplify(ZONE_SIMPLIFY_M, preserve_topology=True).buffer(ZONE_MARGIN_M, join_style="mitre", mitre_limit=2.0)
        return self._finish(self._to_deg(grown))

    @cached_property
    def area_of_operation(self) -> Polygon | MultiPolygon:
        """Where public areas may lie: the union of the public zone outlines (all zones when none are given: the places' hull)."""
        if self.scenario.zones:
            return self._finish(unary_union([self.zone(z) for z in self.scenario.zones]))
        hull = self._to_m(unary_union([Point(p.geometry.coordinates) for p in self.scenario.places]).convex_hull)
        return self._finish(self._to_deg(hull.buffer(CORRIDOR_HALF_WIDTH_M)))

    def clip(self, geometry: BaseGeometry) -> Polygon | MultiPolygon | None:
        """``geometry`` inside the area of operation, finished; ``None`` when nothing of it is inside.
        Overlay operations run on the ``GRID_DEG`` grid, so results stay on it and never overlap."""
        inside = _polygonal(shapely.intersection(geometry, self.area_of_operation, grid_size=GRID_DEG), allow_empty=True)
        if inside.is_empty or inside.area < GRID_DEG * GRID_DEG:
            return None
        finished = self._finish(inside)
        # Clearing may add a block beyond the edge; the area of operation holds the same blocks, so clip once more.
        final = _polygonal(shapely.intersection(finished, self.area_of_operation, grid_size=GRID_DEG), allow_empty=True)
        return None if final.is_empty else final

    def without(self, geometry: BaseGeometry, taken: BaseGeometry | None) -> Polygon | MultiPolygon | None:
        """``geometry`` less what ``taken`` already covers (areas of one alert must not overlap)."""
        if taken is None or taken.is_empty:
            return _polygonal(geometry, allow_empty=True) or None
        rest = _polygonal(shapely.difference(geometry, taken, grid_size=GRID_DEG), allow_empty=True, keep_holes=True)
        pieces = [p for p in polygons_of(rest) if p.area >= 4 * GRID_DEG * GRID_DEG] if not rest.is_empty else []
        if not pieces:
            return None
        return pieces[0] if len(pieces) == 1 else MultiPolygon(pieces)

    def public_point(self, place: Place) -> Point | None:
        """Where the public may see ``place``: its position rounded to about a kilometre, or ``None`` when
        it is sensitive or within 2 km of a sensitive site."""
        if place.sensitive:
            return None
        point = Point(round(place.geometry.lon, 2), round(place.geometry.lat, 2))
        if min(self.distance_to_sensitive_m(place.geometry.lon, place.geometry.lat), self.distance_to_sensitive_m(point.x, point.y)) <= SENSITIVE_CLEARANCE_M:
            return None
        return point

    def corridor(self, roads: Iterable[Road]) -> Polygon | MultiPolygon | None:
        """A coarse band around these roads, clipped to the area of operation (``None`` when nothing
        public remains). A sensitive place is passed over: its public neighbours on these roads are
        joined directly."""
        roads = list(roads)
        neighbours: dict[str, set[str]] = {}
        lines = []
        for road in roads:
            a, b = road.from_, road.to
            if self._places[a].sensitive or self._places[b].sensitive:
                for hidden, other in ((a, b), (b, a)):
                    if self._places[hidden].sensitive and not self._places[other].sensitive:
                        neighbours.setdefault(hidden, set()).add(other)
                continue
            lines.append((a, b))
        for around in neighbours.values():
            ordered = sorted(around)
            lines += [(x, y) for i, x in enumerate(ordered) for y in ordered[i + 1:]]
        geometries = [LineString([self._places[a].geometry.coordinates, self._places[b].geometry.coordinates]) for a, b in lines if a != b]
        if not geometries:
            return None
        band_m = unary_union([self._to_m(line) for line in geometries]).buffer(CORRIDOR_HALF_WIDTH_M, quad_segs=4)
        band_m = band_m.simplify(CORRIDOR_HALF_WIDTH_M / 4, preserve_topology=True)
        return self.clip(self._to_deg(band_m))

    def route(self, place_ids: list[str]) -> Polygon | MultiPolygon | None:
        """A coarse band along a route given as places in order (sensitive places passed over)."""
        public = [p for p in place_ids if not self._places[p].sensitive]
        return self.corridor([_Segment(a, b) for a, b in itertools.pairwise(public)])  # type: ignore[misc]

    # names ----------------------------------------------------------------------------------------
    def zone_name(self, zone_id: str, language: Language = "en") -> str:
        """The zone's name in ``language`` (English when it has no Arabic name)."""
        zone = self._zones[zone_id]
        return (zone.name_ar or zone.name) if language == "ar" else zone.name

    def place_label(self, place_id: str, language: Language = "en") -> str:
        """A name the public may read: sensitive places become 'a site in <zone>' (or 'a site')."""
        place = self._places.get(place_id)
        if place is None:
            return place_id
        if place.sensitive:
            if place.zone in self._zones:
                return _SITE_IN[language].format(zone=self.zone_name(place.zone, language))  # type: ignore[arg-type]
            return _SITE[language]
        return (place.name_ar or place.name) if language == "ar" else place.name

    def touches_sensitive(self, road: Road) -> bool:
        return self._places[road.from_].sensitive or self._places[road.to].sensitive

    def road_label(self, road: Road, language: Language = "en") -> str:
        """A road's public name; a road touching a sensitive site is called by its way name (before the first comma)."""
        name = (road.name_ar or road.name or road.id) if language == "ar" else (road.name or road.id)
        if self.touches_sensitive(road):
            way = re.split(r"[,،]", name, maxsplit=1)[0].strip()
            if way != name.strip():
                return way
            return " - ".join(self.place_label(end, language) for end in (road.from_, road.to))
        return name

    # text -----------------------------------------------------------------------------------------
    @cached_property
    def _name_rules(self) -> list[tuple[re.Pattern[str], str]]:
        rules: list[tuple[str, str]] = []
        for place in self.sensitive:
            for language in ("en", "ar"):
                name = place.name if language == "en" else place.name_ar
                if name:
                    rules.append((name, self.place_label(place.id, language)))  # type: ignore[arg-type]
            rules.append((place.id, self.place_label(place.id)))
        for road in self.scenario.roads:
            if self.touches_sensitive(road):
                for language in ("en", "ar"):
                    name = road.name if language == "en" else road.name_ar
                    if name:
                        rules.append((name, self.road_label(road, language)))  # type: ignore[arg-type]
        rules.sort(key=lambda rule: -len(rule[0]))  # longest first: a road name holding a place name goes whole
        return [(re.compile(r"(?<![\w-])" + re.escape(name) + r"(?![\w-])", re.IGNORECASE), label) for name, label in rules]

    def _is_near(self, lat_values: list[float], lon_values: list[float]) -> bool:
        """True when some (lat, lon) of these values lies within reach of a sensitive site."""
        dlat = _BLOCK_REACH_M / _M_PER_DEG
        dlon = _BLOCK_REACH_M / (_M_PER_DEG * self._cos)
        return any(
            any(abs(a - site.geometry.lat) <= dlat for a in lat_values) and any(abs(o - site.geometry.lon) <= dlon for o in lon_values)
            for site in self.sensitive
        )

    def text(self, value: str) -> str:
        """``value`` as the public may read it: sensitive names replaced by their public labels, and a
        position (two neighbouring numbers in the text, latitude and longitude in either order, in
        decimal degrees or degrees-minutes-seconds) within 2 km of a sensitive site withheld.
        Everything else is left as it was."""
        if not value or not self.sensitive:
            return value
        for pattern, label in self._name_rules:
            value = pattern.sub(label, value)
        found: list[tuple[tuple[int, int], list[float]]] = []
        for match in _DECIMAL.finditer(value):
            found.append((match.span(), [float(g) for g in match.groups() if g]))
        for match in _DMS.finditer(value):
            degrees, minutes, seconds = match.group(1), match.group(2), match.group(3)
            found.append((match.span(), [int(degrees) + int(minutes) / 60 + float(seconds or 0) / 3600]))
        found.sort()
        spans: set[tuple[int, int]] = set()
        for (span_a, a), (span_b, b) in itertools.pairwise(found):
            if self._is_near(a, b) or self._is_near(b, a):
                spans |= {span_a, span_b}
        for start, end in sorted(spans, reverse=True):
            value = value[:start] + WITHHELD + value[end:]
        return value


class _Segment:
    """Duck-typed road (from, to) for routes given as place sequences."""

    def __init__(self, from_: str, to: str) -> None:
        self.from_ = from_
        self.to = to


def _polygonal(geometry: BaseGeometry, allow_empty: bool = False, keep_holes: bool = False) -> Polygon | MultiPolygon:
    """The polygons of ``geometry`` (outer rings only unless ``keep_holes``, counter-clockwise), as one Polygon or MultiPolygon."""
    parts = [g for g in getattr(geometry, "geoms", [geometry]) if isinstance(g, (Polygon, MultiPolygon)) and not g.is_empty]
    polygons = [Polygon(p.exterior) for part in parts for p in getattr(part, "geoms", [part])]
    if not polygons:
        if allow_empty:
            return Polygon()
        raise ValueError("generalised geometry collapsed; the grid is too coarse for this shape")  # pragma: no cover
    if keep_holes:
        polygons = [p for part in parts for p in getattr(part, "geoms", [part])]
    merged = shapely.union_all(polygons, grid_size=GRID_DEG)
    oriented = [orient(p if keep_holes else Polygon(p.exterior), sign=1.0) for p in getattr(merged, "geoms", [merged])
                if isinstance(p, Polygon) and not p.is_empty]
    return oriented[0] if len(oriented) == 1 else MultiPolygon(oriented)


def polygons_of(geometry: Polygon | MultiPolygon) -> list[Polygon]:
    return list(geometry.geoms) if isinstance(geometry, MultiPolygon) else [geometry]


def rings_of(geometry: Polygon | MultiPolygon) -> list[list[tuple[float, float]]]:
    """The exterior ring of each polygon, as (lon, lat) positions, closed."""
    return [[(float(x), float(y)) for x, y in p.exterior.coords] for p in polygons_of(geometry)]
