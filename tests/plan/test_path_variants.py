"""Variants of the LP's truck paths (``plan/path_variants.py``) are paths of the model, and the integer step's
search over them (``integer._with_variants``) never returns a worse plan and keeps every limit."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from safepassage.plan.aggregate import solve_planning_lp
from safepassage.plan.integer import _with_variants, people_paths, plan_value, round_and_repair, truck_paths
from safepassage.plan.lp_build import build_planning_model
from safepassage.plan.path_variants import PathLimits, PathVariants
from safepassage.testing.synthetic import synthetic_scenario
from tests.plan.test_convoy_retime import _keeps_every_limit


@pytest.fixture(scope="module")
def synthetic_day():  # type: ignore[no-untyped-def]
    scenario = synthetic_scenario(12, 1, 3, 60)
    model = build_planning_model(scenario, scenario.proposal("daily-windows"))
    return model, solve_planning_lp(model)


def test_a_variant_is_the_template_moved_in_time_for_another_commodity(synthetic_day) -> None:  # type: ignore[no-untyped-def]
    model, solution = synthetic_day
    trucks = truck_paths(model, solution)
    builder = PathVariants(model, trucks.edges.edge_type, trucks.edges.ref)
    moves = model.trucks
    x = model.col("x")
    checked = 0
    for j, path in enumerate(trucks.paths):
        same = builder.variant(path, int(trucks.kind[j]))
        moving = [e for e in path.edges if trucks.edges.edge_type[e] != 1]
        assert same is not None and [e for e in same.edges if trucks.edges.edge_type[e] != 1] == moving
        for kind in range(len(model.scenario.commodities)):
            later = builder.variant(path, kind, None, 1)
            if later is None:
                continue
            old = [int(trucks.edges.ref[e] - x.start) for e in path.edges if trucks.edges.edge_type[e] == 0]
            new = [int(trucks.edges.ref[e] - x.start) for e in later.edges if trucks.edges.edge_type[e] == 0]
            assert [int(moves.arc[m]) for m in new] == [int(moves.arc[m]) for m in old]
            assert [int(moves.dep[m]) for m in new] == [int(moves.dep[m]) + 1 for m in old]
            assert set(int(moves.kind[m]) for m in new) == {kind}
            checked += 1
    assert checked > 0


def test_the_search_over_variants_is_never_worse_and_keeps_every_limit(synthetic_day) -> None:  # type: ignore[no-untyped-def]
    model, solution = synthetic_day
    plan = round_and_repair(model, solution)
    people = people_paths(model, solution)
    trucks, trucks_int = _with_variants(model, plan.trucks, plan.trucks_int.copy(), people, plan.people_int, 3, 5.0)
    assert plan_value(model, trucks, trucks_int, people, plan.people_int) >= plan.value - 1e-6
    assert len(trucks.paths) >= len(plan.trucks.paths) and np.all(trucks_int >= 0)
    _keeps_every_limit(model, SimpleNamespace(trucks=trucks, trucks_int=trucks_int))


def test_every_variant_is_a_connected_path_of_its_commodity_from_its_earliest_stock(synthetic_day) -> None:  # type: ignore[no-untyped-def]
    """Each variant (any commodity, shifted, or leaving the template at a place on its way) walks the model's own
    edges node to node — a wait is the next slot at the same place — from the commodity's earliest stock at the
    template's origin to an offload; leaving at ``end_place`` offloads there."""
    model, solution = synthetic_day
    trucks = truck_paths(model, solution)
    edges, nodes, n_slots = trucks.edges, model.truck_nodes, model.terms.grid.n_slots
    builder = PathVariants(model, edges.edge_type, edges.ref)
    x, u = model.col("x"), model.col("u")
    made = 0
    for path in trucks.paths:
        moves = [int(edges.ref[e] - x.start) for e in path.edges if edges.edge_type[e] == 0]
        places = {int(model.arcs.head[model.trucks.arc[m]]) for m in moves}
        for kind in range(len(model.scenario.commodities)):
            for shift in (-2, -1, 0, 1, 3):
                for end in [None, *sorted(places)]:
                    variant = builder.variant(path, kind, end, shift)
                    if variant is None:
                        continue
                    made += 1
                    walk = np.asarray(variant.edges)
                    assert edges.source_row[walk[0]] == variant.start_row
                    assert np.array_equal(edges.target_row[walk[:-1]], edges.source_row[walk[1:]])
                    assert edges.edge_type[walk[-1]] == 2 and np.all(edges.edge_type[walk[:-1]] != 2)
                    assert set(nodes.pair_kind[edges.source_row[walk] // n_slots].tolist()) == {kind}
                    pair, slot = divmod(variant.start_row, n_slots)
                    assert model.supply_trucks[pair, slot] > 0 and not np.any(model.supply_trucks[pair, :slot] > 0)
                    if end is not None:
                        assert model.unload_place[edges.ref[walk[-1]] - u.start] == end
    assert made > 50


def test_the_limits_say_at_once_what_they_say_path_by_path(synthetic_day) -> None:  # type: ignore[no-untyped-def]
    """``PathLimits.fitting`` is ``fits(j) is None`` for every path, on an empty plan, the rounded one and one
    far over its limits."""
    model, solution = synthetic_day
    plan = round_and_repair(model, solution)
    paths = list(range(len(plan.trucks.paths)))
    verdicts = set()
    for z in (np.zeros(len(paths)), plan.trucks_int, plan.trucks_int * 3 + 1):
        limits = PathLimits.of(model, plan.trucks, z)
        at_once = limits.fitting(paths)
        assert at_once.tolist() == [limits.fits(j) is None for j in paths]
        verdicts |= set(at_once.tolist())
        for changed in (0, len(paths) // 2, len(paths) - 1):  # trucks added on one path: re-check its neighbours only
            limits.add(changed, 2)
            limits.refit(at_once, paths, changed)
            assert at_once.tolist() == limits.fitting(paths).tolist()
    assert verdicts == {True, False}
