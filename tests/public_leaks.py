"""An independent check that a public text leaks nothing about sensitive sites (used by the tests of
every public output). It does not share code with the redaction rule it checks."""

from __future__ import annotations

import math
import re

from safepassage.scenario import Scenario

NUMBER = re.compile(r"(?<![\d.])(\d{1,3}\.\d{2,})(?:\s*[-–]\s*(\d{1,3}\.\d{2,}))?")
DMS = re.compile(r"(\d{1,3})\s*°\s*(\d{1,2})\s*['′]\s*(?:(\d{1,2}(?:\.\d+)?)\s*[\"″])?")


def positions(text: str) -> list[tuple[float, float]]:
    """Every (lon, lat) two neighbouring numbers of ``text`` could mean, in either order. Numbers are
    neighbours when little separates them and that includes a comma, semicolon, slash or hemisphere
    letter ("31.45 N, 34.40 E", "[34.38, 31.48]", "31.480,34.380"); a bare space is the gap between
    two CAP vertices, not within one."""
    found: list[tuple[int, int, list[float]]] = []
    for match in NUMBER.finditer(text):
        found.append((match.start(), match.end(), [float(g) for g in match.groups() if g]))
    for match in DMS.finditer(text):
        found.append((match.start(), match.end(), [int(match[1]) + int(match[2]) / 60 + float(match[3] or 0) / 3600]))
    found.sort()
    out = []
    for (_, end, a), (start, _, b) in zip(found, found[1:]):
        gap = text[end:start]
        if len(gap) > 12 or not re.search(r"[,;/NSEW°′″'\"]", gap):
            continue
        for x in a:
            for y in b:
                out += [(x, y), (y, x)]
    return out


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    (lon1, lat1), (lon2, lat2) = a, b
    return math.hypot((lon1 - lon2) * math.cos(math.radians((lat1 + lat2) / 2)), lat1 - lat2) * 111_320


def leaks(scenario: Scenario, text: str, clearance_m: float = 2000.0) -> list[str]:
    """What ``text`` gives away: sensitive names and ids, and positions within ``clearance_m`` of a sensitive site."""
    problems = []
    sensitive = [p for p in scenario.places if p.sensitive]
    folded = text.casefold()
    for place in sensitive:
        for name in (place.name, place.name_ar):
            if name and name.casefold() in folded:
                problems.append(f"names {name!r}")
        if re.search(rf"(?<![\w-]){re.escape(place.id)}(?![\w-])", text):
            problems.append(f"gives the id {place.id!r}")
    touching = {p.id for p in sensitive}
    for road in scenario.roads:
        if touching & {road.from_, road.to}:
            for name in (road.name, road.name_ar):
                if name and name.casefold() in folded:
                    problems.append(f"names the road {name!r}")
    for position in positions(text):
        for place in sensitive:
            if metres(position, place.geometry.coordinates) <= clearance_m:
                problems.append(f"gives {position} within {clearance_m:g} m of {place.id}")
    return problems
