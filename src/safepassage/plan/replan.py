"""Re-plan from the current state: what is where now, who still wants to leave, what is closed.

The remaining horizon runs from ``state.at`` to the end of the original horizon; windows (and parts
of windows) already past simply no longer open anything. Aid already delivered counted against the
days that have passed; the need over the remaining horizon is the remaining days' need.

>>> import datetime as dt
>>> from safepassage.scenario import load_scenario
>>> scenario = load_scenario("gaza-2023-11")
>>> state = CurrentState(at=scenario.horizon.start + dt.timedelta(days=2))
>>> result = replan(scenario, "daily-4h-north", state)
>>> result.horizon_days
5.0
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from safepassage.errors import Problem, ScenarioError
from safepassage.plan.planner import plan_proposal
from safepassage.plan.result import PlanResult
from safepassage.plan.time_grid import to_utc
from safepassage.scenario.model import Evacuation, Scenario, Stock

__all__ = ["CurrentState", "StockPosition", "state_scenario", "replan"]


@dataclass(frozen=True)
class StockPosition:
    """Aid of one commodity at (or on its way to) a place, usable from ``available_from`` (local)."""

    place: str
    commodity: str
    quantity: float
    available_from: dt.datetime | None = None


@dataclass(frozen=True)
class CurrentState:
    """The observed state at local time ``at``.

    ``stock``: None keeps the scenario's stocks (less nothing); a list replaces them (include trucks in
    transit as stock at their destination, available at their expected arrival).
    ``people_waiting``: zone id -> people still wanting to leave (None keeps the scenario's figures).
    ``closed_places`` / ``closed_roads``: closed by an incident or decision until the horizon ends.
    """

    at: dt.datetime
    stock: list[StockPosition] | None = None
    people_waiting: dict[str, float] | None = None
    closed_places: set[str] = field(default_factory=set)
    closed_roads: set[str] = field(default_factory=set)


def state_scenario(scenario: Scenario, state: CurrentState) -> Scenario:
    """The scenario as it stands at ``state.at``: its horizon shortened, stocks, evacuation demand
    and closures replaced by the observed state. Raises ScenarioError for references it lacks or a
    time outside the horizon."""
    horizon = scenario.horizon
    # Absolute time: a daylight-saving change inside the horizon must not shift its end or the time left.
    start_utc, at_utc = to_utc(horizon.start, scenario.timezone), to_utc(state.at, scenario.timezone)
    end_utc = start_utc + dt.timedelta(days=horizon.days)
    end = end_utc.astimezone(ZoneInfo(scenario.timezone)).replace(tzinfo=None)
    problems = []
    if not start_utc <= at_utc < end_utc:
        problems.append(Problem("state.at", f"{state.at.isoformat()} is outside the horizon {horizon.start.isoformat()} – {end.isoformat()}", "re-plan at a time inside the horizon"))
    place_ids = {p.id for p in scenario.places}
    road_ids = {r.id for r in scenario.roads}
    zone_ids = {z.id for z in scenario.zones}
    commodity_ids = {c.id for c in scenario.commodities}
    problems += [Problem("state.closed_places", f"unknown place '{p}'") for p in sorted(state.closed_places - place_ids)]
    problems += [Problem("state.closed_roads", f"unknown road '{r}'") for r in sorted(state.closed_roads - road_ids)]
    problems += [Problem("state.people_waiting", f"unknown zone '{z}'") for z in sorted(set(state.people_waiting or {}) - zone_ids)]
    for i, position in enumerate(state.stock or []):
        if position.place not in place_ids:
            problems.append(Problem(f"state.stock[{i}].place", f"unknown place '{position.place}'"))
        if position.commodity not in commodity_ids:
            problems.append(Problem(f"state.stock[{i}].commodity", f"unknown commodity '{position.commodity}'"))
    if problems:
        raise ScenarioError(problems, source="re-plan state")

    remaining_days = (end_utc - at_utc).total_seconds() / 86400.0
    elapsed_hours = (at_utc - start_utc).total_seconds() / 3600.0
    coarse_after = None if horizon.coarse_after_hours is None else max(0.0, horizon.coarse_after_hours - elapsed_hours)
    update: dict = {"horizon": horizon.model_copy(update={"start": state.at, "days": remaining_days, "coarse_after_hours": coarse_after})}
    if state.stock is not None:
        update["stocks"] = [
            Stock(place=s.place, commodity=s.commodity, quantity=s.quantity, available_from=max(s.available_from, state.at) if s.available_from else state.at)
            for s in state.stock
            if s.quantity > 0
        ]
    if state.people_waiting is not None:
        zones = []
        for zone in scenario.zones:
            if zone.evacuation is not None and zone.id in state.people_waiting:
                evacuation = Evacuation(**{**zone.evacuation.model_dump(), "wants_to_leave": max(0.0, state.people_waiting[zone.id])})
                zone = zone.model_copy(update={"evacuation": evacuation})
            zones.append(zone)
        update["zones"] = zones
    if state.closed_places:
        update["places"] = [p.model_copy(update={"closed": True}) if p.id in state.closed_places else p for p in scenario.places]
    if state.closed_roads:
        update["roads"] = [r for r in scenario.roads if r.id not in state.closed_roads]
    return scenario.model_copy(update=update)


def replan(scenario: Scenario, proposal_id: str, state: CurrentState, time_limit_s: float | None = None) -> PlanResult:
    """The best plan for the rest of the horizon from ``state`` (see ``state_scenario``)."""
    return plan_proposal(state_scenario(scenario, state), proposal_id, time_limit_s=time_limit_s)
