"""Every public output — CAP, GeoJSON, iCalendar, public HXL (HXL and plain CSV), the report's HTML and
PDF text — names no sensitive site and gives no position within 2 km of one, in any notation
(decimal degrees, ranges, degrees-minutes-seconds, polygons, prose); and the rule does not
over-reach: towns far from any sensitive site and money amounts stay as they were."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from zoneinfo import ZoneInfo

import pytest

from safepassage.evaluate import Comparison
from safepassage.evaluate.report import find_chromium, render_report_html, write_report
from safepassage.interop.calendar import proposal_calendar
from safepassage.interop.cap import proposal_alerts
from safepassage.interop.generalise import WITHHELD, Generaliser
from safepassage.interop.geojson import corridors_collection, plan_collection, zones_collection
from safepassage.interop.hxl import write_plan_hxl, write_scenario_hxl
from tests.public_leaks import leaks, positions

SENT = dt.datetime(2023, 11, 24, 7, 0, tzinfo=ZoneInfo("Asia/Gaza"))


def public_texts(gaza, gaza_plans, tmp_path) -> dict[str, str]:
    texts: dict[str, str] = {}
    for proposal, result in gaza_plans.items():
        for alert in proposal_alerts(gaza, result, sent=SENT):
            texts[f"cap {alert.identifier}"] = alert.xml.decode("utf-8")
        texts[f"ics {proposal}"] = re.sub(r"\r\n[ \t]", "", proposal_calendar(gaza, result).to_ical().decode("utf-8"))
        texts[f"geojson corridors {proposal}"] = json.dumps(corridors_collection(gaza, result), ensure_ascii=False)
        texts[f"geojson plan {proposal}"] = json.dumps(plan_collection(gaza, result), ensure_ascii=False)
        folder = tmp_path / proposal
        write_plan_hxl(gaza, result, folder)
        write_scenario_hxl(gaza, folder, audience="public")
        for path in folder.glob("*.csv"):
            texts[f"hxl {proposal}/{path.name}"] = path.read_text(encoding="utf-8")
    texts["geojson zones"] = json.dumps(zones_collection(gaza), ensure_ascii=False)
    comparison = Comparison(gaza, list(gaza_plans.values()))
    texts["report html"] = render_report_html(comparison)
    if find_chromium() is not None and shutil.which("pdftotext"):
        write_report(comparison, tmp_path / "report")
        texts["report pdf"] = subprocess.run(["pdftotext", str(tmp_path / "report" / "report.pdf"), "-"], capture_output=True, text=True,
                                             check=True, timeout=120).stdout
    return texts


@pytest.fixture(scope="module")
def texts(gaza, gaza_plans, tmp_path_factory) -> dict[str, str]:
    return public_texts(gaza, gaza_plans, tmp_path_factory.mktemp("public"))


def test_every_public_output_is_covered(texts):
    kinds = {name.split()[0] for name in texts}
    assert kinds >= {"cap", "ics", "geojson", "hxl", "report"}
    assert any(name.endswith(".plain.csv") for name in texts)
    if find_chromium() is not None and shutil.which("pdftotext"):
        assert "Need met per zone" in texts["report pdf"]  # the PDF's text is checked too


def test_no_public_output_names_or_places_a_sensitive_site(gaza, texts):
    found = {name: leaks(gaza, text)[:3] for name, text in texts.items()}
    assert {name: problems for name, problems in found.items() if problems} == {}


def test_the_check_itself_catches_leaks(gaza):
    checkpoint = gaza.place("wadi-gaza-checkpoint")
    assert leaks(gaza, "Position ~31.45 N, 34.40-34.42 E")  # the note the report used to print
    assert leaks(gaza, "31°27′N 34°24′36″E")
    assert leaks(gaza, f"<polygon>{checkpoint.geometry.lat + 0.01:.3f},{checkpoint.geometry.lon:.3f} 31.000,34.000</polygon>")
    assert leaks(gaza, checkpoint.name) and leaks(gaza, "sad-wadi-gaza-gaza-city runs via wadi-gaza-checkpoint")
    assert not leaks(gaza, "Al-Arish 31.132072 N, 33.803376 E; cost USD 1.745M")


def test_redaction_does_not_over_reach(gaza, texts):
    html = texts["report html"]
    assert "31.132072 N, 33.803376 E" in html  # Al-Arish is far from every sensitive site: its position stays
    assert "USD 1.745M" in html  # money is not a position
    assert WITHHELD in html  # ... while positions near sensitive sites are withheld
    assert "Rafah crossing (Egypt-Gaza)" in html and "Salah al-Din" in html  # public names stay


def test_the_rule_is_one_function_applied_everywhere(gaza):
    """The same text comes out of the rule wherever it is applied: here, prose that places the checkpoint."""
    generaliser = Generaliser(gaza)
    text = "Screening at the Checkpoint on Salah al-Din at Wadi Gaza (~31.45 N, 34.40-34.42 E); Al-Arish 31.132 N 33.803 E; USD 31.45M"
    public = generaliser.text(text)
    assert not leaks(gaza, public)
    assert "Al-Arish 31.132 N 33.803 E" in public and "USD 31.45M" in public
    assert positions(public) == positions("Al-Arish 31.132 N 33.803 E; USD 31.45M")


def test_picture_document_for_a_public_page(gaza, gaza_plans):
    from safepassage.interop.public_picture import picture_document, public_picture

    document = picture_document(public_picture(gaza, gaza_plans["daily-4h-north"]))
    text = json.dumps(document, ensure_ascii=False)
    assert leaks(gaza, text) == []
    assert not re.search(r"(?<![\w-])(sad|rashid|dp)-[a-z-]+", text)  # no internal ids
    first = document["windows"][0]
    # Under the departure model people from both covered governorates enter the corridor in the first window.
    assert first["origins"]["ar"] == ["محافظة شمال غزة", "محافظة غزة"] and first["destinations"]["en"] == ["Deir al-Balah (Middle Area) governorate"]
    assert set(first["corridor"]["en"]) == {"Salah al-Din", "Al-Rashid"}
    assert list(first["areas"]) == ["Evacuate", "Monitor", "Avoid"]
    assert document["agreement"] == "unilateral"  # the daily pauses were announced by one party (Israel, through the US)
