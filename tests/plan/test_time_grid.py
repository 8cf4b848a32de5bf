"""The time grid counts absolute minutes: across a daylight-saving change in either direction a slot
is as long as it says, window and opening times land where the local clock says, and the tiny plan in
Berlin on the night clocks go forward uses the pause-only road only while the pause is on."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from safepassage.plan import plan_proposal
from safepassage.plan.terms import resolve_terms
from safepassage.plan.time_grid import TimeGrid, build_time_grid, to_utc
from safepassage.scenario.model import Horizon, OpeningHours, Scenario

BERLIN = "Europe/Berlin"


def _utc_minutes(start: dt.datetime, local: dt.datetime, zone: str) -> float:
    """Independent of the grid: both ends to UTC with zoneinfo, then subtract."""
    tz = ZoneInfo(zone)
    utc = dt.timezone.utc
    return (local.replace(tzinfo=tz).astimezone(utc) - start.replace(tzinfo=tz).astimezone(utc)).total_seconds() / 60


@pytest.mark.parametrize(
    ("start", "later", "expected_min"),
    [
        # Spring forward: 2024-03-31 02:00 CET -> 03:00 CEST, the local day has 23 hours.
        (dt.datetime(2024, 3, 30, 12), dt.datetime(2024, 3, 31, 12), 23 * 60),
        (dt.datetime(2024, 3, 31, 0), dt.datetime(2024, 3, 31, 6), 5 * 60),
        # Fall back: 2024-10-27 03:00 CEST -> 02:00 CET, the local day has 25 hours.
        (dt.datetime(2024, 10, 26, 12), dt.datetime(2024, 10, 27, 12), 25 * 60),
        (dt.datetime(2024, 10, 27, 0), dt.datetime(2024, 10, 27, 6), 7 * 60),
    ],
)
def test_to_minutes_counts_real_minutes_across_dst(start, later, expected_min):
    grid = TimeGrid(start, BERLIN, np.array([0.0, 2880.0]))
    assert grid.to_minutes(later) == expected_min
    assert grid.to_minutes(later) == _utc_minutes(start, later, BERLIN)
    # Round trip: the local time back from the minutes is the wall-clock time we started from.
    assert grid.to_local(expected_min).replace(tzinfo=None) == later


def test_aware_moments_are_taken_as_they_are():
    grid = TimeGrid(dt.datetime(2024, 3, 30, 12), BERLIN, np.array([0.0, 2880.0]))
    moment = dt.datetime(2024, 3, 31, 10, tzinfo=dt.timezone.utc)  # = 12:00 CEST
    assert grid.to_minutes(moment) == 23 * 60
    assert to_utc(dt.datetime(2024, 3, 31, 12), BERLIN) == moment


@pytest.mark.parametrize(("start", "day_hours"), [(dt.datetime(2024, 3, 30), 23), (dt.datetime(2024, 10, 26), 25)])
def test_local_days_and_opening_hours_across_dst(start, day_hours):
    horizon = Horizon(start=start, days=3, slot_minutes=60)
    grid = build_time_grid(horizon, BERLIN)
    assert grid.horizon_min == 3 * 1440  # the horizon is absolute time
    days = grid.local_day_index()
    hours = grid.length_min / 60
    per_day = [hours[days == d].sum() for d in range(int(days.max()) + 1)]
    assert per_day[:2] == [24, day_hours]
    # A place open 08:00-16:00 local is open at 08:00 local on the day of the change, not an hour off.
    spans = grid.opening_spans([OpeningHours(open="08:00", close="16:00")])
    change_day = start + dt.timedelta(days=1)
    expected = (_utc_minutes(start, change_day.replace(hour=8), BERLIN), _utc_minutes(start, change_day.replace(hour=16), BERLIN))
    assert expected in spans
    assert expected[1] - expected[0] == 8 * 60


def test_window_mask_follows_the_local_clock_across_dst(tiny_data):
    data = _berlin_tiny(tiny_data)
    scenario = Scenario.model_validate(data)
    terms = resolve_terms(scenario, scenario.proposal("pause"))
    grid = terms.grid
    lo = _utc_minutes(dt.datetime(2024, 3, 30, 12), dt.datetime(2024, 3, 31, 6), BERLIN)
    hi = _utc_minutes(dt.datetime(2024, 3, 30, 12), dt.datetime(2024, 3, 31, 10), BERLIN)
    assert (lo, hi) == (17 * 60, 21 * 60)
    mid = grid.midpoint_min
    assert np.array_equal(terms.window_active, (mid >= lo) & (mid < hi))


def _berlin_tiny(tiny_data: dict) -> dict:
    data = dict(tiny_data)
    data["timezone"] = BERLIN
    data["horizon"] = {"start": "2024-03-30T12:00", "days": 1, "slot_minutes": 60}
    data["proposals"] = [
        {"id": "none", "name": "No pause"},
        {"id": "pause", "name": "Pause", "windows": [{"start": "2024-03-31T06:00", "end": "2024-03-31T10:00", "zones": ["north"]}]},
    ]
    return data


def test_berlin_plan_uses_the_pause_only_road_only_inside_the_window(tiny_data):
    """The issue's reproduction: the pause ends at 10:00 CEST; no truck may be on r3 after that, and
    nobody may enter it after that (people already on it walk on)."""
    scenario = Scenario.model_validate(_berlin_tiny(tiny_data))
    result = plan_proposal(scenario, "pause")
    tz = ZoneInfo(BERLIN)
    begin = dt.datetime(2024, 3, 31, 6, tzinfo=tz)
    end = dt.datetime(2024, 3, 31, 10, tzinfo=tz)
    trucks_on_r3 = [leg for c in result.convoys for leg in c.legs if leg.road == "r3"]
    people_on_r3 = [leg for e in result.evacuations for leg in e.legs if leg.road == "r3"]
    assert trucks_on_r3 and people_on_r3, "the plan should use the corridor during the pause"
    for leg in trucks_on_r3:
        departs, arrives = leg.departs, leg.arrives
        assert begin <= departs and arrives <= end, (leg.departs, leg.arrives)
    for leg in people_on_r3:
        assert begin <= leg.departs < end, leg.departs
    assert result.kpis.people_reached_safety > 0


def test_replan_keeps_the_absolute_horizon_end_across_dst(tiny_data):
    from safepassage.plan.replan import CurrentState, state_scenario

    data = _berlin_tiny(tiny_data)
    data["horizon"] = {"start": "2024-03-30T12:00", "days": 2, "slot_minutes": 60}
    scenario = Scenario.model_validate(data)
    # The horizon ends 48 real hours after 2024-03-30 12:00 CET: 2024-04-01 13:00 CEST.
    later = state_scenario(scenario, CurrentState(at=dt.datetime(2024, 3, 31, 12)))
    assert later.horizon.days * 24 == pytest.approx(25.0)
    last = build_time_grid(later.horizon, BERLIN).to_local(later.horizon.days * 1440)
    assert last.replace(tzinfo=None) == dt.datetime(2024, 4, 1, 13)
