"""The compiled planning problem: everything about one (scenario, proposal, horizon) as arrays, built
once and read by the LP build, the integer step, the warm re-planner and the simulation.

``compile_problem`` does all the interpretation of the scenario: the time grid and the proposal's
terms (which places are open, which pause-only roads are usable, which windows cover what, admitted
commodities, daily quotas), the directed arcs and the usable movements, the stock lots, the people's
origins and safe places, whole-unit capacities, needs and objective weights, and the id <-> index
maps. Nothing downstream rebuilds any of these; the LP build only turns them into columns and rows
(``plan/lp_build.py``, one ``define_*`` function per family).

Index order everywhere is the scenario's: places, roads, zones, commodities. Time is in minutes from
the horizon start (absolute: see ``plan/time_grid.py``) and slots of ``grid``.

>>> from safepassage.scenario import load_scenario
>>> gaza = load_scenario("gaza-2023-11")
>>> problem = compile_problem(gaza, "daily-4h-north")
>>> problem.ids.place_index["rafah"] == [p.id for p in gaza.places].index("rafah")
True
>>> problem.place_trucks_cap.shape == (len(gaza.places), problem.grid.n_slots)
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from safepassage.plan.network import (
    Arcs,
    Movements,
    build_arcs,
    people_movements,
    people_sources_and_sinks,
    truck_movements,
)
from safepassage.plan.terms import Terms, WindowSpan, resolve_terms
from safepassage.plan.time_grid import TimeGrid
from safepassage.scenario.model import Horizon, PlaceKind, Proposal, Scenario

__all__ = ["IdIndex", "StockLots", "PlanningProblem", "compile_problem", "whole_unit_capacity"]


@dataclass(frozen=True)
class IdIndex:
    """Ids in index order, and id -> index, for places, roads, zones and commodities."""

    places: tuple[str, ...]
    roads: tuple[str, ...]
    zones: tuple[str, ...]
    commodities: tuple[str, ...]
    place_index: dict[str, int]
    road_index: dict[str, int]
    zone_index: dict[str, int]
    commodity_index: dict[str, int]

    @classmethod
    def of(cls, scenario: Scenario) -> IdIndex:
        places = tuple(p.id for p in scenario.places)
        roads = tuple(r.id for r in scenario.roads)
        zones = tuple(z.id for z in scenario.zones)
        commodities = tuple(c.id for c in scenario.commodities)

        def index(ids: tuple[str, ...]) -> dict[str, int]:
            return {ident: i for i, ident in enumerate(ids)}

        return cls(places, roads, zones, commodities, index(places), index(roads), index(zones), index(commodities))


@dataclass(frozen=True)
class StockLots:
    """Stock lots inside the horizon: place, commodity, first slot available, and truckloads."""

    place: np.ndarray
    kind: np.ndarray
    slot: np.ndarray
    loads: np.ndarray

    def __len__(self) -> int:
        return len(self.place)


def whole_unit_capacity(rate_per_hour: np.ndarray, open_mask: np.ndarray, length_min: np.ndarray) -> np.ndarray:
    """Per-slot capacity in whole units that adds up to the rate over time (entities × slots).

    A rate of 2.5 trucks/hour over one-hour slots gives 2, 3, 2, 3 …: in every slot a whole number of
    trucks, and over any run of slots from the start never more than rate × open hours. Fractional
    per-slot capacities would let the LP promise half trucks that no integer plan can deliver.

    >>> whole_unit_capacity(np.array([2.5]), np.ones((1, 4), dtype=bool), np.full(4, 60.0))
    array([[2., 3., 2., 3.]])
    """
    hours = open_mask * (length_min[None, :] / 60.0)
    finite = np.where(np.isfinite(rate_per_hour), rate_per_hour, 0.0)
    cumulative = np.floor(np.cumsum(finite[:, None] * hours, axis=1) + 1e-9)
    capacity = np.diff(np.concatenate([np.zeros((len(rate_per_hour), 1)), cumulative], axis=1), axis=1)
    return np.where(np.isfinite(rate_per_hour)[:, None], capacity, np.inf)


@dataclass(frozen=True)
class PlanningProblem:
    """One proposal over one scenario and horizon, compiled (see the module docstring)."""

    scenario: Scenario
    proposal: Proposal
    horizon: Horizon
    terms: Terms
    ids: IdIndex
    arcs: Arcs
    trucks: Movements  # usable truck movements (one LP column each)
    people: Movements  # usable walking movements
    stock: StockLots
    origins: list[int]  # zone index per people kind (zones with people wanting to leave)
    assembly: list[int]  # assembly place per origin
    safe_places: list[set[int]]  # safe places per origin
    safe_mask: np.ndarray  # bool (P, max(O, 1)): place is safe for origin
    place_zone: np.ndarray  # (P,) zone index or -1
    place_truck_rate: np.ndarray  # (P,) trucks per hour, inf: no limit
    place_people_rate: np.ndarray  # (P,)
    place_trucks_cap: np.ndarray  # (P, T) whole trucks per slot while open, 0 when closed, inf: no limit
    place_people_cap: np.ndarray  # (P, T)
    road_trucks_cap: np.ndarray  # (A, T) whole trucks entering each directed arc per slot
    road_people_cap: np.ndarray  # (A, T)
    population: np.ndarray  # (Z,)
    need_ppd: np.ndarray  # (Z, K) units per person per day
    need_units: np.ndarray  # (Z, K) units over the horizon
    payload: np.ndarray  # (K,) units per truck
    priority: np.ndarray  # (K,)
    tonnes_per_unit: np.ndarray  # (K,)
    tier_share: np.ndarray  # (J + 1,) tier bounds as shares of need, from 0
    tier_weight: np.ndarray  # (J,)

    @property
    def grid(self) -> TimeGrid:
        return self.terms.grid

    @property
    def n_slots(self) -> int:
        return self.terms.grid.n_slots

    @property
    def horizon_days(self) -> float:
        return self.terms.grid.horizon_min / 1440.0

    @property
    def windows(self) -> list[WindowSpan]:
        return self.terms.window_spans

    @property
    def wanting_to_leave(self) -> int:
        """People wanting to leave (evacuations, not returns), all origin zones together."""
        return self._wanting("evacuation")

    @property
    def wanting_to_return(self) -> int:
        """Displaced people wanting to go back home (``movement: return``), all zones together."""
        return self._wanting("return")

    def _wanting(self, movement: str) -> int:
        return int(
            sum(
                z.evacuation.wants_to_leave
                for z in self.scenario.zones
                if z.evacuation is not None and z.evacuation.wants_to_leave > 0 and z.evacuation.movement == movement
            )
        )

    @property
    def returning(self) -> np.ndarray:
        """bool (origins,): the origin's people are returning home, not evacuating."""
        movement = [self.scenario.zones[z].evacuation for z in self.origins]
        return np.array([e is not None and e.movement == "return" for e in movement], dtype=bool)

    def is_kind(self, kind: PlaceKind) -> np.ndarray:
        """bool (P,): places of this kind."""
        return np.array([p.kind == kind for p in self.scenario.places], dtype=bool)


def compile_problem(
    scenario: Scenario,
    proposal: str | Proposal,
    horizon: Horizon | None = None,
    truck_moves: Movements | None = None,
    people_moves: Movements | None = None,
) -> PlanningProblem:
    """Compile ``proposal`` (id, name or object) over ``scenario`` and ``horizon`` (default: the
    scenario's). Raises ``ScenarioError`` for data that cannot be planned (the checks of ``validate``).

    ``truck_moves``: use these truck movements instead of every usable one (column generation,
    ``plan/colgen``, passes a subset; computing all of them is what a 500-place week cannot afford);
    ``people_moves`` likewise for walking movements (4 million in that week)."""
    chosen = scenario.proposal(proposal) if isinstance(proposal, str) else proposal
    horizon = horizon or scenario.horizon
    terms = resolve_terms(scenario, chosen, horizon)
    grid = terms.grid
    ids = IdIndex.of(scenario)
    arcs = build_arcs(scenario)
    trucks = truck_movements(scenario, terms, arcs) if truck_moves is None else truck_moves
    people = people_movements(scenario, terms, arcs) if people_moves is None else people_moves
    n_slots, n_places, n_kinds = grid.n_slots, len(scenario.places), len(scenario.commodities)
    payload = np.array([c.truck_payload for c in scenario.commodities])

    # Stock becomes available at the slot containing its available_from time (lots after the horizon are dropped).
    lots: list[tuple[int, int, int, float]] = []
    for stock in scenario.stocks:
        p, k = ids.place_index[stock.place], ids.commodity_index[stock.commodity]
        minute = grid.to_minutes(stock.available_from) if stock.available_from else 0.0
        if minute >= grid.horizon_min:
            continue
        slot = int(np.searchsorted(grid.boundaries_min, max(minute, 0.0), side="right") - 1)
        lots.append((p, k, slot, stock.quantity / payload[k]))
    stock_lots = StockLots(
        np.array([lot[0] for lot in lots], dtype=np.int64),
        np.array([lot[1] for lot in lots], dtype=np.int64),
        np.array([lot[2] for lot in lots], dtype=np.int64),
        np.array([lot[3] for lot in lots], dtype=np.float64),
    )

    origins, assembly, safe_places = people_sources_and_sinks(scenario)
    safe_mask = np.zeros((n_places, max(len(origins), 1)), dtype=bool)
    for o, places in enumerate(safe_places):
        safe_mask[list(places), o] = True

    need_ppd = np.zeros((len(scenario.zones), n_kinds))
    for z, zone in enumerate(scenario.zones):
        for commodity_id, amount in zone.needs_per_person_per_day.items():
            need_ppd[z, ids.commodity_index[commodity_id]] = amount
    population = np.array([z.population for z in scenario.zones], dtype=np.float64)

    length = grid.length_min
    truck_rate = np.array([p.trucks_per_hour or np.inf for p in scenario.places])
    people_rate = np.array([p.people_per_hour or np.inf for p in scenario.places])
    everywhere = np.ones((len(arcs), n_slots), dtype=bool)
    tiers = scenario.objective.tiers
    capacities = {
        "place_trucks_cap": np.where(terms.place_open, whole_unit_capacity(truck_rate, terms.place_open, length), 0.0),
        "place_people_cap": np.where(terms.place_open, whole_unit_capacity(people_rate, terms.place_open, length), 0.0),
        "road_trucks_cap": whole_unit_capacity(arcs.trucks_per_hour, everywhere, length)
        if len(arcs)
        else np.zeros((0, n_slots)),
        "road_people_cap": whole_unit_capacity(arcs.people_per_hour, everywhere, length)
        if len(arcs)
        else np.zeros((0, n_slots)),
    }
    for table in capacities.values():
        table.setflags(write=False)  # shared by the LP and every simulation run: copy before changing
    place_zone = np.array([ids.zone_index[p.zone] if p.zone else -1 for p in scenario.places], dtype=np.int64)
    # fmt: off
    return PlanningProblem(
        scenario=scenario, proposal=chosen, horizon=horizon, terms=terms, ids=ids, arcs=arcs, trucks=trucks,
        people=people, stock=stock_lots, origins=origins, assembly=assembly, safe_places=safe_places,
        safe_mask=safe_mask, place_zone=place_zone, place_truck_rate=truck_rate, place_people_rate=people_rate,
        **capacities,
        population=population, need_ppd=need_ppd, need_units=need_ppd * population[:, None] * (grid.horizon_min / 1440),
        payload=payload, priority=np.array([c.priority for c in scenario.commodities], dtype=np.float64),
        tonnes_per_unit=np.array([c.tonnes_per_unit for c in scenario.commodities], dtype=np.float64),
        tier_share=np.array([0.0] + [t.up_to_share for t in tiers]), tier_weight=np.array([t.weight for t in tiers]),
    )
    # fmt: on
