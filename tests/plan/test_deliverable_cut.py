"""The stock's part of the Lagrangian bound keeps the implied "deliverable truckloads" rows
(``plan/colgen/pricing.py``: ``deliverable_truckloads``, ``lots_value``): the maximum flow of the
stock through the places' and roads' capacities summed over time, in all and per commodity. The rows
must hold for every plan (checked against the whole LP's optimum and a hand count), the bound with
them must stay above the optimum in every round, and it must never be above the bound without them."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from safepassage.plan.colgen import pricing
from safepassage.plan.colgen.by_paths import solve_by_paths
from safepassage.plan.colgen.graph import truck_graph
from safepassage.plan.colgen.pricing import deliverable_truckloads, initial_multipliers, lots_value, price
from safepassage.plan.condensed import fine_problem
from safepassage.plan.lp_build import build_planning_model
from safepassage.plan.solve import solve_lp
from safepassage.testing.synthetic import target_scenario


def _case(**options):
    scenario = target_scenario(n_places=30, days=2, slot_minutes=60, **options)
    return scenario, scenario.proposal("daily-windows")


def _offloaded(scenario, proposal) -> tuple[float, np.ndarray, float]:
    """Truckloads the whole LP's optimum offloads, in all and per commodity, and its value."""
    model = build_planning_model(scenario, proposal)
    solution = solve_lp(model.lp)
    u = model.col("u")
    loads = solution.x[u.start : u.start + u.size]
    by_kind = np.bincount(model.unload_kind, weights=loads, minlength=len(scenario.commodities))
    return float(loads.sum()), by_kind, solution.objective


@pytest.mark.parametrize("stock_scale", [1.0, 40.0])
def test_no_plan_offloads_more_than_the_deliverable_truckloads(stock_scale):
    scenario, proposal = _case()
    if stock_scale != 1.0:  # far more stock than the crossings can let through: the rows bind
        scenario = scenario.model_copy(update={"stocks": [s.model_copy(update={"quantity": s.quantity * stock_scale}) for s in scenario.stocks]})
    problem = fine_problem(scenario, proposal)
    total, by_kind = deliverable_truckloads(problem, truck_graph(problem))
    offloaded, offloaded_by_kind, _ = _offloaded(scenario, proposal)
    assert offloaded <= total + 1e-6
    assert (offloaded_by_kind <= by_kind + 1e-6).all()
    assert total <= by_kind.sum() + 1e-9  # the commodities share the same roads
    if stock_scale != 1.0:
        assert total < problem.stock.loads.sum()  # the case where the rows cut


def test_the_crossings_throughput_in_the_slots_trucks_may_leave_them_caps_the_deliverable_truckloads():
    """By hand: every truck from the stock reaches the zones through a crossing whose throughput is
    limited; their throughput summed over the slots a truck may leave them is a cut."""
    scenario, proposal = _case()
    scenario = scenario.model_copy(update={"stocks": [s.model_copy(update={"quantity": s.quantity * 40.0}) for s in scenario.stocks]})
    problem = fine_problem(scenario, proposal)
    graph = truck_graph(problem)
    total, _ = deliverable_truckloads(problem, graph)
    leaving = np.zeros((graph.n_places, graph.n_slots), dtype=bool)
    np.logical_or.at(leaving, graph.tail, graph.move_ok)
    crossings = np.unique(graph.tail[graph.from_crossing])
    assert len(crossings) and graph.place_limited[crossings].all() and not graph.offload_ok[:, crossings].any()
    through = sum(float(problem.place_trucks_cap[p][leaving[p]].sum()) for p in crossings.tolist())
    assert 0 < total <= through + 1e-9


def test_the_bound_with_the_rows_is_valid_each_round_and_never_above_the_one_without():
    scenario, proposal = _case(fleet_trucks=400)
    scenario = scenario.model_copy(update={"stocks": [s.model_copy(update={"quantity": s.quantity * 40.0}) for s in scenario.stocks]})
    _, _, exact = _offloaded(scenario, proposal)
    done = solve_by_paths(scenario, proposal, target_gap=0.0)
    assert done.value == pytest.approx(exact, rel=1e-6)
    assert all(r["bound"] >= exact * (1 - 1e-9) for r in done.rounds)
    problem = fine_problem(scenario, proposal)
    graph = truck_graph(problem)
    pi = initial_multipliers(problem)
    lot_value = np.maximum(price(problem, graph, pi).value[problem.stock.slot, problem.stock.kind, problem.stock.place], 0.0)
    kept = lots_value(problem, graph, lot_value)
    plain = float(problem.stock.loads @ lot_value)
    assert kept < plain  # the no-capacity bound counts all 40x the stock; the rows do not let it through
    loose = dataclasses.replace(problem, stock=dataclasses.replace(problem.stock, loads=problem.stock.loads * 0.001))
    assert lots_value(loose, graph, lot_value) == pytest.approx(float(loose.stock.loads @ lot_value))  # not binding: unchanged
    assert pricing._DELIVERABLE  # kept for the rounds


def test_lots_worth_less_than_nothing_count_in_full_and_the_rows_cut_only_the_rest():
    scenario, proposal = _case()
    scenario = scenario.model_copy(update={"stocks": [s.model_copy(update={"quantity": s.quantity * 40.0}) for s in scenario.stocks]})
    problem = fine_problem(scenario, proposal)
    graph = truck_graph(problem)
    loads = problem.stock.loads
    total, by_kind = deliverable_truckloads(problem, graph)
    assert loads.sum() > total
    value = np.where(np.arange(len(loads)) % 2 == 0, 10.0, -3.0)
    negative = float(loads[value < 0] @ value[value < 0])
    kept = lots_value(problem, graph, value)
    # The positive lots fill the rows (each commodity's and the total) with 10 per truckload.
    positive = np.bincount(problem.stock.kind[value > 0], weights=loads[value > 0], minlength=len(by_kind))
    assert kept <= negative + 10.0 * min(total, float(np.minimum(positive, by_kind).sum())) + 1e-9
    assert kept >= negative  # the negative lots are never left out
    assert lots_value(problem, graph, np.zeros(len(loads))) == 0.0


def test_parallel_unlimited_roads_do_not_overflow_the_flow():
    """Two unlimited roads between the same places add up past 32 bits; the flow must still be the
    limit elsewhere (7 trucks through the warehouse), not 0 or negative."""
    from types import SimpleNamespace

    graph = SimpleNamespace(n_places=3, tail=np.array([0, 0, 1]), head=np.array([1, 1, 2]))
    loads = np.array([10.0, 0.0, 0.0])
    place = np.array([7.0, np.inf, np.inf])
    road = np.full(3, np.inf)
    assert pricing._max_flow(graph, loads, place, road, np.array([2])) == 7.0
    assert pricing._max_flow(graph, loads, np.full(3, np.inf), road, np.array([2])) == 10.0  # the stock itself
    assert pricing._max_flow(graph, np.zeros(3), place, road, np.array([2])) == 0.0
