"""Trucks that cannot form a convoy are re-timed before they are dropped (``plan/convoy_retime.py``).

- A constructed case: a lone truck a few hours after a convoy of its route, with room in every limit
  at the convoy's time, rides with the convoy; the plan keeps every limit, recomputed from scratch.
- The same case with the crossing full at the convoy's time: the truck is dropped, and says why.
- Small synthetic scenarios with convoy rules: every plan keeps every rule (independent checker, which
  checks the convoy rules too), every truck rides in one convoy or is dropped with a reason.
- The truce: the fuel trucks of the LP's fuel flow arrive (issue 14's fragility).
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safepassage.plan import plan_proposal
from safepassage.plan.aggregate import solve_planning_lp
from safepassage.plan.convoy_retime import _OneMore
from safepassage.plan.convoys import Rules, consolidate
from safepassage.plan.integer import (
    _capacity_matrix,
    _Valuer,
    integer_plan,
    people_paths,
    round_and_repair,
    stock_limits,
    truck_paths,
)
from safepassage.plan.lp_build import build_planning_model
from safepassage.plan.path_variants import PathVariants, extended
from safepassage.plan.quota_floors import path_incidence
from safepassage.scenario.model import ConvoyRules, Scenario
from safepassage.testing.synthetic import synthetic_scenario, synthetic_scenario_data
from tests.plan.plan_checker import check_plan

# One depot, one crossing, one distribution point; hourly slots; food needed far beyond what a day brings.
LINE = """
name: line
title: A line for re-timing
timezone: UTC
horizon: {start: 2024-01-01T00:00, days: 1, slot_minutes: 60}
places:
  - {id: depot, name: Depot, kind: warehouse, geometry: {type: Point, coordinates: [34.0, 31.0]}}
  - {id: gate, name: Gate, kind: crossing, trucks_per_hour: GATE, geometry: {type: Point, coordinates: [34.1, 31.0]}}
  - {id: dp, name: DP, kind: distribution_point, zone: south, geometry: {type: Point, coordinates: [34.2, 31.0]}}
roads:
  - {id: r1, from: depot, to: gate, length_km: 10, truck_speed_kmh: 10}
  - {id: r2, from: gate, to: dp, length_km: 10, truck_speed_kmh: 10}
zones:
  - id: south
    name: South
    population: 100000
    geometry: {type: Polygon, coordinates: [[[34.0, 30.9], [34.4, 30.9], [34.4, 31.05], [34.0, 31.05], [34.0, 30.9]]]}
    needs_per_person_per_day: {food: 0.01}
commodities:
  - {id: food, name: Food, unit: t, truck_payload: 1, priority: 1}
stocks:
  - {place: depot, commodity: food, quantity: 500}
objective:
  tiers: [{up_to_share: 1.0, weight: 1.0}]
  aid_earliness_bonus: 0.5
  truck_hour_cost: 0
proposals:
  - {id: open, name: Open}
"""


def _line(gate_per_hour: int):  # type: ignore[no-untyped-def]
    scenario = Scenario.model_validate(yaml.safe_load(LINE.replace("GATE", str(gate_per_hour))))
    model = build_planning_model(scenario, scenario.proposal("open"))
    solution = solve_planning_lp(model)
    return model, solution


def _lone_truck_plan(model, solution, convoy_trucks: int, later_slots: int):  # type: ignore[no-untyped-def]
    """``convoy_trucks`` trucks on one LP path and one truck on the same route ``later_slots`` later."""
    trucks, people = truck_paths(model, solution), people_paths(model, solution)
    moving = [j for j, p in enumerate(trucks.paths) if any(trucks.edges.edge_type[e] == 0 for e in p.edges)]
    first = min(moving, key=lambda j: trucks.end_slot[j])
    variants = PathVariants(model, trucks.edges.edge_type, trucks.edges.ref)
    lone = variants.variant(trucks.paths[first], 0, None, later_slots)
    assert lone is not None
    flow = extended(trucks, [lone], model)
    amounts = np.zeros(len(flow.paths))
    amounts[first], amounts[-1] = convoy_trucks, 1
    return integer_plan(model, flow, people, amounts, np.floor(people.amount + 1e-6)), first


def _keeps_every_limit(model, plan) -> None:  # type: ignore[no-untyped-def]
    """Every capacity row, column bound and stock lot, recomputed from the plan's paths."""
    capacity, upper = _capacity_matrix(model)
    use = path_incidence(plan.trucks, model.lp.n_cols) @ plan.trucks_int
    _, _, column_upper, _, _ = model.lp.vectors()
    assert np.all(capacity @ use <= upper + 1e-6)
    assert np.all(use <= column_upper + 1e-6)
    member, stock = stock_limits(model, plan.trucks)
    assert np.all(member @ plan.trucks_int <= stock + 1e-6)


def test_a_lone_truck_with_room_at_the_convoys_time_rides_with_the_convoy() -> None:
    model, solution = _line(gate_per_hour=10)
    plan, first = _lone_truck_plan(model, solution, convoy_trucks=4, later_slots=6)
    rules = Rules(min_trucks=5, max_trucks=20, marshalling_minutes=60)
    consolidated = consolidate(model, plan, rules)
    assert consolidated.consolidation.trucks_dropped == 0 and consolidated.dropped == []
    assert consolidated.trucks_retimed == 1
    (convoy,) = consolidated.consolidation.convoys
    assert convoy.trucks == 5 and convoy.last_departure_min - convoy.first_departure_min <= 60
    assert consolidated.plan.trucks_int.sum() == 5
    assert consolidated.plan.value > plan.value - 1e-9  # the truck arrives earlier here, worth as much at least
    _keeps_every_limit(model, consolidated.plan)


def test_a_lone_truck_without_room_is_dropped_with_its_reason() -> None:
    model, solution = _line(gate_per_hour=4)  # the convoy's hour at the gate is full
    plan, first = _lone_truck_plan(model, solution, convoy_trucks=4, later_slots=6)
    consolidated = consolidate(model, plan, Rules(min_trucks=5, max_trucks=20, marshalling_minutes=0))
    assert consolidated.consolidation.trucks_dropped == 5  # nothing reaches five: the whole plan stays
    reasons = " | ".join(d["reason"] for d in consolidated.dropped)
    assert sum(d["trucks"] for d in consolidated.dropped) == 5
    assert "below min_trucks 5" in reasons and "full: place_trucks" in reasons and "gate" in reasons, reasons


def test_the_search_values_one_more_truck_exactly_as_the_valuer_does() -> None:
    """``_OneMore`` reads only the paths of the changed (zone, commodity): the same float as
    ``_Valuer.truck_gains_one`` over every path, for any whole trucks per path."""
    scenario = synthetic_scenario(12, 1, 3, 60)
    model = build_planning_model(scenario, scenario.proposal("daily-windows"))
    plan = round_and_repair(model, solve_planning_lp(model))
    valuer = _Valuer(model, plan.trucks, plan.people, plan.people_int)
    one_more = _OneMore(valuer)
    rng = np.random.default_rng(7)
    for z in (plan.trucks_int, np.zeros_like(plan.trucks_int), rng.integers(0, 40, len(plan.trucks_int))):
        z = np.asarray(z, dtype=np.int64)
        for j in range(len(z)):
            assert one_more(z, j) == valuer.truck_gains_one(z.astype(np.float64), j)
        some = [int(j) for j in rng.integers(0, len(z), 50)]
        assert one_more.many(z, some).tolist() == [valuer.truck_gains_one(z.astype(np.float64), j) for j in some]


def test_the_search_counts_dropped_trucks_as_a_full_regrouping_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """``_Search.drops`` (key by key, counts kept) says at every step of a re-timing what ``grouped()``
    (every journey packed again) says."""
    from safepassage.plan import convoy_retime

    checked = []
    drops = convoy_retime._Search.drops

    def both(search: convoy_retime._Search) -> int:
        count = drops(search)
        assert count == search.grouped().trucks_dropped
        checked.append(count)
        return count

    monkeypatch.setattr(convoy_retime._Search, "drops", both)
    data = synthetic_scenario_data(12, 1.0, 5, 60)
    data["convoy_rules"] = {"min_trucks": 4, "max_trucks": 8, "marshalling_minutes": 60}
    scenario = Scenario.model_validate(data)
    for proposal in scenario.proposals:
        plan_proposal(scenario, proposal.id)
    assert len(checked) > 10 and max(checked) > 0


rules_strategy = st.builds(
    lambda lo, marshal: ConvoyRules(min_trucks=lo, max_trucks=lo + 10, marshalling_minutes=marshal),
    st.integers(2, 6), st.sampled_from([0, 60, 180]),
)


@pytest.mark.slow
@settings(max_examples=8, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(n_places=st.integers(8, 14), seed=st.integers(0, 2**31 - 1), rules=rules_strategy)
def test_retimed_convoys_keep_every_rule_on_small_scenarios(n_places: int, seed: int, rules: ConvoyRules) -> None:
    data = synthetic_scenario_data(n_places, 1.0, seed, 60)
    data["convoy_rules"] = rules.model_dump(mode="json", exclude_none=True)
    text = yaml.safe_dump(data, sort_keys=False)
    scenario = Scenario.model_validate(data)
    plain = scenario.model_copy(update={"convoy_rules": None})
    for proposal in scenario.proposals:
        result = plan_proposal(scenario, proposal.id)
        assert check_plan(text, result.to_dict()) == [], proposal.id
        report = result.consolidation
        before = sum(j.trucks for j in plan_proposal(plain, proposal.id).convoys)
        assert sum(j.trucks for j in result.convoys) + report["trucks_dropped"] == before + report["trucks_added"]
        assert sum(d["trucks"] for d in report["dropped"]) == report["trucks_dropped"]
        assert all(d["reason"] for d in report["dropped"])


def _fuel(scenario: Scenario, proposal: str) -> tuple[float, int, int, list[dict]]:
    """LP fuel truckloads offloaded, the plan's fuel trucks, the fuel trucks reported dropped, the drops."""
    model = build_planning_model(scenario, scenario.proposal(proposal))
    solution = solve_planning_lp(model)
    fuel = [c.id for c in scenario.commodities].index("fuel")
    offloaded = float(solution.x[model.col("u").slice()][model.unload_kind == fuel].sum())
    result = plan_proposal(scenario, proposal)
    planned = sum(c.cargo_trucks.get("fuel", 0) for c in result.convoys)
    dropped = result.consolidation["dropped"]
    return offloaded, planned, sum(d["trucks"] for d in dropped if d["commodity"] == "fuel"), dropped


@pytest.mark.slow
def test_the_gaza_truce_proposal_brings_the_fuel_of_the_lp() -> None:
    from safepassage.scenario import load_scenario

    offloaded, planned, missing, dropped = _fuel(load_scenario("gaza-2023-11"), "truce-4day")
    assert offloaded > 0 and planned >= round(offloaded) - missing
    assert planned == round(offloaded), dropped


@pytest.mark.slow
def test_the_truce_brings_the_fuel_of_the_lp_whatever_its_optimum() -> None:
    """Backtest episode of the truce (7 days, 4 fuel trucks a day agreed): the plan's fuel trucks equal
    the LP's fuel truckloads, rounded, or each one missing is reported dropped with its reason."""
    from safepassage.evaluate.backtest import episode_scenario, load_episode

    episode, path = load_episode("gaza-truce-2023-11-24")
    scenario, proposal = episode_scenario(episode, path)
    offloaded, planned, missing, dropped = _fuel(scenario, proposal)
    assert round(offloaded) == 28  # 4 a day over 7 days, as agreed
    # Each fuel truck short is one reported dropped (with a reason); on this plan, none is short: a fuel
    # load left out of a small group is re-timed, or the stock it leaves rides in a convoy that goes.
    assert planned >= round(offloaded) - missing
    assert planned == round(offloaded), dropped
    assert all(d["reason"] for d in dropped)
