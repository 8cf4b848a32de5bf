"""Exact commodity aggregation: the merged LP has the unmerged LP's optimum (to 1e-6 relative), its
solution read back is a feasible solution of the unmerged LP with that value, and merging where the
rule says not to (commodities in several warehouses) would overstate the optimum."""

from __future__ import annotations

import numpy as np
import pytest

from safepassage.plan.aggregate import aggregate, commodity_classes, solve_planning_lp
from safepassage.plan.lp_build import build_planning_model
from safepassage.plan.solve import _run, new_highs, solve_lp
from safepassage.scenario import load_scenario
from safepassage.testing.synthetic import DEFAULT_COMMODITIES, SyntheticCommodity, synthetic_scenario

# A second restricted commodity: held, like fuel, only at the first warehouse, so the two can merge.
PARTS = SyntheticCommodity("generator-parts", "Generator parts", "pallet", 20.0, 0.00005, 0.4, 1.0, restricted=True)
FIVE = DEFAULT_COMMODITIES[:4] + (PARTS,)  # food, water, fuel, medical, parts
# (places, days, warehouses, seed, slot minutes): several warehouses each, one lot per stock.
SYNTHETIC = [(20, 1, 3, 1, 30), (24, 1, 2, 2, 30), (30, 1, 4, 3, 60)]


def _assert_same_optimum(model) -> None:
    plain = solve_lp(model.lp)
    merged = solve_planning_lp(model)
    assert merged.objective == pytest.approx(plain.objective, rel=1e-6)
    cost, col_lower, col_upper, row_lower, row_upper = model.lp.vectors()
    # Read back, it is a solution of the unmerged LP, worth the same.
    assert cost @ merged.x == pytest.approx(plain.objective, rel=1e-6)
    activity = model.lp.csc() @ merged.x
    scale = 1e-6 * max(1.0, float(np.abs(row_upper[np.isfinite(row_upper)]).max(initial=1.0)))
    assert np.all(activity >= row_lower - scale) and np.all(activity <= row_upper + scale)
    assert np.all(merged.x >= col_lower - 1e-7) and np.all(merged.x <= col_upper + 1e-7)


@pytest.fixture(scope="module")
def gaza():
    return load_scenario("gaza-2023-11")


@pytest.mark.parametrize("proposal", ["no-pause", "single-4h-pause", "daily-4h-north", "truce-4day", "ceasefire"])
def test_gaza_merged_optimum_equals_unmerged(gaza, proposal):
    model = build_planning_model(gaza, gaza.proposal(proposal))
    classes = commodity_classes(model)
    # One warehouse, one arrival: the unrestricted commodities share everything and merge.
    assert [gaza.commodities[k].id for k in classes[0]] == ["food", "water", "medical", "shelter"]
    assert aggregate(model).n_cols < model.lp.n_cols
    _assert_same_optimum(model)


@pytest.mark.parametrize(("places", "days", "warehouses", "seed", "slot"), SYNTHETIC)
def test_synthetic_several_warehouses(places, days, warehouses, seed, slot):
    scenario = synthetic_scenario(places, days, seed, slot, warehouses=warehouses, replenish=False, commodities=FIVE)
    model = build_planning_model(scenario, scenario.proposal("daily-windows"))
    ids = [[scenario.commodities[k].id for k in c] for c in commodity_classes(model)]
    # Food, water and medical sit in every warehouse in different shares: kept apart. Fuel and parts
    # are both only at the first warehouse: merged.
    assert ["fuel", "generator-parts"] in ids
    assert ["food"] in ids and ["water"] in ids and ["medical"] in ids
    _assert_same_optimum(model)


def test_merging_several_sources_would_be_a_relaxation():
    """The rule matters: two stock lots at different times are two source nodes; merging the
    commodities anyway lets early stock of one be delivered as another, above the true optimum."""
    scenario = synthetic_scenario(24, 2, 4, 60, warehouses=3, replenish=True, commodities=FIVE)
    model = build_planning_model(scenario, scenario.proposal("daily-windows"))
    assert all(len(c) == 1 for c in commodity_classes(model))  # nothing is merged by the rule
    plain = solve_lp(model.lp)
    highs = new_highs()
    highs.passModel(aggregate(model, [[0, 1, 3], [2, 4]]).highs_lp)
    forced = _run(highs, 0.0)
    assert forced.objective > plain.objective * (1 + 1e-4)
