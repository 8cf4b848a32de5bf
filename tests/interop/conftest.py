"""Plans shared by the interop tests: the tiny scenario, and the Gaza scenario on a one-day horizon
with hour slots (small enough to solve in well under a second)."""

from __future__ import annotations

import pytest

from safepassage.plan import PlanResult, plan_proposal
from safepassage.scenario import Scenario, load_scenario
from pathlib import Path

SCENARIOS = Path(__file__).parent.parent / "scenarios"


@pytest.fixture(scope="session")
def tiny() -> Scenario:
    return load_scenario(SCENARIOS / "tiny.yaml")


@pytest.fixture(scope="session")
def tiny_pause_plan(tiny: Scenario) -> PlanResult:
    return plan_proposal(tiny, "pause")


@pytest.fixture(scope="session")
def gaza() -> Scenario:
    return load_scenario("gaza-2023-11")


@pytest.fixture(scope="session")
def gaza_daily_plan(gaza: Scenario) -> PlanResult:
    return plan_proposal(gaza, "daily-4h-north", horizon=gaza.horizon.model_copy(update={"days": 1, "slot_minutes": 60}))


@pytest.fixture(scope="session")
def nearest_sensitive_m(gaza: Scenario):
    """A function: metres from a (lon, lat) position to the nearest sensitive place of the Gaza scenario."""
    import math

    sites = [p.geometry.coordinates for p in gaza.places if p.sensitive]
    assert sites, "the Gaza scenario marks some places sensitive"

    def distance(position) -> float:
        lon, lat = float(position[0]), float(position[1])
        return min(math.hypot((lon - a) * math.cos(math.radians(lat)), lat - b) * 111_320 for a, b in sites)

    return distance


def short_horizon(scenario: Scenario, days: float = 2):
    """The scenario's horizon cut to ``days`` days of hour slots (plans in about a second)."""
    return scenario.horizon.model_copy(update={"days": days, "slot_minutes": 60})


@pytest.fixture(scope="session")
def gaza_plans(gaza: Scenario) -> dict[str, PlanResult]:
    """Every Gaza proposal planned over two days with hour slots."""
    return {p.id: plan_proposal(gaza, p.id, horizon=short_horizon(gaza)) for p in gaza.proposals}
