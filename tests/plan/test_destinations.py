"""People choose among destinations by a stated rule (preference weights, or capacities), and a
shelter's capacity holds: planned, cross-checked with PuLP (test_lp_cross_check.py) and checked by the
independent plan checker."""

from __future__ import annotations

import pytest
import yaml

from safepassage.errors import ScenarioError
from safepassage.plan import plan_proposal
from safepassage.scenario import Scenario
from safepassage.scenario.load import parse_scenario
from tests.plan.plan_checker import check_plan
from tests.plan.test_lp_cross_check import _two_reception_areas


def _text(scenario: Scenario) -> str:
    return yaml.safe_dump(scenario.model_dump(mode="json", by_alias=True, exclude_none=True), sort_keys=False)


def _arrivals(plan) -> dict[str, int]:
    out: dict[str, int] = {}
    for m in plan.evacuations:
        out[m.destination] = out.get(m.destination, 0) + m.people
    return out


def _plan(scenario: Scenario):
    plan = plan_proposal(scenario, "agreed")
    problems = check_plan(_text(scenario), plan.to_dict())
    assert problems == [], problems[:5]
    return plan


def test_preference_weights_split_people_between_reception_areas():
    plan = _plan(_two_reception_areas("preference"))
    arrived = _arrivals(plan)
    total = sum(arrived.values())
    assert total == plan.kpis.people_reached_safety > 1000
    assert arrived["reception-2"] == pytest.approx(0.75 * total, abs=len(plan.evacuations) + 1)
    assert arrived["reception"] == pytest.approx(0.25 * total, abs=len(plan.evacuations) + 1)


def test_without_a_rule_the_nearest_takes_everyone_and_capacities_hold():
    scenario = _two_reception_areas("preference")
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["zones"][0]["evacuation"]["destination_split"] = "nearest"
    nearest = _plan(Scenario.model_validate(data))
    assert set(_arrivals(nearest)) == {"reception-2"}  # 4 km, against 5 km to the other
    for place in data["places"]:
        if place["id"] == "reception-2":
            place["capacity_people"] = 1500
    capped = _plan(Scenario.model_validate(data))
    assert _arrivals(capped)["reception-2"] <= 1500
    assert capped.kpis.people_reached_safety > 1500  # the others go on to the second-nearest


def test_a_capacity_split_fills_shelters_in_proportion_and_never_past_their_capacity():
    plan = _plan(_two_reception_areas("capacity"))
    arrived = _arrivals(plan)
    assert arrived["reception-2"] <= 2000 and arrived["reception"] <= 5000
    assert arrived["reception-2"] == pytest.approx(2 / 7 * sum(arrived.values()), abs=len(plan.evacuations) + 1)


def test_the_checker_rejects_a_full_shelter_overfilled_and_a_split_not_kept():
    scenario = _two_reception_areas("preference")
    plan = _plan(scenario).to_dict()
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    for place in data["places"]:
        if place["id"] == "reception-2":
            place["preference_weight"] = 1.0  # an even split: the plan's 1 : 3 breaks it
            place["capacity_people"] = 100
    problems = check_plan(_text(Scenario.model_validate(data)), plan)
    assert any("more than its capacity of 100" in p for p in problems), problems[:3]
    assert any("its preference share" in p for p in problems), problems[:3]


def test_a_split_rule_without_its_figures_is_a_clear_error():
    data = _two_reception_areas("preference").model_dump(mode="json", by_alias=True, exclude_none=True)
    for place in data["places"]:
        place.pop("preference_weight", None)
    with pytest.raises(ScenarioError, match="preference_weight") as raised:
        plan_proposal(parse_scenario(yaml.safe_dump(data), source="test"), "agreed")
    assert "zones[0].evacuation.destination_split" in str(raised.value)


def test_the_documented_screening_and_destination_fields_are_valid():
    """The YAML example of docs/behaviour.md's "Screening and destinations" section validates field by field."""
    from pathlib import Path

    from safepassage.scenario.behaviour import Screening
    from safepassage.scenario.model import Evacuation

    page = (Path(__file__).resolve().parents[2] / "docs" / "behaviour.md").read_text()
    section = page.split("## Screening and destinations, for people on foot", 1)[1]
    example = yaml.safe_load(section.split("```yaml\n", 1)[1].split("```", 1)[0])
    screening = Screening.model_validate(example["places"][0]["screening"])
    assert screening.stopped_share == pytest.approx(0.2)
    assert [p["capacity_people"] for p in example["places"][1:]] == [5000, 2000]
    assert Evacuation.model_validate(example["zones"][0]["evacuation"]).destination_split == "capacity"


def test_a_full_shelter_is_named_as_the_limit():
    from safepassage.evaluate.limits import limit_label

    data = _two_reception_areas("capacity").model_dump(mode="json", by_alias=True, exclude_none=True)
    for place in data["places"]:
        if "capacity_people" in place:
            place["capacity_people"] //= 5  # 1,000 and 400: fewer than the ~6,000 people who set out
    scenario = Scenario.model_validate(data)
    plan = _plan(scenario)
    assert plan.kpis.people_reached_safety == pytest.approx(1400, abs=len(plan.evacuations) + 1)
    shelters = [b for b in plan.bottlenecks if b.kind == "shelter"]
    assert shelters, plan.bottlenecks
    assert {limit_label(scenario, b) for b in shelters} <= {"room at Reception centre, 1,000 people", "room at Second reception, 400 people"}


def _preferred_place_holds(capacity: int, when_full: str | None) -> Scenario:
    """The preference split (1 : 3) with room for only ``capacity`` at the preferred reception area."""
    data = _two_reception_areas("preference").model_dump(mode="json", by_alias=True, exclude_none=True)
    if when_full is not None:
        data["zones"][0]["evacuation"]["when_full"] = when_full
    for place in data["places"]:
        if place["id"] == "reception-2":
            place["capacity_people"] = capacity
    return Scenario.model_validate(data)


def test_people_redirect_from_a_full_place_unless_the_split_must_hold():
    """when_full: redirect (the default) — the preferred place takes what it has room for and the others
    go to the other place, so as many reach safety as with no limit; stop — the 1 : 3 split holds and the
    full place stops the origin's arrivals at a third of its capacity elsewhere."""
    free = _plan(_two_reception_areas("preference"))
    redirected = _plan(_preferred_place_holds(1000, None))
    arrived = _arrivals(redirected)
    slack = len(redirected.evacuations) + 1
    assert arrived["reception-2"] <= 1000
    assert arrived["reception-2"] >= 1000 - slack  # it fills before anyone is sent elsewhere
    assert redirected.kpis.people_reached_safety == pytest.approx(free.kpis.people_reached_safety, abs=slack)
    assert arrived["reception"] > 3 * _arrivals(free)["reception"]  # the others went to the other place
    stopped = _plan(_preferred_place_holds(1000, "stop"))
    kept = _arrivals(stopped)
    assert kept["reception-2"] == pytest.approx(3 * kept["reception"], abs=3 * (len(stopped.evacuations) + 1))
    assert stopped.kpis.people_reached_safety < 0.25 * redirected.kpis.people_reached_safety
    assert stopped.objective < redirected.objective


def test_the_checker_tells_a_redirect_from_a_split_that_must_hold():
    """The redirected plan keeps its own rule, and breaks the same scenario's split under ``stop``."""
    plan = _plan(_preferred_place_holds(1000, None)).to_dict()
    problems = check_plan(_text(_preferred_place_holds(1000, "stop")), plan)
    assert any("its preference share" in p for p in problems), problems[:3]
