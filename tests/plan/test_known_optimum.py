"""Small instances whose optimum can be worked out by hand."""

from __future__ import annotations

import copy

import pytest

from safepassage.errors import PlanInvariantError, UnknownProposalError
from safepassage.plan import plan_proposal
from safepassage.scenario import load_scenario


def test_south_only_without_pause(tiny_path):
    # Need in the south: 1,000 people x 0.01 t x 1 day = 10 t, worth 1/0.01 = 100 person-days per t.
    # The north is behind a pause-only road and no window opens it: only the south is served.
    result = plan_proposal(load_scenario(tiny_path), "none")
    assert result.bound == pytest.approx(1000.0)
    assert result.objective == pytest.approx(1000.0)
    assert result.kpis.arrived_by_zone["north"] == {}
    assert result.kpis.arrived_by_zone["south"]["food"] >= 10
    assert result.kpis.people_reached_safety == 0
    assert result.kpis.hours_to_50pct_safe is None


def test_pause_serves_the_north_and_moves_people(tiny_path):
    # The 06:00-10:00 window opens r3 (1 h by truck, 2 h on foot at 100 people/h): trucks reach the
    # north (+10 t x 100) and people entering r3 at 06, 07 and 08 (they may enter until 10:00 and walk
    # on) reach it by 10:00: 3 x 100 = 300 people, all who want to leave, each worth 1 person-day, less
    # 1e-3 per person-hour walked (300 x 2 h on r3, then 300 x 1 h on r4: evacuees end at the shelter,
    # not at the distribution point). With room for 400 on r3, no limit binds.
    result = plan_proposal(load_scenario(tiny_path), "pause")
    assert result.bound == pytest.approx(1000 + 1000 + 300 - 0.6 - 0.3)
    assert result.kpis.people_reached_safety == 300
    assert result.kpis.need_met["north"]["food"] == pytest.approx(1.0)
    assert result.kpis.hours_to_90pct_safe == pytest.approx(11.0)  # 10:00 past the pause road, 11:00 at the shelter
    assert {b.id for b in result.bottlenecks} == set()
    for movement in result.evacuations:
        assert movement.requires_pause
        assert "06:00" <= f"{movement.departs:%H:%M}" <= "08:00"


def _scarce(data: dict) -> dict:
    """Need 100 t in the south, trucks limited by the gate's 2 trucks/hour."""
    data = copy.deepcopy(data)
    data["zones"][0]["needs_per_person_per_day"] = {"food": 0.1}
    return data


def test_crossing_throughput_binds(tiny_data, write_yaml):
    # Gate departures possible in slots 1..22 (trucks reach the gate after 1 h, need 1 h to the
    # distribution point before 24:00): 22 x 2 = 44 trucks x 1 t x 10 person-days per t.
    result = plan_proposal(load_scenario(write_yaml(_scarce(tiny_data))), "none")
    assert result.bound == pytest.approx(440.0)
    assert result.kpis.trucks_arrived["food"] == 44
    assert result.kpis.trucks_crossed["food"] == 44
    top = result.bottlenecks[0]
    assert (top.kind, top.id, top.unit) == ("crossing", "gate", "truck per hour")
    # One more truck per hour in each of the 22 useful slots: 22 trucks x 10 person-days.
    assert top.value_per_unit == pytest.approx(220.0)


def test_daily_quota_binds(tiny_data, write_yaml):
    data = _scarce(tiny_data)
    data["policy"]["daily_quotas"] = [{"trucks_per_day": 12}]
    result = plan_proposal(load_scenario(write_yaml(data)), "none")
    assert result.kpis.trucks_crossed["food"] == 12
    assert result.bound == pytest.approx(120.0)
    assert result.bottlenecks[0].kind == "quota"
    assert result.bottlenecks[0].value_per_unit == pytest.approx(10.0)


def test_restricted_commodity_moves_only_when_admitted(tiny_data, write_yaml):
    data = copy.deepcopy(tiny_data)
    data["zones"][0]["needs_per_person_per_day"]["fuel"] = 0.01
    scenario = load_scenario(write_yaml(data))
    assert plan_proposal(scenario, "none").kpis.trucks_arrived["fuel"] == 0
    data["proposals"][1]["admits"] = ["fuel"]
    admitted = plan_proposal(load_scenario(write_yaml(data)), "pause")
    assert admitted.kpis.trucks_arrived["fuel"] > 0


def test_stock_limits_what_arrives(tiny_data, write_yaml):
    data = _scarce(tiny_data)
    data["stocks"][0]["quantity"] = 7
    result = plan_proposal(load_scenario(write_yaml(data)), "none")
    assert result.kpis.trucks_arrived["food"] == 7
    assert result.bottlenecks[0].kind == "stock"


def test_fractional_capacity_is_rounded_with_small_gap(tiny_data, write_yaml):
    # 2.5 trucks/h gives a fractional LP; the integer plan must stay within the bound.
    data = _scarce(tiny_data)
    data["places"][1]["trucks_per_hour"] = 2.5
    result = plan_proposal(load_scenario(write_yaml(data)), "none")
    assert result.bound == pytest.approx(22 * 2.5 * 10)
    # The reported objective is the integer plan's own value, not clamped: 10 person-days per truck.
    assert result.objective == pytest.approx(10.0 * result.kpis.trucks_arrived["food"])
    assert result.objective <= result.bound + 1e-6
    assert result.objective >= 0.95 * result.bound
    assert result.gap == pytest.approx((result.bound - result.objective) / result.bound)
    assert all(isinstance(c.trucks, int) and c.trucks > 0 for c in result.convoys)


def test_an_integer_plan_above_the_bound_is_an_internal_error(tiny_path, monkeypatch):
    """No clamp hides a plan worth more than the LP allows: it raises instead of reporting gap 0."""
    import safepassage.plan.planner as planner

    real = planner.round_and_repair

    def inflated(model, solution):
        plan = real(model, solution)
        plan.value = solution.objective * 1.01 + 1.0
        return plan

    monkeypatch.setattr(planner, "round_and_repair", inflated)
    with pytest.raises(PlanInvariantError, match="more than the LP bound"):
        plan_proposal(load_scenario(tiny_path), "pause")


def test_unknown_proposal_names_the_known_ones(tiny_path):
    with pytest.raises(UnknownProposalError, match="this scenario has: none, pause"):
        plan_proposal(load_scenario(tiny_path), "truce")


def test_window_value_is_the_gain_of_one_more_hour(tiny_data, write_yaml):
    # With 1,000 people waiting, a window to 11:00 lets one more hour of departures onto the pause
    # road (100 people, worth 1 person-day each, less 0.3 for 2 h walked on r3 and 1 h to the shelter).
    data = copy.deepcopy(tiny_data)
    data["zones"][1]["evacuation"]["wants_to_leave"] = 1000
    result = plan_proposal(load_scenario(write_yaml(data)), "pause", window_value=True)
    window = next(b for b in result.bottlenecks if b.kind == "window")
    assert window.id == "pause.windows"
    assert window.value_per_unit == pytest.approx(100 - 0.3)


def test_quotas_are_prorated_on_a_day_a_window_covers_in_part(tiny_data, write_yaml):
    # The proposal's 100 trucks/day hold inside its 4-hour window (4/24 of the day: 16 trucks); the
    # policy's 10/day hold for the other 20 hours (8 trucks). The gate could pass far more.
    data = _scarce(tiny_data)
    data["places"][1]["trucks_per_hour"] = 10
    data["policy"]["daily_quotas"] = [{"trucks_per_day": 10}]
    data["proposals"][1]["quotas"] = [{"trucks_per_day": 100}]
    result = plan_proposal(load_scenario(write_yaml(data)), "pause")
    assert result.kpis.trucks_crossed["food"] == 16 + 8
    inside = [c for c in result.convoys if "06:00" <= f"{c.legs[1].departs:%H:%M}" < "10:00"]
    assert sum(c.trucks for c in inside) == 16
