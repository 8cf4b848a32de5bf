"""Which way to solve a planning LP: the plain time-expanded LP, column generation, or the condensed
network.

The plain LP has a column for every usable (arc, slot, commodity); its solve time grows as about
nnz^1.9 (``docs/performance.md``). Column generation's master grows with the paths the optimum uses,
and its pricing with arcs × slots. The condensed network (``plan/condensed.py``) runs column
generation on coarse slots away from the windows' edges and certifies its gap on the fine grid; on
the 50-place week it reached a 0.1 % certified gap where column generation on the fine grid stood at
2.1 % after more time. ``"auto"`` stays on the plain LP up to ``COLUMNS_ABOVE_MOVES`` potential truck
movements (directed arcs × slots × commodities, counted from the scenario without building
anything): the Gaza week (about 0.14 million) stays there, whose results the project's tests pin;
above it, the condensed network when the proposal is given and its grid nests in the fine one, else
column generation.

>>> from safepassage.scenario import load_scenario
>>> from safepassage.testing.synthetic import target_scenario
>>> resolve_method(load_scenario("gaza-2023-11"), None, "auto")
'lp'
>>> week = target_scenario(n_places=40, days=7)
>>> resolve_method(week, None, "auto"), resolve_method(week, None, "auto", week.proposal("daily-windows"))
('columns', 'condensed')
"""

from __future__ import annotations

from safepassage.plan.destinations import has_destination_rules
from safepassage.scenario.model import Horizon, Proposal, Scenario

__all__ = ["METHODS", "COLUMNS_ABOVE_MOVES", "potential_truck_movements", "resolve_method"]

METHODS = ("auto", "lp", "columns", "condensed")
COLUMNS_ABOVE_MOVES = 500_000


def potential_truck_movements(scenario: Scenario, horizon: Horizon | None = None) -> int:
    """Directed arcs × fine slots × commodities: an upper bound on the plain LP's truck columns."""
    horizon = horizon or scenario.horizon
    slots = int(horizon.days * 1440 // horizon.slot_minutes)
    return 2 * len(scenario.roads) * slots * len(scenario.commodities)


def resolve_method(scenario: Scenario, horizon: Horizon | None, method: str, proposal: Proposal | None = None) -> str:
    """``"lp"``, ``"columns"`` or ``"condensed"`` for ``method`` (one of ``METHODS``; "auto" as the
    module doc says); raises ``ValueError`` naming the choices for anything else."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    if method != "auto":
        return method
    if potential_truck_movements(scenario, horizon) <= COLUMNS_ABOVE_MOVES:
        return "lp"
    if has_destination_rules(scenario):
        return "lp"  # neither column generation nor the condensed grid prices destination splits or shelter capacities
    if proposal is not None:
        from safepassage.plan.condensed import DEFAULT_LEVELS, PATH_LEVELS, grids_nest

        # The path master's level, and the arc master's first where the path master refuses.
        if all(grids_nest(scenario, proposal, horizon, *level) for level in (PATH_LEVELS[0], DEFAULT_LEVELS[0])):
            return "condensed"
    return "columns"
