"""Column generation (``plan/colgen``): its bound is never below the whole LP's optimum, its value
never above, both meet when nothing prices out, it uses only movements the whole LP has, and its
plans keep every rule of the independent checker."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from safepassage.plan import plan_proposal
from safepassage.plan.colgen import solve_by_columns
from safepassage.plan.colgen.choice import resolve_method
from safepassage.plan.lp_build import build_planning_model
from safepassage.plan.solve import solve_lp
from safepassage.scenario import load_scenario
from safepassage.scenario.model import Scenario
from safepassage.testing.synthetic import TARGET_INSTANCE, synthetic_scenario_data
from tests.plan.plan_checker import check_plan

REL = 1e-6


def _small() -> tuple[str, Scenario]:
    """The target instance's recipe (6 commodities, 3 roads per place), 20 places, one day, hourly slots."""
    spec = {**TARGET_INSTANCE, "n_places": 20, "days": 1.0}
    data = synthetic_scenario_data(spec.pop("n_places"), spec.pop("days"), 3, 60, **spec)
    return yaml.safe_dump(data, sort_keys=False), Scenario.model_validate(data)


CASES = [("synthetic", "daily-windows"), ("gaza", "no-pause"), ("gaza", "single-4h-pause")]


def _case(which: str) -> Scenario:
    return _small()[1] if which == "synthetic" else load_scenario("gaza-2023-11")


@pytest.mark.parametrize(("which", "proposal"), CASES)
def test_bound_and_value_bracket_the_whole_lp_and_meet_when_priced_out(which, proposal):
    scenario = _case(which)
    exact = solve_lp(build_planning_model(scenario, scenario.proposal(proposal)).lp).objective
    first = solve_by_columns(scenario, scenario.proposal(proposal), max_rounds=1)
    assert first.bound >= exact * (1 - REL)
    assert first.value <= exact * (1 + REL)
    assert first.bound > first.value * (1 + 1e-3)  # one round is not enough: the bound is a real bound
    done = solve_by_columns(scenario, scenario.proposal(proposal), target_gap=0.0)
    assert done.stopped in ("gap", "priced out")
    assert done.bound >= exact * (1 - REL)
    assert abs(done.value - exact) <= REL * exact
    assert abs(done.bound - exact) <= 1e-4 * exact  # priced out up to the pricing tolerance
    assert all(b >= exact * (1 - REL) for b in (r["bound"] for r in done.rounds))


@pytest.mark.parametrize(("which", "proposal"), [CASES[0], CASES[2]])
def test_columns_are_movements_of_the_whole_lp(which, proposal):
    scenario = _case(which)
    whole = build_planning_model(scenario, scenario.proposal(proposal))
    done = solve_by_columns(scenario, scenario.proposal(proposal), target_gap=0.0)

    def keys(moves) -> set[tuple[int, int, int, int]]:
        return set(zip(moves.arc.tolist(), moves.dep.tolist(), moves.arr.tolist(), moves.kind.tolist()))

    assert len(done.model.trucks) > 0 and len(done.model.people) > 0
    assert keys(done.model.trucks) <= keys(whole.trucks)
    assert keys(done.model.people) <= keys(whole.people)
    assert len(done.model.trucks) < len(whole.trucks) / 2  # a fraction of them (27 % on Gaza, 0.4 % at 30 places)


def test_plan_by_columns_keeps_every_rule():
    text, scenario = _small()
    result = plan_proposal(scenario, "daily-windows", method="columns")
    assert check_plan(text, result.to_dict()) == []
    plain = plan_proposal(scenario, "daily-windows", method="lp")
    assert result.bound >= plain.bound * (1 - REL)  # the reported bound bounds the whole LP
    assert result.objective <= result.bound * (1 + REL)
    # The integer phase loses as much from the master's paths as from the whole LP's (10 % on this
    # small, hourly instance, for both: rounding, not column generation).
    assert result.gap <= plain.gap + 1e-3
    assert np.isfinite(result.gap)


def test_method_is_checked_and_auto_keeps_gaza_on_the_whole_lp():
    gaza = load_scenario("gaza-2023-11")
    assert resolve_method(gaza, None, "auto") == "lp"
    with pytest.raises(ValueError, match="method must be one of auto, lp, columns"):
        plan_proposal(gaza, "no-pause", method="simplex")


def test_pricing_values_people_a_screening_point_stops():
    """A screening point that stops 20% of the people it processes (tests/plan/test_lp_cross_check.py's
    screened corridor): the people pricing carries the share, so bound and value meet the whole LP."""
    from tests.plan.test_lp_cross_check import _corridor_screened

    scenario = _corridor_screened()
    proposal = scenario.proposal("agreed")
    exact = solve_lp(build_planning_model(scenario, proposal).lp).objective
    done = solve_by_columns(scenario, proposal, target_gap=0.0)
    assert done.bound >= exact * (1 - REL)
    assert abs(done.value - exact) <= REL * exact
    assert abs(done.bound - exact) <= 1e-4 * exact
    assert all(r["bound"] >= exact * (1 - REL) for r in done.rounds)


def test_destination_rules_stay_on_the_whole_lp():
    """Column generation does not price destination splits or shelter capacities: ``auto`` keeps such a
    scenario on the whole LP, and asking for columns is a clear error."""
    from tests.plan.test_lp_cross_check import _two_reception_areas

    scenario = _two_reception_areas("capacity")
    assert resolve_method(scenario, None, "auto") == "lp"
    with pytest.raises(ValueError, match="method='lp'"):
        solve_by_columns(scenario, scenario.proposal("agreed"))
