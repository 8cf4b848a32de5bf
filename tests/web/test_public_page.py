"""The public page as rendered (no browser): the Arabic page shows the scenario's and the proposal's
Arabic titles where the scenario gives them, and the English ones marked as English where it does not;
an Arabic title that is not in Arabic script is refused, naming the field."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from safepassage.errors import ScenarioError
from safepassage.plan import plan_proposal
from safepassage.scenario import Scenario, load_scenario, parse_scenario
from safepassage.web.public_pages import public_context
from safepassage.web.public_picture import PublicView, public_view
from safepassage.web.render import templates

TINY = Path(__file__).resolve().parents[1] / "scenarios" / "tiny.yaml"


def _html(view: PublicView, lang: str) -> str:
    now = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    return templates.get_template("public.html").render(request=None, **public_context(view, lang, False, now))


def _headline(html: str) -> str:
    found = re.search(r'<p class="headline">(.*?)</p>', html, flags=re.S)
    assert found, "the page has its headline"
    return found.group(1)


def _view(scenario: Scenario, proposal: str) -> PublicView:
    horizon = scenario.horizon.model_copy(update={"days": 2, "slot_minutes": 60})
    return public_view(scenario, plan_proposal(scenario, proposal, horizon=horizon), sent=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))


def test_the_arabic_page_shows_the_gaza_scenarios_arabic_titles() -> None:
    gaza = load_scenario("gaza-2023-11")
    proposal = gaza.proposal("single-4h-pause")
    assert gaza.title_ar and proposal.name_ar  # the packaged scenario gives them
    view = _view(gaza, proposal.id)
    arabic, english = _headline(_html(view, "ar")), _headline(_html(view, "en"))
    assert f'<bdi lang="ar" dir="rtl" class="scenario-title">{gaza.title_ar}</bdi>' in arabic
    assert f'<bdi lang="ar" dir="rtl" class="proposal-title">{proposal.name_ar}</bdi>' in arabic
    assert gaza.title not in arabic and proposal.name not in arabic
    assert f'<bdi lang="en" dir="ltr" class="scenario-title">{gaza.title}</bdi>' in english
    assert gaza.title_ar not in english and proposal.name_ar not in english


def test_without_an_arabic_title_the_arabic_page_marks_the_english_one_as_english() -> None:
    tiny = load_scenario(TINY)
    assert tiny.title_ar is None
    html = _html(_view(tiny, "pause"), "ar")
    assert '<html lang="ar" dir="rtl">' in html
    headline = _headline(html)
    assert f'<bdi lang="en" dir="ltr" class="scenario-title">{tiny.title}</bdi>' in headline
    name = tiny.proposal("pause").name
    assert f'<bdi lang="en" dir="ltr" class="proposal-title">{name}</bdi>' in headline


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title_ar", "Tiny test scenario", r"line 6: title_ar: .Tiny test scenario. has no Arabic letter"),
        ("title_ar", "   ", r"title_ar.*is blank"),
        ("name_ar", "Pause", r"line 48: proposals\[1\]\.name_ar: .Pause. has no Arabic letter"),
    ],
)
def test_an_arabic_title_not_in_arabic_is_refused_naming_the_field(field: str, value: str, message: str) -> None:
    text = TINY.read_text(encoding="utf-8")
    if field == "title_ar":
        text = re.sub(r"(?m)^title: .*$", lambda m: f'{m.group(0)}\ntitle_ar: "{value}"', text, count=1)
    else:
        text = re.sub(r"(?m)^(\s*)- id: pause$", lambda m: f'{m.group(0)}\n{m.group(1)}  name_ar: "{value}"', text, count=1)
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(text, source="test")


def test_an_arabic_title_is_accepted_and_trimmed() -> None:
    text = re.sub(r"(?m)^title: .*$", lambda m: f'{m.group(0)}\ntitle_ar: " سيناريو اختبار صغير "', TINY.read_text(encoding="utf-8"), count=1)
    assert parse_scenario(text, source="test").title_ar == "سيناريو اختبار صغير"
