"""The warm window price (``plan/window_pricing.py``) on odd situations the Gaza and synthetic cases of
``test_window_pricing.py`` do not reach: windows across daylight-saving changes (one lasting no time
at all in absolute time), a window ending at the horizon's end (the hour added lies past it), windows
an hour apart (they touch once lengthened), an off-grid window that moves the grid, several stock lots,
convoys within windows, destination capacities, a fleet, and a window crossing midnight; and a plan
whose preferred reception area fills, so that people are redirected (the longer LP must be too).

In each, the warm price equals the re-build's (the LP with every window an hour longer, built and
solved afresh) to 1e-6 relative, and ``plan_proposal(..., window_value=True)`` reports that price."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from safepassage.plan import plan_proposal
from safepassage.plan.aggregate import solve_planning_lp
from safepassage.plan.lp_build import build_planning_model
from safepassage.plan.planner import _with_window_value
from safepassage.plan.window_pricing import solve_warm_from
from safepassage.scenario import load_scenario
from safepassage.scenario.model import Proposal, Scenario
from safepassage.testing.synthetic import synthetic_scenario_data
from tests.plan.test_destinations import _preferred_place_holds
from tests.plan.test_lp_cross_check import _two_reception_areas
from tests.plan.test_stock_lots import _three_lots

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def _longer(proposal: Proposal) -> Proposal:
    """As ``planner._with_window_value`` prices: every window one hour longer."""
    return proposal.model_copy(
        update={"windows": [w.model_copy(update={"end": w.end + dt.timedelta(hours=1)}) for w in proposal.windows]}
    )


def _real_hours_added(scenario: Scenario, proposal: Proposal) -> float:
    """The real hours one more wall-clock hour adds to each window occurrence's end, on average."""
    zone = ZoneInfo(scenario.timezone)
    ends = [end for w in proposal.windows for _, end in w.occurrences()]
    real = [((end + dt.timedelta(hours=1)).replace(tzinfo=zone) - end.replace(tzinfo=zone).astimezone(dt.UTC)) for end in ends]
    return sum(r.total_seconds() for r in real) / 3600.0 / len(real)


def _tiny(windows: list[dict], timezone: str = "UTC", start: str = "2024-01-01T00:00", days: int = 1) -> Scenario:
    """tiny.yaml with 1,000 people wanting to leave the north (so an hour more of walking is worth
    something) and the 'pause' proposal's windows replaced."""
    data = yaml.safe_load((SCENARIOS / "tiny.yaml").read_text())
    data = copy.deepcopy(data)
    data["zones"][1]["evacuation"]["wants_to_leave"] = 1000
    data["timezone"] = timezone
    data["horizon"] = {"start": start, "days": days, "slot_minutes": 60}
    data["proposals"][1]["windows"] = windows
    return Scenario.model_validate(data)


def _north(start: str, end: str, **more: object) -> dict:
    return {"start": start, "end": end, "zones": ["north"], **more}


def _tiny_2_days(timezone: str, day: str, start: str, end: str) -> Scenario:
    """tiny.yaml over two days from ``day`` in ``timezone``, with one window from ``start`` to ``end``."""
    return _tiny([_north(start, end)], timezone, f"{day}T00:00", 2)


def _synthetic(n_places: int, seed: int, timezone: str, start: dt.datetime, **options: object) -> Scenario:
    data = synthetic_scenario_data(
        n_places, days=2, seed=seed, slot_minutes=15, timezone=timezone, start=start, coarse_slot_minutes=60,
        proposals=("daily-windows",), **options,
    )
    return Scenario.model_validate(data)


def _lots_across_dst() -> Scenario:
    data = synthetic_scenario_data(
        12, days=3, seed=12, slot_minutes=60, timezone="Europe/Berlin", start=dt.datetime(2024, 3, 30),
        window_start_hour=2.5, window_hours=2.0,
    )
    return Scenario.model_validate(_three_lots(data))


def _nearest_capped() -> Scenario:
    data = _two_reception_areas("preference").model_dump(mode="json", by_alias=True, exclude_none=True)
    data["zones"][0]["evacuation"]["destination_split"] = "nearest"
    for place in data["places"]:
        if place["id"] == "reception-2":
            place["capacity_people"] = 1500
    return Scenario.model_validate(data)


# (scenario, proposal, whether the hour more is worth something). Prices measured: 2,099.7 (Berlin
# spring), 199.4 (Berlin autumn), 1,099.7, 199.4, 0, 109,954 … — the point is the agreement.
CASES: dict[str, tuple[Callable[[], Scenario], str, bool]] = {
    # 02:00 does not exist on 31 March in Berlin: the window 02:00–03:00 lasts no time; its longer
    # self lasts an hour (its warm start has nothing to go on: the part goes cold).
    "berlin-spring-zero-length": (
        lambda: _tiny_2_days("Europe/Berlin", "2024-03-30", "2024-03-31T02:00", "2024-03-31T03:00"), "pause", True),
    # 02:30 occurs twice on 27 October in Berlin; the longer window ends after the change (new grid).
    "berlin-autumn-across-the-change": (
        lambda: _tiny_2_days("Europe/Berlin", "2024-10-26", "2024-10-27T01:30", "2024-10-27T02:30"), "pause", True),
    "new-york-autumn": (
        lambda: _tiny_2_days("America/New_York", "2024-11-02", "2024-11-03T00:30", "2024-11-03T01:30"), "pause", True),
    "off-grid-45-minutes": (lambda: _tiny([_north("2024-01-01T06:30", "2024-01-01T07:15")]), "pause", True),
    "ends-at-the-horizon-end": (lambda: _tiny([_north("2024-01-01T20:00", "2024-01-02T00:00")]), "pause", False),
    "an-hour-apart": (
        lambda: _tiny([_north("2024-01-01T06:00", "2024-01-01T08:00"), _north("2024-01-01T09:00", "2024-01-01T11:00")]),
        "pause", True),
    "repeating-an-hour-apart": (
        lambda: _tiny([_north("2024-01-01T06:00", "2024-01-01T07:00", repeat_days=3),
                       {"start": "2024-01-01T08:00", "end": "2024-01-01T09:00", "repeat_days": 3, "roads": ["r3"]}],
                      days=3),
        "pause", True),
    "stock-lots-across-dst": (_lots_across_dst, "daily-windows", True),
    "convoys-within-windows": (lambda: load_scenario(SCENARIOS / "enclave.yaml"), "window-12h", True),
    "destination-capacity": (_nearest_capped, "agreed", True),
    "santiago-15-min-slots": (
        lambda: _synthetic(
            12, 23, "America/Santiago", dt.datetime(2024, 4, 6), window_start_hour=22.5, window_hours=1.0
        ),
        "daily-windows", True),
    "fleet-window-across-midnight": (
        lambda: _synthetic(14, 163, "UTC", dt.datetime(2024, 1, 1), window_start_hour=23.0, window_hours=1.0,
                           fleet_trucks=5),
        "daily-windows", True),
}


@pytest.mark.parametrize("case", list(CASES))
def test_warm_price_equals_the_rebuild_on_odd_windows(case):
    make, proposal_id, worth_something = CASES[case]
    scenario = make()
    proposal = scenario.proposal(proposal_id)
    base = build_planning_model(scenario, proposal)
    solution = solve_planning_lp(base)
    longer = build_planning_model(scenario, _longer(proposal))
    fresh = solve_planning_lp(longer).objective - solution.objective
    warm = solve_warm_from(base, solution, longer).objective - solution.objective
    assert warm == pytest.approx(fresh, rel=1e-6, abs=1e-9 * abs(solution.objective))
    assert (fresh > 1e-6 * abs(solution.objective)) == worth_something
    # The planner prices the windows warm and reports that price (rounded to 4 places), or none at all.
    result = plan_proposal(scenario, proposal_id, window_value=True)
    assert result.bound == pytest.approx(solution.objective, rel=1e-9)
    priced = [b.value_per_unit for b in result.bottlenecks if b.kind == "window"]
    # Per real hour added: two across the autumn change, one elsewhere (tests/plan/test_window_price_dst.py).
    assert priced == ([pytest.approx(fresh / _real_hours_added(scenario, proposal), abs=1e-4)] if worth_something else [])


@pytest.mark.parametrize("capacity", [1000, 300])
def test_the_price_keeps_the_places_the_plan_found_full(capacity):
    # The preferred reception area fills, so the plan's LP is solved again with people redirected from
    # it. The longer LP must be too: built without that, its split held people back and it was worth
    # 181,054 (1,000 places) or 214,072 (300) less than the plan, a negative price, and no window value
    # was reported. The price is the gain of the planner's own bound with every window an hour longer.
    scenario = _preferred_place_holds(capacity, None)
    result = plan_proposal(scenario, "agreed", window_value=True)
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    for proposal in data["proposals"]:
        for window in proposal.get("windows", []):
            window["end"] = (dt.datetime.fromisoformat(window["end"]) + dt.timedelta(hours=1)).isoformat()
    longer = plan_proposal(Scenario.model_validate(data), "agreed")
    gain = longer.bound - result.bound
    assert gain > 1000.0
    priced = [b.value_per_unit for b in result.bottlenecks if b.kind == "window"]
    assert priced == [pytest.approx(gain, abs=1e-4)]
    # The re-build (no warm start) gives the same price.
    cold = _with_window_value([], scenario, scenario.proposal("agreed"), None, result.bound, None, None, 5)
    assert [b.value_per_unit for b in cold if b.kind == "window"] == [pytest.approx(gain, abs=1e-4)]
