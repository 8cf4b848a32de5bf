"""Quotas as an agreement writes them: ceilings, floors and shares, per local day or per day of the
agreement, resolved into the slots where each one counts.

A scenario's ``Quota`` is "``trucks_per_day`` trucks crossing ``places`` with ``commodities``":

- a **ceiling** (the default): at most that many;
- a **floor** (``at_least: true``): at least that many ("at least 600 trucks a day");
- with ``zones`` and ``share``, a **share**: of the trucks the quota counts, at least ``share`` go to
  those zones ("half of them to the north"), counted where they are offloaded;
- with ``during_agreement_hours: true`` (a proposal's quota only), it counts the agreement's own days,
  not local calendar days: 24-hour periods from the first window's start (absolute minutes), and in
  each only the slots a window of the agreement is open. A truck crossing before a ceasefire starts
  is never counted under the ceasefire's quota.

A quota without ``during_agreement_hours`` keeps the local-day rule: the policy's quotas hold on days
no window touches; on a day a proposal's windows cover in part, the proposal's quotas count only the
slots inside its windows and the policy's only those outside, each prorated by the hours it covers.
A floor is further prorated by the share of its local day inside the horizon (a horizon that starts
at 07:00 has 17 of its first day's 24 hours), and an agreement-hours quota by the share of the
agreement's day inside the horizon.

Every quota becomes one ``DayQuota`` per period, with the boolean mask of the slots whose departures
from its crossings it counts (``slots``) and the period's slots (``period_slots``, where offloads in
a share's zones are counted). Ceilings go to ``Terms.quotas``; floors and shares to
``Terms.quota_floors`` (a floor with a share gives one entry that is both). See ``docs/agreements.md``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from safepassage.plan.time_grid import TimeGrid
from safepassage.scenario.model import PlaceKind, Proposal, Quota, Scenario

__all__ = ["DayQuota", "agreement_periods_min", "outside_places", "resolve_quotas"]

MINUTES_PER_DAY = 1440.0


@dataclass(frozen=True, eq=False)
class DayQuota:
    """One quota in force over one counting period: crossings (place indices), commodities (indices).

    ``day``: the period's index — the local day, or the agreement's day when ``agreement_hours``.
    ``during_window``: None — the whole day; True — only the day's slots inside a window (a proposal's
    quota); False — only those outside (the policy's quota on a day a window covers in part).
    ``trucks_per_day``: the figure for this period, prorated as the module doc says.
    ``slots`` (bool (T,)): the slots whose departures from ``places`` it counts; ``period_slots``
    (bool (T,)): the whole period, where a share's offloads in ``zones`` (zone indices) are counted.
    ``start_min``/``end_min``: the period in minutes from the horizon start (absolute time)."""

    day: int
    trucks_per_day: float
    places: tuple[int, ...]
    commodities: tuple[int, ...]
    label: str
    during_window: bool | None = None
    at_least: bool = False
    zones: tuple[int, ...] = ()
    share: float | None = None
    agreement_hours: bool = False
    start_min: float = 0.0
    end_min: float = 0.0
    slots: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    period_slots: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    @property
    def trucks_whole(self) -> float:
        """The figure in whole trucks: a ceiling rounds down, a floor up (no half trucks either way)."""
        if self.at_least:
            return float(np.ceil(self.trucks_per_day - 1e-9))
        return float(np.floor(self.trucks_per_day + 1e-9))


def _local_day_min(grid: TimeGrid, minute: float) -> float:
    """Length in minutes of the local day containing ``minute`` (23 or 25 hours on a clock change)."""
    day = grid.to_local(minute).date()
    midnight = dt.datetime.combine(day, dt.time())
    return grid.to_minutes(midnight + dt.timedelta(days=1)) - grid.to_minutes(midnight)


def outside_places(scenario: Scenario) -> frozenset[int]:
    """Places on the far side of the crossings (indices): those a truck reaches from a stock place
    outside every zone by roads that pass no crossing. A floor counts trucks *entering* from a crossing
    (leaving it for any other place) net of loaded trucks coming back into it from those places, so a
    truck driving round a crossing is counted once (``docs/agreements.md``)."""
    index = {p.id: i for i, p in enumerate(scenario.places)}
    crossing = {i for i, p in enumerate(scenario.places) if p.kind == PlaceKind.crossing}
    next_to: dict[int, list[int]] = {}
    for road in scenario.roads:
        a, b = index[road.from_], index[road.to]
        next_to.setdefault(a, []).append(b)
        if not road.one_way:
            next_to.setdefault(b, []).append(a)
    found = {index[s.place] for s in scenario.stocks if scenario.places[index[s.place]].zone is None} - crossing
    todo = list(found)
    while todo:
        for b in next_to.get(todo.pop(), []):
            if b not in found and b not in crossing:
                found.add(b)
                todo.append(b)
    return frozenset(found)


def agreement_periods_min(proposal: Proposal, grid: TimeGrid) -> list[tuple[float, float]]:
    """The agreement's days, in minutes from the horizon start: 24-hour periods from the start of its
    first window to the end of its last one (the last period is a whole day), clipped to the horizon.

    Absolute time: a clock change inside the agreement does not move its days."""
    spans = [(grid.to_minutes(a), grid.to_minutes(b)) for w in proposal.windows for a, b in w.occurrences()]
    if not spans:
        return []
    first, last = min(a for a, _ in spans), max(b for _, b in spans)
    out = []
    lo = first
    while lo < last:
        hi = lo + MINUTES_PER_DAY
        clipped = (max(lo, 0.0), min(hi, grid.horizon_min))
        if clipped[1] > clipped[0]:
            out.append(clipped)
        lo = hi
    return out


def resolve_quotas(
    scenario: Scenario, proposal: Proposal, grid: TimeGrid, slot_day: np.ndarray, window_active: np.ndarray
) -> tuple[list[DayQuota], list[DayQuota]]:
    """(ceilings, floors and shares) of ``proposal`` over ``grid``, each a ``DayQuota`` per period."""
    place_index = {p.id: i for i, p in enumerate(scenario.places)}
    zone_index = {z.id: i for i, z in enumerate(scenario.zones)}
    commodity_index = {c.id: i for i, c in enumerate(scenario.commodities)}
    crossings = tuple(i for i, p in enumerate(scenario.places) if p.kind == PlaceKind.crossing)
    hours = grid.length_min / 60.0
    start = grid.boundaries_min[:-1]
    found: list[DayQuota] = []

    def add(
        quota: Quota,
        day: int,
        label: str,
        part: float,
        during: bool | None,
        counted: np.ndarray,
        period: np.ndarray,
        span: tuple[float, float],
        agreement: bool,
    ) -> None:
        places = tuple(place_index[p] for p in quota.places) if quota.places else crossings
        commodities = (
            tuple(commodity_index[c] for c in quota.commodities)
            if quota.commodities
            else tuple(range(len(scenario.commodities)))
        )
        zones = tuple(zone_index[z] for z in quota.zones) if quota.zones else ()
        if quota.at_least and not agreement:
            part *= (span[1] - span[0]) / _local_day_min(grid, span[0])  # a floor over a day the horizon cuts short
        found.append(
            DayQuota(
                day,
                quota.trucks_per_day * part,
                places,
                commodities,
                label,
                during,
                quota.at_least,
                zones,
                quota.share,
                agreement,
                span[0],
                span[1],
                counted,
                period,
            )
        )

    policy = [(q, f"policy.daily_quotas[{i}]") for i, q in enumerate(scenario.policy.daily_quotas)]
    agreed = [(q, f"{proposal.id}.quotas[{i}]") for i, q in enumerate(proposal.quotas or [])]
    local_day = [(q, label) for q, label in agreed if not q.during_agreement_hours]
    for day in range(int(slot_day.max()) + 1):
        in_day = slot_day == day
        day_idx = np.flatnonzero(in_day)
        span = (float(grid.boundaries_min[day_idx[0]]), float(grid.boundaries_min[day_idx[-1] + 1]))
        covered = float(hours[in_day & window_active].sum()) / float(hours[in_day].sum())
        if proposal.quotas is None or covered == 0.0:
            for q, label in policy:
                add(q, day, label, 1.0, None, in_day, in_day, span, False)
            continue
        for q, label in local_day:
            add(q, day, label, covered, True, in_day & window_active, in_day, span, False)
        if covered < 1.0:
            for q, label in policy:
                add(q, day, label, 1.0 - covered, False, in_day & ~window_active, in_day, span, False)
    for day, (lo, hi) in enumerate(agreement_periods_min(proposal, grid)):
        period = (start >= lo) & (start < hi)
        part = (hi - lo) / MINUTES_PER_DAY
        for q, label in agreed:
            if q.during_agreement_hours:
                add(q, day, label, part, True, period & window_active, period, (lo, hi), True)
    ceilings = [q for q in found if not q.at_least]
    floors = [q for q in found if q.at_least or q.share is not None]
    return ceilings, floors
