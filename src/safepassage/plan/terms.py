"""What a proposal means for the network, slot by slot: which places are open, which pause-only roads
are usable, which commodities are admitted on which day, which daily quotas hold.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from safepassage.plan.time_grid import TimeGrid, build_time_grid
from safepassage.scenario.checks import require_plannable
from safepassage.scenario.coverage import covered_road_mask, covered_zone_ids
from safepassage.scenario.model import Horizon, PlaceKind, Proposal, Quota, Scenario

__all__ = ["Terms", "resolve_terms", "DayQuota", "WindowSpan"]


@dataclass(frozen=True)
class DayQuota:
    """One daily quota in force on one local day: crossings (place indices), commodities (indices).

    ``during_window``: None — the whole day; True — only the day's slots inside a window (a proposal's
    quota); False — only those outside (the policy's quota on a day a window covers in part). On a
    day split this way each quota is prorated by the share of the day's hours it covers."""

    day: int
    trucks_per_day: float
    places: tuple[int, ...]
    commodities: tuple[int, ...]
    label: str
    during_window: bool | None = None


@dataclass(frozen=True)
class WindowSpan:
    """One occurrence of a pause window on the grid: minutes from the horizon start (absolute time),
    and the roads it covers (bool per ``scenario.roads``, by the rule in ``scenario/coverage.py``)."""

    start_min: float
    end_min: float
    roads: np.ndarray  # bool (R,)


@dataclass(frozen=True)
class Terms:
    """Slot masks for one proposal over one scenario (index order: scenario.places/roads/commodities)."""

    scenario: Scenario
    proposal: Proposal
    grid: TimeGrid
    place_open: np.ndarray  # bool (P, T): the place can be departed from / offloads in slot t
    road_usable: np.ndarray  # bool (R, T): a pause-only road is covered by a window in slot t (True for others)
    window_active: np.ndarray  # bool (T,): some window of the proposal is active
    zone_covered: np.ndarray  # bool (Z, T): some window covers the zone in slot t
    admitted_slots: np.ndarray  # bool (K, T): commodity may leave a crossing in slot t
    slot_day: np.ndarray  # int (T,): local day of each slot
    quotas: list[DayQuota]
    window_spans: list[WindowSpan]  # every occurrence of every window, in minutes, with the roads it covers

    @property
    def admitted(self) -> np.ndarray:
        """bool (K, D): the commodity may cross at some time on local day d."""
        out = np.zeros((self.admitted_slots.shape[0], self.n_days), dtype=bool)
        for k in range(out.shape[0]):
            out[k, np.unique(self.slot_day[self.admitted_slots[k]])] = True
        return out

    @property
    def n_days(self) -> int:
        return int(self.slot_day.max()) + 1


def resolve_terms(scenario: Scenario, proposal: Proposal, horizon: Horizon | None = None) -> Terms:
    """Masks and quotas for ``proposal`` on ``scenario`` over ``horizon`` (default: the scenario's)."""
    require_plannable(scenario)  # the same checks as ``validate``: nothing valid fails here for data reasons
    horizon = horizon or scenario.horizon
    breakpoints = [t for w in proposal.windows for occ in w.occurrences() for t in occ]
    grid0 = build_time_grid(horizon, scenario.timezone)
    opening_points = [m for p in scenario.places if p.opening_hours for span in grid0.opening_spans(p.opening_hours) for m in span]
    margin = dt.timedelta(hours=horizon.fine_margin_hours)
    fine_spans = [(t - margin, t + margin) for t in breakpoints]
    grid = build_time_grid(horizon, scenario.timezone, breakpoints, opening_points, fine_spans)
    n_slots = grid.n_slots
    place_index = {p.id: i for i, p in enumerate(scenario.places)}
    zone_index = {z.id: i for i, z in enumerate(scenario.zones)}
    commodity_index = {c.id: i for i, c in enumerate(scenario.commodities)}

    place_open = np.zeros((len(scenario.places), n_slots), dtype=bool)
    for i, place in enumerate(scenario.places):
        if place.closed and place.id not in proposal.opens:
            continue
        place_open[i] = grid.mask_between(grid.opening_spans(place.opening_hours))

    window_active = np.zeros(n_slots, dtype=bool)
    zone_covered = np.zeros((len(scenario.zones), n_slots), dtype=bool)
    road_covered = np.zeros((len(scenario.roads), n_slots), dtype=bool)
    spans: list[WindowSpan] = []
    for window in proposal.windows:
        minutes = [(grid.to_minutes(a), grid.to_minutes(b)) for a, b in window.occurrences()]
        mask = grid.mask_between(minutes)
        window_active |= mask
        # The one coverage rule (scenario/coverage.py), shared with the simulation and the formats.
        roads = np.array(covered_road_mask(scenario, window), dtype=bool)
        zone_covered[[zone_index[z] for z in covered_zone_ids(scenario, window)]] |= mask
        road_covered[roads] |= mask
        spans += [WindowSpan(lo, hi, roads) for lo, hi in minutes]
    road_usable = np.ones((len(scenario.roads), n_slots), dtype=bool)
    for r, road in enumerate(scenario.roads):
        if road.requires_pause:
            road_usable[r] = road_covered[r]

    slot_day = grid.local_day_index()
    n_days = int(slot_day.max()) + 1
    restricted = set(scenario.policy.restricted_commodities)
    # A restricted commodity a proposal admits may cross while one of its windows is active.
    admitted = np.ones((len(scenario.commodities), n_slots), dtype=bool)
    for k, commodity in enumerate(scenario.commodities):
        if commodity.id in restricted:
            admitted[k] = window_active if commodity.id in proposal.admits else False

    crossings = tuple(i for i, p in enumerate(scenario.places) if p.kind == PlaceKind.crossing)

    def day_quota(quota: Quota, day: int, label: str, share: float, during: bool | None) -> DayQuota:
        places = tuple(place_index[p] for p in quota.places) if quota.places else crossings
        commodities = tuple(commodity_index[c] for c in quota.commodities) if quota.commodities else tuple(range(len(scenario.commodities)))
        return DayQuota(day, quota.trucks_per_day * share, places, commodities, label, during)

    hours = grid.length_min / 60.0
    quotas: list[DayQuota] = []
    for day in range(n_days):
        in_day = slot_day == day
        covered = float(hours[in_day & window_active].sum()) / float(hours[in_day].sum())
        policy = [(q, f"policy.daily_quotas[{i}]") for i, q in enumerate(scenario.policy.daily_quotas)]
        if proposal.quotas is None or covered == 0.0:
            quotas += [day_quota(q, day, label, 1.0, None) for q, label in policy]
            continue
        quotas += [day_quota(q, day, f"{proposal.id}.quotas[{i}]", covered, True) for i, q in enumerate(proposal.quotas)]
        if covered < 1.0:
            quotas += [day_quota(q, day, label, 1.0 - covered, False) for q, label in policy]
    return Terms(scenario, proposal, grid, place_open, road_usable, window_active, zone_covered, admitted, slot_day, quotas, spans)
