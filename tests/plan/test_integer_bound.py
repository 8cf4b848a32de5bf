"""The bound for whole-truck plans (``plan/integer_bound.py``, ``plan --certify-seconds``).

The case: the synthetic 20-place day (seed 1), whose plan is 0.98 % below the LP bound. The LP fills
narrow value tiers with fractions of a truck; the integer program proves that no whole-truck plan does
better than this one (to HiGHS's 1e-4), so the plan's certified gap is near zero.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pytest
import yaml

from safepassage.cli import app
from safepassage.plan import plan_proposal
from safepassage.plan.integer_bound import MIP_REL_GAP, whole_truck_bound
from safepassage.plan.lp_build import build_planning_model
from safepassage.plan.result import PlanResult
from safepassage.scenario.load import load_scenario
from safepassage.scenario.model import Scenario
from safepassage.service.jobs import json_safe
from safepassage.service.plan_results import plan_result_document, plan_result_from_document
from safepassage.testing.synthetic import synthetic_scenario, synthetic_scenario_data
from tests.plan.test_stock_lots import _three_lots as three_lots

PROPOSAL = "daily-windows"
SCENARIOS = Path(__file__).parents[1] / "scenarios"


@pytest.fixture(scope="module")
def data() -> dict:
    return synthetic_scenario_data(20, 1, 1, 15)


@pytest.fixture(scope="module")
def certified(data: dict) -> PlanResult:
    return plan_proposal(Scenario.model_validate(data), PROPOSAL, certify_s=120.0, method="lp", threads=1)


def test_the_whole_truck_bound_is_tighter_than_the_lp_and_still_above_the_plan(certified: PlanResult) -> None:
    proved = certified.integer_bound
    assert proved is not None and proved.proved  # small enough to close within the time given
    assert certified.gap > 0.005  # the LP bound leaves the plan's quality open on this case...
    assert proved.bound < certified.bound * (1 - 0.005)  # ...the integer program shows why: fractions of trucks
    assert proved.bound >= certified.objective - 1e-6 * abs(certified.objective)  # a bound on the plan itself
    assert proved.gap == pytest.approx((proved.bound - certified.objective) / proved.bound)
    assert 0 <= proved.gap <= MIP_REL_GAP + 1e-9  # proved: the plan is as good as any whole-truck plan
    assert proved.best_found is not None and proved.best_found <= proved.bound + 1e-6 * proved.bound
    assert certified.summary()["integer_bound"]["gap"] == proved.gap


def test_the_program_cannot_beat_a_dual_bound_it_reports(data: dict) -> None:
    """Stopped early, the dual bound is still a bound: the best point found never exceeds it, and a
    longer run only lowers it."""
    scenario = Scenario.model_validate(data)
    model = build_planning_model(scenario, scenario.proposal(PROPOSAL))
    short = whole_truck_bound(model, None, 0.05, threads=1)
    full = whole_truck_bound(model, None, 120.0, threads=1)
    assert full.proved and full.dual_bound <= short.dual_bound + 1e-6 * abs(full.dual_bound)
    assert full.best_found <= full.dual_bound + 1e-6 * abs(full.dual_bound)


def test_without_certify_there_is_no_integer_bound_and_the_plan_is_the_same(data: dict, certified: PlanResult) -> None:
    plain = plan_proposal(Scenario.model_validate(data), PROPOSAL, method="lp", threads=1)
    assert plain.integer_bound is None and plain.summary()["integer_bound"] is None
    assert plain.objective == certified.objective and plain.bound == certified.bound


def test_a_stored_result_keeps_its_integer_bound(certified: PlanResult) -> None:
    text = json.dumps(json_safe(plan_result_document(certified)), allow_nan=False)
    assert plan_result_from_document(json.loads(text)) == certified


@pytest.mark.parametrize("seconds", [0.0, -1.0, math.nan, math.inf])
def test_the_time_limit_must_be_a_positive_number(data: dict, seconds: float) -> None:
    scenario = Scenario.model_validate(data)
    model = build_planning_model(scenario, scenario.proposal(PROPOSAL))
    with pytest.raises(ValueError, match="time_limit_s must be a positive number of seconds"):
        whole_truck_bound(model, None, seconds)


def test_only_on_the_scenarios_own_grid(data: dict) -> None:
    with pytest.raises(
        ValueError, match="certify_s: the whole-truck bound needs the plan made on the scenario's own grid"
    ):
        plan_proposal(Scenario.model_validate(data), PROPOSAL, certify_s=5.0, method="condensed", threads=1)


def test_the_cli_says_what_was_proved_and_refuses_a_bad_limit(runner, data: dict, tmp_path) -> None:
    path = tmp_path / "synthetic.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    done = runner.invoke(
        app, ["plan", str(path), "-p", PROPOSAL, "--certify-seconds", "120", "--no-schedule", "--no-window-value"]
    )
    assert done.exit_code == 0, done.output
    assert "Whole-truck bound" in done.output and "proved optimal" in done.output
    as_json = runner.invoke(
        app, ["plan", str(path), "-p", PROPOSAL, "--certify-seconds", "120", "--json", "--no-window-value"]
    )
    (proposal,) = json.loads(as_json.stdout)["proposals"]
    assert proposal["integer_bound"]["bound"] < proposal["bound"] and proposal["integer_bound"]["proved"] is True
    for bad in ("nan", "-5", "1e9"):
        refused = runner.invoke(app, ["plan", str(path), "-p", PROPOSAL, "--certify-seconds", bad])
        assert refused.exit_code == 2, (bad, refused.output)
        assert "--certify-seconds" in refused.output


@pytest.mark.parametrize("proposal", ["agreed", "unilateral"])
def test_a_plan_without_trucks_is_bounded_by_its_lp(proposal: str) -> None:
    """The corridor scenario moves people only: the program has no whole column, HiGHS solves it as an
    LP and leaves its MIP dual bound at 0. That 0 is no bound (the plan is worth more); the LP's optimum is."""
    scenario = load_scenario(SCENARIOS / "corridor.yaml")
    result = plan_proposal(scenario, proposal, certify_s=5.0, method="lp", threads=1)
    proved = result.integer_bound
    assert proved is not None and proved.proved
    assert result.objective > 0 and proved.bound == pytest.approx(result.bound, rel=1e-9)
    assert proved.gap == pytest.approx(result.gap) and proved.gap >= 0


def _three_lots_in(seed: int, timezone: str, start: dt.datetime) -> Scenario:
    data = synthetic_scenario_data(16, days=3, seed=seed, slot_minutes=60, timezone=timezone, start=start)
    return Scenario.model_validate(three_lots(data))


CASES = {
    # Three stock lots a day apart, clocks changing inside the horizon (tests/plan/test_stock_lots.py).
    "lots-santiago-ceasefire": (lambda: _three_lots_in(13, "America/Santiago", dt.datetime(2024, 4, 5)), "ceasefire"),
    "lots-berlin-daily": (lambda: _three_lots_in(12, "Europe/Berlin", dt.datetime(2024, 3, 30)), "daily-windows"),
    # Quotas with floors and shares; people returning home.
    "ceasefire-yaml": (lambda: load_scenario(SCENARIOS / "ceasefire.yaml"), "ceasefire"),
    "return-yaml": (lambda: load_scenario(SCENARIOS / "return.yaml"), "ceasefire"),
    # Synthetic days where the whole-truck bound is well below the LP's (1.4 % and 0.8 %).
    "synthetic-15-seed3": (lambda: synthetic_scenario(15, 1, 3), "daily-windows"),
    "synthetic-25-seed4": (lambda: synthetic_scenario(25, 1, 4), "ceasefire"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_bound_holds_the_plan_below_it_and_stays_under_the_lp(case: str) -> None:
    """On situations the first test did not see: plan value <= whole-truck bound <= LP bound, the gap is
    never negative (Santiago was -1e-16 before the bound was kept at least the plan's value), and small
    programs close."""
    make, proposal = CASES[case]
    result = plan_proposal(make(), proposal, certify_s=60.0, method="lp", threads=1)
    proved = result.integer_bound
    assert proved is not None and proved.proved
    assert result.objective <= proved.bound <= result.bound
    assert proved.gap >= 0 and proved.gap == pytest.approx((proved.bound - result.objective) / abs(proved.bound))
    assert proved.gap <= MIP_REL_GAP + 1e-9  # proved: the plan is within HiGHS's gap of the best whole-truck plan
    assert proved.best_found is not None and proved.best_found <= proved.bound * (1 + 1e-6)


@pytest.mark.parametrize("seconds", [-1.0, math.nan, math.inf, -math.inf])
def test_plan_proposal_refuses_a_bad_certify_limit_before_planning(data: dict, seconds: float, monkeypatch) -> None:
    """Refused up front: NaN is true to ``if certify_s``, and used to cost the whole plan before the error."""
    import safepassage.plan.planner as planner

    def no_plan(*args: object, **kwargs: object) -> None:
        raise AssertionError("planned before refusing the limit")

    monkeypatch.setattr(planner, "build_planning_model", no_plan)
    with pytest.raises(ValueError, match="certify_s must be 0 .no bound. or a positive number of seconds"):
        plan_proposal(Scenario.model_validate(data), PROPOSAL, certify_s=seconds, method="lp", threads=1)


def test_a_limit_too_short_for_the_root_falls_back_to_the_lp_bound_and_says_so(runner, data: dict, tmp_path) -> None:
    """1e-9 s: HiGHS stops before its root, with no dual bound (inf). The plan still comes, bounded by
    the LP; the words do not call the LP's bound a proved whole-truck bound, and the JSON says not proved."""
    path = tmp_path / "synthetic.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    args = ["plan", str(path), "-p", PROPOSAL, "--certify-seconds", "1e-9", "--no-window-value"]
    done = runner.invoke(app, [*args, "--no-schedule"])
    assert done.exit_code == 0, done.output
    assert "proved nothing tighter than the LP bound" in done.output and "proved optimal" not in done.output
    as_json = runner.invoke(app, [*args, "--json"])
    assert as_json.exit_code == 0, as_json.output
    (proposal,) = json.loads(as_json.stdout)["proposals"]
    proved = proposal["integer_bound"]
    assert proved["proved"] is False and proved["best_found"] is None and proved["seconds"] == 1e-9
    assert proved["bound"] == proposal["bound"] and proved["gap"] == pytest.approx(proposal["gap"])
    assert proved["gap"] > 0
    for zero in ("0", "-0"):  # no bound asked: none reported
        skipped = runner.invoke(app, [*args[:4], "--certify-seconds", zero, "--json", "--no-window-value"])
        assert skipped.exit_code == 0 and json.loads(skipped.stdout)["proposals"][0]["integer_bound"] is None


def test_with_convoy_rules_the_bound_still_holds_the_consolidated_plan() -> None:
    """Convoy rules (at least 3 trucks a convoy) consolidate the plan after the whole-truck step; the
    program does not see them, so its bound only loosens: on this day the consolidated plan is 2.5 %
    below the best whole-truck flow, and still below the bound, which is still below the LP's."""
    data = synthetic_scenario_data(15, 1, 3, 15)
    data["convoy_rules"] = {"min_trucks": 3, "max_trucks": 10, "marshalling_minutes": 30}
    result = plan_proposal(Scenario.model_validate(data), "ceasefire", certify_s=60.0, method="lp", threads=1)
    proved = result.integer_bound
    assert result.consolidation is not None and proved is not None and proved.proved
    assert result.objective <= proved.bound < result.bound
    assert proved.best_found is not None and result.objective < proved.best_found <= proved.bound * (1 + 1e-6)
    assert proved.gap > 0.01  # the convoy rules' cost, which the program cannot bound
