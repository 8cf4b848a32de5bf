"""From one run's tallies to KPIs: the planner's ``ProposalKPIs`` (same counting rules and rounding, so
a run without disruptions can be compared field by field with the plan), and a flat vector of named
metrics that Monte Carlo summarises.

Counting rules (as in ``plan/result.py``): a truck *crosses* when it leaves a crossing, *arrives* when
it is offloaded at a distribution point. People *reach safety* when they arrive from a zone that
evacuates; people of a zone making a return (``movement: return``) are *returned*, and people stopped
at screening are *detained* or *turned back*: each counted apart, never as reaching safety. Aid arriving damaged is counted in ``tonnes_damaged`` and not
towards need met or ``tonnes_arrived`` (which is good aid only).
"""

from __future__ import annotations

import numpy as np

from safepassage.plan.result import ProposalKPIs
from safepassage.simulate.execution import Outcome
from safepassage.simulate.world import SimulationWorld

__all__ = ["outcome_kpis", "metric_names", "metric_vector", "outcome_need", "outcome_value"]


def _hours_to(world: SimulationWorld, people_by_boundary: np.ndarray, share: float) -> float | None:
    wanting = world.wanting
    cumulative = np.cumsum(people_by_boundary)
    if wanting <= 0 or cumulative[-1] < share * wanting or cumulative[-1] == 0:
        return None
    first = int(np.searchsorted(cumulative, share * wanting - 1e-9))
    return round(float(world.boundaries_min[first]) / 60.0, 2)


def outcome_need(world: SimulationWorld, outcome: Outcome | None) -> np.ndarray:
    """(Z, K) need over the horizon: the world's, moved with the people who arrived in this run when
    the scenario's needs follow people (the planner's rule, ``plan/moving_need.py``)."""
    if outcome is None or outcome.presence_days is None or not world.scenario.objective.needs_follow_people:
        return world.need_units
    return world.need_units + world.need_ppd * outcome.presence_days[:, None]


def outcome_kpis(world: SimulationWorld, outcome: Outcome) -> ProposalKPIs:
    """The run's KPIs in the planner's shape (good aid only in quantities, tonnes and need met)."""
    scenario = world.scenario
    commodities = [c.id for c in scenario.commodities]
    good = outcome.good_units.sum(axis=0)
    by_zone = {
        zone.id: {c: round(float(outcome.good_units[z, k]), 3) for k, c in enumerate(commodities) if outcome.good_units[z, k] > 0}
        for z, zone in enumerate(scenario.zones)
    }
    need = outcome_need(world, outcome)
    need_met = {
        zone.id: {c: round(float(outcome.good_units[z, k]) / need[z, k], 6) for k, c in enumerate(commodities) if need[z, k] > 0}
        for z, zone in enumerate(scenario.zones)
    }
    by_day: dict[str, dict[str, float]] = {}
    for b in np.flatnonzero(outcome.good_units_by_boundary.sum(axis=1) > 0):
        day = by_day.setdefault(world.boundary_date[b], {})
        for k in np.flatnonzero(outcome.good_units_by_boundary[b] > 0):
            day[commodities[k]] = day.get(commodities[k], 0.0) + float(outcome.good_units_by_boundary[b, k]) * world.tonnes_per_unit[k]
    safe_by_day, returned_by_day = _by_day(world, outcome.people_by_boundary), _by_day(world, outcome.returned_by_boundary)
    return ProposalKPIs(
        trucks_crossed={c: int(outcome.trucks_crossed[k]) for k, c in enumerate(commodities)},
        trucks_arrived={c: int(outcome.trucks_arrived[k]) for k, c in enumerate(commodities)},
        tonnes_arrived={c: round(float(good[k] * world.tonnes_per_unit[k]), 3) for k, c in enumerate(commodities)},
        quantity_arrived={c: round(float(good[k]), 3) for k, c in enumerate(commodities)},
        arrived_by_zone=by_zone,
        need_met=need_met,
        people_reached_safety=outcome.people_reached_safety,
        people_wanting_to_leave=world.wanting,
        hours_to_50pct_safe=_hours_to(world, outcome.people_by_boundary, 0.5),
        hours_to_90pct_safe=_hours_to(world, outcome.people_by_boundary, 0.9),
        arrivals_by_day={d: {c: round(v, 3) for c, v in sorted(values.items())} for d, values in sorted(by_day.items())},
        safe_by_day=safe_by_day,
        people_returned=outcome.people_returned,
        people_wanting_to_return=world.wanting_to_return,
        returned_by_day=returned_by_day,
        people_detained=round(float(outcome.people_detained), 1),
        people_turned_back=round(float(outcome.people_turned_back), 1),
    )


def _by_day(world: SimulationWorld, by_boundary: np.ndarray | None) -> dict[str, int]:
    """People per local date from a per-boundary count (dates in order)."""
    out: dict[str, int] = {}
    if by_boundary is None:
        return out
    for b in np.flatnonzero(by_boundary):
        out[world.boundary_date[b]] = out.get(world.boundary_date[b], 0) + int(by_boundary[b])
    return dict(sorted(out.items()))


def outcome_value(world: SimulationWorld, good_units: np.ndarray, people_by_boundary: np.ndarray, need: np.ndarray | None = None) -> float:
    """Person-days of value, by the planner's objective: priority-weighted need met in diminishing tiers
    plus people reaching safety (earlier worth more). Left out: the small earliness bonus on aid and
    the truck-hour cost, which rank plans rather than measure what reached people."""
    objective = world.scenario.objective
    shares = np.array([0.0] + [t.up_to_share for t in objective.tiers])
    weights = np.array([t.weight for t in objective.tiers])
    need = world.need_units if need is None else need  # ``outcome_need``: moved with the run's people
    with np.errstate(divide="ignore", invalid="ignore"):
        per_unit = np.where(world.need_ppd > 0, world.priority[None, :] / world.need_ppd, 0.0)
    value = 0.0
    for j in range(len(weights)):
        filled = np.clip(good_units - shares[j] * need, 0.0, (shares[j + 1] - shares[j]) * need)
        value += float((filled * per_unit).sum() * weights[j])
    earliness = 1.0 + objective.earliness_bonus * (1.0 - world.boundaries_min / world.horizon_min)
    value += float(objective.person_days_per_person_safe * (people_by_boundary * earliness).sum())
    return value


def metric_names(world: SimulationWorld) -> list[str]:
    """Names of the metrics in ``metric_vector``, in order (dots separate commodity and zone)."""
    scenario = world.scenario
    commodities = [c.id for c in scenario.commodities]
    names = ["value", "trucks_arrived", "tonnes_arrived", "people_reached_safety", "hours_to_50pct_safe", "hours_to_90pct_safe", "trucks_rejected", "replans"]
    names += [f"trucks_arrived.{c}" for c in commodities]
    names += [f"tonnes_arrived.{c}" for c in commodities]
    names += [f"tonnes_damaged.{c}" for c in commodities]
    for zone in scenario.zones:
        names += [f"tonnes_arrived.{zone.id}.{c}" for c in commodities]
    for z, zone in enumerate(scenario.zones):
        names += [f"need_met.{zone.id}.{c}" for k, c in enumerate(commodities) if world.need_units[z, k] > 0]
    names += [f"tonnes_removed.{c}" for c in commodities]
    names += ["people_returned", "people_detained", "people_turned_back"]
    return names


def metric_vector(world: SimulationWorld, outcome: Outcome) -> np.ndarray:
    """One run's metrics (NaN for hours to 50% / 90% safe when that share is never reached)."""
    tonnes = world.tonnes_per_unit
    good = outcome.good_units * tonnes[None, :]
    damaged = outcome.damaged_units.sum(axis=0) * tonnes
    hours50 = _hours_to(world, outcome.people_by_boundary, 0.5)
    hours90 = _hours_to(world, outcome.people_by_boundary, 0.9)
    head = [
        outcome_value(world, outcome.good_units, outcome.people_by_boundary, outcome_need(world, outcome)), float(outcome.trucks_arrived.sum()), float(good.sum()),
        float(outcome.people_reached_safety), np.nan if hours50 is None else hours50, np.nan if hours90 is None else hours90, float(outcome.trucks_rejected), float(outcome.replans),
    ]
    need = outcome_need(world, outcome)
    static = world.need_units  # the metric names list the pairs with a static need
    with np.errstate(divide="ignore", invalid="ignore"):
        need_met = (outcome.good_units / np.where(need > 0, need, 1.0))[static > 0]
    removed = (outcome.removed_units.sum(axis=0) if outcome.removed_units is not None else np.zeros(len(tonnes))) * tonnes
    people_apart = np.array([float(outcome.people_returned), float(outcome.people_detained), float(outcome.people_turned_back)])
    return np.concatenate([np.array(head), outcome.trucks_arrived.astype(float), good.sum(axis=0), damaged, good.ravel(), need_met, removed, people_apart])
