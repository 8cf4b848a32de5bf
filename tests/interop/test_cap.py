"""CAP 1.2: every alert validates against the official OASIS schema (and a broken one does not), and
what the alerts SAY matches the plan: the corridor is the roads evacuees walk, Evacuate goes to origin
zones only, areas stay inside the area of operation without overlapping, the Arabic is Arabic, the
timing follows CAP practice, and a unilateral pause is never called agreed."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import xml.etree.ElementTree as ET
from importlib import resources
from zoneinfo import ZoneInfo

import pytest
import xmlschema
from shapely.geometry import Point, Polygon, shape
from shapely.ops import unary_union

from safepassage.cli import app
from safepassage.errors import ScenarioError
from safepassage.interop.cap import (
    CAP_NAMESPACE,
    HEADLINE_MAX_CHARS,
    CapValidationError,
    proposal_alerts,
    read_alerts,
    urgency,
    validate_alert,
    write_alerts,
)
from safepassage.interop.generalise import Generaliser
from safepassage.interop.public_picture import AREA_DESC_MAX_CHARS, in_public_corridor
from safepassage.interop.windows import window_occurrences
from safepassage.plan import plan_proposal
from safepassage.scenario import load_scenario

from .conftest import short_horizon

NS = {"cap": CAP_NAMESPACE}
GAZA = ZoneInfo("Asia/Gaza")
SENT = dt.datetime(2023, 11, 24, 7, 0, tzinfo=GAZA)


@pytest.fixture(scope="module")
def oasis() -> xmlschema.XMLSchema:
    """The OASIS CAP 1.2 XSD, loaded straight from the file shipped in the package."""
    with resources.as_file(resources.files("safepassage.interop").joinpath("schema/CAP-v1.2.xsd")) as path:
        return xmlschema.XMLSchema(str(path))


def root(alert) -> ET.Element:
    return ET.fromstring(alert.xml)


def infos(alert) -> list[dict]:
    """Each <info> as plain data: language, response types, texts, and areas as (areaDesc, shapely shape)."""
    out = []
    for info in root(alert).findall("cap:info", NS):
        areas = []
        for area in info.findall("cap:area", NS):
            polygons = []
            for text in (p.text for p in area.findall("cap:polygon", NS)):
                pairs = [tuple(map(float, pair.split(","))) for pair in text.split()]
                polygons.append(Polygon([(lon, lat) for lat, lon in pairs]))
            areas.append((area.findtext("cap:areaDesc", namespaces=NS), unary_union(polygons)))
        out.append({
            "language": info.findtext("cap:language", namespaces=NS),
            "responses": [r.text for r in info.findall("cap:responseType", NS)],
            **{tag: info.findtext(f"cap:{tag}", namespaces=NS) for tag in (
                "event", "headline", "description", "instruction", "senderName", "contact", "web", "effective", "onset", "expires", "urgency",
                "certainty")},
            "event_code": info.findtext("cap:eventCode/cap:value", namespaces=NS),
            "areas": areas,
        })
    return out


def evacuee_roads(scenario, result) -> set[str]:
    """Straight from the plan: the roads on which people walk, less the last step into a sensitive
    shelter (its position is not public; ``in_public_corridor``)."""
    return {leg.road for e in result.evacuations if e.people > 0 for leg in e.legs if in_public_corridor(scenario, e, leg)}


def way(name: str) -> str:
    return re.split(r"[,،]", name, maxsplit=1)[0].strip()


def test_every_alert_of_every_proposal_validates(gaza, gaza_plans, oasis):
    count = 0
    for proposal in gaza.proposals:
        alerts = proposal_alerts(gaza, gaza_plans[proposal.id], sent=SENT)
        assert len(alerts) == len([o for o in window_occurrences(gaza, proposal) if o.end > SENT])
        for alert in alerts:
            assert oasis.is_valid(alert.xml.decode()), oasis.validate(alert.xml.decode())
            count += 1
    assert count == 1 + 5 + 1 + 1  # single, 5 daily, truce, ceasefire


def test_broken_alerts_do_not_validate(gaza, gaza_plans, oasis):
    good = proposal_alerts(gaza, gaza_plans["single-4h-pause"], sent=SENT)[0].xml.decode()
    assert oasis.is_valid(good)
    broken = {
        "no sender": good.replace("<sender>safepassage.invalid</sender>", ""),
        "unknown msgType": good.replace("<msgType>Alert</msgType>", "<msgType>Warning</msgType>"),
        "time in Z": good.replace("<sent>2023-11-24T07:00:00+02:00</sent>", "<sent>2023-11-24T05:00:00Z</sent>"),
        "bad responseType": good.replace("<responseType>Evacuate</responseType>", "<responseType>Run</responseType>", 1),
    }
    for name, xml in broken.items():
        assert xml != good, name
        assert not oasis.is_valid(xml), name
        with pytest.raises(CapValidationError, match="not a valid CAP 1.2 alert"):
            validate_alert(xml)


def test_timing_effective_from_issue_onset_at_the_window(gaza, gaza_plans):
    proposal = gaza.proposal("daily-4h-north")
    alerts = proposal_alerts(gaza, gaza_plans[proposal.id], sent=SENT)
    for alert, occurrence in zip(alerts, window_occurrences(gaza, proposal)):
        for info in infos(alert):
            assert info["effective"] == "2023-11-24T07:00:00+02:00"  # in force from issue
            assert info["onset"] == occurrence.start.isoformat()
            assert info["expires"] == occurrence.end.isoformat()
            assert info["urgency"] == "Future"  # three hours and more ahead
    assert infos(alerts[4])[0]["expires"] == "2023-11-28T14:00:00+02:00"
    # Urgency follows the time to the window: open now, within the hour, later.
    onset = dt.datetime(2023, 11, 24, 10, 0, tzinfo=GAZA)
    assert [urgency(onset, onset + dt.timedelta(minutes=5)), urgency(onset, onset - dt.timedelta(minutes=30)),
            urgency(onset, onset - dt.timedelta(hours=3))] == ["Immediate", "Expected", "Future"]
    sent_in_window = dt.datetime(2023, 11, 24, 11, 0, tzinfo=GAZA)
    first = proposal_alerts(gaza, gaza_plans[proposal.id], sent=sent_in_window)[0]
    assert {i["urgency"] for i in infos(first)} == {"Immediate"}


def test_sent_is_required_and_no_alert_is_expired_on_arrival(gaza, gaza_plans):
    with pytest.raises(TypeError, match="sent"):
        proposal_alerts(gaza, gaza_plans["daily-4h-north"])  # type: ignore[call-arg]
    with pytest.raises(ScenarioError, match="sent.*UTC offset"):
        proposal_alerts(gaza, gaza_plans["daily-4h-north"], sent=dt.datetime(2023, 11, 24, 7))
    late = dt.datetime(2023, 11, 26, 12, 0, tzinfo=GAZA)  # after the first two daily windows
    alerts = proposal_alerts(gaza, gaza_plans["daily-4h-north"], sent=late)
    assert len(alerts) == 3 and all(a.expires > late for a in alerts)
    with pytest.raises(ScenarioError, match="ended"):
        proposal_alerts(gaza, gaza_plans["daily-4h-north"], sent=dt.datetime(2026, 12, 6, tzinfo=dt.timezone.utc))


def test_actual_is_refused_with_the_placeholder_sender(gaza, gaza_plans, oasis):
    with pytest.raises(ScenarioError, match="Actual"):
        proposal_alerts(gaza, gaza_plans["single-4h-pause"], sent=SENT, status="Actual")
    (alert,) = proposal_alerts(gaza, gaza_plans["single-4h-pause"], sent=SENT, status="Actual", sender="alerts.example.org",
                               web="https://alerts.example.org/gaza", contact="+000 0000 0000")
    assert root(alert).findtext("cap:status", namespaces=NS) == "Actual" and oasis.is_valid(alert.xml.decode())
    assert {i["web"] for i in infos(alert)} == {"https://alerts.example.org/gaza"}


def test_one_info_per_response_and_language(gaza, gaza_plans):
    (alert,) = proposal_alerts(gaza, gaza_plans["single-4h-pause"], sent=SENT)
    blocks = infos(alert)
    assert [(i["responses"], i["language"]) for i in blocks] == [
        (["Evacuate"], "en"), (["Evacuate"], "ar"), (["Monitor"], "en"), (["Monitor"], "ar"), (["Avoid"], "en"), (["Avoid"], "ar")]
    for info in blocks:
        assert len(info["headline"]) <= HEADLINE_MAX_CHARS
        assert all(len(name) <= AREA_DESC_MAX_CHARS for name, _ in info["areas"])
        assert info["web"] and info["contact"] and info["event_code"] == "humanitarian-pause"


def test_evacuate_goes_to_origin_zones_only(gaza, gaza_plans):
    zones = {z.id: shape(z.geometry.model_dump()) for z in gaza.zones}
    for proposal in ("single-4h-pause", "daily-4h-north", "truce-4day", "ceasefire"):
        result = gaza_plans[proposal]
        origins = {e.origin_zone for e in result.evacuations if e.people > 0}
        destinations = {e.destination_zone for e in result.evacuations if e.people > 0}
        assert origins and destinations, proposal
        for alert in proposal_alerts(gaza, result, sent=SENT):
            evacuate = [i for i in infos(alert) if i["responses"] == ["Evacuate"] and i["language"] == "en"]
            if not evacuate:
                continue
            (block,) = evacuate
            covered = unary_union([a for _, a in block["areas"]])
            assert {name for name, _ in block["areas"]} <= {gaza.zone(z).name for z in origins}
            for zone in destinations:
                assert not covered.contains(zones[zone].representative_point()), (proposal, zone)
                assert covered.intersection(zones[zone]).area < 0.1 * zones[zone].area, (proposal, zone)
            for name, _ in block["areas"]:
                zone = next(z for z in gaza.zones if z.name == name)
                assert covered.contains(zones[zone.id].representative_point())
        # No origin zone lacks Evacuate: every origin of a movement is in some Evacuate block of its window.
        named = {name for alert in proposal_alerts(gaza, result, sent=SENT) for i in infos(alert) if i["responses"] == ["Evacuate"]
                 for name, _ in i["areas"]}
        assert {gaza.zone(z).name for z in origins} <= named, proposal


def test_areas_inside_the_area_of_operation_and_not_overlapping(gaza, gaza_plans, nearest_sensitive_m):
    generaliser = Generaliser(gaza)
    aoi = generaliser.area_of_operation.buffer(1e-9)
    exact = unary_union([shape(z.geometry.model_dump()) for z in gaza.zones])
    for proposal in ("single-4h-pause", "daily-4h-north", "truce-4day", "ceasefire"):
        for alert in proposal_alerts(gaza, gaza_plans[proposal], sent=SENT):
            for info in infos(alert):
                shapes = [a for _, a in info["areas"]]
                for index, area in enumerate(shapes):
                    assert area.is_valid and aoi.contains(area), (proposal, info["responses"])
                    for other in shapes[index + 1:]:
                        assert area.intersection(other).area < 1e-9, (proposal, info["responses"])
                    for lon, lat in area.exterior.coords if area.geom_type == "Polygon" else [c for g in area.geoms for c in g.exterior.coords]:
                        assert nearest_sensitive_m((lon, lat)) > 2000
                        assert exact.distance(Point(lon, lat)) < 0.04  # within ~4 km of Gaza: no Al-Arish, no Nitzana
    assert not aoi.contains(Point(gaza.place("al-arish-warehouse").geometry.coordinates))
    assert not aoi.contains(Point(gaza.place("nitzana").geometry.coordinates))


def test_corridor_is_the_roads_evacuees_walk(gaza, gaza_plans):
    generaliser = Generaliser(gaza)
    roads = {r.id: r for r in gaza.roads}
    for proposal in ("single-4h-pause", "daily-4h-north", "truce-4day"):
        result = gaza_plans[proposal]
        walked = evacuee_roads(gaza, result)
        assert "erez-north-gaza" not in walked  # the road to the closed crossing carries nobody
        assert {"sad-deir-al-balah-wadi-gaza", "sad-wadi-gaza-gaza-city"} & walked  # Salah al-Din over Wadi Gaza does
        expected = {way(generaliser.road_label(roads[r])) for r in walked}
        (alert, *_) = proposal_alerts(gaza, result, sent=SENT)
        evacuate = next(i for i in infos(alert) if i["responses"] == ["Evacuate"] and i["language"] == "en")
        named = re.search(r"evacuation corridor \(([^)]*)\)", evacuate["instruction"]).group(1)
        assert set(named.split(" or ")) == expected, proposal
        assert "Erez" not in alert.xml.decode()


def test_instruction_times_are_the_plans_movements(gaza, gaza_plans):
    result = gaza_plans["single-4h-pause"]
    (alert,) = proposal_alerts(gaza, result, sent=SENT)
    moving = [e for e in result.evacuations if e.people > 0]
    last_arrival = max(e.arrives for e in moving)
    first_departure = min(e.departs for e in moving)
    window_end = window_occurrences(gaza, gaza.proposal("single-4h-pause"))[0].end
    assert last_arrival > window_end  # the plan's walkers arrive after the window closes ...
    instruction = next(i for i in infos(alert) if i["responses"] == ["Evacuate"] and i["language"] == "en")["instruction"]
    assert f"arrive by {last_arrival:%a %d %b %H:%M}" in instruction  # ... and the alert says so
    assert f"set out between {first_departure:%a %d %b %H:%M}" in instruction
    arabic = next(i for i in infos(alert) if i["responses"] == ["Evacuate"] and i["language"] == "ar")["instruction"]
    assert f"{last_arrival:%Y-%m-%d\u00a0%H:%M}" in arabic


def test_every_arabic_block_is_arabic(gaza, gaza_plans):
    def latin_words(text: str) -> list[str]:
        words = re.findall(r"[^\W\d_]+", text)
        return [w for w in words if not all(unicodedata.name(c, "").startswith("ARABIC") for c in w)]

    checked = 0
    for proposal in ("single-4h-pause", "daily-4h-north", "truce-4day", "ceasefire"):
        alerts = proposal_alerts(gaza, gaza_plans[proposal], sent=SENT)
        for alert in alerts:
            for info in infos(alert):
                if info["language"] != "ar":
                    continue
                for field in ("event", "headline", "description", "instruction", "senderName", "contact"):
                    assert latin_words(info[field]) == [], (field, info[field])
                for name, _ in info["areas"]:
                    assert latin_words(name) == [], name
                checked += 1
    assert checked >= 6


def test_unilateral_pause_is_never_called_agreed(gaza):
    unilateral = gaza.model_copy(update={"proposals": [
        p.model_copy(update={"agreement": "unilateral", "agreed_by": ["one party"]}) if p.id == "single-4h-pause" else p for p in gaza.proposals]})
    result = plan_proposal(unilateral, "single-4h-pause", horizon=short_horizon(unilateral))
    (alert,) = proposal_alerts(unilateral, result, sent=SENT)
    for info in infos(alert):
        text = " ".join(info[k] for k in ("headline", "description", "instruction"))
        if info["language"] == "en":
            assert "agreed" not in text.lower() and "one side" in text
            assert info["headline"].startswith("Unilateral pause")
        else:
            assert "اتفق" not in text and "طرف واحد" in text
        assert info["certainty"] == "Possible"


def test_changed_window_updates_and_withdrawn_window_cancels(gaza, oasis):
    horizon = short_horizon(gaza, days=5)
    first = proposal_alerts(gaza, plan_proposal(gaza, "daily-4h-north", horizon=horizon), sent=SENT)
    # The agreement changes: three days instead of five, and the pauses end an hour later.
    changed = gaza.model_copy(update={"proposals": [
        p.model_copy(update={"windows": [p.windows[0].model_copy(update={"repeat_days": 3, "end": p.windows[0].end + dt.timedelta(hours=1)})]})
        if p.id == "daily-4h-north" else p for p in gaza.proposals]})
    later = SENT + dt.timedelta(hours=1)
    replanned = plan_proposal(changed, "daily-4h-north", horizon=horizon)
    second = proposal_alerts(changed, replanned, sent=later, previous=first)
    assert [a.msg_type for a in second] == ["Update"] * 3 + ["Cancel"] * 2
    for alert, earlier in zip(second, first):
        assert oasis.is_valid(alert.xml.decode())
        assert root(alert).findtext("cap:references", namespaces=NS) == f"safepassage.invalid,{earlier.identifier},2023-11-24T07:00:00+02:00"
    assert infos(second[0])[0]["expires"] == "2023-11-24T15:00:00+02:00"
    cancel = infos(second[3])
    assert {tuple(i["responses"]) for i in cancel} == {("None",)}
    assert cancel[0]["onset"] == "2023-11-27T10:00:00+02:00"
    withdrawn = infos(first[3])
    assert [(i["language"], [n for n, _ in i["areas"]]) for i in cancel] == [(i["language"], [n for n, _ in i["areas"]]) for i in withdrawn]
    for before, after in zip(withdrawn, cancel):  # the Cancel restates the geometry
        for (_, a), (_, b) in zip(before["areas"], after["areas"]):
            assert a.symmetric_difference(b).area < 1e-9
    # Nothing changed since: nothing to send.
    assert proposal_alerts(changed, replanned, sent=later + dt.timedelta(hours=1), previous=first + second) == []


def test_bad_sender_is_rejected(gaza, gaza_plans):
    with pytest.raises(ScenarioError, match="sender"):
        proposal_alerts(gaza, gaza_plans["single-4h-pause"], sent=SENT, sender="Safe Passage, Gaza")


def test_cli_export_cap_then_update(runner, tmp_path, oasis):
    first = tmp_path / "first"
    common = ["export", "gaza-2023-11", "-p", "daily-4h-north", "--format", "cap", "--days", "2", "--slot-minutes", "60"]
    result = runner.invoke(app, [*common, "--out", str(first), "--sent", "2023-11-24T07:00:00+02:00"])
    assert result.exit_code == 0, result.output
    files = sorted(first.glob("*.xml"))
    assert len(files) == 5 and all(oasis.is_valid(f.read_text()) for f in files)
    assert len(read_alerts(first)) == 5
    again = runner.invoke(app, [*common, "--out", str(tmp_path / "second"), "--previous", str(first), "--sent", "2023-11-24T08:00:00+02:00"])
    assert again.exit_code == 0, again.output
    assert "nothing changed" in again.output


@pytest.mark.parametrize("arguments, message", [
    (["--sent", "tomorrow"], "--sent"),
    ([], "--sent"),
    (["--sent", "2023-11-24T07:00:00+02:00", "--status", "Actual"], "Actual"),
])
def test_cli_export_cap_bad_input_exits_2(runner, tmp_path, arguments, message):
    result = runner.invoke(app, ["export", "gaza-2023-11", "-p", "truce-4day", "--format", "cap", "--out", str(tmp_path / "cap"),
                                 "--days", "1", "--slot-minutes", "60", *arguments])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "cap").exists()


def test_write_alerts_names_files_by_identifier(gaza, gaza_plans, tmp_path):
    alerts = proposal_alerts(gaza, gaza_plans["truce-4day"], sent=SENT)
    (path,) = write_alerts(alerts, tmp_path)
    assert path.name == f"{alerts[0].identifier}.xml"


def test_convoy_only_window_says_avoid_and_idle_window_says_none(tiny_data, write_yaml, gaza, gaza_plans):
    tiny_data["proposals"][1]["windows"][0] = {"start": "2024-01-01T06:00", "end": "2024-01-01T10:00", "roads": ["r2"]}
    tiny_data["roads"][1]["requires_pause"] = True  # so the convoys move inside the window
    scenario = load_scenario(write_yaml(tiny_data))
    (alert,) = proposal_alerts(scenario, plan_proposal(scenario, "pause"), sent=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc))
    assert {tuple(i["responses"]) for i in infos(alert)} == {("Avoid",)}
    # Days 3 to 5 of the daily pauses lie beyond the two-day plan: nobody moves, and the alert says so.
    last = proposal_alerts(gaza, gaza_plans["daily-4h-north"], sent=SENT)[-1]
    assert [tuple(i["responses"]) for i in infos(last)] == [("None",), ("None",)]
    assert "No evacuation or convoy movement is planned" in infos(last)[0]["instruction"]
