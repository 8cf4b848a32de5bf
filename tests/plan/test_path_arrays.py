"""The integer step's per-path helpers read every path at once from arrays (``PathEdgeArrays``) and give
the same numbers, to the last bit, as a Python loop over each path's edges (the code before them):

- ``PathEdgeArrays.sums``: each path's sum is the float of ``values[path].sum()``, for any lengths;
- the truck paths' linear value, the people paths' (with screening points that stop people), the
  departure slots and the decoded legs, on plans of a synthetic scenario, of the corridor test
  scenario (people through a screening point) and of the Gaza week's ceasefire (slow); and the
  segments ``PathVariants`` reads a template into (now a walk over lists, before NumPy calls);
- the Gaza week's five plans keep their values, bounds and convoys (slow; pinned at c573513, the tree
  before the vectorised helpers: a change here is a change of the plans, not of their speed).
"""

from __future__ import annotations

from pathlib import Path as FilePath

import numpy as np
import pytest
import yaml

from safepassage.plan.aggregate import solve_planning_lp
from safepassage.plan.decompose import Path, PathEdgeArrays
from safepassage.plan.integer import (
    DecodedPath,
    FlowPaths,
    IntegerPlan,
    _people_linear,
    _Valuer,
    decode_paths,
    path_departure_slot,
    round_and_repair,
)
from safepassage.plan.lp_build import PlanningModel, build_planning_model
from safepassage.plan.network import screening_processed_per_leaving
from safepassage.plan.path_variants import PathVariants, extended
from safepassage.scenario import load_scenario
from safepassage.scenario.model import Scenario
from safepassage.testing.synthetic import synthetic_scenario

CORRIDOR = FilePath(__file__).resolve().parents[1] / "scenarios" / "corridor.yaml"


def _loop_linear(cost: np.ndarray, flow: FlowPaths) -> np.ndarray:
    return np.array([cost[flow.edges.ref[path.edges]].sum() for path in flow.paths])


def _loop_people_linear(model: PlanningModel, people: FlowPaths, cost: np.ndarray) -> np.ndarray:
    processed = screening_processed_per_leaving(model.scenario)
    y = model.col("y")
    out = np.zeros(len(people.paths))
    for j, path in enumerate(people.paths):
        weight, total = 1.0, 0.0
        for edge in reversed(path.edges):
            ref = int(people.edges.ref[edge])
            total += weight * cost[ref]
            if people.edges.edge_type[edge] == 0:
                weight *= processed[model.arcs.tail[model.people.arc[ref - y.start]]]
        out[j] = total
    return out


def _loop_departure(trucks: FlowPaths) -> np.ndarray:
    edges = trucks.edges
    return np.array(
        [edges.source_row[next((e for e in p.edges if edges.edge_type[e] != 1), p.edges[-1])] for p in trucks.paths],
        dtype=np.int64,
    )


def _loop_decode(model: PlanningModel, flow: FlowPaths, amounts: np.ndarray, block_name: str) -> list[DecodedPath]:
    block = model.col(block_name)
    moves = model.trucks if block_name == "x" else model.people
    out = []
    for j, amount in enumerate(amounts):
        if amount <= 0:
            continue
        legs = tuple(
            (int(moves.arc[m]), int(moves.dep[m]), int(moves.arr[m]))
            for e in flow.paths[j].edges if flow.edges.edge_type[e] == 0
            for m in [int(flow.edges.ref[e]) - block.start]
        )
        out.append(DecodedPath(int(flow.kind[j]), int(amount), legs, int(flow.end_place[j]), int(flow.end_slot[j])))
    return out


def _numpy_segments(builder: PathVariants, template: Path) -> list[tuple[int, int, int]] | None:
    """``PathVariants._segments`` as it was written with NumPy (before the walk over Python lists)."""
    edges = np.asarray(template.edges, dtype=np.int64)
    types, columns = builder.edge_type[edges], builder.ref[edges]
    moving = np.flatnonzero(types != 1)
    if not (len(moving) and types[moving[0]] == 0):
        return None
    types, columns = types[moving[0]:], columns[moving[0]:].astype(np.int64)
    block_start = np.array([builder.x.start, builder.s.start, builder.u.start], dtype=np.int64)
    offset = columns - block_start[types]
    follows = np.zeros(len(types), dtype=bool)
    both_waits = (types[1:] == 1) & (types[:-1] == 1)
    follows[1:] = both_waits & (offset[1:] == offset[:-1] + 1) & (offset[1:] % builder.n_slots != 0)
    starts = np.flatnonzero(~follows)
    lengths = np.diff(np.append(starts, len(types)))
    return [(int(t), int(o), int(n) if t == 1 else 0)
            for t, o, n in zip(types[starts].tolist(), offset[starts].tolist(), lengths.tolist(), strict=True)]


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and bool(np.all(a.view(np.uint8) == b.view(np.uint8)))


def _plan(scenario: Scenario, proposal: str) -> tuple[PlanningModel, IntegerPlan]:
    model = build_planning_model(scenario, scenario.proposal(proposal))
    return model, round_and_repair(model, solve_planning_lp(model))


def _with_variants(model: PlanningModel, trucks: FlowPaths) -> FlowPaths:
    """The plan's truck paths and their variants (every commodity, a slot earlier or later): longer and
    more varied paths than the LP's own."""
    builder = PathVariants(model, trucks.edges.edge_type, trucks.edges.ref)
    made = [v for p in trucks.paths for k in range(len(model.scenario.commodities)) for s in (-1, 0, 1)
            if (v := builder.variant(p, k, None, s)) is not None]
    return extended(trucks, made, model)


def _check_helpers(model: PlanningModel, plan: IntegerPlan) -> None:
    cost = np.concatenate(model.lp.cost)
    valuer = _Valuer(model, plan.trucks, plan.people, plan.people_int)
    assert _same_bits(valuer.truck_linear, _loop_linear(cost, plan.trucks))
    assert _same_bits(valuer.people_linear, _loop_people_linear(model, plan.people, cost))
    assert _same_bits(_people_linear(model, plan.people, cost), _loop_people_linear(model, plan.people, cost))
    people, people_int = plan.people, plan.people_int
    assert decode_paths(model, people, people_int, "y") == _loop_decode(model, people, people_int, "y")
    if not plan.trucks.paths:
        return
    assert _same_bits(path_departure_slot(plan.trucks), _loop_departure(plan.trucks))
    wider = _with_variants(model, plan.trucks)
    assert len(wider.paths) > len(plan.trucks.paths)
    assert _same_bits(_Valuer(model, wider, plan.people, plan.people_int).truck_linear, _loop_linear(cost, wider))
    assert _same_bits(path_departure_slot(wider), _loop_departure(wider))
    builder = PathVariants(model, wider.edges.edge_type, wider.edges.ref)
    segments = [builder._segments(p) for p in wider.paths]
    assert segments == [_numpy_segments(builder, p) for p in wider.paths]
    assert any(s is not None and any(t == 1 and n > 1 for t, _, n in s) for s in segments)  # runs of waits
    rng = np.random.default_rng(3)
    for flow, amounts in ((plan.trucks, plan.trucks_int), (wider, rng.integers(-1, 3, len(wider.paths)))):
        assert decode_paths(model, flow, amounts, "x") == _loop_decode(model, flow, amounts, "x")


def test_each_path_sum_is_the_float_of_its_own_sum() -> None:
    rng = np.random.default_rng(11)
    values = rng.normal(size=4000) * 10.0 ** rng.uniform(-3, 6, size=4000)
    for _ in range(60):
        paths = [Path(rng.integers(0, 4000, size=int(rng.choice([0, 3, 9, 40, 200, 1500]))).tolist(), 0.0, 0)
                 for _ in range(int(rng.integers(0, 40)))]
        arrays = PathEdgeArrays.of(paths)
        expected = np.array([values[p.edges].sum() if p.edges else 0.0 for p in paths])
        assert _same_bits(arrays.sums(values[arrays.flat]), expected)
        assert arrays.path_of().tolist() == [j for j, p in enumerate(paths) for _ in p.edges]


def test_the_helpers_give_the_loops_numbers_on_a_synthetic_plan() -> None:
    scenario = synthetic_scenario(30, 1, 1, 30)
    model, plan = _plan(scenario, "daily-windows")
    assert len(plan.trucks.paths) > 5 and len(plan.people.paths) > 20
    _check_helpers(model, plan)


def test_the_helpers_give_the_loops_numbers_with_a_screening_point_that_stops_people() -> None:
    data = yaml.safe_load(CORRIDOR.read_text())
    data.pop("behaviour")
    next(p for p in data["places"] if p["id"] == "screening")["screening"] = {
        "detained": {"value": 0.05, "low": 0.02, "high": 0.1, "assumption": "test figure"},
        "turned_back": {"value": 0.15, "low": 0.1, "high": 0.2, "assumption": "test figure"},
    }
    model, plan = _plan(Scenario.model_validate(data), "agreed")
    assert screening_processed_per_leaving(model.scenario).max() > 1.0
    assert plan.people_routes and all(len(route.legs) == 2 for route in plan.people_routes)  # through the point
    _check_helpers(model, plan)


@pytest.mark.slow
def test_the_helpers_give_the_loops_numbers_on_the_gaza_ceasefire() -> None:
    _check_helpers(*_plan(load_scenario("gaza-2023-11"), "ceasefire"))


# Measured at c573513 (one thread and HiGHS's default threads alike): objective, LP bound, convoys, trucks in them.
GAZA_PLANS = {
    "no-pause": (14768102.447876446, 14795856.547208276, 48, 266),
    "single-4h-pause": (19365784.33570946, 19465580.395120908, 104, 265),
    "daily-4h-north": (20931139.469333652, 21090552.411547493, 161, 262),
    "truce-4day": (50780490.1516289, 50908711.50407481, 234, 887),
    "ceasefire": (65948284.81353179, 66011542.352124, 327, 1395),
}


@pytest.mark.slow
def test_the_gaza_week_keeps_its_plans(gaza_week) -> None:  # type: ignore[no-untyped-def]
    got = {r.proposal: (r.objective, r.bound, len(r.convoys), sum(c.trucks for c in r.convoys))
           for r in gaza_week.results}
    assert set(got) == set(GAZA_PLANS)
    for proposal, (objective, bound, convoys, trucks) in GAZA_PLANS.items():
        assert got[proposal][0] == pytest.approx(objective, rel=1e-9), proposal
        assert got[proposal][1] == pytest.approx(bound, rel=1e-9), proposal
        assert got[proposal][2:] == (convoys, trucks), proposal
