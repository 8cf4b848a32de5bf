"""The behavioural assumptions behind "people reaching safety", with P10/P90 from their ranges, and the
daily time profile of a plan — what ``compare --json`` and the report show beside the totals, so that a
reader sees what a figure rests on and can compare it with daily reports.

>>> from safepassage.scenario import load_scenario
>>> doc = behavioural_assumptions(load_scenario("gaza-2023-11"), "daily-4h-north")
>>> doc["model"], doc["agreement"]
('departure model (docs/behaviour.md)', 'unilateral')
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from typing import Any

import numpy as np

from safepassage.behaviour import COEFFICIENTS, Coefficient, departures
from safepassage.behaviour.coefficients import Coefficients
from safepassage.plan.result import PlanResult
from safepassage.scenario.behaviour import DepartureDrivers, Driver
from safepassage.scenario.model import Scenario

__all__ = ["behavioural_assumptions", "daily_profile"]


def _horizon(scenario: Scenario) -> tuple[dt.datetime, dt.datetime]:
    start = scenario.horizon.start
    return start, start + dt.timedelta(days=scenario.horizon.days)


def _draw_driver(driver: Driver | None, rng: np.random.Generator) -> Driver | None:
    if driver is None:
        return None
    lo = driver.value if driver.low is None else driver.low
    hi = driver.value if driver.high is None else driver.high
    return driver.model_copy(update={"value": float(lo + rng.random() * (hi - lo))})


def _draw_drivers(drivers: DepartureDrivers | None, rng: np.random.Generator) -> DepartureDrivers | None:
    if drivers is None:
        return None
    return DepartureDrivers(**{name: _draw_driver(getattr(drivers, name), rng) for name in type(drivers).model_fields})


def _draw_coefficients(rng: np.random.Generator) -> Coefficients:
    drawn = {
        name: dataclasses.replace(c, value=float(c.low + rng.random() * (c.high - c.low)))
        for name, c in COEFFICIENTS.items()
    }
    return Coefficients(**drawn)


def behavioural_assumptions(scenario: Scenario, proposal_id: str, samples: int = 200, seed: int = 0) -> dict[str, Any]:
    """The drivers and coefficients that decide how many people set out under ``proposal_id``, and
    P10/P50/P90 of people setting out per zone when drivers and coefficients are drawn uniformly over
    their ranges (``samples`` draws, reproducible with ``seed``)."""
    proposal = scenario.proposal(proposal_id)
    zones = [z for z in scenario.zones if z.evacuation is not None]
    document: dict[str, Any] = {
        "proposal": proposal.id,
        "agreement": proposal.agreement,
        "agreed_by": list(proposal.agreed_by),
        "wants_to_leave": {z.id: z.evacuation.wants_to_leave for z in zones if z.evacuation is not None},
    }
    if scenario.behaviour is None:
        document["model"] = "none: everyone in wants_to_leave is available at the start"
        return document
    start, end = _horizon(scenario)
    central = {d.zone: d for d in departures(scenario, proposal, start, end)}
    behaviour = scenario.behaviour
    drivers: dict[str, Any] = {}
    for zone in zones:
        merged = behaviour.drivers.merged(behaviour.zones.get(zone.id)).merged(proposal.drivers)
        drivers[zone.id] = {
            name: getattr(merged, name).model_dump()
            for name in type(merged).model_fields
            if getattr(merged, name) is not None
        }
    rng = np.random.default_rng(seed)
    draws = np.zeros((samples, len(zones)))
    for i in range(samples):
        drawn_behaviour = behaviour.model_copy(
            update={
                "drivers": _draw_drivers(behaviour.drivers, rng),
                "zones": {k: _draw_drivers(v, rng) for k, v in behaviour.zones.items()},
            }
        )
        drawn_scenario = scenario.model_copy(update={"behaviour": drawn_behaviour})
        drawn_proposal = proposal.model_copy(update={"drivers": _draw_drivers(proposal.drivers, rng)})
        found = {
            d.zone: d.setting_out
            for d in departures(drawn_scenario, drawn_proposal, start, end, _draw_coefficients(rng))
        }
        draws[i] = [found.get(z.id, 0.0) for z in zones]
    p10, p50, p90 = np.percentile(draws, [10, 50, 90], axis=0)
    total10, total50, total90 = np.percentile(draws.sum(axis=1), [10, 50, 90])
    document.update(
        model="departure model (docs/behaviour.md)",
        drivers=drivers,
        coefficients={name: _coefficient(c) for name, c in COEFFICIENTS.items()},
        setting_out={
            z.id: {
                "participation": round(central[z.id].participation, 4) if z.id in central else 0.0,
                "value": round(central[z.id].setting_out, 1) if z.id in central else 0.0,
                "p10": round(float(p10[j]), 1),
                "p50": round(float(p50[j]), 1),
                "p90": round(float(p90[j]), 1),
            }
            for j, z in enumerate(zones)
        },
        setting_out_total={
            "p10": round(float(total10), 1),
            "p50": round(float(total50), 1),
            "p90": round(float(total90), 1),
        },
    )
    return document


def _coefficient(c: Coefficient) -> dict[str, Any]:
    return {
        "value": c.value,
        "low": c.low,
        "high": c.high,
        "unit": c.unit,
        "basis": c.basis,
        "calibrated_on": c.calibrated_on,
    }


def daily_profile(plan: PlanResult) -> dict[str, dict[str, float]]:
    """Per local day: trucks offloaded, tonnes offloaded, people reaching safety — the plan's time
    profile, to compare with daily reports without planning again."""
    days: dict[str, dict[str, float]] = defaultdict(lambda: {"trucks": 0.0, "tonnes": 0.0, "people": 0.0})
    for convoy in plan.convoys:
        days[convoy.arrives.date().isoformat()]["trucks"] += convoy.trucks  # the local date
    for day, tonnes in plan.kpis.arrivals_by_day.items():
        days[day]["tonnes"] += round(sum(tonnes.values()), 3)
    for day, people in plan.kpis.safe_by_day.items():
        days[day]["people"] += people
    return {day: dict(values) for day, values in sorted(days.items())}
