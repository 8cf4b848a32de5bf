"""Humanitarian notification content (OCHA's Humanitarian Notification System, HNS) for a convoy
movement or a static site, drafted from a plan and checked against the scenario.

A movement notification carries what HNS asks for, and a little more: the organisation; the route as a
GeoJSON ``LineString`` whose waypoints are scenario places joined by its roads; the movement window
(earliest departure to latest arrival, UTC); the vehicles (type, plate, markings, including marks seen
at night and by thermal cameras); the staff count and the convoy leader; the cargo by commodity; a
24/7 contact; an expiry. A site notification carries the site's position, kind and validity.

The notice period is checked, never enforced: 48 hours by default, 24 hours for an emergency (both
configurable per deployment); a notification sent later is flagged ``late``.

>>> from safepassage.scenario import load_scenario
>>> from safepassage.interop.hns import route_problems
>>> route_problems(load_scenario("tests/scenarios/tiny.yaml"), [[34.0, 31.0], [34.2, 31.5]])[0][1]  # doctest: +SKIP
'no road of the scenario joins depot and dp-north ...'
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Annotated, Any, Literal

import jsonpatch
from jsonpointer import resolve_pointer
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from safepassage.scenario import Scenario

__all__ = [
    "DEFAULT_NOTICE_HOURS",
    "EMERGENCY_NOTICE_HOURS",
    "LEADER_ABOVE_VEHICLES",
    "CargoLine",
    "Contact",
    "ConvoyLeader",
    "LineString",
    "MovementContent",
    "MovementWindow",
    "SiteContent",
    "Vehicle",
    "content_diff",
    "draft_movement",
    "hxl_rows",
    "missing_fields",
    "notice_check",
    "route_problems",
    "waypoint_places",
]

DEFAULT_NOTICE_HOURS = 48.0
EMERGENCY_NOTICE_HOURS = 24.0
LEADER_ABOVE_VEHICLES = 5  # convoys of more than five vehicles have a convoy leader
LEADER_TO_NAME = "to be named"
WAYPOINT_TOLERANCE_DEG = 0.0005  # about 50 m: a waypoint farther than this from every place is off the network


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _sane_moment(value: dt.datetime) -> dt.datetime:
    if not 1900 <= value.year <= 2200:
        raise ValueError("must be between the years 1900 and 2200")
    return value.astimezone(dt.UTC)


Text40 = Annotated[str, StringConstraints(max_length=40), AfterValidator(_no_nul)]
Name40 = Annotated[str, StringConstraints(min_length=1, max_length=40), AfterValidator(_no_nul)]
Text100 = Annotated[str, StringConstraints(max_length=100), AfterValidator(_no_nul)]
Name200 = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_no_nul)]
Text400 = Annotated[str, StringConstraints(min_length=1, max_length=400), AfterValidator(_no_nul)]


Moment = Annotated[AwareDatetime, AfterValidator(_sane_moment)]
Ref = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*$")]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]


class _Content(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Vehicle(_Content):
    """One vehicle as the parties will see it. ``plate`` may be empty in a draft (listed as missing)."""

    vehicle_type: Literal["truck", "fuel_tanker", "refrigerated_truck", "water_tanker", "ambulance", "bus", "light_vehicle", "convoy_leader", "escort"]
    plate: Text40 = ""
    markings: Text400 = Field(description="Day markings: emblem, flags, organisation name on roof and sides.")
    night_markings: Text400 = Field(description="Marks visible at night (retro-reflective panels, lights).")
    thermal_markings: Text400 = Field(description="Marks visible to thermal cameras (thermal marker panels).")


class CargoLine(_Content):
    commodity: Ref
    quantity: Annotated[float, Field(ge=0, le=1e9, allow_inf_nan=False)]
    unit: Name40
    tonnes: Annotated[float, Field(ge=0, le=1e9, allow_inf_nan=False)]


class Contact(_Content):
    """A contact reachable at any hour while the notification is valid."""

    name: Name200
    phone: Annotated[str, StringConstraints(min_length=3, max_length=40, pattern=r"^\+?[0-9 ()\-]+$")]
    radio: Text100 = ""
    available_24_7: Literal[True] = Field(description="Must be true: HNS asks for a contact reachable day and night.")


class ConvoyLeader(_Content):
    name: Name200
    phone: Annotated[str, StringConstraints(min_length=3, max_length=40, pattern=r"^\+?[0-9 ()\-]+$")]
    vehicle_index: Annotated[int, Field(ge=0, le=499)] = 0


class MovementWindow(_Content):
    """From the earliest departure to the latest arrival (aware datetimes, kept in UTC)."""

    earliest_departure: Moment
    latest_arrival: Moment

    @field_validator("latest_arrival")
    @classmethod
    def _after_departure(cls, value: dt.datetime, info: ValidationInfo) -> dt.datetime:
        start = info.data.get("earliest_departure")
        if start is not None and value <= start:
            raise ValueError(f"the window ends ({value.isoformat()}) before it starts ({start.isoformat()}): give a latest_arrival after earliest_departure")
        return value


class LineString(_Content):
    """A GeoJSON LineString: ``[longitude, latitude]`` positions, at least two."""

    type: Literal["LineString"]
    coordinates: Annotated[list[tuple[Longitude, Latitude]], Field(min_length=2, max_length=500)]


class MovementContent(_Content):
    """What the parties are told of one convoy movement."""

    organisation: Name200
    route: LineString
    waypoints: Annotated[list[Ref], Field(max_length=500)] = Field(default_factory=list, description="Scenario place ids of the route's positions (filled in when checked).")
    window: MovementWindow
    vehicles: Annotated[list[Vehicle], Field(min_length=1, max_length=500)]
    staff_count: Annotated[int, Field(ge=1, le=10_000)]
    convoy_leader: ConvoyLeader | None = None
    cargo: Annotated[list[CargoLine], Field(max_length=100)] = Field(default_factory=list)
    contact: Contact
    expires_at: Moment = Field(description="After this the notification no longer stands; no answer is taken on it.")

    @model_validator(mode="after")
    def _leader_and_expiry(self) -> MovementContent:
        if len(self.vehicles) > LEADER_ABOVE_VEHICLES and self.convoy_leader is None:
            raise ValueError(f"convoy_leader: a convoy of {len(self.vehicles)} vehicles (more than {LEADER_ABOVE_VEHICLES}) needs a convoy leader")
        if self.convoy_leader is not None and self.convoy_leader.vehicle_index >= len(self.vehicles):
            raise ValueError(f"convoy_leader.vehicle_index: {self.convoy_leader.vehicle_index} is not one of the {len(self.vehicles)} vehicles")
        if self.expires_at < self.window.latest_arrival:
            raise ValueError("expires_at: the notification must stand until the latest arrival at least")
        return self


class SiteContent(_Content):
    """A static site on the parties' deconfliction list. Its exact position is never public."""

    organisation: Name200
    site_kind: Literal["warehouse", "shelter", "distribution_point", "health_facility", "office", "crossing", "residence", "other"]
    name: Name200
    lon: Longitude
    lat: Latitude
    valid_from: Moment
    valid_until: Moment
    contact: Contact
    occupants: Annotated[int, Field(ge=0, le=10_000_000)] | None = None

    @field_validator("valid_until")
    @classmethod
    def _after_start(cls, value: dt.datetime, info: ValidationInfo) -> dt.datetime:
        start = info.data.get("valid_from")
        if start is not None and value <= start:
            raise ValueError("the validity ends before it starts: give a valid_until after valid_from")
        return value


# --- checks against the scenario ---------------------------------------------------------------------

def waypoint_places(scenario: Scenario, coordinates: Sequence[Sequence[float]]) -> list[str | None]:
    """The scenario place at each position (within about 50 m), or None where there is none."""
    out: list[str | None] = []
    for lon, lat in coordinates:
        best, best_d = None, WAYPOINT_TOLERANCE_DEG
        for place in scenario.places:
            d = math.hypot(place.geometry.lon - lon, place.geometry.lat - lat)
            if d <= best_d:
                best, best_d = place.id, d
        out.append(best)
    return out


def route_problems(scenario: Scenario, coordinates: Sequence[Sequence[float]]) -> list[tuple[int, str]]:
    """``(position index, message)`` for every waypoint off the network or leg not on a truck road.

    A route follows the scenario's roads when every position is a place of the scenario and every two
    consecutive places are joined by a road trucks may use (in its direction, if one-way).
    """
    places = waypoint_places(scenario, coordinates)
    joined: set[tuple[str, str]] = set()
    for road in scenario.roads:
        if not road.trucks:
            continue
        joined.add((road.from_, road.to))
        if not road.one_way:
            joined.add((road.to, road.from_))
    problems: list[tuple[int, str]] = []
    for index, place in enumerate(places):
        if place is None:
            lon, lat = coordinates[index]
            problems.append((index, f"position {index} ({lon}, {lat}) is not a place of scenario {scenario.name}: a route runs from place to place along its roads"))
    for index in range(1, len(places)):
        a, b = places[index - 1], places[index]
        if a is not None and b is not None and (a, b) not in joined:
            problems.append((index, f"no road of scenario {scenario.name} that trucks may use joins {a} and {b}: the route leaves the scenario's roads"))
    return problems


def notice_check(window_start: dt.datetime, sent_at: dt.datetime, emergency: bool, notice_hours: float = DEFAULT_NOTICE_HOURS,
                 emergency_notice_hours: float = EMERGENCY_NOTICE_HOURS) -> dict[str, Any]:
    """The notice given (hours from sending to the earliest departure) against the notice required."""
    required = emergency_notice_hours if emergency else notice_hours
    given = (window_start - sent_at).total_seconds() / 3600
    return {"emergency": emergency, "required_hours": required, "given_hours": round(given, 2), "late": given < required}


def missing_fields(content: dict[str, Any]) -> list[str]:
    """What a movement draft still lacks before the parties can deconflict it (flagged, not blocked)."""
    missing = [f"vehicles[{i}].plate" for i, v in enumerate(content.get("vehicles", [])) if not v.get("plate")]
    if (content.get("convoy_leader") or {}).get("name") == LEADER_TO_NAME:
        missing.append("convoy_leader.name")
    return missing


def content_diff(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """The changes from ``old`` to ``new`` as RFC 6902 operations, each with the value it replaces."""
    out = []
    for op in jsonpatch.make_patch(old, new).patch:
        item = {"op": op["op"], "path": op["path"]}
        if op["op"] in ("replace", "remove"):
            item["old"] = resolve_pointer(old, op["path"], None)
        if "value" in op:
            item["new"] = op["value"]
        out.append(item)
    return out


# --- drafting from a plan ---------------------------------------------------------------------------

VEHICLE_BY_COMMODITY = {"fuel": "fuel_tanker", "water": "water_tanker"}
DEFAULT_MARKINGS = {
    "markings": "organisation emblem and name on roof, doors and rear; flag",
    "night_markings": "retro-reflective emblem panels on roof and sides; amber beacon",
    "thermal_markings": "thermal marker panel on the roof",
}


def draft_movement(
    scenario: Scenario, route: Sequence[str], departs: dt.datetime, arrives: dt.datetime, cargo: dict[str, float],
    cargo_trucks: dict[str, int] | None, trucks: int, organisation: str, contact: dict[str, Any],
    expires_after_arrival: dt.timedelta = dt.timedelta(hours=12), staff_per_vehicle: int = 1,
) -> dict[str, Any]:
    """An HNS movement draft for one convoy of a plan (``route``: place ids; times aware).

    Vehicles: one per truck, typed by the commodity it carries (fuel tankers for fuel…), plus a convoy
    leader vehicle when there are more than five; plates are left empty for the organisation to fill.
    Staff: one driver per vehicle (``staff_per_vehicle``). The window is the plan's departure to arrival.
    """
    vehicles: list[dict[str, Any]] = []
    per_commodity = dict(cargo_trucks or {})
    if not per_commodity and cargo:
        per_commodity = {next(iter(cargo)): trucks}
    for commodity, count in per_commodity.items():
        vehicles += [{"vehicle_type": VEHICLE_BY_COMMODITY.get(commodity, "truck"), "plate": "", **DEFAULT_MARKINGS} for _ in range(int(count))]
    vehicles += [{"vehicle_type": "truck", "plate": "", **DEFAULT_MARKINGS} for _ in range(max(0, trucks - len(vehicles)))]
    leader = None
    if len(vehicles) > LEADER_ABOVE_VEHICLES:
        vehicles.insert(0, {"vehicle_type": "convoy_leader", "plate": "", **DEFAULT_MARKINGS})
        leader = {"name": LEADER_TO_NAME, "phone": contact["phone"], "vehicle_index": 0}
    units = {c.id: c for c in scenario.commodities}
    lines = [
        {"commodity": k, "quantity": round(float(q), 3), "unit": units[k].unit if k in units else "unit", "tonnes": round(float(q) * (units[k].tonnes_per_unit if k in units else 1.0), 3)}
        for k, q in sorted(cargo.items()) if q > 0
    ]
    positions = [[scenario.place(p).geometry.lon, scenario.place(p).geometry.lat] for p in route]
    content = {
        "organisation": organisation,
        "route": {"type": "LineString", "coordinates": positions},
        "waypoints": list(route),
        "window": {"earliest_departure": departs.astimezone(dt.UTC).isoformat(), "latest_arrival": arrives.astimezone(dt.UTC).isoformat()},
        "vehicles": vehicles,
        "staff_count": max(1, len(vehicles) * staff_per_vehicle),
        "convoy_leader": leader,
        "cargo": lines,
        "contact": {**contact, "available_24_7": True},
        "expires_at": (arrives + expires_after_arrival).astimezone(dt.UTC).isoformat(),
    }
    return MovementContent.model_validate(content).model_dump(mode="json")


HXL_COLUMNS = [
    ("Reference", "#activity+code"), ("Organisation", "#org+name"), ("Waypoints", "#loc+route"), ("Earliest departure", "#date+start"),
    ("Latest arrival", "#date+end"), ("Vehicles", "#indicator+vehicles+num"), ("Plates", "#meta+plates"), ("Staff", "#indicator+staff+num"),
    ("Convoy leader", "#contact+leader+name"), ("Cargo", "#item+name"), ("Tonnes", "#value+tonnes"), ("Contact", "#contact+name"),
    ("Contact phone", "#contact+phone"), ("Expires", "#date+expiry"),
]


def hxl_rows(drafts: Sequence[tuple[str, dict[str, Any]]]) -> list[list[str]]:
    """Header, HXL hashtag row and one row per ``(reference, movement content)``."""
    rows = [[h for h, _ in HXL_COLUMNS], [t for _, t in HXL_COLUMNS]]
    for reference, c in drafts:
        rows.append([
            reference, c["organisation"], " > ".join(c["waypoints"]), c["window"]["earliest_departure"], c["window"]["latest_arrival"],
            str(len(c["vehicles"])), " ".join(v["plate"] or "?" for v in c["vehicles"]), str(c["staff_count"]),
            (c.get("convoy_leader") or {}).get("name", ""), "; ".join(f"{x['commodity']} {x['quantity']:g} {x['unit']}" for x in c["cargo"]),
            f"{sum(x['tonnes'] for x in c['cargo']):g}", c["contact"]["name"], c["contact"]["phone"], c["expires_at"],
        ])
    return rows
