"""Solving the planning LP by independent parts, and the path integer program's reductions, change
nothing but speed: the same optimum as the whole LP, and the same whole-truck plans allowed."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from safepassage.plan.integer import binding_rows, path_bounds
from safepassage.plan.lp_build import build_planning_model
from safepassage.plan.solve import (
    ColumnwiseLP,
    lp_components,
    new_highs,
    solve_by_components,
    solve_lp,
    sub_lp,
    to_highs_lp,
)
from safepassage.scenario import load_scenario
from safepassage.testing.synthetic import synthetic_scenario


@pytest.mark.parametrize("case", ["tiny", "synthetic"])
def test_parts_reach_the_whole_lps_optimum(tiny_path, case: str) -> None:
    if case == "tiny":
        scenario = load_scenario(tiny_path)
        proposal = "pause"
    else:
        scenario = synthetic_scenario(12, 1, 3, 30)
        proposal = "daily-windows"
    model = build_planning_model(scenario, scenario.proposal(proposal))
    parts = lp_components(to_highs_lp(model.lp))
    # Every row and column in exactly one part.
    assert sorted(np.concatenate([r for r, _ in parts]).tolist()) == list(range(model.lp.n_rows))
    assert sorted(np.concatenate([c for _, c in parts]).tolist()) == list(range(model.lp.n_cols))
    whole = solve_lp(model.lp)
    split = solve_by_components(to_highs_lp(model.lp))
    assert split.objective == pytest.approx(whole.objective, rel=1e-6)
    # The assembled solution is feasible in the whole LP, and its value is the objective.
    cost, lower, upper, row_lower, row_upper = model.lp.vectors()
    activity = model.lp.csc() @ split.x
    assert np.all(split.x >= lower - 1e-6) and np.all(split.x <= upper + 1e-6)
    assert np.all(activity >= row_lower - 1e-6) and np.all(activity <= row_upper + 1e-6)
    assert float(cost @ split.x) == pytest.approx(split.objective, rel=1e-9)


def test_the_arrays_highs_gets_are_the_lp_and_its_parts() -> None:
    """``ColumnwiseLP.pass_to`` gives HiGHS the same LP as a ``HighsLp``, and ``part`` the same sub-LP as
    ``sub_lp``: same columns, rows, bounds, costs and matrix, entry for entry."""
    scenario = synthetic_scenario(12, 1, 3, 30)
    model = build_planning_model(scenario, scenario.proposal("daily-windows"))
    columnwise, highs_lp = ColumnwiseLP.of_matrix(model.lp), to_highs_lp(model.lp)

    def passed(give) -> object:  # type: ignore[no-untyped-def]
        highs = new_highs()
        give(highs)
        return highs.getLp()

    def same(a, b) -> None:  # type: ignore[no-untyped-def]
        assert (a.num_col_, a.num_row_, a.sense_, a.offset_) == (b.num_col_, b.num_row_, b.sense_, b.offset_)
        for name in ("col_cost_", "col_lower_", "col_upper_", "row_lower_", "row_upper_"):
            assert np.array_equal(np.asarray(getattr(a, name)), np.asarray(getattr(b, name))), name
        for name in ("start_", "index_", "value_"):
            assert np.array_equal(np.asarray(getattr(a.a_matrix_, name)), np.asarray(getattr(b.a_matrix_, name))), name

    same(passed(columnwise.pass_to), passed(lambda h: h.passModel(highs_lp)))
    parts = lp_components(columnwise)
    assert len(parts) > 1 and [p[0].tolist() for p in parts] == [p[0].tolist() for p in lp_components(highs_lp)]
    for rows, cols in parts:
        same(columnwise.part(rows, cols).to_highs(), sub_lp(highs_lp, model.lp.csc().tocsr(), rows, cols))
    with pytest.raises(ValueError, match="outside the part"):
        columnwise.part(parts[0][0][:-1], parts[0][1])


def _feasible(cap: np.ndarray, upper: np.ndarray, z: np.ndarray) -> bool:
    return bool(np.all(cap @ z <= upper + 1e-9))


@pytest.mark.parametrize("seed", range(30))
def test_path_program_reductions_keep_the_same_whole_truck_plans(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_rows, n_paths = int(rng.integers(2, 8)), int(rng.integers(1, 4))
    dense = rng.integers(0, 3, size=(n_rows, n_paths)).astype(float) * (rng.random((n_rows, n_paths)) < 0.7)
    dense[rng.integers(0, n_rows), :] = np.maximum(dense[rng.integers(0, n_rows), :], 1.0)  # every path touched
    if n_rows > 2:
        dense[1] = dense[0]  # repeated rows, as the fleet's consecutive slots
    upper = rng.integers(0, 7, size=n_rows).astype(float)
    cap = sp.csr_matrix(dense)
    bound = path_bounds(cap, upper)
    kept = binding_rows(cap, upper, bound)
    reduced = dense[kept]
    top = int(np.max(np.where(np.isinf(bound), 8, bound))) + 2
    for z in itertools.product(range(top), repeat=n_paths):
        point = np.array(z, dtype=float)
        within = bool(np.all(point <= bound))
        assert _feasible(dense, upper, point) == (within and _feasible(reduced, upper[kept], point)), (z, kept.tolist())
