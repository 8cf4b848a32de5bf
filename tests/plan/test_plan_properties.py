"""Property-based checks on random small scenarios: whatever the data, every plan the planner returns
conserves flow, respects every capacity in every slot, uses pause-only roads only inside windows,
never moves a restricted commodity, keeps quotas, and its integer value never beats the LP bound.

The checks read the plan as a user would (convoys, legs, times), not the LP's internals."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safepassage.plan import plan_proposal
from safepassage.plan.window_rules import exit_minutes
from safepassage.scenario import parse_scenario

START = dt.datetime(2024, 3, 1, 0, 0)


def _square(lon: float, lat: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[lon, lat], [lon + 0.1, lat], [lon + 0.1, lat + 0.1], [lon, lat + 0.1], [lon, lat]]]}


@st.composite
def scenarios(draw) -> dict:
    slot = draw(st.sampled_from([30, 60]))
    n_north = draw(st.integers(1, 3))
    crossing_rate = draw(st.floats(0.5, 6.0))
    opening = draw(st.one_of(st.none(), st.tuples(st.integers(0, 10), st.integers(4, 12))))
    places = [
        {"id": "depot", "name": "Depot", "kind": "warehouse", "geometry": {"type": "Point", "coordinates": [34.0, 31.0]}},
        {"id": "gate", "name": "Gate", "kind": "crossing", "trucks_per_hour": round(crossing_rate, 2), "geometry": {"type": "Point", "coordinates": [34.05, 31.0]}},
        {"id": "dp-s", "name": "South DP", "kind": "distribution_point", "zone": "south", "trucks_per_hour": draw(st.sampled_from([None, 3.0, 10.0])), "geometry": {"type": "Point", "coordinates": [34.1, 31.0]}},
        {"id": "shelter", "name": "Shelter", "kind": "shelter", "zone": "south", "geometry": {"type": "Point", "coordinates": [34.12, 31.02]}},
        {"id": "check", "name": "Checkpoint", "kind": "checkpoint", "people_per_hour": draw(st.sampled_from([50.0, 200.0])), "geometry": {"type": "Point", "coordinates": [34.1, 31.2]}},
    ]
    if opening:
        places[1]["opening_hours"] = [{"open": f"{opening[0]:02d}:00", "close": f"{min(opening[0] + opening[1], 24):02d}:00"}]
    places[-1] = {k: v for k, v in places[-1].items()}
    roads = [
        {"id": "r-depot", "from": "depot", "to": "gate", "length_km": draw(st.floats(5, 40)), "truck_speed_kmh": 20},
        {"id": "r-gate", "from": "gate", "to": "dp-s", "length_km": draw(st.floats(2, 20)), "truck_speed_kmh": 20, "trucks_per_hour": draw(st.sampled_from([None, 2.0, 4.5]))},
        {"id": "r-check", "from": "dp-s", "to": "check", "length_km": draw(st.floats(3, 15)), "truck_speed_kmh": 15, "walking_speed_kmh": 3, "people_per_hour": 150},
        {"id": "r-shelter", "from": "dp-s", "to": "shelter", "length_km": 1.5, "walking_speed_kmh": 3},
    ]
    zones = [{"id": "south", "name": "South", "population": 5000, "geometry": _square(34.0, 30.95), "needs_per_person_per_day": {"food": 0.002, "fuel": 0.001}}]
    for i in range(n_north):
        dp = f"dp-n{i}"
        places.append({"id": dp, "name": f"North DP {i}", "kind": "distribution_point", "zone": f"north{i}", "geometry": {"type": "Point", "coordinates": [34.1 + 0.1 * i, 31.3]},
                       "offload_minutes_per_truck": draw(st.sampled_from([None, 10.0, 30.0]))})
        roads.append({"id": f"r-n{i}", "from": "check", "to": dp, "length_km": draw(st.floats(2, 12)), "truck_speed_kmh": 10, "walking_speed_kmh": 3, "people_per_hour": draw(st.sampled_from([100.0, 400.0])), "requires_pause": True})
        zones.append({
            "id": f"north{i}", "name": f"North {i}", "population": draw(st.integers(500, 5000)), "geometry": _square(34.1 + 0.1 * i, 31.25),
            "needs_per_person_per_day": {"food": 0.002, "water": 0.003},
            "evacuation": {"wants_to_leave": draw(st.integers(0, 2000)), "assembly_place": dp, "destinations": ["south"]},
            "convoys_within_windows": draw(st.booleans()),
        })
    windows = []
    hour = 0
    for _ in range(draw(st.integers(0, 2))):
        hour += draw(st.integers(1, 8))
        length = draw(st.integers(1, 6))
        if hour + length > 24:
            break
        windows.append({"start": (START + dt.timedelta(hours=hour)).isoformat(), "end": (START + dt.timedelta(hours=hour + length)).isoformat(),
                        "zones": [f"north{draw(st.integers(0, n_north - 1))}"]})
        hour += length
    everywhere = draw(st.booleans()) and not windows
    if everywhere:
        windows = [{"start": START.isoformat(), "end": (START + dt.timedelta(hours=24)).isoformat(), "everywhere": True}]
    quota = draw(st.one_of(st.none(), st.integers(1, 40)))
    return {
        "name": "random", "title": "Random", "timezone": draw(st.sampled_from(["UTC", "Asia/Gaza"])),
        "horizon": {"start": START.isoformat(), "days": 1, "slot_minutes": slot},
        "places": places, "roads": roads, "zones": zones,
        "commodities": [
            {"id": "food", "name": "Food", "unit": "t", "truck_payload": draw(st.sampled_from([1.0, 2.5])), "priority": 1.0},
            {"id": "water", "name": "Water", "unit": "m3", "truck_payload": 2.0, "priority": draw(st.sampled_from([0.5, 1.5]))},
            {"id": "fuel", "name": "Fuel", "unit": "m3", "truck_payload": 1.0},
        ],
        "stocks": [{"place": "depot", "commodity": c, "quantity": draw(st.floats(1, 80))} for c in ("food", "water", "fuel")],
        "fleet": draw(st.one_of(st.none(), st.builds(lambda n: {"trucks": n}, st.integers(2, 30)))),
        "policy": {"restricted_commodities": ["fuel"], "daily_quotas": [] if quota is None else [{"trucks_per_day": quota}]},
        "proposals": [{"id": "p", "name": "Proposal", "windows": windows, "admits": ["fuel"] if draw(st.booleans()) else []}],
    }


def _minutes(moment: dt.datetime, tz_start: dt.datetime) -> float:
    return (moment - tz_start).total_seconds() / 60.0


@settings(max_examples=int(__import__("os").environ.get("SAFEPASSAGE_PROPERTY_EXAMPLES", "60")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_every_plan_respects_the_rules(data):
    scenario = parse_scenario(__import__("yaml").safe_dump(data))
    result = plan_proposal(scenario, "p")
    from zoneinfo import ZoneInfo

    start = START.replace(tzinfo=ZoneInfo(scenario.timezone))
    slot = scenario.horizon.slot_minutes
    places = {p.id: p for p in scenario.places}
    roads = {r.id: r for r in scenario.roads}
    proposal = scenario.proposals[0]

    # The integer plan is feasible for the LP, so it can never beat the LP bound.
    assert result.objective <= result.bound + 1e-6 * max(1.0, abs(result.bound))

    # Flow conservation: legs chain up, convoys start where stock is, end at a distribution point of
    # their zone, and no more leaves an origin than it holds.
    shipped = defaultdict(float)
    for convoy in result.convoys:
        assert convoy.legs[0].from_place == convoy.origin == "depot"
        for a, b in zip(convoy.legs, convoy.legs[1:]):
            assert a.to_place == b.from_place and _minutes(b.departs, start) >= _minutes(a.arrives, start)
        assert convoy.legs[-1].to_place == convoy.destination
        assert places[convoy.destination].kind.value == "distribution_point"
        assert places[convoy.destination].zone == convoy.zone
        assert _minutes(convoy.arrives, start) <= 24 * 60
        assert sum(convoy.cargo_trucks.values()) == convoy.trucks
        for commodity, amount in convoy.cargo.items():
            shipped[commodity] += amount
    for stock in scenario.stocks:
        assert shipped[stock.commodity] <= stock.quantity + 1e-6

    # Capacities in every slot: places (departures and offloads), roads; people at the checkpoint.
    place_slot, road_slot, people_place, people_road = defaultdict(int), defaultdict(int), defaultdict(int), defaultdict(int)
    for convoy in result.convoys:
        for leg in convoy.legs:
            t = int(_minutes(leg.departs, start) // slot)
            place_slot[leg.from_place, t] += convoy.trucks
            road_slot[leg.road, leg.from_place, t] += convoy.trucks
        if places[convoy.destination].trucks_per_hour:
            place_slot[convoy.destination, int(_minutes(convoy.arrives, start) // slot)] += convoy.trucks
    for (place, t), trucks in place_slot.items():
        rate = places[place].trucks_per_hour
        if rate:
            assert trucks <= math.ceil(rate * slot / 60 - 1e-9), (place, t, trucks)
    for place in places.values():
        if place.trucks_per_hour:
            running = 0
            for t in range(24 * 60 // slot):
                running += place_slot.get((place.id, t), 0)
                assert running <= place.trucks_per_hour * (t + 1) * slot / 60 + 1e-6
    for (road, _, _t), trucks in road_slot.items():
        rate = roads[road].trucks_per_hour
        if rate:
            assert trucks <= math.ceil(rate * slot / 60 - 1e-9)
    for movement in result.evacuations:
        for leg in movement.legs:
            t = int(_minutes(leg.departs, start) // slot)
            people_place[leg.from_place, t] += movement.people
            people_road[leg.road, leg.from_place, t] += movement.people
    for (place, _t), people in people_place.items():
        rate = places[place].people_per_hour
        if rate:
            assert people <= math.ceil(rate * slot / 60 - 1e-9)
    for (road, _, _t), people in people_road.items():
        rate = roads[road].people_per_hour
        if rate:
            assert people <= math.ceil(rate * slot / 60 - 1e-9)
    assert result.kpis.people_reached_safety <= sum(z.evacuation.wants_to_leave for z in scenario.zones if z.evacuation)

    # Opening hours: nothing leaves a closed crossing.
    gate = places["gate"]
    if gate.opening_hours:
        open_from, open_to = (int(gate.opening_hours[0].open[:2]) * 60, int(gate.opening_hours[0].close[:2]) * 60)
        for convoy in result.convoys:
            for leg in convoy.legs:
                if leg.from_place == "gate":
                    local = leg.departs
                    assert open_from <= local.hour * 60 + local.minute < open_to

    # Pause-only roads only inside a window covering them, for trucks and for people.
    def covered(road_id: str, begin: float, end: float) -> bool:
        road = roads[road_id]
        zones = {places[road.from_].zone, places[road.to].zone}
        for window in proposal.windows:
            if window.everywhere or road_id in window.roads or zones & set(window.zones):
                for a, b in window.occurrences():
                    if _minutes(a, START) <= begin and end <= _minutes(b, START):
                        return True
        return False

    naive = lambda moment: (moment.replace(tzinfo=None) - START).total_seconds() / 60.0  # noqa: E731
    for legs in [c.legs for c in result.convoys]:
        for leg in legs:
            if roads[leg.road].requires_pause:
                assert covered(leg.road, naive(leg.departs), naive(leg.arrives)), leg
    # People enter a pause-only road inside a window; once on it they walk on to its end.
    for legs in [m.legs for m in result.evacuations]:
        for leg in legs:
            if roads[leg.road].requires_pause:
                begin = naive(leg.departs)
                assert covered(leg.road, begin, begin + 1e-6), leg

    # Convoys within windows: where a zone requires it, offloading and the empty return fit the window.
    exits = exit_minutes(scenario)
    place_index = {p.id: i for i, p in enumerate(scenario.places)}
    for convoy in result.convoys:
        zone = next((z for z in scenario.zones if z.id == convoy.zone), None)
        if zone is None or not zone.convoys_within_windows:
            continue
        dp = places[convoy.destination]
        offloaded_by = naive(convoy.arrives) + scenario.horizon.slot_minutes + (dp.offload_minutes_per_truck or 0.0)
        entered = naive(convoy.legs[-1].departs)
        assert any(
            _minutes(a, START) <= entered and offloaded_by + exits[place_index[dp.id]] <= _minutes(b, START)
            for w in proposal.windows for a, b in w.occurrences()
        ), convoy

    # Restricted commodity: only if the proposal admits it, and only while a window is active that day.
    fuel = [c for c in result.convoys if c.cargo.get("fuel")]
    if "fuel" not in proposal.admits or not proposal.windows:
        assert not fuel
    # Quotas per local day at the crossing.
    for quota in scenario.policy.daily_quotas:
        per_day = defaultdict(int)
        for convoy in result.convoys:
            for leg in convoy.legs:
                if leg.from_place == "gate":
                    per_day[leg.departs.date()] += convoy.trucks
        assert all(n <= quota.trucks_per_day for n in per_day.values())
