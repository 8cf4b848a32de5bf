"""Bus trips planned optimally: a small mixed-integer programme solved by HiGHS, with its bound and gap.

The greedy of ``plan/bus_trips.py`` (first come, first served, an even split of the fleet) gives a
feasible plan; this module searches every plan on a grid of departure times and proves how far the
one it returns can be from the best. Symbols (minutes from the plan's start):

- a *candidate* c is one bus of route r (a boarding place, a zone, its vehicle path) leaving at
  ``dep_c``: every ``BUS_SLOT_MINUTES`` inside each window occurrence covering r's pause-only roads,
  plus the last departure that still fits the occurrence, plus the departures of the greedy's trips.
  Its round trip — boarding, loaded leg, screening processing, empty return — ends at ``ret_c``, inside
  that occurrence and inside the horizon (a candidate exists only then). Its passengers are held at the
  screening point from ``hold_c`` for the point's ``processing_minutes`` and reach safety at ``arr_c``;
- z[c] ≥ 0 integer: buses leaving; p[c] ≥ 0 integer: passengers; n[b] ≥ 0 integer: buses stationed at
  boarding place b for the horizon (the MIP chooses the split; the greedy splits evenly).

Rows (one ``_define_*_rows`` each):

- seats:     p[c] − seats·z[c] ≤ 0
- released:  Σ_{c of zone o, dep_c ≤ τ} p[c] ≤ released_o(τ)        for every candidate time τ of o
             (as a balance of people waiting at the boarding place, three entries a row)
- fleet:     Σ_{c at b, dep_c ≤ τ < ret_c} z[c] − n[b] ≤ 0             for every candidate time τ at b
             Σ_b n[b] ≤ vehicles
- per day:   Σ_{c at b, ⌊dep_c/1440⌋ = d} z[c] − ⌈round_trips_per_day⌉·n[b] ≤ 0   (when the fleet states it)
- holding:   Σ_{c through s, hold_c ≤ τ < hold_c + processing} p[c] ≤ holding_people(s)   for every τ = hold_c
- rate:      Σ_{c through s, τ ≤ hold_c < τ + W} p[c] ≤ people_per_hour(s)·W/60,  W = max(60, 60·seats/people_per_hour)

- full:      full·z[c] − p[c] ≤ 0 unless c is the last departure of its window occurrence (buses
             leave full, full = seats or a smaller holding area; the last bus takes who is waiting)

Objective: max Σ_c v(r, arr_c)·p[c], with v the value a person on foot has in the LP
(``BusSetting.arrival_value``: priority × person_days_per_person_safe × (1 + earliness_bonus·(1 − arr/H)),
times the share screening lets through), so the MIP, the greedy and the walkers' LP are on one scale.
No cost on z is needed: a bus beyond ⌈p/seats⌉ only uses fleet, and such buses are not sent.
``BusPlan.bound`` is HiGHS's dual bound: no plan with departures on these candidates, under these
rows, delivers more (a plan in continuous time could leave up to ``BUS_SLOT_MINUTES`` earlier).

Each count above is checked at candidate times only, and that is exact: a count of intervals
[dep, ret) covering a moment is largest at some departure, and the cumulative passengers change only
at departures. Buses are then given vehicle numbers (earliest free first); if that fails, or the MIP
fails, or it delivers less than the greedy, the greedy is kept and ``BusPlan.note`` says why.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from safepassage.plan.bus_trips import (
    BusPlan,
    BusSetting,
    add_trip,
    bus_full,
    bus_setting,
    greedy_bus_trips,
    screening_rate,
)
from safepassage.plan.solve import mark_solved, new_highs
from safepassage.scenario.model import Proposal, Scenario

__all__ = [
    "BUS_SLOT_MINUTES",
    "MIP_TIME_LIMIT_S",
    "MIP_RELATIVE_GAP",
    "bus_plan_for",
    "schedule_bus_trips",
]

# 15 minutes: half the default boarding time and a small part of an hours-long screening hold; every
# moment a round trip could start is at most 15 minutes before a candidate (the last departure that
# fits is one). The greedy's own departure times are added, so its plan is one the MIP can choose.
BUS_SLOT_MINUTES = 15.0
MIP_TIME_LIMIT_S = 10.0  # per plan; a longer horizon may stop here, and its gap says how far it got
MIP_RELATIVE_GAP = 1e-4


@dataclass(frozen=True)
class _Candidates:
    """One entry per candidate departure (arrays of equal length)."""

    route: np.ndarray  # int: index into BusSetting.routes
    dep: np.ndarray  # minutes
    ret: np.ndarray
    hold: np.ndarray  # minutes the passengers enter screening (no queue: the MIP moves departures instead)
    arr: np.ndarray
    last: np.ndarray  # bool: the last departure that fits its window occurrence (a bus may leave part-full)

    def __len__(self) -> int:
        return len(self.dep)


def _greedy_departures(setting: BusSetting, greedy: BusPlan) -> list[tuple[int, float, int]]:
    """The greedy's trips as (route, departure, people) with any queue at screening moved before
    departure: a bus that left at d and queued q minutes is the same trip leaving at d + q without the
    queue (same hold, arrival and return; fewer bus-minutes away, more people released by then)."""
    index = {(r.boarding_place, r.zone): k for k, r in enumerate(setting.routes)}
    out = []
    for trip in greedy.trips:
        k = index[(trip.boarding_place, trip.zone)]
        queue = trip.held_minutes - setting.routes[k].processing_min
        out.append((k, round(setting.minute(trip.departs) + max(0.0, queue), 6), trip.people))
    return out


def _candidates(setting: BusSetting, extra: Iterable[tuple[int, float, int]]) -> _Candidates:
    fleet = setting.fleet
    extra_by_route: dict[int, list[float]] = {}
    for k, minute, _ in extra:
        extra_by_route.setdefault(k, []).append(minute)
    route: list[int] = []
    dep: list[float] = []
    last: list[bool] = []
    for k, r in enumerate(setting.routes):
        cycle = r.cycle_min(fleet.boarding_minutes)
        times: set[float] = set()
        closing: set[float] = set()
        for s, e in r.spans:
            lo, hi = max(s, 0.0), min(e, setting.horizon_min) - cycle
            if hi < lo - 1e-9:
                continue
            times.update(round(t, 6) for t in np.arange(lo, hi, BUS_SLOT_MINUTES))
            times.add(round(hi, 6))
            closing.add(round(hi, 6))
            times.update(t for t in extra_by_route.get(k, []) if lo - 1e-6 <= t <= hi + 1e-6)
        route += [k] * len(times)
        dep += sorted(times)
        last += [t in closing for t in sorted(times)]
    route_a, dep_a = np.array(route, dtype=np.int64), np.array(dep, dtype=float)
    one_way = np.array([r.one_way_min for r in setting.routes])[route_a] if len(route_a) else np.zeros(0)
    processing = np.array([r.processing_min for r in setting.routes])[route_a] if len(route_a) else np.zeros(0)
    to_screen = np.array([r.to_screen_min for r in setting.routes])[route_a] if len(route_a) else np.zeros(0)
    arr = dep_a + fleet.boarding_minutes + one_way + processing
    hold = dep_a + fleet.boarding_minutes + to_screen
    return _Candidates(route_a, dep_a, arr + one_way, hold, arr, np.array(last, dtype=bool))


class _Rows:
    """Rows gathered as (row, column, value) triples with bounds (``≤ upper`` unless ``lower`` is given)."""

    def __init__(self) -> None:
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.upper: list[float] = []
        self.lower: list[float] = []

    def add(self, cols: np.ndarray, vals: np.ndarray, upper: float, lower: float = -np.inf) -> None:
        self.rows.append(np.full(len(cols), len(self.upper), dtype=np.int64))
        self.cols.append(np.asarray(cols, dtype=np.int64))
        self.vals.append(np.asarray(vals, dtype=float))
        self.upper.append(float(upper))
        self.lower.append(float(lower))

    def matrix(self, n_cols: int) -> sp.csc_matrix:
        if not self.upper:
            return sp.csc_matrix((0, n_cols))
        return sp.csc_matrix(
            (np.concatenate(self.vals), (np.concatenate(self.rows), np.concatenate(self.cols))),
            shape=(len(self.upper), n_cols),
        )


def _released_by(stream: list[tuple[float, float]], minute: float) -> float:
    return float(sum(n for m, n in stream if m <= minute + 1e-9))


def _define_seat_rows(rows: _Rows, c: _Candidates, setting: BusSetting) -> None:
    """p[c] − seats·z[c] ≤ 0, and buses leave full except at the last departure of a window occurrence:
    full·z[c] − p[c] ≤ 0 elsewhere, full = seats (or a smaller holding area at the route's screening
    point). A bus does not shuttle a few people at a time: it fills, or it is the last to go."""
    n = len(c)
    seats = setting.fleet.seats
    for i in range(n):
        route = setting.routes[int(c.route[i])]
        rows.add(np.array([n + i, i]), np.array([1.0, -float(seats)]), 0.0)
        if not c.last[i]:
            rows.add(np.array([i, n + i]), np.array([bus_full(route, seats), -1.0]), 0.0)


def _define_released_rows(rows: _Rows, c: _Candidates, setting: BusSetting, first: int) -> list[tuple[str, float]]:
    """People waiting at the boarding place, w[o,k] ≥ 0 (continuous, columns from ``first``) at each
    candidate time τ_1 < τ_2 < … of zone o:

        w[o,k] − w[o,k−1] + Σ_{c of o, dep_c = τ_k} p[c] = released_o(τ_k) − released_o(τ_{k−1})

    (w[o,0] = 0, released_o(τ_0) = 0), i.e. Σ_{dep_c ≤ τ} p[c] ≤ released_o(τ) with three entries a
    row instead of a cumulative sum. Returns (zone, τ) of each w column, in column order."""
    n = len(c)
    zone_of = np.array([r.zone for r in setting.routes])[c.route] if len(c) else np.zeros(0, dtype=str)
    columns: list[tuple[str, float]] = []
    for zone in sorted(set(zone_of.tolist())):
        mine = np.flatnonzero(zone_of == zone)
        stream = setting.released.get(zone, [])
        before = 0.0
        for k, tau in enumerate(np.unique(c.dep[mine])):
            now = _released_by(stream, float(tau))
            w = first + len(columns)
            leaving = mine[c.dep[mine] == tau]
            cols = np.concatenate([[w], [w - 1] if k > 0 else [], n + leaving]).astype(np.int64)
            vals = np.concatenate([[1.0], [-1.0] if k > 0 else [], np.ones(len(leaving))])
            arriving = now - before if now - before > 1e-9 else 0.0  # a release below a billionth is none
            rows.add(cols, vals, arriving, arriving)
            columns.append((zone, float(tau)))
            before = now
    return columns


def _define_fleet_rows(rows: _Rows, c: _Candidates, setting: BusSetting, boarding: list[str]) -> None:
    """Σ_{c at b, dep_c ≤ τ < ret_c} z[c] − n[b] ≤ 0 at every candidate time τ at b; Σ_b n[b] ≤ vehicles;
    and with ``round_trips_per_day``: Σ_{c at b, day(dep_c) = d} z[c] − ⌈trips⌉·n[b] ≤ 0."""
    n = len(c)
    fleet = setting.fleet
    place_of = np.array([r.boarding_place for r in setting.routes])[c.route] if len(c) else np.zeros(0, dtype=str)
    for j, b in enumerate(boarding):
        mine = np.flatnonzero(place_of == b)
        for tau in np.unique(c.dep[mine]):
            away = mine[(c.dep[mine] <= tau) & (tau < c.ret[mine])]
            rows.add(np.append(away, 2 * n + j), np.append(np.ones(len(away)), -1.0), 0.0)
        if fleet.round_trips_per_day is not None:
            day = (c.dep[mine] // 1440).astype(np.int64)
            for d in np.unique(day):
                same = mine[day == d]
                rows.add(
                    np.append(same, 2 * n + j),
                    np.append(np.ones(len(same)), -float(math.ceil(fleet.round_trips_per_day))),
                    0.0,
                )
    rows.add(2 * n + np.arange(len(boarding)), np.ones(len(boarding)), float(fleet.vehicles))


def _define_screening_rows(rows: _Rows, c: _Candidates, setting: BusSetting) -> None:
    """At each screening point s: people held at once ≤ holding_people, and people entering processing
    in any W minutes ≤ people_per_hour·W/60 with W = max(60, 60·seats/people_per_hour)."""
    n = len(c)
    seats = setting.fleet.seats
    points = {r.screen for r in setting.routes if r.screen is not None}
    for point in sorted(points):
        through = [k for k, r in enumerate(setting.routes) if r.screen == point]
        mine = np.flatnonzero(np.isin(c.route, through))
        route = setting.routes[through[0]]
        processing = np.array([r.processing_min for r in setting.routes])[c.route[mine]]
        if route.holding_people is not None:
            for tau in np.unique(c.hold[mine]):
                held = mine[(c.hold[mine] <= tau) & (tau < c.hold[mine] + processing)]
                if len(held):
                    rows.add(n + held, np.ones(len(held)), route.holding_people)
        rate = screening_rate(route, seats)
        if rate is not None:
            width, most = rate
            for tau in np.unique(c.hold[mine]):
                entering = mine[(tau <= c.hold[mine]) & (c.hold[mine] < tau + width)]
                rows.add(n + entering, np.ones(len(entering)), most)


def _assign_vehicles(
    c: _Candidates, z: np.ndarray, n_at: np.ndarray, setting: BusSetting, boarding: list[str]
) -> list[tuple[int, int]] | None:
    """(candidate, vehicle) for every bus leaving, vehicles numbered per boarding place in the fleet's
    order; the earliest free vehicle with trips left that day takes each departure. None if some
    departure finds no such vehicle (the aggregate day rows admit a plan no vehicle roster can run)."""
    fleet = setting.fleet
    per_day = math.ceil(fleet.round_trips_per_day) if fleet.round_trips_per_day is not None else None
    out: list[tuple[int, int]] = []
    first = 1
    for j, b in enumerate(boarding):
        free = {first + v: 0.0 for v in range(int(n_at[j]))}
        trips: dict[tuple[int, int], int] = {}
        first += int(n_at[j])
        leaving = [
            i for i in np.argsort(c.dep, kind="stable") if z[i] > 0 and setting.routes[c.route[i]].boarding_place == b
        ]
        for i in leaving:
            day = int(c.dep[i] // 1440)
            for _ in range(int(z[i])):
                ready = [
                    v
                    for v, at in free.items()
                    if at <= c.dep[i] + 1e-6 and (per_day is None or trips.get((v, day), 0) < per_day)
                ]
                if not ready:
                    return None
                vehicle = min(ready, key=lambda v: (free[v], v))
                free[vehicle] = float(c.ret[i])
                trips[(vehicle, day)] = trips.get((vehicle, day), 0) + 1
                out.append((int(i), vehicle))
    return out


def schedule_bus_trips(
    scenario: Scenario, proposal: Proposal, start: dt.datetime, end: dt.datetime, time_limit_s: float = MIP_TIME_LIMIT_S
) -> BusPlan:
    """The bus trips of ``proposal`` from local ``start`` to ``end``, planned by the MIP above with the
    greedy as its starting solution and fallback: ``method`` says which plan is returned, ``objective``
    its value (person-days), ``bound`` the MIP's proven upper bound, ``gap`` their relative distance.

    Raises ``ScenarioError`` when the scenario has no bus fleet or a boarding place has no vehicle
    route to a safe destination."""
    setting = bus_setting(scenario, proposal, start, end)
    greedy = greedy_bus_trips(setting)
    started = time.perf_counter()
    found = _solve(setting, greedy, time_limit_s)
    seconds = time.perf_counter() - started
    if isinstance(found, str):
        greedy.note, greedy.solve_seconds, greedy.greedy_objective = found, seconds, greedy.objective
        return greedy
    plan, bound = found
    plan.solve_seconds = seconds
    plan.greedy_objective = greedy.objective
    plan.bound = bound
    if plan.objective < greedy.objective - 1e-6 * max(1.0, greedy.objective):
        greedy.note = f"the MIP's plan ({plan.objective:,.1f} person-days) is worse than the greedy's: kept the greedy"
        greedy.bound, greedy.solve_seconds, greedy.greedy_objective = bound, seconds, greedy.objective
        plan = greedy
    plan.gap = (plan.bound - plan.objective) / plan.objective if plan.bound is not None and plan.objective > 0 else None
    return plan


def _solve(setting: BusSetting, greedy: BusPlan, time_limit_s: float) -> tuple[BusPlan, float | None] | str:
    """The MIP's plan and its bound on the people value, or why there is none."""
    fleet = setting.fleet
    boarding = list(fleet.boarding_places)
    start_trips = _greedy_departures(setting, greedy)
    c = _candidates(setting, start_trips)
    n, n_b = len(c), len(boarding)
    if n == 0:
        return "no bus round trip fits inside a window and the horizon: nothing to plan"
    rows = _Rows()
    _define_seat_rows(rows, c, setting)
    waiting = _define_released_rows(rows, c, setting, 2 * n + n_b)
    _define_fleet_rows(rows, c, setting, boarding)
    _define_screening_rows(rows, c, setting)
    n_w = len(waiting)
    n_cols = 2 * n + n_b + n_w
    value = np.array([setting.arrival_value(setting.routes[int(k)], float(a)) for k, a in zip(c.route, c.arr)])
    cost = np.concatenate([np.zeros(n), value, np.zeros(n_b + n_w)])
    upper = np.concatenate(
        [
            np.full(n, float(fleet.vehicles)),
            np.full(n, float(fleet.vehicles * fleet.seats)),
            np.full(n_b, float(fleet.vehicles)),
            np.full(n_w, highspy.kHighsInf),
        ]
    )
    matrix = rows.matrix(n_cols)

    inf = highspy.kHighsInf
    model = highspy.HighsLp()
    model.num_col_, model.num_row_ = n_cols, len(rows.upper)
    model.sense_ = highspy.ObjSense.kMaximize
    model.col_cost_ = cost
    model.col_lower_ = np.zeros(n_cols)
    model.col_upper_ = upper
    model.row_lower_ = np.where(np.isinf(rows.lower), -inf, rows.lower)
    model.row_upper_ = np.array(rows.upper)
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    model.a_matrix_.index_ = matrix.indices.astype(np.int32)
    model.a_matrix_.value_ = matrix.data
    model.integrality_ = [highspy.HighsVarType.kInteger] * (2 * n + n_b) + [highspy.HighsVarType.kContinuous] * n_w
    # No thread count: HiGHS's scheduler is global to the process, set by its first run, and a run
    # asking for another count fails (``Not Set``), e.g. after the planner's LP in the same process.
    highs = new_highs(time_limit_s)
    highs.setOptionValue("mip_rel_gap", MIP_RELATIVE_GAP)
    highs.passModel(model)

    start = np.zeros(n_cols)
    where = {(int(k), round(float(d), 6)): i for i, (k, d) in enumerate(zip(c.route, c.dep))}
    # A greedy trip that is no candidate (it cannot be: candidates include its departure) would leave
    # the start incomplete; HiGHS then judges it infeasible and searches without it.
    for k, dep, boarded in start_trips:
        i = where.get((k, dep), -1)
        if i < 0:
            continue
        start[i] += 1
        start[n + i] += boarded
    start[2 * n : 2 * n + n_b] = [setting.vehicles_at[b] for b in boarding]
    zone_of = [setting.routes[int(k)].zone for k in c.route]
    for j, (zone, tau) in enumerate(waiting):
        boarded_by = sum(start[n + i] for i in range(n) if zone_of[i] == zone and c.dep[i] <= tau)
        start[2 * n + n_b + j] = _released_by(setting.released.get(zone, []), tau) - boarded_by
    solution = highspy.HighsSolution()
    solution.col_value = start.tolist()
    solution.value_valid = True
    highs.setSolution(solution)
    mark_solved()  # HiGHS's thread pool now lives here: compare must not fork this process
    highs.run()
    status = highs.getModelStatus()
    if status not in (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kTimeLimit):
        return f"the MIP ended {highs.modelStatusToString(status)}: kept the greedy"
    info = highs.getInfo()
    if info.primal_solution_status != 2:  # kSolutionStatusFeasible
        return "the MIP found no plan within its time limit: kept the greedy"
    x = np.asarray(highs.getSolution().col_value)
    people = np.round(x[n : 2 * n]).astype(np.int64)
    # A bus with nobody aboard is not sent; a bus carries at most ``seats``.
    z = np.minimum(np.round(x[:n]).astype(np.int64), np.ceil(people / fleet.seats).astype(np.int64))
    n_at = np.round(x[2 * n : 2 * n + n_b]).astype(np.int64)
    roster = _assign_vehicles(c, z, n_at, setting, boarding)
    if roster is None:
        return "the MIP's trips cannot be given to vehicles within round_trips_per_day: kept the greedy"
    plan = BusPlan(method="mip")
    left = people.copy()
    for i, vehicle in roster:
        load = min(int(left[i]), fleet.seats)  # fill the buses of one departure in turn: one at most part-full
        left[i] -= load
        add_trip(plan, setting, setting.routes[int(c.route[i])], vehicle, float(c.dep[i]), load, 0.0)
    for route in setting.routes:
        carried = sum(t.people for t in plan.trips if t.zone == route.zone)
        plan.waiting_at_end[route.zone] = round(
            max(0.0, _released_by(setting.released.get(route.zone, []), setting.horizon_min) - carried), 1
        )
    plan.trips.sort(key=lambda t: (t.departs, t.vehicle))
    bound = float(info.mip_dual_bound)
    return plan, bound if math.isfinite(bound) else None  # stopped before the root LP: no bound yet


def bus_plan_for(scenario: Scenario, proposal: Proposal, start: dt.datetime, end: dt.datetime) -> BusPlan | None:
    """The bus trips of ``proposal`` from local ``start`` to ``end`` (``schedule_bus_trips``), or None
    when the scenario has no bus fleet (then everyone moves on foot).

    The planner, ``compare`` and ``backtest`` each ask for the same plan; it is solved once per
    process for the same scenario, proposal and period (a copy is returned, so callers may not change
    the kept plan)."""
    if scenario.fleet is None or scenario.fleet.buses is None:
        return None
    key = (scenario.model_dump_json(), proposal.model_dump_json(), start.isoformat(), end.isoformat())
    if key not in _SOLVED:
        if len(_SOLVED) >= _SOLVED_KEPT:
            _SOLVED.pop(next(iter(_SOLVED)))
        _SOLVED[key] = schedule_bus_trips(scenario, proposal, start, end)
    return copy.deepcopy(_SOLVED[key])


_SOLVED: dict[tuple[str, str, str, str], BusPlan] = {}
_SOLVED_KEPT = 16
