"""Every plan of every packaged and test scenario, and of multi-day synthetic scenarios with stock in
several lots in random time zones (some changing clocks inside the horizon), keeps every rule, as
judged by the independent checker in ``plan_checker.py``. The checker itself catches broken plans."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safepassage.plan import plan_proposal
from safepassage.scenario import builtin_scenarios, load_scenario, resolve_scenario_path
from safepassage.scenario.model import Scenario
from safepassage.testing.synthetic import synthetic_scenario_data
from tests.plan.plan_checker import check_plan

SCENARIOS = Path(__file__).parents[1] / "scenarios"


def _plan_and_check(text: str, proposal: str) -> list[str]:
    scenario = Scenario.model_validate(_resolved(text))
    result = plan_proposal(scenario, proposal)
    return check_plan(text, result.to_dict())


def _resolved(text: str) -> dict:
    from tests.plan.plan_checker import read_scenario

    return read_scenario(text)


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.stem)
def test_test_scenarios_keep_every_rule(path):
    text = path.read_text()
    for proposal in load_scenario(path).proposals:
        assert _plan_and_check(text, proposal.id) == [], proposal.id


def test_other_packaged_scenarios_keep_every_rule():
    """Any packaged scenario besides the Gaza week (checked below from the session's plans)."""
    for name in builtin_scenarios():
        if name == "gaza-2023-11":
            continue
        text = resolve_scenario_path(name).read_text()
        for proposal in load_scenario(name).proposals:
            assert _plan_and_check(text, proposal.id) == [], (name, proposal.id)


@pytest.mark.slow
def test_the_gaza_week_keeps_every_rule(gaza_week):
    text = resolve_scenario_path("gaza-2023-11").read_text()
    assert len(gaza_week.results) == 5
    for result in gaza_week.results:
        assert check_plan(text, result.to_dict()) == [], result.proposal


@pytest.mark.parametrize(("zone", "start"), [("Europe/Berlin", "2024-03-30T12:00"), ("Europe/Berlin", "2024-10-26T12:00"), ("America/New_York", "2024-03-09T12:00")])
def test_tiny_across_a_clock_change_keeps_every_rule(zone, start):
    data = yaml.safe_load((SCENARIOS / "tiny.yaml").read_text())
    data["timezone"] = zone
    data["horizon"] = {"start": start, "days": 2, "slot_minutes": 60}
    day = dt.datetime.fromisoformat(start).date() + dt.timedelta(days=1)
    data["proposals"][1]["windows"] = [{"start": f"{day}T06:00", "end": f"{day}T10:00", "zones": ["north"]}]
    text = yaml.safe_dump(data, sort_keys=False)
    for proposal in ("none", "pause"):
        assert _plan_and_check(text, proposal) == [], proposal


ZONES = ["UTC", "Asia/Gaza", "Europe/Berlin", "America/New_York", "America/Santiago", "Australia/Lord_Howe", "Asia/Kathmandu"]
# Starts a day before a clock change in the zones that have one (the horizon then spans it).
STARTS = [dt.datetime(2024, 3, 30), dt.datetime(2024, 4, 5), dt.datetime(2024, 10, 26), dt.datetime(2024, 11, 2), dt.datetime(2024, 1, 10)]


def _with_lots(data: dict, lots: int) -> dict:
    """Split every first-lot stock into ``lots`` whole-truck lots arriving a day apart."""
    payload = {c["id"]: c["truck_payload"] for c in data["commodities"]}
    start = dt.datetime.fromisoformat(data["horizon"]["start"])
    stocks = []
    for stock in data["stocks"]:
        if stock.get("available_from"):
            stocks.append(stock)
            continue
        loads = max(1, round(stock["quantity"] / payload[stock["commodity"]]))
        for lot in range(lots):
            piece = {**stock, "quantity": max(1, loads // lots) * payload[stock["commodity"]]}
            if lot:
                piece["available_from"] = (start + dt.timedelta(days=lot, hours=lot * 5)).isoformat(timespec="minutes")
            stocks.append(piece)
    return {**data, "stocks": stocks}


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n_places=st.integers(8, 20),
    days=st.sampled_from([2.0, 3.0]),
    seed=st.integers(0, 2**31 - 1),
    zone=st.sampled_from(ZONES),
    start=st.sampled_from(STARTS),
    lots=st.integers(1, 3),
    slot_minutes=st.sampled_from([30, 60]),
)
def test_multi_day_scenarios_with_stock_lots_keep_every_rule(n_places, days, seed, zone, start, lots, slot_minutes):
    data = _with_lots(synthetic_scenario_data(n_places, days, seed, slot_minutes, timezone=zone, start=start), lots)
    text = yaml.safe_dump(data, sort_keys=False)
    scenario = Scenario.model_validate(data)
    for proposal in scenario.proposals:
        result = plan_proposal(scenario, proposal.id)
        assert check_plan(text, result.to_dict()) == [], (proposal.id, zone, start)


# -- the checker can fail ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_pause() -> tuple[str, dict]:
    text = (SCENARIOS / "tiny.yaml").read_text()
    return text, plan_proposal(load_scenario(SCENARIOS / "tiny.yaml"), "pause").to_dict()


def _first(plan: dict, road: str) -> dict:
    return next(c for c in plan["schedule"]["convoys"] + plan["schedule"]["evacuations"] if any(leg["road"] == road for leg in c["legs"]))


BREAKS = {
    "pause-only road after the window": (lambda p: _shift(_first(p, "r3"), hours=5), "outside every window"),
    "too fast": (lambda p: _first(p, "r1")["legs"][0].__setitem__("arrives", _first(p, "r1")["legs"][0]["departs"]), "less than its travel time"),
    "unknown road": (lambda p: _first(p, "r1")["legs"][0].__setitem__("road", "r9"), "no such road"),
    "more cargo than stock": (lambda p: _bump(p["schedule"]["convoys"][0], 500), "only 100 had arrived"),
    "kpi off by one": (lambda p: p["kpis"]["trucks_arrived"].__setitem__("food", p["kpis"]["trucks_arrived"]["food"] + 1), "kpis.trucks_arrived[food]"),
    "objective above bound": (lambda p: p.__setitem__("objective", p["bound"] * 1.01), "above the bound"),
    "gate throughput": (lambda p: _bump(p["schedule"]["convoys"][0], 6), "place 'gate'"),
    "restricted fuel": (lambda p: _relabel(p["schedule"]["convoys"][0], "fuel"), "restricted fuel"),
}


def _shift(item: dict, hours: int) -> None:
    for key in ("departs", "arrives"):
        item[key] = (dt.datetime.fromisoformat(item[key]) + dt.timedelta(hours=hours)).isoformat()
    for leg in item["legs"]:
        for key in ("departs", "arrives"):
            leg[key] = (dt.datetime.fromisoformat(leg[key]) + dt.timedelta(hours=hours)).isoformat()


def _bump(convoy: dict, trucks: int) -> None:
    (commodity,) = list(convoy["cargo_trucks"])[:1]
    convoy["cargo_trucks"][commodity] += trucks
    convoy["cargo"][commodity] += float(trucks)
    convoy["trucks"] += trucks


def _relabel(convoy: dict, commodity: str) -> None:
    (old,) = list(convoy["cargo_trucks"])[:1]
    convoy["cargo_trucks"] = {commodity: convoy["cargo_trucks"].pop(old)}
    convoy["cargo"] = {commodity: convoy["cargo"].pop(old)}


@pytest.mark.parametrize("case", sorted(BREAKS))
def test_the_checker_finds_a_broken_plan(tiny_pause, case):
    text, plan = tiny_pause
    assert check_plan(text, plan) == []
    broken = copy.deepcopy(plan)
    change, message = BREAKS[case]
    change(broken)
    found = check_plan(text, broken)
    assert any(message in v for v in found), found


# -- convoy rules -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_convoys() -> tuple[str, dict]:
    text = (SCENARIOS / "tiny.yaml").read_text() + "convoy_rules: {min_trucks: 2, max_trucks: 4, marshalling_minutes: 120, departure_spacing_minutes: 60}\n"
    return text, plan_proposal(Scenario.model_validate(_resolved(text)), "pause").to_dict()


def _late_dispatch(plan: dict) -> None:
    convoy = plan["schedule"]["planned_convoys"][0]
    convoy["departs"] = (dt.datetime.fromisoformat(convoy["departs"]) - dt.timedelta(hours=3)).isoformat()


def _two_at_once(plan: dict) -> None:
    first, second = plan["schedule"]["planned_convoys"][:2]
    second["route"], second["window"], second["requires_pause"] = first["route"], first["window"], first["requires_pause"]
    second["departs"] = first["departs"]


CONVOY_BREAKS = {
    "convoy too small": (lambda p: p["schedule"]["planned_convoys"][0].__setitem__("trucks", 1), "outside 2..4"),
    "a journey outside every convoy": (lambda p: p["schedule"]["planned_convoys"].pop(), "of them in convoys"),
    "a dispatch after marshalling": (_late_dispatch, "not within 120 min after the convoy"),
    "two convoys of one route at once": (_two_at_once, "under 60"),
}


@pytest.mark.parametrize("case", sorted(CONVOY_BREAKS))
def test_the_checker_finds_a_convoy_rule_broken(tiny_convoys, case):
    text, plan = tiny_convoys
    assert check_plan(text, plan) == [] and len(plan["schedule"]["planned_convoys"]) >= 2
    broken = copy.deepcopy(plan)
    change, message = CONVOY_BREAKS[case]
    change(broken)
    found = check_plan(text, broken)
    assert any(message in v for v in found), found
