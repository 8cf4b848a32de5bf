"""What a proposal means for the network, slot by slot: which places are open, which pause-only roads
are usable, which commodities are admitted on which day, which quotas hold (``plan/quotas.py``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from safepassage.plan.quotas import DayQuota, agreement_periods_min, resolve_quotas
from safepassage.plan.time_grid import TimeGrid, build_time_grid
from safepassage.scenario.checks import require_plannable
from safepassage.scenario.coverage import covered_road_mask, covered_zone_ids
from safepassage.scenario.model import Horizon, Proposal, Scenario

__all__ = ["Terms", "resolve_terms", "DayQuota", "WindowSpan"]


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
    quotas: list[DayQuota]  # ceilings (plan/quotas.py)
    window_spans: list[WindowSpan]  # every occurrence of every window, in minutes, with the roads it covers
    quota_floors: list[DayQuota] = field(default_factory=list)  # floors and shares (plan/quotas.py)

    @property
    def admitted(self) -> np.ndarray:
        """bool (K, D): the commodity may cross at some time on local day d."""
        out = np.zeros((self.admitted_slots.shape[0], self.n_days), dtype=bool)
        for k in range(out.shape[0]):
            out[k, np.unique(self.slot_day[self.admitted_slots[k]])] = True
        return out

    @property
    def place_open_ever(self) -> np.ndarray:
        """bool (P,): the place is open at some time in the horizon."""
        return np.asarray(self.place_open.any(axis=1), dtype=bool)

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
    if any(q.during_agreement_hours for q in proposal.quotas or []):
        opening_points += [m for span in agreement_periods_min(proposal, grid0) for m in span]  # the agreement's days
    margin = dt.timedelta(hours=horizon.fine_margin_hours)
    fine_spans = [(t - margin, t + margin) for t in breakpoints]
    grid = build_time_grid(horizon, scenario.timezone, breakpoints, opening_points, fine_spans)
    n_slots = grid.n_slots
    zone_index = {z.id: i for i, z in enumerate(scenario.zones)}

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
    restricted = set(scenario.policy.restricted_commodities)
    # A restricted commodity a proposal admits may cross while one of its windows is active.
    admitted = np.ones((len(scenario.commodities), n_slots), dtype=bool)
    for k, commodity in enumerate(scenario.commodities):
        if commodity.id in restricted:
            admitted[k] = window_active if commodity.id in proposal.admits else False

    quotas, floors = resolve_quotas(scenario, proposal, grid, slot_day, window_active)
    return Terms(scenario, proposal, grid, place_open, road_usable, window_active, zone_covered, admitted, slot_day, quotas, spans, floors)
