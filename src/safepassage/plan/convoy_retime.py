"""Re-time trucks that cannot form a convoy instead of dropping them.

Convoy grouping (``plan/convoys.py``) leaves out the trucks of a group smaller than ``min_trucks``, or
that arrive when the route's convoys are full and too close together. Before any is dropped:

1. **Join a convoy.** Each dropped truck is tried on the timing of the convoys that go (nearest in
   departure first, best value first): a convoy member's path for the dropped truck's commodity, from
   that commodity's stock at the convoy's origin, either all the way or leaving the convoy at the
   truck's own destination on its way (``plan/path_variants.py``).
2. **Merge small groups.** A group still too small is put back and the other dropped trucks are
   re-timed onto its departure until it reaches ``min_trucks``; if it cannot, none of it is kept.
3. **Swap loads.** Where no capacity is free (the LP fills the crossings and warehouses slot by slot),
   a dropped truck's load may still ride in a convoy in place of a load worth less there: the convoy
   keeps its size and timing, and the lesser load is the one that stays (reported as such).
4. **Fill.** Stock left over rides in the convoys that go, where every limit still allows.

A change is kept only if it adds value (the LP's own objective) and keeps every limit on the whole
plan: place, road, quota, offloading and fleet rows, the bounds of the columns it uses, and stock lot
by lot (``PathLimits``), and if grouping the plan again drops no other truck (``form_convoys`` decides:
sizes, marshalling, spacing). What none of this places is dropped, each group with its reason.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

import numpy as np

from safepassage.plan.convoys import Consolidation, Journey, Rules, form_convoys
from safepassage.plan.decompose import Path
from safepassage.plan.integer import FlowPaths, IntegerPlan, _Valuer
from safepassage.plan.lp_build import PlanningModel
from safepassage.plan.path_variants import PathLimits, PathVariants, extended
from safepassage.plan.quota_floors import QuotaFloors

__all__ = ["DroppedTrucks", "Retiming", "retime_dropped"]

TOL = 1e-6
NEAREST_TEMPLATES = 40  # convoy departures tried per dropped truck, nearest first
MAX_SHIFT_SLOTS = 24  # a dropped truck's own path is tried up to this many slots earlier or later
REFITS_PER_ROUND = 8  # trucks added in a fill round whose neighbours are re-checked at once; then path by path
JourneyOf = Callable[[FlowPaths, int, int], Journey | None]


@dataclass(frozen=True)
class DroppedTrucks:
    """Trucks of path ``ref`` that no convoy takes, and why."""

    ref: int
    trucks: int
    reason: str


@dataclass
class Retiming:
    """The plan after re-timing: truck paths (the plan's, then the variants as new paths), whole trucks
    per path, the convoys, the new paths in use, the dropped trucks placed by re-timing or merging,
    the loads swapped in, the trucks of left-over stock added to convoys, and the trucks dropped with
    their reasons."""

    trucks: FlowPaths
    trucks_int: np.ndarray
    consolidation: Consolidation
    new_paths: list[int]
    dropped: list[DroppedTrucks]
    trucks_retimed: int = 0
    loads_swapped: int = 0
    trucks_added: int = 0


class _OneMore:
    """``valuer.truck_gains_one`` reading only the paths of the (zone, commodity) pair it changes: the same
    arithmetic on the same numbers in the same order, so the same value, without a pass over every path
    (the search asks thousands of times)."""

    def __init__(self, valuer: _Valuer) -> None:
        self.valuer = valuer
        pairs = valuer.truck_pair
        self.members = {int(p): np.flatnonzero(pairs == p) for p in np.unique(pairs).tolist()}

    def __call__(self, z: np.ndarray, j: int) -> float:
        v = self.valuer
        pair = v.truck_pair[j]
        members = self.members[int(pair)]
        current = float(z[members].astype(np.float64) @ v.truck_units[members])
        # np.clip's own arithmetic (the lower bound, then the upper), without its wrapper's cost.
        before = np.minimum(np.maximum(current - v.tier_low[pair], 0.0), v.tier_size[pair])
        after = np.minimum(np.maximum(current + v.truck_units[j] - v.tier_low[pair], 0.0), v.tier_size[pair])
        return float(((after - before) * v.tier_price[pair]).sum() + v.truck_linear[j])

    def many(self, z: np.ndarray, paths: list[int]) -> np.ndarray:
        """``self(z, j)`` for each of ``paths``: the tiers of all at once, each path's sum over its own tiers
        as ``self`` takes it (the same float: NumPy sums each row of a matrix along its last axis as it sums
        that row alone)."""
        v = self.valuer
        js = np.asarray(paths, dtype=np.int64)
        pairs = v.truck_pair[js]
        current_of = {p: float(z[self.members[p]].astype(np.float64) @ v.truck_units[self.members[p]])
                      for p in set(pairs.tolist())}
        current = np.array([current_of[p] for p in pairs.tolist()])
        low, size = v.tier_low[pairs], v.tier_size[pairs]
        before = np.minimum(np.maximum(current[:, None] - low, 0.0), size)
        after = np.minimum(np.maximum((current + v.truck_units[js])[:, None] - low, 0.0), size)
        change = (after - before) * v.tier_price[pairs]
        return np.ascontiguousarray(change).sum(axis=1) + v.truck_linear[js]


@dataclass
class _Search:
    """The state the four steps share: whole trucks per path ``z`` and the limits' use of them."""

    model: PlanningModel
    rules: Rules
    journeys: dict[int, Journey | None]
    z: np.ndarray
    limits: PathLimits
    valuer: _Valuer
    people_int: np.ndarray
    floors: QuotaFloors | None = None
    base_drops: int = 0
    reasons: dict[int, Counter[str]] = field(default_factory=dict)
    one_more: _OneMore = field(init=False)
    drops_of: dict[tuple[Hashable, tuple[tuple[int, float, int], ...]], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.one_more = _OneMore(self.valuer)

    def grouped(self) -> Consolidation:
        out = []
        for p in np.flatnonzero(self.z > 0):
            base = self.journeys.get(int(p))
            if base is not None:
                out.append(Journey(int(p), base.key, base.departs_min, int(self.z[p])))
        return form_convoys(out, self.rules)

    def drops(self) -> int:
        """``grouped().trucks_dropped``, key by key: ``form_convoys`` packs each key's journeys alone, so a
        key's count is kept while its paths and trucks stay the same (a search step changes one path)."""
        positive = np.flatnonzero(self.z > 0)
        by_key: dict[Hashable, list[tuple[int, float, int]]] = {}
        for p, trucks in zip(positive.tolist(), self.z[positive].tolist(), strict=True):
            base = self.journeys.get(p)
            if base is not None:
                by_key.setdefault(base.key, []).append((p, base.departs_min, trucks))
        total = 0
        for key, members in by_key.items():
            signature = (key, tuple(members))
            count = self.drops_of.get(signature)
            if count is None:
                count = form_convoys([Journey(p, key, d, n) for p, d, n in members], self.rules).trucks_dropped
                self.drops_of[signature] = count
            total += count
        return total

    def gain(self, path: int) -> float:
        """The objective's change from one more truck on ``path``, quota floors and shares included."""
        gain = self.one_more(self.z, path)
        if self.floors is not None:
            before = self.floors.cost(self.z)
            self.z[path] += 1
            gain -= self.floors.cost(self.z) - before
            self.z[path] -= 1
        return gain

    def move(self, path: int, trucks: int) -> None:
        self.z[path] += trucks
        self.limits.add(path, trucks)

    def gains(self, paths: list[int]) -> np.ndarray:
        """``gain`` of each of ``paths`` (at once where no quota floor or share is in play)."""
        if self.floors is not None:
            return np.array([self.gain(c) for c in paths])
        return self.one_more.many(self.z, paths)

    def try_add(self, j: int, candidate: int, drops_allowed: int, gain: float | None = None) -> bool:
        """One truck more on ``candidate`` (for dropped path ``j``) if it adds value and keeps every limit
        and the convoys (else note why for ``j``). ``gain``: its ``gain`` now, when known."""
        if (self.gain(candidate) if gain is None else gain) <= TOL:
            self.reasons[j]["it would add no value there"] += 1
            return False
        broken = self.limits.fits(candidate)
        if broken is not None:
            self.reasons[j][f"full: {broken}"] += 1
            return False
        self.z[candidate] += 1
        if self.drops() > drops_allowed:
            self.z[candidate] -= 1
            self.reasons[j]["the convoy is full or would break the spacing"] += 1
            return False
        self.limits.add(candidate, 1)
        return True

    def snapshot(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return self.z.copy(), self.limits.activity.copy(), self.limits.column_use.copy(), self.limits.stock_used.copy()

    def restore(self, saved: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]) -> None:
        self.z, self.limits.activity, self.limits.column_use, self.limits.stock_used = (a.copy() for a in saved)


class _Journeys(dict[int, Journey | None]):
    """The journeys of the plan's paths, and of the new paths (``new``), each of those made when first read:
    the search reads few of the thousands of variants it makes."""

    def __init__(self, known: dict[int, Journey | None], make: Callable[[int], Journey | None], new: range) -> None:
        super().__init__(known)
        self.make, self.new = make, new

    def __missing__(self, p: int) -> Journey | None:
        if p not in self.new:
            raise KeyError(p)
        made = self[p] = self.make(p)
        return made

    def get(self, p: int, default: Journey | None = None) -> Journey | None:  # type: ignore[override]
        return self[p] if p in self or p in self.new else default


class _Candidates:
    """Variant paths, made once each: ``of(template, kind, stop)`` is a path index of the extended flow
    (the template itself when the variant is the same path) or -1 when the model has no such path."""

    def __init__(self, model: PlanningModel, flow: FlowPaths) -> None:
        self.flow, self.n_paths = flow, len(flow.paths)
        self.builder = PathVariants(model, flow.edges.edge_type, flow.edges.ref)
        self.made: dict[tuple[int, int, int, int], int] = {}
        self.paths: list[Path] = []

    def of(self, template: int, kind: int, stop: int | None = None, shift: int = 0) -> int:
        key = (template, kind, -1 if stop is None else stop, shift)
        if key not in self.made:
            path = self.builder.variant(self.flow.paths[template], kind, stop, shift)
            index = -1
            if path is not None and path.edges == self.flow.paths[template].edges:
                index = template
            elif path is not None:
                index = self.n_paths + len(self.paths)
                self.paths.append(path)
            self.made[key] = index
        return self.made[key]


def retime_dropped(
    model: PlanningModel, plan: IntegerPlan, rules: Rules, journey_of: JourneyOf, first: Consolidation,
    enabled: bool = True,
) -> Retiming:
    """Place the trucks ``first`` (the grouping of ``plan``) dropped (module docstring).

    ``journey_of(flow, path, trucks)`` gives the journey of a path (its convoy key and departure), None
    for a path that does not move. ``enabled=False``: drop them all, each with the plain reason."""
    flow, n_paths = plan.trucks, len(plan.trucks.paths)
    left = {j: n for j, n in first.dropped.items() if n > 0}
    if not left or not enabled:
        z = plan.trucks_int.copy()
        for j, n in left.items():
            z[j] -= n
        dropped = [DroppedTrucks(j, n, _reason(Counter(), rules)) for j, n in sorted(left.items())]
        return Retiming(flow, z, first, [], dropped)
    journeys: dict[int, Journey | None] = {j: journey_of(flow, j, 1) for j in range(n_paths) if plan.trucks_int[j] > 0}

    def departs(p: int) -> float:
        journey = journeys[p]
        return journey.departs_min if journey is not None else 0.0

    in_convoys = sorted({ref for group in first.convoys for ref, _ in group.members})

    templates_of: dict[int, list[int]] = {}

    def nearest_templates(j: int) -> list[int]:
        """The convoy members nearest ``j`` in departure, and ``j`` itself (sorted once per ``j``)."""
        if j not in templates_of:
            nearest_first = sorted(in_convoys, key=lambda t: (abs(departs(t) - departs(j)), t))
            templates_of[j] = [j] + nearest_first[:NEAREST_TEMPLATES]
        return templates_of[j]

    made = _Candidates(model, flow)
    options: dict[tuple[int, int], list[int]] = {}  # (template, dropped path) -> candidate paths
    slot_min = float(model.terms.grid.length_min.min())
    reach = min(MAX_SHIFT_SLOTS, int(np.ceil(rules.marshalling_minutes / slot_min)) + 1)
    for j in left:
        kind, end = int(flow.kind[j]), int(flow.end_place[j])
        for t in nearest_templates(j) + [i for i in left if i != j]:
            shifts = range(-reach, reach + 1) if t == j else (-1, 0, 1)
            found = {made.of(t, kind, stop, shift) for shift in shifts for stop in (None, end)}
            options[(t, j)] = sorted(c for c in found if c >= 0)
    n_kinds = len(model.scenario.commodities)
    fill = [c for t in in_convoys for kind in range(n_kinds) if (c := made.of(t, kind)) >= 0]
    ext = extended(flow, made.paths, model)
    journeys = _Journeys(journeys, lambda p: journey_of(ext, p, 1), range(n_paths, len(ext.paths)))
    z = np.concatenate([plan.trucks_int.astype(np.int64), np.zeros(len(made.paths), dtype=np.int64)])
    for j, n in left.items():
        z[j] -= n
    valuer = _Valuer(model, ext, plan.people, plan.people_int)
    search = _Search(model, rules, journeys, z, PathLimits.of(model, ext, z), valuer, plan.people_int,
                     reasons={j: Counter() for j in left})
    floors = QuotaFloors(model, ext)
    search.floors = floors if floors.n_rows else None
    search.base_drops = search.drops()
    order = sorted(left, key=lambda r: (departs(r), r))

    def nearest(j: int) -> list[int]:
        return [c for t in nearest_templates(j) for c in options.get((t, j), [])]

    retimed = 0
    # 1. Join a convoy that goes.
    for j in order:
        while left[j] > 0:
            near = nearest(j)
            if not near:
                search.reasons[j]["no convoy of its commodity's origin to join"] += 1
                break
            gains = search.gains(near)  # z changes only when a try succeeds, which ends the tries
            best_first = sorted(range(len(near)), key=lambda i: -gains[i])
            if not any(search.try_add(j, near[i], search.base_drops, float(gains[i])) for i in best_first):
                break
            left[j] -= 1
            retimed += 1
    # 2. Merge what is left into groups that reach min_trucks.
    for j in order:
        if left[j] <= 0 or search.limits.fits(j, left[j]) is not None:
            continue
        saved, saved_left, saved_retimed = search.snapshot(), dict(left), retimed
        search.move(j, left[j])
        left[j] = 0
        for i in sorted(left, key=lambda r: (abs(departs(r) - departs(j)), r)):
            for candidate in options.get((j, i), []):
                while left[i] > 0 and search.drops() > search.base_drops:
                    if not search.try_add(i, candidate, 10**9):
                        break
                    left[i] -= 1
                    retimed += 1
        if search.drops() > search.base_drops:
            search.restore(saved)
            left, retimed = saved_left, saved_retimed
            search.reasons[j][f"too few trucks could be re-timed with it to reach min_trucks {rules.min_trucks}"] += 1
    # 3. Swap loads: the dropped truck's load in place of a convoy's load worth less there.
    swapped: Counter[tuple[int, int]] = Counter()  # (convoy path whose load stays, dropped path whose load rides)
    banned: set[tuple[int, int]] = set()
    for j in order:
        while left[j] > 0:
            best: tuple[int, int] | None = None
            best_gain = TOL
            for t in nearest_templates(j)[1:]:
                if search.z[t] <= 0 or int(flow.kind[t]) == int(flow.kind[j]):
                    continue
                search.move(t, -1)
                loss = search.gain(t)  # what the load taken out was worth
                for c in options.get((t, j), []):
                    journey_c, journey_t = journeys[c], journeys[t]
                    same_convoy = journey_c is not None and journey_t is not None and journey_c.key == journey_t.key
                    if (t, c) in banned or not same_convoy:
                        continue
                    if search.gain(c) - loss > best_gain and search.limits.fits(c) is None:
                        best, best_gain = (t, c), search.gain(c) - loss
                search.move(t, 1)
            if best is None:
                break
            search.move(best[0], -1)
            search.move(best[1], 1)
            if search.drops() > search.base_drops:  # a slot earlier or later can regroup
                search.move(best[1], -1)
                search.move(best[0], 1)
                banned.add(best)
                continue
            left[j] -= 1
            swapped[(best[0], j)] += 1
    # 4. Fill the convoys that go with stock left over.
    added = 0
    for _ in range(3):
        before = added
        gains = search.gains(fill) if fill else np.zeros(0)
        order = [fill[i] for i in np.argsort(-gains, kind="stable") if gains[i] > TOL]
        fitting: np.ndarray | None = search.limits.fitting(order)  # each path's ``fits``, kept up to date
        rechecks = REFITS_PER_ROUND
        for i, c in enumerate(order):
            while (bool(fitting[i]) if fitting is not None else search.limits.fits(c) is None) and search.gain(c) > TOL:
                search.z[c] += 1
                if search.drops() > search.base_drops:
                    search.z[c] -= 1
                    break
                search.limits.add(c, 1)
                added += 1
                if fitting is not None and rechecks > 0:
                    search.limits.refit(fitting, order, c)
                    rechecks -= 1
                else:
                    fitting = None  # many trucks added: ask path by path from here on
        if added == before:
            break
    final = search.grouped()
    z = search.z
    for p, n in final.dropped.items():
        z[p] -= n
    new_paths = [int(p) for p in range(n_paths, len(z)) if z[p] > 0]
    swaps = sum(swapped.values())
    dropped = [DroppedTrucks(j, n, _reason(search.reasons[j], rules)) for j, n in sorted(left.items()) if n > 0]
    for (t, j), n in sorted(swapped.items()):
        rides = model.scenario.commodities[int(flow.kind[j])].id
        dropped.append(DroppedTrucks(t, n, f"a {rides} load dropped from a group below min_trucks {rules.min_trucks} "
                                           "rides in its place in the convoy, worth more there"))
        left[t] = left.get(t, 0) + n  # as many trucks stay as before; only the load changed
    rest = {p: n for p, n in final.dropped.items() if n > 0}
    dropped += [DroppedTrucks(int(p), n, "the convoy rules left it out after re-timing")
                for p, n in sorted(rest.items())]
    totals = {p: rest.get(p, 0) + left.get(p, 0) for p in set(rest) | set(left)}
    final.dropped = {p: n for p, n in totals.items() if n > 0}
    return Retiming(ext, z, final, new_paths, dropped, retimed, swaps, added)


def _reason(seen: Counter[str], rules: Rules) -> str:
    head = f"its group is below min_trucks {rules.min_trucks}"
    if not seen:
        return head
    tried = "; ".join(f"{why} ({n}×)" if n > 1 else why for why, n in seen.most_common(3))
    return f"{head}; re-timing failed: {tried}"
