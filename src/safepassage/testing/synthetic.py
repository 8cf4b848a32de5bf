"""Random but valid scenarios of any size, for benchmarks and property-based tests.

``synthetic_scenario(n_places, days, seed)`` lays out a rectangular area cut into a grid of square
zones, scatters places in it and joins them into a connected road network (a Euclidean minimum
spanning tree plus the shortest nearest-neighbour roads, about ``roads_per_place`` roads per place).
Aid waits in warehouses outside the area and enters through inspection points and crossings with
opening hours and throughputs. Some zones are dangerous: roads entering them need a pause, and people
in a few of them want to leave for the safe zones. The proposals are no pause, a daily window over the
dangerous zones, and a ceasefire everywhere.

The same ``(n_places, days, seed, slot_minutes, options)`` always gives the same scenario, and every
scenario validates and plans (every stock sits where it may wait, every limit is an upper bound, so
doing nothing is always feasible).

>>> from safepassage.testing.synthetic import synthetic_scenario
>>> scenario = synthetic_scenario(40, days=2, seed=7)
>>> len(scenario.places), [p.id for p in scenario.proposals]
(40, ['none', 'daily-windows', 'ceasefire'])
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from safepassage.errors import ScenarioError
from safepassage.scenario.checks import reference_problems
from safepassage.scenario.model import WEEKDAYS, Scenario, minutes_of

__all__ = ["SyntheticOptions", "SyntheticCommodity", "DEFAULT_COMMODITIES", "synthetic_scenario", "synthetic_scenario_data"]

KM_PER_DEGREE_LAT = 111.32


@dataclass(frozen=True)
class SyntheticCommodity:
    """A commodity of the generated scenarios, with the daily need per person in its own unit."""

    id: str
    name: str
    unit: str
    truck_payload: float
    need_per_person_per_day: float
    tonnes_per_unit: float = 1.0
    priority: float = 1.0
    restricted: bool = False


DEFAULT_COMMODITIES: tuple[SyntheticCommodity, ...] = (
    SyntheticCommodity("food", "Food parcels", "t", 20.0, 0.0006, 1.0, 1.0),
    SyntheticCommodity("water", "Drinking water", "m3", 25.0, 0.003, 1.0, 1.2),
    SyntheticCommodity("fuel", "Fuel", "m3", 35.0, 0.0005, 0.85, 0.8, restricted=True),
    SyntheticCommodity("medical", "Medical supplies", "pallet", 26.0, 0.0002, 0.5, 1.5),
)


@dataclass(frozen=True)
class SyntheticOptions:
    """Everything about a generated scenario besides its size, length, seed and slot length.

    ``None`` means "derived from the number of places". Counts of outside places (warehouses,
    inspection points, crossings) come out of ``n_places``; the rest are places inside the area.
    """

    # Time
    start: dt.datetime = dt.datetime(2024, 1, 1)
    timezone: str = "UTC"
    coarse_after_hours: float | None = None
    coarse_slot_minutes: int | None = None
    fine_margin_hours: float | None = None
    # Geography
    origin_lon_lat: tuple[float, float] = (34.2, 31.2)  # south-west corner of the area
    km2_per_place: float = 0.75
    aspect: float = 2.0  # width / height of the area
    roads_per_place: float = 1.5
    detour_factor: tuple[float, float] = (1.1, 1.4)  # road length / straight-line distance
    zone_grid: tuple[int, int] | None = None  # (columns, rows); default ≈ one zone per 12 inner places
    # Places
    crossings: int | None = None
    closed_crossings: int | None = None  # closed unless a proposal opens them (the ceasefire does)
    inspection_points: int | None = None
    warehouses: int | None = None
    distribution_point_share: float = 0.25
    checkpoint_share: float = 0.06
    shelter_share: float = 0.10
    crossing_trucks_per_hour: tuple[float, float] = (8.0, 25.0)
    crossing_open_hours: tuple[float, float] = (8.0, 11.0)
    inspection_trucks_per_hour: tuple[float, float] = (10.0, 30.0)
    checkpoint_trucks_per_hour: tuple[float, float] = (10.0, 30.0)
    checkpoint_people_per_hour: tuple[float, float] = (300.0, 1500.0)
    # Roads
    truck_speed_kmh: tuple[float, float] = (15.0, 40.0)
    outside_truck_speed_kmh: float = 50.0
    walking_speed_kmh: float = 4.0
    limited_road_share: float = 0.3  # inner roads with a truck and pedestrian capacity
    road_trucks_per_hour: tuple[float, float] = (20.0, 80.0)
    road_people_per_hour: tuple[float, float] = (500.0, 4000.0)
    # People, danger and needs
    population_per_zone: tuple[float, float] = (30_000.0, 250_000.0)
    danger_zone_share: float = 0.3
    evacuating_zones: int = 3
    wants_to_leave_share: tuple[float, float] = (0.05, 0.25)
    commodities: tuple[SyntheticCommodity, ...] = DEFAULT_COMMODITIES[:3]
    # Aid and limits
    supply_share: float = 0.6  # stock as a share of the whole horizon's need
    replenish: bool = True  # a second lot of stock half-way through horizons of two days or more
    quota_share: float = 0.6  # policy daily quota as a share of the crossings' daily capacity
    quota_trucks_per_day: float | None = None
    fleet_trucks: int | None = None
    max_convoy_trucks: int = 20
    # Proposals
    proposals: tuple[str, ...] = ("none", "daily-windows", "ceasefire")
    window_start_hour: float = 10.0
    window_hours: float = 4.0
    pause_quota_factor: float = 1.5  # quota during a proposal's days, relative to the policy's
    ceasefire_quota_factor: float = 2.0


_PROPOSALS = ("none", "daily-windows", "ceasefire")


def synthetic_scenario(n_places: int, days: float, seed: int, slot_minutes: int = 15, **options: Any) -> Scenario:
    """A valid random scenario with ``n_places`` places over ``days`` days, the same for the same seed.

    ``options`` are fields of ``SyntheticOptions`` (e.g. ``danger_zone_share=0.5``,
    ``coarse_after_hours=24, coarse_slot_minutes=60``). Raises ``ValueError`` naming a bad argument,
    and ``ScenarioError`` if the generated data failed validation (a bug: please report the seed).
    """
    data = synthetic_scenario_data(n_places, days, seed, slot_minutes, **options)
    problems = reference_problems(data)
    if problems:
        raise ScenarioError(problems, source=f"synthetic(n_places={n_places}, days={days}, seed={seed})")
    return Scenario.model_validate(data)


def synthetic_scenario_data(n_places: int, days: float, seed: int, slot_minutes: int = 15, **options: Any) -> dict[str, Any]:
    """The raw scenario mapping (as read from YAML) behind ``synthetic_scenario``."""
    opts = _options(options)
    if not isinstance(n_places, int) or n_places < 3:
        raise ValueError(f"n_places must be a whole number >= 3 (a warehouse, a crossing and a distribution point), got {n_places!r}")
    if not 0 < days <= 60:
        raise ValueError(f"days must be in (0, 60], got {days!r}")
    if not isinstance(slot_minutes, int) or not 1 <= slot_minutes <= 1440:
        raise ValueError(f"slot_minutes must be a whole number of minutes in [1, 1440], got {slot_minutes!r}")
    if not any(c.restricted for c in opts.commodities):
        raise ValueError("commodities must include a restricted one (restricted=True), e.g. fuel")
    unknown = [p for p in opts.proposals if p not in _PROPOSALS]
    if unknown or not opts.proposals:
        raise ValueError(f"proposals must be a non-empty selection of {', '.join(_PROPOSALS)}; got {list(opts.proposals)}")
    return _Generator(n_places, float(days), seed, slot_minutes, opts).data()


def _options(options: dict[str, Any]) -> SyntheticOptions:
    names = {f.name for f in dataclasses.fields(SyntheticOptions)}
    unknown = sorted(set(options) - names)
    if unknown:
        raise ValueError(f"unknown option(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}")
    return SyntheticOptions(**options)


def _clamp(value: float, low: int, high: int) -> int:
    return int(max(low, min(high, value)))


class _Generator:
    """One scenario's worth of random choices; coordinates in km from the area's south-west corner."""

    def __init__(self, n_places: int, days: float, seed: int, slot_minutes: int, opts: SyntheticOptions) -> None:
        self.n, self.days, self.seed, self.slot_minutes, self.opts = n_places, days, seed, slot_minutes, opts
        self.rng = np.random.default_rng(seed)
        self.places: list[dict[str, Any]] = []
        self.xy: list[tuple[float, float]] = []
        self.roads: list[dict[str, Any]] = []
        self.road_pairs: set[tuple[int, int]] = set()

    # -- layout ---------------------------------------------------------------------------------
    def _counts(self) -> tuple[int, int, int, int]:
        o, n = self.opts, self.n
        crossings = o.crossings if o.crossings is not None else _clamp(round(n / 60), 1, 6)
        warehouses = o.warehouses if o.warehouses is not None else _clamp(round(n / 60), 1, 6)
        inspection = o.inspection_points if o.inspection_points is not None else _clamp(round(n / 100), 0, 4)
        crossings, warehouses, inspection = max(crossings, 1), max(warehouses, 1), max(inspection, 0)
        # Shrink the outside so that at least one place (the distribution point) lies inside.
        while crossings + warehouses + inspection > n - 1:
            if inspection:
                inspection -= 1
            elif warehouses > 1:
                warehouses -= 1
            elif crossings > 1:
                crossings -= 1
        return warehouses, inspection, crossings, n - warehouses - inspection - crossings

    def _to_lon_lat(self, x_km: float, y_km: float) -> list[float]:
        lon0, lat0 = self.opts.origin_lon_lat
        lat = lat0 + y_km / KM_PER_DEGREE_LAT
        lon = lon0 + x_km / (KM_PER_DEGREE_LAT * math.cos(math.radians(lat0)))
        return [round(lon, 6), round(lat, 6)]

    def _add_place(self, ident: str, name: str, kind: str, x: float, y: float, **fields: Any) -> int:
        place = {"id": ident, "name": name, "kind": kind, "geometry": {"type": "Point", "coordinates": self._to_lon_lat(x, y)}}
        place.update({k: v for k, v in fields.items() if v is not None})
        self.places.append(place)
        self.xy.append((x, y))
        return len(self.places) - 1

    def _uniform(self, bounds: tuple[float, float]) -> float:
        return round(float(self.rng.uniform(*bounds)), 1)

    def _add_road(self, a: int, b: int, inside: bool, limited: bool = False, walkable: bool = True) -> None:
        key = (min(a, b), max(a, b))
        if a == b or key in self.road_pairs:
            return
        self.road_pairs.add(key)
        o = self.opts
        (xa, ya), (xb, yb) = self.xy[a], self.xy[b]
        straight = math.hypot(xa - xb, ya - yb)
        length = max(0.2, straight * float(self.rng.uniform(*o.detour_factor)))
        road: dict[str, Any] = {
            "id": f"r{len(self.roads) + 1:04d}",
            "from": self.places[a]["id"],
            "to": self.places[b]["id"],
            "length_km": round(length, 2),
            "truck_speed_kmh": self._uniform(o.truck_speed_kmh) if inside else o.outside_truck_speed_kmh,
        }
        if inside and walkable:
            road["walking_speed_kmh"] = o.walking_speed_kmh
        if limited:
            road["trucks_per_hour"] = self._uniform(o.road_trucks_per_hour)
            if walkable:
                road["people_per_hour"] = float(round(self.rng.uniform(*o.road_people_per_hour), -1))
        self.roads.append(road)

    # -- the scenario ---------------------------------------------------------------------------
    def data(self) -> dict[str, Any]:
        o, rng = self.opts, self.rng
        n_warehouses, n_inspection, n_crossings, n_inside = self._counts()
        area = max(n_inside, 1) * o.km2_per_place
        width = math.sqrt(area * o.aspect)
        height = area / width
        if o.zone_grid is not None:
            cols, rows = o.zone_grid
        else:
            target = max(2, round(n_inside / 12))
            cols = max(1, round(math.sqrt(target * o.aspect)))
            rows = max(1, math.ceil(target / cols))
            if cols * rows < 2:
                cols = 2
        if cols < 1 or rows < 1:
            raise ValueError(f"zone_grid must have at least one column and one row, got {o.zone_grid}")
        zone_w, zone_h = width / cols, height / rows
        zone_ids = [f"z{r + 1}-{c + 1}" for r in range(rows) for c in range(cols)]

        def zone_of(x: float, y: float) -> int:
            c = min(int(x / zone_w), cols - 1)
            r = min(int(y / zone_h), rows - 1)
            return r * cols + c

        # Inner places: kinds first (one distribution point per zone while they last), then positions.
        n_dp = max(1, round(o.distribution_point_share * n_inside))
        n_checkpoints = round(o.checkpoint_share * n_inside)
        n_shelters = max(1 if n_inside >= 2 else 0, round(o.shelter_share * n_inside))
        n_dp = min(n_dp, n_inside)
        n_shelters = min(n_shelters, n_inside - n_dp)
        n_checkpoints = min(n_checkpoints, n_inside - n_dp - n_shelters)
        kinds = ["distribution_point"] * n_dp + ["shelter"] * n_shelters + ["checkpoint"] * n_checkpoints
        kinds += ["junction"] * (n_inside - len(kinds))
        zone_order = rng.permutation(len(zone_ids))
        inner: list[int] = []
        counters: dict[str, int] = {}
        prefixes = {"distribution_point": ("dp", "Distribution point"), "shelter": ("sh", "Shelter"), "checkpoint": ("cp", "Checkpoint"), "junction": ("j", "Junction")}
        for kind in kinds:
            j = counters.get(kind, 0)
            if kind in ("distribution_point", "shelter") and j < len(zone_ids):
                # Spread distribution points (from the front of a random zone order) and shelters (from
                # its back) over distinct zones, so that small scenarios have both aid and refuge.
                z = int(zone_order[j] if kind == "distribution_point" else zone_order[-1 - j])
                x = (z % cols + rng.uniform(0.1, 0.9)) * zone_w
                y = (z // cols + rng.uniform(0.1, 0.9)) * zone_h
            else:
                x, y = rng.uniform(0, width), rng.uniform(0, height)
            counters[kind] = j + 1
            prefix, label = prefixes[kind]
            fields: dict[str, Any] = {"zone": zone_ids[zone_of(x, y)]}
            if kind == "checkpoint":
                fields["trucks_per_hour"] = self._uniform(o.checkpoint_trucks_per_hour)
                fields["people_per_hour"] = float(round(rng.uniform(*o.checkpoint_people_per_hour), -1))
            inner.append(self._add_place(f"{prefix}-{counters[kind]}", f"{label} {counters[kind]}", kind, float(x), float(y), **fields))

        # Outside: crossings just west of the area, inspection points and warehouses further west.
        crossing_y = np.sort(rng.uniform(0.05, 0.95, n_crossings)) * height
        n_closed = o.closed_crossings if o.closed_crossings is not None else (1 if n_crossings >= 3 else 0)
        n_closed = min(n_closed, n_crossings - 1)
        crossings = []
        for c in range(n_crossings):
            open_hour = int(rng.integers(6, 10))
            hours = int(round(rng.uniform(*o.crossing_open_hours)))
            weekdays = [d for d in WEEKDAYS if not (c % 2 == 1 and d == "sat")]  # some crossings close one day a week
            crossings.append(self._add_place(
                f"xing-{c + 1}", f"Crossing {c + 1}", "crossing", -0.5, float(crossing_y[c]),
                trucks_per_hour=self._uniform(o.crossing_trucks_per_hour),
                opening_hours=[{"open": f"{open_hour:02d}:00", "close": f"{min(open_hour + hours, 24):02d}:00", "days": weekdays}],
                closed=True if c >= n_crossings - n_closed else None,
            ))
        inspections = [
            self._add_place(
                f"insp-{i + 1}", f"Inspection point {i + 1}", "inspection", -float(rng.uniform(4, 8)), float(rng.uniform(0, height)),
                trucks_per_hour=self._uniform(o.inspection_trucks_per_hour), opening_hours=[{"open": "07:00", "close": "19:00"}],
            )
            for i in range(n_inspection)
        ]
        warehouses = [
            self._add_place(f"wh-{w + 1}", f"Warehouse {w + 1}", "warehouse", -float(rng.uniform(15, 40)), float(rng.uniform(-0.5, 1.5) * height))
            for w in range(n_warehouses)
        ]

        # Roads: outside layers (warehouses → inspection points → crossings) joined both ways by nearest.
        layers = [warehouses] + ([inspections] if inspections else []) + [crossings]
        for near, far in zip(layers, layers[1:]):
            for a in near:
                self._add_road(a, self._nearest(a, far), inside=False)
            for b in far:
                self._add_road(b, self._nearest(b, near), inside=False)
        for c in crossings:
            by_distance = self._by_distance(c, inner)
            self._add_road(c, by_distance[0], inside=True, walkable=False)
            if len(by_distance) > 1 and rng.random() < 0.5:
                self._add_road(c, by_distance[1], inside=True, walkable=False)
        self._inner_roads(inner, target=max(len(inner) - 1, round(o.roads_per_place * self.n) - len(self.roads)))

        # Zones: population, needs, danger; evacuation from dangerous zones to safe zones with places.
        place_zone = {p["id"]: p.get("zone") for p in self.places}
        zones_with_places = {z for z in place_zone.values() if z}
        n_danger = round(o.danger_zone_share * len(zone_ids))
        n_danger = min(max(n_danger, 1 if len(zone_ids) >= 2 and o.danger_zone_share > 0 else 0), len(zone_ids) - 1)
        danger = set(rng.choice(zone_ids, size=n_danger, replace=False).tolist()) if n_danger else set()
        safe_with_places = sorted(zones_with_places - danger)
        population = {z: float(round(rng.uniform(*o.population_per_zone), -2)) for z in zone_ids}
        evacuating = [z for z in zone_ids if z in danger and z in zones_with_places][: o.evacuating_zones] if safe_with_places else []
        zones = []
        for r in range(rows):
            for c in range(cols):
                z = zone_ids[r * cols + c]
                lon0, lat0 = self._to_lon_lat(c * zone_w, r * zone_h)
                lon1, lat1 = self._to_lon_lat((c + 1) * zone_w, (r + 1) * zone_h)
                zone: dict[str, Any] = {
                    "id": z,
                    "name": f"Zone {r + 1}-{c + 1}",
                    "population": population[z],
                    "geometry": {"type": "Polygon", "coordinates": [[[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]]},
                    "hazard": str(rng.choice(["high", "extreme"])) if z in danger else str(rng.choice(["low", "medium"])),
                    "needs_per_person_per_day": {k.id: k.need_per_person_per_day for k in o.commodities},
                }
                if z in evacuating:
                    zone["evacuation"] = {
                        "wants_to_leave": float(round(population[z] * rng.uniform(*o.wants_to_leave_share))),
                        "assembly_place": self._assembly_place(z),
                        "destinations": safe_with_places,
                    }
                zones.append(zone)
        for road in self.roads:
            ends = {place_zone[road["from"]], place_zone[road["to"]]}
            if len(ends) == 2 and ends & danger:  # the road enters (or leaves) a dangerous zone
                road["requires_pause"] = True

        total_need = {k.id: k.need_per_person_per_day * sum(population.values()) * self.days for k in o.commodities}
        crossing_daily = sum(self.places[c]["trucks_per_hour"] * (_open_minutes(self.places[c]["opening_hours"][0]) / 60.0) for c in crossings)
        quota = o.quota_trucks_per_day if o.quota_trucks_per_day is not None else max(1.0, round(o.quota_share * crossing_daily))
        fleet = o.fleet_trucks if o.fleet_trucks is not None else max(10, int(round(quota * 0.5)))
        restricted = [k.id for k in o.commodities if k.restricted]
        horizon: dict[str, Any] = {"start": o.start.isoformat(timespec="minutes"), "days": self.days, "slot_minutes": self.slot_minutes}
        if o.coarse_after_hours is not None:
            horizon["coarse_after_hours"] = o.coarse_after_hours
        if o.coarse_slot_minutes is not None:
            horizon["coarse_slot_minutes"] = o.coarse_slot_minutes
        if o.fine_margin_hours is not None:
            horizon["fine_margin_hours"] = o.fine_margin_hours
        name = f"synthetic-{self.n}-s{self.seed}"[:64]
        return {
            "name": name,
            "title": f"Synthetic scenario: {self.n} places, {self.days:g} days, seed {self.seed}",
            "description": "Generated by safepassage.testing.synthetic; every figure is invented.",
            "timezone": o.timezone,
            "horizon": horizon,
            "sources": {"synthetic": {"title": f"safepassage.testing.synthetic, seed {self.seed}", "confidence": "assumption"}},
            "places": self.places,
            "roads": self.roads,
            "zones": zones,
            "commodities": [
                {"id": k.id, "name": k.name, "unit": k.unit, "truck_payload": k.truck_payload, "tonnes_per_unit": k.tonnes_per_unit, "priority": k.priority}
                for k in o.commodities
            ],
            "stocks": self._stocks(warehouses, total_need),
            "fleet": {"trucks": fleet, "return_factor": 1.0, "max_convoy_trucks": o.max_convoy_trucks},
            "policy": {"restricted_commodities": restricted, "daily_quotas": [{"trucks_per_day": quota}]},
            "proposals": self._proposals(sorted(danger), restricted, quota, [self.places[c]["id"] for c in crossings if self.places[c].get("closed")]),
        }

    def _nearest(self, a: int, candidates: list[int]) -> int:
        return self._by_distance(a, candidates)[0]

    def _by_distance(self, a: int, candidates: list[int]) -> list[int]:
        xa, ya = self.xy[a]
        return sorted(candidates, key=lambda b: (math.hypot(self.xy[b][0] - xa, self.xy[b][1] - ya), b))

    def _inner_roads(self, inner: list[int], target: int) -> None:
        """A minimum spanning tree (connected) plus the shortest k-nearest-neighbour roads up to ``target``."""
        from scipy.sparse.csgraph import minimum_spanning_tree
        from scipy.spatial import cKDTree

        if len(inner) < 2:
            return
        pts = np.array([self.xy[i] for i in inner])
        k = min(7, len(inner))
        tree = cKDTree(pts)
        dist, idx = tree.query(pts, k=k)
        candidates = {}
        for a in range(len(inner)):
            for d, b in zip(dist[a, 1:], idx[a, 1:]):
                candidates[(min(a, int(b)), max(a, int(b)))] = float(d)
        # The spanning tree on the full distance graph keeps the network connected.
        full = np.hypot(pts[:, None, 0] - pts[None, :, 0], pts[:, None, 1] - pts[None, :, 1]) + 1e-9
        np.fill_diagonal(full, 0.0)
        mst = minimum_spanning_tree(full).tocoo()
        chosen = [(min(int(a), int(b)), max(int(a), int(b))) for a, b in zip(mst.row, mst.col)]
        chosen_set = set(chosen)
        for pair, _ in sorted(candidates.items(), key=lambda item: (item[1], item[0])):
            if len(chosen) >= target:
                break
            if pair not in chosen_set:
                chosen.append(pair)
                chosen_set.add(pair)
        for a, b in sorted(chosen):
            self._add_road(inner[a], inner[b], inside=True, limited=bool(self.rng.random() < self.opts.limited_road_share))

    def _assembly_place(self, zone_id: str) -> str:
        in_zone = [p for p in self.places if p.get("zone") == zone_id]
        for kind in ("shelter", "distribution_point", "junction", "checkpoint"):
            for place in in_zone:
                if place["kind"] == kind:
                    return place["id"]
        raise AssertionError("evacuating zones are chosen among zones with places")

    def _stocks(self, warehouses: list[int], total_need: dict[str, float]) -> list[dict[str, Any]]:
        o, rng = self.opts, self.rng
        stocks = []
        lots = 2 if o.replenish and self.days >= 2 else 1
        halfway = o.start + dt.timedelta(hours=round(self.days * 12))
        for k in o.commodities:
            holders = warehouses[:1] if k.restricted else warehouses
            shares = rng.dirichlet(np.ones(len(holders)))
            for w, share in zip(holders, shares):
                # Whole truckloads, at least one per lot: a fraction of a truck could not be planned.
                loads = max(1, round(o.supply_share * total_need[k.id] * float(share) / lots / k.truck_payload))
                for lot in range(lots):
                    quantity = loads * k.truck_payload
                    stock: dict[str, Any] = {"place": self.places[w]["id"], "commodity": k.id, "quantity": quantity}
                    if lot:
                        stock["available_from"] = halfway.isoformat(timespec="minutes")
                    stocks.append(stock)
        return stocks

    def _proposals(self, danger: list[str], restricted: list[str], quota: float, closed: list[str]) -> list[dict[str, Any]]:
        o = self.opts
        out = []
        for kind in o.proposals:
            if kind == "none":
                out.append({"id": "none", "name": "No pause", "description": "Standing policy only."})
            elif kind == "daily-windows":
                first = dt.datetime.combine(o.start.date(), dt.time()) + dt.timedelta(hours=o.window_start_hour)
                window: dict[str, Any] = {
                    "start": first.isoformat(timespec="minutes"),
                    "end": (first + dt.timedelta(hours=o.window_hours)).isoformat(timespec="minutes"),
                    "repeat_days": max(1, math.ceil(self.days)),
                }
                if danger:
                    window["zones"] = danger
                else:
                    window["everywhere"] = True
                out.append({
                    "id": "daily-windows",
                    "name": f"Daily {o.window_hours:g}-hour windows",
                    "description": "A pause over the dangerous zones every day; restricted commodities admitted and quotas raised on those days.",
                    "windows": [window],
                    "notice_hours": 12.0,
                    "quotas": [{"trucks_per_day": round(quota * o.pause_quota_factor)}],
                    "admits": restricted,
                })
            elif kind == "ceasefire":
                out.append({
                    "id": "ceasefire",
                    "name": "Ceasefire",
                    "description": "A pause everywhere for the whole horizon; closed crossings open.",
                    "windows": [{
                        "start": o.start.isoformat(timespec="minutes"),
                        "end": (o.start + dt.timedelta(days=self.days)).isoformat(timespec="minutes"),
                        "everywhere": True,
                    }],
                    "notice_hours": 24.0,
                    "quotas": [{"trucks_per_day": round(quota * o.ceasefire_quota_factor)}],
                    "admits": restricted,
                    "opens": closed,
                })
        return out


def _open_minutes(hours: dict[str, Any]) -> int:
    """Open minutes per day of one ``opening_hours`` entry given as a mapping."""
    return minutes_of(hours["close"]) - minutes_of(hours["open"])
