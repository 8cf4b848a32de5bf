"""The public picture the public page shows, read through ONE adapter over the public exports
(CAP 1.2 alerts, public GeoJSON, iCalendar), so that the page says exactly what the alerts say.

``public_picture(scenario, proposal)`` gives, per language (``en``, ``ar``): every window occurrence
with the CAP alert's headline, description and instruction; the corridors in words; whether the pause
is unilateral; and a small SVG map (generalised zone outlines and corridor bands, the same geometry
as the CAP areas and the public GeoJSON: never an exact position of people or of a sensitive site).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from safepassage.interop.cap import CapAlert, proposal_alerts
from safepassage.interop.geojson import corridors_collection, zones_collection
from safepassage.scenario import Scenario

__all__ = ["PublicWindow", "PublicPicture", "public_picture", "svg_map"]

LANGUAGES = ("en", "ar")
SVG_WIDTH, SVG_HEIGHT = 320.0, 420.0


@dataclass(frozen=True)
class PublicWindow:
    key: str
    start: dt.datetime  # aware, scenario time zone
    end: dt.datetime
    headline: dict[str, str]
    description: dict[str, str]
    instruction: dict[str, str]
    areas: dict[str, list[str]]
    evacuation: bool


@dataclass(frozen=True)
class PublicPicture:
    scenario: str
    title: str
    proposal: str
    proposal_title: str
    timezone: str
    unilateral: bool
    agreed_by: list[str]
    windows: list[PublicWindow]
    corridors: list[dict[str, Any]]
    zone_names: dict[str, dict[str, str]]
    map_svg: dict[str, Any] = field(default_factory=dict)
    alerts: list[CapAlert] = field(default_factory=list)


def _name(item: Any, lang: str) -> str:
    arabic = getattr(item, "name_ar", None)
    return str(arabic) if lang == "ar" and arabic else str(item.name)


def public_picture(scenario: Scenario, proposal: str, sent: dt.datetime | None = None) -> PublicPicture:
    """The public picture of ``proposal`` (raises ``UnknownProposalError`` for an unknown one)."""
    chosen = scenario.proposal(proposal)
    alerts = proposal_alerts(scenario, chosen.id, sent=sent)
    windows = []
    for alert in alerts:
        infos = {info.language: info for info in alert.infos}
        if alert.effective is None or alert.expires is None:
            continue
        windows.append(PublicWindow(
            key=alert.key, start=alert.effective, end=alert.expires,
            headline={lang: infos[lang].headline for lang in LANGUAGES if lang in infos},
            description={lang: infos[lang].description for lang in LANGUAGES if lang in infos},
            instruction={lang: infos[lang].instruction for lang in LANGUAGES if lang in infos},
            areas={lang: list(infos[lang].areas) for lang in LANGUAGES if lang in infos},
            evacuation="Evacuate" in infos["en"].response_types if "en" in infos else False,
        ))
    corridors = corridors_collection(scenario, chosen.id, audience="public")
    zones = zones_collection(scenario, audience="public")
    roads = {r.id: r for r in scenario.roads}
    in_words = [
        {"name": {lang: _name(roads[f["properties"]["id"]], lang) for lang in LANGUAGES}, "from": f["properties"]["from"], "to": f["properties"]["to"],
         "walkable": f["properties"]["walkable"], "windows": len(f["properties"]["windows"])}
        for f in corridors["features"] if f["properties"]["windows"]
    ]
    agreement = getattr(chosen, "agreement", "all_parties")
    return PublicPicture(
        scenario=scenario.name, title=scenario.title, proposal=chosen.id, proposal_title=getattr(chosen, "name", "") or chosen.id,
        timezone=scenario.timezone, unilateral=agreement == "unilateral", agreed_by=list(getattr(chosen, "agreed_by", []) or []),
        windows=sorted(windows, key=lambda w: w.start), corridors=in_words,
        zone_names={z.id: {lang: _name(z, lang) for lang in LANGUAGES} for z in scenario.zones},
        map_svg=svg_map(zones, corridors), alerts=alerts,
    )


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"][0]]
    if geometry["type"] == "MultiPolygon":
        return [poly[0] for poly in geometry["coordinates"]]
    return []


def svg_map(zones: dict[str, Any], corridors: dict[str, Any]) -> dict[str, Any]:
    """SVG paths (in a ``SVG_WIDTH`` × ``SVG_HEIGHT`` box, north up) of the public zone outlines and of
    the corridor bands that a window opens. Longitude is scaled by cos(latitude) so shapes keep their form."""
    import math

    rings = [(f, r) for f in zones["features"] for r in _rings(f["geometry"])]
    bands = [(f, r) for f in corridors["features"] if f["properties"]["windows"] for r in _rings(f["geometry"])]
    points = [p for _, r in rings + bands for p in r]
    if not points:
        return {"width": SVG_WIDTH, "height": SVG_HEIGHT, "zones": [], "corridors": []}
    lat0 = sum(p[1] for p in points) / len(points)
    kx = math.cos(math.radians(lat0))
    xs, ys = [p[0] * kx for p in points], [p[1] for p in points]
    span = max(max(xs) - min(xs), 1e-9), max(max(ys) - min(ys), 1e-9)
    scale = min((SVG_WIDTH - 20) / span[0], (SVG_HEIGHT - 20) / span[1])

    def path(ring: list[list[float]]) -> str:
        coords = [(10 + (p[0] * kx - min(xs)) * scale, 10 + (max(ys) - p[1]) * scale) for p in ring]
        return "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in coords) + " Z"

    def centre(ring: list[list[float]]) -> tuple[float, float]:
        coords = [(10 + (p[0] * kx - min(xs)) * scale, 10 + (max(ys) - p[1]) * scale) for p in ring]
        return sum(c[0] for c in coords) / len(coords), sum(c[1] for c in coords) / len(coords)

    return {
        "width": SVG_WIDTH, "height": SVG_HEIGHT,
        "zones": [{"id": f["properties"]["id"], "d": path(r), "label_at": centre(r)} for f, r in rings],
        "corridors": [{"id": f["properties"]["id"], "d": path(r)} for f, r in bands],
    }
