"""What the public is told of a corridor's screening point, checked against the scenario: where the
scenario declares that a screening point people walk through holds some of them (``detained``) or
sends some back (``turned_back``), the CAP alerts, the calendar, the public GeoJSON and the public web
page say so in English and Arabic, with the advice to carry identity documents; where it declares
none, or the point is off the planned corridor, nothing says it. Only what is declared is said (held,
sent back), and a sensitive point is named only by its zone."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from safepassage.interop.calendar import proposal_calendar
from safepassage.interop.cap import proposal_alerts
from safepassage.interop.geojson import corridors_collection
from safepassage.interop.hxl import read_hxl, write_plan_hxl
from safepassage.interop.public_picture import picture_document, public_picture
from safepassage.plan import PlanResult, plan_proposal
from safepassage.scenario import Scenario
from safepassage.scenario.load import parse_scenario
from safepassage.web.public_pages import public_context
from safepassage.web.public_picture import public_view
from safepassage.web.render import templates

CORRIDOR = Path(__file__).resolve().parents[1] / "scenarios" / "corridor.yaml"
SENT = dt.datetime(2024, 3, 4, 12, 0, tzinfo=dt.UTC)  # the day before the first window
HELD = {"en": "some people are held", "ar": "يُحتجز بعض الأشخاص"}
SENT_BACK = {"en": "sent back", "ar": "يُعاد"}
ID = {"en": "Carry identity documents.", "ar": "احمل وثائق هويتك."}
POINT = {"en": "screening point", "ar": "نقطة تفتيش"}  # "نقطة التفتيش" holds it too
SHARE = {"value": 0.05, "low": 0.0, "high": 0.1, "assumption": "test figure"}


def _scenario(screening: dict[str, Any] | None, at: str = "screening", **place: Any) -> Scenario:
    """The corridor test scenario, everyone ready to go, its checkpoint named as a real one would be,
    with ``screening`` declared at place ``at`` (and other fields of that place changed)."""
    data = yaml.safe_load(CORRIDOR.read_text(encoding="utf-8"))
    data.pop("behaviour")
    data["proposals"] = data["proposals"][:1]
    for p in data["places"]:
        if p["id"] == "screening":
            p["name"] = "Wadi crossing checkpoint"
        if p["id"] == at:
            if screening is not None:
                p["screening"] = screening
            p.update(place)
    return parse_scenario(yaml.safe_dump(data, sort_keys=False), source="test")


def _plan(scenario: Scenario) -> PlanResult:
    plan = plan_proposal(scenario, "agreed")
    assert plan.kpis.people_reached_safety > 0 and plan.evacuations
    return plan


def _outputs(scenario: Scenario, plan: PlanResult) -> dict[str, dict[str, Any]]:
    """Per language: the CAP infos by response type, the calendar's event descriptions, the public
    GeoJSON's corridor notes and the rendered public page's text."""
    picture = public_picture(scenario, plan)
    alerts = proposal_alerts(scenario, picture, sent=SENT)
    calendar = proposal_calendar(scenario, picture, stamp=SENT)
    events = [str(e["DESCRIPTION"]) for e in calendar.walk("VEVENT")]
    corridors = corridors_collection(scenario, picture)
    view = public_view(scenario, plan, sent=SENT)
    out: dict[str, dict[str, Any]] = {}
    for lang in ("en", "ar"):
        html = templates.get_template("public.html").render(request=None, **public_context(view, lang, False, SENT))
        out[lang] = {
            "infos": [i for a in alerts for i in a.infos if i.language == lang],
            # The alerts of windows in which people leave (in the others nobody passes the point).
            "moving": [i for a in alerts if any(i.response_types == ("Evacuate",) for i in a.infos) for i in a.infos if i.language == lang],
            # The calendar gives both languages in one description: English, a blank line, then Arabic.
            "calendar": [e.split("\n\n")[0 if lang == "en" else 1] for e in events],
            "geojson": [f["properties"]["screening"][lang] for f in corridors["features"] if f["properties"]["screening"]]
            + [w["screening"][lang] for w in picture_document(picture)["windows"] if w["screening"]],
            "page": re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)),
        }
    return out


@pytest.fixture(scope="module")
def both() -> tuple[Scenario, PlanResult]:
    scenario = _scenario({"processing_minutes": 10, "detained": SHARE, "turned_back": {**SHARE, "value": 0.1, "high": 0.2}})
    return scenario, _plan(scenario)


def test_a_corridor_whose_screening_holds_and_sends_back_says_both_everywhere(both) -> None:
    scenario, plan = both
    assert plan.kpis.people_detained > 0 and plan.kpis.people_turned_back > 0  # the plan expects it too
    for lang, said in _outputs(scenario, plan).items():
        warning = f"{HELD[lang]}"
        evacuate = [i for i in said["infos"] if i.response_types == ("Evacuate",)]
        assert evacuate and all(warning in i.instruction and SENT_BACK[lang] in i.instruction and ID[lang] in i.instruction
                                for i in evacuate), lang
        assert all(warning in i.description and SENT_BACK[lang] in i.description for i in said["moving"]), lang
        assert all("Wadi crossing checkpoint" in i.description for i in said["moving"])  # named: it is not sensitive
        assert len(said["moving"]) > len(evacuate)  # Monitor and Avoid readers are told too
        leaving = [d for d in said["calendar"] if ("Evacuation corridor" if lang == "en" else "ممر الإخلاء") in d]
        assert leaving and all(warning in d and ID[lang] in d for d in leaving), lang
        assert said["geojson"] and all(warning in note for note in said["geojson"]), lang
        page = said["page"]
        assert warning in page and SENT_BACK[lang] in page and ID[lang] in page, lang
        assert page.count(ID[lang]) >= 2  # under each window, and under the corridors


def test_the_hxl_kpis_count_the_people_stopped_apart(both, tmp_path) -> None:
    scenario, plan = both
    write_plan_hxl(scenario, plan, tmp_path)
    columns, rows = read_hxl(tmp_path / "kpis.csv")
    tags = [c.display_tag for c in columns]
    code, value = tags.index("#indicator+code"), tags.index("#indicator+value+num")
    values = {row.values[code]: float(row.values[value]) for row in rows if row.values[value] not in ("", None)}
    assert values["people_detained"] == pytest.approx(plan.kpis.people_detained) and values["people_detained"] > 0
    assert values["people_turned_back"] == pytest.approx(plan.kpis.people_turned_back) and values["people_turned_back"] > 0
    assert values["people_reached_safety"] == plan.kpis.people_reached_safety


def test_a_corridor_without_screening_says_nothing_of_it() -> None:
    scenario = _scenario(None)
    for lang, said in _outputs(scenario, _plan(scenario)).items():
        texts = [i.description + i.instruction for i in said["infos"]] + said["calendar"] + said["geojson"] + [said["page"]]
        assert said["infos"] and said["calendar"]
        assert not any(HELD[lang] in t or SENT_BACK[lang] in t or ID[lang] in t or POINT[lang] in t for t in texts), lang


def test_a_point_that_only_processes_people_is_not_announced_as_holding_them() -> None:
    scenario = _scenario({"processing_minutes": 30})
    for lang, said in _outputs(scenario, _plan(scenario)).items():
        assert ID[lang] not in said["page"] and HELD[lang] not in said["page"], lang


def test_screening_off_the_planned_corridor_is_not_announced() -> None:
    # The depot is a warehouse nobody walks through: its (odd) screening does not concern the public.
    scenario = _scenario({"detained": SHARE}, at="depot")
    for lang, said in _outputs(scenario, _plan(scenario)).items():
        assert HELD[lang] not in said["page"] and not said["geojson"], lang
        assert not any(HELD[lang] in i.description for i in said["infos"]), lang


def test_only_what_the_scenario_declares_is_said() -> None:
    scenario = _scenario({"detained": SHARE})  # held, never sent back
    plan = _plan(scenario)
    assert plan.kpis.people_detained > 0 and plan.kpis.people_turned_back == 0
    for lang, said in _outputs(scenario, plan).items():
        assert HELD[lang] in said["page"] and SENT_BACK[lang] not in said["page"], lang
        assert all(SENT_BACK[lang] not in i.description + i.instruction for i in said["infos"]), lang


def test_a_sensitive_screening_point_is_named_only_by_its_zone() -> None:
    scenario = _scenario({"turned_back": SHARE}, sensitive=True, zone="town")
    place = scenario.place("screening")
    for lang, said in _outputs(scenario, _plan(scenario)).items():
        expected = {"en": "At a screening point in Besieged town some people are sent back.",
                    "ar": "عند نقطة تفتيش في \u2068Besieged town\u2069 يُعاد بعض الأشخاص من حيث أتوا."}[lang]
        assert expected in said["page"], lang
        assert said["moving"] and all(expected in i.description for i in said["moving"]), lang
        everything = json.dumps(said["geojson"], ensure_ascii=False) + said["page"] + "".join(said["calendar"])
        everything += "".join(i.description + i.instruction for i in said["infos"])
        assert place.name not in everything and f"{place.geometry.lon}" not in everything and f"{place.geometry.lat}" not in everything


def test_declaring_screening_later_changes_the_alerts_fingerprint(both) -> None:
    """Alerts already sent for the same corridor without the warning are updated, not left as they were."""
    scenario, plan = both
    plain = _scenario(None)
    before = proposal_alerts(plain, _plan(plain), sent=SENT)
    after = proposal_alerts(scenario, plan, sent=SENT + dt.timedelta(hours=1), previous=before)
    assert after and {a.msg_type for a in after} == {"Update"}
    again = proposal_alerts(plain, _plan(plain), sent=SENT + dt.timedelta(hours=1), previous=before)
    assert again == []  # a corridor without screening keeps its fingerprint: nothing to send again
