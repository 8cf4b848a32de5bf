"""Human labels for the limits a plan runs into (its bottlenecks).

The planner names a binding limit by its internal id (``policy.daily_quotas[0]``, ``rafah``,
``truce-4day.quotas[1]``); people who decide need "daily entry quota, 38 trucks/day". Every table
that shows a limit — the CLI comparison's "binding limit" column, the report — uses ``limit_label``.
Sensitive places are named as the public may read them (``Generaliser.place_label``).

>>> from safepassage.scenario import load_scenario
>>> from safepassage.plan import Bottleneck
>>> scenario = load_scenario("gaza-2023-11")
>>> limit_label(scenario, Bottleneck("quota", "policy.daily_quotas[0]", 1.0, "truck per day", 1))
'daily entry quota, 38 trucks/day'
"""

from __future__ import annotations

import re

from safepassage.interop.generalise import Generaliser
from safepassage.plan import Bottleneck
from safepassage.scenario.model import Quota, Scenario

__all__ = ["limit_label", "value_label"]

_QUOTA = re.compile(r"^(?P<owner>[\w\-]+)\.(?P<list>daily_quotas|quotas)\[(?P<index>\d+)\]$")
_PLACE_WORD = {"crossing": "crossing", "inspection": "inspection", "checkpoint": "screening", "place": "handling"}


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value - round(value)) < 1e-9 else f"{value:,.1f}"


def _quota(scenario: Scenario, ident: str) -> tuple[Quota, bool] | None:
    match = _QUOTA.match(ident)
    if match is None:
        return None
    index = int(match["index"])
    if match["owner"] == "policy" and match["list"] == "daily_quotas":
        quotas = scenario.policy.daily_quotas
        agreed = False
    else:
        proposal = next((p for p in scenario.proposals if p.id == match["owner"]), None)
        if proposal is None or proposal.quotas is None:
            return None
        quotas, agreed = proposal.quotas, True
    return (quotas[index], agreed) if index < len(quotas) else None


def _commodities(scenario: Scenario, ids: list[str] | None) -> str:
    if not ids:
        return ""
    names = {c.id: c.name.split(" (")[0].lower() for c in scenario.commodities}
    others = [c.id for c in scenario.commodities if c.id not in ids]
    if others and len(others) < len(ids):
        return " for all but " + ", ".join(names[i] for i in others)
    return " for " + ", ".join(names.get(i, i) for i in ids)


def limit_label(scenario: Scenario, bottleneck: Bottleneck, generaliser: Generaliser | None = None) -> str:
    """A plain-language name of the limit with its size, e.g. "daily entry quota, 38 trucks/day",
    "crossing rate at Rafah crossing (Egypt-Gaza), 20 trucks/hour", "fleet, 300 trucks"."""
    generaliser = generaliser or Generaliser(scenario)
    places = {p.id: p for p in scenario.places}
    roads = {r.id: r for r in scenario.roads}
    kind, ident = bottleneck.kind, bottleneck.id
    if kind == "quota":
        found = _quota(scenario, ident)
        if found is not None:
            quota, agreed = found
            name = "agreed daily quota" if agreed else "daily entry quota"
            return f"{name}{_commodities(scenario, quota.commodities)}, {_number(quota.trucks_per_day)} trucks/day"
        return "daily truck quota"
    if kind == "fleet":
        return f"fleet, {scenario.fleet.trucks:,} trucks" if scenario.fleet else "fleet"
    if kind == "window":
        return "length of the pause windows"
    if kind == "stock":
        place_id, _, commodity = ident.partition("/")
        names = {c.id: c.name.split(" (")[0].lower() for c in scenario.commodities}
        return f"{names.get(commodity, commodity)} in stock at {generaliser.place_label(place_id)}"
    people = "person" in bottleneck.unit
    if kind == "shelter" and ident in places:
        room = places[ident].capacity_people
        where = f"room at {generaliser.place_label(ident)}"
        return f"{where}, {_number(room)} people" if room is not None else where
    if ident in places:
        place = places[ident]
        rate = place.people_per_hour if people else place.trucks_per_hour
        what = f"{_PLACE_WORD.get(kind, 'handling')} rate at {generaliser.place_label(ident)}"
        unit = "people/hour" if people else "trucks/hour"
        return f"{what}, {_number(rate)} {unit}" if rate else what
    if ident in roads:
        road = roads[ident]
        rate = road.people_per_hour if people else road.trucks_per_hour
        unit = "people/hour" if people else "trucks/hour"
        what = f"{'walkers' if people else 'trucks'} on {generaliser.road_label(road)}"
        return f"{what}, {_number(rate)} {unit}" if rate else what
    return f"{kind} {generaliser.text(ident)}".replace("_", " ")


def value_label(bottleneck: Bottleneck) -> str:
    """What 10% more of the limit is worth, in words."""
    return f"{bottleneck.value_of_10pct:,.0f} person-days of need met"
