"""A bus evacuation from besieged towns, planned as trips: boarding places, a screening point that
holds people for hours, and windows in two places at once."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest

from safepassage.behaviour import departures
from safepassage.errors import ScenarioError
from safepassage.plan.bus_trips import plan_bus_trips
from safepassage.plan.result import iso
from safepassage.scenario import load_scenario

BUSES = Path(__file__).resolve().parents[1] / "scenarios" / "buses.yaml"
START, END = dt.datetime(2017, 4, 14, 6), dt.datetime(2017, 4, 16, 6)


@pytest.fixture(scope="module")
def planned():
    """The plan compare, backtest and the planner use: the MIP's (plan/bus_schedule.py)."""
    from safepassage.plan.bus_schedule import bus_plan_for

    scenario = load_scenario(BUSES)
    proposal = scenario.proposal("two-towns")
    return scenario, proposal, bus_plan_for(scenario, proposal, START, END)


def test_windows_in_two_places_at_once_are_a_valid_proposal(planned):
    scenario, proposal, _ = planned
    (a_start, a_end), (b_start, b_end) = proposal.windows[0].occurrences()[0], proposal.windows[1].occurrences()[0]
    assert a_start < b_end and b_start < a_end  # they overlap in time, over different zones


def test_buses_run_as_full_trips_not_a_stream_of_walkers(planned):
    scenario, _, plan = planned
    seats = scenario.fleet.buses.seats
    assert all(1 <= t.people <= seats for t in plan.trips)
    # Part-full only when a window is about to close: at most one such trip per town and window (day),
    # and it is that town's last departure of the day.
    part_full: dict[tuple[str, str], int] = {}
    for trip in plan.trips:
        if trip.people < seats:
            key = (trip.zone, trip.departs.date())
            part_full[key] = part_full.get(key, 0) + 1
            assert trip.departs == max(t.departs for t in plan.trips if (t.zone, t.departs.date()) == key), trip
    assert all(n == 1 for n in part_full.values()), part_full
    assert sum(t.people == seats for t in plan.trips) >= len(plan.trips) - 4
    assert {t.zone for t in plan.trips} == {"town-a", "town-b"}


def test_every_round_trip_lies_inside_a_window_covering_its_roads(planned):
    _, proposal, plan = planned
    spans = [(s, e) for w in proposal.windows for s, e in w.occurrences()]
    for trip in plan.trips:
        departs = trip.departs.replace(tzinfo=None)
        returns = trip.returns.replace(tzinfo=None)
        assert any(s <= departs and returns <= e for s, e in spans), trip


def test_trips_in_both_towns_run_at_the_same_time(planned):
    _, _, plan = planned
    first_a = min(t.departs for t in plan.trips if t.zone == "town-a")
    first_b = min(t.departs for t in plan.trips if t.zone == "town-b")
    assert iso(first_a) == iso(first_b) == "2017-04-14T08:00+03:00"


def test_screening_holds_people_for_hours_within_its_holding_area(planned):
    scenario, _, plan = planned
    screening = scenario.place("screening-a").screening
    held = [t for t in plan.trips if t.zone == "town-a"]
    assert held and all(t.held_minutes >= screening.processing_minutes for t in held)
    assert all(t.held_minutes == 0 for t in plan.trips if t.zone == "town-b")
    # People held at once never exceed the holding area.
    events = []
    for t in held:
        start = t.arrives - dt.timedelta(minutes=t.held_minutes + 20)
        events += [(start, t.people), (start + dt.timedelta(minutes=t.held_minutes), -t.people)]
    level = peak = 0
    for _, change in sorted(events):
        level += change
        peak = max(peak, level)
    assert peak <= screening.holding_people


def test_detained_are_counted_apart_and_nobody_is_carried_twice(planned):
    scenario, proposal, plan = planned
    carried = sum(t.people for t in plan.trips)
    assert plan.people_reached_safety + plan.people_detained_or_turned_back == pytest.approx(carried)
    assert plan.people_detained_or_turned_back == pytest.approx(0.02 * sum(t.people for t in plan.trips if t.zone == "town-a"))
    # buses.yaml's point only detains (turned_back not given): the split says so.
    assert plan.people_detained == pytest.approx(plan.people_detained_or_turned_back) and plan.people_turned_back == 0.0
    released = {d.zone: d.setting_out for d in departures(scenario, proposal, START, END)}
    for zone in ("town-a", "town-b"):
        assert sum(t.people for t in plan.trips if t.zone == zone) <= released[zone] + 1


def test_no_bus_fleet_is_a_clear_error(tiny_path):
    scenario = load_scenario(tiny_path)
    with pytest.raises(ScenarioError, match="no bus fleet"):
        plan_bus_trips(scenario, scenario.proposal("pause"), dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 2))


def _walkable_buses(tmp_path: Path) -> Path:
    """buses.yaml with Town A's roads open to people on foot too."""
    import yaml

    data = yaml.safe_load(BUSES.read_text())
    for road in data["roads"]:
        if road["id"] in ("a-out", "a-on"):
            road["walking_speed_kmh"] = 4
    path = tmp_path / "buses.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_walkers_are_planned_from_who_the_buses_leave(tmp_path):
    """Buses take their passengers first; the planner moves on foot only people the buses left: bus
    passengers plus walkers never exceed the people the departure model sets out."""
    from safepassage.plan import plan_proposal

    scenario = load_scenario(_walkable_buses(tmp_path))
    proposal = scenario.proposal("two-towns")
    buses = plan_bus_trips(scenario, proposal, START, END)
    walked = sum(m.people for m in plan_proposal(scenario, "two-towns").evacuations if m.origin_zone == "town-a")
    by_bus = sum(t.people for t in buses.trips if t.zone == "town-a")
    setting_out = next(d for d in departures(scenario, proposal, START, END) if d.zone == "town-a").setting_out
    assert by_bus > 0
    assert by_bus + walked <= setting_out + 1
    assert walked > 0 or buses.waiting_at_end["town-a"] < 1  # whoever the buses leave may walk


def test_backtest_and_compare_count_people_carried_by_bus(tmp_path, runner):
    import json

    import yaml

    from safepassage.cli import app
    from safepassage.evaluate.backtest import run_backtest

    (tmp_path / "buses.yaml").write_text(BUSES.read_text())
    episode = {
        "id": "bus-test",
        "title": "Buses (test)",
        "scenario": "buses.yaml",
        "period": {"start": "2017-04-14T06:00", "days": 2, "slot_minutes": 60},
        "proposal": "two-towns",
        "outcomes": [
            {
                "name": "people-safe-per-day", "metric": "people_reached_safety_per_day", "unit": "people/day",
                "observed": 900, "band": 2.0, "sources": [{"url": "https://example.org/test", "date": "2017-04-15", "confidence": "low"}],
            }
        ],
    }
    path = tmp_path / "episode.yaml"
    path.write_text(yaml.safe_dump(episode))
    result = run_backtest(path)
    assert result.buses is not None and result.buses.trips
    on_foot = result.plan.kpis.people_reached_safety
    assert result.outcomes[0].predicted == pytest.approx((on_foot + result.buses.people_reached_safety) / 2, rel=1e-3)
    compared = runner.invoke(app, ["compare", str(tmp_path / "buses.yaml"), "--json"])
    assert compared.exit_code == 0, compared.output
    bus = json.loads(compared.output)["proposals"][0]["people_by_bus"]
    assert bus["trips"] == len(result.buses.trips)
    # The trips are the MIP's, with its bound and gap on the planner's scale (person-days of safety).
    assert bus["method"] == "mip" and bus["note"] == "", bus
    assert bus["objective"] == pytest.approx(result.buses.objective, abs=0.01)
    assert bus["bound"] >= bus["objective"] >= bus["greedy_objective"] > 0
    assert bus["gap"] == pytest.approx((result.buses.bound - result.buses.objective) / result.buses.objective)
    assert 0 <= bus["gap"] <= 1e-3
    assert bus["people_reached_safety"] == pytest.approx(result.buses.people_reached_safety, abs=0.1)
    assert bus["people_detained_or_turned_back"] > 0  # the screening point on Town A's road
    assert bus["people_detained"] == bus["people_detained_or_turned_back"] and bus["people_turned_back"] == 0.0
    shown = runner.invoke(app, ["compare", str(tmp_path / "buses.yaml")])
    assert f"about {result.buses.people_detained:,.0f} detained and 0 turned back at screening" in " ".join(shown.output.split())
    assert f"trips by MIP, gap {result.buses.gap:.2%}" in " ".join(shown.output.split())


# --- The MIP (plan/bus_schedule.py) against the greedy, checked by rules written here from the YAML ---
#
# The checks below read the scenario YAML and the trips' fields only: nothing from plan/bus_trips.py or
# plan/bus_schedule.py is used to check them. Released people come from the departure model
# (safepassage.behaviour), the planners' input.

HAZARD_WEIGHT = {"low": 1.0, "medium": 1.0, "high": 1.02, "extreme": 1.05}  # docs/behaviour.md, plan/lp_build.py


def _scenario_data() -> dict:
    import yaml

    return yaml.safe_load(BUSES.read_text())


def _hard(data: dict) -> dict:
    """More people than seats (8 buses, at most 2 round trips a day each, for 9,000 who want to leave),
    two boarding places, windows in two places at once (Town B's from 09:00 to 17:00), and a screening
    point that holds people for three hours in an area for 120, processing 100 people an hour."""
    data["fleet"]["buses"].update(vehicles=8, round_trips_per_day=2)
    screening = next(p for p in data["places"] if p["id"] == "screening-a")
    screening["screening"]["holding_people"] = 120
    screening["people_per_hour"] = 100
    zones = {z["id"]: z for z in data["zones"]}
    zones["town-a"]["evacuation"]["wants_to_leave"] = 6000
    zones["town-b"]["evacuation"]["wants_to_leave"] = 3000
    window_b = data["proposals"][0]["windows"][1]
    window_b.update(start="2017-04-14T09:00", end="2017-04-14T17:00")
    return data


def _first_come(data: dict) -> dict:
    """Where the greedy's first come, first served is poor: both towns' buses pass the one screening
    point (three hours, room for 100), Town A's buses are planned first, but Town B's people weigh
    twice as much (``evacuation_priority``: 2). The greedy lets Town A's buses take the holding area
    first; the best plan gives it to Town B."""
    data["roads"] = [r for r in data["roads"] if r["id"] != "b-out"] + [
        {"id": "b-out", "from": "square-b", "to": "screening-a", "length_km": 15, "truck_speed_kmh": 30},
        {"id": "b-on", "from": "screening-a", "to": "reception-b", "length_km": 5, "truck_speed_kmh": 30},
    ]
    for road in data["roads"][-2:]:
        road["requires_pause"] = True
    screening = next(p for p in data["places"] if p["id"] == "screening-a")
    screening["screening"]["holding_people"] = 100
    next(z for z in data["zones"] if z["id"] == "town-b")["evacuation_priority"] = 2.0
    return data


def _uneven(data: dict) -> dict:
    """Where the greedy's even split of the fleet is poor: 10 buses for 3,000 in Town A and 60 in Town
    B; the greedy stations 5 at each town."""
    data["fleet"]["buses"]["vehicles"] = 10
    next(z for z in data["zones"] if z["id"] == "town-b")["evacuation"]["wants_to_leave"] = 60
    return data


VARIANTS = {"buses": lambda d: d, "hard": _hard, "first-come": _first_come, "uneven": _uneven}


def _write(tmp_path: Path, name: str) -> tuple[Path, dict]:
    import yaml

    data = VARIANTS[name](_scenario_data())
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path, data


def _bus_rule_violations(data: dict, scenario, proposal, plan) -> list[str]:
    """Every rule a bus plan promises, checked from the scenario's YAML (``data``) and the trips."""
    from zoneinfo import ZoneInfo

    from safepassage.scenario.coverage import window_occurrences

    out: list[str] = []
    tz = ZoneInfo(data["timezone"])
    origin = START.replace(tzinfo=tz)
    horizon_min = (END.replace(tzinfo=tz) - origin).total_seconds() / 60.0
    buses = data["fleet"]["buses"]
    seats, vehicles, speed = buses["seats"], buses["vehicles"], buses["speed_kmh"]
    boarding = buses.get("boarding_minutes", 30.0)
    roads = {}
    for r in data["roads"]:
        roads[(r["from"], r["to"])] = r
        if not r.get("one_way", False):
            roads[(r["to"], r["from"])] = r
    places = {p["id"]: p for p in data["places"]}
    zones = {z["id"]: z for z in data["zones"]}
    occurrences = window_occurrences(scenario, proposal)

    def minute(t: dt.datetime) -> float:
        return (t - origin).total_seconds() / 60.0

    if "behaviour" in data:
        released = {d.zone: sorted(d.release_minutes) for d in departures(scenario, proposal, START, END)}
    else:  # without a behaviour block everyone who wants to leave may go from the start (docs/behaviour.md)
        released = {z["id"]: [(0.0, z["evacuation"]["wants_to_leave"])] for z in data["zones"] if "evacuation" in z}
    value = 0.0
    holds: dict[str, list[tuple[float, float, float]]] = {}
    for trip in plan.trips:
        legs = [roads[(a, b)] for a, b in zip(trip.route[:-1], trip.route[1:])]
        length = sum(r["length_km"] for r in legs)
        screen_at = next((k for k, p in enumerate(trip.route) if "screening" in places[p]), None)
        screening = places[trip.route[screen_at]]["screening"] if screen_at is not None else {}
        processing = screening.get("processing_minutes", 0.0)
        stopped = sum(screening.get(k, {}).get("value", 0.0) for k in ("detained", "turned_back"))
        if not 1 <= trip.people <= seats:
            out.append(f"{trip}: {trip.people} people in a bus of {seats} seats")
        if minute(trip.arrives) - minute(trip.departs) < boarding + length / speed * 60 + processing - 1e-6:
            out.append(f"{trip}: arrives sooner than boarding, the drive and screening allow")
        if minute(trip.returns) - minute(trip.arrives) < length / speed * 60 - 1e-6:
            out.append(f"{trip}: returns sooner than the drive back allows")
        if minute(trip.departs) < -1e-6 or minute(trip.returns) > horizon_min + 1e-6:
            out.append(f"{trip}: outside the horizon")
        pause = {r["id"] for r in legs if r.get("requires_pause")}
        if pause and not any(
            pause <= set(o.roads) and o.start <= trip.departs and trip.returns <= o.end for o in occurrences
        ):
            out.append(f"{trip}: round trip not inside one window occurrence covering {sorted(pause)}")
        if screen_at is not None:
            after = sum(r["length_km"] for r in legs[screen_at:]) / speed * 60
            end = minute(trip.arrives) - after
            holds.setdefault(trip.route[screen_at], []).append((end - processing, end, trip.people))
        zone = zones[trip.zone]
        weight = zone.get("evacuation_priority", HAZARD_WEIGHT[zone.get("hazard", "low")])
        early = 1.0 + 0.2 * (1.0 - minute(trip.arrives) / horizon_min)
        value += trip.people * (1.0 - stopped) * weight * 30.0 * early
    if abs(value - plan.objective) > 1e-6 * max(1.0, value):
        out.append(f"objective {plan.objective} is not the value of the trips, {value}")
    # Buses away at every moment (a count of intervals is largest at some departure), and per vehicle.
    spans = [(minute(t.departs), minute(t.returns)) for t in plan.trips]
    for start, _ in spans:
        away = sum(1 for s, e in spans if s <= start < e)
        if away > vehicles:
            out.append(f"{away} buses away at minute {start}: the fleet has {vehicles}")
    if len({t.vehicle for t in plan.trips}) > vehicles:
        out.append("more vehicle numbers than vehicles")
    for v in {t.vehicle for t in plan.trips}:
        own = sorted((minute(t.departs), minute(t.returns)) for t in plan.trips if t.vehicle == v)
        if any(b[0] < a[1] - 1e-6 for a, b in zip(own, own[1:])):
            out.append(f"vehicle {v} leaves again before it is back")
        if buses.get("round_trips_per_day") is not None:
            per_day: dict[int, int] = {}
            for s, _ in own:
                per_day[int(s // 1440)] = per_day.get(int(s // 1440), 0) + 1
            if max(per_day.values()) > math.ceil(buses["round_trips_per_day"]):
                out.append(f"vehicle {v} makes more round trips a day than {buses['round_trips_per_day']}")
    # Holding area and processing rate at each screening point.
    for point, held in holds.items():
        room = places[point]["screening"].get("holding_people")
        for s, _, _ in held:
            if room is not None and sum(n for a, b, n in held if a <= s < b) > room + 1e-6:
                out.append(f"more than {room} people held at {point} at minute {s}")
        rate = places[point].get("people_per_hour")
        if rate is not None:
            width = max(60.0, 60.0 * seats / rate)
            for s, _, _ in held:
                if sum(n for a, _, n in held if s <= a < s + width) > rate * width / 60 + 1e-6:
                    out.append(f"more than {rate}/h enter processing at {point} in the {width} min from {s}")
    # Nobody boards before they are released; nobody is carried twice.
    for zone_id in {t.zone for t in plan.trips}:
        own = sorted((minute(t.departs), t.people) for t in plan.trips if t.zone == zone_id)
        carried = 0.0
        for s, n in own:
            carried += n
            if carried > sum(p for m, p in released[zone_id] if m <= s + 1e-6) + 1e-6:
                out.append(f"{zone_id}: {carried} boarded by minute {s}, more than released")
    return out


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def both_plans(request, tmp_path_factory):
    """(variant, YAML data, scenario, proposal, greedy plan, MIP plan) for each test scenario."""
    from safepassage.plan.bus_schedule import schedule_bus_trips

    path, data = _write(tmp_path_factory.mktemp(request.param), request.param)
    scenario = load_scenario(path)
    proposal = scenario.proposal("two-towns")
    greedy = plan_bus_trips(scenario, proposal, START, END)
    best = schedule_bus_trips(scenario, proposal, START, END)
    return request.param, data, scenario, proposal, greedy, best


def test_both_planners_keep_every_bus_rule(both_plans):
    name, data, scenario, proposal, greedy, best = both_plans
    assert best.trips and greedy.trips
    assert _bus_rule_violations(data, scenario, proposal, greedy) == [], name
    assert _bus_rule_violations(data, scenario, proposal, best) == [], name


def test_the_mip_delivers_at_least_the_greedy_with_its_bound_and_gap(both_plans):
    name, _, _, _, greedy, best = both_plans
    assert best.method == "mip", best.note
    assert best.greedy_objective == pytest.approx(greedy.objective)
    assert best.objective >= greedy.objective - 1e-6
    assert best.bound is not None and best.bound >= best.objective - 1e-6
    assert best.gap == pytest.approx((best.bound - best.objective) / best.objective)
    assert 0 <= best.gap <= 1e-3, (name, best.gap)


@pytest.mark.parametrize("name", ["first-come", "uneven"])
def test_the_mip_beats_the_greedy_where_first_come_or_an_even_split_is_poor(tmp_path, name):
    from safepassage.plan.bus_schedule import schedule_bus_trips

    path, _ = _write(tmp_path, name)
    scenario = load_scenario(path)
    proposal = scenario.proposal("two-towns")
    greedy = plan_bus_trips(scenario, proposal, START, END)
    best = schedule_bus_trips(scenario, proposal, START, END)
    assert best.method == "mip"
    assert best.objective > greedy.objective * 1.01, (best.objective, greedy.objective)


def test_more_people_than_seats_leave_people_waiting_and_the_fleet_is_shared_by_need(tmp_path):
    """The hard case: the fleet cannot carry everyone; the MIP carries at least as many people."""
    from safepassage.plan.bus_schedule import schedule_bus_trips

    path, _ = _write(tmp_path, "hard")
    scenario = load_scenario(path)
    proposal = scenario.proposal("two-towns")
    greedy = plan_bus_trips(scenario, proposal, START, END)
    best = schedule_bus_trips(scenario, proposal, START, END)
    assert sum(best.waiting_at_end.values()) > 0
    assert sum(t.people for t in best.trips) >= sum(t.people for t in greedy.trips)


def test_without_time_to_solve_the_plan_is_still_feasible_and_says_how_it_was_made(tmp_path):
    """A zero time limit: HiGHS stops at once; the plan returned is the greedy's (kept, with a note) or
    the MIP's incumbent (the greedy's start), never worse than the greedy, and its bound holds."""
    from safepassage.plan.bus_schedule import schedule_bus_trips

    path, data = _write(tmp_path, "hard")
    scenario = load_scenario(path)
    proposal = scenario.proposal("two-towns")
    greedy = plan_bus_trips(scenario, proposal, START, END)
    rushed = schedule_bus_trips(scenario, proposal, START, END, time_limit_s=0.0)
    assert rushed.method in ("mip", "greedy")
    assert rushed.method == "mip" or rushed.note
    assert rushed.objective >= greedy.objective - 1e-6
    assert rushed.bound is None or rushed.bound >= rushed.objective - 1e-6
    assert _bus_rule_violations(data, scenario, proposal, rushed) == []


def test_buses_of_both_planners_leave_full_or_last(both_plans):
    """No shuttle of a few people at a time: a part-full bus is its town's last departure of the day,
    at most one per town and day, in the greedy's plan and the MIP's."""
    _, data, _, _, greedy, best = both_plans
    seats = data["fleet"]["buses"]["seats"]
    for plan in (greedy, best):
        part_full: dict[tuple[str, dt.date], int] = {}
        for trip in plan.trips:
            if trip.people < seats:
                key = (trip.zone, trip.departs.date())
                part_full[key] = part_full.get(key, 0) + 1
                assert trip.departs == max(t.departs for t in plan.trips if (t.zone, t.departs.date()) == key), trip
        assert all(n == 1 for n in part_full.values()), (plan.method, part_full)


def test_the_figures_in_the_docs_are_the_plans(both_plans):
    """docs/behaviour.md's table of greedy against MIP gives the figures these plans have."""
    import re

    name, _, _, _, greedy, best = both_plans
    docs = (Path(__file__).resolve().parents[2] / "docs" / "behaviour.md").read_text()
    label = "buses.yaml" if name == "buses" else name
    row = next(line for line in docs.splitlines() if line.startswith(f"  | {label} "))
    cells = [c.strip() for c in row.strip().strip("|").split("|")]

    def figures(cell: str) -> list[float]:
        return [float(x.replace(",", "")) for x in re.findall(r"[\d,]+(?:\.\d+)?", cell)]

    for cell, plan in ((cells[1], greedy), (cells[2], best)):
        value, people, trips = figures(cell)
        assert value == round(plan.objective), (name, plan.method)
        assert people == sum(t.people for t in plan.trips) and trips == len(plan.trips)
    assert figures(cells[3])[0] >= round(best.objective)  # the bound column: at least the value


def test_the_mip_runs_after_the_planners_lp_in_the_same_process(tiny_path):
    """HiGHS's thread scheduler is global to a process: a bus MIP asking for another thread count
    than the planner's LP ran with would end 'Not Set' and silently fall back to the greedy."""
    from safepassage.plan import plan_proposal
    from safepassage.plan.bus_schedule import schedule_bus_trips
    from safepassage.plan.solve import solved_in_this_process

    tiny = load_scenario(tiny_path)
    plan_proposal(tiny, "pause")
    scenario = load_scenario(BUSES)
    best = schedule_bus_trips(scenario, scenario.proposal("two-towns"), START, END)
    assert best.method == "mip" and best.note == "", best.note
    assert solved_in_this_process()


def test_a_mip_plan_worse_than_the_greedy_or_none_at_all_keeps_the_greedy_and_says_so(monkeypatch):
    import safepassage.plan.bus_schedule as bus_schedule
    from safepassage.plan.bus_trips import BusPlan

    scenario = load_scenario(BUSES)
    proposal = scenario.proposal("two-towns")
    greedy = plan_bus_trips(scenario, proposal, START, END)
    monkeypatch.setattr(bus_schedule, "_solve", lambda setting, start, limit: (BusPlan(method="mip"), 1e6))
    kept = bus_schedule.schedule_bus_trips(scenario, proposal, START, END)
    assert kept.method == "greedy" and "worse than the greedy's" in kept.note
    assert kept.objective == pytest.approx(greedy.objective) and len(kept.trips) == len(greedy.trips)
    assert kept.bound == 1e6 and kept.gap == pytest.approx((1e6 - greedy.objective) / greedy.objective)
    monkeypatch.setattr(bus_schedule, "_solve", lambda setting, start, limit: "the MIP ended Not Set: kept the greedy")
    failed = bus_schedule.schedule_bus_trips(scenario, proposal, START, END)
    assert failed.method == "greedy" and failed.note.startswith("the MIP ended") and failed.bound is None


def test_windows_too_short_for_a_round_trip_plan_no_trip_and_say_why(tmp_path):
    """Odd input: windows of 30 and 60 minutes, shorter than any round trip (90 minutes for Town B,
    4 h 50 for Town A): no bus leaves, nobody is counted, and the plan says why."""
    import yaml

    from safepassage.plan.bus_schedule import schedule_bus_trips

    data = _scenario_data()
    data["proposals"][0]["windows"][0].update(start="2017-04-14T08:00", end="2017-04-14T08:30")
    data["proposals"][0]["windows"][1].update(start="2017-04-14T08:00", end="2017-04-14T09:00")
    path = tmp_path / "short.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    scenario = load_scenario(path)
    plan = schedule_bus_trips(scenario, scenario.proposal("two-towns"), START, END)
    assert plan.trips == [] and plan.people_reached_safety == 0 and plan.objective == 0
    assert plan.method == "greedy" and "no bus round trip fits" in plan.note
    assert plan.waiting_at_end["town-a"] > 0 and plan.waiting_at_end["town-b"] > 0


def _random_variant(seed: int) -> dict:
    """buses.yaml with fleet, screening, demand and windows drawn at random (one screening point for
    both towns half the time; no behaviour block, so everyone may go at once, 30% of the time)."""
    import random

    rng = random.Random(seed)
    data = _scenario_data()
    if rng.random() < 0.5:
        data = _first_come(data)
    buses = data["fleet"]["buses"]
    buses.update(vehicles=rng.choice([1, 3, 8, 20]), seats=rng.choice([12, 30, 50]))
    buses["boarding_minutes"] = rng.choice([0, 15, 45])
    if rng.random() < 0.5:
        buses["round_trips_per_day"] = rng.choice([1, 1.5, 2, 3])
    point = next(p for p in data["places"] if p["id"] == "screening-a")
    point["screening"]["processing_minutes"] = rng.choice([0, 30, 180, 300])
    point["screening"]["holding_people"] = rng.choice([10, 40, 100, 1500])
    if rng.random() < 0.5:
        point["people_per_hour"] = rng.choice([20, 60, 200])
    if rng.random() < 0.3:
        data.pop("behaviour")
    for zone in data["zones"][:2]:
        zone["evacuation"]["wants_to_leave"] = rng.choice([50, 500, 5000])
    window = data["proposals"][0]["windows"][1]
    window["start"] = rng.choice(["2017-04-14T07:00", "2017-04-14T09:00"])
    window["end"] = rng.choice(["2017-04-14T15:00", "2017-04-14T20:00"])
    return data


@pytest.mark.parametrize("seed", range(12))
def test_on_random_fleets_and_screening_both_planners_keep_the_rules_and_the_mip_is_no_worse(tmp_path, seed):
    import yaml

    from safepassage.plan.bus_schedule import schedule_bus_trips

    data = _random_variant(seed)
    path = tmp_path / "random.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    scenario = load_scenario(path)
    proposal = scenario.proposal("two-towns")
    greedy = plan_bus_trips(scenario, proposal, START, END)
    best = schedule_bus_trips(scenario, proposal, START, END)
    assert _bus_rule_violations(data, scenario, proposal, greedy) == []
    assert _bus_rule_violations(data, scenario, proposal, best) == []
    assert best.method == "mip", best.note
    assert best.objective >= greedy.objective - 1e-6
    assert best.bound is not None and best.bound >= best.objective - 1e-6
