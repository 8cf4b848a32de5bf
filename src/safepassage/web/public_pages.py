"""The public page: no sign-in, English and Arabic, no JavaScript, printable, with the iCalendar and
CAP links. It shows the pause the deployment is working on (the newest plan's proposal), read through
``public_picture`` so it says what the CAP alerts say.
"""

from __future__ import annotations

import datetime as dt
import threading
import xml.etree.ElementTree as ET
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from safepassage.interop.calendar import proposal_calendar
from safepassage.interop.screening_words import ID_ADVICE
from safepassage.interop.windows import window_occurrences
from safepassage.plan import plan_proposal
from safepassage.scenario import Scenario
from safepassage.web.api_client import ApiError
from safepassage.web.public_picture import PublicView, public_view
from safepassage.web.render import page
from safepassage.web.scenario_source import latest_planned_proposal, stored_result, stored_scenario
from safepassage.web.security import security_headers

__all__ = ["router", "current_picture", "public_context", "TEXT"]

router = APIRouter(prefix="/public", include_in_schema=False)
_lock = threading.Lock()
ATOM = "http://www.w3.org/2005/Atom"


def announced_at(scenario: Scenario, proposal: str, planned_at: dt.datetime) -> dt.datetime:
    """When the alerts count as sent: when the plan was made, or, for a plan made after its first
    window began (a past period, such as the packaged Gaza week), as it would have been announced: the
    proposal's notice before its first window (at least one hour)."""
    chosen = scenario.proposal(proposal)
    occurrences = window_occurrences(scenario, chosen)
    if not occurrences:
        return planned_at.replace(microsecond=0)
    first = min(o.start for o in occurrences)
    return min(planned_at, first - dt.timedelta(hours=max(1.0, chosen.notice_hours))).replace(microsecond=0)


def current_picture(request: Request) -> PublicView | None:
    """The public view of the newest plan (cached until a newer plan exists).

    The public picture is built from a plan's convoys and evacuations with their legs: the plan's result
    stored when its job ended. A plan without one (uploaded, or made before results were stored,
    migration 0005) has its proposal planned again here (seconds, once per newest plan)."""
    latest = latest_planned_proposal(request.app)
    if latest is None:
        return None
    cache = request.app.state.__dict__.setdefault("web_public_cache", {})
    with _lock:
        if latest in cache:
            return cache[latest]  # type: ignore[no-any-return]
    scenario = stored_scenario(request.app, latest.scenario_id)
    if scenario is None:
        return None
    result = stored_result(request.app, latest.plan_id) or plan_proposal(scenario, latest.proposal)
    picture = public_view(scenario, result, sent=announced_at(scenario, latest.proposal, latest.planned_at))
    with _lock:
        cache.clear()
        cache[latest] = picture
    return picture


TEXT = {
    "en": {
        "title": "Humanitarian pause: when and where movement is possible",
        "none": "No humanitarian pause has been announced here.",
        "unilateral": (
            "This pause is unilateral: one party announced it, and the other parties have not agreed to it."
            " Take extra care."
        ),
        "agreed_by": "This pause was agreed by: {parties}.",
        "agreed": "This pause is reported as agreed by the parties.",
        "guarantee": (
            "Notifying the parties of a movement is no guarantee of safety, and a pause does not make an area safe."
        ),
        "times": "All times are local time ({tz}).",
        "past": "Every window below has ended: this page shows a pause of a past period, as it was announced.",
        "windows": "When: the pause windows",
        "corridors": "Where: the roads in use during the pause",
        "on_foot": "evacuation corridor: open to people on foot",
        "convoys": "used by aid convoys: keep clear",
        "windows_count": "during {n} window(s)",
        "screening": "Screening on the corridor",
        "map": "Map (approximate areas only; no exact positions)",
        "map_label": "Simple map of the zones and the corridors the pause opens",
        "zone_list": "Zones on the map",
        "links": "Stay informed",
        "ics": "Calendar of the windows (.ics)",
        "cap": "CAP alert feed (for alerting systems)",
        "print": "Printable, low-bandwidth version",
        "full": "Full version",
        "other": "العربية",
        "other_href": "/public/ar",
        "from_to": "{start} to {end}",
        "carry_id": ID_ADVICE["en"],
    },
    "ar": {
        "title": "هدنة إنسانية: متى وأين يمكن التنقل",
        "none": "لم يُعلن عن أي هدنة إنسانية هنا.",
        "unilateral": (
            "هذه الهدنة أحادية الجانب: أعلنها طرف واحد ولم توافق عليها الأطراف الأخرى. توخَّ مزيدًا من الحذر."
        ),
        "agreed_by": "وافقت على هذه الهدنة: {parties}.",
        "agreed": "أُفيد بأن الأطراف وافقت على هذه الهدنة.",
        "guarantee": "إبلاغ الأطراف بأي تحرك لا يضمن السلامة، والهدنة لا تعني أن المنطقة آمنة.",
        "times": "جميع الأوقات بالتوقيت المحلي ({tz}).",
        "past": "انتهت جميع الفترات أدناه: تعرض هذه الصفحة هدنة من فترة سابقة كما أُعلنت.",
        "windows": "متى: فترات الهدنة",
        "corridors": "أين: الطرق المستخدمة خلال الهدنة",
        "on_foot": "ممر إخلاء: مفتوح للمشاة",
        "convoys": "تستخدمه قوافل المساعدات: ابتعد عنه",
        "windows_count": "خلال {n} فترة",
        "screening": "التفتيش على ممر الإخلاء",
        "map": "خريطة (مناطق تقريبية فقط، دون مواقع دقيقة)",
        "map_label": "خريطة مبسطة للمناطق والممرات التي تفتحها الهدنة",
        "zone_list": "المناطق على الخريطة",
        "links": "ابقَ على اطلاع",
        "ics": "تقويم فترات الهدنة (‎.ics‎)",
        "cap": "موجز تنبيهات CAP (لأنظمة الإنذار)",
        "print": "نسخة للطباعة وللاتصال الضعيف",
        "full": "النسخة الكاملة",
        "other": "English",
        "other_href": "/public",
        "from_to": "{start} إلى {end}",
        "carry_id": ID_ADVICE["ar"],
    },
}


def public_context(picture: PublicView | None, lang: str, printable: bool, now: dt.datetime) -> dict[str, Any]:
    """What ``public.html`` is rendered with, for ``lang`` ("en" or "ar") at ``now`` (aware)."""
    past = bool(picture and picture.windows and max(w.end for w in picture.windows) < now)
    return {
        "user": None,
        "lang": lang,
        "dir": "rtl" if lang == "ar" else "ltr",
        "picture": picture,
        "past": past,
        "printable": printable,
        "t": TEXT[lang],
        "here": "/public/ar" if lang == "ar" else "/public",
    }


def _public(request: Request, lang: str, printable: bool) -> HTMLResponse:
    context = public_context(current_picture(request), lang, printable, dt.datetime.now(dt.UTC))
    response = page(request, "public.html", context)
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


@router.get("", response_class=HTMLResponse)
def public_en(request: Request, print: bool = False) -> HTMLResponse:  # noqa: A002  (the query parameter's name)
    return _public(request, "en", print)


@router.get("/ar", response_class=HTMLResponse)
def public_ar(request: Request, print: bool = False) -> HTMLResponse:  # noqa: A002
    return _public(request, "ar", print)


@router.get("/windows.ics")
def windows_ics(request: Request) -> Response:
    picture = current_picture(request)
    if picture is None or picture.picture is None:
        raise ApiError(404, "no pause has been announced")
    body = proposal_calendar(
        picture.picture.scenario, picture.picture, stamp=picture.alerts[0].sent if picture.alerts else None
    ).to_ical()
    return security_headers(
        Response(
            body,
            media_type="text/calendar; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="pause-windows.ics"'},
        )
    )


@router.get("/alerts.xml")
def alerts_feed(request: Request) -> Response:
    """An Atom feed of the CAP 1.2 alerts (one per window occurrence), as CAP aggregators read them."""
    picture = current_picture(request)
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}title").text = "Humanitarian pause alerts (CAP 1.2)"
    ET.SubElement(feed, f"{{{ATOM}}}id").text = str(request.url_for("alerts_feed"))
    updated = (
        max((a.sent for a in picture.alerts), default=dt.datetime.now(dt.UTC)) if picture else dt.datetime.now(dt.UTC)
    )
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = updated.isoformat()
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=str(request.url_for("alerts_feed")))
    for alert in picture.alerts if picture else []:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}id").text = alert.identifier
        ET.SubElement(entry, f"{{{ATOM}}}title").text = alert.infos[0].headline if alert.infos else alert.identifier
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = alert.sent.isoformat()
        ET.SubElement(
            entry,
            f"{{{ATOM}}}link",
            rel="alternate",
            type="application/cap+xml",
            href=str(request.url_for("alert_xml", identifier=alert.identifier)),
        )
    body = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return security_headers(Response(body, media_type="application/atom+xml; charset=utf-8"))


@router.get("/alerts/{identifier}.xml")
def alert_xml(request: Request, identifier: Annotated[str, Path(max_length=300)]) -> Response:
    picture = current_picture(request)
    for alert in picture.alerts if picture else []:
        if alert.identifier == identifier:
            return security_headers(Response(alert.xml, media_type="application/cap+xml; charset=utf-8"))
    raise ApiError(404, f"no alert {identifier}")
