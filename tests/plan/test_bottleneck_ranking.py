"""Bottlenecks are ranked by what 10% more of each limit is worth, which compares limits measured in
different units; and that worth is what re-planning with 10% more actually gains."""

from __future__ import annotations

import copy

import pytest

from safepassage.plan import plan_proposal
from safepassage.scenario import Scenario


def _two_limits(tiny_data: dict, people_per_hour: float) -> Scenario:
    """Tiny with aid scarce behind the gate (2 trucks/h) and 3000 people leaving the north over the
    pause-only road r3 (``people_per_hour``, four window hours): both limits bind."""
    data = copy.deepcopy(tiny_data)
    data["zones"][0]["needs_per_person_per_day"] = {"food": 0.1}
    data["zones"][1]["evacuation"]["wants_to_leave"] = 3000
    next(r for r in data["roads"] if r["id"] == "r3")["people_per_hour"] = people_per_hour
    return Scenario.model_validate(data)


def test_limits_of_different_units_rank_by_the_value_of_ten_percent_more(tiny_data):
    result = plan_proposal(_two_limits(tiny_data, 500), "pause", window_value=False)
    ranked = [(b.kind, b.id) for b in result.bottlenecks]
    assert ranked[:2] == [("road", "r3"), ("crossing", "gate")]
    road, gate = result.bottlenecks[:2]
    # Per unit the gate is worth far more (a truck per hour against a person per hour) ...
    assert gate.value_per_unit == pytest.approx(220.0)  # 22 useful slots x 10 person-days per truck
    assert road.value_per_unit == pytest.approx(4.0, rel=0.01)  # 4 window hours x 1 person-day per person (less walking time)
    assert gate.value_per_unit > road.value_per_unit
    # ... but 10% more of the road (50 people/h) is worth more than 10% more of the gate (0.2 trucks/h).
    assert road.value_of_10pct == pytest.approx(0.1 * 500 * road.value_per_unit, rel=1e-3)
    assert gate.value_of_10pct == pytest.approx(0.1 * 2 * gate.value_per_unit, rel=1e-3)
    values = [b.value_of_10pct for b in result.bottlenecks]
    assert values == sorted(values, reverse=True)
    assert (road.binding_slots, gate.binding_slots) == (4, 22)


def test_the_value_of_ten_percent_more_is_what_replanning_gains(tiny_data):
    base = plan_proposal(_two_limits(tiny_data, 500), "pause", window_value=False)
    road = next(b for b in base.bottlenecks if b.id == "r3")
    more = plan_proposal(_two_limits(tiny_data, 550), "pause", window_value=False)
    assert more.bound - base.bound == pytest.approx(road.value_of_10pct, abs=0.01)
