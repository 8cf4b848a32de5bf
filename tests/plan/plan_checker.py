"""An independent check of a plan against its scenario, written without the planner's code.

It re-reads the scenario YAML (substituting ``$parameters`` itself), rebuilds time with ``zoneinfo``
(every instant in UTC), and checks every convoy and evacuation movement of a plan's JSON
(``PlanResult.to_dict()``) against the rules the planner promises:

- routes: roads exist, join the legs' places in an allowed direction, carry trucks (convoys) or
  people on foot (evacuations); legs chain; waits only where waiting is allowed (people may wait at
  a screening point with a holding area, never more than its ``holding_people`` at once);
- timing: inside the horizon, each leg at least as long as its travel time, legs in order; people
  leaving a screening point take its ``processing_minutes`` on top of the walk;
- pause-only roads: used only while a window covering the road is on, for the whole leg;
- opening hours: departures from open places, offloading while the distribution point is open;
- destinations: shelters take in at most ``capacity_people``; an origin's ``destination_split``
  (preference weights or capacities) shares its people among the destinations the plan reaches (under
  `when_full: redirect` a full place takes at most its share, the others split the rest);
- throughput: trucks (people) leaving a place, and entering a road, per hour (a screening point
  counts everyone it processes: those walking on times 1 / (1 - detained - turned back));
- daily quotas (prorated on days a proposal's windows cover in part), restricted goods;
- quota floors ("at least", prorated also by the part of the day inside the horizon) and shares
  (of the trucks a quota counts in a period, at least ``share`` offloaded in its zones in that
  period), each met or reported short in the plan's ``quota_shortfalls`` with the right figures;
- agreement-hours quotas: counted over 24-hour days from the agreement's first window start, only
  while a window is open (a truck before a ceasefire starts is never counted under its quota);
- stock lot by lot: what leaves an origin never outruns what has arrived there;
- fleet: (1 + return_factor) x trucks moving loaded + trucks waiting loaded away from a stock
  origin <= fleet, at every moment;
- convoy rules (when the scenario sets ``convoy_rules``): every planned convoy has between
  ``min_trucks`` and ``max_trucks`` (else the fleet's ``max_convoy_trucks``) trucks, its dispatches
  are journeys of the plan on the convoy's route (stopping on the way), leaving within
  ``marshalling_minutes`` of the convoy's departure; convoys of one route and window leave at least
  ``departure_spacing_minutes`` apart; every truck of every journey rides in exactly one convoy;
- KPIs: totals recomputed from the schedule, need met (needs follow the people who moved, from
  their arrival), people safe (returns apart: people going
  back home are ``returned``, never "safe"; people detained and turned back at screening are the
  screening shares of the people processed there, counted apart), objective <= bound.

``check_plan`` returns the violations as readable strings (empty: the plan keeps every rule). The
only thing taken from Safe Passage is nothing at all: the inputs are YAML text and plan JSON.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo

import yaml

UTC = dt.timezone.utc
TOL_MIN = 1.0  # plan times are printed to the minute
_HOLD_DEFAULT_OFF = {"checkpoint", "junction"}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _substitute(node: Any, parameters: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        return {k: (v if k == "parameters" else _substitute(v, parameters)) for k, v in node.items()}
    if isinstance(node, list):
        return [_substitute(v, parameters) for v in node]
    if isinstance(node, str) and node.startswith("$") and node[1:] in parameters:
        return parameters[node[1:]]["value"]
    return node


def read_scenario(text: str) -> dict[str, Any]:
    """The scenario mapping with every ``$parameter`` replaced by its value."""
    data = yaml.safe_load(text)
    return _substitute(data, data.get("parameters") or {})


def _naive(value: Any) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))


class _Clock:
    """Local wall-clock times of the scenario to UTC, and back."""

    def __init__(self, timezone: str) -> None:
        self.zone = ZoneInfo(timezone)

    def utc(self, value: Any) -> dt.datetime:
        moment = _naive(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.zone)
        return moment.astimezone(UTC)

    def local_date(self, moment: dt.datetime) -> dt.date:
        return moment.astimezone(self.zone).date()


def _minutes(a: dt.datetime, b: dt.datetime) -> float:
    return (b - a).total_seconds() / 60.0


def _merge(spans: list[tuple[dt.datetime, dt.datetime]]) -> list[tuple[dt.datetime, dt.datetime]]:
    out: list[list[dt.datetime]] = []
    for lo, hi in sorted(spans):
        if out and lo <= out[-1][1] + dt.timedelta(minutes=TOL_MIN):
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return [(lo, hi) for lo, hi in out]


def _inside(spans: list[tuple[dt.datetime, dt.datetime]], lo: dt.datetime, hi: dt.datetime) -> bool:
    slack = dt.timedelta(minutes=TOL_MIN)
    return any(a - slack <= lo and hi <= b + slack for a, b in _merge(spans))


def _overlap_hours(spans: list[tuple[dt.datetime, dt.datetime]], lo: dt.datetime, hi: dt.datetime) -> float:
    return sum(max(0.0, (min(b, hi) - max(a, lo)).total_seconds()) for a, b in _merge(spans)) / 3600.0


class PlanChecker:
    """The rules of one scenario and proposal, ready to check plans (see the module docstring)."""

    def __init__(self, scenario_text: str, proposal_id: str, days: float | None = None) -> None:
        s = read_scenario(scenario_text)
        self.s = s
        self.clock = _Clock(s["timezone"])
        horizon = s["horizon"]
        self.start = self.clock.utc(horizon["start"])
        self.days = float(days if days is not None else horizon.get("days", 7.0))
        self.end = self.start + dt.timedelta(days=self.days)
        self.max_slot_min = float(max(horizon.get("slot_minutes", 15), horizon.get("coarse_slot_minutes") or 0))
        self.places = {p["id"]: p for p in s["places"]}
        self.roads = {r["id"]: r for r in s.get("roads") or []}
        self.zones = {z["id"]: z for z in s.get("zones") or []}
        self.commodities = {c["id"]: c for c in s["commodities"]}
        self.proposal = next(p for p in s.get("proposals") or [] if p["id"] == proposal_id)
        self.fleet = s.get("fleet")
        self.policy = s.get("policy") or {}
        # Window occurrences in UTC, each with the roads it covers (everywhere; listed roads; roads
        # touching a place in a listed zone).
        self.occurrences: list[tuple[dt.datetime, dt.datetime, set[str]]] = []
        for window in self.proposal.get("windows") or []:
            if window.get("everywhere"):
                covered = set(self.roads)
            else:
                zones = set(window.get("zones") or [])
                covered = {
                    rid for rid, r in self.roads.items()
                    if rid in set(window.get("roads") or []) or self.places[r["from"]].get("zone") in zones or self.places[r["to"]].get("zone") in zones
                }
            start, end = _naive(window["start"]), _naive(window["end"])
            for day in range(int(window.get("repeat_days", 1))):
                shift = dt.timedelta(days=day)  # the same local clock time each day
                self.occurrences.append((self.clock.utc(start + shift), self.clock.utc(end + shift), covered))
        self.window_spans = [(a, b) for a, b, _ in self.occurrences]

    # -- facts -------------------------------------------------------------------------------------
    def holds(self, place_id: str) -> bool:
        place = self.places[place_id]
        if place.get("holding") is not None:
            return bool(place["holding"])
        return place["kind"] not in _HOLD_DEFAULT_OFF

    def people_hold(self, place_id: str) -> bool:
        """People may wait here: a screening point's holding area decides where it is given."""
        screening = self.places[place_id].get("screening") or {}
        if screening.get("holding_people") is not None:
            return float(screening["holding_people"]) > 0
        return self.holds(place_id)

    def processing_minutes(self, place_id: str) -> float:
        return float((self.places[place_id].get("screening") or {}).get("processing_minutes") or 0.0)

    def stopped_shares(self, place_id: str) -> tuple[float, float]:
        """(detained, turned back): shares of the people a screening point processes that it stops."""
        screening = self.places[place_id].get("screening") or {}
        return tuple(float((screening.get(key) or {}).get("value", 0.0)) for key in ("detained", "turned_back"))  # type: ignore[return-value]

    def processed_per_leaving(self, place_id: str) -> float:
        """People processed at a place for each who walks on from it: 1 / (1 - detained - turned back)."""
        return 1.0 / (1.0 - sum(self.stopped_shares(place_id)))

    def open_spans(self, place_id: str) -> list[tuple[dt.datetime, dt.datetime]]:
        place = self.places[place_id]
        if place.get("closed") and place_id not in (self.proposal.get("opens") or []):
            return []
        hours = place.get("opening_hours")
        if hours is None:
            return [(self.start - dt.timedelta(days=1), self.end + dt.timedelta(days=1))]
        spans = []
        day = self.clock.local_date(self.start) - dt.timedelta(days=1)
        while day <= self.clock.local_date(self.end):
            for period in hours:
                if WEEKDAYS[day.weekday()] in period.get("days", WEEKDAYS):
                    midnight = dt.datetime.combine(day, dt.time())
                    lo = midnight + dt.timedelta(minutes=_hhmm(period.get("open", "00:00")))
                    hi = midnight + dt.timedelta(minutes=_hhmm(period.get("close", "24:00")))
                    spans.append((self.clock.utc(lo), self.clock.utc(hi)))
            day += dt.timedelta(days=1)
        return spans

    def is_open(self, place_id: str, at: dt.datetime) -> bool:
        slack = dt.timedelta(minutes=TOL_MIN)
        return any(a - slack <= at < b for a, b in self.open_spans(place_id))

    def truck_minutes(self, road: dict[str, Any]) -> float | None:
        if road.get("trucks", True) is False or road.get("truck_speed_kmh") is None:
            return None
        return road["length_km"] / road["truck_speed_kmh"] * 60.0

    def walk_minutes(self, road: dict[str, Any]) -> float | None:
        if road.get("walking_minutes") is not None:
            return float(road["walking_minutes"])
        if road.get("walking_speed_kmh") is not None:
            return road["length_km"] / road["walking_speed_kmh"] * 60.0
        return None

    def window_active(self, at: dt.datetime) -> bool:
        """Some window of the proposal is on at ``at`` (start inclusive, end exclusive)."""
        half = dt.timedelta(seconds=30)
        return any(a - half <= at < b - half for a, b in self.window_spans)

    # -- the check ---------------------------------------------------------------------------------
    def check(self, plan: dict[str, Any]) -> list[str]:
        out: list[str] = []
        self.people_waiting: dict[str, list[tuple[dt.datetime, dt.datetime, int]]] = defaultdict(list)
        schedule = plan["schedule"]
        convoys, evacuations = schedule["convoys"], schedule["evacuations"]
        truck_leaves: dict[str, list[tuple[dt.datetime, int]]] = defaultdict(list)  # place -> (time, trucks)
        arc_trucks: dict[tuple[str, str, str], list[tuple[dt.datetime, int]]] = defaultdict(list)
        people_leaves: dict[str, list[tuple[dt.datetime, int]]] = defaultdict(list)
        arc_people: dict[tuple[str, str, str], list[tuple[dt.datetime, int]]] = defaultdict(list)
        for convoy in convoys:
            out += self._check_movement(convoy, "convoy", truck_leaves, arc_trucks)
        for movement in evacuations:
            out += self._check_movement(movement, "evacuation", people_leaves, arc_people)
        out += self._check_rates(truck_leaves, arc_trucks, "trucks_per_hour", "trucks")
        out += self._check_rates(people_leaves, arc_people, "people_per_hour", "people")
        out += self._check_holding_areas()
        out += self._check_destinations(evacuations)
        out += self._check_quotas_and_restrictions(convoys, plan.get("quota_shortfalls"))
        out += self._check_stock(convoys)
        out += self._check_fleet(convoys)
        out += self._check_kpis(plan, convoys, evacuations)
        out += self._check_convoy_rules(convoys, schedule.get("planned_convoys") or [])
        return out

    def _check_convoy_rules(self, journeys: list[dict[str, Any]], planned: list[dict[str, Any]]) -> list[str]:
        rules = self.s.get("convoy_rules")
        if not rules:
            return []
        out: list[str] = []
        low = int(rules.get("min_trucks", 1))
        high = rules.get("max_trucks") or (self.fleet or {}).get("max_convoy_trucks")
        marshal = float(rules.get("marshalling_minutes", 240.0))
        spacing = float(rules.get("departure_spacing_minutes", 0.0))
        by_id = {j["id"]: j for j in journeys}
        carried: dict[str, int] = defaultdict(int)
        starts: dict[tuple[Any, ...], list[dt.datetime]] = defaultdict(list)
        for convoy in planned:
            name = f"planned convoy {convoy['id']}"
            if convoy["trucks"] < low or (high and convoy["trucks"] > high):
                out.append(f"{name}: {convoy['trucks']} trucks, outside {low}..{high or 'any'} (convoy_rules)")
            if sum(d["trucks"] for d in convoy["dispatches"]) != convoy["trucks"]:
                out.append(f"{name}: its dispatches carry {sum(d['trucks'] for d in convoy['dispatches'])} trucks, not {convoy['trucks']}")
            leaves = self.clock.utc(convoy["departs"])
            for dispatch in convoy["dispatches"]:
                journey = by_id.get(dispatch["journey"])
                if journey is None:
                    out.append(f"{name}: dispatch of journey '{dispatch['journey']}', which the plan does not have")
                    continue
                carried[journey["id"]] += dispatch["trucks"]
                if list(convoy["route"][: len(journey["route"])]) != list(journey["route"]):
                    out.append(f"{name}: journey {journey['id']} does not follow the convoy's route")
                left = self.clock.utc(journey["departs"])
                if self.clock.utc(dispatch["departs"]) != left:
                    out.append(f"{name}: dispatch leaves at {dispatch['departs']}, its journey at {journey['departs']}")
                if left < leaves - dt.timedelta(minutes=TOL_MIN) or _minutes(leaves, left) > marshal + TOL_MIN:
                    out.append(f"{name}: journey {journey['id']} leaves at {journey['departs']}, not within {marshal:g} min after the convoy")
            starts[(tuple(convoy["route"]), convoy["window"], convoy["requires_pause"])].append(leaves)
        for key, times in starts.items():
            times.sort()
            for a, b in zip(times, times[1:]):
                if _minutes(a, b) < spacing - TOL_MIN:
                    out.append(f"convoys on {' > '.join(key[0])} ({key[1]}) leave {_minutes(a, b):g} min apart, under {spacing:g}")
        for journey in journeys:
            if carried[journey["id"]] != journey["trucks"]:
                out.append(f"journey {journey['id']}: {journey['trucks']} trucks, {carried[journey['id']]} of them in convoys")
        return out

    def _check_movement(self, item: dict[str, Any], what: str, leaves: dict, arc_use: dict) -> list[str]:
        out = []
        name = f"{what} {item['id']}"
        legs = item["legs"]
        count = item["trucks"] if what == "convoy" else item["people"]
        if count <= 0:
            out.append(f"{name}: moves {count} {'trucks' if what == 'convoy' else 'people'}")
        if not legs:
            return out + [f"{name}: has no legs"]
        departs, arrives = self.clock.utc(item["departs"]), self.clock.utc(item["arrives"])
        if departs < self.start - dt.timedelta(minutes=TOL_MIN) or arrives > self.end + dt.timedelta(minutes=TOL_MIN):
            out.append(f"{name}: {item['departs']} - {item['arrives']} is outside the horizon")
        route = item["route"] if what == "convoy" else item["corridor"]
        if route != [legs[0]["from_place"]] + [leg["to_place"] for leg in legs]:
            out.append(f"{name}: route {route} does not follow its legs")
        previous_arrival = departs
        for i, leg in enumerate(legs):
            where = f"{name} leg {i + 1} ({leg['road']} {leg['from_place']}->{leg['to_place']})"
            road = self.roads.get(leg["road"])
            if road is None:
                out.append(f"{where}: no such road")
                continue
            if (road["from"], road["to"]) != (leg["from_place"], leg["to_place"]) and (
                road.get("one_way") or (road["to"], road["from"]) != (leg["from_place"], leg["to_place"])
            ):
                out.append(f"{where}: the road does not join these places in this direction")
            if i and legs[i - 1]["to_place"] != leg["from_place"]:
                out.append(f"{where}: does not start where the previous leg ended")
            lo, hi = self.clock.utc(leg["departs"]), self.clock.utc(leg["arrives"])
            travel = self.truck_minutes(road) if what == "convoy" else self.walk_minutes(road)
            if travel is not None and what == "evacuation":
                travel += self.processing_minutes(leg["from_place"])
            if travel is None:
                out.append(f"{where}: the road is not open to {'trucks' if what == 'convoy' else 'people on foot'}")
            elif _minutes(lo, hi) < travel - TOL_MIN:
                out.append(f"{where}: takes {_minutes(lo, hi):.0f} min, less than its travel time {travel:.0f} min")
            if lo < previous_arrival - dt.timedelta(minutes=TOL_MIN):
                out.append(f"{where}: departs {leg['departs']} before arriving there")
            if i and lo > previous_arrival + dt.timedelta(minutes=TOL_MIN):
                if what == "evacuation":
                    waiting_ok = self.people_hold(leg["from_place"]) or leg["from_place"] == self._assembly(item)
                    self.people_waiting[leg["from_place"]].append((previous_arrival, lo, count))
                else:
                    waiting_ok = self.holds(leg["from_place"])
                if not waiting_ok:
                    out.append(f"{where}: waits at '{leg['from_place']}', where waiting is not allowed")
            if road.get("requires_pause"):
                spans = [(a, b) for a, b, roads in self.occurrences if leg["road"] in roads]
                if what == "convoy" and not _inside(spans, lo, hi):
                    out.append(f"{where}: on a pause-only road at {leg['departs']} - {leg['arrives']}, outside every window covering it")
                # People must enter a pause-only road inside a window; once on it they walk on.
                if what == "evacuation" and not _inside(spans, lo, lo + dt.timedelta(seconds=1)):
                    out.append(f"{where}: enters a pause-only road at {leg['departs']}, outside every window covering it")
            if not self.is_open(leg["from_place"], lo):
                out.append(f"{where}: leaves '{leg['from_place']}' at {leg['departs']}, when it is closed")
            if not self.open_spans(leg["to_place"]):
                out.append(f"{where}: goes to '{leg['to_place']}', which is closed all horizon")
            # A screening point's rate counts everyone it processes, those it stops too.
            processed = count * self.processed_per_leaving(leg["from_place"]) if what == "evacuation" else count
            leaves[leg["from_place"]].append((lo, processed))
            arc_use[(leg["road"], leg["from_place"], leg["to_place"])].append((lo, count))
            previous_arrival = hi
        if what == "convoy":
            out += self._check_convoy_ends(item, name, previous_arrival, arrives, leaves)
        else:
            out += self._check_evacuation_ends(item, name)
        return out

    def _check_convoy_ends(self, convoy: dict[str, Any], name: str, last_arrival: dt.datetime, offload: dt.datetime, leaves: dict) -> list[str]:
        out = []
        destination = self.places[convoy["destination"]]
        if destination["kind"] != "distribution_point":
            out.append(f"{name}: offloads at '{convoy['destination']}', not a distribution point")
        if destination.get("zone") != convoy["zone"]:
            out.append(f"{name}: zone '{convoy['zone']}' is not the destination's zone")
        if convoy["legs"][-1]["to_place"] != convoy["destination"]:
            out.append(f"{name}: the last leg does not reach the destination")
        if offload < last_arrival - dt.timedelta(minutes=TOL_MIN):
            out.append(f"{name}: offloads at {convoy['arrives']}, before it arrives")
        if offload > last_arrival + dt.timedelta(minutes=TOL_MIN) and not self.holds(convoy["destination"]):
            out.append(f"{name}: waits at '{convoy['destination']}' where waiting is not allowed")
        if not self.is_open(convoy["destination"], offload):
            out.append(f"{name}: offloads at {convoy['arrives']}, when '{convoy['destination']}' is closed")
        needs = (self.zones.get(convoy["zone"]) or {}).get("needs_per_person_per_day") or {}
        trucks = 0
        for commodity, n in convoy["cargo_trucks"].items():
            trucks += n
            if needs.get(commodity, 0) <= 0:
                out.append(f"{name}: carries {commodity}, which zone '{convoy['zone']}' does not need")
            payload = self.commodities[commodity]["truck_payload"]
            if abs(convoy["cargo"][commodity] - n * payload) > 1e-6 * max(1.0, n * payload):
                out.append(f"{name}: {convoy['cargo'][commodity]} {commodity} is not {n} truckloads of {payload}")
        if trucks != convoy["trucks"]:
            out.append(f"{name}: cargo fills {trucks} trucks, not {convoy['trucks']}")
        limit = (self.fleet or {}).get("max_convoy_trucks")
        if limit and convoy["trucks"] > limit:
            out.append(f"{name}: {convoy['trucks']} trucks, more than max_convoy_trucks {limit}")
        if convoy["requires_pause"] != any(self.roads.get(leg["road"], {}).get("requires_pause") for leg in convoy["legs"]):
            out.append(f"{name}: requires_pause is wrong")
        leaves[convoy["destination"]].append((offload, convoy["trucks"]))  # offloading uses the place's throughput
        zone = self.zones.get(convoy["zone"]) or {}
        if zone.get("convoys_within_windows"):
            # Entry, offloading and the empty return back over the pause-only legs inside one window.
            back = 0.0
            for leg in reversed(convoy["legs"]):
                road = self.roads.get(leg["road"]) or {}
                if not road.get("requires_pause"):
                    break
                back += self.truck_minutes(road) or 0.0
            done = offload + dt.timedelta(minutes=float(destination.get("offload_minutes_per_truck") or 0.0) + back)
            entry = next((self.clock.utc(leg["departs"]) for leg in convoy["legs"] if (self.roads.get(leg["road"]) or {}).get("requires_pause")), offload)
            spans = [(a, b) for a, b, _ in self.occurrences]
            if not _inside(spans, entry, done):
                out.append(f"{name}: enters at {entry}, offloads and returns by {done}, not inside one window")
        return out

    def _check_holding_areas(self) -> list[str]:
        """People waiting at a screening point never exceed its holding area (+1 per waiting group for
        whole-person rounding)."""
        out = []
        for place_id, stays in self.people_waiting.items():
            cap = (self.places[place_id].get("screening") or {}).get("holding_people")
            if cap is None:
                continue
            # Leaving before arriving at the same instant (half-open stays).
            events = sorted([(a, n, 1) for a, _, n in stays] + [(b, -n, -1) for _, b, n in stays], key=lambda e: (e[0], e[1]))
            present = groups = 0
            for moment, change, group in events:
                present += change
                groups += group
                if present > float(cap) + groups:
                    out.append(f"'{place_id}': {present} people waiting at {moment}, more than its holding area of {cap}")
                    break
        return out

    def _check_destinations(self, evacuations: list[dict[str, Any]]) -> list[str]:
        """Shelters take in at most their ``capacity_people``; an origin with a ``destination_split``
        of ``preference`` or ``capacity`` sends each destination it reaches its weight's share of its
        people (over the destinations the plan reaches; give or take one person per movement, for the
        whole-person rounding of each). Under ``when_full: redirect`` (the default) a full place takes
        at most that share and the others split the rest by their weights."""
        out = []
        arriving: dict[str, int] = defaultdict(int)
        by_origin: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        movements: dict[str, int] = defaultdict(int)
        for movement in evacuations:
            arriving[movement["destination"]] += movement["people"]
            by_origin[movement["origin_zone"]][movement["destination"]] += movement["people"]
            movements[movement["origin_zone"]] += 1
        for place_id, n in arriving.items():
            cap = self.places[place_id].get("capacity_people")
            if cap is not None and n > float(cap) + 1e-6:
                out.append(f"'{place_id}': {n} people arrive, more than its capacity of {cap}")
        into: dict[str, int] = defaultdict(int)
        for movement in evacuations:
            into[movement["destination"]] += 1
        for zone_id, counts in by_origin.items():
            evacuation = self.zones[zone_id].get("evacuation") or {}
            rule = evacuation.get("destination_split", "nearest")
            if rule == "nearest":
                continue
            field = "preference_weight" if rule == "preference" else "capacity_people"
            weight = {d: float(self.places[d].get(field) or 0.0) for d in counts}
            total, weights = sum(counts.values()), sum(weight.values())
            # when_full: redirect (default): a full place takes at most its share of everyone, and the
            # others split the rest among themselves by their weights; stop: the split holds as stated.
            full = set()
            if evacuation.get("when_full", "redirect") == "redirect":
                for d in counts:
                    cap = self.places[d].get("capacity_people")
                    if cap is not None and arriving[d] >= float(cap) - into[d] - 1:
                        full.add(d)
            for d in full:
                most = total * weight[d] / weights if weights > 0 else 0.0
                if counts[d] > most + movements[zone_id] + 1:
                    out.append(f"zone '{zone_id}': {counts[d]} people go to full '{d}', more than its {rule} share {most:.0f}")
            rest_total = total - sum(counts[d] for d in full)
            rest_weights = sum(w for d, w in weight.items() if d not in full)
            for d, n in counts.items():
                if d in full:
                    continue
                expected = rest_total * weight[d] / rest_weights if rest_weights > 0 else 0.0
                if abs(n - expected) > movements[zone_id] + 1:
                    out.append(f"zone '{zone_id}': {n} people go to '{d}', its {rule} share of {rest_total} is {expected:.0f}")
        return out

    def _assembly(self, movement: dict[str, Any]) -> str:
        return self.zones[movement["origin_zone"]]["evacuation"]["assembly_place"]

    def _check_evacuation_ends(self, movement: dict[str, Any], name: str) -> list[str]:
        out = []
        evacuation = self.zones[movement["origin_zone"]].get("evacuation")
        if not evacuation:
            return [f"{name}: zone '{movement['origin_zone']}' has no evacuation"]
        if movement["corridor"][0] != evacuation["assembly_place"]:
            out.append(f"{name}: starts at '{movement['corridor'][0]}', not the assembly place '{evacuation['assembly_place']}'")
        destination = self.places[movement["destination"]]
        if destination.get("zone") not in evacuation["destinations"] or movement["destination_zone"] != destination.get("zone"):
            out.append(f"{name}: ends at '{movement['destination']}', not in a safe zone {evacuation['destinations']}")
        # Evacuees end at a shelter where their destination zones have one.
        safe = {pid for pid, p in self.places.items() if p.get("zone") in evacuation["destinations"]}
        shelters = {pid for pid in safe if self.places[pid]["kind"] == "shelter"}
        safe = shelters or safe
        if movement["destination"] not in safe:
            out.append(f"{name}: ends at '{movement['destination']}', not at a shelter of its destination zones")
        for leg in movement["legs"][:-1]:
            if leg["to_place"] in safe:
                out.append(f"{name}: passes through a safe place '{leg['to_place']}' and walks on")
                break
        return out

    def _check_rates(self, leaves: dict, arc_use: dict, field: str, unit: str) -> list[str]:
        """Cumulative leaving between any two departure times stays within rate x open hours (+1 for
        the whole-unit rounding of a slot, and one slot of slack at the end)."""
        out = []
        for place_id, events in leaves.items():
            rate = self.places[place_id].get(field)
            if rate:
                out += self._rate_violations(events, rate, self.open_spans(place_id), f"place '{place_id}'", unit)
        for (road_id, a, b), events in arc_use.items():
            rate = self.roads[road_id].get(field)
            if rate:
                always = [(self.start - dt.timedelta(days=1), self.end + dt.timedelta(days=1))]
                out += self._rate_violations(events, rate, always, f"road '{road_id}' {a}->{b}", unit)
        return out

    def _rate_violations(self, events: list[tuple[dt.datetime, int]], rate: float, open_spans: list, where: str, unit: str) -> list[str]:
        per_time: dict[dt.datetime, int] = defaultdict(int)
        for moment, n in events:
            per_time[moment] += n
        times = sorted(per_time)
        counts = [per_time[t] for t in times]
        slot = dt.timedelta(minutes=self.max_slot_min)
        for i in range(len(times)):
            total = 0
            for j in range(i, len(times)):
                total += counts[j]
                allowed = rate * _overlap_hours(open_spans, times[i], times[j] + slot) + 1.0
                if total > allowed + 1e-6:
                    return [f"{where}: {total} {unit} leave between {times[i].isoformat()} and {times[j].isoformat()}, more than {allowed:.1f} allowed at {rate}/h"]
        return []

    def _check_quotas_and_restrictions(self, convoys: list[dict[str, Any]], shortfalls: list[dict[str, Any]] | None = None) -> list[str]:
        out = []
        crossings = {pid for pid, p in self.places.items() if p["kind"] == "crossing"}
        restricted = set(self.policy.get("restricted_commodities") or [])
        admits = set(self.proposal.get("admits") or [])
        # Every truck leaving a crossing: (time, inside a window?, place, commodity, trucks); and every
        # offload: (time, zone, commodity, trucks).
        leaving: list[tuple[dt.datetime, bool, str, str, int]] = []
        offloads: list[tuple[dt.datetime, str, str, int]] = []
        for convoy in convoys:
            for commodity, n in convoy["cargo_trucks"].items():
                offloads.append((self.clock.utc(convoy["arrives"]), convoy["zone"], commodity, n))
            for leg in convoy["legs"]:
                if leg["from_place"] not in crossings:
                    continue
                at = self.clock.utc(leg["departs"])
                inside = self.window_active(at)
                for commodity, n in convoy["cargo_trucks"].items():
                    if commodity in restricted and not (commodity in admits and inside):
                        out.append(f"convoy {convoy['id']}: restricted {commodity} leaves crossing '{leg['from_place']}' at {leg['departs']} without admission")
                    leaving.append((at, inside, leg["from_place"], commodity, n))
        # Floors and shares count trucks net: a loaded truck leaving a crossing for a place not on its far
        # side counts +1, one coming back into it from such a place (at its arrival) -1, so a truck driving
        # round a crossing counts once. The far side: what a truck reaches from a stock place outside every
        # zone by roads that pass no crossing.
        far = {st["place"] for st in self.s.get("stocks") or [] if not self.places[st["place"]].get("zone")} - crossings
        while True:
            more = {
                b
                for r in self.roads.values()
                for a, b in ([(r["from"], r["to"])] + ([] if r.get("one_way") else [(r["to"], r["from"])]))
                if a in far and b not in crossings
            } - far
            if not more:
                break
            far |= more
        moves: list[tuple[dt.datetime, bool, str, dt.datetime, bool, str, str, int]] = []
        for convoy in convoys:
            for leg in convoy["legs"]:
                if leg["from_place"] in far and leg["to_place"] in far:
                    continue
                dep, arr = self.clock.utc(leg["departs"]), self.clock.utc(leg["arrives"])
                for commodity, n in convoy["cargo_trucks"].items():
                    moves.append((dep, self.window_active(dep), leg["from_place"], arr, self.window_active(arr), leg["to_place"], commodity, n))

        def net(places: set[str], kinds: set[str], lo: dt.datetime, hi: dt.datetime, during: bool | None) -> int:
            """Trucks entering from ``places`` in the counted hours, minus those coming back into them."""
            total = 0
            for dep, dep_in, a, arr, arr_in, b, k, n in moves:
                if k not in kinds or (a in places) == (b in places) or (b if a in places else a) in far:
                    continue
                at, inside = (dep, dep_in) if a in places else (arr, arr_in)
                if lo <= at < hi and (during is None or inside == during):
                    total += n if a in places else -n
            return total

        reported = {(r["quota"], self.clock.utc(r["period_start"]), r["rule"]): r for r in shortfalls or []}

        def judge(quota: dict, label: str, part: float, lo: dt.datetime, hi: dt.datetime, during: bool | None, origin: str) -> None:
            places = set(quota.get("places") or crossings)
            kinds = set(quota.get("commodities") or self.commodities)
            used = sum(n for at, inside, p, k, n in leaving if lo <= at < hi and p in places and k in kinds and (during is None or inside == during))
            if quota.get("at_least") or quota.get("share") is not None:
                used = net(places, kinds, lo, hi, during)
            figure = quota["trucks_per_day"] * part
            if not quota.get("at_least"):
                cap = math.floor(figure + 1e-9)
                if used > cap:
                    out.append(f"{origin} quota {quota['trucks_per_day']}/day ({part:.2f} of the day from {lo.isoformat()}): {used} trucks, more than {cap}")
            else:
                floor = math.ceil(figure - 1e-9)
                note = reported.get((label, lo, "floor"))
                if used < floor and not (note and note["planned"] == used and note["required"] == floor):
                    out.append(f"{origin} floor {quota['trucks_per_day']}/day ({part:.2f} of the day from {lo.isoformat()}): {used} trucks, fewer than {floor}, and no shortfall reported")
            if quota.get("share") is not None:
                zones = set(quota["zones"])
                there = sum(n for at, z, k, n in offloads if lo <= at < hi and z in zones and k in kinds)
                note = reported.get((label, lo, "share"))
                if there < quota["share"] * used - 1e-6 and not (note and abs(note["planned"] - there) < 1e-6):
                    out.append(f"{origin} share {quota['share']} to {sorted(zones)} (the day from {lo.isoformat()}): {there} of {used} trucks offloaded there, and no shortfall reported")

        proposal_quotas = self.proposal.get("quotas")
        agreed = list(enumerate(proposal_quotas or []))
        by_day = [(i, q) for i, q in agreed if not q.get("during_agreement_hours")]
        policy = list(enumerate(self.policy.get("daily_quotas") or []))
        pid = self.proposal["id"]
        day = self.clock.local_date(self.start)
        while self.clock.utc(dt.datetime.combine(day, dt.time())) < self.end:
            midnight, next_midnight = self.clock.utc(dt.datetime.combine(day, dt.time())), self.clock.utc(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))
            lo, hi = max(self.start, midnight), min(self.end, next_midnight)
            in_horizon = (hi - lo) / (next_midnight - midnight)  # floors over a day the horizon cuts short
            share = min(1.0, _overlap_hours(self.window_spans, lo, hi) / max((hi - lo).total_seconds() / 3600.0, 1e-9))
            if proposal_quotas is None or share <= 1e-9:
                rules = [(q, f"policy.daily_quotas[{i}]", 1.0, None, "policy") for i, q in policy]
            else:
                rules = [(q, f"{pid}.quotas[{i}]", share, True, "proposal") for i, q in by_day]
                if share < 1.0:
                    rules += [(q, f"policy.daily_quotas[{i}]", 1.0 - share, False, "policy") for i, q in policy]
            for quota, label, part, during, origin in rules:
                judge(quota, label, part * (in_horizon if quota.get("at_least") else 1.0), lo, hi, during, origin)
            day += dt.timedelta(days=1)
        # Agreement hours: 24-hour days from the agreement's first window start, counting only the
        # hours a window is open; the last day a whole day, each cut to the horizon.
        hours_quotas = [(i, q) for i, q in agreed if q.get("during_agreement_hours")]
        if hours_quotas and self.window_spans:
            first, last = min(a for a, _ in self.window_spans), max(b for _, b in self.window_spans)
            lo = first
            while lo < last:
                hi = lo + dt.timedelta(days=1)
                a, b = max(lo, self.start), min(hi, self.end)
                if b > a:
                    for i, quota in hours_quotas:
                        judge(quota, f"{pid}.quotas[{i}]", (b - a) / dt.timedelta(days=1), a, b, True, "agreement-hours")
                lo = hi
        return out

    def _check_stock(self, convoys: list[dict[str, Any]]) -> list[str]:
        out = []
        lots: dict[tuple[str, str], list[tuple[dt.datetime, float]]] = defaultdict(list)
        for stock in self.s.get("stocks") or []:
            at = self.clock.utc(stock["available_from"]) if stock.get("available_from") else self.start
            lots[(stock["place"], stock["commodity"])].append((at, float(stock["quantity"])))
        shipped: dict[tuple[str, str], list[tuple[dt.datetime, float]]] = defaultdict(list)
        for convoy in convoys:
            for commodity, quantity in convoy["cargo"].items():
                shipped[(convoy["origin"], commodity)].append((self.clock.utc(convoy["departs"]), quantity))
        for key, moves in shipped.items():
            if key not in lots:
                out.append(f"stock: {key[1]} leaves '{key[0]}', which holds none")
                continue
            total = 0.0
            for when, quantity in sorted(moves):
                total += quantity
                arrived = sum(q for at, q in lots[key] if at <= when + dt.timedelta(minutes=TOL_MIN))
                if total > arrived + 1e-6 * max(1.0, arrived):
                    out.append(f"stock: {total:g} {key[1]} has left '{key[0]}' by {when.isoformat()}, but only {arrived:g} had arrived")
                    break
        return out

    def _check_fleet(self, convoys: list[dict[str, Any]]) -> list[str]:
        if not self.fleet:
            return []
        factor = 1.0 + float(self.fleet.get("return_factor", 1.0))
        stock_at = {(s["place"], s["commodity"]) for s in self.s.get("stocks") or []}
        events: list[tuple[dt.datetime, float]] = []
        for convoy in convoys:
            legs = convoy["legs"]
            for commodity, n in convoy["cargo_trucks"].items():
                for i, leg in enumerate(legs):
                    lo, hi = self.clock.utc(leg["departs"]), self.clock.utc(leg["arrives"])
                    events += [(lo, factor * n), (hi, -factor * n)]
                    until = self.clock.utc(legs[i + 1]["departs"]) if i + 1 < len(legs) else self.clock.utc(convoy["arrives"])
                    if until > hi and (leg["to_place"], commodity) not in stock_at:
                        events += [(hi, n), (until, -n)]
        level, peak, when = 0.0, 0.0, None
        for moment, change in sorted(events, key=lambda e: (e[0], e[1])):
            level += change
            if level > peak:
                peak, when = level, moment
        if peak > self.fleet["trucks"] + 1e-6:
            return [f"fleet: {peak:g} trucks in use at {when.isoformat() if when else '?'}, more than {self.fleet['trucks']}"]
        return []

    def _check_kpis(self, plan: dict[str, Any], convoys: list[dict[str, Any]], evacuations: list[dict[str, Any]]) -> list[str]:
        out = []
        crossings = {pid for pid, p in self.places.items() if p["kind"] == "crossing"}
        arrived: dict[str, int] = defaultdict(int)
        crossed: dict[str, int] = defaultdict(int)
        by_zone: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for convoy in convoys:
            n_crossings = sum(1 for leg in convoy["legs"] if leg["from_place"] in crossings)
            for commodity, n in convoy["cargo_trucks"].items():
                arrived[commodity] += n
                crossed[commodity] += n * n_crossings
                by_zone[convoy["zone"]][commodity] += convoy["cargo"][commodity]
        kpis = plan["kpis"]
        for commodity in self.commodities:
            if kpis["trucks_arrived"].get(commodity, 0) != arrived[commodity]:
                out.append(f"kpis.trucks_arrived[{commodity}] = {kpis['trucks_arrived'].get(commodity)}, the schedule has {arrived[commodity]}")
            if kpis["trucks_crossed"].get(commodity, 0) != crossed[commodity]:
                out.append(f"kpis.trucks_crossed[{commodity}] = {kpis['trucks_crossed'].get(commodity)}, the schedule has {crossed[commodity]}")
            tonnes = arrived[commodity] * self.commodities[commodity]["truck_payload"] * self.commodities[commodity].get("tonnes_per_unit", 1.0)
            if abs(kpis["tonnes_arrived"].get(commodity, 0.0) - tonnes) > 1e-3 * max(1.0, tonnes):
                out.append(f"kpis.tonnes_arrived[{commodity}] = {kpis['tonnes_arrived'].get(commodity)}, the schedule has {tonnes:g}")
        # Needs follow people: from the moment they arrive, people count in the zone they reach and no
        # longer in the one they left (unless the scenario's objective turns that off).
        person_days: dict[str, float] = {zid: z["population"] * self.days for zid, z in self.zones.items()}
        if (self.s.get("objective") or {}).get("needs_follow_people", False):
            for movement in evacuations:
                days_left = (self.end - self.clock.utc(movement["arrives"])).total_seconds() / 86400.0
                person_days[movement["destination_zone"]] += movement["people"] * days_left
                person_days[movement["origin_zone"]] -= movement["people"] * days_left
        for zone_id, zone in self.zones.items():
            for commodity, per_person in (zone.get("needs_per_person_per_day") or {}).items():
                need = per_person * person_days[zone_id]
                if need <= 0:
                    continue
                share = by_zone[zone_id].get(commodity, 0.0) / need
                if abs(kpis["need_met"][zone_id].get(commodity, 0.0) - share) > 1e-4:
                    out.append(f"kpis.need_met[{zone_id}][{commodity}] = {kpis['need_met'][zone_id].get(commodity)}, the schedule gives {share:.6f}")
        # People going back home (their zone's movement: return) are returned, never reaching safety.
        returning = {zid for zid, z in self.zones.items() if (z.get("evacuation") or {}).get("movement") == "return"}
        for movement in evacuations:
            purpose = "return" if movement["origin_zone"] in returning else "evacuation"
            if movement.get("purpose", "evacuation") != purpose:
                out.append(f"evacuation {movement['id']}: purpose '{movement.get('purpose')}', but people from '{movement['origin_zone']}' make a {purpose}")
        safe = sum(m["people"] for m in evacuations if m["origin_zone"] not in returning)
        if kpis["people_reached_safety"] != safe:
            out.append(f"kpis.people_reached_safety = {kpis['people_reached_safety']}, the schedule has {safe}")
        # People stopped at screening: for every group walking on from a point that stops a share, as
        # many more as that share of the people processed there (never counted as safe or returned).
        stopped = [0.0, 0.0]
        for movement in evacuations:
            for leg in movement["legs"]:
                processed = movement["people"] * self.processed_per_leaving(leg["from_place"])
                for i, share in enumerate(self.stopped_shares(leg["from_place"])):
                    stopped[i] += processed * share
        for key, expected in zip(("people_detained", "people_turned_back"), stopped):
            if abs(kpis.get(key, 0.0) - expected) > 0.051 + 1e-9 * expected:
                out.append(f"kpis.{key} = {kpis.get(key)}, the schedule and the screening shares give {expected:.1f}")
        returned = sum(m["people"] for m in evacuations if m["origin_zone"] in returning)
        if kpis.get("people_returned", 0) != returned:
            out.append(f"kpis.people_returned = {kpis.get('people_returned')}, the schedule has {returned}")
        by_origin: dict[str, int] = defaultdict(int)
        for movement in evacuations:
            by_origin[movement["origin_zone"]] += movement["people"]
        for zone_id, n in by_origin.items():
            wanting = (self.zones[zone_id].get("evacuation") or {}).get("wants_to_leave", 0)
            if n > wanting + 1e-6:
                out.append(f"zone '{zone_id}': {n} people moved, but only {wanting} want to leave")
        bound, objective = plan["bound"], plan["objective"]
        if objective > bound + 1e-6 * max(1.0, abs(bound)):
            out.append(f"objective {objective} is above the bound {bound}")
        expected_gap = (bound - objective) / abs(bound) if abs(bound) > 1e-9 else 0.0
        if abs(plan["gap"] - expected_gap) > 1e-9:
            out.append(f"gap {plan['gap']} is not (bound - objective) / bound = {expected_gap}")
        return out


def _hhmm(text: str) -> int:
    match = re.match(r"^(\d\d):(\d\d)$", text)
    if not match:
        raise ValueError(f"not HH:MM: {text!r}")
    return int(match.group(1)) * 60 + int(match.group(2))


def check_plan(scenario_text: str, plan: dict[str, Any], days: float | None = None) -> list[str]:
    """Every rule a plan (``PlanResult.to_dict()``) breaks on its scenario (YAML text); [] if none.
    ``days``: the horizon length the plan was made for, if not the scenario's."""
    return PlanChecker(scenario_text, plan["name"], days).check(plan)
