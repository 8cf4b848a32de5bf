"""Convoy consolidation: every convoy keeps the rules, and every truck is either in exactly one convoy
or counted as dropped (nothing invented, nothing lost silently)."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safepassage.plan.convoys import Journey, Rules, form_convoys, size_stats

journeys = st.lists(st.tuples(st.sampled_from(["north", "south", "centre"]), st.integers(0, 2000), st.integers(1, 12)), max_size=40)
rules = st.builds(
    lambda lo, extra, spacing, marshal: Rules(min_trucks=lo, max_trucks=lo + extra, departure_spacing_minutes=spacing, marshalling_minutes=marshal),
    st.integers(1, 8), st.integers(0, 20), st.sampled_from([0, 15, 30, 60]), st.sampled_from([0, 30, 120, 240]),
)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(spec=journeys, rule=rules)
def test_convoys_keep_the_rules_and_account_for_every_truck(spec: list[tuple[str, int, int]], rule: Rules) -> None:
    given_journeys = [Journey(i, key, float(t), n) for i, (key, t, n) in enumerate(spec)]
    result = form_convoys(given_journeys, rule)
    placed: Counter[int] = Counter()
    by_key: dict[object, list[float]] = defaultdict(list)
    departs = {j.ref: j.departs_min for j in given_journeys}
    for convoy in result.convoys:
        assert rule.min_trucks <= convoy.trucks <= (rule.max_trucks or 10**9)
        assert {given_journeys[ref].key for ref, _ in convoy.members} == {convoy.key}
        times = [departs[ref] for ref, _ in convoy.members]
        assert min(times) == convoy.first_departure_min and max(times) - min(times) <= rule.marshalling_minutes
        by_key[convoy.key].append(convoy.first_departure_min)
        for ref, n in convoy.members:
            placed[ref] += n
    for starts in by_key.values():
        starts.sort()
        assert all(b - a >= rule.departure_spacing_minutes for a, b in zip(starts, starts[1:], strict=False))
    for journey in given_journeys:
        assert placed[journey.ref] + result.dropped.get(journey.ref, 0) == journey.trucks


def test_journeys_of_one_route_and_window_become_one_convoy() -> None:
    spec = [Journey(i, ("rafah", "dp-gaza-city", "2023-11-25"), 15.0 * i, 2) for i in range(8)] + [Journey(8, ("rafah", "dp-rafah", "2023-11-25"), 0.0, 3)]
    result = form_convoys(spec, Rules(min_trucks=3, max_trucks=20, marshalling_minutes=120))
    assert [(c.key[1], c.trucks, len(c.members)) for c in result.convoys] == [("dp-gaza-city", 16, 8), ("dp-rafah", 3, 1)]
    assert result.dropped == {}


def test_too_small_convoys_leave_the_plan_and_are_counted() -> None:
    result = form_convoys([Journey(0, "a", 0.0, 2), Journey(1, "b", 0.0, 9)], Rules(min_trucks=5, max_trucks=20))
    assert [c.trucks for c in result.convoys] == [9] and result.dropped == {0: 2} and result.trucks_dropped == 2


def test_a_full_convoy_shares_its_last_trucks_with_a_small_one_after_it() -> None:
    spec = [Journey(0, "a", 0.0, 20), Journey(1, "a", 15.0, 3)]
    result = form_convoys(spec, Rules(min_trucks=5, max_trucks=20, marshalling_minutes=60))
    assert [(c.trucks, c.first_departure_min) for c in result.convoys] == [(18, 0.0), (5, 0.0)] and result.dropped == {}
    # Not when the moved trucks would leave too soon after the first convoy.
    spaced = form_convoys(spec, Rules(min_trucks=5, max_trucks=20, marshalling_minutes=60, departure_spacing_minutes=30))
    assert [c.trucks for c in spaced.convoys] == [20] and spaced.dropped == {1: 3}


def test_bad_rules_are_refused() -> None:
    with pytest.raises(ValueError, match="min_trucks <= max_trucks"):
        form_convoys([], Rules(min_trucks=10, max_trucks=5))


def test_size_stats() -> None:
    assert size_stats([3, 20, 7]) == {"convoys": 3, "min": 3, "median": 7.0, "max": 20}
    assert size_stats([]) == {"convoys": 0, "min": 0, "median": 0, "max": 0}


# --- in the planner ---------------------------------------------------------------------------------

from collections import Counter as _Counter  # noqa: E402

from safepassage.plan import plan_proposal  # noqa: E402
from safepassage.scenario import load_scenario  # noqa: E402
from safepassage.scenario.model import ConvoyRules  # noqa: E402


def _loads(result) -> _Counter:  # type: ignore[no-untyped-def]
    """Trucks per (road, departure) over the plan's journeys."""
    out: _Counter = _Counter()
    for journey in result.convoys:
        for leg in journey.legs:
            out[(leg.road, leg.departs)] += journey.trucks
    return out


def _check(result, rules: ConvoyRules, unconsolidated) -> None:  # type: ignore[no-untyped-def]
    journeys = {j.id: j for j in result.convoys}
    in_convoys: _Counter = _Counter()
    for convoy in result.planned_convoys:
        assert rules.min_trucks <= convoy.trucks <= (rules.max_trucks or 10**9), convoy.id
        assert convoy.leader == (convoy.trucks > rules.leader_above_trucks) and convoy.vehicles == convoy.trucks + convoy.leader + convoy.escort
        assert convoy.trucks == sum(d.trucks for d in convoy.dispatches) == sum(convoy.cargo_trucks.values())
        for dispatch in convoy.dispatches:
            journey = journeys[dispatch.journey]
            assert (journey.departs, journey.arrives) == (dispatch.departs, dispatch.arrives)
            assert convoy.route[: len(journey.route)] == journey.route  # on the convoy's route, stopping on the way
            in_convoys[dispatch.journey] += dispatch.trucks
        assert convoy.departs == min(d.departs for d in convoy.dispatches)
    # Every truck of the plan travels in exactly one convoy.
    assert in_convoys == _Counter({j.id: j.trucks for j in result.convoys})
    # Capacities: a plan without re-timed or added trucks only leaves trucks out, so no road carries more in
    # any slot than the unconsolidated plan; re-timed trucks are checked limit by limit by the plan checker.
    report = result.consolidation
    if report["trucks_retimed"] == report["loads_swapped"] == report["trucks_added"] == 0:
        before = _loads(unconsolidated)
        assert all(n <= before[key] for key, n in _loads(result).items())
    assert report["value_after"] == pytest.approx(result.objective) and report["value_before"] == pytest.approx(unconsolidated.objective)
    assert report["cost"] == pytest.approx(unconsolidated.objective - result.objective)
    assert result.gap == pytest.approx(report["gap_before"] + report["cost_share_of_bound"], abs=1e-9)
    assert sum(report["convoys_per_day"].values()) == len(result.planned_convoys)
    # Every truck rides, or is dropped with its reason; re-timing moves trucks, and only filling adds any.
    kept = sum(j.trucks for j in result.convoys)
    assert kept + report["trucks_dropped"] == sum(j.trucks for j in unconsolidated.convoys) + report["trucks_added"]
    assert sum(d["trucks"] for d in report["dropped"]) == report["trucks_dropped"] and all(d["reason"] for d in report["dropped"])


@pytest.mark.parametrize(("min_trucks", "max_trucks"), [(1, None), (3, 4), (5, 20)])
def test_planned_convoys_on_tiny(tiny_path, min_trucks: int, max_trucks: int | None) -> None:
    base = load_scenario(tiny_path)
    rules = ConvoyRules(min_trucks=min_trucks, max_trucks=max_trucks, marshalling_minutes=180)
    result = plan_proposal(base.model_copy(update={"convoy_rules": rules}), "pause")
    _check(result, rules, plan_proposal(base, "pause"))
    assert result.planned_convoys and len(result.planned_convoys) < len(result.convoys) or min_trucks > 4


def test_gaza_daily_pauses_become_a_handful_of_convoys_a_day() -> None:
    from safepassage.scenario.load import resolve_scenario_path
    from tests.plan.plan_checker import check_plan

    gaza = load_scenario("gaza-2023-11")
    rules = gaza.convoy_rules
    assert rules is not None and (rules.min_trucks, rules.max_trucks) == (5, 20)
    result = plan_proposal(gaza, "daily-4h-north")
    _check(result, rules, plan_proposal(gaza.model_copy(update={"convoy_rules": None}), "daily-4h-north"))
    # And, checked independently of the planner's code: every capacity, window, quota, stock and fleet rule.
    assert check_plan(resolve_scenario_path("gaza-2023-11").read_text(), result.to_dict()) == []
    per_day = result.consolidation["convoys_per_day"]
    assert max(per_day.values()) <= 10 and len(result.planned_convoys) < len(result.convoys) / 4
    assert result.consolidation["cost_share_of_bound"] < 0.05


def test_docs_convoys_example_runs_and_reports_the_consolidation() -> None:
    import json
    import re
    import shlex
    from pathlib import Path

    from typer.testing import CliRunner

    from safepassage.cli import app

    doc = (Path(__file__).resolve().parents[2] / "docs" / "convoys.md").read_text()
    (command,) = re.findall(r"^\$ safepassage (.+)$", doc, flags=re.MULTILINE)
    result = CliRunner().invoke(app, shlex.split(command))
    assert result.exit_code == 0, result.output
    proposal = json.loads(result.stdout)["proposals"][0]
    report, convoys = proposal["consolidation"], proposal["schedule"]["planned_convoys"]
    assert report["convoys"] == len(convoys) == proposal["planned_convoys"] > 0
    assert all(5 <= c["trucks"] <= 20 and c["leader"] == (c["trucks"] > 5) for c in convoys)
    assert proposal["gap"] == pytest.approx(report["gap_before"] + report["cost_share_of_bound"])


def test_every_gaza_proposal_moves_in_convoys_that_keep_the_rules(gaza_week) -> None:  # type: ignore[no-untyped-def]
    """The week's five plans (the session's, also checked rule by rule by tests/plan/test_plan_checker.py)."""
    rules = load_scenario("gaza-2023-11").convoy_rules
    assert rules is not None
    for result in gaza_week.results:
        journeys = {j.id: j.trucks for j in result.convoys}
        carried: _Counter = _Counter()
        for convoy in result.planned_convoys:
            assert rules.min_trucks <= convoy.trucks <= rules.max_trucks, (result.proposal, convoy.id)
            assert convoy.leader == (convoy.trucks > rules.leader_above_trucks)
            for dispatch in convoy.dispatches:
                carried[dispatch.journey] += dispatch.trucks
        assert carried == _Counter(journeys), result.proposal
        report = result.consolidation
        assert report["cost_share_of_bound"] < 0.05 and result.gap == pytest.approx(report["gap_before"] + report["cost_share_of_bound"])
        print(f"{result.proposal}: {report['convoys']} convoys, per day {sorted(report['convoys_per_day'].values())}, "
              f"trucks per convoy {report['trucks_per_convoy']}, cost {100 * report['cost_share_of_bound']:.2f}% of the bound")
