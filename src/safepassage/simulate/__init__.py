"""Simulation: a plan executed under disruption (SimPy), many times (Monte Carlo, on Dask), with or
without re-planning. What compares proposals with it (Monte Carlo bands, the sensitivity of the
verdict) is in ``safepassage.evaluate.bands`` and ``safepassage.evaluate.sensitivity``.

>>> from safepassage.scenario import load_scenario
>>> from safepassage.simulate import simulate_proposal
>>> result = simulate_proposal(load_scenario("tests/scenarios/tiny.yaml"), "pause", runs=10, seed=1)
>>> sorted(result.summary()["value"])
['mean', 'p10', 'p50', 'p90', 'planned']
"""

from safepassage.simulate.disruptions import (
    DISRUPTION_ASSUMPTIONS,
    Disruptions,
    load_disruptions,
)
from safepassage.simulate.execution import Outcome, execute
from safepassage.simulate.montecarlo import (
    MonteCarloResult,
    SimulationJob,
    prepare_job,
    replication_rngs,
    simulate_proposal,
)
from safepassage.simulate.outcome import metric_names, outcome_kpis
from safepassage.simulate.schedule import Schedule, compile_schedule
from safepassage.simulate.world import SimulationWorld, build_world, realise

__all__ = [
    "DISRUPTION_ASSUMPTIONS",
    "Disruptions",
    "MonteCarloResult",
    "Outcome",
    "Schedule",
    "SimulationJob",
    "SimulationWorld",
    "build_world",
    "compile_schedule",
    "execute",
    "load_disruptions",
    "metric_names",
    "outcome_kpis",
    "prepare_job",
    "realise",
    "replication_rngs",
    "simulate_proposal",
]
