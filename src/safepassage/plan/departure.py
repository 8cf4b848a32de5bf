"""People released for departure per origin zone and slot: the bound the departure model puts on the
planner (``safepassage.behaviour``). Without a ``behaviour`` block every person in ``wants_to_leave``
is available at the start of the horizon, as before. Where the scenario has a bus fleet, the bus trips
(``plan/bus_schedule.py``) take their passengers first: walkers are planned from who is left."""

from __future__ import annotations

import numpy as np

from safepassage.behaviour import departures, release_by_slot
from safepassage.plan.bus_schedule import bus_plan_for
from safepassage.plan.bus_trips import boarded_minutes
from safepassage.plan.time_grid import TimeGrid
from safepassage.scenario.model import Proposal, Scenario

__all__ = ["people_released"]


def people_released(scenario: Scenario, proposal: Proposal, grid: TimeGrid, origins: list[int]) -> np.ndarray:
    """(len(origins), n_slots) people who may set out from each origin's assembly place in each slot."""
    out = np.zeros((len(origins), grid.n_slots))
    start = grid.to_local(0.0).replace(tzinfo=None)
    end = grid.to_local(grid.horizon_min).replace(tzinfo=None)
    if scenario.behaviour is None:
        for o, zone_index in enumerate(origins):
            evacuation = scenario.zones[zone_index].evacuation
            out[o, 0] = evacuation.wants_to_leave if evacuation is not None else 0.0
    else:
        by_zone = {d.zone: d for d in departures(scenario, proposal, start, end)}
        for o, zone_index in enumerate(origins):
            found = by_zone.get(scenario.zones[zone_index].id)
            if found is not None:
                out[o] = release_by_slot(found, grid.boundaries_min)
    buses = bus_plan_for(scenario, proposal, start, end)
    if buses is not None:
        # A trip boards people already released (never more), so what is left stays >= 0 over time;
        # a slot may get a negative supply: those people wait at the assembly place for their bus.
        boarded = boarded_minutes(buses, start, scenario.timezone)
        for o, zone_index in enumerate(origins):
            for minute, people in boarded.get(scenario.zones[zone_index].id, []):
                if minute < grid.horizon_min:
                    slot = int(np.searchsorted(grid.boundaries_min, max(minute, 0.0), side="right") - 1)
                    out[o, min(max(slot, 0), grid.n_slots - 1)] -= people
    return out
