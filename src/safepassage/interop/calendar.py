"""A proposal's pause windows as an iCalendar (RFC 5545) calendar the public can import.

One VEVENT per window occurrence (a daily pause repeated five times is five events, so one day can be
changed or withdrawn on its own), in the scenario's time zone (a VTIMEZONE is included). What each
event says comes from the plan's public picture: SUMMARY and DESCRIPTION in English and Arabic, a
readable LOCATION (the zones people leave and the corridor they take), the planned times, what the
corridor's screening points do to people (``screening_words``), and whether the pause is agreed by all
parties or announced by one side. No internal id appears: the UID is a
digest of the scenario, proposal and occurrence.

Calendars change with the agreement: pass the calendar published before (``previous``) and a changed
event gets ``SEQUENCE`` one higher and a new ``LAST-MODIFIED``, a withdrawn one is kept with
``STATUS:CANCELLED`` (so a phone that imported the first file drops it), as RFC 5545 §3.8.7.4 asks.
A proposal with no window gives a valid calendar (a VTIMEZONE and a VJOURNAL saying so).

>>> from safepassage.scenario import load_scenario
>>> from safepassage.plan import plan_proposal
>>> scenario = load_scenario("tests/scenarios/tiny.yaml")
>>> calendar = proposal_calendar(scenario, plan_proposal(scenario, "pause"))
>>> [str(e["STATUS"]) for e in calendar.walk("VEVENT")]
['CONFIRMED']
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import icalendar

from safepassage.interop.generalise import Language
from safepassage.interop.public_picture import PublicPicture, PublicWindow, public_picture
from safepassage.plan import PlanResult
from safepassage.scenario.model import Scenario

__all__ = ["proposal_calendar", "read_calendar", "write_calendar"]

PRODID = "-//Safe Passage//humanitarian pause windows//EN"
_TEXT = {
    "en": {
        "agreed": "Humanitarian pause", "unilateral": "Unilateral pause (announced by one side only)",
        "in": "in", "leave": "Evacuation corridor for people leaving {origins}: {roads}, towards {destinations}.",
        "times": "Planned groups set out between {first} and {last}, and the last arrive by {arrival}.",
        "none": "No evacuation movement is planned in this window.",
        "agreed_note": "Agreed by all parties{by}.",
        "unilateral_note": "Announced by one side only{by}; the other parties have not accepted it and fighting may continue.",
        "caution": "A pause does not make an area safe. Follow the guidance of local humanitarian organisations.",
        "tz": "Times are local ({tz}).", "and": ", ", "or": " or ",
        "journal": "No pause windows in this proposal: nothing to put in a calendar.",
    },
    "ar": {
        "agreed": "هدنة إنسانية", "unilateral": "توقف معلن من طرف واحد فقط",
        "in": "في", "leave": "ممر الإخلاء لمن يغادر {origins}: {roads}، باتجاه {destinations}.",
        "times": "تنطلق المجموعات المخطط لها بين {first} و{last}، وتصل آخرها بحلول {arrival}.",
        "none": "لا توجد تحركات إخلاء مخطط لها في هذه الفترة.",
        "agreed_note": "اتفقت عليها جميع الأطراف.",
        "unilateral_note": "أعلنه طرف واحد فقط، ولم تقبل به الأطراف الأخرى، وقد يستمر القتال.",
        "caution": "الهدنة لا تعني أن المنطقة آمنة. اتبع إرشادات المنظمات الإنسانية المحلية.",
        "tz": "الأوقات بالتوقيت المحلي.", "and": "، ", "or": " أو ",
        "journal": "لا توجد فترات هدنة في هذا المقترح.",
    },
}


def _when(moment: dt.datetime | None, language: Language) -> str:
    if moment is None:
        return ""
    return moment.strftime("%a %d %b %H:%M") if language == "en" else "\u2066" + moment.strftime("%Y-%m-%d %H:%M") + "\u2069"


def _uid(picture: PublicPicture, window: PublicWindow) -> str:
    digest = hashlib.sha256(f"{picture.scenario.name}/{picture.proposal.id}/{window.key}".encode()).hexdigest()[:24]
    return f"{digest}@safepassage"


def _texts(picture: PublicPicture, window: PublicWindow, language: Language) -> tuple[str, str, str]:
    """(summary, description, location) in one language."""
    text = _TEXT[language]
    zones = picture.zone_names(window.occurrence.zones, language)
    title = text["unilateral" if picture.unilateral else "agreed"]
    summary = f"{title} {text['in']} {text['and'].join(zones)}" if zones else title
    lines = []
    if window.origins:
        lines.append(text["leave"].format(origins=text["and"].join(picture.zone_names(window.origins, language)),
                                          roads=text["or"].join(picture.way_names(window.corridor_roads, language)),
                                          destinations=text["and"].join(picture.zone_names(window.destinations, language))))
        lines.append(text["times"].format(first=_when(window.first_departure, language), last=_when(window.last_departure, language),
                                          arrival=_when(window.last_arrival, language)))
        if window.screenings:
            lines.append(picture.screening_warning(window.screenings, language))
    else:
        lines.append(text["none"])
    by = f" ({', '.join(picture.proposal.agreed_by)})" if language == "en" and picture.proposal.agreed_by else ""
    lines.append(text["unilateral_note" if picture.unilateral else "agreed_note"].format(by=by))
    lines.append(text["caution"])
    lines.append(text["tz"].format(tz=picture.scenario.timezone))
    location = text["and"].join(picture.zone_names(window.origins or window.occurrence.zones, language))
    if window.corridor_roads:
        location += f" ({text['or'].join(picture.way_names(window.corridor_roads, language))})"
    return summary, " ".join(lines), location


def _fingerprint(event: icalendar.cal.Component) -> tuple[str, ...]:
    return tuple(str(event.get(k, "")) for k in ("SUMMARY", "DESCRIPTION", "LOCATION")) + tuple(
        event.decoded(k).isoformat() if k in event else "" for k in ("DTSTART", "DTEND"))


def proposal_calendar(scenario: Scenario, plan: PlanResult | PublicPicture, stamp: dt.datetime | None = None,
                      previous: icalendar.Calendar | None = None) -> icalendar.Calendar:
    """The calendar of a proposal's plan; ``stamp`` is DTSTAMP and LAST-MODIFIED (default: now, UTC).

    With ``previous`` (the calendar published before) a changed event's SEQUENCE goes up by one and a
    withdrawn event is kept with ``STATUS:CANCELLED``; an unchanged one keeps its SEQUENCE and
    LAST-MODIFIED.
    """
    picture = plan if isinstance(plan, PublicPicture) else public_picture(scenario, plan)
    stamp = (stamp or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    before = {str(e["UID"]): e for e in previous.walk("VEVENT")} if previous is not None else {}
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"{picture.proposal.name} / {picture.proposal.name_ar or _TEXT['ar']['unilateral' if picture.unilateral else 'agreed']}")
    calendar.add("x-wr-timezone", scenario.timezone)
    seen = set()
    for window in picture.windows:
        uid = _uid(picture, window)
        seen.add(uid)
        event = icalendar.Event()
        event.add("uid", uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", window.start)
        event.add("dtend", window.end)
        summary_en, description_en, location_en = _texts(picture, window, "en")
        summary_ar, description_ar, location_ar = _texts(picture, window, "ar")
        event.add("summary", f"{summary_en} / {summary_ar}")
        event.add("description", f"{description_en}\n\n{description_ar}")
        event.add("location", f"{location_en} / {location_ar}")
        event.add("status", "TENTATIVE" if picture.unilateral else "CONFIRMED")
        event.add("transp", "TRANSPARENT")
        event.add("categories", ["Humanitarian pause"])
        earlier = before.get(uid)
        sequence = int(earlier.get("SEQUENCE", 0)) if earlier is not None else 0
        if earlier is not None and (_fingerprint(earlier) != _fingerprint(event) or str(earlier.get("STATUS")) == "CANCELLED"):
            sequence += 1
            event.add("last-modified", stamp)
        elif earlier is not None and "LAST-MODIFIED" in earlier:
            event.add("last-modified", earlier.decoded("LAST-MODIFIED"))
        else:
            event.add("last-modified", stamp)
        event.add("sequence", sequence)
        calendar.add_component(event)
    for uid, earlier in before.items():
        if uid in seen:
            continue
        cancelled = icalendar.Event()
        for key in ("UID", "DTSTART", "DTEND", "SUMMARY", "DESCRIPTION", "LOCATION", "CATEGORIES", "TRANSP"):
            if key in earlier:
                cancelled[key] = earlier[key]
        cancelled.add("dtstamp", stamp)
        already = str(earlier.get("STATUS")) == "CANCELLED"
        cancelled.add("status", "CANCELLED")
        cancelled.add("sequence", int(earlier.get("SEQUENCE", 0)) + (0 if already else 1))
        cancelled.add("last-modified", earlier.decoded("LAST-MODIFIED") if already and "LAST-MODIFIED" in earlier else stamp)
        calendar.add_component(cancelled)
    if not picture.windows and not before:
        journal = icalendar.Journal()
        journal.add("uid", f"{hashlib.sha256(f'{scenario.name}/{picture.proposal.id}'.encode()).hexdigest()[:24]}@safepassage")
        journal.add("dtstamp", stamp)
        journal.add("summary", f"{_TEXT['en']['journal']} / {_TEXT['ar']['journal']}")
        calendar.add_component(journal)
    calendar.add_missing_timezones()
    if not calendar.walk("VTIMEZONE"):
        calendar.add_component(icalendar.Timezone.from_tzid(scenario.timezone))
    return calendar


def read_calendar(path: Path) -> icalendar.Calendar:
    """A calendar written before (e.g. to pass as ``previous``)."""
    return icalendar.Calendar.from_ical(Path(path).read_bytes())


def write_calendar(scenario: Scenario, plan: PlanResult | PublicPicture, path: Path, stamp: dt.datetime | None = None,
                   previous: icalendar.Calendar | None = None) -> Path:
    """Write the calendar to ``path`` (an ``.ics`` file, replaced whole); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.tmp")
    staging.write_bytes(proposal_calendar(scenario, plan, stamp, previous).to_ical())
    staging.replace(path)
    return path
