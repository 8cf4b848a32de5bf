"""Quota floors and shares in whole trucks: the integer step's side of ``define_quota_floor_constraints``.

Rounding every LP path down keeps every ceiling but can leave a floor ("at least 600 trucks a day")
or a share ("half of them to the north") a few trucks short. ``QuotaFloors.meet`` repairs that after
the greedy repair: it adds trucks to paths that count towards a floor or share still short (while
every ceiling, capacity and stock lot still holds), and, for a share, removes trucks that only
count against it. What cannot be met stays a shortfall, valued as the LP values it
(``floor_shortfall_cost`` per truck) and reported by ``quota_shortfalls``.

The rows are the LP's own (block ``quota_floor``), read in path space: row r of a path is the sum of
its columns' entries, so a plan's floors are judged by exactly the rule the LP was built with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from safepassage.plan.lp_build import PlanningModel, floor_capacity, floor_shortfall_cost, quota_net_moves
from safepassage.plan.quotas import DayQuota
from safepassage.plan.result import iso
from safepassage.plan.time_grid import TimeGrid

if TYPE_CHECKING:
    from safepassage.plan.integer import FlowPaths

__all__ = ["QuotaFloors", "QuotaShortfall", "quota_shortfalls"]

TOL = 1e-6


@dataclass(frozen=True)
class QuotaShortfall:
    """A floor or share of an agreement that the plan does not meet, in one counting period.

    ``rule``: 'floor' or 'share'; ``quota``: the quota's id (``policy.daily_quotas[0]``,
    ``ceasefire.quotas[1]``); ``period_start``/``period_end``: minutes from the horizon start;
    ``required``/``planned``: trucks (for a share: trucks that had to reach its zones, and did);
    ``limit``: why, when a cheap check can tell (e.g. the crossings' capacity in the counted hours)."""

    rule: str
    quota: str
    period_start_min: float
    period_end_min: float
    required: float
    planned: float
    limit: str

    @property
    def short(self) -> float:
        return self.required - self.planned

    def record(self, grid: TimeGrid) -> dict[str, Any]:
        """JSON-ready, with local ISO times and a sentence for people who decide."""
        start, end = iso(grid.to_local(self.period_start_min)), iso(grid.to_local(self.period_end_min))
        if self.rule == "floor":
            what = (
                f"the floor of {self.required:g} trucks ({self.quota}) cannot be met from {start} to {end}: "
                f"{self.limit}; {self.planned:g} planned"
            )
        else:
            what = (
                f"the share ({self.quota}) from {start} to {end} is {self.short:.1f} trucks short: "
                f"{self.required:.1f} had to reach its zones, {self.planned:g} planned; {self.limit}"
            )
        return {
            "rule": self.rule,
            "quota": self.quota,
            "period_start": start,
            "period_end": end,
            "required": self.required,
            "planned": self.planned,
            "short": round(self.short, 6),
            "limit": self.limit,
            "message": what,
        }


class QuotaFloors:
    """The floor and share rows of ``model`` over the truck paths of ``trucks``."""

    def __init__(self, model: PlanningModel, trucks: FlowPaths) -> None:
        self.model = model
        block = model.lp.row_block("quota_floor")
        self.n_rows = block.size
        self.lower = model.lp.vectors()[3][block.start : block.start + block.size]
        self.per_path = np.zeros((self.n_rows, len(trucks.paths)))
        self.cost_per_truck = 0.0
        if self.n_rows == 0:  # no floor or share: nothing to build (most proposals)
            return
        # The rows' entries on the columns paths use (moves, waits, offloads), without the shortfall columns.
        short = model.col("quota_shortfall")
        keep = np.ones(model.lp.n_cols)
        keep[short.start : short.stop] = 0.0
        rows = model.lp.csc()[block.start : block.start + block.size] @ sp.diags(keep)
        self.per_path = np.asarray((rows @ path_incidence(trucks, model.lp.n_cols)).todense()).reshape(
            self.n_rows, len(trucks.paths)
        )
        self.cost_per_truck = floor_shortfall_cost(model)

    def shortfall(self, trucks_int: np.ndarray) -> np.ndarray:
        """Trucks short per floor/share row (0 where met)."""
        if self.n_rows == 0:
            return np.zeros(0)
        return np.maximum(self.lower - self.per_path @ trucks_int, 0.0)

    def cost(self, trucks_int: np.ndarray) -> float:
        """The objective's shortfall term for these whole trucks (person-days, ≥ 0)."""
        return float(self.shortfall(np.asarray(trucks_int, dtype=np.float64)).sum() * self.cost_per_truck)

    def meet(
        self,
        trucks_int: np.ndarray,
        per_path_cap: sp.csc_matrix,
        upper: np.ndarray,
        stock_member: sp.csr_matrix,
        stock: np.ndarray,
    ) -> np.ndarray:
        """Whole trucks with every floor and share met that can be, one truck at a time, within every
        ceiling and capacity (``per_path_cap`` · z ≤ ``upper``) and stock lot."""
        z = np.asarray(trucks_int, dtype=np.float64).copy()
        if self.n_rows == 0 or self.per_path.shape[1] == 0:
            return z
        activity = per_path_cap @ z
        used = stock_member @ z
        stock_by_path = stock_member.tocsc()
        for _ in range(int(self.lower.sum()) + self.per_path.shape[1] + 1):
            deficit = self.lower - self.per_path @ z
            short = deficit > TOL
            if not short.any():
                break
            slack = -deficit
            a = self.per_path
            # Add: helps a short row, harms none that is short or would become short.
            helps = (a[short] > TOL).any(axis=0) & ~(a[short] < -TOL).any(axis=0)
            safe = ~((a < -TOL) & (slack[:, None] + a < -TOL) & ~short[:, None]).any(axis=0)
            candidates = np.flatnonzero(helps & safe)
            gain = (
                np.minimum(a[short][:, candidates], deficit[short][:, None]).clip(min=0).sum(axis=0)
                if len(candidates)
                else np.zeros(0)
            )
            step = None
            for j in candidates[np.argsort(-gain, kind="stable")]:
                rows = per_path_cap.indices[per_path_cap.indptr[j] : per_path_cap.indptr[j + 1]]
                values = per_path_cap.data[per_path_cap.indptr[j] : per_path_cap.indptr[j + 1]]
                lots = stock_by_path.indices[stock_by_path.indptr[j] : stock_by_path.indptr[j + 1]]
                if np.any(activity[rows] + values > upper[rows] + TOL) or np.any(used[lots] + 1 > stock[lots] + TOL):
                    continue
                step = (j, 1.0, rows, values, lots)
                break
            if step is None:
                # Remove: a truck that only counts against a short row (a share's trucks elsewhere).
                hurts = (a[short] < -TOL).any(axis=0) & (z > 0)
                keeps = ~((a > TOL) & (slack[:, None] - a < -TOL)).any(axis=0)
                removable = np.flatnonzero(hurts & keeps)
                if len(removable) == 0:
                    break
                j = int(removable[0])
                rows = per_path_cap.indices[per_path_cap.indptr[j] : per_path_cap.indptr[j + 1]]
                values = per_path_cap.data[per_path_cap.indptr[j] : per_path_cap.indptr[j + 1]]
                lots = stock_by_path.indices[stock_by_path.indptr[j] : stock_by_path.indptr[j + 1]]
                step = (j, -1.0, rows, values, lots)
            j, sign, rows, values, lots = step
            z[j] += sign
            activity[rows] += sign * values
            used[lots] += sign
        return z


def path_incidence(flow: FlowPaths, n_cols: int) -> sp.csc_matrix:
    """(LP columns × paths): 1 where a path uses a column (a move, a wait or an offload); a column
    a path uses twice counts 2."""
    arrays = flow.edge_arrays
    rows = np.asarray(flow.edges.ref, dtype=np.int64)[arrays.flat]
    cols = arrays.path_of()
    return sp.csc_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_cols, len(flow.paths)))


def quota_shortfalls(model: PlanningModel, trucks: FlowPaths, trucks_int: np.ndarray) -> list[QuotaShortfall]:
    """Every floor and share the plan leaves short, with the reason a cheap check finds: the quota's
    crossings cannot pass that many trucks in the slots it counts, the commodities are not admitted
    then, or (otherwise) other limits — fleet, stock, roads — see the plan's bottlenecks.

    For a floor, ``required`` is the floor and ``planned`` the trucks counted, net of loaded trucks
    coming back into its crossings (``quota_net_moves``); for a share,
    ``required`` is share × the trucks counted and ``planned`` the trucks offloaded in its zones."""
    z = np.asarray(trucks_int, dtype=np.float64)
    floors = QuotaFloors(model, trucks)
    short = floors.shortfall(z)
    # A floor is short against the agreement's figure, also where the LP asked only for the crossings' capacity.
    short = np.maximum(
        short,
        np.array(
            [
                q.trucks_whole - float(floors.per_path[r] @ z) if kind == "floor" else 0.0
                for r, (q, kind) in enumerate(_rules(model))
            ]
        ),
    )
    x = model.col("x")
    out: list[QuotaShortfall] = []
    if not np.any(short > TOL):
        return out  # nothing short: no path needs reading
    incidence = path_incidence(trucks, model.lp.n_cols)
    for r, (quota, rule) in enumerate(_rules(model)):
        if short[r] <= TOL:
            continue
        entering, back = quota_net_moves(model, quota)
        counted_cols = np.zeros(model.lp.n_cols)
        np.add.at(counted_cols, x.start + entering, 1.0)
        np.add.at(counted_cols, x.start + back, -1.0)
        counted = float((counted_cols @ incidence) @ z)
        if rule == "floor":
            required, planned = quota.trucks_whole, counted
        else:
            required = float(quota.share or 0.0) * counted
            planned = required + float(floors.per_path[r] @ z)
        out.append(
            QuotaShortfall(
                rule, quota.label, quota.start_min, quota.end_min, required, planned, _limit(model, quota, rule)
            )
        )
    return out


def _rules(model: PlanningModel) -> list[tuple[DayQuota, str]]:
    """The floor and share rows' quotas, in the LP's row order (``define_quota_floor_constraints``)."""
    floors = model.terms.quota_floors
    return [(q, "floor") for q in floors if q.at_least] + [(q, "share") for q in floors if q.share is not None]


def _limit(model: PlanningModel, quota: DayQuota, rule: str) -> str:
    """Why a floor cannot be met, when the crossings or admissions alone already say so."""
    if rule == "share":
        return "its zones cannot take that many trucks in the period (roads, windows, offloading); see bottlenecks"
    capacity = floor_capacity(model, quota)
    if capacity == 0.0:
        return "its crossings are closed, or its commodities not admitted, in the hours it counts"
    if capacity < quota.trucks_whole:
        return f"crossing capacity in the hours it counts is {capacity:g} trucks"
    return "other limits (fleet, stock, roads, windows) bind first; see bottlenecks"
