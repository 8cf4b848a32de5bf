"""People released for departure per origin zone and slot: the bound the departure model puts on the
planner (``safepassage.behaviour``). Without a ``behaviour`` block every person in ``wants_to_leave``
is available at the start of the horizon, as before."""

from __future__ import annotations

import numpy as np

from safepassage.behaviour import departures, release_by_slot
from safepassage.plan.time_grid import TimeGrid
from safepassage.scenario.model import Proposal, Scenario

__all__ = ["people_released"]


def people_released(scenario: Scenario, proposal: Proposal, grid: TimeGrid, origins: list[int]) -> np.ndarray:
    """(len(origins), n_slots) people who may set out from each origin's assembly place in each slot."""
    out = np.zeros((len(origins), grid.n_slots))
    if scenario.behaviour is None:
        for o, zone_index in enumerate(origins):
            evacuation = scenario.zones[zone_index].evacuation
            out[o, 0] = evacuation.wants_to_leave if evacuation is not None else 0.0
        return out
    by_zone = {
        d.zone: d
        for d in departures(
            scenario,
            proposal,
            grid.to_local(0.0).replace(tzinfo=None),
            grid.to_local(grid.horizon_min).replace(tzinfo=None),
        )
    }
    for o, zone_index in enumerate(origins):
        found = by_zone.get(scenario.zones[zone_index].id)
        if found is not None:
            out[o] = release_by_slot(found, grid.boundaries_min)
    return out
