"""Odd inputs for pricing by destination (``plan/colgen/reach.py``): stock that comes in several lots
at an origin that cannot hold it in between, and scenarios with nothing to carry."""

from __future__ import annotations

import numpy as np
import pytest

from safepassage.plan.colgen import solve_by_columns
from safepassage.plan.colgen.graph import truck_graph
from safepassage.plan.colgen.pricing import initial_multipliers, price
from safepassage.plan.colgen.reach import paths_by_zone, reach
from safepassage.plan.condensed import fine_problem
from safepassage.plan.lp_build import build_planning_model
from safepassage.plan.solve import solve_lp
from safepassage.scenario.model import Scenario
from safepassage.testing.synthetic import TARGET_INSTANCE, synthetic_scenario_data


def _stranded_warehouse_with_a_later_lot() -> Scenario:
    """wh-1 moved inside zone z1-2, whose convoys must finish inside windows (10:00-14:00 under
    daily-windows): loaded trucks may not wait there outside a window, so its midnight food lot
    (small enough to leave at once: the plan stays feasible) cannot be held until 11:00, when a
    second food lot comes in."""
    spec = {**TARGET_INSTANCE, "n_places": 20, "days": 1.0}
    data = synthetic_scenario_data(spec.pop("n_places"), spec.pop("days"), 3, 60, **spec)
    for place in data["places"]:
        if place["id"] == "wh-1":
            place["zone"] = "z1-2"
    for zone in data["zones"]:
        if zone["id"] == "z1-2":
            zone["convoys_within_windows"] = True
    data["stocks"] = [s for s in data["stocks"] if s["place"] != "wh-1"]
    data["stocks"].append({"place": "wh-1", "commodity": "food", "quantity": 20.0})
    later = {"place": "wh-1", "commodity": "food", "quantity": 200.0, "available_from": "2024-01-01T11:00"}
    data["stocks"].append(later)
    return Scenario.model_validate(data)


def test_a_later_lot_the_origin_cannot_hold_until_is_a_start_of_its_own():
    scenario = _stranded_warehouse_with_a_later_lot()
    problem = fine_problem(scenario, scenario.proposal("daily-windows"))
    graph = truck_graph(problem)
    wh = [p.id for p in scenario.places].index("wh-1")
    stock = problem.stock
    late = np.flatnonzero((stock.place == wh) & (stock.slot > 0))
    assert len(late) == 1 and not graph.holdable[wh, : stock.slot[late[0]]].all()  # the case is what it says
    pi = initial_multipliers(problem)
    found, backward = reach(problem, graph, pi), price(problem, graph, pi)
    origin = {(p, k): o for o, (p, k, _) in enumerate(found.origin.tolist())}
    for p, k, t in zip(stock.place.tolist(), stock.kind.tolist(), stock.slot.tolist()):
        o = origin[(p, k)]
        # A truckload of a lot, standing at its origin when it comes in, has spent nothing yet.
        assert found.value[t, o, p] == 0.0
        # And the best it can be worth from there on is what the backward sweep says it is.
        later = found.value[t:, o, :] + found.offload[k].T[t:]
        expected = float(backward.value[t, k, p])
        if expected > 1e-6:
            assert float(later.max()) >= expected - 1e-6 * expected
    # Paths still start where some lot is, no earlier than it comes in.
    for kind, moves in paths_by_zone(graph, found, problem.terms.slot_day, 1e-6):
        if moves:
            a, d = moves[0]
            lots = stock.slot[(stock.place == graph.tail[a]) & (stock.kind == kind)]
            assert len(lots) and d >= lots.min()


def test_columns_with_zone_paths_reach_the_whole_lp_there():
    scenario = _stranded_warehouse_with_a_later_lot()
    proposal = scenario.proposal("daily-windows")
    exact = solve_lp(build_planning_model(scenario, proposal).lp).objective
    for mode in ("unserved", "all"):
        done = solve_by_columns(scenario, proposal, target_gap=0.0, zone_paths=mode)
        assert done.value == pytest.approx(exact, rel=1e-6)
        assert all(r["bound"] >= exact * (1 - 1e-6) for r in done.rounds)


def _recomputed(problem, graph, steps, kind, start, moves, end):
    """The reduced value of a path recomputed step by step from ``start`` (place, slot) through
    ``moves`` to offloading at ``end`` (place, slot), or a list of the rules it breaks."""
    broken: list[str] = []
    value = 0.0
    (p, t), (p_end, t_end) = start, end
    stock = problem.stock
    if not ((stock.place == p) & (stock.kind == kind) & (stock.slot == t) & (stock.loads > 0)).any():
        broken.append("starts where and when no lot is")

    def hold(place: int, frm: int, to: int) -> float:
        if to < frm:
            broken.append("leaves before it arrives")
        if not graph.holdable[place, frm:to].all():
            broken.append("waits where loaded trucks may not wait")
        return float(steps.hold[kind, place, frm:to].sum())

    for a, d in moves:
        if graph.tail[a] != p:
            broken.append("a move leaves where the last did not arrive")
        value += hold(p, t, d)
        if not graph.movements_of(np.array([a]), np.array([d]), np.array([kind]))[0]:
            broken.append("a move the whole LP does not have")
        value += steps.move[a, d] - steps.quota[kind, p, d]
        p, t = int(graph.head[a]), int(graph.arr[a, d])
    if p != p_end:
        broken.append("ends elsewhere")
    value += hold(p, t, t_end)
    if not graph.offload_ok[kind, p_end, t_end]:
        broken.append("offloads where the LP has no offloading")
    return broken or value + steps.offload[kind, p_end, t_end]


@pytest.mark.parametrize("case", ["stranded", "gaza"])
def test_every_zone_path_keeps_the_rules_and_is_worth_its_score(case):
    from safepassage.plan.colgen.pricing import first_tier_price, step_values
    from safepassage.plan.colgen.reach import HELD, START, UNREACHED
    from safepassage.scenario import load_scenario

    if case == "gaza":
        scenario, proposal = load_scenario("gaza-2023-11"), "daily-4h-north"
    else:
        scenario, proposal = _stranded_warehouse_with_a_later_lot(), "daily-windows"
    problem = fine_problem(scenario, scenario.proposal(proposal))
    graph = truck_graph(problem)
    rng = np.random.default_rng(7)
    pi = initial_multipliers(problem)
    pi.place = rng.uniform(0, 50, pi.place.shape) * (rng.random(pi.place.shape) < 0.3)
    pi.quota = rng.uniform(0, 200, pi.quota.shape)
    pi.fleet = rng.uniform(0, 5, pi.fleet.shape)
    pi.need = first_tier_price(problem) * rng.uniform(0.2, 1.0, pi.need.shape)
    steps = step_values(problem, graph, pi)
    found = reach(problem, graph, pi)
    checked = 0
    for o, (_, kind, _) in enumerate(found.origin.tolist()):
        score = found.value[:, o, :] + found.offload[kind].T
        ends = np.argwhere(np.isfinite(score) & (score > 1e-6))
        for t_end, p_end in ends[rng.permutation(len(ends))[:60]].tolist():  # a sample of every worthwhile end
            # Walk back to the start the sweep recorded (what paths_by_zone traces).
            moves, t, p = [], t_end, p_end
            while (a := int(found.arc[t, o, p])) != START:
                assert a != UNREACHED
                if a == HELD:
                    t -= 1
                    continue
                moves.append((a, int(found.dep[t, o, p])))
                p, t = int(graph.tail[a]), int(found.dep[t, o, p])
            value = _recomputed(problem, graph, steps, kind, (p, t), moves[::-1], (p_end, t_end))
            assert not isinstance(value, list), value
            assert value == pytest.approx(float(score[t_end, p_end]), rel=1e-9, abs=1e-6)
            checked += 1
    assert checked > 10
