"""The fleet counts a truck as in use from its first departure until it is back: moving loaded,
waiting loaded (queued at a crossing or an inspection point) and driving back empty."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from safepassage.plan import plan_proposal
from safepassage.scenario.model import Scenario


def trucks_in_use(result, return_factor: float) -> list[tuple[dt.datetime, int]]:
    """(moment, trucks in use) at every change, from the plan alone: a convoy's trucks are in use from
    its first departure to its offloading, plus ``return_factor`` times its time on the road."""
    events = []
    for convoy in result.convoys:
        start, end = convoy.departs, convoy.arrives
        moving = sum((leg.arrives - leg.departs for leg in convoy.legs), dt.timedelta())
        events += [(start, convoy.trucks), (end + return_factor * moving, -convoy.trucks)]
    level, out = 0, []
    for moment, change in sorted(events, key=lambda e: (e[0], e[1])):  # returns before departures at one moment
        level += change
        out.append((moment, level))
    return out


def _queued(tiny_data: dict, fleet: int) -> Scenario:
    """Trucks reach the gate in an hour but it opens only at 12:00: they queue there, loaded."""
    data = copy.deepcopy(tiny_data)
    data["zones"][0]["needs_per_person_per_day"] = {"food": 0.1}
    data["places"][1]["opening_hours"] = [{"open": "12:00", "close": "24:00"}]
    data["places"][1]["trucks_per_hour"] = 10
    data["fleet"] = {"trucks": fleet, "return_factor": 1.0}
    return Scenario.model_validate(data)


@pytest.mark.parametrize("fleet", [3, 8, 20])
def test_trucks_queued_at_a_crossing_count_against_the_fleet(tiny_data, fleet):
    result = plan_proposal(_queued(tiny_data, fleet), "none")
    assert result.convoys
    assert any(c.departs.hour < 11 for c in result.convoys), "some trucks should queue"
    peak = max(level for _, level in trucks_in_use(result, 1.0))
    assert peak <= fleet
    assert result.objective <= result.bound * (1 + 1e-6) + 1e-6


def test_the_fleet_binds_when_trucks_queue(tiny_data):
    """With 3 trucks, waiting 11 hours at the gate costs 11 truck-hours each: fewer deliveries than
    with a fleet large enough that waiting is free."""
    small = plan_proposal(_queued(tiny_data, 3), "none")
    large = plan_proposal(_queued(tiny_data, 200), "none")
    assert small.kpis.trucks_arrived["food"] < large.kpis.trucks_arrived["food"]
    assert any(b.kind == "fleet" for b in small.bottlenecks)
