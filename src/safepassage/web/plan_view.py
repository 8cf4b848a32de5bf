"""What the plan page draws, computed from the plan's movements, their recorded events and the
scenario: zones coloured by need met, roads with the trucks and people planned on them, the windows,
one lane per movement, and people reaching safety over time (planned and recorded).

Pure functions of API data and a ``Scenario``; JSON-ready output, times in UTC ISO 8601.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo

from safepassage.interop.windows import window_occurrences
from safepassage.scenario import Scenario

__all__ = ["plan_frame", "plan_page_data", "zone_need_met_share", "binding_limits_in_words"]

FAILED = {"denied", "cancelled", "intercepted", "returned"}

_LIMIT_WORDS = {  # the planner's bottleneck kinds (plan/bottleneck.py) that are not a kind of place
    "quota": "the daily truck quota",
    "fleet": "the number of trucks available",
    "stock": "the stock at",
    "window": "the length of the pause windows of",
}


def _limit_subject(kind: str, ident: str, unit: str) -> str:
    """What binds, in words: a road or place limit says whether it is for trucks or people."""
    if kind in _LIMIT_WORDS:
        return f"{_LIMIT_WORDS[kind]} {ident}"
    people = unit.startswith("person")
    if kind == "road":
        return f"the {'walking' if people else 'truck'} capacity of the road {ident}"
    place = ident if kind == "place" else f"the {kind.replace('_', ' ')} {ident}"  # a crossing, a checkpoint, ...
    return f"the {'people' if people else 'truck'} throughput of {place}"


def binding_limits_in_words(bottlenecks: list[dict[str, Any]], scenario: Scenario | None = None) -> list[str]:
    """Each binding limit as a sentence, e.g. "the daily truck quota policy.daily_quotas[0] binds in
    4 time slots; one more truck per day would add 57,497 units of value". With the plan's
    ``scenario``, the limit is named as every other table names it (``evaluate.limits.limit_label``:
    "daily entry quota, 38 trucks/day binds in 4 time slots; ...")."""
    out = []
    for b in bottlenecks:
        unit = str(b.get("unit", "unit")).replace("hour more per", "hour per")
        kind, ident = str(b.get("kind", "limit")), str(b.get("id", ""))
        if scenario is not None:
            from safepassage.evaluate.limits import limit_label
            from safepassage.plan.result import Bottleneck

            limit = Bottleneck(kind, ident, float(b.get("value_per_unit", 0)), unit, int(b.get("binding_slots", 0)))
            what = limit_label(scenario, limit)
        else:
            what = _limit_subject(kind, ident, unit)
        out.append(
            f"{what} binds in {b.get('binding_slots', 0)} time slots; "
            f"one more {unit} would add {float(b.get('value_per_unit', 0)):,.0f} units of value"
        )
    return out


def zone_need_met_share(need_met: dict[str, dict[str, float]], zone_id: str) -> float | None:
    """Mean share of need met over the zone's commodities (None when the plan says nothing of the zone)."""
    shares = [float(v) for v in (need_met.get(zone_id) or {}).values() if v is not None]
    return sum(shares) / len(shares) if shares else None


def _utc(local: dt.datetime, tz: ZoneInfo) -> str:
    moment = local if local.tzinfo else local.replace(tzinfo=tz)
    return moment.astimezone(dt.UTC).isoformat()


def plan_frame(scenario: Scenario, plan: dict[str, Any]) -> dict[str, Any]:
    """What the plan page draws that depends only on the scenario and the plan itself (never on its
    movements' statuses or the events recorded): zones with need met, roads, places, the windows, and
    each place's position. A stored plan and scenario never change, so callers may cache it per plan."""
    tz = ZoneInfo(scenario.timezone)
    need_met = (plan.get("summary") or {}).get("need_met") or {}
    places = {p.id: p for p in scenario.places}
    zones = []
    for z in scenario.zones:
        share = zone_need_met_share(need_met, z.id)
        zones.append(
            {
                "type": "Feature",
                "geometry": z.geometry.model_dump(mode="json"),
                "properties": {
                    "id": z.id,
                    "name": z.name,
                    "need_met": share,
                    "need_met_by_commodity": need_met.get(z.id, {}),
                    "population": z.population,
                },
            }
        )
    roads = [
        {
            "id": r.id,
            "name": r.name,
            "requires_pause": r.requires_pause,
            "path": [
                [places[r.from_].geometry.coordinates[1], places[r.from_].geometry.coordinates[0]],
                [places[r.to].geometry.coordinates[1], places[r.to].geometry.coordinates[0]],
            ],
        }
        for r in scenario.roads
    ]
    crossings = [
        {
            "id": p.id,
            "name": p.name,
            "kind": p.kind.value,
            "lat": p.geometry.coordinates[1],
            "lon": p.geometry.coordinates[0],
        }
        for p in scenario.places
        if p.kind.value in ("crossing", "inspection", "checkpoint", "distribution_point", "warehouse")
    ]
    windows: list[dict[str, Any]] = []
    try:
        proposal = scenario.proposal(plan["proposal"])
    except Exception:  # noqa: BLE001 — an uploaded plan may name a proposal the scenario lacks
        proposal = None
    if proposal is not None:
        for o in window_occurrences(scenario, proposal):
            windows.append(
                {
                    "id": f"{o.window}-{o.day}",
                    "start": _utc(o.start, tz),
                    "end": _utc(o.end, tz),
                    "label": "pause: " + (", ".join(o.zones) or "listed roads"),
                }
            )
    start = _utc(scenario.horizon.start, tz)
    end = _utc(scenario.horizon.start + dt.timedelta(days=scenario.horizon.days), tz)
    return {
        "plan": {"id": plan["id"], "proposal": plan["proposal"], "horizon_start": start, "horizon_end": end},
        "zones": {"type": "FeatureCollection", "features": zones},
        "roads": roads,
        "places": crossings,
        # only the ends of roads (already drawn): a place off every road is never positioned here
        "points": {
            p: [places[p].geometry.coordinates[1], places[p].geometry.coordinates[0]]
            for p in sorted({end for r in scenario.roads for end in (r.from_, r.to)})
        },
        "windows": windows,
    }


def plan_page_data(
    scenario: Scenario,
    plan: dict[str, Any],
    movements: list[dict[str, Any]],
    events: list[dict[str, Any]],
    frame: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything the plan page's map, timelines and chart draw (see the module docstring). ``frame`` is
    ``plan_frame(scenario, plan)`` if the caller keeps it. A movement's ``route`` lists place ids; their
    positions are in ``points`` (``[lat, lon]``), sent once rather than once per movement."""
    frame = frame if frame is not None else plan_frame(scenario, plan)
    points = frame["points"]
    road_of: dict[frozenset[str], str] = {frozenset((r.from_, r.to)): r.id for r in scenario.roads}
    trucks_on: dict[str, int] = defaultdict(int)
    people_on: dict[str, int] = defaultdict(int)
    arrivals: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for e in events:
        if e.get("movement_id") is not None:
            arrivals[int(e["movement_id"])].append(e)

    lanes = []
    for m in movements:
        route = [p for p in (m.get("route") or []) if p in points]
        for a, b in zip(route, route[1:]):
            road = road_of.get(frozenset((a, b)))
            if road:
                if m["kind"] == "convoy":
                    trucks_on[road] += int(m.get("trucks") or 0)
                else:
                    people_on[road] += int(m.get("people") or 0)
        recorded = [e for e in arrivals.get(int(m["id"]), []) if e["kind"] == "arrived"]
        lanes.append(
            {
                "id": m["id"],
                "reference": m.get("reference", ""),
                "kind": m["kind"],
                "status": m["status"],
                "departs": m["departs"],
                "arrives": m["arrives"],
                "trucks": m.get("trucks", 0),
                "people": m.get("people", 0),
                "origin": m.get("origin"),
                "destination": m.get("destination"),
                "route": route,
                "arrived_at": recorded[-1]["occurred_at"] if recorded else None,
                "arrived_good": recorded[-1].get("quantities_good", {}) if recorded else {},
            }
        )
    roads = [{**r, "trucks": trucks_on.get(r["id"], 0), "people": people_on.get(r["id"], 0)} for r in frame["roads"]]

    planned_safe = sorted(
        (
            (m["arrives"], int(m.get("people") or 0))
            for m in movements
            if m["kind"] == "evacuation" and m["status"] not in FAILED
        )
    )
    recorded_safe = sorted(
        (
            (e["occurred_at"], int(e.get("people") or 0))
            for m in movements
            if m["kind"] == "evacuation"
            for e in arrivals.get(int(m["id"]), [])
            if e["kind"] == "arrived"
        )
    )
    return {
        **frame,
        "roads": roads,
        "movements": lanes,
        "safe": {"planned": _cumulative(planned_safe), "recorded": _cumulative(recorded_safe)},
    }


def _cumulative(points: list[tuple[str, int]]) -> list[dict[str, Any]]:
    total, out = 0, []
    for at, people in points:
        total += people
        out.append({"at": at, "people": total})
    return out
