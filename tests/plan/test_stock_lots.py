"""Stock that arrives in several lots: no convoy carries a lot before it has arrived.

Checked without the planner's code: lots and departures are compared in absolute time (zoneinfo), and
the cargo leaving each (place, commodity) by any departure is at most the lots that have arrived by then.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from safepassage.plan import plan_proposal
from safepassage.scenario.model import Scenario
from safepassage.testing.synthetic import synthetic_scenario_data


def lot_violations(scenario: Scenario, convoys: list) -> list[tuple]:
    """(origin, commodity, departure, cargo so far, stock arrived so far) wherever cargo outruns stock."""
    tz = ZoneInfo(scenario.timezone)
    lots: dict[tuple[str, str], list[tuple[dt.datetime, float]]] = {}
    for stock in scenario.stocks:
        arrives = (stock.available_from or scenario.horizon.start).replace(tzinfo=tz)
        lots.setdefault((stock.place, stock.commodity), []).append((arrives, stock.quantity))
    shipped: dict[tuple[str, str], list[tuple[dt.datetime, float]]] = {}
    for convoy in convoys:
        for commodity, quantity in convoy.cargo.items():
            shipped.setdefault((convoy.origin, commodity), []).append((convoy.departs, quantity))
    found = []
    for key, moves in shipped.items():
        total = 0.0
        for departs, quantity in sorted(moves):
            total += quantity
            arrived = sum(q for at, q in lots.get(key, []) if at <= departs)
            if total > arrived + 1e-6:
                found.append((*key, departs, total, arrived))
    return found


def _three_lots(data: dict) -> dict:
    """Split every stock into three equal whole-truck lots arriving at the start of days 0, 1 and 2."""
    payload = {c["id"]: c["truck_payload"] for c in data["commodities"]}
    start = dt.datetime.fromisoformat(data["horizon"]["start"])
    stocks = []
    for stock in data["stocks"]:
        if stock.get("available_from"):
            continue
        loads = max(1, round(stock["quantity"] / payload[stock["commodity"]]))
        for day in range(3):
            lot = {**stock, "quantity": max(1, loads // 3) * payload[stock["commodity"]]}
            if day:
                lot["available_from"] = (start + dt.timedelta(days=day)).isoformat(timespec="minutes")
            stocks.append(lot)
    return {**data, "stocks": stocks}


@pytest.mark.parametrize("seed", range(6))
def test_two_lots_over_two_days(seed):
    """Synthetic 2-day scenarios restock half-way; before the fix 6 of these 6 plans shipped early."""
    scenario = Scenario.model_validate(synthetic_scenario_data(16, days=2, seed=seed, slot_minutes=60))
    assert len({s.available_from for s in scenario.stocks}) == 2
    result = plan_proposal(scenario, "ceasefire")
    assert result.convoys
    assert lot_violations(scenario, result.convoys) == []
    assert result.objective <= result.bound * (1 + 1e-7) + 1e-6


@pytest.mark.parametrize(
    ("seed", "timezone", "start"),
    [
        (11, "UTC", dt.datetime(2024, 3, 30)),
        (12, "Europe/Berlin", dt.datetime(2024, 3, 30)),  # clocks forward on the 31st at 02:00
        (13, "America/Santiago", dt.datetime(2024, 4, 5)),  # clocks back at midnight on the 7th
    ],
)
def test_three_lots_over_three_days(seed, timezone, start):
    """Three lots a day apart, in time zones whose clocks change inside the horizon."""
    data = synthetic_scenario_data(16, days=3, seed=seed, slot_minutes=60, timezone=timezone, start=start)
    scenario = Scenario.model_validate(_three_lots(data))
    for proposal in ("ceasefire", "daily-windows"):
        result = plan_proposal(scenario, proposal)
        assert lot_violations(scenario, result.convoys) == []
        assert result.objective <= result.bound * (1 + 1e-7) + 1e-6
