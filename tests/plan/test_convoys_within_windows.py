"""Convoys that must finish inside the window: a 12-16 h round trip into an enclave delivers less under
a 5-hour window than a 12-hour one, and every offload and empty return lies inside a window."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from safepassage.plan import plan_proposal
from safepassage.plan.window_rules import exit_minutes
from safepassage.scenario import load_scenario

ENCLAVE = Path(__file__).resolve().parents[1] / "scenarios" / "enclave.yaml"


@pytest.fixture(scope="module")
def enclave():
    return load_scenario(ENCLAVE)


def test_round_trip_needs_twelve_hours_or_more(enclave):
    road = next(r for r in enclave.roads if r.id == "enclave-road")
    dp = enclave.place("dp-enclave")
    one_way_h = road.truck_minutes / 60
    assert one_way_h == pytest.approx(5.0)
    assert 2 * one_way_h + 10 * dp.offload_minutes_per_truck / 60 >= 11.0  # a 10-truck convoy: 11 h, more with queueing


def test_a_five_hour_window_delivers_less_than_a_twelve_hour_one(enclave):
    short = plan_proposal(enclave, "window-5h").kpis.total_trucks_arrived
    long = plan_proposal(enclave, "window-12h").kpis.total_trucks_arrived
    assert long > 0
    assert short < long


@pytest.mark.parametrize("proposal", ["window-5h", "window-12h"])
def test_every_offload_and_empty_return_lies_inside_a_window(enclave, proposal):
    plan = plan_proposal(enclave, proposal)
    windows = [(s, e) for w in enclave.proposal(proposal).windows for s, e in w.occurrences()]
    dp = enclave.place("dp-enclave")
    exit_min = exit_minutes(enclave)[[p.id for p in enclave.places].index("dp-enclave")]
    slot_min = enclave.horizon.slot_minutes
    for convoy in plan.convoys:
        entered = convoy.legs[-1].departs.replace(tzinfo=None)
        offloaded_by = convoy.arrives.replace(tzinfo=None) + dt.timedelta(minutes=slot_min + dp.offload_minutes_per_truck)
        back_out = offloaded_by + dt.timedelta(minutes=float(exit_min))
        assert any(s <= entered and back_out <= e for s, e in windows), convoy


def test_offloading_is_limited_by_minutes_per_truck(enclave):
    plan = plan_proposal(enclave, "window-12h")
    per_hour = 60 / enclave.place("dp-enclave").offload_minutes_per_truck
    by_hour: dict[str, int] = {}
    for convoy in plan.convoys:
        by_hour[convoy.arrives] = by_hour.get(convoy.arrives, 0) + convoy.trucks
    assert by_hour and all(n <= per_hour for n in by_hour.values())
