"""The planning LP written a second time, with PuLP, from a compiled ``PlanningProblem``.

``plan/lp_build.py`` assembles the LP as sparse arrays (row and column offsets, ``np.add.at``); this
module states the same model the plain way — one PuLP variable per column keyed by what it means
((place, commodity, slot), movement index ...), one constraint per row written as a sum — and solves
it with PuLP's bundled CBC. Both read the same compiled problem (movements, capacities, masks, needs),
so a difference in the optimum is a defect of the assembly: a wrong offset, sign, slot or bound.
Nothing here reads ``PlanningModel`` or ``LPMatrix``.

Agreements (docs/agreements.md): the quotas come resolved per period from ``Terms`` (places,
commodities, prorated figure, period); which slots each counts is recomputed here from the local day,
the window state and the agreement period's minutes. Floors and shares are soft rows with a shortfall
column costed at 100 x the most a truckload is worth; people waiting away from home cost
``person_hour_waiting_cost`` per person-hour; with ``needs_follow_people`` the tier widths move with the
people who arrive where they stay (plan/moving_need.py's module doc states the rule); a screening point
that detains or turns back a share of the people it processes has 1 / (1 - share) processed per person
walking on, in the people balance and in its throughput.
"""

from __future__ import annotations

import warnings
from collections import defaultdict

import numpy as np
import pulp

from safepassage.plan.departure import people_released
from safepassage.plan.lp_build import FAIR_SHARE, HAZARD_PRIORITY, PERSON_HOUR_COST
from safepassage.plan.problem import PlanningProblem, whole_unit_capacity
from safepassage.plan.window_rules import offload_mask
from safepassage.scenario.model import PlaceKind

__all__ = ["pulp_optimum"]


def _sum(terms: list) -> pulp.LpAffineExpression:
    return pulp.lpSum(terms)


def _add(lp: pulp.LpProblem, terms: list, sense: str, rhs: float, name: str) -> None:
    """Add ``Σ terms (sense) rhs``; a row without terms is only kept when it cannot hold (0 = 5)."""
    holds = {"==": rhs == 0, "<=": rhs >= 0, ">=": rhs <= 0}[sense]
    if not terms and holds:
        return
    expression = _sum(terms)
    lp += (expression == rhs if sense == "==" else expression <= rhs if sense == "<=" else expression >= rhs), name


def pulp_optimum(problem: PlanningProblem) -> float:
    """The LP optimum (person-days) of ``problem``, built and solved with PuLP and CBC."""
    scenario, grid, arcs = problem.scenario, problem.grid, problem.arcs
    trucks, people = problem.trucks, problem.people
    objective = scenario.objective
    T = grid.n_slots
    slots = range(T)
    lp = pulp.LpProblem("plan", pulp.LpMaximize)
    value: list = []

    # --- trucks ----------------------------------------------------------------------------------
    x = [lp.add_variable(f"x{m}", lowBound=0) for m in range(len(trucks))]
    for m in range(len(trucks)):
        value.append(-objective.truck_hour_cost * (grid.boundaries_min[trucks.arr[m]] - grid.boundaries_min[trucks.dep[m]]) / 60.0 * x[m])

    supply: dict[tuple[int, int, int], float] = defaultdict(float)  # (place, commodity, slot) -> truckloads arriving as stock
    for p, k, t, loads in zip(problem.stock.place, problem.stock.kind, problem.stock.slot, problem.stock.loads):
        supply[int(p), int(k), int(t)] += float(loads)
    truck_pairs = {(int(arcs.tail[a]), int(k)) for a, k in zip(trucks.arc, trucks.kind)}
    truck_pairs |= {(int(arcs.head[a]), int(k)) for a, k in zip(trucks.arc, trucks.kind)}
    truck_pairs |= {(p, k) for p, k, _ in supply}

    # Holding, except at places inside a zone whose convoys must finish in windows, outside its windows.
    zone_covered = problem.terms.zone_covered
    s: dict[tuple[int, int, int], pulp.LpVariable] = {}
    for p, k in sorted(truck_pairs):
        place = scenario.places[p]
        if not place.allows_holding:
            continue
        z = int(problem.place_zone[p])
        for t in slots:
            stranded = z >= 0 and scenario.zones[z].convoys_within_windows and not zone_covered[z, t]
            s[p, k, t] = lp.add_variable(f"s_{p}_{k}_{t}", lowBound=0, upBound=0 if stranded else None)

    # Offloading at open distribution points of zones needing the commodity (and, under the
    # convoys-within-windows rule, only when the offload and the empty return fit a window).
    within = offload_mask(scenario, grid.boundaries_min, problem.terms.zone_covered, problem.terms.road_usable)
    u: dict[tuple[int, int, int], pulp.LpVariable] = {}
    for p, k in sorted(truck_pairs):
        z = int(problem.place_zone[p])
        if scenario.places[p].kind != PlaceKind.distribution_point or z < 0 or problem.need_ppd[z, k] <= 0:
            continue
        for t in slots:
            if problem.terms.place_open[p, t] and within[p, t]:
                u[p, k, t] = lp.add_variable(f"u_{p}_{k}_{t}", lowBound=0)

    # Truck balance at every (place, commodity, slot).
    out_of: dict[tuple[int, int, int], list] = defaultdict(list)
    into: dict[tuple[int, int, int], list] = defaultdict(list)
    for m in range(len(trucks)):
        a, k = int(trucks.arc[m]), int(trucks.kind[m])
        out_of[int(arcs.tail[a]), k, int(trucks.dep[m])].append(x[m])
        into[int(arcs.head[a]), k, int(trucks.arr[m])].append(x[m])
    for p, k in sorted(truck_pairs):
        for t in slots:
            held = ([s[p, k, t]] if (p, k, t) in s else []) + ([-1 * s[p, k, t - 1]] if (p, k, t - 1) in s else [])
            flow = held + out_of[p, k, t] + [-1 * v for v in into[p, k, t]] + ([u[p, k, t]] if (p, k, t) in u else [])
            _add(lp, flow, "==", supply.get((p, k, t), 0.0), f"truck_balance_{p}_{k}_{t}")

    # Need tiers: units delivered to (zone, commodity) split into value tiers and excess.
    early = 1.0 + objective.aid_earliness_bonus * (1.0 - grid.midpoint_min / grid.horizon_min)
    delivered: dict[tuple[int, int], list] = defaultdict(list)
    for (p, k, t), var in u.items():
        delivered[int(problem.place_zone[p]), k].append(problem.payload[k] * early[t] * var)
    tier_of: dict[tuple[int, int, int], pulp.LpVariable] = {}
    for (z, k), units in sorted(delivered.items()):
        tiers = []
        for j, weight in enumerate(problem.tier_weight):
            g = lp.add_variable(f"g_{z}_{k}_{j}", lowBound=0)
            value.append(weight * problem.priority[k] / problem.need_ppd[z, k] * g)
            tiers.append(g)
            tier_of[z, k, j] = g
        excess = lp.add_variable(f"e_{z}_{k}", lowBound=0)
        lp += _sum(tiers) + excess == _sum(units), f"need_{z}_{k}"

    # --- people ----------------------------------------------------------------------------------
    origins, assembly, safe = problem.origins, problem.assembly, problem.safe_places
    y = [lp.add_variable(f"y{m}", lowBound=0) for m in range(len(people))]
    for m in range(len(people)):
        o, head = int(people.kind[m]), int(arcs.head[people.arc[m]])
        zone = scenario.zones[origins[o]]
        priority = zone.evacuation_priority if zone.evacuation_priority is not None else HAZARD_PRIORITY[zone.hazard]
        arrive_min = grid.boundaries_min[people.arr[m]]
        walk_hours = (grid.boundaries_min[people.arr[m]] - grid.boundaries_min[people.dep[m]]) / 60.0
        safe_value = priority * objective.person_days_per_person_safe * (1.0 + objective.earliness_bonus * (1.0 - arrive_min / grid.horizon_min))
        value.append(((safe_value if head in safe[o] else 0.0) - PERSON_HOUR_COST * walk_hours) * y[m])

    released = people_released(scenario, problem.proposal, grid, origins) if origins else []
    people_pairs = {(int(arcs.tail[a]), int(o)) for a, o in zip(people.arc, people.kind)}
    people_pairs |= {(int(arcs.head[a]), int(o)) for a, o in zip(people.arc, people.kind) if int(arcs.head[a]) not in safe[int(o)]}
    people_pairs |= {(assembly[o], o) for o in range(len(origins))}
    # People may wait where a place allows holding, at their assembly place, and in a screening point's
    # holding area; a screening point whose holding_people is 0 has none (the holding area decides).
    waits = {i for i, place in enumerate(scenario.places) if place.allows_holding}
    for i, place in enumerate(scenario.places):
        if place.screening is not None and place.screening.holding_people is not None:
            (waits.add if place.screening.holding_people > 0 else waits.discard)(i)
    waits |= set(assembly)
    h = {(p, o, t): lp.add_variable(f"h_{p}_{o}_{t}", lowBound=0) for p, o in sorted(people_pairs) if p in waits for t in slots}
    for i, place in enumerate(scenario.places):  # a holding area holds at most holding_people at once (all origins)
        if place.screening is None or place.screening.holding_people is None or i in set(assembly):
            continue
        for t in slots:
            waiting = [var for (p, _, tt), var in h.items() if p == i and tt == t]
            if waiting:
                _add(lp, waiting, "<=", float(place.screening.holding_people), f"holding_{i}_{t}")
    for (p, o, t), var in h.items():  # waiting away from home (the origin's assembly place) costs per person-hour
        if p != assembly[o]:
            value.append(-objective.person_hour_waiting_cost * grid.length_min[t] / 60.0 * var)
    # A screening point stops (detains or turns back) a share of the people it processes: for each
    # person walking on, 1 / (1 - stopped) were processed there, and its people_per_hour counts them all.
    processed = {}
    for i, place in enumerate(scenario.places):
        screen = place.screening
        stopped = (screen.detained.value if screen and screen.detained else 0.0) + (screen.turned_back.value if screen and screen.turned_back else 0.0)
        processed[i] = 1.0 / (1.0 - stopped)
    leave: dict[tuple[int, int, int], list] = defaultdict(list)
    arrive: dict[tuple[int, int, int], list] = defaultdict(list)
    for m in range(len(people)):
        a, o = int(people.arc[m]), int(people.kind[m])
        leave[int(arcs.tail[a]), o, int(people.dep[m])].append(processed[int(arcs.tail[a])] * y[m])
        if int(arcs.head[a]) not in safe[o]:
            arrive[int(arcs.head[a]), o, int(people.arr[m])].append(y[m])
    for p, o in sorted(people_pairs):
        for t in slots:
            held = ([h[p, o, t]] if (p, o, t) in h else []) + ([-1 * h[p, o, t - 1]] if (p, o, t - 1) in h else [])
            starting = float(released[o][t]) if p == assembly[o] else 0.0
            _add(lp, held + leave[p, o, t] + [-1 * v for v in arrive[p, o, t]], "==", starting, f"people_balance_{p}_{o}_{t}")

    # Destinations: an origin with a split rule sends each safe place it can reach its weight's share of
    # its arrivals; a place with capacity_people takes in at most that many (plan/destinations.py).
    arriving: dict[tuple[int, int], list] = defaultdict(list)
    for m in range(len(people)):
        o, head = int(people.kind[m]), int(arcs.head[people.arc[m]])
        if head in safe[o]:
            arriving[o, head].append(y[m])
    for o, z in enumerate(origins):
        rule = scenario.zones[z].evacuation.destination_split
        reached = sorted(d for oo, d in arriving if oo == o)
        if rule == "nearest" or len(reached) < 2:
            continue
        field = "preference_weight" if rule == "preference" else "capacity_people"
        weight = {d: float(getattr(scenario.places[d], field) or 0.0) for d in reached}
        everyone = _sum([v for d in reached for v in arriving[o, d]])
        for d in reached:
            share = weight[d] / sum(weight.values()) if sum(weight.values()) > 0 else 0.0
            lp += _sum(arriving[o, d]) - share * everyone == 0, f"split_{o}_{d}"
    for d, place in enumerate(scenario.places):
        into = [v for (_, dd), vs in arriving.items() if dd == d for v in vs]
        if place.capacity_people is not None and into:
            lp += _sum(into) <= place.capacity_people, f"shelter_{d}"

    # Fair evacuation: each origin that can reach safety gets at least FAIR_SHARE of its proportional part.
    if len(origins) >= 2 and len(people):
        reaching = [m for m in range(len(people)) if int(arcs.head[people.arc[m]]) in safe[int(people.kind[m])]]
        reachable = {int(people.kind[m]) for m in reaching}
        total_released = {o: float(np.sum(released[o])) if o in reachable else 0.0 for o in range(len(origins))}
        total = sum(total_released.values())
        for o, amount in total_released.items():
            if amount > 0 and total > 0:
                share = FAIR_SHARE * amount / total
                lp += _sum([y[m] for m in reaching if people.kind[m] == o]) - share * _sum([y[m] for m in reaching]) >= 0, f"fair_{o}"

    # Tier widths: Δshare_j x the zone's need over the horizon. With needs_follow_people, people who
    # arrive where they stay (a safe place, or home for a return) take their need along for the days left:
    # need[z,k] = need_units[z,k] + need_ppd[z,k] x (person-days arriving in z − person-days leaving z).
    presence: dict[int, list] = defaultdict(list)
    if objective.needs_follow_people:
        for m in range(len(people)):
            o, head = int(people.kind[m]), int(arcs.head[people.arc[m]])
            if head not in safe[o]:
                continue
            days_left = (grid.horizon_min - grid.boundaries_min[people.arr[m]]) / 1440.0
            reached = int(problem.place_zone[head])
            if reached >= 0:
                presence[reached].append(days_left * y[m])
            presence[int(origins[o])].append(-days_left * y[m])
    for (z, k, j), g in tier_of.items():
        delta = problem.tier_share[j + 1] - problem.tier_share[j]
        if z in presence:
            moved = delta * problem.need_ppd[z, k] * _sum(presence[z])
            lp += g - moved <= delta * problem.need_units[z, k], f"tier_{z}_{k}_{j}"
        else:
            g.upBound = delta * problem.need_units[z, k]

    # --- capacities (whole units per slot, from the compiled problem) ------------------------------
    def at_most(groups: dict[tuple[int, int], list], capacity: np.ndarray, name: str) -> None:
        for (entity, t), terms in sorted(groups.items()):
            if np.isfinite(capacity[entity, t]):
                _add(lp, terms, "<=", float(capacity[entity, t]), f"{name}_{entity}_{t}")

    place_trucks: dict[tuple[int, int], list] = defaultdict(list)
    road_trucks: dict[tuple[int, int], list] = defaultdict(list)
    for m in range(len(trucks)):
        place_trucks[int(arcs.tail[trucks.arc[m]]), int(trucks.dep[m])].append(x[m])
        road_trucks[int(trucks.arc[m]), int(trucks.dep[m])].append(x[m])
    offloads: dict[tuple[int, int], list] = defaultdict(list)
    for (p, _, t), var in u.items():
        place_trucks[p, t].append(var)
        offloads[p, t].append(var)
    at_most(place_trucks, problem.place_trucks_cap, "place_trucks")
    at_most(road_trucks, problem.road_trucks_cap, "road_trucks")
    offload_rate = np.array([60.0 / p.offload_minutes_per_truck if p.offload_minutes_per_truck else np.inf for p in scenario.places])
    at_most(offloads, whole_unit_capacity(offload_rate, problem.terms.place_open, grid.length_min), "offload")

    place_people: dict[tuple[int, int], list] = defaultdict(list)
    road_people: dict[tuple[int, int], list] = defaultdict(list)
    for m in range(len(people)):
        place_people[int(arcs.tail[people.arc[m]]), int(people.dep[m])].append(processed[int(arcs.tail[people.arc[m]])] * y[m])
        road_people[int(people.arc[m]), int(people.dep[m])].append(y[m])
    at_most(place_people, problem.place_people_cap, "place_people")
    at_most(road_people, problem.road_people_cap, "road_people")

    # Quotas (docs/agreements.md): each resolved quota counts trucks of its commodities leaving its
    # places in its slots — a local day (all of it, or only its window / non-window slots), or an
    # agreement day's window slots (24-hour periods from the first window's start, absolute minutes).
    terms = problem.terms
    slot_start = grid.boundaries_min[:-1]

    def counted_slots(quota) -> np.ndarray:  # noqa: ANN001 — a DayQuota: its period and window state, not its mask
        if quota.agreement_hours:
            return (slot_start >= quota.start_min) & (slot_start < quota.end_min) & terms.window_active
        day = terms.slot_day == quota.day
        return day if quota.during_window is None else day & (terms.window_active == quota.during_window)

    def period_slots(quota) -> np.ndarray:  # noqa: ANN001
        if quota.agreement_hours:
            return (slot_start >= quota.start_min) & (slot_start < quota.end_min)
        return terms.slot_day == quota.day

    def counted(quota) -> list:  # noqa: ANN001
        in_slots = counted_slots(quota)
        return [
            x[m] for m in range(len(trucks))
            if int(arcs.tail[trucks.arc[m]]) in quota.places and int(trucks.kind[m]) in quota.commodities
            and in_slots[trucks.dep[m]]
        ]

    # Floors and shares count trucks net: entering from the quota's places (to any place but the far side
    # of the crossings: what trucks reach from a zoneless stock place without passing a crossing) minus
    # loaded trucks coming back into them from such a place, arrivals in the counted slots; a loop counts once.
    is_crossing = [place.kind == PlaceKind.crossing for place in scenario.places]
    place_index = {place.id: i for i, place in enumerate(scenario.places)}
    far = {place_index[s.place] for s in scenario.stocks if scenario.places[place_index[s.place]].zone is None}
    far = {p for p in far if not is_crossing[p]}
    grown = True
    while grown:
        reach = {int(arcs.head[a]) for a in range(len(arcs.tail)) if int(arcs.tail[a]) in far and not is_crossing[int(arcs.head[a])]}
        grown = not reach <= far
        far |= reach

    def counted_net(quota) -> list:  # noqa: ANN001
        in_slots = counted_slots(quota)
        out = []
        for m in range(len(trucks)):
            if int(trucks.kind[m]) not in quota.commodities:
                continue
            tail, head = int(arcs.tail[trucks.arc[m]]), int(arcs.head[trucks.arc[m]])
            if tail in quota.places and head not in quota.places and head not in far and in_slots[trucks.dep[m]]:
                out.append(x[m])
            if head in quota.places and tail not in quota.places and tail not in far and trucks.arr[m] < len(in_slots) and in_slots[trucks.arr[m]]:
                out.append(-1 * x[m])
        return out

    for q, quota in enumerate(terms.quotas):  # ceilings, whole trucks rounded down
        _add(lp, counted(quota), "<=", float(np.floor(quota.trucks_per_day + 1e-9)), f"quota_{q}")

    # Floors and shares are soft: a shortfall column per row, each truck short costing 100 x the most a
    # truckload (in the delivered tiers, at the earliest bonus) is worth. A floor above the whole-truck
    # capacity of its crossings in its counted slots while its commodities are admitted asks nothing.
    aid_bonus = objective.aid_earliness_bonus
    most_per_truck = max(
        [weight * problem.priority[k] / problem.need_ppd[z, k] * problem.payload[k] * (1.0 + aid_bonus)
         for z, k in delivered for weight in problem.tier_weight],
        default=1.0,
    )
    shortfall_cost = 100.0 * max(1.0, float(most_per_truck))
    for q, quota in enumerate(terms.quota_floors):
        if quota.at_least:
            whole = float(np.ceil(quota.trucks_per_day - 1e-9))
            admitted = counted_slots(quota) & terms.admitted_slots[list(quota.commodities)].any(axis=0)
            capacity = float(problem.place_trucks_cap[np.ix_(list(quota.places), np.flatnonzero(admitted))].sum())
            short = lp.add_variable(f"floor_short_{q}", lowBound=0)
            value.append(-shortfall_cost * short)
            lp += _sum(counted_net(quota)) + short >= (whole if whole <= capacity else 0.0), f"quota_floor_{q}"
        if quota.share is not None:
            in_period = period_slots(quota)
            offloaded = [var for (p, k, t), var in u.items()
                         if int(problem.place_zone[p]) in quota.zones and k in quota.commodities and in_period[t]]
            short = lp.add_variable(f"share_short_{q}", lowBound=0)
            value.append(-shortfall_cost * short)
            lp += _sum(offloaded) - quota.share * _sum(counted_net(quota)) + short >= 0, f"quota_share_{q}"

    # Fleet: trucks moving loaded (with their empty return) plus loaded trucks waiting away from stock.
    fleet = scenario.fleet
    if fleet is not None and len(trucks):
        factor = 1.0 + fleet.return_factor
        stock_pairs = {(p, k) for (p, k, _), loads in supply.items() if loads > 0}
        for t in slots:
            moving = [x[m] for m in range(len(trucks)) if trucks.dep[m] <= t < trucks.arr[m]]
            waiting = [var for (p, k, slot), var in s.items() if slot == t and (p, k) not in stock_pairs]
            _add(lp, [factor * v for v in moving] + waiting, "<=", float(fleet.trucks), f"fleet_{t}")

    lp += _sum(value)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # PuLP 3.3 announces that 4.0 unbundles CBC
        status = lp.solve(pulp.PULP_CBC_CMD(msg=False))
    if pulp.LpStatus[status] != "Optimal":
        raise RuntimeError(f"PuLP/CBC did not find the optimum: {pulp.LpStatus[status]}")
    return float(pulp.value(lp.objective))
