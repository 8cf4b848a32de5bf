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


def test_bad_rules_are_refused() -> None:
    with pytest.raises(ValueError, match="min_trucks <= max_trucks"):
        form_convoys([], Rules(min_trucks=10, max_trucks=5))


def test_size_stats() -> None:
    assert size_stats([3, 20, 7]) == {"convoys": 3, "min": 3, "median": 7.0, "max": 20}
    assert size_stats([]) == {"convoys": 0, "min": 0, "median": 0, "max": 0}
