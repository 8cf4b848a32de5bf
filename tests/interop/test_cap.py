"""CAP 1.2: every alert validates against the official OASIS schema (and a broken one does not),
times equal the windows, English and Arabic blocks, generalised areas, Update and Cancel."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from importlib import resources
from zoneinfo import ZoneInfo

import pytest
import xmlschema

from safepassage.cli import app
from safepassage.errors import ScenarioError
from safepassage.interop.cap import (
    CAP_NAMESPACE,
    CapValidationError,
    proposal_alerts,
    read_alerts,
    validate_alert,
    write_alerts,
)
from safepassage.interop.windows import window_occurrences
from safepassage.scenario import load_scenario

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


def test_every_alert_of_every_proposal_validates(gaza, oasis):
    count = 0
    for proposal in gaza.proposals:
        alerts = proposal_alerts(gaza, proposal.id, sent=SENT)
        assert len(alerts) == len(window_occurrences(gaza, proposal))
        for alert in alerts:
            assert oasis.is_valid(alert.xml.decode()), oasis.validate(alert.xml.decode())
            count += 1
    assert count == 1 + 5 + 1 + 1  # single, 5 daily, truce, ceasefire


def test_broken_alerts_do_not_validate(gaza, oasis):
    good = proposal_alerts(gaza, "single-4h-pause", sent=SENT)[0].xml.decode()
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


def test_alert_times_are_the_windows(gaza):
    proposal = gaza.proposal("daily-4h-north")
    alerts = proposal_alerts(gaza, proposal.id, sent=SENT)
    for alert, occurrence in zip(alerts, window_occurrences(gaza, proposal)):
        for info in root(alert).findall("cap:info", NS):
            assert info.findtext("cap:effective", namespaces=NS) == occurrence.start.isoformat()
            assert info.findtext("cap:expires", namespaces=NS) == occurrence.end.isoformat()
    first = root(alerts[0]).find("cap:info", NS)
    assert first.findtext("cap:effective", namespaces=NS) == "2023-11-24T10:00:00+02:00"
    assert root(alerts[4]).find("cap:info", NS).findtext("cap:expires", namespaces=NS) == "2023-11-28T14:00:00+02:00"


def test_english_and_arabic_with_fitting_responses(gaza):
    alert = proposal_alerts(gaza, "single-4h-pause", sent=SENT)[0]
    infos = root(alert).findall("cap:info", NS)
    assert [i.findtext("cap:language", namespaces=NS) for i in infos] == ["en", "ar"]
    for info in infos:
        assert [r.text for r in info.findall("cap:responseType", NS)] == ["Evacuate", "Avoid"]  # people want to leave the north
        assert info.findtext("cap:headline", namespaces=NS)
    arabic = infos[1].findtext("cap:instruction", namespaces=NS)
    assert "ممر الإخلاء" in arabic and "\u2068" in arabic  # Arabic text, with names isolated for bidi
    assert root(alert).findtext("cap:scope", namespaces=NS) == "Public"
    assert root(alert).findtext("cap:status", namespaces=NS) == "Draft"


def test_convoy_only_window_says_avoid(tiny_data, write_yaml):
    tiny_data["proposals"][1]["windows"][0] = {"start": "2024-01-01T06:00", "end": "2024-01-01T10:00", "roads": ["r2"]}
    scenario = load_scenario(write_yaml(tiny_data))
    (alert,) = proposal_alerts(scenario, "pause", sent=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc))
    assert [r.text for r in root(alert).find("cap:info", NS).findall("cap:responseType", NS)] == ["Avoid"]


def test_areas_are_generalised(gaza, nearest_sensitive_m):
    exact = {(p.geometry.lat, p.geometry.lon) for p in gaza.places}
    for proposal in ("single-4h-pause", "truce-4day"):
        for alert in proposal_alerts(gaza, proposal, sent=SENT):
            polygons = [p.text for p in root(alert).iter(f"{{{CAP_NAMESPACE}}}polygon")]
            assert polygons
            for polygon in polygons:
                pairs = [tuple(map(float, pair.split(","))) for pair in polygon.split()]
                assert len(pairs) >= 4 and pairs[0] == pairs[-1]  # CAP: closed, at least four points
                for lat, lon in pairs:
                    assert 30 < lat < 32 and 33 < lon < 35  # lat,lon order (the area runs from Al-Arish to Erez)
                    assert (lat, lon) not in exact
                    assert nearest_sensitive_m((lon, lat)) > 300
            text = alert.xml.decode()
            assert not any(p.name in text for p in gaza.places if p.sensitive)


def test_changed_window_updates_and_withdrawn_window_cancels(gaza, tiny_data, oasis):
    first = proposal_alerts(gaza, "daily-4h-north", sent=SENT)
    # The agreement changes: three days instead of five, and the pauses end an hour later.
    changed = gaza.model_copy(update={"proposals": [
        p.model_copy(update={"windows": [p.windows[0].model_copy(update={"repeat_days": 3, "end": p.windows[0].end + dt.timedelta(hours=1)})]})
        if p.id == "daily-4h-north" else p for p in gaza.proposals]})
    later = SENT + dt.timedelta(hours=1)
    second = proposal_alerts(changed, "daily-4h-north", sent=later, previous=first)
    assert [a.msg_type for a in second] == ["Update"] * 3 + ["Cancel"] * 2
    for alert, earlier in zip(second, first):
        assert oasis.is_valid(alert.xml.decode())
        assert root(alert).findtext("cap:references", namespaces=NS) == f"safepassage.invalid,{earlier.identifier},2023-11-24T07:00:00+02:00"
    update = root(second[0]).find("cap:info", NS)
    assert update.findtext("cap:expires", namespaces=NS) == "2023-11-24T15:00:00+02:00"
    cancel = root(second[3])
    assert [r.text for r in cancel.find("cap:info", NS).findall("cap:responseType", NS)] == ["None"]
    assert cancel.find("cap:info", NS).findtext("cap:effective", namespaces=NS) == "2023-11-27T10:00:00+02:00"
    # Nothing changed since: nothing to send.
    assert proposal_alerts(changed, "daily-4h-north", sent=later + dt.timedelta(hours=1), previous=first + second) == []


def test_bad_sender_is_rejected(gaza):
    with pytest.raises(ScenarioError, match="sender"):
        proposal_alerts(gaza, "single-4h-pause", sent=SENT, sender="Safe Passage, Gaza")


def test_cli_export_cap_then_update(runner, tmp_path, oasis):
    first = tmp_path / "first"
    result = runner.invoke(app, ["export", "gaza-2023-11", "-p", "daily-4h-north", "--format", "cap", "--out", str(first),
                                 "--sent", "2023-11-24T07:00:00+02:00"])
    assert result.exit_code == 0, result.output
    files = sorted(first.glob("*.xml"))
    assert len(files) == 5 and all(oasis.is_valid(f.read_text()) for f in files)
    assert len(read_alerts(first)) == 5
    again = runner.invoke(app, ["export", "gaza-2023-11", "-p", "daily-4h-north", "--format", "cap", "--out", str(tmp_path / "second"),
                                "--previous", str(first), "--sent", "2023-11-24T08:00:00+02:00"])
    assert again.exit_code == 0, again.output
    assert "nothing changed" in again.output


def test_cli_export_cap_bad_sent_exits_2(runner, tmp_path):
    result = runner.invoke(app, ["export", "gaza-2023-11", "-p", "truce-4day", "--format", "cap", "--out", str(tmp_path), "--sent", "tomorrow"])
    assert result.exit_code == 2
    assert "--sent" in result.output


def test_write_alerts_names_files_by_identifier(gaza, tmp_path):
    alerts = proposal_alerts(gaza, "truce-4day", sent=SENT)
    (path,) = write_alerts(alerts, tmp_path)
    assert path.name == f"{alerts[0].identifier}.xml"
