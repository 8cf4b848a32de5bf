"""iCalendar: the icalendar library parses each proposal's calendar back with the right local times,
one event per window occurrence; a changed window goes up a SEQUENCE and a withdrawn one is
CANCELLED; a proposal with no window is still a valid calendar; no internal id; English and Arabic."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import icalendar
import pytest

from safepassage.cli import app
from safepassage.interop.calendar import proposal_calendar
from safepassage.interop.generalise import Generaliser
from safepassage.interop.public_picture import in_public_corridor
from safepassage.interop.windows import window_occurrences
from safepassage.plan import plan_proposal
from safepassage.scenario import load_scenario

from .conftest import short_horizon

GAZA = ZoneInfo("Asia/Gaza")
STAMP = dt.datetime(2023, 11, 24, 5, 0, tzinfo=dt.timezone.utc)


def parsed(scenario, result, **kwargs) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(proposal_calendar(scenario, result, stamp=STAMP, **kwargs).to_ical())


def test_daily_pauses_parse_back_in_gaza_time(gaza, gaza_plans):
    events = parsed(gaza, gaza_plans["daily-4h-north"]).walk("VEVENT")
    assert len(events) == 5
    for day, event in enumerate(events):
        start = event.decoded("DTSTART")
        assert start == dt.datetime(2023, 11, 24 + day, 10, 0, tzinfo=GAZA)
        assert start.utcoffset() == dt.timedelta(hours=2)
        assert event.decoded("DTEND") - start == dt.timedelta(hours=4)
        assert "North Gaza governorate" in event["SUMMARY"] and "محافظة شمال غزة" in event["SUMMARY"]
        # The daily pauses were announced by one party (Israel, through the US): tentative, not confirmed.
        assert int(event["SEQUENCE"]) == 0 and str(event["STATUS"]) == "TENTATIVE"


def test_one_event_per_occurrence_for_every_proposal(gaza, gaza_plans):
    for proposal in gaza.proposals:
        calendar = parsed(gaza, gaza_plans[proposal.id])
        events = calendar.walk("VEVENT")
        occurrences = window_occurrences(gaza, proposal)
        assert [(e.decoded("DTSTART"), e.decoded("DTEND")) for e in events] == [(o.start, o.end) for o in occurrences]
        assert calendar.walk("VTIMEZONE"), "a VTIMEZONE is always present"


def test_no_pause_is_a_valid_calendar(gaza, gaza_plans):
    calendar = parsed(gaza, gaza_plans["no-pause"])
    assert calendar.walk("VEVENT") == []
    components = [c.name for c in calendar.subcomponents]
    assert "VTIMEZONE" in components and "VJOURNAL" in components  # RFC 5545: at least one component
    assert "No pause windows" in str(calendar.walk("VJOURNAL")[0]["SUMMARY"])


def test_no_internal_ids_and_both_languages(gaza, gaza_plans):
    for proposal in ("single-4h-pause", "daily-4h-north", "truce-4day"):
        text = proposal_calendar(gaza, gaza_plans[proposal], stamp=STAMP).to_ical().decode("utf-8")
        unfolded = re.sub(r"\r\n[ \t]", "", text)
        assert "X-SAFEPASSAGE" not in unfolded
        ids = [r.id for r in gaza.roads] + [p.id for p in gaza.places] + [z.id for z in gaza.zones if "-" in z.id] + [proposal]
        assert not [i for i in ids if re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", unfolded)], proposal
        for event in icalendar.Calendar.from_ical(text).walk("VEVENT"):
            for field in ("SUMMARY", "DESCRIPTION", "LOCATION"):
                value = str(event[field])
                assert re.search(r"[A-Za-z]{3}", value) and re.search(r"[\u0600-\u06FF]{3}", value), field


def test_corridor_is_the_roads_evacuees_walk(gaza, gaza_plans):
    generaliser = Generaliser(gaza)
    roads = {r.id: r for r in gaza.roads}
    result = gaza_plans["daily-4h-north"]
    # Every road people walk in the plan, less the last step into a sensitive shelter (its position is not public).
    walked = {leg.road for e in result.evacuations if e.people > 0 for leg in e.legs if in_public_corridor(gaza, e, leg)}
    expected = {re.split(",", generaliser.road_label(roads[r]))[0].strip() for r in walked}
    (first, *_) = parsed(gaza, result).walk("VEVENT")
    corridor = re.search(r"\(([^)]*)\) /", str(first["LOCATION"])).group(1)
    assert set(corridor.split(" or ")) == expected
    assert "Erez" not in str(first["DESCRIPTION"]) and "Erez" not in str(first["LOCATION"])


def test_changed_window_gets_a_sequence_and_withdrawn_one_is_cancelled(gaza):
    horizon = short_horizon(gaza, days=5)
    before = proposal_calendar(gaza, plan_proposal(gaza, "daily-4h-north", horizon=horizon), stamp=STAMP)
    changed = gaza.model_copy(update={"proposals": [
        p.model_copy(update={"windows": [p.windows[0].model_copy(update={"repeat_days": 3, "end": p.windows[0].end + dt.timedelta(hours=1)})]})
        if p.id == "daily-4h-north" else p for p in gaza.proposals]})
    later = STAMP + dt.timedelta(hours=1)
    after = icalendar.Calendar.from_ical(proposal_calendar(changed, plan_proposal(changed, "daily-4h-north", horizon=horizon), stamp=later,
                                                           previous=before).to_ical())
    events = after.walk("VEVENT")
    assert len(events) == 5
    # (the daily pauses are unilateral: their kept events are TENTATIVE, the withdrawn ones CANCELLED)
    assert [str(e["STATUS"]) for e in events] == ["TENTATIVE"] * 3 + ["CANCELLED"] * 2
    assert all(int(e["SEQUENCE"]) >= 1 for e in events)
    assert all(e.decoded("LAST-MODIFIED") == later for e in events)
    assert events[0].decoded("DTEND") == dt.datetime(2023, 11, 24, 15, 0, tzinfo=GAZA)
    assert {str(e["UID"]) for e in events} == {str(e["UID"]) for e in before.walk("VEVENT")}
    # Published again unchanged: the SEQUENCE stays.
    again = icalendar.Calendar.from_ical(proposal_calendar(changed, plan_proposal(changed, "daily-4h-north", horizon=horizon),
                                                           stamp=later + dt.timedelta(hours=1), previous=after).to_ical())
    assert [int(e["SEQUENCE"]) for e in again.walk("VEVENT")] == [int(e["SEQUENCE"]) for e in events]


def test_window_across_daylight_saving_keeps_local_times(tiny_data, write_yaml):
    """A window in Gaza on the night clocks went back (28 Oct 2023, 02:00 -> 01:00) keeps its local hours."""
    tiny_data["timezone"] = "Asia/Gaza"
    tiny_data["horizon"]["start"] = "2023-10-27T00:00"
    tiny_data["proposals"][1]["windows"] = [{"start": "2023-10-27T10:00", "end": "2023-10-27T14:00", "repeat_days": 3, "zones": ["north"]}]
    scenario = load_scenario(write_yaml(tiny_data))
    events = parsed(scenario, plan_proposal(scenario, "pause")).walk("VEVENT")
    assert [(e.decoded("DTSTART").hour, e.decoded("DTSTART").utcoffset()) for e in events] == [
        (10, dt.timedelta(hours=3)), (10, dt.timedelta(hours=2)), (10, dt.timedelta(hours=2))]


def test_unilateral_pause_is_tentative_and_says_so(gaza):
    unilateral = gaza.model_copy(update={"proposals": [
        p.model_copy(update={"agreement": "unilateral"}) if p.id == "single-4h-pause" else p for p in gaza.proposals]})
    (event,) = parsed(unilateral, plan_proposal(unilateral, "single-4h-pause", horizon=short_horizon(unilateral))).walk("VEVENT")
    assert str(event["STATUS"]) == "TENTATIVE"
    assert "one side only" in str(event["DESCRIPTION"]) and "Agreed" not in str(event["DESCRIPTION"])


def test_cli_export_ics(runner, tmp_path):
    out = tmp_path / "truce.ics"
    result = runner.invoke(app, ["export", "gaza-2023-11", "-p", "truce-4day", "--format", "ics", "--out", str(out), "--days", "1", "--slot-minutes", "60"])
    assert result.exit_code == 0, result.output
    (event,) = icalendar.Calendar.from_ical(out.read_bytes()).walk("VEVENT")
    assert event.decoded("DTEND") - event.decoded("DTSTART") == dt.timedelta(hours=96)
    again = runner.invoke(app, ["export", "gaza-2023-11", "-p", "truce-4day", "--format", "ics", "--out", str(tmp_path / "again.ics"),
                                "--previous", str(out), "--days", "1", "--slot-minutes", "60"])
    assert again.exit_code == 0, again.output


@pytest.mark.parametrize("extra, message", [([], "needs a proposal"), (["-p", "truce-4day", "--previous", "/nonexistent.ics"], "--previous")])
def test_cli_export_ics_bad_input_exits_2(runner, tmp_path, extra, message):
    result = runner.invoke(app, ["export", "gaza-2023-11", "--format", "ics", "--out", str(tmp_path / "x.ics"), *extra])
    assert result.exit_code == 2
    assert message in result.output
