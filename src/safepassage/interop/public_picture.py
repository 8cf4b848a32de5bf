"""The public picture of a plan: the single source of truth for what the public is told.

CAP alerts, the public GeoJSON, the iCalendar, the report's map and alert preview (and the public web
page) all read a ``PublicPicture`` rather than working it out again. Everything in it comes from the
plan's actual movements, not from what a window could cover:

- the **evacuation corridor** is the roads that carry evacuees in the plan (a road to a closed
  crossing that nobody walks is not in it; a road through a checkpoint that people do walk is), less
  the last step into a sensitive destination such as a shelter, whose position is not public
  (``in_public_corridor`` is that rule, for every output and test);
- **origins** are the zones people leave in the plan, **destinations** the zones they arrive in;
- **convoy routes** are the roads convoys use, kept only where they lie inside the area of operation;
- each **window** occurrence carries the times of the movements planned in it (first departure,
  last arrival), so an instruction never says "arrive before 14:00" when the plan arrives at 15:15.

Areas are the public geometry of ``generalise`` (clipped to the area of operation, clear of sensitive
sites) and are grouped by the response the public should take: ``Evacuate`` for origin zones only,
``Monitor`` for destination zones, ``Avoid`` for convoy routes; within one group no two areas overlap.

>>> from safepassage.scenario import load_scenario
>>> from safepassage.plan import plan_proposal
>>> scenario = load_scenario("tests/scenarios/tiny.yaml")
>>> picture = public_picture(scenario, plan_proposal(scenario, "pause"))
>>> picture.origins, picture.destinations, sorted(picture.corridor_roads)
(('north',), ('south',), ['r3', 'r4'])

People walk ``r3`` to the south and on along ``r4`` to its shelter; were the shelter sensitive, that
last step would be left out:

>>> hidden = scenario.model_copy(update={"places": [p.model_copy(update={"sensitive": True}) if p.id == "shelter" else p
...                                                 for p in scenario.places]})
>>> sorted(public_picture(hidden, plan_proposal(hidden, "pause")).corridor_roads)
['r3']
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Literal

from shapely.geometry import MultiPolygon, Polygon
from shapely.ops import unary_union

from safepassage.interop.generalise import Generaliser, Language
from safepassage.interop.screening_words import PublicScreening, screening_warning
from safepassage.interop.windows import WindowOccurrence, window_occurrences
from safepassage.plan import PlanResult
from safepassage.plan.result import EvacuationMovement, Leg
from safepassage.scenario.behaviour import ShareRange
from safepassage.scenario.model import Place, Proposal, Scenario

__all__ = ["AREA_DESC_MAX_CHARS", "PublicArea", "PublicPicture", "PublicRoad", "PublicScreening", "PublicWindow", "ResponseType", "covered_area",
           "in_public_corridor", "picture_document", "public_picture", "screening_stops"]

ResponseType = Literal["Evacuate", "Monitor", "Avoid"]
AREA_DESC_MAX_CHARS = 50  # what aggregators show of an area's name (Google Public Alerts guidance)
_CONVOY_NAME = {"en": "Aid convoy routes", "ar": "طرق قوافل المساعدات"}


@dataclass(frozen=True)
class PublicArea:
    """One public area: its names (at most ``AREA_DESC_MAX_CHARS`` characters) and its public geometry."""

    key: str  # zone id, "corridor" or "convoy-routes" (internal; never printed)
    names: dict[str, str]  # language -> name
    geometry: Polygon | MultiPolygon


@dataclass(frozen=True)
class PublicRoad:
    """A road as the public sees it: one public name for roads that pass a sensitive site together."""

    road_ids: tuple[str, ...]  # internal road ids (never printed in public outputs)
    names: dict[str, str]
    carries: tuple[str, ...]  # "evacuees", "convoys"
    geometry: Polygon | MultiPolygon | None
    ways: dict[str, str] = field(default_factory=dict)  # the way it is part of ("Salah al-Din"); empty when unnamed


@dataclass(frozen=True)
class PublicWindow:
    """One occurrence of a pause window and the movements the plan puts in it (aware local times)."""

    occurrence: WindowOccurrence
    origins: tuple[str, ...]
    destinations: tuple[str, ...]
    corridor_roads: tuple[str, ...]
    convoy_roads: tuple[str, ...]
    people: int
    first_departure: dt.datetime | None
    last_departure: dt.datetime | None
    last_arrival: dt.datetime | None
    longest_walk_hours: float | None
    convoys: int
    first_convoy: dt.datetime | None
    last_convoy: dt.datetime | None
    areas: dict[str, tuple[PublicArea, ...]] = field(default_factory=dict)  # response type -> areas
    screenings: tuple[str, ...] = ()  # place ids of the PublicScreening points people pass in this window

    @property
    def key(self) -> str:
        return self.occurrence.key

    @property
    def start(self) -> dt.datetime:
        return self.occurrence.start

    @property
    def end(self) -> dt.datetime:
        return self.occurrence.end


@dataclass(frozen=True)
class PublicPicture:
    """What the public is told about one proposal's plan (see the module docstring)."""

    scenario: Scenario
    proposal: Proposal
    result: PlanResult
    generaliser: Generaliser
    corridor_roads: tuple[str, ...]
    convoy_roads: tuple[str, ...]
    origins: tuple[str, ...]
    destinations: tuple[str, ...]
    windows: tuple[PublicWindow, ...]
    roads: tuple[PublicRoad, ...]
    screenings: tuple[PublicScreening, ...] = ()

    def screening(self, place_id: str) -> PublicScreening:
        return next(s for s in self.screenings if s.place_id == place_id)

    def screening_warning(self, place_ids: tuple[str, ...] | list[str], language: Language, advice: bool = True) -> str:
        """What these screening points do to people, in ``language`` (``screening_words``); ``""`` for none."""
        return screening_warning([self.screening(p) for p in place_ids], language, advice)

    @property
    def unilateral(self) -> bool:
        return self.proposal.agreement == "unilateral"

    def zone_names(self, zones: tuple[str, ...] | list[str], language: Language) -> list[str]:
        return [self.generaliser.zone_name(z, language) for z in zones]

    def road_names(self, road_ids: tuple[str, ...] | list[str], language: Language) -> list[str]:
        """Public names of these roads, each once, in the order of the public road list."""
        wanted = set(road_ids)
        return [r.names[language] for r in self.roads if wanted & set(r.road_ids)]

    def way_names(self, road_ids: tuple[str, ...] | list[str], language: Language) -> list[str]:
        """The names of the ways these roads belong to (a road's name up to its first comma), each once:
        what people call a route ("Salah al-Din", "Al-Rashid"). Unnamed access roads are left out."""
        wanted = set(road_ids)
        out: list[str] = []
        for road in self.roads:
            way = road.ways.get(language)
            if way and wanted & set(road.road_ids) and way not in out:
                out.append(way)
        return out

    @property
    def area_of_operation(self) -> Polygon | MultiPolygon:
        return self.generaliser.area_of_operation


def in_public_corridor(scenario: Scenario, evacuation: EvacuationMovement, leg: Leg) -> bool:
    """Whether ``leg`` of ``evacuation`` is part of the public evacuation corridor: every road people walk
    in the plan is, except the last step into a sensitive destination (a shelter whose position is not
    public), which no public output draws or names."""
    return evacuation.people > 0 and not (leg.to_place == evacuation.destination and scenario.place(evacuation.destination).sensitive)


def _overlaps(departs: dt.datetime, arrives: dt.datetime, occurrence: WindowOccurrence) -> bool:
    return departs < occurrence.end and arrives > occurrence.start


def _short(name: str) -> str:
    return name if len(name) <= AREA_DESC_MAX_CHARS else name[: AREA_DESC_MAX_CHARS - 1].rstrip() + "…"


def _public_roads(scenario: Scenario, generaliser: Generaliser, evacuee_roads: set[str], convoy_roads: set[str]) -> tuple[PublicRoad, ...]:
    """Public roads: each road alone, except roads through the same sensitive site, which go together
    under their way name (so the site is neither named nor located)."""
    places = {p.id: p for p in scenario.places}
    groups: dict[tuple[str, str], list[str]] = {}
    order: list[tuple[str, str]] = []
    for road in scenario.roads:
        if road.id not in evacuee_roads | convoy_roads:
            continue
        hidden = next((p for p in (road.from_, road.to) if places[p].sensitive), None)
        key = (generaliser.road_label(road), hidden) if hidden else (road.id, "")
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(road.id)
    roads_by_id = {r.id: r for r in scenario.roads}
    out = []
    for key in order:
        ids = tuple(groups[key])
        first = roads_by_id[ids[0]]
        carries = tuple(k for k, s in (("evacuees", evacuee_roads), ("convoys", convoy_roads)) if set(ids) & s)
        names = {"en": generaliser.road_label(first, "en"), "ar": generaliser.road_label(first, "ar")}
        # A road through a sensitive site with no way name is labelled by its ends ("… - a site in …"):
        # fine on a map, but not a route anyone would call it, so it has no way name for instructions.
        unnamed = generaliser.touches_sensitive(first) and not re.search(r"[,،]", first.name or "")
        ways = {} if unnamed else {lang: re.split(r"[,،]", name, maxsplit=1)[0].strip() for lang, name in names.items()}
        out.append(PublicRoad(ids, names, carries, generaliser.corridor([roads_by_id[i] for i in ids]), ways))
    return tuple(out)


def _areas(generaliser: Generaliser, scenario: Scenario, origins: tuple[str, ...], destinations: tuple[str, ...],
           convoy_roads: tuple[str, ...]) -> dict[str, tuple[PublicArea, ...]]:
    """Areas by response type, clipped to the area of operation, not overlapping within a type."""
    zones = {z.id: z for z in scenario.zones}
    out: dict[str, tuple[PublicArea, ...]] = {}
    public = {z: generaliser.clip(generaliser.zone(zones[z])) for z in (*destinations, *origins)}
    # Where an origin's public outline reaches into a destination (the outlines are grown, and cleared
    # around sensitive sites), the ground belongs to the destination: nobody there is told to evacuate.
    destination_ground = unary_union([public[z] for z in destinations if public[z] is not None]) if destinations else None
    for response, zone_ids, taken in (("Monitor", destinations, None), ("Evacuate", origins, destination_ground)):
        areas = []
        for zone_id in zone_ids:
            shape = public[zone_id]
            shape = generaliser.without(shape, taken) if shape is not None else None
            if shape is None:
                continue
            taken = shape if taken is None else unary_union([taken, shape])
            areas.append(PublicArea(zone_id, {lang: _short(generaliser.zone_name(zone_id, lang)) for lang in ("en", "ar")}, shape))
        if areas:
            out[response] = tuple(areas)
    if convoy_roads:
        roads = [r for r in scenario.roads if r.id in convoy_roads]
        band = generaliser.corridor(roads)
        if band is not None:
            out["Avoid"] = (PublicArea("convoy-routes", dict(_CONVOY_NAME), band),)
    return {response: out[response] for response in ("Evacuate", "Monitor", "Avoid") if response in out}


def screening_stops(place: Place) -> tuple[bool, bool]:
    """Whether the scenario declares that ``place``'s screening holds people, and whether it sends people
    back: a declared share whose value or upper bound is above zero (a risk the public should hear of
    even when the planned value is nil)."""
    screening = place.screening
    if screening is None:
        return False, False

    def declared(share: ShareRange | None) -> bool:
        return share is not None and max(share.value, share.high or 0.0) > 0.0

    return declared(screening.detained), declared(screening.turned_back)


def _screenings(scenario: Scenario, generaliser: Generaliser, evacuations: list[EvacuationMovement]) -> tuple[PublicScreening, ...]:
    """The screening points that stop people, in the scenario's order, that the plan's evacuees pass."""
    passed = {place for e in evacuations if e.people > 0 for place in e.corridor}
    out = []
    for place in scenario.places:
        detains, turns_back = screening_stops(place)
        if place.id not in passed or not (detains or turns_back):
            continue
        names: dict[str, str | None] = {}
        for lang in ("en", "ar"):
            if place.sensitive:
                names[lang] = generaliser.zone_name(place.zone, lang) if place.zone in {z.id for z in scenario.zones} else None  # type: ignore[arg-type]
            else:
                names[lang] = generaliser.place_label(place.id, lang)  # type: ignore[arg-type]
        roads = tuple(sorted({leg.road for e in evacuations if e.people > 0 for leg in e.legs if place.id in (leg.from_place, leg.to_place)}))
        out.append(PublicScreening(place.id, names, place.sensitive, detains, turns_back, roads))
    return tuple(out)


def public_picture(scenario: Scenario, result: PlanResult) -> PublicPicture:
    """The public picture of ``result`` (a plan of one of ``scenario``'s proposals)."""
    proposal = scenario.proposal(result.proposal)
    generaliser = Generaliser(scenario)
    zone_ids = {z.id for z in scenario.zones}
    places = {p.id: p for p in scenario.places}

    def inside(road_id: str) -> bool:
        # A road with no end in a zone lies outside the area of operation (e.g. Al-Arish to Nitzana).
        road = next(r for r in scenario.roads if r.id == road_id)
        return any(places[p].zone in zone_ids for p in (road.from_, road.to))

    evacuee_roads = {leg.road for e in result.evacuations for leg in e.legs if in_public_corridor(scenario, e, leg)}
    convoy_all = {leg.road for c in result.convoys for leg in c.legs if c.trucks > 0}
    convoy_roads = {r for r in convoy_all if inside(r)}
    zone_order = [z.id for z in scenario.zones]
    origins = tuple(z for z in zone_order if any(e.origin_zone == z and e.people > 0 for e in result.evacuations))
    destinations = tuple(z for z in zone_order if any(e.destination_zone == z and e.people > 0 for e in result.evacuations) and z not in origins)
    roads = _public_roads(scenario, generaliser, evacuee_roads, convoy_roads)
    screenings = _screenings(scenario, generaliser, result.evacuations)
    stopping = {s.place_id for s in screenings}

    windows = []
    for occurrence in window_occurrences(scenario, proposal):
        moving = [e for e in result.evacuations if e.people > 0 and _overlaps(e.departs, e.arrives, occurrence)]
        convoys = [c for c in result.convoys if c.trucks > 0 and any(leg.road in convoy_roads and _overlaps(leg.departs, leg.arrives, occurrence) for leg in c.legs)]
        w_origins = tuple(z for z in origins if any(e.origin_zone == z for e in moving))
        w_destinations = tuple(z for z in destinations if any(e.destination_zone == z for e in moving))
        w_corridor = tuple(sorted({leg.road for e in moving for leg in e.legs if in_public_corridor(scenario, e, leg)}))
        w_convoy = tuple(sorted({leg.road for c in convoys for leg in c.legs if leg.road in convoy_roads and _overlaps(leg.departs, leg.arrives, occurrence)}))
        walks = [(e.arrives - e.departs).total_seconds() / 3600 for e in moving]
        legs = [leg for c in convoys for leg in c.legs if leg.road in convoy_roads and _overlaps(leg.departs, leg.arrives, occurrence)]
        windows.append(PublicWindow(
            occurrence, w_origins, w_destinations, w_corridor, w_convoy, people=sum(e.people for e in moving),
            first_departure=min((e.departs for e in moving), default=None),
            last_departure=max((e.departs for e in moving), default=None),
            last_arrival=max((e.arrives for e in moving), default=None),
            longest_walk_hours=max(walks, default=None), convoys=len(convoys),
            first_convoy=min((leg.departs for leg in legs), default=None),
            last_convoy=max((leg.arrives for leg in legs), default=None),
            areas=_areas(generaliser, scenario, w_origins, w_destinations, w_convoy),
            screenings=tuple(p.id for p in scenario.places if p.id in stopping and any(p.id in e.corridor for e in moving)),
        ))
    return PublicPicture(scenario, proposal, result, generaliser, tuple(r for r in (r.id for r in scenario.roads) if r in evacuee_roads),
                         tuple(r for r in (r.id for r in scenario.roads) if r in convoy_roads), origins, destinations, tuple(windows), roads,
                         screenings)


def covered_area(picture: PublicPicture, window: PublicWindow) -> Polygon | MultiPolygon | None:
    """Every public area of a window together (for a withdrawn window's Cancel, or a window with no movement)."""
    shapes = [a.geometry for areas in window.areas.values() for a in areas]
    if not shapes:
        zones = {z.id: z for z in picture.scenario.zones}
        shapes = [s for s in (picture.generaliser.clip(picture.generaliser.zone(zones[z])) for z in window.occurrence.zones) if s is not None]
    return unary_union(shapes) if shapes else None


def picture_document(picture: PublicPicture) -> dict[str, object]:
    """The public picture as a JSON-ready document (for a public web page): the proposal, whether all
    parties agreed it, and per window occurrence its times, the plan's movement times, who leaves from
    where to where along which roads, what its screening points do to people (``screening``), and its
    areas by response type as GeoJSON geometries — in
    English and Arabic, with no internal id and nothing the redaction rule withholds."""
    from shapely.geometry import mapping

    def names(zones: tuple[str, ...]) -> dict[str, list[str]]:
        return {lang: picture.zone_names(zones, lang) for lang in ("en", "ar")}

    def iso(moment: dt.datetime | None) -> str | None:
        return moment.isoformat() if moment is not None else None

    windows = []
    for window in picture.windows:
        windows.append({
            "start": iso(window.start), "end": iso(window.end),
            "covers": names(window.occurrence.zones), "origins": names(window.origins), "destinations": names(window.destinations),
            "corridor": {lang: picture.way_names(window.corridor_roads, lang) for lang in ("en", "ar")},
            "convoy_routes": {lang: picture.way_names(window.convoy_roads, lang) for lang in ("en", "ar")},
            "people": window.people, "first_departure": iso(window.first_departure), "last_departure": iso(window.last_departure),
            "last_arrival": iso(window.last_arrival), "convoys": window.convoys,
            # What the corridor's screening points do to people, as declared (screening_words), or None.
            "screening": {lang: picture.screening_warning(window.screenings, lang) for lang in ("en", "ar")} if window.screenings else None,
            "areas": {response: [{"name": area.names, "geometry": mapping(area.geometry)} for area in areas]
                      for response, areas in window.areas.items()},
        })
    return {
        "proposal": picture.proposal.name, "agreement": picture.proposal.agreement, "agreed_by": list(picture.proposal.agreed_by),
        "timezone": picture.scenario.timezone, "windows": windows,
        "roads": [{"name": road.names, "carries": list(road.carries), "geometry": mapping(road.geometry) if road.geometry is not None else None}
                  for road in picture.roads],
    }
