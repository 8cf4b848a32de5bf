"""The scenario domain model (pydantic v2): places, roads, zones, commodities, stocks, fleet, policy,
pause proposals, and the sourced parameters the figures come from.

Field-level checks live here (types, signs, formats, geometry). Checks that need the whole scenario
(unknown references, overlapping windows, a zone evacuating to itself) live in ``checks.py`` so that
every problem can be reported at once, each with its path.

Times in a scenario are local wall-clock times (naive ISO datetimes) in ``Scenario.timezone``.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from safepassage.scenario.behaviour import Behaviour, BusFleet, DepartureDrivers, Screening, ShareRange, WindowReplay

__all__ = [
    "PlaceKind",
    "Confidence",
    "Source",
    "Parameter",
    "PointGeometry",
    "PolygonGeometry",
    "OpeningHours",
    "Place",
    "Road",
    "Evacuation",
    "Zone",
    "Commodity",
    "Stock",
    "Fleet",
    "ConvoyRules",
    "Quota",
    "Policy",
    "Window",
    "Extension",
    "Proposal",
    "Horizon",
    "ObjectiveTier",
    "Objective",
    "Scenario",
]

Id = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$", min_length=1, max_length=64)]
Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class PlaceKind(str, Enum):
    """What a place is; decides its default role in the network."""

    crossing = "crossing"
    inspection = "inspection"
    warehouse = "warehouse"
    distribution_point = "distribution_point"
    checkpoint = "checkpoint"
    shelter = "shelter"
    junction = "junction"


class Confidence(str, Enum):
    """How far a figure can be trusted (scale defined in the sourced-data file)."""

    high = "high"
    medium = "medium"
    low = "low"
    assumption = "assumption"


class Source(_Model):
    """Where a figure comes from: the URLs, the date the figure refers to, and its confidence."""

    title: str
    urls: list[str] = Field(default_factory=list)
    date: str = ""
    confidence: Confidence = Confidence.medium
    note: str = ""


class Parameter(_Model):
    """An uncertain figure a user may change; referenced elsewhere in the file as ``"$name"``.

    ``low``/``high`` give the plausible range the sensitivity analysis sweeps.
    """

    value: float
    unit: str = ""
    low: float | None = None
    high: float | None = None
    confidence: Confidence = Confidence.assumption
    assumption: str = ""
    sources: list[str] = Field(default_factory=list, description="ids in Scenario.sources")

    @model_validator(mode="after")
    def _range_contains_value(self) -> Parameter:
        lo = self.low if self.low is not None else self.value
        hi = self.high if self.high is not None else self.value
        if not lo <= self.value <= hi:
            raise ValueError(f"value {self.value} must lie within [low, high] = [{lo}, {hi}]")
        return self


def _check_position(lon: float, lat: float) -> None:
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValueError(f"position [{lon}, {lat}] is not [longitude, latitude] in degrees (GeoJSON order)")


class PointGeometry(_Model):
    """A GeoJSON Point: ``coordinates`` are ``[longitude, latitude]``."""

    type: Literal["Point"]
    coordinates: tuple[float, float]

    @field_validator("coordinates")
    @classmethod
    def _valid_position(cls, value: tuple[float, float]) -> tuple[float, float]:
        _check_position(*value)
        return value

    @property
    def lon(self) -> float:
        return self.coordinates[0]

    @property
    def lat(self) -> float:
        return self.coordinates[1]


class PolygonGeometry(_Model):
    """A GeoJSON Polygon or MultiPolygon with closed rings, valid by OGC rules (checked with shapely)."""

    type: Literal["Polygon", "MultiPolygon"]
    coordinates: list[Any]

    @model_validator(mode="after")
    def _valid_polygon(self) -> PolygonGeometry:
        from shapely.geometry import shape
        from shapely.validation import explain_validity

        polygons = [self.coordinates] if self.type == "Polygon" else self.coordinates
        for polygon in polygons:
            if not isinstance(polygon, list) or not polygon:
                raise ValueError("a polygon is a list of linear rings")
            for ring in polygon:
                if not isinstance(ring, list) or len(ring) < 4:
                    raise ValueError("a linear ring needs at least 4 positions")
                if list(ring[0]) != list(ring[-1]):
                    raise ValueError("a linear ring must be closed (first position == last position)")
                for position in ring:
                    if not isinstance(position, (list, tuple)) or len(position) < 2:
                        raise ValueError("a position is [longitude, latitude]")
                    _check_position(float(position[0]), float(position[1]))
        geometry = shape({"type": self.type, "coordinates": self.coordinates})
        if not geometry.is_valid:
            raise ValueError(f"invalid polygon: {explain_validity(geometry)}")
        return self


class OpeningHours(_Model):
    """Daily opening in local time, ``open`` to ``close`` (HH:MM, close may be 24:00), on ``days``."""

    open: str = "00:00"
    close: str = "24:00"
    days: list[Weekday] = Field(
        default_factory=lambda: list(WEEKDAYS)
    )

    @field_validator("open", "close")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        match = _HHMM.match(value)
        if not match or (match.group(1) == "24" and match.group(2) != "00"):
            raise ValueError(f"time {value!r} must be HH:MM between 00:00 and 24:00")
        return value

    @model_validator(mode="after")
    def _open_before_close(self) -> OpeningHours:
        if minutes_of(self.close) <= minutes_of(self.open):
            raise ValueError(f"close {self.close} must be after open {self.open} (split overnight hours in two)")
        return self


_ARABIC_LETTER = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]")


def _arabic_text(value: str) -> str:
    """A name or title for Arabic readers: not blank, and written in Arabic script (an English title
    copied here by mistake would be shown on the Arabic page as if it were the translation)."""
    text = value.strip()
    if not text:
        raise ValueError("is blank: give the Arabic text, or leave the field out to show the English one")
    if not _ARABIC_LETTER.search(text):
        raise ValueError(
            f"{text[:40]!r} has no Arabic letter: give the text in Arabic script (e.g. 'غزة، تشرين الثاني 2023'), "
            "or leave the field out to show the English one"
        )
    return text


ArabicText = Annotated[str, AfterValidator(_arabic_text), Field(max_length=400)]


def minutes_of(hhmm: str) -> int:
    """Minutes after midnight of an ``HH:MM`` string."""
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


class Place(_Model):
    """A node: where trucks or people are, pass through, wait or unload.

    Throughputs are per hour while the place is open; ``None`` means not a limit. A ``closed`` place
    is unusable unless a proposal opens it. ``holding`` says whether trucks and people may wait there
    between slots (default: everywhere but checkpoints and junctions).
    """

    id: Id
    name: str
    name_ar: str | None = None
    kind: PlaceKind
    geometry: PointGeometry
    zone: Id | None = None
    trucks_per_hour: Positive | None = None
    people_per_hour: Positive | None = None
    opening_hours: list[OpeningHours] | None = None
    closed: bool = False
    holding: bool | None = None
    sensitive: bool = False
    offload_minutes_per_truck: Positive | None = None
    screening: Screening | None = None
    capacity_people: NonNegative | None = None  # a shelter / reception area: people it can take in over the horizon
    preference_weight: Positive | None = None  # how strongly people choose this destination (destination_split: preference)
    sources: list[str] = Field(default_factory=list)
    note: str = ""

    @property
    def allows_holding(self) -> bool:
        if self.holding is not None:
            return self.holding
        return self.kind not in (PlaceKind.checkpoint, PlaceKind.junction)


class Road(_Model):
    """An arc between two places; two-way unless ``one_way``.

    Trucks: ``length_km`` at ``truck_speed_kmh``, at most ``trucks_per_hour`` entering it. People on
    foot: ``walking_minutes`` (or derived from ``walking_speed_kmh``), at most ``people_per_hour``; a
    road with neither is not walkable. ``requires_pause``: usable only inside a pause window covering it.
    ``trucks: false`` closes it to trucks (e.g. a pedestrian-only corridor section).
    """

    id: Id
    name: str = ""
    name_ar: str | None = None
    from_: Id = Field(alias="from")
    to: Id
    length_km: Positive
    truck_speed_kmh: Positive | None = None
    trucks_per_hour: Positive | None = None
    walking_minutes: Positive | None = None
    walking_speed_kmh: Positive | None = None
    people_per_hour: Positive | None = None
    requires_pause: bool = False
    one_way: bool = False
    trucks: bool = True
    convoys_within_windows: bool = False
    sources: list[str] = Field(default_factory=list)
    note: str = ""

    @property
    def truck_minutes(self) -> float | None:
        if not self.trucks or self.truck_speed_kmh is None:
            return None
        return self.length_km / self.truck_speed_kmh * 60.0

    @property
    def walk_minutes(self) -> float | None:
        if self.walking_minutes is not None:
            return self.walking_minutes
        if self.walking_speed_kmh is not None:
            return self.length_km / self.walking_speed_kmh * 60.0
        return None


class Evacuation(_Model):
    """People in a zone who want to leave it, where they gather and which zones are safe for them.

    Without a scenario ``behaviour`` block all ``wants_to_leave`` are ready at the start. With one it is
    the pool W of the departure model (docs/behaviour.md), which decides who of them goes and when:
    give everyone who could leave (e.g. everyone under an evacuation order), not a guess of who will.

    ``movement``: ``evacuation`` (people leaving danger; arriving, they *reach safety*) or ``return``
    (displaced people going back home, e.g. north after a ceasefire; arriving, they are *returned*,
    counted apart and never as reaching safety). Planned alike; named and counted apart.

    ``destination_split``: how people choose among the safe places (shelters or reception areas) of
    their destination zones that they can reach in the horizon: ``nearest`` (the planner sends them
    where they arrive earliest), ``preference`` (in proportion to each place's ``preference_weight``)
    or ``capacity`` (in proportion to each place's ``capacity_people``). A place's ``capacity_people``
    is respected under every rule (docs/behaviour.md, "Screening and destinations").

    ``when_full``: what people of a split do when a place of the split is full. ``redirect`` (default,
    what people do): it takes no more than its share and those who would have gone there go to the
    other places, split among them by the same rule. ``stop``: the split holds as stated, so a full
    place stops the origin's arrivals everywhere (for a rule that must hold exactly, e.g. a quota per
    reception area agreed with the host)."""

    wants_to_leave: NonNegative
    assembly_place: Id
    destinations: list[Id] = Field(min_length=1)
    movement: Literal["evacuation", "return"] = "evacuation"
    destination_split: Literal["nearest", "preference", "capacity"] = "nearest"
    when_full: Literal["redirect", "stop"] = "redirect"


class Zone(_Model):
    """An area with people in it: population, daily needs per person by commodity, hazard.

    ``pcode`` is the area's code in the common operational datasets (e.g. an OCHA COD / ISO 3166-2
    code such as ``PS-NGZ``); public tabular exports use it as the admin code when it is given.
    """

    id: Id
    name: str
    name_ar: str | None = None
    pcode: Annotated[str, Field(pattern=r"^[A-Z]{2}[A-Z0-9\-]{1,20}$")] | None = None
    population: NonNegative
    geometry: PolygonGeometry
    hazard: Literal["low", "medium", "high", "extreme"] = "medium"
    needs_per_person_per_day: dict[Id, NonNegative] = Field(default_factory=dict)
    evacuation: Evacuation | None = None
    evacuation_priority: Positive | None = None
    convoys_within_windows: bool = False
    sources: list[str] = Field(default_factory=list)
    note: str = ""


class Commodity(_Model):
    """A kind of aid: ``unit`` of measure, ``truck_payload`` units per truck, ``priority`` weight."""

    id: Id
    name: str
    unit: str
    truck_payload: Positive
    tonnes_per_unit: Positive = 1.0
    priority: Positive = 1.0
    removed_at_inspection: ShareRange | None = None
    sources: list[str] = Field(default_factory=list)


class Stock(_Model):
    """Aid waiting at an origin place, available from a local time (default: horizon start)."""

    place: Id
    commodity: Id
    quantity: Positive
    available_from: dt.datetime | None = None
    sources: list[str] = Field(default_factory=list)


class Fleet(_Model):
    """Trucks available. Each loaded truck on a road also ties up ``return_factor`` more truck-time
    for its empty return (1.0: the return takes as long as the loaded leg). Convoys larger than
    ``max_convoy_trucks`` are split into several that leave together."""

    trucks: Annotated[int, Field(gt=0)]
    return_factor: NonNegative = 1.0
    max_convoy_trucks: Annotated[int, Field(gt=0)] | None = None
    buses: BusFleet | None = None
    sources: list[str] = Field(default_factory=list)


class ConvoyRules(_Model):
    """How trucks are grouped into convoys (see ``plan/convoys.py``): trucks sharing a route and a
    window go together, ``min_trucks`` to ``max_trucks`` per convoy, the trucks of one convoy leaving
    within ``marshalling_minutes`` of its first, two convoys of one route and window at least
    ``departure_spacing_minutes`` apart. A convoy of more than ``leader_above_trucks`` trucks has a
    leader vehicle; ``escort_required`` adds an escort vehicle to each. Trucks that cannot form a convoy
    of ``min_trucks`` leave the plan, and the loss is reported as the consolidation cost."""

    min_trucks: Annotated[int, Field(ge=1)] = 1
    max_trucks: Annotated[int, Field(ge=1)] | None = None
    departure_spacing_minutes: NonNegative = 0.0
    marshalling_minutes: NonNegative = 240.0
    leader_above_trucks: Annotated[int, Field(ge=0)] = 5
    escort_required: bool = False
    sources: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _sizes_in_order(self) -> ConvoyRules:
        if self.max_trucks is not None and self.max_trucks < self.min_trucks:
            raise ValueError(f"max_trucks ({self.max_trucks}) is below min_trucks ({self.min_trucks})")
        return self


class Quota(_Model):
    """At most ``trucks_per_day`` crossing per local day, through ``places`` (default: every crossing),
    of ``commodities`` (default: all).

    ``at_least``: the figure is a floor ("at least 600 trucks a day"), not a ceiling. ``zones`` with
    ``share``: that share of the quota's trucks must go to those zones ("half of them to the north").
    ``during_agreement_hours``: the quota counts only the hours a window of the agreement is open,
    not the whole local day."""

    trucks_per_day: NonNegative
    places: list[Id] | None = None
    commodities: list[Id] | None = None
    at_least: bool = False
    zones: list[Id] | None = None
    share: Annotated[float, Field(gt=0, le=1)] | None = None
    during_agreement_hours: bool = False
    sources: list[str] = Field(default_factory=list)
    note: str = ""

    @model_validator(mode="after")
    def _share_needs_zones(self) -> Quota:
        if (self.share is None) != (self.zones is None):
            raise ValueError("give zones and share together (e.g. zones: [north-gaza], share: 0.5)")
        return self


class Policy(_Model):
    """Standing restrictions outside any agreement: commodities not admitted and daily entry quotas."""

    restricted_commodities: list[Id] = Field(default_factory=list)
    daily_quotas: list[Quota] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    note: str = ""

    @model_validator(mode="after")
    def _no_agreement_hours(self) -> Policy:
        for i, quota in enumerate(self.daily_quotas):
            if quota.during_agreement_hours:
                raise ValueError(
                    f"daily_quotas[{i}]: during_agreement_hours applies to a proposal's quotas (the agreement's hours); "
                    "move this quota under the proposal or remove during_agreement_hours"
                )
        return self


class Window(_Model):
    """A pause window from ``start`` to ``end`` (local), repeated on ``repeat_days`` consecutive days.

    It covers the listed ``zones`` (roads touching a place in them) and ``roads``; ``everywhere`` covers
    every zone and road.
    """

    start: dt.datetime
    end: dt.datetime
    repeat_days: Annotated[int, Field(ge=1)] = 1
    zones: list[Id] = Field(default_factory=list)
    roads: list[Id] = Field(default_factory=list)
    everywhere: bool = False

    @model_validator(mode="after")
    def _ends_after_start(self) -> Window:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("give window times in local time without an offset; the scenario's timezone applies")
        if self.end <= self.start:
            raise ValueError(f"window ends ({self.end.isoformat()}) before or when it starts ({self.start.isoformat()})")
        if self.repeat_days > 1 and self.end - self.start > dt.timedelta(days=1):
            raise ValueError("a repeating window must last at most one day (its repeats would overlap)")
        if not (self.everywhere or self.zones or self.roads):
            raise ValueError("a window must cover something: list zones or roads, or set everywhere: true")
        return self

    def occurrences(self) -> list[tuple[dt.datetime, dt.datetime]]:
        """Each (start, end) of the window in local time, one per repeated day."""
        return [
            (self.start + dt.timedelta(days=i), self.end + dt.timedelta(days=i)) for i in range(self.repeat_days)
        ]


class Extension(_Model):
    """A conditional extension: ``days_per_block`` more days per ``releases_per_block`` releases, up to
    ``max_extra_days``. The planner uses only the agreed minimum; the simulation draws the rest with
    ``probability_per_day``."""

    releases_per_block: Annotated[int, Field(gt=0)]
    days_per_block: Positive = 1.0
    max_extra_days: NonNegative
    probability_per_day: Annotated[float, Field(ge=0, le=1)] = 0.5
    note: str = ""


class Proposal(_Model):
    """A pause proposal: its windows, notice, the quotas and admissions agreed with it, and extensions.

    ``agreement``: agreed by all the parties that fight in the area, or announced by one (``unilateral``);
    ``agreed_by`` names who agreed. ``announced``: when the first window was announced (local; default:
    the first window's start minus ``notice_hours``). ``drivers`` override the scenario's departure
    drivers for this proposal. ``replay``: what happened to past window occurrences (late, cut short,
    violated), for backtests.

    Public outputs say plainly when a pause is unilateral.

    ``quotas`` replace the policy's daily quotas on every local day a window of this proposal touches;
    ``admits`` lifts restrictions on those commodities (e.g. fuel during a truce); ``opens`` opens places
    that are otherwise closed (e.g. a crossing) for the whole horizon.
    """

    id: Id
    name: str
    name_ar: ArabicText | None = None  # the name for Arabic readers (the public page and alerts); English when absent
    description: str = ""
    agreement: Literal["all_parties", "unilateral"] = "all_parties"
    agreed_by: list[str] = []
    windows: list[Window] = Field(default_factory=list)
    notice_hours: NonNegative = 0.0
    quotas: list[Quota] | None = None
    admits: list[Id] = Field(default_factory=list)
    opens: list[Id] = Field(default_factory=list)
    extension: Extension | None = None
    announced: dt.datetime | None = None
    drivers: DepartureDrivers | None = None
    replay: list[WindowReplay] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _agreement_consistent(self) -> Proposal:
        if self.agreement == "unilateral" and len(self.agreed_by) > 1:
            raise ValueError(
                f"a unilateral pause is announced by one party, but agreed_by lists {len(self.agreed_by)}; "
                "set agreement: all_parties or keep the one party that announced it"
            )
        dates = [r.date for r in self.replay]
        if len(set(dates)) != len(dates):
            raise ValueError("replay lists the same date twice; give one fact per window occurrence")
        return self


class Horizon(_Model):
    """Planning horizon: local ``start``, length in days, slot length in minutes.

    ``coarse_slot_minutes`` shrinks the model: slots are that long except where timing decides what a
    pause delivers — within ``fine_margin_hours`` of every window's start and end, and during the first
    ``coarse_after_hours`` if given — where they stay ``slot_minutes`` long. Boundaries where windows or
    opening hours change are always kept.
    """

    start: dt.datetime
    days: Annotated[float, Field(gt=0, le=60)] = 7.0
    slot_minutes: Annotated[int, Field(ge=1, le=1440)] = 15
    coarse_after_hours: NonNegative | None = None
    coarse_slot_minutes: Annotated[int, Field(ge=1, le=1440)] | None = None
    fine_margin_hours: NonNegative = 3.0


class ObjectiveTier(_Model):
    """Need met up to ``up_to_share`` of a zone's need is worth ``weight`` per person-day."""

    up_to_share: Positive
    weight: NonNegative


class Objective(_Model):
    """What the planner maximises: priority-weighted person-days of need met (with diminishing value by
    tier, so aid spreads) plus people reaching safety (each worth ``person_days_per_person_safe``),
    earlier better (``earliness_bonus``: the share of value added for arriving at the horizon start).
    Aid delivered early counts up to ``1 + aid_earliness_bonus`` times towards the tiers; every truck-hour
    on the road costs ``truck_hour_cost`` person-days, so no truck moves for nothing. Waiting is not free:
    each hour a person waits away from home (at a corridor's entry, at screening, on the way) costs
    ``person_hour_waiting_cost`` person-days, so no one sets out days before a window to wait at its
    entry; waiting at home (the zone's assembly place) costs nothing. ``needs_follow_people: true``:
    people who move take their needs with them, from the time they arrive (``plan/moving_need.py``;
    off by default: its rows join trucks and people, which column generation does not price, see
    docs/agreements.md)."""

    tiers: list[ObjectiveTier] = Field(
        default_factory=lambda: [
            ObjectiveTier(up_to_share=0.25, weight=1.0),
            ObjectiveTier(up_to_share=0.5, weight=0.7),
            ObjectiveTier(up_to_share=1.0, weight=0.4),
        ]
    )
    person_days_per_person_safe: NonNegative = 30.0
    earliness_bonus: Annotated[float, Field(ge=0, le=1)] = 0.2
    aid_earliness_bonus: Annotated[float, Field(ge=0, le=0.5)] = 0.05
    truck_hour_cost: NonNegative = 1.0
    person_hour_waiting_cost: NonNegative = 0.01
    needs_follow_people: bool = False

    @field_validator("tiers")
    @classmethod
    def _tiers_increase(cls, tiers: list[ObjectiveTier]) -> list[ObjectiveTier]:
        shares = [t.up_to_share for t in tiers]
        if shares != sorted(shares) or len(set(shares)) != len(shares):
            raise ValueError("tiers must be listed by increasing up_to_share")
        weights = [t.weight for t in tiers]
        if weights != sorted(weights, reverse=True):
            raise ValueError("tier weights must not increase (value diminishes as need is met)")
        return tiers


class Scenario(_Model):
    """The world at a point in time, and the proposals on the table."""

    name: Id
    title: str
    title_ar: ArabicText | None = None  # the title for Arabic readers (the public page); English when absent
    description: str = ""
    timezone: str
    horizon: Horizon
    sources: dict[Id, Source] = Field(default_factory=dict)
    parameters: dict[Id, Parameter] = Field(default_factory=dict)
    places: list[Place] = Field(min_length=1)
    roads: list[Road] = Field(default_factory=list)
    zones: list[Zone] = Field(default_factory=list)
    commodities: list[Commodity] = Field(min_length=1)
    stocks: list[Stock] = Field(default_factory=list)
    fleet: Fleet | None = None
    convoy_rules: ConvoyRules | None = None
    policy: Policy = Field(default_factory=Policy)
    objective: Objective = Field(default_factory=Objective)
    proposals: list[Proposal] = Field(default_factory=list)
    behaviour: Behaviour | None = None

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as 'Asia/Gaza'") from exc
        return value

    @model_validator(mode="after")
    def _leavers_live_where_they_leave(self) -> Scenario:
        if not self.objective.needs_follow_people:
            return self
        for i, zone in enumerate(self.zones):
            if zone.evacuation is not None and zone.evacuation.wants_to_leave > zone.population:
                raise ValueError(
                    f"zones[{i}]: evacuation.wants_to_leave ({zone.evacuation.wants_to_leave:g}) is more than the zone's "
                    f"population ({zone.population:g}); with needs_follow_people, people who leave take their needs "
                    "with them, so they must live there: lower wants_to_leave or raise population"
                )
        return self

    # Lookups used everywhere; cheap enough to rebuild on demand for scenarios of this size.
    def place(self, place_id: str) -> Place:
        return next(p for p in self.places if p.id == place_id)

    def zone(self, zone_id: str) -> Zone:
        return next(z for z in self.zones if z.id == zone_id)

    def proposal(self, proposal_id: str) -> Proposal:
        """The proposal with this id (or name); raises ``UnknownProposalError`` listing the known ones."""
        from safepassage.errors import UnknownProposalError

        for proposal in self.proposals:
            if proposal_id in (proposal.id, proposal.name):
                return proposal
        known = ", ".join(p.id for p in self.proposals) or "none"
        raise UnknownProposalError(f"unknown proposal {proposal_id!r}; this scenario has: {known}")
