"""The path master's fleet chain and its two solvers (``plan/colgen/path_master.py``): the chain
counts the fleet exactly as the fleet rows do, the interior point's duals price paths as the sweeps
do, its flows keep every row, and column generation reaches the same optimum by either solver."""

from __future__ import annotations

import numpy as np
import pytest

from safepassage.plan.colgen.by_paths import _backward_paths, _zone_paths, solve_by_paths
from safepassage.plan.colgen.graph import truck_graph
from safepassage.plan.colgen.path_master import PathMaster
from safepassage.plan.colgen.pricing import blend, initial_multipliers, price, step_values
from safepassage.plan.condensed import fine_problem
from safepassage.plan.lp_build import build_planning_model
from safepassage.plan.solve import solve_lp
from safepassage.testing.synthetic import target_scenario
from tests.plan.test_colgen_paths import _path_value


def _case(fleet_trucks: int | None = None):
    """The 30-place 2-day week; ``fleet_trucks`` small makes the fleet bind."""
    options = {} if fleet_trucks is None else {"fleet_trucks": fleet_trucks}
    scenario = target_scenario(n_places=30, days=2, slot_minutes=60, **options)
    return scenario, scenario.proposal("daily-windows")


def _master_after_rounds(solver: str, rounds: int = 3, fleet_trucks: int | None = 12):
    scenario, proposal = _case(fleet_trucks)
    problem = fine_problem(scenario, proposal)
    graph = truck_graph(problem)
    master = PathMaster(problem, graph, solver=solver)
    pi = initial_multipliers(problem)
    pricing = price(problem, graph, pi)
    for _ in range(rounds):
        found = _backward_paths(problem, graph, pricing, master, 50, 1e-6)
        master.add(found + _zone_paths(problem, graph, pi, master, 1e-6, "all"))
        master.solve()
        pi = master.multipliers()
        pricing = price(problem, graph, pi)
    return problem, graph, master, pi


def _fleet_use(master: PathMaster, flows: np.ndarray) -> np.ndarray:
    """Trucks in use per slot by ``master.paths`` at ``flows``, from the paths' own (unchained) entries."""
    _, starts, keys, coefs = master.columns(master.paths)
    owner = np.repeat(np.arange(len(master.paths)), np.diff(np.append(starts, len(keys))))
    first = int(master.offset[PathMaster.FLEET])
    fleet = (keys >= first) & (keys < first + master.graph.n_slots)
    return np.bincount(keys[fleet] - first, weights=coefs[fleet] * flows[owner[fleet]], minlength=master.graph.n_slots)


@pytest.mark.parametrize("solver", ["simplex", "ipm"])
def test_the_fleet_chain_counts_the_trucks_in_use_as_the_fleet_rows_do(solver):
    """Each chain column y_t is the trucks the paths have in use in slot t, summed from the paths'
    own fleet entries; none is above the fleet, and the fleet binds somewhere (so it is tested)."""
    _, _, master, pi = _master_after_rounds(solver)
    flows = master.path_values()
    assert len(flows) == len(master.paths)
    use = _fleet_use(master, flows)
    chain = master.col_value[master.fleet_col]
    trucks = float(master.problem.scenario.fleet.trucks)
    np.testing.assert_allclose(chain, use, rtol=0, atol=1e-6 * trucks)
    assert use.max() <= trucks * (1 + 1e-6)
    assert use.max() >= trucks * (1 - 1e-6) and pi.fleet.max() > 1e-9  # the fleet binds and is priced


def test_chained_entries_telescope_back_to_the_fleet_entries():
    """Summing a column's chain entries slot by slot (and negating) gives back its fleet entries in
    every slot, on paths with holds, moves and waits; the other rows' entries are untouched."""
    _, _, master, _ = _master_after_rounds("simplex", rounds=2)
    _, starts, keys, coefs = master.columns(master.paths)
    c_starts, c_keys, c_coefs = master._chained(starts, keys, coefs)
    first, n_slots = int(master.offset[PathMaster.FLEET]), master.graph.n_slots
    ends, c_ends = np.append(starts[1:], len(keys)), np.append(c_starts[1:], len(c_keys))
    checked = 0
    for j in range(len(master.paths)):
        k, c = keys[starts[j]:ends[j]], coefs[starts[j]:ends[j]]
        ck, cc = c_keys[c_starts[j]:c_ends[j]], c_coefs[c_starts[j]:c_ends[j]]
        assert np.all(np.diff(ck) > 0)  # sorted, no duplicates
        fleet, c_fleet = (k >= first) & (k < first + n_slots), (ck >= first) & (ck < first + n_slots)
        assert np.array_equal(k[~fleet], ck[~c_fleet]) and np.array_equal(c[~fleet], cc[~c_fleet])
        profile = np.zeros(n_slots)
        profile[k[fleet] - first] = c[fleet]
        steps = np.zeros(n_slots)
        steps[ck[c_fleet] - first] = cc[c_fleet]
        np.testing.assert_allclose(-np.cumsum(steps), profile, atol=1e-12)
        assert c_fleet.sum() <= fleet.sum() + 1
        checked += int(fleet.sum() > 2)
    assert checked > 10


def test_the_interior_points_duals_price_each_path_as_the_sweeps_do():
    """The filter's reduced values at the interior point's duals (clipped to their valid sign) are
    the sweeps' values of each path at the master's multipliers less its lot's dual; the same
    master solved by the simplex has the same optimum."""
    problem, graph, master, pi = _master_after_rounds("ipm")
    assert not master.at_vertex
    steps = step_values(problem, graph, pi)
    lot_dual = master.lot_dual
    expected = np.array([_path_value(problem, graph, steps, master, p) - lot_dual[p.lot] for p in master.paths])
    scale = max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(master.reduced_values(master.paths), expected, rtol=0, atol=1e-9 * scale)
    interior = master.value
    master.solve(vertex=True)
    assert master.at_vertex
    assert master.value == pytest.approx(interior, rel=1e-6)


def test_the_flows_keep_every_row_after_an_interior_point_solve():
    """``flows`` after an interior-point solve: every row's use within its right-hand side with no
    tolerance; each path's flow scaled by one factor within 1e-6 of 1, and only paths carrying at
    most 1e-6 truckloads left out."""
    _, _, master, _ = _master_after_rounds("ipm")
    paths, flows = master.flows()
    assert len(paths) and (flows > 0).all()
    _, starts, keys, coefs = master.columns(paths)
    owner = np.repeat(np.arange(len(paths)), np.diff(np.append(starts, len(keys))))
    limited = keys < master.offset[PathMaster.NEED]
    use = np.zeros(int(master.offset[-1]))
    np.add.at(use, keys[limited], coefs[limited] * flows[owner[limited]])
    assert (use <= master.rhs).all()
    values = dict(zip(master.paths, master.path_values().tolist()))
    before = np.array([values[p] for p in paths])
    assert (flows <= before).all() and (flows >= before * (1 - 1e-6)).all()  # one common factor, near 1
    dropped = [v for p, v in values.items() if p not in set(paths)]
    assert all(v <= 1e-6 for v in dropped)


@pytest.mark.parametrize("solver", ["ipm", "simplex"])
def test_either_solver_reaches_the_whole_lp_optimum(solver):
    scenario, proposal = _case()
    exact = solve_lp(build_planning_model(scenario, proposal).lp).objective
    done = solve_by_paths(scenario, proposal, target_gap=0.0, master_solver=solver)
    assert done.stopped in ("priced out", "gap")
    assert done.value == pytest.approx(exact, rel=1e-6)
    assert all(r["bound"] >= exact * (1 - 1e-9) for r in done.rounds)
    if solver == "ipm":  # the rounds went on by the simplex near the optimum
        assert sum(r.get("to_simplex", 0.0) for r in done.rounds) == 1.0


@pytest.mark.parametrize("smoothing", [0.5, 0.9])
def test_smoothed_rounds_reach_the_same_optimum_with_valid_bounds(smoothing):
    """Pricing at a blend of the best multipliers and the master's (where the master's did not lower
    the bound) changes which paths come in, never the optimum, and every bound is still above it."""
    scenario, proposal = _case(fleet_trucks=12)
    exact = solve_lp(build_planning_model(scenario, proposal).lp).objective
    plain = solve_by_paths(scenario, proposal, target_gap=0.0, smoothing=0.0)
    done = solve_by_paths(scenario, proposal, target_gap=0.0, smoothing=smoothing)
    assert done.stopped in ("priced out", "gap")
    assert done.value == pytest.approx(exact, rel=1e-6)
    assert all(r["bound"] >= exact * (1 - 1e-9) for r in done.rounds)
    assert not any(r["smoothed"] for r in plain.rounds)
    assert any(r["smoothed"] for r in done.rounds)  # the case does make the master's duals swing


def test_a_blend_keeps_the_multipliers_signs_and_refuses_weights_outside_0_1():
    _, _, _, pi = _master_after_rounds("ipm", rounds=2)
    start = initial_multipliers(pi_problem := _master_after_rounds("ipm", rounds=1)[0])
    mixed = blend(start, pi, 0.3)
    for name in ("place", "road", "offload", "quota", "fleet", "need"):
        assert (getattr(mixed, name) >= 0).all()
        assert np.allclose(getattr(mixed, name), 0.3 * getattr(start, name) + 0.7 * getattr(pi, name))
    assert mixed.rhs_value == pytest.approx(0.3 * start.rhs_value + 0.7 * pi.rhs_value)
    assert pi_problem.n_slots == len(mixed.fleet)
    for weight in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="weight"):
            blend(start, pi, weight)


def test_an_unknown_solver_is_a_named_error():
    scenario, proposal = _case()
    problem = fine_problem(scenario, proposal)
    with pytest.raises(ValueError, match="solver must be one of ipm, simplex"):
        PathMaster(problem, truck_graph(problem), solver="barrier")
    with pytest.raises(ValueError, match="master_solver must be one of ipm, simplex; got 'pdlp'"):
        solve_by_paths(scenario, proposal, master_solver="pdlp")


@pytest.mark.parametrize("smoothing", [-0.1, 1.0, float("nan")])
def test_a_smoothing_weight_outside_0_1_is_a_named_error(smoothing):
    scenario, proposal = _case()
    with pytest.raises(ValueError, match="smoothing"):
        solve_by_paths(scenario, proposal, smoothing=smoothing)
