"""Policies: run the plan as fixed (no reaction), or re-plan when a disruption is observed.

Re-planning (``replanner_for``): at each observed disruption (a window not honoured or cut short, a
crossing closed, a road incident; at most ``job.max_replans`` per run), every convoy that has not left
its first place is withdrawn and the planner is called on the rest of the horizon from the current
state, warm-started from the first solve (``plan.warm.WarmPlanner``: same HiGHS instance, bounds
changed, basis reused), with the planner's rounding and repair for whole trucks. The state: withdrawn
cargo and the stock never planned at their origin, trucks turned back at inspection when they are home
again, aid delivered or on its way (it fills the value tiers first), the capacity and quotas left
(less what movements under way will use), and every closure observed so far. Convoys under way finish
their route.

Evacuation movements keep their plan by default (``job.replan_people`` re-plans them too): people kept
waiting by a cut or missed window simply try again at the next one, and queue at the checkpoint past
the window's end, which the planner — no holding at checkpoints — does not count on. Re-planning them
schedules fewer departures than can in fact get through (on the Gaza daily pauses, 19% fewer people
safe over 3 days), so it is off.

Where needs follow people (``objective.needs_follow_people``), the re-plan carries the need of people
who have already arrived, or are on their way on a movement that keeps its plan: they count in the
zone they reach from their (planned) arrival, through the presence rows' right-hand side
(``WarmState.presence_days``); the people it re-plans move need through its own columns.

Not modelled: an observed extension is not used by the re-plan (its extra days are not columns of the
warm model), and re-planned convoys compete with those under way only in the simulation, not in the LP.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from safepassage.errors import SafePassageError
from safepassage.plan.warm import WarmPlanner
from safepassage.simulate.execution import Execution
from safepassage.simulate.schedule import TruckGroup, compile_records

__all__ = ["replanner_for", "warm_planner_for"]

_CACHE: dict[str, tuple[WarmPlanner, np.ndarray, np.ndarray]] = {}


def warm_planner_for(job) -> tuple[WarmPlanner, np.ndarray, np.ndarray]:
    """This process's warm planner for ``job`` (built on first use), with the stock (truckloads per
    truck node pair) and people (per people node pair) that the job's plan leaves unplanned."""
    cached = _CACHE.get(job.token)
    if cached is None:
        world = job.world
        warm = WarmPlanner(world.scenario, world.proposal, world.horizon)
        model = warm.model
        trucks = model.supply_trucks.sum(axis=1)
        for convoy in job.schedule.trucks:
            origin = convoy.legs[0].tail
            for k in np.flatnonzero(convoy.cargo):
                pair = model.truck_nodes.lookup[origin, k]
                if pair >= 0:
                    trucks[pair] -= convoy.cargo[k]
        people = model.supply_people.sum(axis=1)
        origin_of_zone = {z: o for o, z in enumerate(model.origins)}
        for walk in job.schedule.walks:
            o = origin_of_zone.get(walk.origin)
            if o is not None:
                people[model.people_nodes.lookup[model.assembly[o], o]] -= walk.people
        cached = (warm, np.maximum(trucks, 0.0), np.maximum(people, 0.0))
        if len(_CACHE) > 4:
            _CACHE.clear()
        _CACHE[job.token] = cached
    return cached


def replanner_for(job) -> Callable[[Execution, float], None]:
    """A re-planning callback for one run of ``job`` (see the module doc)."""
    warm, unplanned_trucks, unplanned_people = warm_planner_for(job)
    model = warm.model
    world = job.world
    origin_of_zone = {z: o for o, z in enumerate(model.origins)}
    state: dict[str, Any] = {"replans": 0, "trucks": unplanned_trucks.copy(), "people": unplanned_people.copy()}

    def replan(execution: Execution, now: float) -> None:
        if state["replans"] >= job.max_replans:
            return
        tau = execution.boundary_at_or_after(now)
        if tau >= world.n_slots - 1:
            return
        state["replans"] += 1
        positions, people = execution.withdraw_waiting(people_too=job.replan_people)
        withdrawn = list(execution.cancelled)
        truck_supply = np.zeros_like(model.supply_trucks)
        truck_supply[:, tau] = state["trucks"]
        for position in positions:
            slot = min(max(tau, execution.boundary_at_or_after(position.ready_min)), world.n_slots - 1)
            for k in np.flatnonzero(position.cargo):
                pair = model.truck_nodes.lookup[position.place, k]
                if pair >= 0:
                    truck_supply[pair, slot] += position.cargo[k]
        people_supply = np.zeros_like(model.supply_people)
        if job.replan_people:
            people_supply[:, tau] = state["people"]
        for zone, n in people.items():
            o = origin_of_zone.get(zone)
            if o is not None:
                people_supply[model.people_nodes.lookup[model.assembly[o], o], tau] += n
        delivered = execution.outcome.good_units.copy()
        for group in execution.groups:
            if isinstance(group.plan, TruckGroup) and group.departed and not group.cancelled and group.leg <= len(group.legs) and group.plan.zone >= 0:
                delivered[group.plan.zone] += group.load * world.payload
        road_closed, place_closed = execution.real.observed_closures(now, len(world.scenario.roads), len(world.scenario.places), world.n_slots)
        warm_state = warm.state(tau, truck_supply, people_supply, delivered, road_closed, place_closed)
        if world.scenario.objective.needs_follow_people:
            warm_state.presence_days = _presence_days(execution)
        (warm_state.place_trucks_left, warm_state.road_trucks_left, warm_state.quota_left, warm_state.place_people_left, warm_state.road_people_left) = _capacity_left(execution)
        try:
            result = warm.replan(warm_state, repair=job.replan_repair)
        except SafePassageError:
            for group in withdrawn:  # nothing better: carry on with the plan as it was
                group.cancelled = False
            execution.groups.extend(withdrawn)
            return
        schedule = compile_records(world, result.convoys, result.evacuations if job.replan_people else [])
        # What the new plan does not move stays unplanned for the next re-plan.
        planned = np.zeros_like(state["trucks"])
        for convoy in schedule.trucks:
            for k in np.flatnonzero(convoy.cargo):
                pair = model.truck_nodes.lookup[convoy.legs[0].tail, k]
                if pair >= 0:
                    planned[pair] += convoy.cargo[k]
        state["trucks"] = np.maximum(truck_supply.sum(axis=1) - planned, 0.0)
        moved = np.zeros_like(state["people"])
        for walk in schedule.walks:
            o = origin_of_zone.get(walk.origin)
            if o is not None:
                moved[model.people_nodes.lookup[model.assembly[o], o]] += walk.people
        state["people"] = np.maximum(people_supply.sum(axis=1) - moved, 0.0)
        execution.outcome.replans += 1
        execution.outcome.replan_seconds.append(result.seconds)
        execution.launch(schedule)

    return replan


def _presence_days(execution: Execution) -> np.ndarray:
    """(Z,) person-days that people the re-plan does not move add to (take from) each zone: those who
    arrived (``Outcome.presence_days``) and those still walking, or waiting to, on a movement that
    keeps its plan, from its planned arrival (their needs follow them, plan/moving_need.py)."""
    world = execution.world
    out = np.zeros(len(world.need_units))
    if execution.outcome.presence_days is not None:
        out += execution.outcome.presence_days
    for group in execution.groups:
        if isinstance(group.plan, TruckGroup) or group.cancelled or group.leg >= len(group.legs):
            continue
        last = group.legs[-1]
        person_days = float(group.load[0]) * max(world.horizon_min - last.arrives_min, 0.0) / 1440.0
        reached = int(world.place_zone[last.head])
        if reached >= 0:
            out[reached] += person_days
        out[group.origin] -= person_days
    return out


def _capacity_left(execution: Execution) -> tuple[np.ndarray, ...]:
    """Place, road and quota capacity left for a re-plan: what the run has not used, less what the
    convoys under way will use on their remaining legs at their planned departures."""
    world, real = execution.world, execution.real
    place = real.place_trucks.copy()
    road = real.road_trucks.copy()
    quota = real.quota_left.copy()
    place_people = real.place_people.copy()
    road_people = real.road_people.copy()
    now_slot = execution.slot_at(execution.env.now)
    for group in execution.groups:
        if group.cancelled or group.leg >= len(group.legs):
            continue
        if not isinstance(group.plan, TruckGroup):
            for leg in group.legs[group.leg:]:
                t = min(max(execution.slot_at(leg.departs_min), now_slot), world.n_slots - 1)
                place_people[leg.tail, t] -= group.load[0]
                road_people[leg.arc, t] -= group.load[0]
            continue
        n = int(group.load.sum())
        for leg in group.legs[group.leg:]:
            t = min(max(execution.slot_at(leg.departs_min), execution.slot_at(execution.env.now)), world.n_slots - 1)
            place[leg.tail, t] -= n
            road[leg.arc, t] -= n
            if world.is_crossing[leg.tail]:
                for k in np.flatnonzero(group.load):
                    quota[world.quotas_for(leg.tail, int(k), t)] -= group.load[k]
        offload = min(max(execution.slot_at(group.plan.offload_min), execution.slot_at(execution.env.now)), world.n_slots - 1)
        place[group.plan.destination, offload] -= n
    return place, road, quota, place_people, road_people
