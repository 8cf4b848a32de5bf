"""Which way to solve a planning LP: the plain time-expanded LP, or column generation.

The plain LP has a column for every usable (arc, slot, commodity); its solve time grows as about
nnz^1.9 (``docs/performance.md``). Column generation's master grows with the paths the optimum uses,
and its pricing with arcs × slots. ``"auto"`` takes column generation above
``COLUMNS_ABOVE_MOVES`` potential truck movements (directed arcs × slots × commodities, counted
from the scenario without building anything): the Gaza week (about 0.14 million) stays on the plain
LP, whose results the project's tests pin; the 500-place week (12 million) does not.

>>> from safepassage.scenario import load_scenario
>>> from safepassage.testing.synthetic import target_scenario
>>> resolve_method(load_scenario("gaza-2023-11"), None, "auto")
'lp'
>>> resolve_method(target_scenario(n_places=40, days=7), None, "auto")
'columns'
"""

from __future__ import annotations

from safepassage.plan.destinations import has_destination_rules
from safepassage.scenario.model import Horizon, Scenario

__all__ = ["METHODS", "COLUMNS_ABOVE_MOVES", "potential_truck_movements", "resolve_method"]

METHODS = ("auto", "lp", "columns")
COLUMNS_ABOVE_MOVES = 500_000


def potential_truck_movements(scenario: Scenario, horizon: Horizon | None = None) -> int:
    """Directed arcs × fine slots × commodities: an upper bound on the plain LP's truck columns."""
    horizon = horizon or scenario.horizon
    slots = int(horizon.days * 1440 // horizon.slot_minutes)
    return 2 * len(scenario.roads) * slots * len(scenario.commodities)


def resolve_method(scenario: Scenario, horizon: Horizon | None, method: str) -> str:
    """``"lp"`` or ``"columns"`` for ``method`` (one of ``METHODS``); raises ``ValueError`` naming
    the choices for anything else."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    if method != "auto":
        return method
    if has_destination_rules(scenario):
        return "lp"  # column generation does not price destination splits or shelter capacities
    return "columns" if potential_truck_movements(scenario, horizon) > COLUMNS_ABOVE_MOVES else "lp"
