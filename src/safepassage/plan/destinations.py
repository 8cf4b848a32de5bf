"""People choose among destinations, and shelters hold only so many.

An origin's people end at a safe place of their destination zones (its shelters or reception areas
where it has them). Which one is a stated rule, the origin's ``evacuation.destination_split``:

- ``nearest``: no row; the planner sends them where they arrive earliest (the objective's earliness).
- ``preference`` / ``capacity``: over the safe places D_o the origin can reach in the horizon (some
  walking movement of it ends there), each place d takes the share w̃_d = w_d / Σ_{D_o} w of the
  origin's arrivals, w_d its ``preference_weight`` or ``capacity_people``:

      Σ_{m: kind=o, head=d} y[m] − w̃_d · Σ_{m: kind=o, head ∈ D_o} y[m] = 0     for every d ∈ D_o (|D_o| ≥ 2)

A place's ``capacity_people`` (people it can take in over the horizon) holds under every rule, for
everyone arriving there to stay:

      Σ_{m: head=d safe for kind(m)} y[m] ≤ capacity_people[d]

So people do not redirect when the place they chose is full: under a split, a full place stops the
origin's arrivals everywhere (the rule's meaning: they choose by it). Column generation does not
price these rows (``plan/colgen``): a scenario with either plans on the whole LP.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from safepassage.plan.lp_build import PlanningModel
    from safepassage.scenario.model import Scenario

__all__ = ["define_destination_constraints", "has_destination_rules", "split_weights"]


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

    rows: list[tuple[int, int, np.ndarray, np.ndarray]] = []  # (origin, place, columns, coefficients)
    for o, z in enumerate(model.origins):
        evacuation = scenario.zones[z].evacuation
        if evacuation is None or evacuation.destination_split == "nearest":
            continue
        mine = kind == o
        reached = sorted(set(head[mine].tolist()))
        if len(reached) < 2:
            continue
        weights = split_weights(scenario, z, reached)
        total = weights.sum()
        share = weights / total if total > 0 else np.zeros(len(reached))
        for d, w in zip(reached, share):
            coefficient = np.where(head[mine] == d, 1.0 - w, -w)
            rows.append((o, d, y.start + arrives[mine], coefficient))
    place_of = np.array([d for _, d, _, _ in rows], dtype=np.int64)
    origin_of = np.array([o for o, _, _, _ in rows], dtype=np.int64)  # in the block's slot field
    block = lp.add_rows("destination_split", "people", 0.0, 0.0, place_of, origin_of, labels, unit="person")
    for r, (_, _, cols, coefficient) in enumerate(rows):
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
