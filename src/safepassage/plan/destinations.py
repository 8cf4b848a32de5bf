"""People choose among destinations, and shelters hold only so many.

An origin's people end at a safe place of their destination zones (its shelters or reception areas
where it has them). Which one is a stated rule, the origin's ``evacuation.destination_split``:

- ``nearest``: no row; the planner sends them where they arrive earliest (the objective's earliness).
- ``preference`` / ``capacity``: over the safe places D_o the origin can reach in the horizon (some
  walking movement of it ends there), each place d takes the share w̃_d = w_d / Σ_{D_o} w of the
  origin's arrivals A_o,d, w_d its ``preference_weight`` or ``capacity_people``:

      A_o,d − w̃_d · Σ_{e ∈ D_o} A_o,e = 0     for every d ∈ D_o (|D_o| ≥ 2)

A place's ``capacity_people`` (people it can take in over the horizon) holds under every rule, for
everyone arriving there to stay:

      Σ_o A_o,d ≤ capacity_people[d]

When a place is full (``evacuation.when_full``):

- ``redirect`` (default): people who would have gone to a full place go to the others. With F_o the
  full places of o's split and R_o = D_o − F_o the rest, o's people split over R_o by the rule's
  weights renormalised over R_o, and a full place takes at most its share of all of o's arrivals:

      A_o,d − (w_d / Σ_{R_o} w) · Σ_{e ∈ R_o} A_o,e = 0     for d ∈ R_o (|R_o| ≥ 2)
      A_o,d − w̃_d · Σ_{e ∈ D_o} A_o,e ≤ 0                  for d ∈ F_o

  Which places are full is found by solving (``newly_full``): the planner solves with F empty, adds
  the places of a split whose capacity row binds, and solves again until no new place fills (at most
  one round per place with a capacity; the rows only grow looser, so the objective never falls).
- ``stop``: the split holds as stated, so a full place stops the origin's arrivals everywhere.

Column generation does not price these rows (``plan/colgen``): a scenario with either plans on the
whole LP.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from safepassage.plan.lp_build import PlanningModel
    from safepassage.scenario.model import Scenario

__all__ = ["define_destination_constraints", "has_destination_rules", "newly_full", "split_weights"]


def has_destination_rules(scenario: Scenario) -> bool:
    """Whether any origin splits people by a rule other than ``nearest``, or any place has a capacity."""
    return any(z.evacuation is not None and z.evacuation.destination_split != "nearest" for z in scenario.zones) or any(
        p.capacity_people is not None for p in scenario.places
    )


def split_weights(scenario: Scenario, zone_index: int, places: list[int]) -> np.ndarray:
    """The split rule's weight of each of ``places`` for the origin zone ``zone_index`` (unnormalised)."""
    evacuation = scenario.zones[zone_index].evacuation
    assert evacuation is not None
    field = "preference_weight" if evacuation.destination_split == "preference" else "capacity_people"
    return np.array([float(getattr(scenario.places[d], field) or 0.0) for d in places])


def _arrivals(model: PlanningModel) -> np.ndarray:
    """Indices of walking moves that end at a place safe for their origin."""
    people = model.people
    if not len(people):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(model.problem.safe_mask[model.arcs.head[people.arc], people.kind])


def define_destination_constraints(model: PlanningModel) -> None:
    """The ``destination_split`` and ``shelter_capacity`` rows (module doc)."""
    scenario, lp, people = model.scenario, model.lp, model.people
    y = model.col("y")
    arrives = _arrivals(model)
    head = model.arcs.head[people.arc[arrives]] if len(arrives) else np.zeros(0, dtype=np.int64)
    kind = people.kind[arrives] if len(arrives) else np.zeros(0, dtype=np.int64)
    labels = [p.id for p in scenario.places]

    rows: list[tuple[int, int, np.ndarray, np.ndarray, float]] = []  # (origin, place, columns, coefficients, lower)
    for o, z in enumerate(model.origins):
        evacuation = scenario.zones[z].evacuation
        if evacuation is None or evacuation.destination_split == "nearest":
            continue
        mine = kind == o
        reached = sorted(set(head[mine].tolist()))
        if len(reached) < 2:
            continue
        weights = split_weights(scenario, z, reached)
        full = [d for d in reached if (o, d) in model.full_places]
        rest = [d for d in reached if (o, d) not in model.full_places]
        total = weights.sum()
        share = dict(zip(reached, weights / total if total > 0 else np.zeros(len(reached))))
        for d in full:  # at most its share of everyone: its people go elsewhere, nobody comes instead
            rows.append((o, d, y.start + arrives[mine], np.where(head[mine] == d, 1.0 - share[d], -share[d]), -np.inf))
        if len(rest) < 2:
            continue
        among = np.isin(head[mine], rest)
        rest_total = float(sum(w for d, w in zip(reached, weights) if d in rest))
        for d in rest:
            w = float(weights[reached.index(d)]) / rest_total if rest_total > 0 else 0.0
            coefficient = np.where(head[mine][among] == d, 1.0 - w, -w)
            rows.append((o, d, y.start + arrives[mine][among], coefficient, 0.0))
    place_of = np.array([d for _, d, _, _, _ in rows], dtype=np.int64)
    origin_of = np.array([o for o, _, _, _, _ in rows], dtype=np.int64)  # in the block's slot field
    lower = np.array([low for *_, low in rows], dtype=float)
    block = lp.add_rows("destination_split", "people", lower, 0.0, place_of, origin_of, labels, unit="person")
    for r, (_, _, cols, coefficient, _) in enumerate(rows):
        lp.add_entries(np.full(len(cols), block.start + r), cols, coefficient)

    capacity = np.array([np.inf if p.capacity_people is None else p.capacity_people for p in scenario.places])
    limited = sorted({int(d) for d in head if np.isfinite(capacity[d])})
    block = lp.add_rows(
        "shelter_capacity", "people", -np.inf, capacity[limited] if limited else np.zeros(0),
        np.array(limited, dtype=np.int64), np.zeros(len(limited), dtype=np.int64), labels, unit="person",
    )
    for r, d in enumerate(limited):
        cols = y.start + arrives[head == d]
        lp.add_entries(np.full(len(cols), block.start + r), cols, 1.0)


def newly_full(
    model: PlanningModel, row_activity: np.ndarray, tolerance_people: float = 1e-6
) -> frozenset[tuple[int, int]]:
    """(origin kind, place) pairs to plan as full in the next round: places of a ``redirect`` split,
    not yet in ``model.full_places``, whose ``shelter_capacity`` row binds at ``row_activity`` (the
    built LP's row activities at its optimum; within ``tolerance_people``, relative to the capacity).
    Empty when nothing changes (module doc)."""
    names = {b.name for b in model.lp.row_blocks}
    if "shelter_capacity" not in names or "destination_split" not in names:
        return frozenset()
    capacity = model.lp.row_block("shelter_capacity")
    split = model.lp.row_block("destination_split")
    activity = row_activity[capacity.slice()]
    upper = np.array([model.scenario.places[int(d)].capacity_people or 0.0 for d in capacity.entity])
    full = {int(d) for d, a, u in zip(capacity.entity, activity, upper) if a >= u - tolerance_people * max(1.0, u)}
    out = set()
    for o, d in zip(split.slot.tolist(), split.entity.tolist()):
        evacuation = model.scenario.zones[model.origins[o]].evacuation
        redirect = evacuation is not None and evacuation.when_full == "redirect"
        if redirect and d in full and (o, d) not in model.full_places:
            out.add((o, d))
    return frozenset(out)
