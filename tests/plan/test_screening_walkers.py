"""Screening as it happens, for people on foot: a screening point's processing delay, its holding
area (people may queue there, never more than it holds) — planned, and checked by the independent
plan checker."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from safepassage.plan import plan_proposal
from safepassage.scenario.load import parse_scenario
from tests.plan.plan_checker import check_plan

CORRIDOR = Path(__file__).resolve().parents[1] / "scenarios" / "corridor.yaml"


def _corridor(screening: dict | None, rate: float = 20000, windows: int = 3) -> str:
    """The corridor test scenario, everyone ready (no behaviour block), with the screening point's rate,
    its screening block and the number of daily windows changed."""
    data = yaml.safe_load(CORRIDOR.read_text())
    data.pop("behaviour")
    data["proposals"][0]["windows"][0]["repeat_days"] = windows
    place = next(p for p in data["places"] if p["id"] == "screening")
    place["people_per_hour"] = rate
    if screening is not None:
        place["screening"] = screening
    return yaml.safe_dump(data, sort_keys=False)


def _plan(text: str):
    plan = plan_proposal(parse_scenario(text, source="test"), "agreed")
    problems = check_plan(text, plan.to_dict())
    assert problems == [], problems[:5]
    return plan


def _first_arrival(plan) -> str:
    return min(m.arrives for m in plan.evacuations)


def test_processing_delays_every_walker_by_its_minutes():
    plain = _plan(_corridor(None))
    screened = _plan(_corridor({"processing_minutes": 120}))
    assert plain.kpis.people_reached_safety == screened.kpis.people_reached_safety == 20000
    # The onward leg (75 min walk) now takes at least 75 + 120 minutes, and the first arrival is 2 h later.
    for movement in screened.evacuations:
        onward = next(leg for leg in movement.legs if leg.from_place == "screening")
        assert _minutes(onward.departs, onward.arrives) >= 75 + 120 - 1
    assert _minutes(_first_arrival(plain), _first_arrival(screened)) == pytest.approx(120, abs=60)


def _minutes(a, b) -> float:
    """Minutes between two plan times (aware datetimes: an absolute difference)."""
    return (b - a).total_seconds() / 60.0


def test_a_holding_area_lets_people_queue_past_the_window_up_to_its_size():
    """The screening point passes 1,000 people an hour; the corridor brings them in faster during one
    6-hour window. Without a holding area only those who reach it and are screened without waiting get
    through (people in the corridor when the window closes walk on: ~7,500); with one, people queue
    there and are screened after the window closes, at most the area's size more."""
    none = _plan(_corridor({"holding_people": 0}, rate=1000, windows=1))
    small = _plan(_corridor({"holding_people": 2000}, rate=1000, windows=1))
    large = _plan(_corridor({"holding_people": 8000}, rate=1000, windows=1))
    safe = [p.kpis.people_reached_safety for p in (none, small, large)]
    assert safe[0] < safe[1] < safe[2] <= 20000, safe
    assert safe[1] - safe[0] <= 2000 + 1, safe
    waited = [
        m for m in small.evacuations
        for before, after in zip(m.legs, m.legs[1:])
        if after.from_place == "screening" and after.departs > before.arrives
    ]
    assert waited, "someone queues at the screening point"


def test_the_checker_rejects_a_queue_larger_than_the_holding_area():
    text = _corridor({"holding_people": 8000}, rate=1000, windows=1)
    plan = _plan(text)
    smaller = text.replace("holding_people: 8000", "holding_people: 100")
    problems = check_plan(smaller, plan.to_dict())
    assert any("more than its holding area of 100" in p for p in problems), problems[:3]


STOPPING = {
    "detained": {"value": 0.05, "low": 0.02, "high": 0.1, "assumption": "test figure"},
    "turned_back": {"value": 0.15, "low": 0.1, "high": 0.2, "assumption": "test figure"},
}


def test_people_detained_or_turned_back_do_not_reach_safety_and_are_counted_apart():
    """With capacity to spare, everyone reaches the screening point; of those it processes 5% are
    detained and 15% turned back, so 80% of the 20,000 reach safety and 1,000 / 3,000 are counted apart."""
    plan = _plan(_corridor(STOPPING))
    k = plan.kpis
    assert k.people_reached_safety == pytest.approx(16000, abs=2)
    assert k.people_detained == pytest.approx(k.people_reached_safety * 0.05 / 0.8, abs=0.1)
    assert k.people_turned_back == pytest.approx(k.people_reached_safety * 0.15 / 0.8, abs=0.1)
    assert k.people_reached_safety + k.people_detained + k.people_turned_back == pytest.approx(20000, abs=3)
    summary = plan.summary()
    assert summary["people_detained"] == k.people_detained and summary["people_turned_back"] == k.people_turned_back


def test_a_screening_point_rate_counts_the_people_it_stops():
    """At 1,000 people an hour with nowhere to queue, over one 6-hour window: those it stops use its
    time too, so fewer walk on than with nobody stopped (about 80% as many)."""
    plain = _plan(_corridor({"holding_people": 0}, rate=1000, windows=1))
    stopping = _plan(_corridor({"holding_people": 0, **STOPPING}, rate=1000, windows=1))
    processed = stopping.kpis.people_reached_safety + stopping.kpis.people_detained + stopping.kpis.people_turned_back
    assert processed == pytest.approx(plain.kpis.people_reached_safety, rel=0.01)
    assert stopping.kpis.people_reached_safety == pytest.approx(0.8 * plain.kpis.people_reached_safety, rel=0.01)


def test_the_checker_catches_stopped_people_counted_wrong_and_a_rate_broken_by_them():
    text = _corridor(STOPPING, rate=1000, windows=1)
    plan = _plan(text).to_dict()
    plan["kpis"]["people_turned_back"] = 0.0
    assert any("kpis.people_turned_back" in p for p in check_plan(text, plan))
    # The same plan against a point that stops nobody: its KPIs no longer match.
    assert any("kpis.people_detained" in p for p in check_plan(_corridor({}, rate=1000, windows=1), _plan(text).to_dict()))
    # A plan made with nobody stopped breaks the rate once the point processes the stopped too.
    unstopped = _plan(_corridor({}, rate=1000, windows=1)).to_dict()
    assert any("more than" in p and "screening" in p for p in check_plan(text, unstopped))


def test_plan_and_compare_say_in_words_who_is_stopped_and_the_json_counts_them(runner, tmp_path):
    from safepassage.cli import app

    path = tmp_path / "corridor.yaml"
    path.write_text(_corridor(STOPPING))
    plan = _plan(path.read_text())
    shown = runner.invoke(app, ["plan", str(path), "--proposal", "agreed", "--no-schedule"])
    assert shown.exit_code == 0, shown.output
    words = " ".join(shown.output.split())
    assert f"about {plan.kpis.people_detained:,.0f} are detained and {plan.kpis.people_turned_back:,.0f} turned back" in words
    compared = runner.invoke(app, ["compare", str(path), "--json", "--proposal", "agreed"])
    assert compared.exit_code == 0, compared.output
    import json

    summary = json.loads(compared.output)["proposals"][0]
    assert summary["people_detained"] == plan.kpis.people_detained > 0
    assert summary["people_turned_back"] == plan.kpis.people_turned_back > 0
    assert summary["people_reached_safety"] == plan.kpis.people_reached_safety
