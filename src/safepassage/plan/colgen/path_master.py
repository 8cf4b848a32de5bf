"""The path master: the truck part of the planning LP over whole truckload paths, kept in one HiGHS
instance that each round adds columns (and rows) to and solves again (``PathMaster``'s ``solver``).

The arc master of ``master.py`` is the time-expanded LP restricted to the moves found so far. At 500
places over a week it has 300–480 thousand rows, most of them node balances (one per place,
commodity and slot a move touches), and each round solves it again from nothing: 40–180 s a round
(``docs/performance.md``). Here a column is one truckload's whole path, from one stock lot to one
offloading, and there are no node balances:

    max  Σ_paths c_j λ_j + Σ_tiers w_g g
    s.t. Σ_{j from lot l} λ_j ≤ loads_l                              (stock lots)
         Σ_j (uses of row r by path j) λ_j ≤ b_r                    (place throughput, road capacity,
                                                                      offloading rate, quotas, fleet)
         Σ_{g of (z,k)} g − Σ_j payload_k · early_t · λ_j ≤ 0         (need tiers; the slack is the
                                                                      excess beyond need)
         0 ≤ g ≤ tier share · need,  λ ≥ 0

with each path counted in a row exactly as the arc LP counts its moves, holds and offloading
(``lp_build``: a move in its tail's throughput and its road's capacity at its departure slot, in
every quota counting its tail, commodity and slot, and in the fleet for every slot it lasts, times
``1 + return_factor``; a hold where the commodity has no stock in the fleet for that slot; the
offloading in its place's throughput and offloading rate, and in its zone's need at its earliness
factor). Rows appear when a path first touches them, except the fleet's: those are written as a
chain, ``y_t − y_{t−1} − Σ_j (a_tj − a_{t−1,j}) λ_j = 0`` with ``y_t ≤ trucks`` (``y_t`` the trucks
in use in slot t), so that a path has an entry only where its use of the fleet changes, not in every
slot it lasts; the fleet's multipliers are the ``y_t``'s reduced costs (``_fleet_chain``). Any path
solution is an arc solution (sum the paths' moves), so the master's optimum is a value some plan
reaches; and the reduced value of a path under the master's duals is what the sweeps of
``pricing.py`` and ``reach.py`` add up, less its lot's dual, so the Lagrangian bound of
``pricing.lagrangian_bound`` holds with the same multipliers (``multipliers``). Quota floors and
shares are not modelled here: ``solve_by_paths`` refuses scenarios that have them.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np

from safepassage.errors import PlanInvariantError, SolverError
from safepassage.plan.colgen.graph import TruckGraph
from safepassage.plan.colgen.pricing import Multipliers, first_tier_price
from safepassage.plan.problem import PlanningProblem, whole_unit_capacity
from safepassage.plan.solve import new_highs

__all__ = ["Path", "PathMaster", "Lots"]


def _within(lengths: np.ndarray) -> np.ndarray:
    """0, 1, …, length − 1 for each of ``lengths``, concatenated."""
    total = int(lengths.sum())
    return np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths)


@dataclass(frozen=True)
class Path:
    """A truckload's path: from lot ``lot`` (a row of ``Lots``), by ``moves`` (arc, departure slot)
    in time order, holding wherever it stands between them, offloaded at ``end`` (place, slot)."""

    lot: int
    moves: tuple[tuple[int, int], ...]
    end: tuple[int, int]


@dataclass(frozen=True)
class Lots:
    """The problem's stock lots, one per (place, commodity, slot), their truckloads summed."""

    place: np.ndarray
    kind: np.ndarray
    slot: np.ndarray
    loads: np.ndarray

    @classmethod
    def of(cls, problem: PlanningProblem) -> Lots:
        stock = problem.stock
        loaded = stock.loads > 0
        keys = np.stack([stock.place[loaded], stock.kind[loaded], stock.slot[loaded]])
        unique, inverse = np.unique(keys, axis=1, return_inverse=True)
        loads = np.zeros(unique.shape[1])
        np.add.at(loads, inverse.ravel(), stock.loads[loaded])
        return cls(unique[0], unique[1], unique[2], loads)

    def __len__(self) -> int:
        return len(self.loads)

    def find(self, place: int, kind: int, slot: int) -> int:
        """The lot of (place, kind) coming in at ``slot``; raises ``PlanInvariantError`` if none."""
        hit = np.flatnonzero((self.place == place) & (self.kind == kind) & (self.slot == slot))
        if not len(hit):
            raise PlanInvariantError(f"no stock lot of commodity {kind} at place {place} in slot {slot}")
        return int(hit[0])


SOLVERS = ("ipm", "simplex")
IDLE_FLOW = 1e-6  # truckloads: a path carrying less after an interior-point solve is idle (``prune``)


class PathMaster:
    """The path master of the module doc for ``problem`` (its ``graph`` from ``truck_graph``).
    ``add`` paths, ``solve``, then read ``value``, ``multipliers``, ``lot_dual`` and ``flows``.

    ``solver``: "ipm", HiGHS's interior point without crossover, each solve from nothing, for
    central duals; or "simplex", the primal simplex from the last basis (adding columns keeps it
    primal feasible; at 500 places it re-solved rounds 2–7 in 1–67 s where the dual simplex took
    36–244 s). At 500 places × 7 days the simplex's duals swing from vertex to vertex: 11–16 rounds
    to within 1 %, the Lagrangian bound lagging the value by 4–5 rounds. The interior point's took
    6–8 rounds (docs/performance.md, "Central duals")."""

    def __init__(
        self, problem: PlanningProblem, graph: TruckGraph, threads: int | None = None, solver: str = "ipm"
    ) -> None:
        if solver not in SOLVERS:
            raise ValueError(f"solver must be one of {', '.join(SOLVERS)}; got {solver!r}")
        self.problem, self.graph, self.threads, self.solver = problem, graph, threads, solver
        scenario, terms, grid = problem.scenario, problem.terms, problem.grid
        self.lots = Lots.of(problem)
        n_places, n_slots = graph.n_places, graph.n_slots
        n_zones, n_kinds = problem.need_ppd.shape
        fleet = scenario.fleet
        self.factor = 1.0 + fleet.return_factor if fleet is not None else 0.0
        offload_rate = np.array(
            [60.0 / p.offload_minutes_per_truck if p.offload_minutes_per_truck else np.inf for p in scenario.places]
        )
        quotas = terms.quotas
        self.quota_place = np.zeros((len(quotas), n_places), dtype=bool)
        self.quota_kind = np.zeros((len(quotas), n_kinds), dtype=bool)
        self.quota_slot = np.zeros((len(quotas), n_slots), dtype=bool)
        for q, quota in enumerate(quotas):
            self.quota_place[q, list(quota.places)] = True
            self.quota_kind[q, list(quota.commodities)] = True
            self.quota_slot[q] = quota.slots
        # Row keys: one integer space, family by family, each with its right-hand side.
        caps = [
            self.lots.loads,
            problem.place_trucks_cap.ravel(),
            problem.road_trucks_cap.ravel(),
            whole_unit_capacity(offload_rate, terms.place_open, grid.length_min).ravel(),
            np.array([q.trucks_whole for q in quotas], dtype=np.float64),
            np.full(n_slots, float(fleet.trucks) if fleet is not None else np.inf),
            np.zeros(n_zones * n_kinds),
        ]
        sizes = [len(c) for c in caps]
        self.offset = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.rhs = np.concatenate(caps).astype(np.float64)
        self.row_of = np.full(int(self.offset[-1]), -1, dtype=np.int64)
        self.row_key: list[int] = []
        self.paths: list[Path] = []
        self.known: set[Path] = set()
        self.n_cols = 0
        self.path_col: list[int] = []
        self.idle: list[int] = []  # per path: solves in a row it has been nonbasic at zero
        self.highs = new_highs(threads=threads)
        self.highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self.col_value = np.zeros(0)
        self.row_dual = np.zeros(0)
        self.fleet_price = np.zeros(n_slots)
        self.value = 0.0
        self.fleet_col = np.zeros(0, dtype=np.int64)
        if self.factor > 0.0:
            self._fleet_chain(float(fleet.trucks) if fleet is not None else np.inf)

    LOT, PLACE, ROAD, OFFLOAD, QUOTA, FLEET, NEED = range(7)

    def _fleet_chain(self, trucks: float) -> None:
        """The fleet rows as a chain (module doc): a column ``y_t ≤ trucks`` per slot, the trucks in use,
        and a row per slot ``y_t − y_{t−1} − Σ_j (a_tj − a_{t−1,j}) λ_j = 0``, so that a path enters
        only where its use of the fleet changes (two to four entries) instead of in every slot it
        lasts. At 500 places the fleet entries were 87 % of the master's nonzeros, in 377 dense rows."""
        n_slots = self.graph.n_slots
        keys = self._key(self.FLEET, np.arange(n_slots))
        self.row_of[keys] = np.arange(n_slots)  # made first: rows 0 .. T−1
        self.row_key += keys.tolist()
        zero = np.zeros(n_slots)
        none = np.zeros(0, dtype=np.int32)
        self.highs.addRows(n_slots, zero, zero, 0, none, none, np.zeros(0))
        rows = np.stack([np.arange(n_slots), np.arange(1, n_slots + 1)], axis=1).reshape(-1)
        coefs = np.tile([1.0, -1.0], n_slots)
        inside = rows < n_slots
        starts = np.arange(0, 2 * n_slots, 2) - np.concatenate([[0], np.cumsum(~inside[1::2])[:-1]])
        self.highs.addCols(n_slots, zero, np.full(n_slots, -np.inf), np.full(n_slots, trucks), int(inside.sum()),
                           starts.astype(np.int32), rows[inside].astype(np.int32), coefs[inside])
        self.fleet_col = np.arange(n_slots, dtype=np.int64)
        self.n_cols += n_slots

    def _chained(
        self, starts: np.ndarray, keys: np.ndarray, coefs: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``columns``' entries with each column's fleet entries ``a_t`` written as the chain's
        ``−(a_t − a_{t−1})`` (``_fleet_chain``), each column's keys still sorted."""
        if not len(self.fleet_col) or not len(keys):
            return starts, keys, coefs
        n_slots, first = self.graph.n_slots, int(self.offset[self.FLEET])
        owner = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(keys))))
        fleet = (keys >= first) & (keys < first + n_slots)
        at = np.flatnonzero(fleet)
        slot, value, who = keys[at] - first, coefs[at], owner[at]
        # The previous slot's entry of the same column (0 where it has none), and the slot after the last.
        joined = np.zeros(len(at), dtype=bool)
        joined[1:] = (who[1:] == who[:-1]) & (slot[1:] == slot[:-1] + 1)
        before = np.where(joined, np.concatenate([[0.0], value[:-1]]), 0.0)
        ends = np.ones(len(at), dtype=bool)
        ends[:-1] = ~joined[1:]
        ends &= slot + 1 < n_slots
        new_owner = np.concatenate([owner[~fleet], who, who[ends]])
        new_key = np.concatenate([keys[~fleet], keys[at], keys[at][ends] + 1])
        new_coef = np.concatenate([coefs[~fleet], before - value, value[ends]])
        keep = new_coef != 0.0
        new_owner, new_key, new_coef = new_owner[keep], new_key[keep], new_coef[keep]
        order = np.lexsort((new_key, new_owner))
        new_owner, new_key, new_coef = new_owner[order], new_key[order], new_coef[order]
        return np.searchsorted(new_owner, np.arange(len(starts))), new_key, new_coef

    def _key(self, family: int, index: np.ndarray | int | list[int]) -> np.ndarray:
        return np.asarray(index, dtype=np.int64) + self.offset[family]

    def column(self, path: Path) -> tuple[float, np.ndarray, np.ndarray]:
        """The path's objective coefficient and its (row keys, coefficients); raises
        ``PlanInvariantError`` if it holds, moves or offloads where the LP has no column for it."""
        g, lots = self.graph, self.lots
        kind, place, slot = int(lots.kind[path.lot]), int(lots.place[path.lot]), int(lots.slot[path.lot])
        n_slots = g.n_slots
        arc = np.array([a for a, _ in path.moves], dtype=np.int64)
        dep = np.array([d for _, d in path.moves], dtype=np.int64)
        arr = g.arr[arc, dep] if len(arc) else np.zeros(0, dtype=np.int64)
        # Where it stands and from when: the lot, then each move's head from its arrival.
        stand_place = np.concatenate([[place], g.head[arc]]).astype(np.int64)
        stand_from = np.concatenate([[slot], arr]).astype(np.int64)
        stand_to = np.concatenate([dep, [path.end[1]]]).astype(np.int64)
        if path.end[0] != stand_place[-1] or (stand_to < stand_from).any():
            raise PlanInvariantError(f"path {path} does not join up: its moves or its offloading are out of order")
        if len(arc) and not g.movements_of(arc, dep, np.full(len(arc), kind)).all():
            raise PlanInvariantError(f"path {path} uses a movement the planning LP does not have")
        hold_place = np.repeat(stand_place, stand_to - stand_from)
        hold_slot = np.concatenate([np.arange(a, b) for a, b in zip(stand_from.tolist(), stand_to.tolist())])
        hold_slot = hold_slot.astype(np.int64)
        end_place, end_slot = path.end
        if not g.holdable[hold_place, hold_slot].all() or not g.offload_ok[kind, end_place, end_slot]:
            raise PlanInvariantError(f"path {path} holds or offloads where the planning LP may not")
        keys = [self._key(self.LOT, [path.lot])]
        tail = g.tail[arc]
        keys.append(self._key(self.PLACE, tail[g.place_limited[tail]] * n_slots + dep[g.place_limited[tail]]))
        limited = g.road_limited[arc]
        keys.append(self._key(self.ROAD, arc[limited] * n_slots + dep[limited]))
        counted = self.quota_place[:, tail] & self.quota_slot[:, dep] & self.quota_kind[:, kind][:, None]
        keys.append(self._key(self.QUOTA, np.nonzero(counted)[0]))
        coefs = [np.ones(sum(len(k) for k in keys))]
        if self.factor > 0.0:
            moving = np.concatenate([np.arange(a, b) for a, b in zip(dep.tolist(), arr.tolist())] + [np.zeros(0)])
            waiting = hold_slot[g.waiting[hold_place, kind]]
            keys += [self._key(self.FLEET, moving.astype(np.int64)), self._key(self.FLEET, waiting)]
            coefs += [np.full(len(moving), self.factor), np.ones(len(waiting))]
        offload_keys = []
        if g.place_limited[end_place]:
            offload_keys.append(self._key(self.PLACE, end_place * n_slots + end_slot))
        if g.offload_limited[end_place]:
            offload_keys.append(self._key(self.OFFLOAD, end_place * n_slots + end_slot))
        keys += [np.atleast_1d(k) for k in offload_keys]
        coefs.append(np.ones(len(offload_keys)))
        zone = int(g.zone[end_place])
        keys.append(self._key(self.NEED, [zone * g.n_kinds + kind]))
        coefs.append(np.array([-g.payload[kind] * g.early[end_slot]]))
        all_keys, all_coefs = np.concatenate(keys), np.concatenate(coefs)
        unique, inverse = np.unique(all_keys, return_inverse=True)
        summed = np.zeros(len(unique))
        np.add.at(summed, inverse, all_coefs)
        cost = -g.truck_hour_cost * float(g.hours[arc, dep].sum()) if len(arc) else 0.0
        return cost, unique, summed

    def columns(self, paths: list[Path]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``column`` for many paths at once, with numpy over all their moves: (objective
        coefficients (n,), column starts (n,), row keys, coefficients), each column's keys sorted.
        Raises ``PlanInvariantError`` naming the first path that ``column`` would refuse."""
        g, lots = self.graph, self.lots
        n, n_slots = len(paths), g.n_slots
        lot = np.array([p.lot for p in paths], dtype=np.int64)
        kind, place0, slot0 = lots.kind[lot], lots.place[lot], lots.slot[lot]
        n_moves = np.array([len(p.moves) for p in paths], dtype=np.int64)
        flat = np.array([m for p in paths for m in p.moves], dtype=np.int64).reshape(-1, 2)
        arc, dep = flat[:, 0], flat[:, 1]
        owner = np.repeat(np.arange(n), n_moves)
        arr = g.arr[arc, dep]
        end = np.array([p.end for p in paths], dtype=np.int64).reshape(-1, 2)
        end_place, end_slot = end[:, 0], end[:, 1]
        # Where each path stands between its moves: segment j of a path is before its move j.
        first = np.concatenate([[0], np.cumsum(n_moves + 1)[:-1]]).astype(np.int64)
        is_first = np.zeros(int((n_moves + 1).sum()), dtype=bool)
        is_first[first] = True
        is_last = np.zeros_like(is_first)
        is_last[first + n_moves] = True
        seg_owner = np.repeat(np.arange(n), n_moves + 1)
        stand_place = np.empty(len(is_first), dtype=np.int64)
        stand_from, stand_to = np.empty_like(stand_place), np.empty_like(stand_place)
        stand_place[is_first], stand_place[~is_first] = place0, g.head[arc]
        stand_from[is_first], stand_from[~is_first] = slot0, arr
        stand_to[~is_last], stand_to[is_last] = dep, end_slot
        length = stand_to - stand_from
        bad = np.zeros(n, dtype=bool)
        bad[seg_owner[length < 0]] = True
        bad |= stand_place[is_last] != end_place
        length = np.maximum(length, 0)
        bad[owner[~g.movements_of(arc, dep, kind[owner])]] = True
        hold_owner, hold_place = np.repeat(seg_owner, length), np.repeat(stand_place, length)
        hold_slot = np.repeat(stand_from, length) + _within(length)
        bad[hold_owner[~g.holdable[hold_place, hold_slot]]] = True
        bad |= ~g.offload_ok[kind, end_place, end_slot]
        if bad.any():
            self.column(paths[int(np.flatnonzero(bad)[0])])  # raises, naming what is wrong
        tail = g.tail[arc]
        owners, keys, coefs = [np.arange(n)], [self._key(self.LOT, lot)], [np.ones(n)]
        limited = g.place_limited[tail]
        owners.append(owner[limited])
        keys.append(self._key(self.PLACE, tail[limited] * n_slots + dep[limited]))
        limited = g.road_limited[arc]
        owners.append(owner[limited])
        keys.append(self._key(self.ROAD, arc[limited] * n_slots + dep[limited]))
        q, m = np.nonzero(self.quota_place[:, tail] & self.quota_slot[:, dep] & self.quota_kind[:, kind[owner]])
        owners.append(owner[m])
        keys.append(self._key(self.QUOTA, q))
        coefs += [np.ones(len(owners[-3]) + len(owners[-2]) + len(owners[-1]))]
        if self.factor > 0.0:
            during = arr - dep
            owners.append(np.repeat(owner, during))
            keys.append(self._key(self.FLEET, np.repeat(dep, during) + _within(during)))
            coefs.append(np.full(len(owners[-1]), self.factor))
            waiting = g.waiting[hold_place, kind[hold_owner]]
            owners.append(hold_owner[waiting])
            keys.append(self._key(self.FLEET, hold_slot[waiting]))
            coefs.append(np.ones(int(waiting.sum())))
        for family, limited in ((self.PLACE, g.place_limited[end_place]), (self.OFFLOAD, g.offload_limited[end_place])):
            owners.append(np.flatnonzero(limited))
            keys.append(self._key(family, end_place[limited] * n_slots + end_slot[limited]))
            coefs.append(np.ones(int(limited.sum())))
        owners.append(np.arange(n))
        keys.append(self._key(self.NEED, g.zone[end_place] * g.n_kinds + kind))
        coefs.append(-g.payload[kind] * g.early[end_slot])
        span = int(self.offset[-1])
        combined, inverse = np.unique(np.concatenate(owners) * span + np.concatenate(keys), return_inverse=True)
        summed = np.zeros(len(combined))
        np.add.at(summed, inverse, np.concatenate(coefs))
        col_owner, col_key = np.divmod(combined, span)
        starts = np.searchsorted(col_owner, np.arange(n))
        hours = np.bincount(owner, weights=g.hours[arc, dep], minlength=n)
        return -g.truck_hour_cost * hours, starts, col_key, summed

    def _add_rows(self, keys: np.ndarray) -> None:
        """Rows for the keys not yet in the master (with a need row, its tier columns)."""
        new = np.unique(keys[self.row_of[keys] < 0])
        if not len(new):
            return
        first = len(self.row_key)
        self.row_of[new] = first + np.arange(len(new))
        self.row_key += new.tolist()
        upper = self.rhs[new]
        self.highs.addRows(len(new), np.full(len(new), -np.inf), upper, 0, np.zeros(0, dtype=np.int32),
                           np.zeros(0, dtype=np.int32), np.zeros(0))
        need = new[new >= self.offset[self.NEED]] - self.offset[self.NEED]
        if not len(need):
            return
        problem = self.problem
        zone, kind = np.divmod(need, self.graph.n_kinds)
        n_tiers = len(problem.tier_weight)
        rows = np.repeat(self.row_of[new[new >= self.offset[self.NEED]]], n_tiers)
        tier = np.tile(np.arange(n_tiers), len(need))
        z, k = np.repeat(zone, n_tiers), np.repeat(kind, n_tiers)
        cost = problem.tier_weight[tier] * problem.priority[k] / problem.need_ppd[z, k]
        upper_g = np.diff(problem.tier_share)[tier] * problem.need_units[z, k]
        n = len(rows)
        self.highs.addCols(n, cost, np.zeros(n), upper_g, n, np.arange(n, dtype=np.int32),
                           rows.astype(np.int32), np.ones(n))
        self.n_cols += n

    def add(self, paths: list[Path]) -> int:
        """Add the paths not in the master yet; returns how many were added."""
        fresh = [p for p in dict.fromkeys(paths) if p not in self.known]
        if not fresh:
            return 0
        cost, starts, keys, values = self.columns(fresh)
        starts, keys, values = self._chained(starts, keys, values)
        self._add_rows(keys)
        index = self.row_of[keys].astype(np.int32)
        n = len(fresh)
        self.highs.addCols(n, cost, np.zeros(n), np.full(n, np.inf), len(index), starts.astype(np.int32), index, values)
        self.path_col += list(range(self.n_cols, self.n_cols + n))
        self.idle += [0] * n
        self.n_cols += n
        self.paths += fresh
        self.known.update(fresh)
        return n

    def solve(self, time_limit_s: float | None = None, vertex: bool = False) -> float:
        """Solve the master by its ``solver`` (class doc); ``vertex``: by the simplex whatever the
        solver, for a basic solution (after interior-point rounds, from nothing by the dual simplex:
        at 500 places 0.8 s on the last master). Raises ``SolverError`` if HiGHS stops without an
        optimum (``time_limit_s`` reached, for instance)."""
        # HiGHS's time limit counts all runs of the instance: give it the time used so far plus this one's.
        limit = self.highs.getRunTime() + float(time_limit_s) if time_limit_s is not None else np.inf
        self.highs.setOptionValue("time_limit", limit)
        if self.solver == "ipm" and not vertex:
            self.highs.setOptionValue("solver", "ipm")
            self.highs.setOptionValue("run_crossover", "off")
        else:
            self.highs.setOptionValue("solver", "simplex")
            # From the last basis, the primal simplex (adding columns keeps it primal feasible); with
            # no basis (after interior-point solves), the dual simplex from nothing.
            self.highs.setOptionValue("simplex_strategy", 4 if self.at_vertex else 1)
        self.highs.run()
        status = self.highs.getModelStatus()
        if status == highspy.HighsModelStatus.kModelEmpty:  # no stock, so no path: nothing to carry
            self.col_value, self.row_dual, self.value = np.zeros(self.n_cols), np.zeros(len(self.row_key)), 0.0
            return self.value
        if status != highspy.HighsModelStatus.kOptimal:
            reason = self.highs.modelStatusToString(status)
            raise SolverError(f"HiGHS stopped the path master without an optimum: {reason}")
        solution = self.highs.getSolution()
        self.col_value = np.asarray(solution.col_value)
        self.row_dual = np.asarray(solution.row_dual)
        # The fleet's multipliers are the chain columns' reduced costs (``_fleet_chain``): y_t's is
        # μ_{t+1} − μ_t, what a path pays per truck in use in slot t.
        self.fleet_price = np.asarray(solution.col_dual)[self.fleet_col] if len(self.fleet_col) else self.fleet_price
        self.value = float(self.highs.getInfo().objective_function_value)
        return self.value

    @property
    def at_vertex(self) -> bool:
        """Whether the last solve left a basis (a simplex solve; an interior-point one does not)."""
        return bool(self.highs.getBasis().valid)

    def reduced_values(self, paths: list[Path]) -> np.ndarray:
        """(n,) each path's reduced value under the last solve's duals (c − Aᵀy, the sweeps' value less
        its lot's dual): a row not in the master has dual 0, but a need row not in it its first tier's
        price (as ``multipliers``), so a path to a zone the master does not serve yet is worth that."""
        if not paths:
            return np.zeros(0)
        cost, starts, keys, coefs = self.columns(paths)
        dual = np.zeros(int(self.offset[-1]))
        need = self.offset[self.NEED] + np.arange(self.offset[self.NEED + 1] - self.offset[self.NEED])
        dual[need] = first_tier_price(self.problem).reshape(-1)
        if len(self.row_dual):
            dual[np.array(self.row_key, dtype=np.int64)] = np.maximum(self.row_dual, 0.0)
            index, fleet = self._dual(self.FLEET)
            dual[self._key(self.FLEET, index)] = fleet
        return cost - np.add.reduceat(coefs * dual[keys], starts) if len(keys) else cost

    def prune(self, max_idle: int) -> int:
        """Delete the path columns that have been idle in the last ``max_idle`` solves (their rows
        stay): nonbasic at zero after a simplex solve, below ``IDLE_FLOW`` truckloads after an
        interior-point one (which leaves no basis). The master slows with its columns (at 500
        places, 222 s for 157 k of them), and a deleted path may come back when it prices out again.
        Deleting nonbasic columns keeps a basis. Returns how many were deleted."""
        if not len(self.col_value) or not self.path_col:
            return 0
        basis = self.highs.getBasis()
        status = basis.col_status if basis.valid else None
        basic = highspy.HighsBasisStatus.kBasic
        floor = 1e-9 if status is not None else IDLE_FLOW
        cols = np.array(self.path_col, dtype=np.int64)
        solved = cols < len(self.col_value)
        for j in np.flatnonzero(solved).tolist():
            c = int(cols[j])
            working = (status is not None and status[c] == basic) or self.col_value[c] > floor
            self.idle[j] = 0 if working else self.idle[j] + 1
        drop = np.flatnonzero(solved & (np.array(self.idle) >= max_idle))
        if not len(drop):
            return 0
        gone = cols[drop]
        self.highs.deleteCols(len(gone), gone.astype(np.int32))
        keep = np.ones(len(self.paths), dtype=bool)
        keep[drop] = False
        shift = np.searchsorted(np.sort(gone), cols, side="left")
        self.path_col = (cols - shift)[keep].tolist()
        for j in drop.tolist():
            self.known.discard(self.paths[j])
        self.paths = [p for p, k in zip(self.paths, keep.tolist()) if k]
        self.idle = [i for i, k in zip(self.idle, keep.tolist()) if k]
        self.col_value = np.delete(self.col_value, gone)
        self.n_cols -= len(gone)
        return len(gone)

    def _dual(self, family: int) -> tuple[np.ndarray, np.ndarray]:
        """(index within the family, dual ≥ 0) of the family's rows in the master's last solution
        (rows added since, by paths not solved yet after a time limit, are left out: dual 0)."""
        if family == self.FLEET and len(self.fleet_col):
            return np.arange(len(self.fleet_col)), np.maximum(self.fleet_price, 0.0)
        keys = np.array(self.row_key, dtype=np.int64)
        mine = (keys >= self.offset[family]) & (keys < self.offset[family + 1])
        rows = self.row_of[keys[mine]]
        solved = rows < len(self.row_dual)
        return keys[mine][solved] - self.offset[family], np.maximum(self.row_dual[rows[solved]], 0.0)

    @property
    def lot_dual(self) -> np.ndarray:
        """(L,) the lots' duals (0 for a lot no path uses yet, or before a solve)."""
        out = np.zeros(len(self.lots))
        if len(self.row_dual):
            index, dual = self._dual(self.LOT)
            out[index] = dual
        return out

    def multipliers(self) -> Multipliers:
        """The Lagrange multipliers of the last solve (module doc; rows not in the master: 0, and a
        need row not in it: its first tier's price)."""
        problem, g = self.problem, self.graph
        n_slots = g.n_slots
        pi = Multipliers(
            np.zeros((g.n_places, n_slots)), np.zeros((len(g.tail), n_slots)), np.zeros((g.n_places, n_slots)),
            np.zeros(len(problem.terms.quotas)), np.zeros(n_slots), first_tier_price(problem), 0.0,
        )
        rhs = 0.0
        for family, table in ((self.PLACE, pi.place), (self.ROAD, pi.road), (self.OFFLOAD, pi.offload),
                              (self.QUOTA, pi.quota), (self.FLEET, pi.fleet)):
            index, dual = self._dual(family)
            table.reshape(-1)[index] = dual
            rhs += float(dual @ self.rhs[index + self.offset[family]])
        index, dual = self._dual(self.NEED)
        pi.need.reshape(-1)[index] = dual
        pi.rhs_value = rhs
        return pi

    def flows(self, min_flow: float = 1e-6) -> tuple[list[Path], np.ndarray]:
        """The paths the last solution carries more than ``min_flow`` truckloads on, and their flows,
        scaled down by one common factor (1 after a simplex solve; 1 − 1e-7 or so after an interior
        point one, whose rows may be off by its tolerance) so that they keep every row: a plan's
        flows, which a restricted LP can take as they are. The dropped flows are worth at most
        ``min_flow`` truckloads each."""
        values = self.path_values()
        keep = np.flatnonzero(values > min_flow)
        paths, flow = [self.paths[j] for j in keep.tolist()], values[keep]
        if not paths:
            return paths, flow
        _, starts, keys, coefs = self.columns(paths)
        owner = np.repeat(np.arange(len(paths)), np.diff(np.append(starts, len(keys))))
        limited = keys < self.offset[self.NEED]  # need rows: the tiers adjust to what arrives
        use = np.zeros(int(self.offset[-1]))
        np.add.at(use, keys[limited], coefs[limited] * flow[owner[limited]])
        over = use > self.rhs
        factor = float(np.min(self.rhs[over] / use[over])) if over.any() else 1.0
        return paths, flow * factor

    def path_values(self) -> np.ndarray:
        """λ of the last solution, in the order ``paths`` were added (paths added since: not listed)."""
        cols = np.array(self.path_col, dtype=np.int64)
        return self.col_value[cols[cols < len(self.col_value)]]
