"""Scenarios: the domain model, loading and validation, and the packaged scenarios."""

from safepassage.scenario.load import builtin_scenarios, load_scenario, parse_scenario, resolve_scenario_path
from safepassage.scenario.model import (
    Commodity,
    Evacuation,
    Fleet,
    Horizon,
    Objective,
    Place,
    PlaceKind,
    Policy,
    Proposal,
    Quota,
    Road,
    Scenario,
    Stock,
    Window,
    Zone,
)

__all__ = [
    "Commodity",
    "Evacuation",
    "Fleet",
    "Horizon",
    "Objective",
    "Place",
    "PlaceKind",
    "Policy",
    "Proposal",
    "Quota",
    "Road",
    "Scenario",
    "Stock",
    "Window",
    "Zone",
    "builtin_scenarios",
    "load_scenario",
    "parse_scenario",
    "resolve_scenario_path",
]
