"""Pricing by destination (``plan/colgen/reach.py``): the forward sweep agrees with the backward one,
its paths are made of movements the whole LP has and are worth what the sweep says, and a master
seeded with a path to every zone and day starts far closer to the optimum."""

from __future__ import annotations

import numpy as np
import pytest

from safepassage.errors import PlanInvariantError
from safepassage.plan.colgen import solve_by_columns
from safepassage.plan.colgen.graph import truck_graph
from safepassage.plan.colgen.pricing import first_tier_price, initial_multipliers, price
from safepassage.plan.colgen.reach import _trace, paths_by_zone, reach, trace_many
from safepassage.plan.condensed import fine_problem
from safepassage.plan.lp_build import build_planning_model
from safepassage.plan.solve import solve_lp
from safepassage.scenario import load_scenario
from safepassage.testing.synthetic import target_scenario


def _cases():
    week = target_scenario(n_places=30, days=2, slot_minutes=60)
    gaza = load_scenario("gaza-2023-11")
    return [(week, "daily-windows"), (gaza, "daily-4h-north"), (gaza, "no-pause")]


def _priced(problem, graph, rng):
    """Multipliers of every kind, random but of the valid sign, so that no term is left untested."""
    pi = initial_multipliers(problem)
    pi.place = rng.uniform(0, 50, pi.place.shape) * (rng.random(pi.place.shape) < 0.3)
    pi.road = rng.uniform(0, 50, pi.road.shape) * (rng.random(pi.road.shape) < 0.3)
    pi.offload = rng.uniform(0, 50, pi.offload.shape) * (rng.random(pi.offload.shape) < 0.3)
    pi.quota = rng.uniform(0, 200, pi.quota.shape)
    pi.fleet = rng.uniform(0, 5, pi.fleet.shape)
    pi.need = first_tier_price(problem) * rng.uniform(0.2, 1.0, pi.need.shape)
    return pi


def _problem(case: int):
    scenario, proposal = _cases()[case]
    problem = fine_problem(scenario, scenario.proposal(proposal))
    return problem, truck_graph(problem)


@pytest.mark.parametrize("case", range(3))
def test_the_best_destination_of_each_origin_is_worth_what_the_backward_sweep_says(case):
    problem, graph = _problem(case)
    rng = np.random.default_rng(case)
    for pi in (initial_multipliers(problem), _priced(problem, graph, rng)):
        backward = price(problem, graph, pi)
        found = reach(problem, graph, pi)
        assert len(found.origin)
        checked = 0
        for o, (place, kind, slot) in enumerate(found.origin.tolist()):
            best_forward = float(np.max(found.value[:, o, :] + found.offload[kind].T))
            expected = float(backward.value[slot, kind, place])
            if expected > 1e-6:  # else the best is to keep the load (worth ≤ 0 either way)
                assert best_forward == pytest.approx(expected, rel=1e-9, abs=1e-6)
                checked += 1
        assert checked


@pytest.mark.parametrize("case", range(2))
def test_paths_by_zone_are_whole_lp_movements_worth_their_reduced_value(case):
    problem, graph = _problem(case)
    pi = _priced(problem, graph, np.random.default_rng(10 + case))
    found = reach(problem, graph, pi)
    paths = paths_by_zone(graph, found, problem.terms.slot_day, 1e-6)
    assert paths
    zones = {int(graph.zone[graph.head[moves[-1][0]]]) for _, moves in paths if moves}
    assert len(zones) > 1  # more than the single best destination
    for kind, moves in paths:
        arcs = np.array([a for a, _ in moves], dtype=np.int64)
        deps = np.array([d for _, d in moves], dtype=np.int64)
        assert graph.movements_of(arcs, deps, np.full(len(arcs), kind)).all()
        # Consecutive: each move leaves where the last arrived, no earlier than it arrived.
        for (a, d), (b, e) in zip(moves, moves[1:]):
            assert graph.head[a] == graph.tail[b] and graph.arr[a, d] <= e


def test_zone_paths_start_the_master_closer_and_keep_it_exact():
    scenario, proposal = _cases()[0]
    exact = solve_lp(build_planning_model(scenario, scenario.proposal(proposal)).lp).objective
    without = solve_by_columns(scenario, scenario.proposal(proposal), max_rounds=1, zone_paths="off")
    for mode in ("unserved", "all"):
        with_zones = solve_by_columns(scenario, scenario.proposal(proposal), max_rounds=1, zone_paths=mode)
        assert with_zones.value <= exact * (1 + 1e-6) and with_zones.bound >= exact * (1 - 1e-6)
        assert with_zones.value > without.value
        done = solve_by_columns(scenario, scenario.proposal(proposal), target_gap=0.0, zone_paths=mode)
        assert done.stopped in ("gap", "priced out")
        assert done.value == pytest.approx(exact, rel=1e-6)


def test_an_unknown_zone_paths_mode_is_a_named_error():
    scenario, proposal = _cases()[0]
    with pytest.raises(ValueError, match="zone_paths must be one of off, unserved, all"):
        solve_by_columns(scenario, scenario.proposal(proposal), zone_paths="some")


def test_a_master_stopped_by_the_time_left_leaves_the_last_round_standing(monkeypatch):
    from safepassage.errors import SolverError
    from safepassage.plan.colgen import master

    scenario, proposal = _cases()[0]
    one = solve_by_columns(scenario, scenario.proposal(proposal), max_rounds=1)
    limits: list[float] = []
    real = master.solve_lp

    def second_runs_out(lp, highs=None, **options):
        limits.append(float(highs.getOptionValue("time_limit")[1]))
        if len(limits) == 2:
            raise SolverError("HiGHS stopped without an optimal plan: Time limit reached")
        return real(lp, highs=highs, **options)

    monkeypatch.setattr(master, "solve_lp", second_runs_out)
    done = solve_by_columns(scenario, scenario.proposal(proposal), time_limit_s=3600.0)
    assert limits[0] == float("inf")  # the first master has no limit: without it there is no plan
    assert 1.0 <= limits[1] <= 3600.0  # the second gets the time left
    assert done.stopped == "time" and len(done.rounds) == 1
    assert done.value == one.value and done.bound == one.bound
    # Without a time limit, a failing master is an error, as before.
    limits.clear()
    monkeypatch.setattr(master, "solve_lp", second_runs_out)
    with pytest.raises(SolverError, match="Time limit"):
        solve_by_columns(scenario, scenario.proposal(proposal))


@pytest.mark.parametrize("case", range(3))
def test_the_batched_trace_gives_each_end_the_path_the_one_by_one_trace_gives(case):
    """``trace_many`` (every path a step per pass) against ``_trace`` (one path at a time), at every
    reached (origin, place, slot) with an offloading, under random multipliers."""
    problem, graph = _problem(case)
    found = reach(problem, graph, _priced(problem, graph, np.random.default_rng(20 + case)))
    slots, origins, places = np.nonzero(np.isfinite(found.value))
    assert len(slots)
    pick = np.random.default_rng(case).permutation(len(slots))[:400]
    batched = trace_many(graph, found, origins[pick], places[pick], slots[pick])
    for (start, moves), o, p, t in zip(batched, origins[pick], places[pick], slots[pick]):
        assert (start, moves) == _trace(graph, found, int(o), int(p), int(t))
    assert trace_many(graph, found, *(np.zeros(0, dtype=np.int64),) * 3) == []
    unreached = np.argwhere(found.arc == -3)
    if len(unreached):
        t, o, p = unreached[0]
        with pytest.raises(PlanInvariantError, match="unreached place"):
            trace_many(graph, found, np.array([o]), np.array([p]), np.array([t]))
