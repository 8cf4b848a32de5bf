"""The path master (``plan/colgen/path_master.py``, ``by_paths.py``): every path counts in the rows
exactly as the pricing sweeps price it, and column generation over whole paths reaches the whole
LP's optimum under a bound that holds every round."""

from __future__ import annotations

from pathlib import Path as FilePath

import numpy as np
import pytest

from safepassage.errors import PlanInvariantError
from safepassage.plan.bottleneck import find_bottlenecks
from safepassage.plan.colgen.by_paths import _backward_paths, _zone_paths, solve_by_paths
from safepassage.plan.colgen.graph import truck_graph
from safepassage.plan.colgen.path_master import Path, PathMaster
from safepassage.plan.colgen.pricing import initial_multipliers, multipliers_from, price, step_values, write_multipliers
from safepassage.plan.condensed import DEFAULT_LEVELS, PATH_LEVELS, fine_problem, solve_condensed
from safepassage.plan.lp_build import build_planning_model
from safepassage.plan.solve import solve_lp
from safepassage.scenario import load_scenario
from safepassage.testing.synthetic import target_scenario
from tests.plan.test_colgen_reach_edges import _stranded_warehouse_with_a_later_lot

CEASEFIRE = FilePath(__file__).parents[1] / "scenarios" / "ceasefire.yaml"


def _week():
    return target_scenario(n_places=30, days=2, slot_minutes=60), "daily-windows"


def _path_value(problem, graph, steps, master: PathMaster, path: Path) -> float:
    """The reduced value of ``path`` as the sweeps add it up (before its lot's dual)."""
    lots = master.lots
    kind, place, slot = int(lots.kind[path.lot]), int(lots.place[path.lot]), int(lots.slot[path.lot])
    value = 0.0
    for arc, dep in path.moves:
        value += float(np.sum(steps.hold[kind, place, slot:dep]))
        value += float(steps.move[arc, dep] - steps.quota[kind, graph.tail[arc], dep])
        place, slot = int(graph.head[arc]), int(graph.arr[arc, dep])
    end_place, end_slot = path.end
    assert end_place == place
    value += float(np.sum(steps.hold[kind, place, slot:end_slot]))
    return value + float(steps.offload[kind, end_place, end_slot])


def assert_reduced_costs_are_the_sweeps(problem, graph, master: PathMaster, pi) -> None:
    """HiGHS's reduced cost of every path column of ``master``'s last solve equals the sweeps' value of
    that path under ``pi`` (its multipliers) less its lot's dual."""
    steps = step_values(problem, graph, pi)
    col_dual = np.asarray(master.highs.getSolution().col_dual)[np.array(master.path_col)]
    lot_dual = master.lot_dual
    expected = np.array([_path_value(problem, graph, steps, master, p) - lot_dual[p.lot] for p in master.paths])
    scale = max(1.0, float(np.abs(expected).max()))
    assert np.abs(col_dual - expected).max() <= 1e-6 * scale


@pytest.mark.parametrize("case", ["week", "gaza"])
def test_each_path_column_costs_in_the_master_what_the_sweeps_price_it(case):
    """HiGHS's reduced cost of every path column (c − Aᵀy) is the sweeps' value of that path under the
    master's multipliers less its lot's dual: the rows count each move, hold and offloading as the
    Lagrangian does, so the certified bound and the new columns mean what they say."""
    if case == "week":
        scenario, proposal = _week()
    else:
        scenario, proposal = load_scenario("gaza-2023-11"), "daily-4h-north"
    problem = fine_problem(scenario, scenario.proposal(proposal))
    graph = truck_graph(problem)
    master = PathMaster(problem, graph, solver="simplex")  # the exact identity needs a vertex's duals
    pi = initial_multipliers(problem)
    pricing = price(problem, graph, pi)
    pruned = 0
    for _ in range(3):  # a few rounds, so that capacity, fleet and need rows carry duals
        found = _backward_paths(problem, graph, pricing, master, 50, 1e-6)
        master.add(found + _zone_paths(problem, graph, pi, master, 1e-6, "all"))
        master.solve()
        pi = master.multipliers()
        pricing = price(problem, graph, pi)
        pruned += master.prune(1)  # and the columns left keep their places after a prune
    master.solve()
    assert pruned > 0 and master.highs.getInfo().simplex_iteration_count == 0  # the basis was kept
    # The filter's own reduced values are HiGHS's too.
    col_dual_all = np.asarray(master.highs.getSolution().col_dual)
    np.testing.assert_allclose(
        master.reduced_values(master.paths), col_dual_all[np.array(master.path_col)], rtol=0, atol=1e-6 * 1e6
    )
    priced = sum(1 for v in [pi.place, pi.road, pi.offload, pi.quota, pi.fleet] if np.abs(v).max(initial=0.0) > 1e-9)
    assert priced >= 2  # the case prices capacity at all
    assert_reduced_costs_are_the_sweeps(problem, graph, master, pi)


def _no_stock():
    """The 20-place day of the stranded-warehouse case, with no stock anywhere: nothing to carry."""
    scenario = _stranded_warehouse_with_a_later_lot()
    empty = scenario.model_copy(update={"stocks": []})
    assert not empty.stocks
    return empty


@pytest.mark.parametrize(
    "case",
    ["week", "gaza single-4h-pause", "no stock"],
)
def test_paths_reach_the_whole_lp_optimum_under_a_bound_that_holds_every_round(case):
    if case == "week":
        scenario, proposal = _week()
    elif case == "no stock":
        scenario, proposal = _no_stock(), "daily-windows"
    else:
        scenario, proposal = load_scenario("gaza-2023-11"), "single-4h-pause"
    exact = solve_lp(build_planning_model(scenario, scenario.proposal(proposal)).lp).objective
    done = solve_by_paths(scenario, scenario.proposal(proposal), target_gap=0.0)
    assert done.stopped in ("priced out", "gap")
    assert done.value == pytest.approx(exact, rel=1e-6)
    assert all(r["bound"] >= exact * (1 - 1e-9) for r in done.rounds)
    pruned = solve_by_paths(scenario, scenario.proposal(proposal), target_gap=0.0, prune_after=1)
    assert pruned.value == pytest.approx(exact, rel=1e-6) and pruned.stopped in ("priced out", "gap")
    assert sum(r.get("pruned", 0.0) for r in pruned.rounds) > 0 or case == "no stock"
    # The plan comes from the time-expanded LP over the used paths' moves: at least the master's value.
    assert done.value >= done.rounds[-1]["value"] * (1 - 1e-9)


def test_the_condensed_network_runs_on_either_master_to_the_same_certified_bound():
    scenario, proposal = _week()
    arcs = solve_condensed(scenario, scenario.proposal(proposal), levels=((120, 2.0),), target_gap=0.0)
    paths = solve_condensed(scenario, scenario.proposal(proposal), levels=((120, 2.0),), target_gap=0.0, master="paths")
    exact_fine = solve_lp(build_planning_model(scenario, scenario.proposal(proposal)).lp).objective
    for done in (arcs, paths):
        assert done.bound >= exact_fine * (1 - 1e-9)  # certified on the fine grid
        assert done.value <= exact_fine * (1 + 1e-9)
    assert paths.value == pytest.approx(arcs.value, rel=1e-6)  # both solve the same condensed LP
    with pytest.raises(ValueError, match="master must be one of auto, arcs, paths"):
        solve_condensed(scenario, scenario.proposal(proposal), master="trees")


def test_a_path_that_does_not_join_up_or_leaves_the_lp_is_an_invariant_error():
    scenario, proposal = _week()
    problem = fine_problem(scenario, scenario.proposal(proposal))
    graph = truck_graph(problem)
    master = PathMaster(problem, graph)
    pi = initial_multipliers(problem)
    good = next(p for p in _zone_paths(problem, graph, pi, master, 1e-6, "all") if len(p.moves) >= 2)
    master.column(good)  # the real one is fine
    wrong_end = Path(good.lot, good.moves, (int(graph.tail[good.moves[0][0]]), good.end[1]))
    backwards = Path(good.lot, good.moves[::-1], good.end)
    for broken in (wrong_end, backwards):
        with pytest.raises(PlanInvariantError, match="does not join up|does not have|may not"):
            master.column(broken)


def test_quota_floors_stock_that_must_leave_and_unknown_modes_are_refused_with_what_to_use_instead():
    scenario = load_scenario(CEASEFIRE)
    with pytest.raises(ValueError, match="quota floors"):
        solve_by_paths(scenario, scenario.proposal("ceasefire"))
    # Stock the LP must move on (its origin may not hold it): a lot row "≤ loads" would let it stay.
    # The path master gave 850,693.6 there against the whole LP's 850,688.2 before it refused this.
    stranded = _stranded_warehouse_with_a_later_lot()
    with pytest.raises(ValueError, match="wh-1 cannot stay there"):
        solve_by_paths(stranded, stranded.proposal("daily-windows"))
    week, proposal = _week()
    with pytest.raises(ValueError, match="zone_paths must be one of"):
        solve_by_paths(week, week.proposal(proposal), zone_paths="some")
    with pytest.raises(ValueError, match="max_rounds"):
        solve_by_paths(week, week.proposal(proposal), max_rounds=0)


def test_the_batch_columns_are_the_path_by_path_ones():
    """``PathMaster.columns`` (numpy over all moves at once) gives each path the objective and the
    row entries ``column`` gives it alone, on paths of both sweeps with holds, quotas and the fleet."""
    scenario, proposal = _week()
    problem = fine_problem(scenario, scenario.proposal(proposal))
    graph = truck_graph(problem)
    master = PathMaster(problem, graph)
    pi = initial_multipliers(problem)
    paths = _backward_paths(problem, graph, price(problem, graph, pi), master, 20, 1e-6)
    paths += _zone_paths(problem, graph, pi, master, 1e-6, "all")
    assert len(paths) > 100 and max(len(p.moves) for p in paths) >= 3
    cost, starts, keys, coefs = master.columns(paths)
    ends = np.append(starts[1:], len(keys))
    for j, path in enumerate(paths):
        one_cost, one_keys, one_coefs = master.column(path)
        assert cost[j] == pytest.approx(one_cost, rel=1e-12, abs=1e-12)
        np.testing.assert_array_equal(keys[starts[j] : ends[j]], one_keys)
        np.testing.assert_allclose(coefs[starts[j] : ends[j]], one_coefs, rtol=1e-12)
    long = next(p for p in paths if len(p.moves) >= 2)
    with pytest.raises(PlanInvariantError, match="does not join up"):
        master.columns([*paths[:3], Path(long.lot, long.moves[::-1], long.end)])


def test_auto_falls_back_to_the_arc_master_where_the_path_master_refuses():
    """The condensed network's default ("auto") runs the path master where it models the scenario and
    the arc master where it does not (stock that must leave its origin), to the same LP."""
    stranded = _stranded_warehouse_with_a_later_lot()
    proposal = stranded.proposal("daily-windows")
    auto = solve_condensed(stranded, proposal, levels=((120, 2.0),), target_gap=0.0)
    arcs = solve_condensed(stranded, proposal, levels=((120, 2.0),), target_gap=0.0, master="arcs")
    assert auto.value == pytest.approx(arcs.value, rel=1e-9)
    assert "pruned" not in auto.generation.rounds[-1] and "truck_moves" in auto.generation.rounds[-1]
    with pytest.raises(ValueError, match="wh-1 cannot stay there"):
        solve_condensed(stranded, proposal, levels=((120, 2.0),), master="paths")
    # Levels left to the master: the arc master's own where the path master refuses.
    default = solve_condensed(stranded, proposal, target_gap=0.0)
    assert default.levels[0]["coarse_slot_minutes"] == DEFAULT_LEVELS[0][0]


@pytest.mark.parametrize("master, levels", [("auto", PATH_LEVELS), ("paths", PATH_LEVELS), ("arcs", DEFAULT_LEVELS)])
def test_levels_left_unsaid_are_the_masters_own(master, levels):
    scenario, proposal = _week()
    done = solve_condensed(scenario, scenario.proposal(proposal), target_gap=0.0, master=master)
    ran = [(int(r["coarse_slot_minutes"]), r["fine_margin_hours"]) for r in done.levels]
    assert ran == list(levels)[: len(ran)] and ran
    with pytest.raises(ValueError, match="levels must name at least one"):
        solve_condensed(scenario, scenario.proposal(proposal), levels=(), master=master)


@pytest.mark.parametrize("case", ["week", "gaza single-4h-pause"])
def test_the_final_lp_with_the_masters_flows_fixed_keeps_its_value_and_its_prices(case):
    """``final="fixed"``: the LP over the used paths' moves, moves fixed at the master's flows. It is
    worth at least the master and at most the re-solved LP; its coupling rows carry the master's
    multipliers (fixed columns would leave them at 0), so the bottlenecks are named as before."""
    if case == "week":
        scenario, proposal = _week()
    else:
        scenario, proposal = load_scenario("gaza-2023-11"), "single-4h-pause"
    chosen = scenario.proposal(proposal)
    fixed = solve_by_paths(scenario, chosen, target_gap=1e-3)
    free = solve_by_paths(scenario, chosen, target_gap=1e-3, final="resolve")
    assert fixed.rounds[-1]["final_fixed"] == 1.0 and free.rounds[-1]["final_fixed"] == 0.0
    with pytest.raises(ValueError, match="final must be one of fixed, resolve"):
        solve_by_paths(scenario, chosen, final="resolv")
    master_value = fixed.rounds[-1]["value"]
    assert fixed.value >= master_value * (1 - 1e-7)
    assert fixed.value <= free.value * (1 + 1e-7)
    assert fixed.value >= fixed.bound * (1 - 1e-3) - 1e-6  # stopped at its gap
    priced = multipliers_from(fixed.model, fixed.solution.row_dual)
    assert priced.place.any() or priced.road.any() or priced.offload.any() or priced.fleet.any()
    named = {(b.kind, b.id) for b in find_bottlenecks(fixed.model, fixed.solution)}
    assert named and named & {(b.kind, b.id) for b in find_bottlenecks(free.model, free.solution)}


@pytest.mark.parametrize("case", ["week", "gaza daily-4h-north"])
def test_written_multipliers_read_back_as_themselves(case):
    scenario, proposal = _week() if case == "week" else (load_scenario("gaza-2023-11"), "daily-4h-north")
    model = build_planning_model(scenario, scenario.proposal(proposal))
    rng = np.random.default_rng(5)
    pi = initial_multipliers(model.problem)
    pi.place, pi.road, pi.offload = (rng.uniform(0, 9, t.shape) for t in (pi.place, pi.road, pi.offload))
    pi.quota, pi.fleet = rng.uniform(0, 9, pi.quota.shape), rng.uniform(0, 9, pi.fleet.shape)
    pi.need = rng.uniform(0, 9, pi.need.shape)
    row_dual = np.zeros(model.lp.n_rows)
    write_multipliers(model, pi, row_dual)
    back = multipliers_from(model, row_dual)
    for name, table, read in (("place_trucks", pi.place, back.place), ("road_trucks", pi.road, back.road),
                              ("offload", pi.offload, back.offload)):
        block = model.lp.row_block(name)
        assert block.size or name != "place_trucks"  # (the week has no offloading rows, Gaza no road rows)
        assert np.array_equal(read[block.entity, block.slot], table[block.entity, block.slot])
    assert np.array_equal(back.quota, pi.quota)
    fleet, need = model.lp.row_block("fleet"), model.lp.row_block("need_tiers")
    assert np.array_equal(back.fleet[fleet.slot], pi.fleet[fleet.slot])
    assert np.array_equal(back.need[need.entity, need.slot], pi.need[need.entity, need.slot])


def test_prices_read_after_paths_were_added_but_not_solved_are_the_last_solutions():
    """A time limit can stop the master after ``add`` put new rows in and before a solve priced
    them: its multipliers, lot duals and flows are then the last solution's, new rows at 0."""
    scenario, proposal = _week()
    problem = fine_problem(scenario, scenario.proposal(proposal))
    graph = truck_graph(problem)
    master = PathMaster(problem, graph)
    pi = initial_multipliers(problem)
    pricing = price(problem, graph, pi)
    master.add(_backward_paths(problem, graph, pricing, master, 3, 1e-6))
    master.solve()
    before, lots_before, flows_before = master.multipliers(), master.lot_dual, master.path_values()
    rows_before = len(master.row_key)
    pi = master.multipliers()
    more = _backward_paths(problem, graph, price(problem, graph, pi), master, 50, 1e-6)
    more += _zone_paths(problem, graph, pi, master, 1e-6, "all")
    assert master.add([p for p in more if p not in master.known]) and len(master.row_key) > rows_before
    after = master.multipliers()
    for a, b in zip((after.place, after.road, after.offload, after.quota, after.fleet, after.need),
                    (before.place, before.road, before.offload, before.quota, before.fleet, before.need)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(master.lot_dual, lots_before)
    np.testing.assert_array_equal(master.path_values(), flows_before)
