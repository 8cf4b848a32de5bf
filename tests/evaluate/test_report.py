"""The comparison report: self-contained HTML with the KPI table, charts, bottlenecks, CAP preview and
sources; PDF and a PNG of the first page through headless Chromium; nothing sensitive in it."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from safepassage.cli import app
from safepassage.evaluate import Comparison, compare_proposals
from safepassage.evaluate.report import find_chromium, html_to_png, render_report_html, write_report
from safepassage.scenario import load_scenario
from tests.public_leaks import leaks

TINY = Path(__file__).parent.parent / "scenarios" / "tiny.yaml"
needs_chromium = pytest.mark.skipif(find_chromium() is None, reason="Chromium not installed (bash scripts/system-deps.sh)")


@pytest.fixture(scope="module")
def gaza_comparison() -> Comparison:
    """Every Gaza proposal over one day with hour slots: small, but every section has content."""
    gaza = load_scenario("gaza-2023-11")
    return compare_proposals(gaza, horizon=gaza.horizon.model_copy(update={"days": 1, "slot_minutes": 60}))


@pytest.fixture(scope="module")
def gaza_bands(gaza_comparison):
    from safepassage.evaluate.bands import monte_carlo_bands

    return monte_carlo_bands(gaza_comparison, runs=8, seed=1)


def test_report_has_every_section_in_order(gaza_comparison, gaza_bands):
    html = render_report_html(gaza_comparison, gaza_bands)
    headings = ["In brief", "1. Map", "2. Key figures", "3. Need met per zone and commodity", "4. Aid arriving per day",
                "5. People reaching safety", "6. What limits each proposal", "7. Public alert preview (CAP 1.2)",
                "8. Sources of the input figures", "Appendix: the optimiser"]
    positions = [html.index(f"<h2>{h}") for h in headings]
    assert positions == sorted(positions), "summary first, optimiser figures last"
    assert len(re.findall(r'src="data:image/png;base64,', html)) == 3  # map and two charts inlined: one file is the whole report
    assert not re.search(r'(src|href)="(https?:|file:|/)', html), "self-contained: no external resources"
    appendix = html.index("<h2>Appendix")
    for result in gaza_comparison.results:
        assert f"({result.proposal})" in html and f"{result.kpis.total_trucks_arrived:,}" in html
        assert html.index(f"<td class=\"num\">{result.bound:,.0f}</td>") > appendix  # optimiser figures only in the appendix
    scenario = gaza_comparison.scenario
    for source_id in scenario.sources:
        assert source_id in html
    assert 'class="conf-high"' in html
    assert 'lang="ar" dir="rtl"' in html and "هدنة إنسانية" in html
    assert "word-break: break-all" not in html


def test_report_gives_ranges_and_need_per_commodity(gaza_comparison, gaza_bands):
    html = render_report_html(gaza_comparison, gaza_bands)
    assert "8 simulated runs" in html or "of 8 runs" in html
    for result in gaza_comparison.results:
        band = gaza_bands.band(result.proposal, "trucks_arrived")
        assert f"{band.p10:,.0f}–{band.p90:,.0f}" in html
    # Need met per commodity, not averaged: a zone with no food but 100% medical shows both, not 50%.
    result = gaza_comparison.results[0]
    tables = re.findall(r"<h3>(.*?)</h3>\s*<table>(.*?)</table>", html, flags=re.S)
    table = next(body for title, body in tables if title == result.proposal_name)
    for zone in gaza_comparison.scenario.zones:
        row = re.search(rf"<tr><td>{re.escape(zone.name)}</td>(.*?)</tr>", table, flags=re.S).group(1)
        shown = re.findall(r'<td class="num [a-z]*">(\d+)%', row)
        expected = [f"{result.kpis.need_met.get(zone.id, {}).get(c.id, 0.0):.0%}".rstrip("%") for c in gaza_comparison.scenario.commodities]
        assert shown == expected, zone.id


def test_report_names_limits_in_words(gaza_comparison):
    html = render_report_html(gaza_comparison)
    assert "daily entry quota, 38 trucks/day" in html
    assert "policy.daily_quotas" not in html and ".quotas[" not in html
    assert "No simulation was run" in html or "no simulation was run" in html


def test_report_exposes_no_sensitive_site_or_position(gaza_comparison):
    html = render_report_html(gaza_comparison)
    for place in gaza_comparison.scenario.places:
        if place.sensitive:
            assert place.name not in html and place.id not in html.replace(f"{place.id}-", "")
    assert leaks(gaza_comparison.scenario, html) == []
    assert "31.45 N" not in html and "34.40-34.42" not in html  # the checkpoint note's approximate position is withheld


@needs_chromium
def test_pdf_and_png_render(gaza_comparison, tmp_path):
    html = write_report(gaza_comparison, tmp_path)
    pdf = tmp_path / "report.pdf"
    assert html == tmp_path / "report.html" and pdf.read_bytes().startswith(b"%PDF-")
    png = html_to_png(html, tmp_path / "report.png", width=1000, height=1400)
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1000, 1400)
    if shutil.which("pdftoppm"):  # the PDF is a real, rasterisable document with several pages
        subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True, timeout=60)
        assert list(tmp_path.glob("page-*1.png"))
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) >= 3


def test_write_report_without_pdf(tmp_path):
    comparison = compare_proposals(load_scenario(TINY))
    html = write_report(comparison, tmp_path / "out", pdf=False)
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert not (tmp_path / "out" / "report.pdf").exists()


def test_cli_report(runner, tmp_path):
    result = runner.invoke(app, ["report", str(TINY), "--out", str(tmp_path), "--no-pdf"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "report.html").is_file()


def test_cli_report_unknown_proposal_exits_2(runner, tmp_path):
    result = runner.invoke(app, ["report", str(TINY), "--out", str(tmp_path), "-p", "armistice"])
    assert result.exit_code == 2
    assert "unknown proposal 'armistice'" in result.output


def test_report_says_in_words_who_is_returned_detained_or_turned_back():
    """People who move but do not reach safety are named in the conclusions, with the plan's figures."""
    from tests.plan.test_lp_cross_check import _corridor_screened

    screened = _corridor_screened()
    comparison = compare_proposals(screened, ["agreed"])
    kpis = comparison.results[0].kpis
    html = " ".join(render_report_html(comparison).split())
    assert f"about {kpis.people_detained:,.0f} are detained and {kpis.people_turned_back:,.0f} turned back to their zone at screening" in html
    returning = compare_proposals(load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "return.yaml"), ["ceasefire"])
    back = returning.results[0].kpis
    html = " ".join(render_report_html(returning).split())
    assert f"{back.people_returned:,} of the {back.people_wanting_to_return:,} displaced people who could go home return" in html
