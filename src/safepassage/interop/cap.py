"""CAP 1.2 alerts the public can act on, one per occurrence of each window of an agreed proposal.

Each alert carries an English and an Arabic ``<info>`` block with the same content:

- ``effective`` and ``expires`` are the window's start and end (with the scenario's UTC offset);
- ``responseType`` is ``Evacuate`` when the window covers a zone people want to leave (the corridor is
  open to them), ``Avoid`` when aid convoys use the roads it covers (keep clear of convoy routes and
  crossings), both when both apply; a withdrawn window is announced with ``None`` and an instruction
  not to rely on it. ``AllClear`` is deliberately not used: the end of a pause is not the end of a
  danger, and an agreed pause does not make an area safe;
- areas are generalised zone outlines and coarse corridor bands (``generalise``): never exact
  positions of people or of sensitive sites.

Alerts change with the agreement: give the alerts sent before (``previous``) and a changed window gets
an ``Update``, a withdrawn one a ``Cancel`` (both with ``<references>`` to the earlier alert), a new one
an ``Alert``; an unchanged one is not sent again. Every alert is checked against the official OASIS
CAP 1.2 schema (``schema/CAP-v1.2.xsd``) before it is returned.

``status`` defaults to ``Draft``: a plan is not an announcement; an issuing authority sets ``Actual``.
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

from safepassage.errors import Problem, SafePassageError, ScenarioError
from safepassage.interop.generalise import Generaliser, rings_of
from safepassage.interop.windows import WindowOccurrence, covered_roads, window_occurrences
from safepassage.scenario.model import Scenario

__all__ = [
    "CAP_NAMESPACE",
    "CapAlert",
    "CapInfo",
    "CapValidationError",
    "cap_schema",
    "alert_problems",
    "validate_alert",
    "proposal_alerts",
    "read_alert",
    "read_alerts",
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


@dataclass(frozen=True)
class CapAlert:
    """One CAP message: its identity, what it is about (``key``: proposal/window occurrence), and the XML."""

    identifier: str
    sender: str
    sent: dt.datetime
    msg_type: str
    key: str
    fingerprint: str
    effective: dt.datetime | None
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
_TEXT = {
    "en": {
        "event": "Humanitarian pause",
        "evacuation_corridor": "Evacuation corridor (walking routes open during the pause)",
        "convoy_routes": "Aid convoy routes and crossings",
        "headline": "Humanitarian pause in {zones}, {start} to {end}",
        "headline_update": "Changed: humanitarian pause in {zones}, {start} to {end}",
        "headline_cancel": "Withdrawn: humanitarian pause in {zones}, {start} to {end}",
        "description": "A humanitarian pause has been agreed for {zones} from {start} to {end} ({tz} time), so that aid can enter and civilians can move.",
        "description_cancel": "The humanitarian pause announced for {zones} from {start} to {end} ({tz} time) has been withdrawn.",
        "evacuate": "If you want to leave {origins}, move only during the pause and only along the evacuation corridor, towards {destinations}. Do not set out before {start}; plan to arrive before {end}.",
        "avoid": "Keep clear of aid convoy routes and crossings while convoys pass.",
        "cancel": "Do not rely on this pause for any movement.",
        "caution": "A pause does not make an area safe. Follow the guidance of local humanitarian organisations.",
    },
    "ar": {
        "event": "هدنة إنسانية",
        "evacuation_corridor": "ممر الإخلاء (طرق المشي المفتوحة خلال الهدنة)",
        "convoy_routes": "طرق قوافل المساعدات والمعابر",
        "headline": "هدنة إنسانية في {zones} من {start} إلى {end}",
        "headline_update": "تعديل: هدنة إنسانية في {zones} من {start} إلى {end}",
        "headline_cancel": "إلغاء: هدنة إنسانية في {zones} من {start} إلى {end}",
        "description": "تم الاتفاق على هدنة إنسانية في {zones} من {start} حتى {end} بتوقيت {tz}، لإدخال المساعدات وتمكين المدنيين من التنقل.",
        "description_cancel": "أُلغيت الهدنة الإنسانية المعلنة في {zones} من {start} حتى {end} بتوقيت {tz}.",
        "evacuate": "إذا أردت مغادرة {origins}، فتحرّك خلال الهدنة فقط وعلى ممر الإخلاء فقط، باتجاه {destinations}. لا تبدأ التحرك قبل {start}، واحرص على الوصول قبل {end}.",
        "avoid": "ابتعد عن طرق قوافل المساعدات والمعابر أثناء مرور القوافل.",
        "cancel": "لا تعتمد على هذه الهدنة في أي تنقل.",
        "caution": "الهدنة لا تعني أن المنطقة آمنة. اتبع إرشادات المنظمات الإنسانية المحلية.",
    },
}
_LANGUAGES = ("en", "ar")


@dataclass(frozen=True)
class _Area:
    description: dict[str, str]  # language -> areaDesc
    rings: list[list[tuple[float, float]]]


@dataclass(frozen=True)
class _Content:
    occurrence: WindowOccurrence
    response_types: tuple[str, ...]
    areas: tuple[_Area, ...]
    zone_names: str
    origins: str
    destinations: str

    @property
    def fingerprint(self) -> str:
        text = "|".join([
            _cap_time(self.occurrence.start), _cap_time(self.occurrence.end), ",".join(self.response_types),
            *[f"{a.description['en']}:{a.rings}" for a in self.areas],
        ])
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _contents(scenario: Scenario, proposal_id: str) -> list[_Content]:
    proposal = scenario.proposal(proposal_id)
    generaliser = Generaliser(scenario)
    zones = {z.id: z for z in scenario.zones}
    out = []
    for occurrence in window_occurrences(scenario, proposal):
        window = proposal.windows[occurrence.window]
        roads = covered_roads(scenario, window)
        leaving = [zones[z] for z in occurrence.zones if zones[z].evacuation and zones[z].evacuation.wants_to_leave > 0]
        walk_roads = [r for r in roads if r.walk_minutes is not None]
        truck_roads = [r for r in roads if r.truck_minutes is not None]
        response = []
        if leaving and walk_roads:
            response.append("Evacuate")
        if truck_roads:
            response.append("Avoid")
        areas = [_Area({lang: zones[z].name for lang in _LANGUAGES}, rings_of(generaliser.zone(zones[z]))) for z in occurrence.zones]
        if "Evacuate" in response:
            band = generaliser.corridor(walk_roads)
            if band is not None:
                areas.append(_Area({lang: _TEXT[lang]["evacuation_corridor"] for lang in _LANGUAGES}, rings_of(band)))
        if "Avoid" in response:
            band = generaliser.corridor(truck_roads)
            if band is not None:
                areas.append(_Area({lang: _TEXT[lang]["convoy_routes"] for lang in _LANGUAGES}, rings_of(band)))
        destinations = sorted({d for z in leaving for d in z.evacuation.destinations}, key=list(zones).index)  # type: ignore[union-attr]
        out.append(_Content(
            occurrence, tuple(response) or ("None",), tuple(areas),
            zone_names=", ".join(zones[z].name for z in occurrence.zones) or "the listed roads",
            origins=", ".join(z.name for z in leaving),
            destinations=", ".join(zones[d].name for d in destinations),
        ))
    return out


def _infos(scenario: Scenario, content: _Content, msg_type: str) -> list[CapInfo]:
    infos = []
    start, end = content.occurrence.start, content.occurrence.end
    for lang in _LANGUAGES:
        text = _TEXT[lang]
        fmt = "%d %b %Y %H:%M" if lang == "en" else "%Y-%m-%d\u00a0%H:%M"  # no line break inside a time
        values = {"zones": content.zone_names, "start": start.strftime(fmt), "end": end.strftime(fmt), "tz": scenario.timezone,
                  "origins": content.origins, "destinations": content.destinations}
        if lang == "ar":
            # Names and times are left-to-right runs inside right-to-left text: isolate them (Unicode
            # bidi isolates, closed by PDI) so every reader keeps "2023-11-24 10:00" and the names in order.
            # Times are digits only (no strong direction), so they get a left-to-right isolate (LRI);
            # names get a first-strong isolate (FSI) so an Arabic name stays right-to-left.
            values = {k: ("\u2066" + v + "\u2069" if k in ("start", "end", "tz") else "، ".join(f"\u2068{item}\u2069" for item in v.split(", "))) if v else v
                      for k, v in values.items()}
        if msg_type == "Cancel":
            headline, description = text["headline_cancel"], text["description_cancel"]
            instruction = [text["cancel"]]
            response: tuple[str, ...] = ("None",)
        else:
            headline = text["headline_update"] if msg_type == "Update" else text["headline"]
            description = text["description"]
            instruction = [text["evacuate"]] if "Evacuate" in content.response_types else []
            if "Avoid" in content.response_types:
                instruction.append(text["avoid"])
            instruction.append(text["caution"])
            response = content.response_types
        infos.append(CapInfo(
            language=lang, event=text["event"], response_types=response, headline=headline.format(**values),
            description=description.format(**values), instruction=" ".join(instruction).format(**values),
            areas=tuple(a.description[lang] for a in content.areas),
        ))
    return infos


def _sub(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{CAP_NAMESPACE}}}{tag}")
    element.text = text
    return element


def _render(alert: dict, content: _Content, infos: list[CapInfo]) -> bytes:
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
        _sub(block, "urgency", "Expected")
        _sub(block, "severity", "Severe")
        _sub(block, "certainty", "Likely")
        _sub(block, "effective", _cap_time(content.occurrence.start))
        _sub(block, "expires", _cap_time(content.occurrence.end))
        _sub(block, "senderName", alert["senderName"])
        _sub(block, "headline", info.headline)
        _sub(block, "description", info.description)
        _sub(block, "instruction", info.instruction)
        for name, value in (("SAFEPASSAGE_WINDOW", alert["key"]), ("SAFEPASSAGE_FINGERPRINT", content.fingerprint)):
            parameter = ET.SubElement(block, f"{{{CAP_NAMESPACE}}}parameter")
            _sub(parameter, "valueName", name)
            _sub(parameter, "value", value)
        for area, description in zip(content.areas, info.areas):
            element = ET.SubElement(block, f"{{{CAP_NAMESPACE}}}area")
            _sub(element, "areaDesc", description)
            for ring in area.rings:
                _sub(element, "polygon", _cap_polygon(ring))
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _check_token(name: str, value: str) -> None:
    if not value or any(c in value for c in " ,<&"):
        raise ScenarioError([Problem(name, f"{value!r} may not be empty or contain spaces, commas, '<' or '&' (CAP 1.2 §3.2.1)",
                                     "use a domain-like name such as alerts.example.org")], source="CAP alert")


def proposal_alerts(
    scenario: Scenario,
    proposal: str,
    sent: dt.datetime | None = None,
    sender: str = "safepassage.invalid",
    status: Status = "Draft",
    previous: list[CapAlert] | None = None,
    sender_name: str = "Safe Passage (humanitarian pause coordination)",
) -> list[CapAlert]:
    """The CAP messages to send now for ``proposal``; see the module docstring for Alert/Update/Cancel.

    ``sent`` (aware; default now in the scenario's time zone) stamps every message. Raises
    ``UnknownProposalError`` for an unknown proposal, ``ScenarioError`` for a bad ``sender``.
    """
    from zoneinfo import ZoneInfo

    _check_token("sender", sender)
    chosen = scenario.proposal(proposal)
    sent = (sent or dt.datetime.now(ZoneInfo(scenario.timezone))).replace(microsecond=0)
    if sent.tzinfo is None:
        raise ScenarioError([Problem("sent", "give the sending time with its time zone", "e.g. 2023-11-24T07:00:00+02:00")], source="CAP alert")
    latest: dict[str, CapAlert] = {}
    for earlier in sorted(previous or [], key=lambda a: a.sent):
        latest[earlier.key] = earlier
    alerts = []
    current = _contents(scenario, chosen.id)
    for content in current:
        key = f"{chosen.id}/{content.occurrence.key}"
        before = latest.get(key)
        if before is not None and before.msg_type != "Cancel" and before.fingerprint == content.fingerprint:
            continue  # unchanged: already announced
        msg_type = "Update" if before is not None and before.msg_type != "Cancel" else "Alert"
        alerts.append(_alert(scenario, content, key, msg_type, sent, sender, status, sender_name, before if msg_type == "Update" else None))
    current_keys = {f"{chosen.id}/{c.occurrence.key}" for c in current}
    for key, before in latest.items():
        if key.startswith(f"{chosen.id}/") and key not in current_keys and before.msg_type != "Cancel":
            alerts.append(_cancel(scenario, before, sent, sender, status, sender_name))
    return alerts


def _identifier(sender: str, scenario: Scenario, key: str, sent: dt.datetime) -> str:
    return f"{sender}.{scenario.name}.{key.replace('/', '.')}.{sent.astimezone(dt.timezone.utc):%Y%m%dT%H%M%SZ}"


def _alert(scenario: Scenario, content: _Content, key: str, msg_type: str, sent: dt.datetime, sender: str, status: str,
           sender_name: str, before: CapAlert | None) -> CapAlert:
    identifier = _identifier(sender, scenario, key, sent)
    infos = _infos(scenario, content, msg_type)
    header = {"identifier": identifier, "sender": sender, "sent": _cap_time(sent), "status": status, "msgType": msg_type,
              "source": "Safe Passage plan", "scope": "Public", "references": before.reference if before else "",
              "incidents": f"{scenario.name}.{content.occurrence.proposal}", "senderName": sender_name, "key": key}
    xml = _render(header, content, infos)
    validate_alert(xml)
    return CapAlert(identifier, sender, sent, msg_type, key, content.fingerprint, content.occurrence.start, content.occurrence.end,
                    xml, tuple(infos), header["references"])


def _cancel(scenario: Scenario, before: CapAlert, sent: dt.datetime, sender: str, status: str, sender_name: str) -> CapAlert:
    """A Cancel for a withdrawn window, restating its times and areas so the public knows which one."""
    proposal_id, occurrence_key = before.key.split("/", 1)
    if before.effective is None or before.expires is None:
        raise CapValidationError(f"alert {before.identifier} has no effective/expires time; cannot cancel its window")
    occurrence = WindowOccurrence(proposal_id, 0, 0, before.effective, before.expires, (), ())
    names = before.infos[0].areas if before.infos else ()
    content = _Content(occurrence, ("None",), tuple(_Area({lang: n for lang in _LANGUAGES}, []) for n in names),
                       zone_names=", ".join(n for n in names) or "the area announced earlier", origins="", destinations="")
    identifier = _identifier(sender, scenario, before.key, sent)
    infos = _infos(scenario, content, "Cancel")
    header = {"identifier": identifier, "sender": sender, "sent": _cap_time(sent), "status": status, "msgType": "Cancel",
              "source": "Safe Passage plan", "scope": "Public", "note": f"Pause window {occurrence_key} withdrawn",
              "references": before.reference, "incidents": f"{scenario.name}.{proposal_id}", "senderName": sender_name, "key": before.key}
    xml = _render(header, content, infos)
    validate_alert(xml)
    return CapAlert(identifier, sender, sent, "Cancel", before.key, content.fingerprint, before.effective, before.expires, xml,
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
        ))
    first = root.find("cap:info", _NS)
    effective = dt.datetime.fromisoformat(text(first, "effective")) if first is not None and text(first, "effective") else None
    expires = dt.datetime.fromisoformat(text(first, "expires")) if first is not None and text(first, "expires") else None
    if "SAFEPASSAGE_WINDOW" not in params:
        raise CapValidationError("this CAP alert was not written by Safe Passage (no SAFEPASSAGE_WINDOW parameter)")
    return CapAlert(text(root, "identifier"), text(root, "sender"), dt.datetime.fromisoformat(text(root, "sent")), text(root, "msgType"),
                    params["SAFEPASSAGE_WINDOW"], params.get("SAFEPASSAGE_FINGERPRINT", ""), effective, expires, xml, tuple(infos),
                    text(root, "references"))


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
