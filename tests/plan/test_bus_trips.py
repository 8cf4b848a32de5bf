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
    full = sum(t.people == seats for t in plan.trips)
    assert full >= 0.9 * len(plan.trips)  # part-full only when a window is about to close
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
    released = {d.zone: d.setting_out for d in departures(scenario, proposal, START, END)}
    for zone in ("town-a", "town-b"):
        assert sum(t.people for t in plan.trips if t.zone == zone) <= released[zone] + 1


def test_no_bus_fleet_is_a_clear_error(tiny_path):
    scenario = load_scenario(tiny_path)
    with pytest.raises(ScenarioError, match="no bus fleet"):
        plan_bus_trips(scenario, scenario.proposal("pause"), dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 2))
