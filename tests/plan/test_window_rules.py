"""The convoys-within-windows rule as functions: exit times, offload slots, offload rate."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import yaml

from safepassage.plan.window_rules import exit_minutes, offload_allowed, offload_rate_per_hour, rule_roads
from safepassage.scenario import parse_scenario


def _enclave(tiny_data: dict):
    data = copy.deepcopy(tiny_data)
    data["zones"][1]["convoys_within_windows"] = True
    data["places"][3]["offload_minutes_per_truck"] = 12
    return parse_scenario(yaml.safe_dump(data))


def test_rule_roads_and_exit_time(tiny_data):
    scenario = _enclave(tiny_data)
    flagged = rule_roads(scenario)
    assert [r.id for r, f in zip(scenario.roads, flagged) if f] == ["r3"]
    exits = exit_minutes(scenario)
    north = [p.id for p in scenario.places].index("dp-north")
    assert exits[north] == pytest.approx(60.0)  # 20 km at 20 km/h back to dp-south
    assert exits[[p.id for p in scenario.places].index("dp-south")] == 0.0


def test_offload_rate_from_minutes_per_truck(tiny_data):
    scenario = _enclave(tiny_data)
    rate = offload_rate_per_hour(scenario)
    assert rate[[p.id for p in scenario.places].index("dp-north")] == pytest.approx(5.0)
    assert rate[[p.id for p in scenario.places].index("gate")] == pytest.approx(2.0)


def test_offload_allowed_only_when_the_return_fits():
    bounds = np.arange(0, 24 * 60 + 1, 60.0)
    allowed = offload_allowed(bounds, [(6 * 60.0, 10 * 60.0)], offload_min=30, exit_min=60)
    # Slot 6 (06:00-07:00): ends 07:00 + 30 + 60 = 08:30 <= 10:00; slot 8 ends 09:00 + 90 > 10:00.
    assert list(np.flatnonzero(allowed)) == [6, 7]
    assert not offload_allowed(bounds, [(6 * 60.0, 10 * 60.0)], 30, np.inf).any()
