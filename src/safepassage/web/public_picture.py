"""The public page's view of a plan, read through ONE adapter over the project's public picture
(``safepassage.interop.public_picture``), the same object the CAP alerts, the public GeoJSON and the
iCalendar read: the page says exactly what the alerts say.

``public_view(scenario, result, sent)`` gives, per language (``en``, ``ar``): every window occurrence
with its CAP alert's headline, description and instruction; the roads in use in words (public names,
what they carry, in how many windows); what the corridor's screening points do to people, as the
scenario declares (held, sent back: the same words as the alerts); whether the pause is unilateral and
who agreed to it; and a
small SVG map of the public zone outlines and road bands (generalised geometry: never an exact
position of people or of a sensitive site).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from safepassage.interop.cap import CapAlert, CapInfo, proposal_alerts
from safepassage.interop.generalise import Language
from safepassage.interop.geojson import corridors_collection, zones_collection
from safepassage.interop.public_picture import PublicPicture, public_picture
from safepassage.interop.screening_words import screening_sentence
from safepassage.plan import PlanResult
from safepassage.scenario import Scenario

__all__ = ["PublicWindowView", "PublicView", "public_view", "svg_map"]

LANGUAGES: tuple[Language, ...] = ("en", "ar")
SVG_WIDTH, SVG_HEIGHT = 320.0, 420.0


@dataclass(frozen=True)
class PublicWindowView:
    key: str
    start: dt.datetime  # aware, scenario time zone
    end: dt.datetime
    headline: dict[str, str]
    description: dict[str, str]
    instruction: dict[str, str]
    screening: dict[str, str] = field(default_factory=dict)  # language -> warning ("" when no point stops people)


@dataclass(frozen=True)
class PublicView:
    scenario: str
    title: str
    proposal: str
    proposal_title: str
    timezone: str
    unilateral: bool
    agreed_by: list[str]
    windows: list[PublicWindowView]
    corridors: list[dict[str, Any]]
    zone_names: dict[str, dict[str, str]]
    # Per page language: the scenario's and the proposal's title as {"text", "lang"}, "lang" being the
    # language the text is in (English where the scenario gives no Arabic one: the page marks it so).
    titles: dict[str, dict[str, str]] = field(default_factory=dict)
    proposal_titles: dict[str, dict[str, str]] = field(default_factory=dict)
    map_svg: dict[str, Any] = field(default_factory=dict)
    alerts: list[CapAlert] = field(default_factory=list)
    picture: PublicPicture | None = None
    # per screening point that stops people: language -> sentence
    screenings: list[dict[str, str]] = field(default_factory=list)


def public_view(scenario: Scenario, result: PlanResult, sent: dt.datetime) -> PublicView:
    """The public page's content for the plan ``result`` of one of ``scenario``'s proposals."""
    picture = public_picture(scenario, result)
    alerts = proposal_alerts(scenario, picture, sent=sent)
    by_key = {w.key: w for w in picture.windows}
    windows = []
    for alert in alerts:
        infos: dict[str, CapInfo] = {}
        for info in alert.infos:  # the first per language: Evacuate where people leave (what they act on)
            infos.setdefault(info.language, info)
        if alert.onset is None or alert.expires is None or "en" not in infos:
            continue
        window = by_key.get(alert.key.split("/", 1)[-1])  # the alert's key: "<proposal>/<occurrence>"
        passed = window.screenings if window is not None else ()
        screening: dict[str, str] = {lang: picture.screening_warning(passed, lang) for lang in LANGUAGES}
        windows.append(
            PublicWindowView(
                key=alert.key,
                start=alert.onset,
                end=alert.expires,
                headline={lang: infos[lang].headline for lang in LANGUAGES if lang in infos},
                description={lang: infos[lang].description for lang in LANGUAGES if lang in infos},
                # The page shows the screening warning on its own, so it is not said twice.
                instruction={
                    lang: _without(infos[lang].instruction, screening[lang]) for lang in LANGUAGES if lang in infos
                },
                screening=screening,
            )
        )
    corridors = corridors_collection(scenario, picture, audience="public")
    in_words = []
    for road in picture.roads:
        ids = set(road.road_ids)
        used = sum(1 for w in picture.windows if ids & (set(w.corridor_roads) | set(w.convoy_roads)))
        in_words.append(
            {
                "name": dict(road.names),
                "evacuees": "evacuees" in road.carries,
                "convoys": "convoys" in road.carries,
                "windows": used,
            }
        )
    return PublicView(
        scenario=scenario.name,
        title=scenario.title,
        proposal=picture.proposal.id,
        proposal_title=picture.proposal.name or picture.proposal.id,
        timezone=scenario.timezone,
        unilateral=picture.unilateral,
        agreed_by=list(picture.proposal.agreed_by),
        windows=sorted(windows, key=lambda w: w.start),
        corridors=in_words,
        titles={
            "en": {"text": scenario.title, "lang": "en"},
            "ar": _localized(scenario.title_ar, scenario.title),
        },
        proposal_titles={
            "en": {"text": picture.proposal.name or picture.proposal.id, "lang": "en"},
            "ar": _localized(picture.proposal.name_ar, picture.proposal.name or picture.proposal.id),
        },
        zone_names={
            z.id: {lang: picture.generaliser.zone_name(z.id, lang) for lang in LANGUAGES} for z in scenario.zones
        },
        map_svg=svg_map(zones_collection(scenario, audience="public"), corridors),
        alerts=alerts,
        picture=picture,
        screenings=[{lang: screening_sentence(point, lang) for lang in LANGUAGES} for point in picture.screenings],
    )


def _localized(arabic: str | None, english: str) -> dict[str, str]:
    """The Arabic text where there is one, else the English text marked as English."""
    return {"text": arabic, "lang": "ar"} if arabic else {"text": english, "lang": "en"}


def _without(text: str, sentence: str) -> str:
    """``text`` with ``sentence`` (and the space before it) taken out; ``text`` when ``sentence`` is empty."""
    return text.replace(f" {sentence}", "") if sentence else text


def _rings(geometry: dict[str, Any] | None) -> list[list[list[float]]]:
    if not geometry:
        return []
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"][0]]
    if geometry["type"] == "MultiPolygon":
        return [poly[0] for poly in geometry["coordinates"]]
    return []


def svg_map(zones: dict[str, Any], corridors: dict[str, Any]) -> dict[str, Any]:
    """SVG paths (in a ``SVG_WIDTH`` × ``SVG_HEIGHT`` box, north up) of the public zone outlines and of
    the public road bands. Longitude is scaled by cos(latitude) so shapes keep their form."""
    rings = [(f, r) for f in zones["features"] for r in _rings(f["geometry"])]
    bands = [(f, r) for f in corridors["features"] for r in _rings(f["geometry"])]
    points = [p for _, r in rings + bands for p in r]
    if not points:
        return {"width": SVG_WIDTH, "height": SVG_HEIGHT, "zones": [], "corridors": []}
    kx = math.cos(math.radians(sum(p[1] for p in points) / len(points)))
    xs, ys = [p[0] * kx for p in points], [p[1] for p in points]
    scale = min((SVG_WIDTH - 20) / max(max(xs) - min(xs), 1e-9), (SVG_HEIGHT - 20) / max(max(ys) - min(ys), 1e-9))

    def xy(ring: list[list[float]]) -> list[tuple[float, float]]:
        return [(10 + (p[0] * kx - min(xs)) * scale, 10 + (max(ys) - p[1]) * scale) for p in ring]

    def path(ring: list[list[float]]) -> str:
        return "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in xy(ring)) + " Z"

    def centre(ring: list[list[float]]) -> tuple[float, float]:
        coords = xy(ring)
        return sum(c[0] for c in coords) / len(coords), sum(c[1] for c in coords) / len(coords)

    return {
        "width": SVG_WIDTH,
        "height": SVG_HEIGHT,
        "zones": [{"id": f["properties"]["id"], "d": path(r), "label_at": centre(r)} for f, r in rings],
        "corridors": [{"d": path(r), "evacuation": bool(f["properties"].get("evacuation_corridor"))} for f, r in bands],
    }
