"""Synthetic scenarios: valid for every seed and size, the same for the same seed, and plannable."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safepassage.plan import plan_proposal
from safepassage.scenario import parse_scenario
from safepassage.scenario.model import PlaceKind
from safepassage.testing.synthetic import synthetic_scenario, synthetic_scenario_data

SMALL = dict(n_places=st.integers(3, 12), days=st.sampled_from([0.5, 1.0, 2.0]), seed=st.integers(0, 2**32 - 1), slot_minutes=st.sampled_from([30, 60, 120]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**SMALL)
def test_small_scenarios_validate_and_plan_every_proposal(n_places: int, days: float, seed: int, slot_minutes: int) -> None:
    scenario = synthetic_scenario(n_places, days, seed, slot_minutes)
    assert len(scenario.places) == n_places
    for proposal in scenario.proposals:
        result = plan_proposal(scenario, proposal.id)
        assert result.status.value == "optimal"
        assert result.objective <= result.bound + 1e-6 * max(1.0, abs(result.bound))


@pytest.mark.parametrize("n_places, days", [(3, 1), (20, 1), (60, 3), (150, 7), (500, 7)])
@pytest.mark.parametrize("seed", [0, 1, 12345])
def test_scenarios_of_every_size_pass_the_loaders_checks(n_places: int, days: float, seed: int) -> None:
    data = synthetic_scenario_data(n_places, days, seed)
    # Through YAML and the loader: every reference resolves, every field validates.
    scenario = parse_scenario(yaml.safe_dump(data, sort_keys=False), source="synthetic")
    kinds = {p.kind for p in scenario.places}
    assert {PlaceKind.warehouse, PlaceKind.crossing, PlaceKind.distribution_point} <= kinds
    assert len(scenario.places) == n_places
    assert {p.id for p in scenario.proposals} == {"none", "daily-windows", "ceasefire"}
    assert any(c.id in scenario.policy.restricted_commodities for c in scenario.commodities)
    assert scenario.policy.daily_quotas


@pytest.mark.parametrize("n_places", [40, 200])
def test_road_network_is_connected_with_about_one_and_a_half_roads_per_place(n_places: int) -> None:
    scenario = synthetic_scenario(n_places, 1, seed=3)
    neighbours: dict[str, set[str]] = {p.id: set() for p in scenario.places}
    for road in scenario.roads:
        neighbours[road.from_].add(road.to)
        neighbours[road.to].add(road.from_)
    seen, stack = {scenario.places[0].id}, [scenario.places[0].id]
    while stack:
        for nxt in neighbours[stack.pop()] - seen:
            seen.add(nxt)
            stack.append(nxt)
    assert seen == set(neighbours)
    assert 1.3 <= len(scenario.roads) / n_places <= 1.7


def test_roads_entering_dangerous_zones_require_a_pause() -> None:
    scenario = synthetic_scenario(80, 1, seed=5)
    zone_of = {p.id: p.zone for p in scenario.places}
    danger = {z.id for z in scenario.zones if z.hazard in ("high", "extreme")}
    assert danger
    for road in scenario.roads:
        ends = {zone_of[road.from_], zone_of[road.to]}
        assert road.requires_pause == (len(ends) == 2 and bool(ends & danger))
    assert any(z.evacuation for z in scenario.zones)


@given(n_places=st.integers(3, 60), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=15, deadline=None)
def test_same_seed_gives_the_same_scenario(n_places: int, seed: int) -> None:
    first = synthetic_scenario(n_places, 2, seed)
    assert first == synthetic_scenario(n_places, 2, seed)
    assert first.model_dump() == synthetic_scenario(n_places, 2, seed).model_dump()


def test_different_seeds_give_different_scenarios() -> None:
    assert synthetic_scenario(30, 1, seed=1).model_dump() != synthetic_scenario(30, 1, seed=2).model_dump()


def test_options_reach_the_scenario() -> None:
    scenario = synthetic_scenario(30, 3, seed=1, slot_minutes=20, coarse_after_hours=24, coarse_slot_minutes=60, proposals=("none", "ceasefire"), fleet_trucks=42)
    assert scenario.horizon.slot_minutes == 20
    assert (scenario.horizon.coarse_after_hours, scenario.horizon.coarse_slot_minutes) == (24, 60)
    assert [p.id for p in scenario.proposals] == ["none", "ceasefire"]
    assert scenario.fleet is not None and scenario.fleet.trucks == 42


def test_a_medium_scenario_plans_with_aid_and_evacuation_under_a_ceasefire() -> None:
    scenario = synthetic_scenario(30, 1, seed=2, slot_minutes=60)
    result = plan_proposal(scenario, "ceasefire")
    assert sum(result.kpis.trucks_arrived.values()) > 0
    assert result.kpis.people_reached_safety > 0
    assert result.gap < 0.1


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_places": 2}, "n_places must be a whole number >= 3"),
        ({"days": 0}, r"days must be in \(0, 60\]"),
        ({"slot_minutes": 0}, "slot_minutes must be a whole number"),
        ({"colour": "red"}, "unknown option.*colour"),
        ({"proposals": ("truce",)}, "proposals must be a non-empty selection"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict, match: str) -> None:
    args = {"n_places": 10, "days": 1, "seed": 0, **kwargs}
    with pytest.raises(ValueError, match=match):
        synthetic_scenario(**args)
