"""The window price solved warm (``plan/window_pricing.py``) is the re-build's price: the LP with every
window an hour longer, built on its own grid, has the same optimum whether HiGHS starts it from the
plan's mapped solution or solves it afresh — on the five Gaza proposals and on synthetic scenarios.
The key mapping itself is checked on an LP mapped onto itself and on the longer Gaza grid."""

from __future__ import annotations

import copy
import datetime as dt

import numpy as np
import pytest

from safepassage.plan import planner, window_pricing
from safepassage.plan.aggregate import solve_planning_lp
from safepassage.plan.lp_build import build_planning_model
from safepassage.plan.planner import _with_window_value
from safepassage.plan.window_pricing import mapped_duals, mapped_start, solve_warm_from
from safepassage.scenario import load_scenario
from safepassage.scenario.model import Proposal
from safepassage.testing.synthetic import synthetic_scenario

GAZA_WITH_WINDOWS = ["single-4h-pause", "daily-4h-north", "truce-4day", "ceasefire"]


def _longer(proposal: Proposal) -> Proposal:
    """As ``planner._with_window_value`` prices: every window one hour longer."""
    return proposal.model_copy(
        update={"windows": [w.model_copy(update={"end": w.end + dt.timedelta(hours=1)}) for w in proposal.windows]}
    )


def _assert_same_price(scenario, proposal: Proposal) -> tuple[float, int]:
    """Assert the warm price equals the re-build's, on LPs on different grids; return the price and
    the number of parts the warm solve handed on to the cold path."""
    base = build_planning_model(scenario, proposal)
    solution = solve_planning_lp(base)
    longer = build_planning_model(scenario, _longer(proposal))
    assert not np.array_equal(longer.terms.grid.boundaries_min, base.terms.grid.boundaries_min)
    fresh = solve_planning_lp(longer).objective
    solved = solve_warm_from(base, solution, longer)
    warm = solved.objective
    fresh_price, warm_price = fresh - solution.objective, warm - solution.objective
    # 1e-6 relative on the price; a price near 0 is held to 1e-9 of the LP's optimum (HiGHS's reach).
    assert warm_price == pytest.approx(fresh_price, rel=1e-6, abs=1e-9 * abs(fresh))
    return fresh_price, solved.cold_parts


@pytest.fixture(scope="module")
def gaza():
    return load_scenario("gaza-2023-11")


@pytest.mark.slow
@pytest.mark.parametrize("proposal", GAZA_WITH_WINDOWS)
def test_gaza_warm_price_equals_the_rebuild(gaza, proposal):
    _, cold_parts = _assert_same_price(gaza, gaza.proposal(proposal))
    assert cold_parts == 0  # every part solved from the mapped start


def test_gaza_no_pause_has_no_window_to_price(gaza):
    # The fifth proposal: no window, so no second LP and no 'window' bottleneck, warm or not.
    proposal = gaza.proposal("no-pause")
    assert not proposal.windows
    assert _with_window_value([], gaza, proposal, None, 0.0, None, None, 5) == []


# Two days, 15-minute slots near the window edges and hourly ones elsewhere, so that the longer
# windows move the grid (6 more slots), with short windows, so that the extra hour is worth something.
# The first case's trucks' part is far from its start: it goes cold at once (its crossover basis is far
# from dual feasible) or, with that check off, after the warm simplex's iteration cap; the second's is
# solved warm throughout. Every way, the price is the re-build's.
@pytest.mark.slow
@pytest.mark.parametrize(
    ("places", "seed", "window_hours", "dual_check", "cold_parts"),
    [(24, 2, 1.0, True, 1), (24, 2, 1.0, False, 1), (30, 3, 2.0, True, 0)],
)
def test_synthetic_warm_price_equals_the_rebuild(places, seed, window_hours, dual_check, cold_parts, monkeypatch):
    if not dual_check:
        monkeypatch.setattr(window_pricing, "WARM_MAX_DUAL_INFEASIBILITY", float("inf"))
    scenario = synthetic_scenario(
        places, 2, seed, 15, window_hours=window_hours, coarse_slot_minutes=60, proposals=("daily-windows",)
    )
    price, handed_on = _assert_same_price(scenario, scenario.proposal("daily-windows"))
    assert price > 0.0
    assert handed_on == cold_parts


def test_plan_prices_the_windows_warm(tiny_data, write_yaml, monkeypatch):
    # ``plan_proposal`` solves the longer LP from its own LP's solution, and the price is the gain of
    # one more hour (test_known_optimum: 100 people less 0.3 person-days of walking).
    calls = []

    def counted(*args, **kwargs):
        calls.append(args[2].terms.grid.n_slots)
        return solve_warm_from(*args, **kwargs)

    monkeypatch.setattr(planner, "solve_warm_from", counted)
    data = copy.deepcopy(tiny_data)
    data["zones"][1]["evacuation"]["wants_to_leave"] = 1000
    result = planner.plan_proposal(load_scenario(write_yaml(data)), "pause", window_value=True)
    assert len(calls) == 1
    window = next(b for b in result.bottlenecks if b.kind == "window")
    assert window.value_per_unit == pytest.approx(100 - 0.3)


def test_an_lp_mapped_onto_itself_is_its_own_solution(tiny_path):
    tiny = load_scenario(tiny_path)
    model = build_planning_model(tiny, tiny.proposal("pause"))
    solution = solve_planning_lp(model)
    np.testing.assert_array_equal(mapped_start(model, solution.x, model), solution.x)
    np.testing.assert_array_equal(mapped_duals(model, solution.row_dual, model), solution.row_dual)


def test_the_longer_gaza_grid_keeps_most_keys(gaza):
    # daily-4h-north's longer windows add 15 slot boundaries; all but the columns of the new slots
    # and of the hour now inside a window find their counterpart, and a found column keeps its value.
    proposal = gaza.proposal("daily-4h-north")
    base = build_planning_model(gaza, proposal)
    longer = build_planning_model(gaza, _longer(proposal))
    assert longer.terms.grid.n_slots != base.terms.grid.n_slots
    marker = np.arange(1, base.lp.n_cols + 1, dtype=np.float64)
    start = mapped_start(base, marker, longer)
    found = start > 0
    assert found.mean() > 0.9
    # A holding column keeps its place, commodity and the time it covers.
    s_base, s_longer = base.col("s"), longer.col("s")
    n_base, n_longer = base.terms.grid.n_slots, longer.terms.grid.n_slots
    origin = start[s_longer.slice()].reshape(len(longer.storage_pairs), n_longer)
    for row, pair in enumerate(longer.storage_pairs):
        j = int(np.flatnonzero(base.storage_pairs == base.truck_nodes.lookup[
            longer.truck_nodes.pair_place[pair], longer.truck_nodes.pair_kind[pair]])[0])
        old = (origin[row] - 1 - s_base.start).astype(np.int64)
        assert np.all(old // n_base == j)
        t_old = old % n_base
        starts_new = longer.terms.grid.boundaries_min[:-1]
        assert np.all(base.terms.grid.boundaries_min[t_old] <= starts_new)
        assert np.all(starts_new < base.terms.grid.boundaries_min[t_old + 1])
