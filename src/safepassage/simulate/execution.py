"""The execution model (SimPy): a plan run slot by slot as discrete events under one draw of disruptions.

One process per convoy and per evacuation movement (and per part of one, when a limit lets only some
of it through). A convoy waits for its planned departure, then for a slot in which its place (an
inspection point, a crossing with opening hours, a distribution point) and its road still have room
— capacities are the planner's whole trucks per slot, shared first come, first served — and, on a
pause-only road, for the road to be covered by a window that is actually honoured for the whole
journey, and not closed by an incident. At a crossing it also needs the day's quota. Travel takes the
nominal time times a noise factor and ends at the next slot boundary (the planner's rule). At an
inspection point a share of trucks is turned back: they drive back to their origin and join the back
of the queue. At the distribution point trucks offload (again within its capacity); cargo arrives
good or damaged. People walk the same way through checkpoints (screening rate per slot) and pedestrian
road capacities, and reach safety at their destination.

Nothing leaves before its planned time, so disruptions can only delay or lose what the plan promised.
With ``Disruptions.none()`` every movement runs exactly as planned and the KPIs equal the planner's.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import simpy

from safepassage.simulate.disruptions import Disruptions
from safepassage.simulate.schedule import PlannedLeg, Schedule, TruckGroup, WalkGroup
from safepassage.simulate.world import Realisation, SimulationWorld

# What may leave in a slot (None: nothing), the capacity rows to wait on otherwise, and whether a daily quota is used up.
Leaving = tuple[np.ndarray | None, list[np.ndarray], bool]

__all__ = ["Outcome", "Execution", "execute", "InTransit"]

EPS = 1e-6


@dataclass
class Outcome:
    """What one run delivered: trucks and units by commodity and zone (good and damaged apart),
    people reaching safety per slot boundary (people returning home, and people stopped at screening,
    apart), and counts of what went wrong."""

    trucks_arrived: np.ndarray  # (K,)
    trucks_crossed: np.ndarray  # (K,)
    good_units: np.ndarray  # (Z, K)
    damaged_units: np.ndarray  # (Z, K)
    good_units_by_boundary: np.ndarray  # (T+1, K) offloaded good units by slot boundary
    people_by_boundary: np.ndarray  # (T+1,) people reaching safety by slot boundary
    returned_by_boundary: np.ndarray | None = None  # (T+1,) people arriving home (movement: return), never counted as safe
    people_detained: float = 0.0  # stopped and held at screening points
    people_turned_back: float = 0.0  # stopped at screening points and sent back to their zone
    trucks_rejected: int = 0
    replans: int = 0
    removed_units: np.ndarray | None = None  # (Z, K) cargo removed at inspection, counted apart from good and damaged
    presence_days: np.ndarray | None = None  # (Z,) person-days people who moved add to (take from) a zone (plan/moving_need.py)
    replan_seconds: list[float] = field(default_factory=list)

    @property
    def people_reached_safety(self) -> int:
        return int(self.people_by_boundary.sum())

    @property
    def people_returned(self) -> int:
        return int(self.returned_by_boundary.sum()) if self.returned_by_boundary is not None else 0


@dataclass
class _Group:
    """A running convoy or movement (or part of one): what it carries and where it is in its legs."""

    legs: tuple[PlannedLeg, ...]
    leg: int
    load: np.ndarray  # (K,) trucks, or (1,) people
    origin: int  # evacuation: origin zone; convoy: unused
    plan: TruckGroup | WalkGroup
    departed: bool = False  # has left its first place
    cancelled: bool = False
    ready_min: float = 0.0  # when it is (or will be) at the tail of its current leg


@dataclass(frozen=True)
class InTransit:
    """A convoy part at re-planning time: cargo (K,) at place ``place`` from minute ``ready_min``."""

    place: int
    cargo: np.ndarray
    ready_min: float


class Execution:
    """One run: the SimPy environment, the shared capacities of ``realisation``, and the tallies."""

    def __init__(self, world: SimulationWorld, realisation: Realisation, disruptions: Disruptions, rng: np.random.Generator) -> None:
        self.world, self.real, self.d, self.rng = world, realisation, disruptions, rng
        self.env = simpy.Environment()
        self.bounds = world.boundaries_min.tolist()
        self.n_slots = world.n_slots
        self.horizon = world.horizon_min
        n_kinds, n_zones = len(world.payload), len(world.need_units)
        self.outcome = Outcome(
            trucks_arrived=np.zeros(n_kinds, dtype=np.int64), trucks_crossed=np.zeros(n_kinds, dtype=np.int64),
            good_units=np.zeros((n_zones, n_kinds)), damaged_units=np.zeros((n_zones, n_kinds)),
            good_units_by_boundary=np.zeros((self.n_slots + 1, n_kinds)), people_by_boundary=np.zeros(self.n_slots + 1, dtype=np.int64),
            returned_by_boundary=np.zeros(self.n_slots + 1, dtype=np.int64),
        )
        self.order = np.argsort(-world.priority, kind="stable")  # who goes first when a limit splits a convoy
        self.sigma = disruptions.travel_time_sigma
        self.groups: list[_Group] = []
        self.cancelled: list[_Group] = []  # withdrawn by the last re-plan

    # -- time helpers -------------------------------------------------------------------------------
    def slot_at(self, minute: float) -> int:
        return bisect.bisect_right(self.bounds, minute + EPS) - 1

    def boundary_at_or_after(self, minute: float) -> int:
        return bisect.bisect_left(self.bounds, minute - EPS)

    def noise(self) -> float:
        # Delays only: the nominal time (the planner's) is the fastest a journey goes.
        return float(np.exp(self.sigma * abs(self.rng.standard_normal()))) if self.sigma > 0 else 1.0

    # -- launching ------------------------------------------------------------------------------------
    def launch(self, schedule: Schedule) -> None:
        for convoy in schedule.trucks:
            self._start(_Group(convoy.legs, 0, convoy.cargo.copy(), -1, convoy, ready_min=self.env.now), self._convoy)
        for walk in schedule.walks:
            self._start(_Group(walk.legs, 0, np.array([walk.people], dtype=np.int64), walk.origin, walk, ready_min=self.env.now), self._walk)

    def _start(self, group: _Group, process: Callable) -> None:
        self.groups.append(group)
        self.env.process(process(group))

    def _split(self, group: _Group, passing: np.ndarray, process: Callable) -> None:
        """Send the part of ``group`` that did not pass as a group of its own, retrying from the same leg."""
        rest = group.load - passing
        if rest.sum() > 0:
            self._start(_Group(group.legs, group.leg, rest, group.origin, group.plan, group.departed, ready_min=self.env.now), process)
        group.load = passing

    # -- passing a limit ----------------------------------------------------------------------------
    def _next_slot(self, caps: list[np.ndarray], road: int, t: int, day_limited: bool) -> int | None:
        """The next slot after ``t`` in which every capacity row in ``caps`` has room and the road is
        usable (the next day's first slot at least, when a daily quota is used up)."""
        lo = t + 1
        if day_limited:
            lo = max(lo, int(self.world.day_first_slot[self.world.slot_day[t] + 1]))
        if lo >= self.n_slots:
            return None
        ok = self.real.road_ok[road, lo:].copy()
        for cap in caps:
            ok &= cap[lo:] > 0
        hits = np.flatnonzero(ok)
        return lo + int(hits[0]) if len(hits) else None

    def _trucks_through(self, group: _Group, leg: PlannedLeg, t: int, arr_slot: int) -> tuple[np.ndarray, bool]:
        """Trucks of ``group`` that may leave ``leg.tail`` in slot ``t`` (taking the capacity), and
        whether a daily quota stopped the rest."""
        world, real = self.world, self.real
        room = min(real.place_trucks[leg.tail, t], real.road_trucks[leg.arc, t])
        passing = np.zeros_like(group.load)
        quota_hit = False
        if room <= 0 or not real.road_clear(leg.road, t, arr_slot):
            return passing, False
        crossing = world.is_crossing[leg.tail]
        day = int(world.slot_day[t])
        for k in self.order:
            want = int(group.load[k])
            if want == 0 or room <= 0:
                continue
            take = min(want, room)
            if crossing:
                if not world.admitted[k, day]:
                    continue
                quotas = world.quotas_for(leg.tail, int(k), t)
                if len(quotas):
                    take = int(min(take, real.quota_left[quotas].min()))
                    if take < want:
                        quota_hit = True
                    real.quota_left[quotas] -= take
            take = int(take)
            passing[k] = take
            room -= take
        n = int(passing.sum())
        if n:
            real.place_trucks[leg.tail, t] -= n
            real.road_trucks[leg.arc, t] -= n
            if crossing:
                self.outcome.trucks_crossed += passing
        return passing, quota_hit

    # -- processes ------------------------------------------------------------------------------------
    def _leave(self, group: _Group, leg: PlannedLeg, travel: float, try_slot: Callable[[int, int], Leaving]):
        """Wait for ``leg``'s planned departure, then slot by slot until ``try_slot(t, arrival slot)`` lets
        some of ``group`` leave; it gives (what leaves or None, the capacity rows to wait on, whether a daily
        quota stopped it). Returns (slot, arrival slot, what leaves), or None when the group is cancelled or
        cannot leave and arrive inside the horizon (the planner's rule too)."""
        env = self.env
        at = max(env.now, leg.departs_min)
        if at > env.now:
            yield env.timeout(at - env.now)
        if group.cancelled:
            return None
        while True:
            t = self.slot_at(env.now)
            if t >= self.n_slots:
                return None
            arr_slot = self.boundary_at_or_after(env.now + travel)
            if arr_slot >= self.n_slots:
                return None
            leaving, caps, day_limited = try_slot(t, arr_slot)
            if leaving is not None:
                return t, arr_slot, leaving
            nxt = self._next_slot(caps, leg.road, t, day_limited)
            if nxt is None:
                return None
            yield env.timeout(self.bounds[nxt] - env.now)
            if group.cancelled:
                return None

    def _convoy(self, group: _Group):
        env, world, real = self.env, self.world, self.real
        while group.leg < len(group.legs):
            leg = group.legs[group.leg]
            travel = world.arc_truck_min[leg.arc] * self.noise()

            def through(t: int, arr_slot: int, group: _Group = group, leg: PlannedLeg = leg) -> Leaving:
                passing, quota_hit = self._trucks_through(group, leg, t, arr_slot)
                return (passing if passing.sum() > 0 else None), [real.place_trucks[leg.tail], real.road_trucks[leg.arc]], quota_hit

            left = yield from self._leave(group, leg, travel, through)
            if left is None:
                return
            _, arr_slot, passing = left
            self._split(group, passing, self._convoy)
            group.departed = True
            if world.is_inspection[leg.tail] and self.d.inspection_rejection_rate > 0:
                rejected = self.rng.binomial(group.load, self.d.inspection_rejection_rate)
                if rejected.sum():
                    self.outcome.trucks_rejected += int(rejected.sum())
                    back = sum(world.arc_truck_min[g.arc] for g in group.legs[: group.leg]) * self.noise()
                    returning = _Group(group.legs, 0, rejected, -1, group.plan, True, ready_min=env.now + back)
                    self.groups.append(returning)
                    env.process(self._return_then_retry(returning, back))
                    group.load = group.load - rejected
                    if group.load.sum() == 0:
                        return
            arrive = self.bounds[arr_slot]
            group.ready_min = arrive
            yield env.timeout(arrive - env.now)
            group.leg += 1
        yield from self._offload(group)

    def _return_then_retry(self, group: _Group, back_min: float):
        yield self.env.timeout(back_min)
        if not group.cancelled:
            group.departed = False
            yield from self._convoy(group)

    def _offload(self, group: _Group):
        env, world, real = self.env, self.world, self.real
        plan: TruckGroup = group.plan  # type: ignore[assignment]
        at = max(env.now, plan.offload_min)
        if at > env.now:
            yield env.timeout(at - env.now)
        place = plan.destination
        while True:
            t = self.slot_at(env.now)
            if t >= self.n_slots or group.cancelled:
                return
            room = real.place_trucks[place, t]
            if room > 0:
                break
            caps = real.place_trucks[place, t + 1:] > 0
            hits = np.flatnonzero(caps)
            if not len(hits):
                return
            yield env.timeout(self.bounds[t + 1 + int(hits[0])] - env.now)
        passing = np.zeros_like(group.load)
        for k in self.order:
            take = int(min(group.load[k], room))
            passing[k] = take
            room -= take
        self._split(group, passing, self._offload_again)
        real.place_trucks[place, t] -= int(passing.sum())
        load = group.load
        damaged = self.rng.binomial(load, self.d.damage_rate) if self.d.damage_rate > 0 else np.zeros_like(load)
        good = load - damaged
        out = self.outcome
        out.trucks_arrived += load
        zone = plan.zone
        good_units = good * world.payload
        if real.removed_share is not None and real.removed_share.any():
            # Inspection took this share of the cargo off the trucks: it never reaches people.
            removed = good_units * real.removed_share
            good_units = good_units - removed
            if out.removed_units is None:
                out.removed_units = np.zeros_like(out.good_units)
            out.removed_units[zone] += removed
        out.good_units[zone] += good_units
        out.damaged_units[zone] += damaged * world.payload
        out.good_units_by_boundary[t] += good_units
        group.leg = len(group.legs) + 1  # done

    def _offload_again(self, group: _Group):
        yield from self._offload(group)

    def _walk(self, group: _Group):
        env, world, real = self.env, self.world, self.real
        while group.leg < len(group.legs):
            leg = group.legs[group.leg]
            travel = world.arc_walk_min[leg.arc] * self.noise()

            # A screening point processes 1/(1 − δ) people per person walking on (the planner's rule):
            # its rate counts them all; of them the run's shares are stopped.
            planned_stop = float(world.stopped_planned[leg.tail].sum())
            per_leaving = 1.0 / (1.0 - planned_stop)

            def room_at(t: int, arr_slot: int, leg: PlannedLeg = leg, per_leaving: float = per_leaving) -> Leaving:
                room = min(np.floor(real.place_people[leg.tail, t] / per_leaving + EPS), real.road_people[leg.arc, t])
                # People must enter a pause-only road inside a window; once on it they walk on (the planner's rule).
                if room > 0 and real.road_clear(leg.road, t, t + 1):
                    return np.array([room]), [], False
                return None, [real.place_people[leg.tail], real.road_people[leg.arc]], False

            left = yield from self._leave(group, leg, travel, room_at)
            if left is None:
                return
            t, arr_slot, room_now = left
            room = room_now[0]
            take = int(min(group.load[0], room))
            self._split(group, np.array([take], dtype=np.int64), self._walk)
            real.place_people[leg.tail, t] -= take * per_leaving
            real.road_people[leg.arc, t] -= take
            if planned_stop > 0:
                group.load[0] = self._screened(leg.tail, take, per_leaving)
                if group.load[0] == 0:  # everyone in this group was stopped
                    group.leg = len(group.legs) + 1
                    return
            group.departed = True
            group.ready_min = self.bounds[arr_slot]
            yield env.timeout(self.bounds[arr_slot] - env.now)
            group.leg += 1
        arrived = self.outcome.returned_by_boundary if world.zone_returns[group.origin] else self.outcome.people_by_boundary
        assert arrived is not None
        arrived[self.boundary_at_or_after(env.now)] += int(group.load[0])
        self._needs_move(group, env.now)
        group.leg = len(group.legs) + 1

    def _screened(self, place: int, leaving: int, per_leaving: float) -> int:
        """People of a group of ``leaving`` (as planned) who walk on from screening point ``place``: the
        ``leaving · per_leaving`` processed less those the run stops there, counted as detained and
        turned back. With the planned shares (no draws) exactly ``leaving`` walk on and the stopped are
        the planner's expected numbers."""
        shares = self.real.stopped_share if self.real.stopped_share is not None else self.world.stopped_planned
        detained, turned_back = (float(s) for s in shares[place])
        if not self.d.screening_draws:
            processed = leaving * per_leaving
            self.outcome.people_detained += processed * detained
            self.outcome.people_turned_back += processed * turned_back
            return leaving
        processed_int = int(round(leaving * per_leaving))
        held, sent_back, passing = self.rng.multinomial(processed_int, [detained, turned_back, max(1.0 - detained - turned_back, 0.0)])
        self.outcome.people_detained += int(held)
        self.outcome.people_turned_back += int(sent_back)
        return int(passing)

    def _needs_move(self, group: _Group, now_min: float) -> None:
        """People who arrived take their needs with them for the rest of the horizon (plan/moving_need.py)."""
        world = self.world
        if self.outcome.presence_days is None:
            self.outcome.presence_days = np.zeros(len(world.need_units))
        reached = int(world.place_zone[world.arc_head[group.legs[-1].arc]]) if group.legs else -1
        person_days = float(group.load[0]) * max(self.horizon - now_min, 0.0) / 1440.0
        if reached >= 0:
            self.outcome.presence_days[reached] += person_days
        self.outcome.presence_days[group.origin] -= person_days

    # -- re-planning support --------------------------------------------------------------------------
    def withdraw_waiting(self, people_too: bool = True) -> tuple[list[InTransit], dict[int, int]]:
        """Cancel every convoy (and, if ``people_too``, every movement) that has not left its first
        place; return their cargo as positions (place, cargo, ready time) and their people by origin
        zone, for a re-plan."""
        positions: list[InTransit] = []
        people: dict[int, int] = {}
        self.cancelled = []
        for group in self.groups:
            if group.cancelled or group.departed or group.leg > len(group.legs) or group.load.sum() == 0:
                continue
            if not people_too and not isinstance(group.plan, TruckGroup):
                continue
            group.cancelled = True
            self.cancelled.append(group)
            if isinstance(group.plan, TruckGroup):
                positions.append(InTransit(group.legs[0].tail, group.load.copy(), max(group.ready_min, self.env.now)))
            else:
                people[group.origin] = people.get(group.origin, 0) + int(group.load[0])
        self.groups = [g for g in self.groups if not g.cancelled and g.leg <= len(g.legs)]
        return positions, people


def execute(world: SimulationWorld, schedule: Schedule, realisation: Realisation, disruptions: Disruptions, rng: np.random.Generator, replanner: Callable[[Execution, float], None] | None = None) -> Outcome:
    """Run ``schedule`` once to the horizon end and return what it delivered.

    ``replanner(execution, minute)`` is called at each disruption event of ``realisation`` that an
    observer would see (window not honoured or cut, crossing closed, road incident); it
    may withdraw what has not left and launch a new schedule (see ``simulate.policies``)."""
    execution = Execution(world, realisation, disruptions, rng)
    execution.launch(schedule)
    if replanner is not None and realisation.events:
        def observer(env: simpy.Environment):
            for minute, kind, _subject in realisation.events:
                if minute >= world.horizon_min:
                    break
                if kind == "extension":  # good news: nothing to react to (the warm model has no extra days)
                    continue
                if minute > env.now:
                    yield env.timeout(minute - env.now)
                replanner(execution, env.now)
        execution.env.process(observer(execution.env))
    execution.env.run(until=world.horizon_min)
    return execution.outcome
