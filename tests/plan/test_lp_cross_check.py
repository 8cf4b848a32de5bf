"""The LP as assembled by ``plan/lp_build.py`` and solved by HiGHS has the optimum of the same model
written plainly with PuLP and solved by CBC (``lp_pulp.py``), on the tiny scenario and on small
synthetic ones (with a fleet, quotas, several lots of stock, people and restricted goods), and on the
agreement and return scenarios (floors, shares, agreement hours, a floor left short, waiting away from
home, need that follows people or stays).

Also: pruning movements (static reachability and time) leaves the optimum unchanged.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from safepassage.plan import network
from safepassage.plan.lp_build import build_lp
from safepassage.plan.problem import compile_problem
from safepassage.plan.solve import solve_lp
from safepassage.scenario import Scenario, load_scenario
from safepassage.testing.synthetic import synthetic_scenario
from tests.plan.lp_pulp import pulp_optimum

REL = 1e-6
SCENARIO_DIR = Path(__file__).parents[1] / "scenarios"
ENCLAVE, CORRIDOR = SCENARIO_DIR / "enclave.yaml", SCENARIO_DIR / "corridor.yaml"
CEASEFIRE, RETURN = SCENARIO_DIR / "ceasefire.yaml", SCENARIO_DIR / "return.yaml"


def _tiny(tiny_path) -> Scenario:
    return load_scenario(tiny_path)


def _small_ceasefire() -> Scenario:
    """Two days in hour slots: stock in two lots, quotas, a daily window and a ceasefire."""
    return synthetic_scenario(10, days=2, seed=3, slot_minutes=60, replenish=True)


def _small_with_fleet() -> Scenario:
    """One day with a small fleet (the fleet rows bind) and a restricted commodity."""
    return synthetic_scenario(12, days=1, seed=5, slot_minutes=60, fleet_trucks=12)


def _two_origins(tiny_path) -> Scenario:
    """Tiny with a second zone whose people leave over a shared, narrow last road: the fair-evacuation
    rows (every origin gets a share) are in the model."""
    data = _tiny(tiny_path).model_dump(mode="json", by_alias=True, exclude_none=True)
    data["places"].append({"id": "dp-east", "name": "East DP", "kind": "distribution_point", "zone": "east",
                           "geometry": {"type": "Point", "coordinates": [34.3, 31.02]}})
    data["zones"].append({"id": "east", "name": "East", "population": 500, "hazard": "low",
                          "geometry": {"type": "Polygon", "coordinates": [[[34.25, 31.0], [34.35, 31.0], [34.35, 31.04], [34.25, 31.04], [34.25, 31.0]]]},
                          "needs_per_person_per_day": {"food": 0.01},
                          "evacuation": {"wants_to_leave": 200, "assembly_place": "dp-east", "destinations": ["south"]}})
    data["roads"].append({"id": "r5", "from": "dp-east", "to": "dp-south", "length_km": 10, "walking_minutes": 120})
    for road in data["roads"]:
        if road["id"] == "r4":
            road["people_per_hour"] = 40
    return Scenario.model_validate(data)


def _return_static_need() -> Scenario:
    """The return scenario with needs that stay where they are (``needs_follow_people: false``)."""
    data = load_scenario(RETURN).model_dump(mode="json", by_alias=True, exclude_none=True)
    data["objective"]["needs_follow_people"] = False
    return Scenario.model_validate(data)


def _ceasefire_without_fuel() -> Scenario:
    """The ceasefire with no fuel in stock: its fuel floor (5 trucks a day) is left short, at a cost."""
    data = load_scenario(CEASEFIRE).model_dump(mode="json", by_alias=True, exclude_none=True)
    data["stocks"] = [stock for stock in data["stocks"] if stock["commodity"] != "fuel"]
    return Scenario.model_validate(data)


def _ceasefire_five_fuel_trucks() -> Scenario:
    """The ceasefire with fuel for five trucks in all: a truck driving round the gate must not count twice."""
    data = load_scenario(CEASEFIRE).model_dump(mode="json", by_alias=True, exclude_none=True)
    for stock in data["stocks"]:
        if stock["commodity"] == "fuel":
            stock["quantity"] = 100
    return Scenario.model_validate(data)


def _corridor_screened() -> Scenario:
    """The corridor with a slow screening point that detains 5% and turns back 15% of the people it
    processes, with a small holding area: processed people count in its rate and the people balance."""
    data = load_scenario(CORRIDOR).model_dump(mode="json", by_alias=True, exclude_none=True)
    place = next(p for p in data["places"] if p["id"] == "screening")
    place["people_per_hour"] = 500
    place["screening"] = {
        "processing_minutes": 30, "holding_people": 300,
        "detained": {"value": 0.05, "assumption": "test figure"}, "turned_back": {"value": 0.15, "assumption": "test figure"},
    }
    return Scenario.model_validate(data)


def _two_reception_areas(split: str) -> Scenario:
    """The corridor with a second reception area on the way: people split between the two by a rule
    (preference weights 1 : 3, or capacities 5,000 : 2,000, the second one binding)."""
    data = load_scenario(CORRIDOR).model_dump(mode="json", by_alias=True, exclude_none=True)
    data["places"].append({"id": "reception-2", "name": "Second reception", "kind": "shelter", "zone": "safe",
                           "geometry": {"type": "Point", "coordinates": [37.44, 47.055]}})
    data["roads"].append({"id": "onward-2", "from": "screening", "to": "reception-2", "length_km": 4, "walking_speed_kmh": 4, "trucks": False})
    first, second = (p for p in data["places"] if p["id"] in ("reception", "reception-2"))
    if split == "preference":
        first["preference_weight"], second["preference_weight"] = 1.0, 3.0
    else:
        first["capacity_people"], second["capacity_people"] = 5000, 2000
    data["zones"][0]["evacuation"]["destination_split"] = split
    return Scenario.model_validate(data)


SCENARIOS = {
    "tiny": _tiny,
    "two-origins": _two_origins,
    "enclave": lambda _: load_scenario(ENCLAVE),  # offloading minutes, convoys within windows, a fleet
    "corridor": lambda _: load_scenario(CORRIDOR),  # people released over time by the departure model
    "corridor-screened": lambda _: _corridor_screened(),  # a screening point stops a share of the people it processes
    "two-reception-preference": lambda _: _two_reception_areas("preference"),  # people split by declared weights
    "two-reception-capacity": lambda _: _two_reception_areas("capacity"),  # split by capacity, which binds
    "ceasefire-2d": lambda _: _small_ceasefire(),
    "fleet-1d": lambda _: _small_with_fleet(),
    "ceasefire": lambda _: load_scenario(CEASEFIRE),  # floors, a share, agreement hours
    "ceasefire-no-fuel": lambda _: _ceasefire_without_fuel(),  # a floor left short, its shortfall costed
    "ceasefire-5-fuel": lambda _: _ceasefire_five_fuel_trucks(),  # floors count net crossings
    "return": lambda _: load_scenario(RETURN),  # people going home; their need follows them
    "return-static-need": lambda _: _return_static_need(),  # the same, need left where it was
}
CASES = [
    ("tiny", "pause"),
    ("tiny", "none"),
    ("two-origins", "pause"),
    ("enclave", "window-12h"),
    ("corridor", "unilateral"),
    ("corridor-screened", "agreed"),
    ("two-reception-preference", "agreed"),
    ("two-reception-capacity", "agreed"),
    ("ceasefire-2d", "ceasefire"),
    ("ceasefire-2d", "daily-windows"),
    ("fleet-1d", "daily-windows"),
    ("ceasefire", "ceasefire"),
    ("ceasefire", "beyond-capacity"),
    ("ceasefire-no-fuel", "ceasefire"),
    ("ceasefire-5-fuel", "ceasefire"),
    ("return", "ceasefire"),
    ("return-static-need", "ceasefire"),
]
FAMILIES = {"quota", "quota_floor", "fleet", "fair_evacuation", "offload", "road_trucks", "place_trucks", "road_people",
            "place_people", "presence", "need_follows_people", "destination_split", "shelter_capacity"}


def _scenario(name: str, tiny_path) -> Scenario:
    return SCENARIOS[name](tiny_path)


def _highs_optimum(scenario: Scenario, proposal: str) -> tuple[float, int]:
    model = build_lp(compile_problem(scenario, proposal))
    return solve_lp(model.lp).objective, model.lp.n_cols


def test_the_cases_exercise_every_constraint_family(tiny_path) -> None:
    """Between them the cases have rows of every family the PuLP model states (so each is cross-checked)."""
    present: set[str] = set()
    waiting_cost, short = False, False
    for name, proposal in CASES:
        model = build_lp(compile_problem(_scenario(name, tiny_path), proposal))
        present |= {block for block in FAMILIES if model.lp.row_block(block).size}
        h = model.col("h")
        waiting_cost |= bool(np.any(model.lp.vectors()[0][h.slice()] < 0))
        quotas = model.terms.quotas + model.terms.quota_floors
        present |= {"quota_share"} if any(q.share is not None for q in model.terms.quota_floors) else set()
        if name == "ceasefire-no-fuel":
            short = bool(np.any(solve_lp(model.lp).x[model.col("quota_shortfall").slice()] > 0.5))
        present |= {"agreement_hours"} if any(q.agreement_hours for q in quotas) else set()
    assert present == FAMILIES | {"quota_share", "agreement_hours"}
    assert short  # a floor left short: the shortfall's cost is in both optima
    assert waiting_cost  # some case has people waiting away from home, at a cost


@pytest.mark.parametrize(("name", "proposal"), CASES)
def test_the_lp_has_the_optimum_of_the_same_model_written_with_pulp(name: str, proposal: str, tiny_path) -> None:
    scenario = _scenario(name, tiny_path)
    highs, _ = _highs_optimum(scenario, proposal)
    cbc = pulp_optimum(compile_problem(scenario, proposal))
    assert cbc == pytest.approx(highs, rel=REL, abs=1e-6)
    if proposal != "none":
        assert highs != 0  # a plan that moves something (or falls short of a floor): more than two zeros compared


def test_the_cross_check_sees_a_changed_bound(tiny_path) -> None:
    """The PuLP model really reads the compiled problem: a lower road capacity lowers both optima alike."""
    scenario = _tiny(tiny_path)
    problem = compile_problem(scenario, "pause")
    highs, _ = _highs_optimum(scenario, "pause")
    assert pulp_optimum(problem) == pytest.approx(highs, rel=REL)
    data = scenario.model_dump(by_alias=True, exclude_none=True)
    for place in data["places"]:
        if place.get("trucks_per_hour"):
            place["trucks_per_hour"] = place["trucks_per_hour"] / 2
    halved = Scenario.model_validate(data)
    lower, _ = _highs_optimum(halved, "pause")
    assert lower < highs
    assert pulp_optimum(compile_problem(halved, "pause")) == pytest.approx(lower, rel=REL)


def _no_pruning(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every usable movement: no static reachability pruning, no time pruning (the semantic rules
    stay: a commodity never admitted does not leave a crossing, people do not leave a safe place)."""

    def every_usable(n_places, tail, head, usable, sources, sinks, blocked_tails=frozenset()):  # noqa: ANN001, ANN202
        blocked = np.zeros(n_places, dtype=bool)
        blocked[list(blocked_tails)] = True
        return usable & ~blocked[tail] if sources and sinks else np.zeros(len(tail), dtype=bool)

    monkeypatch.setattr(network, "reachable_arcs", every_usable)
    monkeypatch.setattr(network, "prune_by_time", lambda n_places, tail, head, dep, arr, *_: np.ones(len(dep), dtype=bool))


@pytest.mark.parametrize(("name", "proposal"), [("tiny", "pause"), ("ceasefire-2d", "ceasefire"), ("fleet-1d", "daily-windows")])
def test_pruning_leaves_the_optimum_unchanged(name: str, proposal: str, tiny_path, monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = _scenario(name, tiny_path)
    pruned, pruned_cols = _highs_optimum(scenario, proposal)
    _no_pruning(monkeypatch)
    whole, whole_cols = _highs_optimum(scenario, proposal)
    assert whole_cols > pruned_cols  # pruning removed columns ...
    assert pruned == pytest.approx(whole, rel=REL, abs=1e-6)  # ... and no value
