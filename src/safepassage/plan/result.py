"""Typed planning results: the schedule (convoys, evacuation movements), KPIs, bottlenecks, bound, gap.

Times are aware datetimes (``dt.datetime``) at the local UTC offset of each instant, with a fixed-offset
``tzinfo``: comparing and subtracting them is absolute time whatever the clocks do (never a wall-clock
difference). Ids are the scenario's ids. ISO 8601 strings are made only at the edges: ``to_dict`` (JSON),
the CSV exports and the API, all through ``iso``.

Counting rules: a truck *crosses* when it leaves a crossing place; it *arrives* when it is offloaded at
a distribution point (the aid counted as delivered to that point's zone). Quantities are in each
commodity's own unit; tonnes use the commodity's ``tonnes_per_unit``. People *reach safety* when they
arrive at any place in one of their zone's safe destination zones; people whose zone's movement is a
``return`` are *returned* when they arrive home, counted apart and never as reaching safety.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from safepassage.plan.solve import SolveStatus

__all__ = ["Convoy", "Dispatch", "PlannedConvoy", "EvacuationMovement", "Bottleneck", "ProposalKPIs", "PlanResult", "IntegerBound", "Leg", "edge_dict", "iso"]


@dataclass(frozen=True)
class Leg:
    """One road traversed: from, to, departure and arrival (aware, local offset)."""

    road: str
    from_place: str
    to_place: str
    departs: dt.datetime
    arrives: dt.datetime


@dataclass(frozen=True)
class Convoy:
    """Trucks leaving ``origin`` together along one route and offloading at ``destination``."""

    id: str
    origin: str
    destination: str
    zone: str
    departs: dt.datetime
    arrives: dt.datetime
    trucks: int
    cargo: dict[str, float]  # commodity -> quantity in its unit
    cargo_trucks: dict[str, int]
    route: list[str]
    legs: list[Leg]
    crossings: list[str]
    requires_pause: bool


@dataclass(frozen=True)
class Dispatch:
    """Trucks of a convoy leaving together on one journey (aware times, as ``Convoy``)."""

    journey: str  # id of the journey (``PlanResult.convoys``) with this timing
    departs: dt.datetime
    arrives: dt.datetime
    trucks: int


@dataclass(frozen=True)
class PlannedConvoy:
    """One convoy: the unit notified to the parties and tracked. Its trucks follow ``route`` in the
    window from ``departs`` (the first dispatch) to ``arrives`` (the last arrival); ``dispatches`` gives
    each journey's timing. ``vehicles`` counts the trucks, the leader and the escort."""

    id: str
    route: list[str]
    origin: str
    destination: str
    stops: list[str]  # where its trucks offload, in route order (the last is ``destination``)
    zone: str
    window: str  # local date of the window (of the pause, for a route that needs one)
    departs: dt.datetime
    arrives: dt.datetime
    trucks: int
    leader: bool
    escort: bool
    vehicles: int
    cargo: dict[str, float]
    cargo_trucks: dict[str, int]
    crossings: list[str]
    requires_pause: bool
    dispatches: list[Dispatch]


@dataclass(frozen=True)
class EvacuationMovement:
    """People from ``origin_zone`` walking a corridor (places in order), leaving and arriving at these times."""

    id: str
    origin_zone: str
    corridor: list[str]
    departs: dt.datetime
    arrives: dt.datetime
    people: int
    destination: str
    destination_zone: str
    legs: list[Leg]
    requires_pause: bool
    purpose: str = "evacuation"  # or "return": displaced people going home (counted as returned, not safe)


@dataclass(frozen=True)
class Bottleneck:
    """A limit that binds, with the objective gained (person-days) per one more ``unit`` of it."""

    kind: str  # crossing, inspection, checkpoint, place, road, quota, fleet, stock, window
    id: str
    value_per_unit: float
    unit: str
    binding_slots: int
    value_of_10pct: float = 0.0  # person-days from 10% more of this limit (linear estimate): ranks limits of different units


@dataclass
class ProposalKPIs:
    """What a proposal delivers under its best integer plan."""

    trucks_crossed: dict[str, int]
    trucks_arrived: dict[str, int]
    tonnes_arrived: dict[str, float]
    quantity_arrived: dict[str, float]
    arrived_by_zone: dict[str, dict[str, float]]  # zone -> commodity -> quantity
    need_met: dict[str, dict[str, float]]  # zone -> commodity -> share of horizon need (0..)
    people_reached_safety: int
    people_wanting_to_leave: int
    hours_to_50pct_safe: float | None
    hours_to_90pct_safe: float | None
    arrivals_by_day: dict[str, dict[str, float]]  # local date -> commodity -> tonnes offloaded
    safe_by_day: dict[str, int]  # local date -> people reaching safety
    people_returned: int = 0  # displaced people arrived home (movement: return), never counted as safe
    people_wanting_to_return: int = 0
    returned_by_day: dict[str, int] = field(default_factory=dict)  # local date -> people returned
    people_detained: float = 0.0  # stopped and held at screening points (expected, from the planned shares)
    people_turned_back: float = 0.0  # stopped at screening points and sent back to their origin zone

    @property
    def total_trucks_arrived(self) -> int:
        return sum(self.trucks_arrived.values())


@dataclass
class IntegerBound:
    """The bound on whole-truck plans that ``plan --certify-seconds`` proved (``plan/integer_bound.py``).

    ``bound``: min(LP bound, the whole-truck program's dual bound), no plan is worth more (never below
    the plan's own value, which the plan checks it is not above beyond solver tolerance);
    ``gap``: (bound - objective) / |bound|, how far the plan is at most from the best whole-truck plan;
    ``best_found``: the best whole-truck point the program found (people continuous; null if none);
    ``proved``: the program closed its own gap within ``seconds``, the time it was given."""

    bound: float
    gap: float
    best_found: float | None
    proved: bool
    seconds: float


@dataclass
class PlanResult:
    """A proposal's plan: schedule, KPIs, LP bound, integer value and gap, bottlenecks, model size."""

    scenario: str
    proposal: str
    proposal_name: str
    horizon_start: dt.datetime  # aware, local offset
    horizon_days: float
    slot_minutes: float
    status: SolveStatus
    objective: float  # value of the integer plan (person-days)
    bound: float  # LP optimum: no plan can do better
    gap: float  # (bound - objective) / |bound|
    kpis: ProposalKPIs
    convoys: list[Convoy]
    evacuations: list[EvacuationMovement]
    bottlenecks: list[Bottleneck]
    lp_rows: int
    lp_cols: int
    lp_nonzeros: int
    build_seconds: float
    solve_seconds: float
    timings: dict[str, float] = field(default_factory=dict)
    planned_convoys: list[PlannedConvoy] = field(default_factory=list)  # the convoys, under the scenario's convoy rules
    consolidation: dict[str, Any] | None = None  # what grouping into convoys cost (plan/convoys.py)
    quota_shortfalls: list[dict[str, Any]] = field(default_factory=list)  # floors and shares left short (plan/quota_floors.py)
    integer_bound: IntegerBound | None = None  # a tighter bound for whole trucks, when asked (plan/integer_bound.py)

    def summary(self) -> dict[str, Any]:
        """The documented JSON shape for one proposal (see the README)."""
        return {
            "name": self.proposal,
            "title": self.proposal_name,
            "trucks_crossed": sum(self.kpis.trucks_crossed.values()),
            "trucks_arrived": self.kpis.total_trucks_arrived,
            "tonnes_arrived": self.kpis.tonnes_arrived,
            "trucks_arrived_by_commodity": self.kpis.trucks_arrived,
            "arrived_by_zone": self.kpis.arrived_by_zone,
            "people_reached_safety": self.kpis.people_reached_safety,
            "people_wanting_to_leave": self.kpis.people_wanting_to_leave,
            "people_returned": self.kpis.people_returned,
            "people_detained": self.kpis.people_detained,
            "people_turned_back": self.kpis.people_turned_back,
            "hours_to_50pct_safe": self.kpis.hours_to_50pct_safe,
            "hours_to_90pct_safe": self.kpis.hours_to_90pct_safe,
            "need_met": self.kpis.need_met,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "integer_bound": None if self.integer_bound is None else edge_dict(self.integer_bound),
            "status": self.status.value,
            "bottlenecks": [edge_dict(b) for b in self.bottlenecks],
            "convoys": len(self.convoys),
            "planned_convoys": len(self.planned_convoys),
            "consolidation": self.consolidation,
            "quota_shortfalls": self.quota_shortfalls,
            "evacuation_movements": len(self.evacuations),
            "lp": {"rows": self.lp_rows, "cols": self.lp_cols, "nonzeros": self.lp_nonzeros},
        }

    def to_dict(self) -> dict[str, Any]:
        """Everything, JSON-ready: summary, schedule and KPIs in full."""
        out = self.summary()
        out.update(
            scenario=self.scenario,
            horizon_start=iso(self.horizon_start),
            horizon_days=self.horizon_days,
            kpis=edge_dict(self.kpis),
            schedule={"convoys": [edge_dict(c) for c in self.convoys], "evacuations": [edge_dict(e) for e in self.evacuations],
                      "planned_convoys": [edge_dict(c) for c in self.planned_convoys]},
            timings=self.timings,
        )
        return out


def iso(moment: dt.datetime) -> str:
    """The edge form of a plan time: ISO 8601 to the minute with its UTC offset.

    >>> iso(dt.datetime(2024, 3, 31, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))))
    '2024-03-31T10:00+02:00'
    """
    return moment.isoformat(timespec="minutes")


def _edge_fields(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    return {name: iso(value) if isinstance(value, dt.datetime) else value for name, value in pairs}


def edge_dict(record: Any) -> dict[str, Any]:
    """A result record (dataclass, nested records included) as JSON-ready values: times become ``iso`` strings."""
    return asdict(record, dict_factory=_edge_fields)
