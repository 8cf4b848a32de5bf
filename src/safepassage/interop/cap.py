"""CAP 1.2 alerts the public can act on, one per occurrence of each window of a proposal's plan.

Everything an alert says comes from the plan's public picture (``public_picture``): who leaves, along
which roads, to where, at what times, and where convoys pass. Each alert has one ``<info>`` per
response type and language (English and Arabic), so a consumer that shows the response type never
tells people in a destination to leave:

- ``Evacuate``: the zones people leave in the plan (origins only);
- ``Monitor``: the zones they arrive in (destinations);
- ``Avoid``: the aid convoy routes inside the area of operation;
- ``None``: a window in which the plan moves nobody and nothing (its covered zones).

Areas are clipped to the area of operation, clear of sensitive sites, and never overlap within one
``<info>``; area names are at most 50 characters and headlines at most 160 (aggregator guidance).
Every ``<info>`` carries ``web``, ``contact`` and an ``eventCode``. Where people pass a screening point
that, as the scenario declares, holds some people or sends some back, every ``<info>``'s description
says so and the ``Evacuate`` instruction adds the advice to carry identity documents
(``screening_words``).

Timing follows CAP practice: ``effective`` is the time the alert is sent (it is in force from issue),
``onset`` the window's start and ``expires`` its end; ``urgency`` is ``Immediate`` when the window is
open, ``Expected`` when it opens within the hour and ``Future`` beyond. ``sent`` must be given: an
alert for a window that has already ended is not written. Instructions give the times of the plan's
own movements. A unilateral pause is announced as such, never as agreed (certainty ``Possible``).

Alerts change with the agreement: give the alerts sent before (``previous``) and a changed window gets
an ``Update``, a withdrawn one a ``Cancel`` that restates its times and areas with their polygons
(both with ``<references>`` to the earlier alert), a new one an ``Alert``; an unchanged one is not sent
again. ``AllClear`` is deliberately not used: the end of a pause is not the end of a danger. Every
alert is checked against the official OASIS CAP 1.2 schema (``schema/CAP-v1.2.xsd``).

``status`` defaults to ``Draft``: a plan is not an announcement. ``Actual`` is refused while the sender
or web page is the placeholder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

from shapely.geometry.base import BaseGeometry

from safepassage.errors import Problem, SafePassageError, ScenarioError
from safepassage.interop.generalise import Language, rings_of
from safepassage.interop.public_picture import (
    AREA_DESC_MAX_CHARS,
    PublicPicture,
    PublicWindow,
    covered_area,
    public_picture,
)
from safepassage.interop.windows import WindowOccurrence
from safepassage.plan import PlanResult
from safepassage.scenario.model import Scenario

__all__ = [
    "CAP_NAMESPACE",
    "HEADLINE_MAX_CHARS",
    "PLACEHOLDER_SENDER",
    "PLACEHOLDER_WEB",
    "CapAlert",
    "CapInfo",
    "CapValidationError",
    "alert_problems",
    "cap_schema",
    "proposal_alerts",
    "read_alert",
    "read_alerts",
    "urgency",
    "validate_alert",
    "write_alerts",
]

CAP_NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"
Status = Literal["Actual", "Exercise", "System", "Test", "Draft"]
_NS = {"cap": CAP_NAMESPACE}
_CAP_TIME = "%Y-%m-%dT%H:%M:%S"


class CapValidationError(SafePassageError):
    """A CAP alert does not validate against the OASIS CAP 1.2 schema."""


@lru_cache(maxsize=1)
def cap_schema():  # -> xmlschema.XMLSchema (imported lazily: it takes a moment to load)
    """The OASIS CAP 1.2 XML Schema shipped with Safe Passage (see ``schema/NOTICE``)."""
    import xmlschema

    path = resources.files("safepassage.interop").joinpath("schema/CAP-v1.2.xsd")
    with resources.as_file(path) as local:
        return xmlschema.XMLSchema(str(local))


def alert_problems(xml: bytes | str) -> list[str]:
    """Every reason ``xml`` is not a valid CAP 1.2 alert (empty when it is valid)."""
    try:
        return [f"{e.path}: {e.reason}" for e in cap_schema().iter_errors(xml if isinstance(xml, str) else xml.decode("utf-8"))]
    except ET.ParseError as exc:
        return [f"not well-formed XML: {exc}"]
    except Exception as exc:  # xmlschema raises its own parse errors for broken documents
        return [f"cannot read the alert: {exc}"]


def validate_alert(xml: bytes | str) -> None:
    """Raise ``CapValidationError`` naming each problem unless ``xml`` is a valid CAP 1.2 alert."""
    problems = alert_problems(xml)
    if problems:
        raise CapValidationError("not a valid CAP 1.2 alert: " + "; ".join(problems))


@dataclass(frozen=True)
class CapInfo:
    """The human-readable part of one ``<info>`` block (used for previews)."""

    language: str
    event: str
    response_types: tuple[str, ...]
    headline: str
    description: str
    instruction: str
    areas: tuple[str, ...]
    rings: tuple[tuple[tuple[tuple[float, float], ...], ...], ...] = ()  # per area: its polygons as (lon, lat) rings


@dataclass(frozen=True)
class CapAlert:
    """One CAP message: its identity, what it is about (``key``: proposal/window occurrence), the window
    it announces (``onset`` to ``expires``) and the XML."""

    identifier: str
    sender: str
    sent: dt.datetime
    msg_type: str
    key: str
    fingerprint: str
    onset: dt.datetime | None
    expires: dt.datetime | None
    xml: bytes
    infos: tuple[CapInfo, ...] = field(default=())
    references: str = ""

    @property
    def reference(self) -> str:
        """This alert as another alert's ``<references>`` entry: ``sender,identifier,sent``."""
        return f"{self.sender},{self.identifier},{_cap_time(self.sent)}"

    @property
    def filename(self) -> str:
        return f"{self.identifier}.xml"


def _cap_time(moment: dt.datetime) -> str:
    """CAP date-time: seconds and an explicit offset, never ``Z`` (the schema's pattern)."""
    if moment.tzinfo is None:
        raise ValueError("CAP times need a time zone")
    offset = moment.strftime("%z")
    return f"{moment.strftime(_CAP_TIME)}{offset[:3]}:{offset[3:]}"


def _cap_polygon(ring: list[tuple[float, float]]) -> str:
    """CAP polygon: ``lat,lon`` pairs separated by spaces, closed."""
    return " ".join(f"{lat:.3f},{lon:.3f}" for lon, lat in ring)


# Texts ------------------------------------------------------------------------------------------
PLACEHOLDER_SENDER = "safepassage.invalid"
PLACEHOLDER_WEB = "https://safepassage.invalid/public"
HEADLINE_MAX_CHARS = 160  # Google Public Alerts / CAP guidance
_LANGUAGES: tuple[Language, ...] = ("en", "ar")
_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "event": "Humanitarian pause",
        "sender_name": "Safe Passage (humanitarian pause coordination)",
        "contact": "Humanitarian pause coordination cell (the issuing authority sets the contact)",
        "pause": "Humanitarian pause", "pause_unilateral": "Unilateral pause",
        "update": "Changed: ", "cancel": "Withdrawn: ",
        "head_Evacuate": "{pause} {start} to {end}: evacuation corridor open for people leaving {origins}",
        "head_Monitor": "{pause} {start} to {end}: people leaving {origins} arrive in {destinations}",
        "head_Avoid": "{pause} {start} to {end}: aid convoys on the move, keep clear of convoy routes",
        "head_None": "{pause} {start} to {end} in {zones}",
        "desc": "A humanitarian pause agreed by all parties{by} is planned in {zones} from {start} to {end} (local time, UTC{offset}), so that aid can enter and civilians can move.",
        "desc_unilateral": "A pause announced by one side only{by} is planned in {zones} from {start} to {end} (local time, UTC{offset}). The other parties have not accepted it, and fighting may continue.",
        "desc_cancel": "The pause announced for {zones} from {start} to {end} (local time, UTC{offset}) has been withdrawn.",
        "do_Evacuate": "If you choose to leave {origins}, go only during the pause and only along the evacuation corridor ({roads}) towards {destinations}. Planned groups set out between {first_departure} and {last_departure}; a journey takes up to {hours} hours, and the last groups arrive by {last_arrival}.",
        "do_Monitor": "People leaving {origins} are expected to arrive in {destinations} between {first_departure} and {last_arrival}. Keep the evacuation corridor ({roads}) clear for them.",
        "do_Avoid": "Aid convoys use {convoy_roads} between {first_convoy} and {last_convoy}. Keep clear of convoy routes and crossings while convoys pass.",
        "do_None": "No evacuation or convoy movement is planned in this window.",
        "do_cancel": "Do not rely on this pause for any movement.",
        "caution": "A pause does not make an area safe. Follow the guidance of local humanitarian organisations.",
        "caution_unilateral": "A pause announced by one side does not make an area safe, and other parties may not observe it. Follow the guidance of local humanitarian organisations.",
        "and": ", ", "or": " or ", "and_last": " and ",
    },
    "ar": {
        "event": "هدنة إنسانية",
        "sender_name": "الممر الآمن (تنسيق الهدن الإنسانية)",
        "contact": "خلية تنسيق الهدنة الإنسانية (تحدد الجهة المُصدِرة وسيلة الاتصال)",
        "pause": "هدنة إنسانية", "pause_unilateral": "توقف معلن من طرف واحد",
        "update": "تعديل: ", "cancel": "إلغاء: ",
        "head_Evacuate": "{pause} من {start} إلى {end}: ممر الإخلاء مفتوح لمن يغادر {origins}",
        "head_Monitor": "{pause} من {start} إلى {end}: وصول نازحين من {origins} إلى {destinations}",
        "head_Avoid": "{pause} من {start} إلى {end}: قوافل مساعدات على الطرق، ابتعد عن مساراتها",
        "head_None": "{pause} من {start} إلى {end} في {zones}",
        "desc": "هدنة إنسانية اتفقت عليها جميع الأطراف في {zones} من {start} حتى {end} بالتوقيت المحلي، لإدخال المساعدات وتمكين المدنيين من التنقل.",
        "desc_unilateral": "توقف أعلنه طرف واحد فقط في {zones} من {start} حتى {end} بالتوقيت المحلي. لم تقبل به الأطراف الأخرى، وقد يستمر القتال.",
        "desc_cancel": "أُلغي التوقف المعلن في {zones} من {start} حتى {end} بالتوقيت المحلي.",
        "do_Evacuate": "إذا قررت مغادرة {origins}، فتحرّك خلال الهدنة فقط وعلى ممر الإخلاء فقط ({roads}) باتجاه {destinations}. تنطلق المجموعات المخطط لها بين {first_departure} و{last_departure}، وتستغرق الرحلة حتى {hours} {hour_word}، وتصل آخر المجموعات بحلول {last_arrival}.",
        "do_Monitor": "يُتوقع وصول النازحين من {origins} إلى {destinations} بين {first_departure} و{last_arrival}. أبقوا ممر الإخلاء ({roads}) خاليًا لهم.",
        "do_Avoid": "تستخدم قوافل المساعدات {convoy_roads} بين {first_convoy} و{last_convoy}. ابتعد عن طرق القوافل والمعابر أثناء مرورها.",
        "do_None": "لا توجد تحركات إخلاء أو قوافل مخطط لها في هذه الفترة.",
        "do_cancel": "لا تعتمد على هذه الهدنة في أي تنقل.",
        "caution": "الهدنة لا تعني أن المنطقة آمنة. اتبع إرشادات المنظمات الإنسانية المحلية.",
        "caution_unilateral": "التوقف المعلن من طرف واحد لا يعني أن المنطقة آمنة، وقد لا تلتزم به الأطراف الأخرى. اتبع إرشادات المنظمات الإنسانية المحلية.",
        "and": "، ", "or": " أو ", "and_last": " و",
    },
}
_SEVERITY = {"Evacuate": "Severe", "Monitor": "Moderate", "Avoid": "Moderate", "None": "Moderate"}


def _when(moment: dt.datetime | None, language: Language) -> str:
    """A local time for people: "Fri 24 Nov 10:00"; in Arabic "2023-11-24 10:00" in a left-to-right isolate
    (digits and hyphens have no direction of their own, so without it a reader may reorder the date)."""
    if moment is None:
        return ""
    if language == "en":
        return moment.strftime("%a %d %b %H:%M")
    return "\u2066" + moment.strftime("%Y-%m-%d\u00a0%H:%M") + "\u2069"


def _span(start: dt.datetime, end: dt.datetime, language: Language) -> tuple[str, str]:
    """Start and end for a headline: the end without its date when both fall on the same day."""
    if start.date() != end.date():
        return _when(start, language), _when(end, language)
    if language == "en":
        return start.strftime("%a %d %b %H:%M"), end.strftime("%H:%M")
    return _when(start, language), "\u2066" + end.strftime("%H:%M") + "\u2069"


def _offset(moment: dt.datetime) -> str:
    text = moment.strftime("%z")
    return f"{text[:3]}:{text[3:]}"


def _hours(value: float | None) -> str:
    if value is None:
        return ""
    rounded = round(value * 2) / 2  # to the half hour
    return f"{rounded:g}"


def urgency(onset: dt.datetime, sent: dt.datetime) -> str:
    """CAP urgency from the time between sending and the window opening: ``Immediate`` once it is
    open, ``Expected`` within the hour, ``Future`` beyond (CAP 1.2 §3.2.2)."""
    ahead = (onset - sent).total_seconds()
    if ahead <= 0:
        return "Immediate"
    return "Expected" if ahead <= 3600 else "Future"


@dataclass(frozen=True)
class _Block:
    """One ``<info>`` before it is put into a language: response type and areas."""

    response: str
    areas: tuple[tuple[dict[str, str], tuple[tuple[tuple[float, float], ...], ...]], ...]  # (names, rings)


@dataclass(frozen=True)
class _Content:
    picture: PublicPicture
    window: PublicWindow
    blocks: tuple[_Block, ...]

    @property
    def occurrence(self) -> WindowOccurrence:
        return self.window.occurrence

    @property
    def fingerprint(self) -> str:
        w = self.window
        text = "|".join([
            _cap_time(w.start), _cap_time(w.end), self.picture.proposal.agreement,
            *(f"{t.isoformat() if t else ''}" for t in (w.first_departure, w.last_departure, w.last_arrival, w.first_convoy, w.last_convoy)),
            ",".join(w.corridor_roads), ",".join(w.convoy_roads),
            *[f"{b.response}:{[a[0]['en'] for a in b.areas]}:{[a[1] for a in b.areas]}" for b in self.blocks],
            # Only when a point stops people, so that alerts of a corridor without one keep their fingerprint.
            *([self.picture.screening_warning(w.screenings, "en")] if w.screenings else []),
        ])
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _rings(geometry: BaseGeometry) -> tuple[tuple[tuple[float, float], ...], ...]:
    return tuple(tuple(ring) for ring in rings_of(geometry))  # type: ignore[arg-type]


def _contents(picture: PublicPicture) -> list[_Content]:
    out = []
    for window in picture.windows:
        blocks = [_Block(response, tuple((a.names, _rings(a.geometry)) for a in areas)) for response, areas in window.areas.items()]
        if not blocks:  # a window with no planned movement: one block over what it covers
            covered = covered_area(picture, window)
            if covered is not None:
                names: dict[str, str] = {lang: _short_list(picture.zone_names(window.occurrence.zones, lang), lang) for lang in _LANGUAGES}
                blocks = [_Block("None", ((names, _rings(covered)),))]
        out.append(_Content(picture, window, tuple(blocks)))
    return out


def _short_list(names: list[str], language: Language) -> str:
    joined = _TEXT[language]["and"].join(names)
    return joined if len(joined) <= AREA_DESC_MAX_CHARS else joined[: AREA_DESC_MAX_CHARS - 1].rstrip() + "…"


def _values(picture: PublicPicture, window: PublicWindow, language: Language) -> dict[str, str]:
    text = _TEXT[language]

    def names(zones: tuple[str, ...]) -> str:
        return text["and"].join(picture.zone_names(zones, language))

    proposal = picture.proposal
    by = f" ({', '.join(proposal.agreed_by)})" if language == "en" and proposal.agreed_by else ""
    return {
        "pause": text["pause_unilateral" if picture.unilateral else "pause"], "by": by,
        "start": _when(window.start, language), "end": _when(window.end, language), "offset": _offset(window.start),
        "zones": names(window.occurrence.zones) or text["and"].join(picture.road_names(window.occurrence.roads, language)),
        "origins": names(window.origins), "destinations": names(window.destinations),
        "roads": text["or"].join(picture.way_names(window.corridor_roads, language)),
        "convoy_roads": text["and_last"].join(picture.way_names(window.convoy_roads, language)),
        "hour_word": "ساعات" if window.longest_walk_hours is not None and 2.5 <= window.longest_walk_hours <= 10.5 else "ساعة",
        "first_departure": _when(window.first_departure, language), "last_departure": _when(window.last_departure, language),
        "last_arrival": _when(window.last_arrival, language), "hours": _hours(window.longest_walk_hours),
        "first_convoy": _when(window.first_convoy, language), "last_convoy": _when(window.last_convoy, language),
    }


def _headline(template: str, prefix: str, values: dict[str, str], language: Language, picture: PublicPicture, window: PublicWindow) -> str:
    """The headline, at most ``HEADLINE_MAX_CHARS``: names are shortened to a count when they do not fit."""
    values = dict(values)
    values["start"], values["end"] = _span(window.start, window.end, language)
    headline = prefix + template.format(**values)
    if len(headline) > HEADLINE_MAX_CHARS:
        short = dict(values)
        for key, zones in (("zones", window.occurrence.zones), ("origins", window.origins), ("destinations", window.destinations)):
            if len(zones) > 1:
                short[key] = f"{len(zones)} areas" if language == "en" else f"{len(zones)} مناطق"
        headline = prefix + template.format(**short)
    if len(headline) > HEADLINE_MAX_CHARS:
        headline = headline[: HEADLINE_MAX_CHARS - 1].rstrip() + "…"
    return headline


def _infos(content: _Content, msg_type: str) -> list[CapInfo]:
    """One info per block and language (CAP: one ``<info>`` per language and response)."""
    picture, window = content.picture, content.window
    infos = []
    for block in content.blocks:
        for lang in _LANGUAGES:
            text = _TEXT[lang]
            values = _values(picture, window, lang)
            caution = text["caution_unilateral" if picture.unilateral else "caution"]
            prefix = text["update"] if msg_type == "Update" else ""
            description = text["desc_unilateral" if picture.unilateral else "desc"].format(**values)
            instruction = text["do_" + block.response].format(**values)
            if window.screenings:  # what the scenario declares its screening points do to people
                description = f"{description} {picture.screening_warning(window.screenings, lang, advice=False)}"
                if block.response == "Evacuate":
                    instruction = f"{instruction} {picture.screening_warning(window.screenings, lang)}"
            instruction = f"{instruction} {caution}"
            infos.append(CapInfo(
                language=lang, event=text["event"], response_types=(block.response,),
                headline=_headline(text["head_" + block.response], prefix, values, lang, picture, window),
                description=description, instruction=instruction,
                areas=tuple(names[lang] for names, _ in block.areas), rings=tuple(rings for _, rings in block.areas),
            ))
    return infos


def _sub(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{CAP_NAMESPACE}}}{tag}")
    element.text = text
    return element


def _render(alert: dict[str, str], infos: list[CapInfo], onset: dt.datetime, expires: dt.datetime, sent: dt.datetime,
            certainty: str, fingerprint: str) -> bytes:
    ET.register_namespace("", CAP_NAMESPACE)
    root = ET.Element(f"{{{CAP_NAMESPACE}}}alert")
    for tag in ("identifier", "sender", "sent", "status", "msgType", "source", "scope", "note", "references", "incidents"):
        if alert.get(tag):
            _sub(root, tag, alert[tag])
    for info in infos:
        block = ET.SubElement(root, f"{{{CAP_NAMESPACE}}}info")
        _sub(block, "language", info.language)
        _sub(block, "category", "Safety")
        _sub(block, "event", info.event)
        for response in info.response_types:
            _sub(block, "responseType", response)
        _sub(block, "urgency", "Past" if alert["msgType"] == "Cancel" else urgency(onset, sent))
        _sub(block, "severity", _SEVERITY.get(info.response_types[0], "Moderate") if alert["msgType"] != "Cancel" else "Minor")
        _sub(block, "certainty", certainty if alert["msgType"] != "Cancel" else "Unlikely")
        code = ET.SubElement(block, f"{{{CAP_NAMESPACE}}}eventCode")
        _sub(code, "valueName", "SAFEPASSAGE")
        _sub(code, "value", "humanitarian-pause")
        _sub(block, "effective", _cap_time(sent))
        _sub(block, "onset", _cap_time(onset))
        _sub(block, "expires", _cap_time(expires))
        _sub(block, "senderName", _TEXT[info.language]["sender_name"])
        _sub(block, "headline", info.headline)
        _sub(block, "description", info.description)
        _sub(block, "instruction", info.instruction)
        _sub(block, "web", alert["web"])
        _sub(block, "contact", _TEXT[info.language]["contact"] if not alert.get("contact") else alert["contact"])
        for name, value in (("SAFEPASSAGE_WINDOW", alert["key"]), ("SAFEPASSAGE_FINGERPRINT", fingerprint)):
            parameter = ET.SubElement(block, f"{{{CAP_NAMESPACE}}}parameter")
            _sub(parameter, "valueName", name)
            _sub(parameter, "value", value)
        for description, rings in zip(info.areas, info.rings):
            element = ET.SubElement(block, f"{{{CAP_NAMESPACE}}}area")
            _sub(element, "areaDesc", description)
            for ring in rings:
                _sub(element, "polygon", _cap_polygon(list(ring)))
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _problem(name: str, message: str, fix: str) -> ScenarioError:
    return ScenarioError([Problem(name, message, fix)], source="CAP alert")


def _check_token(name: str, value: str) -> None:
    if not value or any(c in value for c in " ,<&"):
        raise _problem(name, f"{value!r} may not be empty or contain spaces, commas, '<' or '&' (CAP 1.2 §3.2.1)",
                       "use a domain-like name such as alerts.example.org")


def proposal_alerts(
    scenario: Scenario,
    plan: PlanResult | PublicPicture,
    *,
    sent: dt.datetime,
    sender: str = PLACEHOLDER_SENDER,
    status: Status = "Draft",
    previous: list[CapAlert] | None = None,
    web: str = PLACEHOLDER_WEB,
    contact: str = "",
) -> list[CapAlert]:
    """The CAP messages to send at ``sent`` for the plan of a proposal; see the module docstring.

    ``sent`` (aware) is required: it is the ``effective`` time of every message, and windows that have
    already ended by then are not announced (if every window has ended, ``ScenarioError`` says so rather
    than writing alerts that are expired on arrival). ``status="Actual"`` is refused with the
    placeholder ``sender`` or ``web``. Raises ``ScenarioError`` for a bad ``sender``, ``sent`` or ``status``.
    """
    _check_token("sender", sender)
    if not isinstance(sent, dt.datetime) or sent.tzinfo is None or sent.utcoffset() is None:
        raise _problem("sent", "give the sending time with its UTC offset", "e.g. 2023-11-24T07:00:00+02:00")
    if status == "Actual" and (sender.endswith(".invalid") or ".invalid" in web):
        raise _problem("status", "an Actual alert needs the issuing authority's own sender and web page, not the placeholders",
                       "give --sender (e.g. alerts.example.org) and --web, or keep --status Draft")
    picture = plan if isinstance(plan, PublicPicture) else public_picture(scenario, plan)
    chosen = picture.proposal
    sent = sent.replace(microsecond=0)
    latest: dict[str, CapAlert] = {}
    for earlier in sorted(previous or [], key=lambda a: a.sent):
        latest[earlier.key] = earlier
    current = _contents(picture)
    live = [c for c in current if c.window.end > sent]
    if current and not live and not any(a.msg_type != "Cancel" for a in latest.values()):
        last = max(c.window.end for c in current)
        raise _problem("sent", f"every window of {chosen.id!r} ended by {_cap_time(sent)} (the last at {_cap_time(last)}): nothing to announce",
                       "give the time the alerts are really sent, before the windows end")
    alerts = []
    for content in live:
        key = f"{chosen.id}/{content.occurrence.key}"
        before = latest.get(key)
        if before is not None and before.msg_type != "Cancel" and before.fingerprint == content.fingerprint:
            continue  # unchanged: already announced
        msg_type = "Update" if before is not None and before.msg_type != "Cancel" else "Alert"
        alerts.append(_alert(scenario, content, key, msg_type, sent, sender, status, web, contact, before if msg_type == "Update" else None))
    current_keys = {f"{chosen.id}/{c.occurrence.key}" for c in current}
    for key, before in latest.items():
        if key.startswith(f"{chosen.id}/") and key not in current_keys and before.msg_type != "Cancel":
            if before.expires is not None and before.expires <= sent:
                continue  # over already: nothing to withdraw
            alerts.append(_cancel(scenario, picture, before, sent, sender, status, web, contact))
    return alerts


def _identifier(sender: str, scenario: Scenario, key: str, sent: dt.datetime) -> str:
    return f"{sender}.{scenario.name}.{key.replace('/', '.')}.{sent.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}"


def _alert(scenario: Scenario, content: _Content, key: str, msg_type: str, sent: dt.datetime, sender: str, status: str,
           web: str, contact: str, before: CapAlert | None) -> CapAlert:
    identifier = _identifier(sender, scenario, key, sent)
    infos = _infos(content, msg_type)
    header = {"identifier": identifier, "sender": sender, "sent": _cap_time(sent), "status": status, "msgType": msg_type,
              "source": "Safe Passage plan", "scope": "Public", "references": before.reference if before else "",
              "incidents": f"{scenario.name}.{content.occurrence.proposal}", "key": key, "web": web, "contact": contact}
    certainty = "Possible" if content.picture.unilateral else "Likely"
    xml = _render(header, infos, content.window.start, content.window.end, sent, certainty, content.fingerprint)
    validate_alert(xml)
    return CapAlert(identifier, sender, sent, msg_type, key, content.fingerprint, content.window.start, content.window.end,
                    xml, tuple(infos), header["references"])


def _cancel(scenario: Scenario, picture: PublicPicture, before: CapAlert, sent: dt.datetime, sender: str, status: str,
            web: str, contact: str) -> CapAlert:
    """A Cancel for a withdrawn window, restating its times and its areas (names and polygons) so the
    public, and an aggregator that shows alerts on a map, know which one."""
    proposal_id, occurrence_key = before.key.split("/", 1)
    if before.onset is None or before.expires is None:
        raise CapValidationError(f"alert {before.identifier} has no onset/expires time; cannot cancel its window")
    infos = []
    for earlier in before.infos:
        lang: Language = "ar" if earlier.language == "ar" else "en"
        text = _TEXT[lang]
        names = text["and"].join(earlier.areas)
        values = {"zones": names, "start": _when(before.onset, lang), "end": _when(before.expires, lang), "offset": _offset(before.onset)}
        infos.append(CapInfo(
            language=earlier.language, event=text["event"], response_types=("None",),
            headline=(text["cancel"] + text["head_None"].format(pause=text["pause_unilateral" if picture.unilateral else "pause"], **values))[:HEADLINE_MAX_CHARS],
            description=text["desc_cancel"].format(**values), instruction=text["do_cancel"],
            areas=earlier.areas, rings=earlier.rings,
        ))
    identifier = _identifier(sender, scenario, before.key, sent)
    header = {"identifier": identifier, "sender": sender, "sent": _cap_time(sent), "status": status, "msgType": "Cancel",
              "source": "Safe Passage plan", "scope": "Public", "note": f"Pause window {occurrence_key} withdrawn",
              "references": before.reference, "incidents": f"{scenario.name}.{proposal_id}", "key": before.key, "web": web, "contact": contact}
    xml = _render(header, infos, before.onset, before.expires, sent, "Unlikely", before.fingerprint)
    validate_alert(xml)
    return CapAlert(identifier, sender, sent, "Cancel", before.key, before.fingerprint, before.onset, before.expires, xml,
                    tuple(infos), before.reference)


def read_alert(xml: bytes) -> CapAlert:
    """An alert written by ``proposal_alerts`` (validated against the schema first)."""
    validate_alert(xml)
    root = ET.fromstring(xml)

    def text(element: ET.Element, tag: str) -> str:
        found = element.find(f"cap:{tag}", _NS)
        return (found.text or "") if found is not None else ""

    infos, params = [], {}
    for block in root.findall("cap:info", _NS):
        for parameter in block.findall("cap:parameter", _NS):
            params[text(parameter, "valueName")] = text(parameter, "value")
        infos.append(CapInfo(
            language=text(block, "language"), event=text(block, "event"),
            response_types=tuple(e.text or "" for e in block.findall("cap:responseType", _NS)),
            headline=text(block, "headline"), description=text(block, "description"), instruction=text(block, "instruction"),
            areas=tuple(text(a, "areaDesc") for a in block.findall("cap:area", _NS)),
            rings=tuple(tuple(_ring(p.text or "") for p in a.findall("cap:polygon", _NS)) for a in block.findall("cap:area", _NS)),
        ))
    first = root.find("cap:info", _NS)
    onset = dt.datetime.fromisoformat(text(first, "onset")) if first is not None and text(first, "onset") else None
    expires = dt.datetime.fromisoformat(text(first, "expires")) if first is not None and text(first, "expires") else None
    if "SAFEPASSAGE_WINDOW" not in params:
        raise CapValidationError("this CAP alert was not written by Safe Passage (no SAFEPASSAGE_WINDOW parameter)")
    return CapAlert(text(root, "identifier"), text(root, "sender"), dt.datetime.fromisoformat(text(root, "sent")), text(root, "msgType"),
                    params["SAFEPASSAGE_WINDOW"], params.get("SAFEPASSAGE_FINGERPRINT", ""), onset, expires, xml, tuple(infos),
                    text(root, "references"))


def _ring(polygon: str) -> tuple[tuple[float, float], ...]:
    """A CAP polygon ("lat,lon lat,lon ...") as (lon, lat) positions."""
    pairs = [pair.split(",") for pair in polygon.split()]
    return tuple((float(lon), float(lat)) for lat, lon in pairs)


def read_alerts(folder: Path) -> list[CapAlert]:
    """Every ``*.xml`` alert in ``folder``; a file that is not a valid alert raises naming the file."""
    alerts = []
    for path in sorted(Path(folder).glob("*.xml")):
        try:
            alerts.append(read_alert(path.read_bytes()))
        except CapValidationError as exc:
            raise CapValidationError(f"{path}: {exc}") from None
    return alerts


def write_alerts(alerts: list[CapAlert], folder: Path) -> list[Path]:
    """Write each alert as ``<identifier>.xml`` into ``folder`` (created); returns the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for alert in alerts:
        path = folder / alert.filename
        path.write_bytes(alert.xml)
        paths.append(path)
    return paths
