"""iCalendar: the icalendar library parses each proposal's calendar back, with the right times in the
scenario's time zone, one event per window, and what each window covers."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
import pytest
from dateutil.rrule import rrulestr

from safepassage.cli import app
from safepassage.errors import UnknownProposalError
from safepassage.interop.calendar import proposal_calendar

GAZA = ZoneInfo("Asia/Gaza")


def parsed(scenario, proposal: str) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(proposal_calendar(scenario, proposal).to_ical())


def test_daily_pauses_parse_back_in_gaza_time(gaza):
    calendar = parsed(gaza, "daily-4h-north")
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Asia/Gaza"]
    (event,) = calendar.walk("VEVENT")
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start == dt.datetime(2023, 11, 24, 10, 0, tzinfo=GAZA) and end == dt.datetime(2023, 11, 24, 14, 0, tzinfo=GAZA)
    assert str(start.tzinfo) == "Asia/Gaza" and start.utcoffset() == dt.timedelta(hours=2)
    assert start.astimezone(dt.timezone.utc) == dt.datetime(2023, 11, 24, 8, 0, tzinfo=dt.timezone.utc)
    days = list(rrulestr(event["RRULE"].to_ical().decode(), dtstart=start))
    assert [d.day for d in days] == [24, 25, 26, 27, 28]
    assert all((d.hour, d.minute) == (10, 0) for d in days)
    assert event["X-SAFEPASSAGE-ZONES"] == "north-gaza,gaza-city"
    assert "erez-north-gaza" in event["X-SAFEPASSAGE-ROADS"].split(",")
    assert event["X-SAFEPASSAGE-NOTICE-HOURS"] == "3"
    (alarm,) = event.walk("VALARM")
    assert alarm.decoded("TRIGGER") == -dt.timedelta(hours=3)
    assert "North Gaza governorate" in event["LOCATION"]


def test_one_event_per_window_for_every_proposal(gaza):
    for proposal in gaza.proposals:
        events = parsed(gaza, proposal.id).walk("VEVENT")
        assert len(events) == len(proposal.windows)
        for event, window in zip(events, proposal.windows):
            assert event.decoded("DTSTART").replace(tzinfo=None) == window.start
            assert event.decoded("DTEND").replace(tzinfo=None) == window.end
            assert str(event.decoded("DTSTART").tzinfo) == "Asia/Gaza"


def test_window_across_daylight_saving_keeps_local_times(tiny_data, write_yaml):
    """A window in Gaza on the night clocks went back (28 Oct 2023, 02:00 -> 01:00) keeps its local hours."""
    from safepassage.scenario import load_scenario

    tiny_data["timezone"] = "Asia/Gaza"
    tiny_data["horizon"]["start"] = "2023-10-27T00:00"
    tiny_data["proposals"][1]["windows"] = [{"start": "2023-10-27T10:00", "end": "2023-10-27T14:00", "repeat_days": 3, "zones": ["north"]}]
    scenario = load_scenario(write_yaml(tiny_data))
    (event,) = parsed(scenario, "pause").walk("VEVENT")
    days = list(rrulestr(event["RRULE"].to_ical().decode(), dtstart=event.decoded("DTSTART")))
    assert [(d.hour, d.utcoffset()) for d in days] == [(10, dt.timedelta(hours=3)), (10, dt.timedelta(hours=2)), (10, dt.timedelta(hours=2))]


def test_unknown_proposal_is_named(gaza):
    with pytest.raises(UnknownProposalError, match="unknown proposal 'armistice'"):
        proposal_calendar(gaza, "armistice")


def test_cli_export_ics(runner, tmp_path):
    out = tmp_path / "truce.ics"
    result = runner.invoke(app, ["export", "gaza-2023-11", "-p", "truce-4day", "--format", "ics", "--out", str(out)])
    assert result.exit_code == 0, result.output
    (event,) = icalendar.Calendar.from_ical(out.read_bytes()).walk("VEVENT")
    assert event.decoded("DTSTART") == dt.datetime(2023, 11, 24, 7, 0, tzinfo=GAZA)
    assert event.decoded("DTEND") == dt.datetime(2023, 11, 28, 7, 0, tzinfo=GAZA)


def test_cli_export_ics_needs_a_proposal(runner, tmp_path):
    result = runner.invoke(app, ["export", "gaza-2023-11", "--format", "ics", "--out", str(tmp_path / "x.ics")])
    assert result.exit_code == 2
    assert "needs a proposal" in result.output
