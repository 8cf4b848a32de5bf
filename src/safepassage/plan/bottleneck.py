"""Name what binds, from the LP duals.

For each limited entity (a crossing, an inspection point, a checkpoint, a road, a daily quota, the
fleet, a stock), its rows' duals are summed into the value of one more unit of the limit (e.g. one
more truck per hour at a crossing, in every slot it is open: Σ_t dual_t · L_t). Entities are ranked
by what 10% more of the limit would be worth (dual × 10% of the right-hand side), which compares
limits measured in different units.
"""

from __future__ import annotations

import numpy as np

from safepassage.plan.lp_build import PlanningModel
from safepassage.plan.result import Bottleneck
from safepassage.plan.solve import LPSolution

__all__ = ["find_bottlenecks"]

_KINDS = ("place_trucks", "road_trucks", "place_people", "road_people", "quota", "fleet", "shelter_capacity")
MIN_VALUE = 1e-6


def find_bottlenecks(model: PlanningModel, solution: LPSolution, top: int = 5) -> list[Bottleneck]:
    """The ``top`` binding limits by the value of 10% more of each, largest first."""
    _, _, _, row_lower, row_upper = model.lp.vectors()
    # HiGHS reports duals for a maximisation with the sign of d(objective)/d(bound).
    dual = solution.row_dual
    found: list[tuple[float, Bottleneck]] = []
    for block in model.lp.row_blocks:
        if block.name not in _KINDS or block.size == 0:
            continue
        rows = np.arange(block.start, block.start + block.size)
        value = np.abs(dual[rows])
        per_unit = np.bincount(block.entity, weights=value * block.scale, minlength=len(block.labels))
        per_tenth = np.bincount(block.entity, weights=value * 0.1 * np.abs(row_upper[rows]), minlength=len(block.labels))
        binding = np.bincount(block.entity, weights=(value > MIN_VALUE).astype(float), minlength=len(block.labels))
        for entity in np.flatnonzero(per_unit > MIN_VALUE):
            label = block.labels[entity]
            kind, _, ident = label.partition(":") if ":" in label else (_default_kind(block.name), "", label)
            if block.name in ("road_trucks", "road_people"):
                kind = "road"
            found.append((float(per_tenth[entity]), Bottleneck(kind, ident, round(float(per_unit[entity]), 4), block.unit, int(binding[entity]), round(float(per_tenth[entity]), 2))))
    found += _stock_bottlenecks(model, solution)
    found.sort(key=lambda item: -item[0])
    return [b for _, b in found[:top]]


def _default_kind(block_name: str) -> str:
    return {"quota": "quota", "fleet": "fleet", "road_trucks": "road", "road_people": "road", "shelter_capacity": "shelter"}.get(block_name, "place")


def _stock_bottlenecks(model: PlanningModel, solution: LPSolution) -> list[tuple[float, Bottleneck]]:
    """Stock that runs out: the dual of the balance row where it becomes available."""
    block = model.lp.row_block("truck_balance")
    n_slots = model.terms.grid.n_slots
    out = []
    pairs, slots = np.nonzero(model.supply_trucks)
    for pair, slot in zip(pairs, slots):
        dual = abs(solution.row_dual[block.start + pair * n_slots + slot])
        if dual > MIN_VALUE:
            place = model.scenario.places[model.truck_nodes.pair_place[pair]].id
            commodity = model.scenario.commodities[model.truck_nodes.pair_kind[pair]].id
            loads = model.supply_trucks[pair, slot]
            out.append((dual * 0.1 * loads, Bottleneck("stock", f"{place}/{commodity}", round(float(dual), 4), "truckload", 1, round(float(dual * 0.1 * loads), 2))))
    return out
