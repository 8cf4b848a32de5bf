"""Moved to ``safepassage.testing.synthetic`` (it serves tests and benchmarks, not the domain).

This re-export keeps ``from safepassage.scenario.synthetic import synthetic_scenario`` working for
code written before the move; new code imports from ``safepassage.testing.synthetic``.
"""

from safepassage.testing.synthetic import (
    DEFAULT_COMMODITIES,
    SyntheticCommodity,
    SyntheticOptions,
    synthetic_scenario,
    synthetic_scenario_data,
)

__all__ = ["SyntheticOptions", "SyntheticCommodity", "DEFAULT_COMMODITIES", "synthetic_scenario", "synthetic_scenario_data"]
