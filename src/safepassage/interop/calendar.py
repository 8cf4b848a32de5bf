"""A proposal's pause windows as an iCalendar (RFC 5545) calendar.

One VEVENT per window, in the scenario's time zone (a VTIMEZONE is included); a window repeated on
consecutive days carries ``RRULE:FREQ=DAILY;COUNT=n``. Each event lists the zones and roads it covers
(LOCATION, DESCRIPTION and ``X-SAFEPASSAGE-ZONES`` / ``X-SAFEPASSAGE-ROADS``), and the notice period
is both stated (``X-SAFEPASSAGE-NOTICE-HOURS``) and given as a VALARM that fires when notice is due.

>>> from safepassage.scenario import load_scenario
>>> calendar = proposal_calendar(load_scenario("gaza-2023-11"), "daily-4h-north")
>>> [str(e["RRULE"].to_ical(), "ascii") for e in calendar.walk("VEVENT")]
['FREQ=DAILY;COUNT=5']
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import icalendar

from safepassage.interop.windows import aware, covered_roads, covered_zones
from safepassage.scenario.model import Scenario

__all__ = ["proposal_calendar", "write_calendar"]

PRODID = "-//Safe Passage//humanitarian pause windows//EN"


def proposal_calendar(scenario: Scenario, proposal: str, stamp: dt.datetime | None = None) -> icalendar.Calendar:
    """The calendar of ``proposal`` (id or name); ``stamp`` is DTSTAMP (default: now, UTC).

    Raises ``UnknownProposalError`` for a proposal the scenario lacks.
    """
    chosen = scenario.proposal(proposal)
    stamp = stamp or dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    zone_names = {z.id: z.name for z in scenario.zones}
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"{scenario.title}: {chosen.name}")
    calendar.add("x-wr-timezone", scenario.timezone)
    for index, window in enumerate(chosen.windows, start=1):
        zones = covered_zones(scenario, window)
        roads = [r.id for r in covered_roads(scenario, window)]
        event = icalendar.Event()
        event.add("uid", f"{scenario.name}.{chosen.id}.w{index}@safepassage")
        event.add("dtstamp", stamp)
        event.add("dtstart", aware(window.start, scenario.timezone))
        event.add("dtend", aware(window.end, scenario.timezone))
        if window.repeat_days > 1:
            event.add("rrule", {"freq": "daily", "count": window.repeat_days})
        covers = "everywhere" if window.everywhere else ", ".join(zone_names[z] for z in zones) or "listed roads"
        event.add("summary", f"{chosen.name}: pause window {index} ({covers})")
        event.add("location", covers)
        description = [
            f"Humanitarian pause window {index} of proposal '{chosen.name}' ({chosen.id}).",
            f"Local time zone: {scenario.timezone}.",
            f"Zones covered: {', '.join(zones) or 'none listed'}.",
            f"Roads covered: {', '.join(roads) or 'none listed'}.",
            f"Notice period: {chosen.notice_hours:g} hours before the window opens.",
        ]
        if window.repeat_days > 1:
            description.append(f"Repeats daily, {window.repeat_days} times.")
        event.add("description", "\n".join(description))
        event.add("categories", ["Humanitarian pause"])
        event.add("x-safepassage-proposal", chosen.id)
        event.add("x-safepassage-zones", ",".join(zones))
        event.add("x-safepassage-roads", ",".join(roads))
        event.add("x-safepassage-notice-hours", f"{chosen.notice_hours:g}")
        if chosen.notice_hours > 0:
            alarm = icalendar.Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", f"Notice due: pause window {index} opens in {chosen.notice_hours:g} hours")
            alarm.add("trigger", -dt.timedelta(hours=chosen.notice_hours))
            event.add_component(alarm)
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar


def write_calendar(scenario: Scenario, proposal: str, path: Path, stamp: dt.datetime | None = None) -> Path:
    """Write the proposal's calendar to ``path`` (an ``.ics`` file); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(proposal_calendar(scenario, proposal, stamp).to_ical())
    return path
