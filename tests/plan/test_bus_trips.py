"""A bus evacuation from besieged towns, planned as trips: boarding places, a screening point that
holds people for hours, and windows in two places at once."""

from __future__ import annotations

import datetime as dt
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
    scenario = load_scenario(BUSES)
    proposal = scenario.proposal("two-towns")
    return scenario, proposal, plan_bus_trips(scenario, proposal, START, END)


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
    assert bus["people_reached_safety"] == pytest.approx(result.buses.people_reached_safety, abs=0.1)
    assert bus["people_detained_or_turned_back"] > 0  # the screening point on Town A's road
    assert bus["people_detained"] == bus["people_detained_or_turned_back"] and bus["people_turned_back"] == 0.0
    shown = runner.invoke(app, ["compare", str(tmp_path / "buses.yaml")])
    assert f"about {result.buses.people_detained:,.0f} detained and 0 turned back at screening" in " ".join(shown.output.split())
