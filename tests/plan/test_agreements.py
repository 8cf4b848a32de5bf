"""Agreements as written: quota floors and shares, and quotas counted over the agreement's own hours.

The ceasefire test scenario (``tests/scenarios/ceasefire.yaml``) starts at 08:30 on 19 January and
lets in at least 60 trucks per agreement day, half of them offloaded in the north, at least 5 of them
fuel, at most 80; before it the standing 20 trucks a day hold. These tests read what the plan SAYS
(its convoys' legs and offloads) against those rules, in absolute time."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest
import yaml

from safepassage.errors import ScenarioError
from safepassage.plan import plan_proposal
from safepassage.plan.problem import compile_problem
from safepassage.plan.quotas import agreement_periods_min
from safepassage.scenario import load_scenario
from safepassage.scenario.load import parse_scenario
from safepassage.simulate.world import world_of
from tests.plan.plan_checker import check_plan

CEASEFIRE = Path(__file__).parents[1] / "scenarios" / "ceasefire.yaml"
START = dt.datetime(2025, 1, 19, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))  # Asia/Gaza in January


@pytest.fixture(scope="module")
def ceasefire() -> dict:
    return plan_proposal(load_scenario(CEASEFIRE), "ceasefire").to_dict()


def _crossings(plan: dict) -> list[tuple[dt.datetime, str, str, int]]:
    """(time, destination zone, commodity, trucks) of every truck leaving the gate."""
    out = []
    for convoy in plan["schedule"]["convoys"]:
        for leg in convoy["legs"]:
            if leg["from_place"] == "gate":
                out += [
                    (dt.datetime.fromisoformat(leg["departs"]), convoy["zone"], k, n)
                    for k, n in convoy["cargo_trucks"].items()
                ]
    return out


def _net_crossings(plan: dict) -> list[tuple[dt.datetime, str, str, int]]:
    """What floors and shares count: (time, zone, commodity, trucks) of every truck leaving the gate into
    the territory (+), and of every loaded truck coming back into the gate from it (-, at its arrival)."""
    out = []
    for convoy in plan["schedule"]["convoys"]:
        for leg in convoy["legs"]:
            if leg["from_place"] == "gate" and leg["to_place"] != "depot":
                out += [(dt.datetime.fromisoformat(leg["departs"]), convoy["zone"], k, n) for k, n in convoy["cargo_trucks"].items()]
            if leg["to_place"] == "gate" and leg["from_place"] != "depot":
                out += [(dt.datetime.fromisoformat(leg["arrives"]), convoy["zone"], k, -n) for k, n in convoy["cargo_trucks"].items()]
    return out


def _offloads(plan: dict) -> list[tuple[dt.datetime, str, str, int]]:
    return [
        (dt.datetime.fromisoformat(c["arrives"]), c["zone"], k, n)
        for c in plan["schedule"]["convoys"]
        for k, n in c["cargo_trucks"].items()
    ]


def test_each_agreement_day_meets_the_floor_share_and_fuel_and_stays_under_the_ceiling(ceasefire):
    crossings, net, offloads = _crossings(ceasefire), _net_crossings(ceasefire), _offloads(ceasefire)
    end = dt.datetime(2025, 1, 21, 20, 30, tzinfo=START.tzinfo)
    horizon_end = dt.datetime(2025, 1, 22, 0, 0, tzinfo=START.tzinfo)
    days = [
        (START, START + dt.timedelta(days=1)),
        (START + dt.timedelta(days=1), START + dt.timedelta(days=2)),
        (START + dt.timedelta(days=2), horizon_end),
    ]
    for lo, hi in days:
        part = (hi - lo) / dt.timedelta(days=1)
        gross = sum(n for at, _, _, n in crossings if lo <= at < min(hi, end))  # a ceiling counts every departure
        counted = [(z, k, n) for at, z, k, n in net if lo <= at < min(hi, end)]  # a floor or share, net
        total = sum(n for _, _, n in counted)
        fuel = sum(n for _, k, n in counted if k == "fuel")
        north = sum(n for at, z, _, n in offloads if lo <= at < hi and z == "north")
        assert total >= round(60 * part) - 1e-9, (lo, total)
        assert gross <= 80 * part + 1e-9, (lo, gross)
        assert fuel >= round(5 * part) - 1e-9, (lo, fuel)
        assert north >= 0.5 * total, (lo, north, total)
    assert ceasefire["quota_shortfalls"] == []


def test_no_truck_crosses_before_the_ceasefire_under_its_quota(ceasefire):
    """Before 08:30 on the 19th only the standing quota holds: 20 a day, 7 in the 8.5 hours before
    the ceasefire that day, and no fuel (it is admitted only by the ceasefire)."""
    crossings = _crossings(ceasefire)
    before = [(at, k, n) for at, _, k, n in crossings if at < START]
    day_before = sum(n for at, _, n in before if at.date() == dt.date(2025, 1, 18))
    morning = sum(n for at, _, n in before if at.date() == dt.date(2025, 1, 19))
    assert day_before <= 20 and morning <= 7
    assert not [b for b in before if b[1] == "fuel"]
    assert sum(n for at, _, _, n in crossings if at >= START) > 7  # the ceasefire's trucks come after it starts


def test_a_floor_beyond_the_crossings_is_reported_with_the_limit_not_infeasible():
    result = plan_proposal(load_scenario(CEASEFIRE), "beyond-capacity").to_dict()
    shortfalls = result["quota_shortfalls"]
    first = shortfalls[0]
    assert first["rule"] == "floor" and first["quota"] == "beyond-capacity.quotas[0]"
    assert first["required"] == 400 and first["planned"] <= 288  # 12 trucks/h for 24 h
    assert first["short"] == 400 - first["planned"]
    assert first["message"] == (
        "the floor of 400 trucks (beyond-capacity.quotas[0]) cannot be met from 2025-01-19T08:30+02:00 to "
        f"2025-01-20T08:30+02:00: crossing capacity in the hours it counts is 288 trucks; {first['planned']:g} planned"
    )
    assert first["period_start"] == "2025-01-19T08:30+02:00"
    assert check_plan(CEASEFIRE.read_text(), result) == []
    assert result["objective"] > 0  # the floor the crossing cannot carry is reported, not charged


def test_agreement_days_are_absolute_across_a_clock_change():
    """An agreement starting 12:00 on the day before clocks go forward: its second day starts
    24 hours later, at 13:00 local time."""
    text = (
        CEASEFIRE.read_text()
        .replace("timezone: Asia/Gaza", "timezone: Europe/Berlin")
        .replace("2025-01-", "2025-03-")
        .replace("2025-03-19T08:30", "2025-03-29T12:00")
        .replace("2025-03-21T20:30", "2025-03-31T12:00")
        .replace("2025-03-18T00:00", "2025-03-28T00:00")
    )
    scenario = parse_scenario(text)
    problem = compile_problem(scenario, "ceasefire")
    periods = agreement_periods_min(scenario.proposal("ceasefire"), problem.grid)
    assert [b - a for a, b in periods][:2] == [1440.0, 1440.0]
    assert problem.grid.to_local(periods[1][0]).strftime("%H:%M") == "13:00"
    assert check_plan(text, plan_proposal(scenario, "ceasefire").to_dict()) == []


def test_the_simulation_keeps_only_ceilings_as_limits():
    problem = compile_problem(load_scenario(CEASEFIRE), "ceasefire")
    world = world_of(problem)
    assert len(world.quota_cap) == len(problem.terms.quotas)
    assert all(not q.at_least for q in problem.terms.quotas)
    assert {q.label for q in problem.terms.quota_floors} == {"ceasefire.quotas[0]", "ceasefire.quotas[1]"}


def test_a_policy_quota_cannot_count_agreement_hours():
    data = yaml.safe_load(CEASEFIRE.read_text())
    data["policy"]["daily_quotas"][0]["during_agreement_hours"] = True
    with pytest.raises(
        ScenarioError, match=r"daily_quotas\[0\]: during_agreement_hours applies to a proposal's quotas"
    ):
        parse_scenario(yaml.safe_dump(data))


# -- the checker catches plans that break the agreement --------------------------------------------


def _drop_day_one(plan: dict) -> None:
    """Remove every convoy crossing on the ceasefire's first day (its floor is then not met)."""
    keep = []
    for convoy in plan["schedule"]["convoys"]:
        times = [dt.datetime.fromisoformat(leg["departs"]) for leg in convoy["legs"] if leg["from_place"] == "gate"]
        if not any(START <= t < START + dt.timedelta(days=1) for t in times):
            keep.append(convoy)
    plan["schedule"]["convoys"] = keep


def _north_to_south(plan: dict) -> None:
    """Send every north convoy of the first day to the south (the share is then not met)."""
    for convoy in plan["schedule"]["convoys"]:
        arrives = dt.datetime.fromisoformat(convoy["arrives"])
        if convoy["zone"] == "north" and START <= arrives < START + dt.timedelta(days=1):
            convoy["zone"], convoy["destination"] = "south", "dp-south"


def _fuel_to_food(plan: dict) -> None:
    for convoy in plan["schedule"]["convoys"]:
        if "fuel" in convoy["cargo_trucks"]:
            n = convoy["cargo_trucks"].pop("fuel")
            convoy["cargo"].pop("fuel")
            convoy["cargo_trucks"]["food"] = convoy["cargo_trucks"].get("food", 0) + n
            convoy["cargo"]["food"] = convoy["cargo"].get("food", 0.0) + 10.0 * n


def _early_start(plan: dict) -> None:
    """Move the first gate departure under the ceasefire to 07:00, before the ceasefire starts."""
    for convoy in plan["schedule"]["convoys"]:
        legs = [leg for leg in convoy["legs"] if leg["from_place"] == "gate"]
        if legs and dt.datetime.fromisoformat(legs[0]["departs"]) >= START + dt.timedelta(hours=1):
            legs[0]["departs"] = START.replace(hour=7, minute=0).isoformat()
            return


def _over_ceiling(plan: dict) -> None:
    convoy = next(
        c
        for c in plan["schedule"]["convoys"]
        if any(
            START <= dt.datetime.fromisoformat(leg["departs"]) < START + dt.timedelta(hours=20)
            and leg["from_place"] == "gate"
            for leg in c["legs"]
        )
    )
    commodity = next(iter(convoy["cargo_trucks"]))
    convoy["cargo_trucks"][commodity] += 40
    convoy["cargo"][commodity] += 40 * (10.0 if commodity == "food" else 20.0)
    convoy["trucks"] += 40


AGREEMENT_BREAKS = {
    "floor not met, no shortfall reported": (_drop_day_one, "agreement-hours floor 60/day"),
    "share not met": (_north_to_south, "agreement-hours share 0.5 to ['north']"),
    "fuel floor not met": (_fuel_to_food, "agreement-hours floor 5/day"),
    "counted before the ceasefire starts": (_early_start, "policy quota 20/day"),
    "agreement-hours ceiling": (_over_ceiling, "agreement-hours quota 80/day"),
}


@pytest.mark.parametrize("case", sorted(AGREEMENT_BREAKS))
def test_the_checker_finds_a_plan_that_breaks_the_agreement(ceasefire, case):
    text = CEASEFIRE.read_text()
    assert check_plan(text, ceasefire) == []
    broken = copy.deepcopy(ceasefire)
    change, message = AGREEMENT_BREAKS[case]
    change(broken)
    found = check_plan(text, broken)
    assert any(message in v for v in found), found


def test_a_reported_shortfall_must_match_the_plan():
    """A plan cannot excuse a floor with a shortfall whose figures are not its own."""
    result = plan_proposal(load_scenario(CEASEFIRE), "beyond-capacity").to_dict()
    broken = copy.deepcopy(result)
    broken["quota_shortfalls"][0]["planned"] += 50
    found = check_plan(CEASEFIRE.read_text(), broken)
    assert any("agreement-hours floor 400/day" in v for v in found), found


def test_a_floor_short_of_stock_is_reported_not_met_by_trucks_driving_round_the_crossing():
    """Fuel for five trucks in all cannot meet a floor of five fuel trucks on each of three agreement days:
    the plan must report the shortfall, and no truck passes the same crossing twice."""
    data = yaml.safe_load(CEASEFIRE.read_text())
    for stock in data["stocks"]:
        if stock["commodity"] == "fuel":
            stock["quantity"] = 100  # 5 truckloads of 20 m3
    result = plan_proposal(parse_scenario(yaml.safe_dump(data)), "ceasefire")
    assert [c.route for c in result.convoys if c.route.count("gate") > 1] == []
    assert any(s["quota"] == "ceasefire.quotas[1]" for s in result.quota_shortfalls)


def test_the_checker_counts_a_truck_driving_round_the_crossing_once():
    """A plan that meets the fuel floor of the ceasefire's second day only by driving loaded trucks back into
    the gate and out again is found: floors count net crossings."""
    data = yaml.safe_load(CEASEFIRE.read_text())
    for stock in data["stocks"]:
        if stock["commodity"] == "fuel":
            stock["quantity"] = 100
    text = yaml.safe_dump(data)
    plan = plan_proposal(parse_scenario(text), "ceasefire").to_dict()
    assert check_plan(text, plan) == []
    day_two = START + dt.timedelta(days=1)
    broken = copy.deepcopy(plan)
    broken["quota_shortfalls"] = [s for s in broken["quota_shortfalls"] if dt.datetime.fromisoformat(s["period_start"]) != day_two]
    convoy = next(c for c in broken["schedule"]["convoys"] if "fuel" in c["cargo_trucks"] and c["destination"] == "dp-south")
    convoy["cargo_trucks"]["fuel"] = 5
    back, out = (START + dt.timedelta(days=1, hours=1)), (START + dt.timedelta(days=1, hours=2))
    convoy["legs"] += [
        {"road": "r2", "from_place": "dp-south", "to_place": "gate", "departs": back.isoformat(), "arrives": out.isoformat()},
        {"road": "r2", "from_place": "gate", "to_place": "dp-south", "departs": out.isoformat(),
         "arrives": (out + dt.timedelta(hours=1)).isoformat()},
    ]
    assert len(broken["quota_shortfalls"]) == len(plan["quota_shortfalls"]) - 1
    found = check_plan(text, broken)
    assert any("agreement-hours floor 5/day" in v and "fewer than 5" in v for v in found), "\n".join(found)
