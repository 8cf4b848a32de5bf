"""Fixtures for the simulation tests: plans of the tiny scenario and of a short Gaza horizon."""

from __future__ import annotations

from pathlib import Path

import pytest

from safepassage.plan import plan_proposal
from safepassage.scenario import load_scenario
from safepassage.simulate import build_world, compile_schedule

TINY = Path(__file__).parent.parent / "scenarios" / "tiny.yaml"


@pytest.fixture(scope="session")
def tiny():
    return load_scenario(TINY)


@pytest.fixture(scope="session")
def gaza():
    return load_scenario("gaza-2023-11")


@pytest.fixture(scope="session")
def gaza_short(gaza):
    """Two days of 60-minute slots: the default scenario at a size a test can plan in seconds."""
    return gaza.horizon.model_copy(update={"days": 2, "slot_minutes": 60})


@pytest.fixture(scope="session")
def gaza_plans(gaza, gaza_short):
    """(plan, world, schedule) of two contrasting Gaza proposals over the short horizon."""
    out = {}
    for proposal in ("daily-4h-north", "truce-4day"):
        plan = plan_proposal(gaza, proposal, horizon=gaza_short)
        world = build_world(gaza, proposal, gaza_short)
        out[proposal] = (plan, world, compile_schedule(world, plan))
    return out
