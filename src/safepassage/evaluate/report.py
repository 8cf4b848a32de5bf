"""The comparison report: one self-contained HTML file (charts inlined) and, when Chromium is
available, the same as PDF.

Written for decision makers, in this order: the conclusions in plain words (what each proposal
delivers, what limits it, how sure we are); a map per proposal (zones coloured by need met, the public
corridor and convoy routes, the crossings), drawn from the scenario's own geometry with no tiles; the
key figures with P10–P90 ranges from a Monte Carlo run (``bands``); need met per zone and commodity
(never averaged over commodities); charts of aid per day and people reaching safety; the limits, each
with a human label; the public alert preview (English and Arabic, from the same public picture as the
alerts); the sources of every input figure; and, in an appendix, the optimiser's own figures.

The report is a public document: every text goes through the one redaction rule
(``interop.generalise``), so it names no sensitive site and gives no position within 2 km of one.

>>> from safepassage.scenario import load_scenario
>>> from safepassage.evaluate import compare_proposals
>>> scenario = load_scenario("tests/scenarios/tiny.yaml")
>>> path = write_report(compare_proposals(scenario), Path("/tmp/tiny-report"), pdf=False)
>>> path.name
'report.html'
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import math
import os
import re
import shutil
import subprocess
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safepassage.errors import SafePassageError
from safepassage.evaluate.compare import Comparison
from safepassage.plan.result import ProposalKPIs, iso
from safepassage.scenario.model import Scenario

if TYPE_CHECKING:
    from safepassage.evaluate.bands import ComparisonBands

__all__ = ["ReportRenderError", "find_chromium", "html_to_pdf", "html_to_png", "people_apart_words", "render_report_html", "write_report"]

_CONFIDENCE_ORDER = {"high": 0, "medium": 1, "low": 2, "assumption": 3}


class ReportRenderError(SafePassageError):
    """Chromium could not turn the HTML report into PDF or PNG."""


# Chromium -----------------------------------------------------------------------------------------
def find_chromium() -> str | None:
    """The path of a Chromium (or Chrome) binary: ``$SAFEPASSAGE_CHROMIUM`` or the first on PATH."""
    explicit = os.environ.get("SAFEPASSAGE_CHROMIUM")
    if explicit:
        return explicit
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _chromium(args: list[str], output: Path, timeout_s: float) -> None:
    binary = find_chromium()
    if binary is None:
        raise ReportRenderError("Chromium is not installed (run scripts/system-deps.sh, or set SAFEPASSAGE_CHROMIUM)")
    with tempfile.TemporaryDirectory(prefix="safepassage-chromium-") as profile:
        command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                   "--disable-background-networking", "--disable-component-update", "--disable-sync",
                   f"--user-data-dir={profile}", *args]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired as exc:
            raise ReportRenderError(f"Chromium did not finish within {timeout_s:g} s") from exc
    if done.returncode != 0 or not output.is_file() or output.stat().st_size == 0:
        raise ReportRenderError(f"Chromium failed (exit {done.returncode}): {done.stderr.strip()[-500:]}")


def html_to_pdf(html: Path, pdf: Path, timeout_s: float = 120) -> Path:
    """Print ``html`` to ``pdf`` (A4, background colours kept) with headless Chromium."""
    pdf = Path(pdf).resolve()
    pdf.unlink(missing_ok=True)
    _chromium(["--no-pdf-header-footer", f"--print-to-pdf={pdf}", Path(html).resolve().as_uri()], pdf, timeout_s)
    return pdf


def html_to_png(html: Path, png: Path, width: int = 1200, height: int = 2400, timeout_s: float = 120) -> Path:
    """A screenshot of the top ``width`` x ``height`` pixels of ``html`` (to look at the report)."""
    png = Path(png).resolve()
    png.unlink(missing_ok=True)
    _chromium(["--hide-scrollbars", f"--window-size={width},{height}", f"--screenshot={png}", Path(html).resolve().as_uri()], png, timeout_s)
    return png


# Charts -----------------------------------------------------------------------------------------
_STYLES = ("-", "--", ":", "-.")
_MARKERS = ("o", "s", "^", "D", "v", "P")


def _figure_uri(figure: Any) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)  # no display here; never pops a window
    import matplotlib.pyplot as plt

    return plt


def _aid_chart(comparison: Comparison) -> str:
    plt = _pyplot()
    results = comparison.results
    commodities = [c.id for c in comparison.scenario.commodities]
    days = sorted({d for r in results for d in r.kpis.arrivals_by_day})
    columns = min(len(results), 3) or 1
    rows = (len(results) + columns - 1) // columns or 1
    figure, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.0 * rows), sharey=True, squeeze=False)
    colours = plt.get_cmap("tab10")
    for ax, result in zip(axes.flat, results):
        bottom = [0.0] * len(days)
        for index, commodity in enumerate(commodities):
            values = [result.kpis.arrivals_by_day.get(d, {}).get(commodity, 0.0) for d in days]
            if any(values):
                ax.bar(range(len(days)), values, bottom=bottom, color=colours(index % 10), label=commodity)
                bottom = [b + v for b, v in zip(bottom, values)]
        ax.set_title(result.proposal_name if len(result.proposal_name) < 40 else result.proposal, fontsize=9)
        ax.set_xticks(range(len(days)), [d[5:] for d in days], rotation=45, fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes.flat[len(results):]:
        ax.axis("off")
    for ax in axes[:, 0]:
        ax.set_ylabel("tonnes offloaded")
    handles = {label: handle for ax in axes.flat for handle, label in zip(*ax.get_legend_handles_labels())}
    if handles:
        figure.legend(handles.values(), handles.keys(), loc="upper center", ncol=len(handles), bbox_to_anchor=(0.5, 1.04), frameon=False)
    figure.suptitle("Aid arriving per local day, by commodity", y=1.09, fontsize=12)
    figure.tight_layout()
    return _figure_uri(figure)


def _safety_chart(comparison: Comparison) -> str:
    """Cumulative people reaching safety; proposals whose lines coincide get distinct dashes and markers,
    and the legend says which lines lie on top of each other, so no line hides another unseen."""
    plt = _pyplot()
    figure, ax = plt.subplots(figsize=(8, 3.6))
    start = comparison.results[0].horizon_start if comparison.results else None
    curves = []
    for result in comparison.results:
        arrivals: dict[float, int] = defaultdict(int)
        for movement in result.evacuations:
            if movement.destination_zone != movement.origin_zone:
                hours = (movement.arrives - start).total_seconds() / 3600 if start else 0.0
                arrivals[hours] += movement.people
        xs, ys, total = [0.0], [0], 0
        for t in sorted(arrivals):
            total += arrivals[t]
            xs.append(t)
            ys.append(total)
        xs.append(result.horizon_days * 24)
        ys.append(total)
        curves.append((result, xs, ys, total))
    for index, (result, xs, ys, total) in enumerate(curves):
        same = [other.proposal for other, oxs, oys, _ in curves if other is not result and (oxs, oys) == (xs, ys)]
        label = f"{result.proposal} ({total:,})" + (f" = {', '.join(same)}" if same else "")
        ax.step(xs, ys, where="post", label=label, linewidth=2.2 - 0.3 * (index % 4), linestyle=_STYLES[index % 4],
                marker=_MARKERS[index % len(_MARKERS)], markevery=max(1, len(xs) // 8), markersize=4)
    wanting = max((r.kpis.people_wanting_to_leave for r in comparison.results), default=0)
    if wanting:
        ax.axhline(wanting, color="grey", linestyle="--", linewidth=1)
        ax.annotate(f"want to leave: {wanting:,}", (comparison.horizon_days * 24, wanting), xytext=(-4, 4), textcoords="offset points",
                    fontsize=8, color="grey", ha="right")
    ax.set_xlabel(f"hours after {iso(comparison.results[0].horizon_start) if comparison.results else ''}")
    ax.set_ylabel("people reaching safety (cumulative)")
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.grid(alpha=0.3)
    ax.set_ylim(0, max(wanting, 1) * 1.12)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.set_title("People reaching safety over time")
    figure.tight_layout()
    return _figure_uri(figure)


def _map_commodity(scenario: Scenario) -> str | None:
    """The commodity the map colours zones by: the highest-priority one with a need (food in Gaza)."""
    needed = [c for c in scenario.commodities if any(z.needs_per_person_per_day.get(c.id) for z in scenario.zones)]
    return max(needed, key=lambda c: c.priority).id if needed else None


def _map_chart(comparison: Comparison) -> str:
    """Small multiples, one per proposal: zones coloured by the share of need met for one commodity,
    the public evacuation corridor and convoy routes (bands from the public picture), and the crossings
    the public may see. Drawn from the scenario's own geometry: no tiles, no network."""
    from matplotlib.colors import Normalize
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MplPath
    from shapely.geometry import shape

    from safepassage.interop.generalise import Generaliser, polygons_of
    from safepassage.interop.public_picture import public_picture

    plt = _pyplot()
    scenario = comparison.scenario
    generaliser = Generaliser(scenario)
    commodity = _map_commodity(scenario)
    results = comparison.results
    columns = min(len(results), 5) or 1
    rows = (len(results) + columns - 1) // columns or 1
    figure, axes = plt.subplots(rows, columns, figsize=(2.3 * columns + 1.2, 4.4 * rows), squeeze=False)
    colours = plt.get_cmap("RdYlGn")
    norm = Normalize(0, 1)

    def patch(geometry: Any, **style: Any) -> list[Any]:
        out = []
        for polygon in polygons_of(geometry):
            rings = [polygon.exterior, *polygon.interiors]
            vertices = [xy for ring in rings for xy in ring.coords]
            codes = [code for ring in rings for code in [MplPath.MOVETO] + [MplPath.LINETO] * (len(ring.coords) - 2) + [MplPath.CLOSEPOLY]]
            out.append(PathPatch(MplPath(vertices, codes), **style))
        return out

    crossings = [(p, generaliser.public_point(p)) for p in scenario.places if p.kind.value == "crossing"]
    aoi = generaliser.area_of_operation
    minx, miny, maxx, maxy = aoi.bounds
    for ax, result in zip(axes.flat, results):
        picture = public_picture(scenario, result)
        for zone in scenario.zones:
            share = result.kpis.need_met.get(zone.id, {}).get(commodity or "", 0.0)
            for item in patch(shape(zone.geometry.model_dump()), facecolor=colours(norm(min(share, 1.0))), edgecolor="#333", linewidth=0.6):
                ax.add_patch(item)
            anchor = shape(zone.geometry.model_dump()).representative_point()
            ax.annotate(f"{min(share, 9.99):.0%}", (anchor.x, anchor.y), fontsize=7, ha="center", va="center")
        for road in picture.roads:
            if road.geometry is None:
                continue
            evacuees = "evacuees" in road.carries
            for item in patch(road.geometry, facecolor="none", edgecolor="#1f4e9c" if evacuees else "#444",
                              linewidth=1.4 if evacuees else 0.8, linestyle="-" if evacuees else "--", hatch="////" if evacuees else None, zorder=3):
                ax.add_patch(item)
        for place, point in crossings:
            if point is None:
                continue
            opened = not place.closed or place.id in scenario.proposal(result.proposal).opens
            ax.plot(point.x, point.y, marker="^" if opened else "x", color="black" if opened else "#b00", markersize=6, zorder=4)
        ax.set_xlim(minx - 0.02, maxx + 0.02)
        ax.set_ylim(miny - 0.02, maxy + 0.02)
        ax.set_aspect(1 / math.cos(math.radians((miny + maxy) / 2)))
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(result.proposal, fontsize=8)
    for ax in axes.flat[len(results):]:
        ax.axis("off")
    mappable = plt.cm.ScalarMappable(norm=norm, cmap=colours)
    bar = figure.colorbar(mappable, ax=list(axes.flat), shrink=0.8, pad=0.02)
    bar.set_label(f"share of {commodity or 'need'} need met over the horizon")
    bar.ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    return _figure_uri(figure)


# Tables -----------------------------------------------------------------------------------------
def _band(bands: ComparisonBands | None, proposal: str, metric: str) -> tuple[float, float] | None:
    """(P10, P90) of ``metric`` for ``proposal``; None without bands or when no run gave a value."""
    found = bands.band(proposal, metric) if bands is not None else None
    return found.spread if found is not None else None


def _range(bands: ComparisonBands | None, proposal: str, metric: str, scale: float = 1.0, percent: bool = False) -> str:
    band = _band(bands, proposal, metric)
    if band is None:
        return ""
    low, high = band[0] * scale, band[1] * scale
    return f"{low:.0%}–{high:.0%}" if percent else f"{low:,.0f}–{high:,.0f}"


def _kpi_rows(comparison: Comparison, bands: ComparisonBands | None) -> tuple[list[str], list[list[str]]]:
    header = ["proposal", "pause", "trucks arrived (planned)", "P10–P90", "tonnes arrived", "P10–P90", "people safe", "P10–P90",
              "of wanting to leave", "90% safe after (h)"]
    rows = []
    for r in comparison.results:
        k = r.kpis
        proposal = comparison.scenario.proposal(r.proposal)
        pause = "none" if not proposal.windows else ("unilateral" if proposal.agreement == "unilateral" else "agreed by all parties")
        rows.append([
            f"{r.proposal_name} ({r.proposal})", pause, f"{k.total_trucks_arrived:,}", _range(bands, r.proposal, "trucks_arrived"),
            f"{sum(k.tonnes_arrived.values()):,.0f}", _range(bands, r.proposal, "tonnes_arrived"),
            f"{k.people_reached_safety:,}", _range(bands, r.proposal, "people_reached_safety"), f"{k.people_wanting_to_leave:,}",
            "—" if k.hours_to_90pct_safe is None else f"{k.hours_to_90pct_safe:g}",
        ])
    return header, rows


def _need_tables(comparison: Comparison, bands: ComparisonBands | None) -> list[dict[str, Any]]:
    """Per proposal: a zone × commodity table of the share of need met (planned, with P10–P90)."""
    scenario = comparison.scenario
    commodities = [c for c in scenario.commodities if any(z.needs_per_person_per_day.get(c.id) for z in scenario.zones)]
    tables = []
    for r in comparison.results:
        proposal = scenario.proposal(r.proposal)
        restricted = set(scenario.policy.restricted_commodities) - set(proposal.admits)
        rows = []
        for zone in scenario.zones:
            cells = []
            for c in commodities:
                if not zone.needs_per_person_per_day.get(c.id):
                    cells.append({"text": "—", "range": "", "note": "", "level": ""})
                    continue
                share = r.kpis.need_met.get(zone.id, {}).get(c.id, 0.0)
                spread = _range(bands, r.proposal, f"need_met.{zone.id}.{c.id}", percent=True)
                note = "not admitted" if c.id in restricted and share == 0 else ""
                level = "low" if share < 0.25 else ("mid" if share < 0.75 else "high")
                cells.append({"text": f"{share:.0%}", "range": spread, "note": note, "level": level})
            rows.append({"zone": zone.name, "cells": cells})
        tables.append({"proposal": r.proposal_name, "id": r.proposal, "commodities": [f"{c.name.split(' (')[0]} ({c.unit})" for c in commodities],
                       "rows": rows})
    return tables


def _limit_rows(comparison: Comparison) -> list[dict[str, Any]]:
    from safepassage.evaluate.limits import limit_label
    from safepassage.interop.generalise import Generaliser

    generaliser = Generaliser(comparison.scenario)
    out = []
    for r in comparison.results:
        items = [{"what": limit_label(comparison.scenario, b, generaliser), "value": f"{b.value_of_10pct:,.0f}"} for b in r.bottlenecks]
        out.append({"proposal": r.proposal_name, "items": items})
    return out


def _appendix_rows(comparison: Comparison) -> list[list[str]]:
    from safepassage.evaluate.limits import limit_label

    rows = []
    for r in comparison.results:
        shadow = "; ".join(f"{limit_label(comparison.scenario, b)}: {b.value_per_unit:,.1f} person-days per {b.unit}" for b in r.bottlenecks[:3])
        rows.append([r.proposal, f"{r.objective:,.0f}", f"{r.bound:,.0f}", f"{r.gap:.2%}", f"{r.lp_rows:,} × {r.lp_cols:,}",
                     f"{r.solve_seconds:.1f}", shadow])
    return rows


def _spread_words(bands: ComparisonBands | None, proposal: str, metric: str) -> str:
    """" (between a and b in 8 of 10 simulated runs)", or " (the same in every simulated run)"."""
    band = _band(bands, proposal, metric)
    if band is None:
        return ""
    p10, p90 = band
    if round(p10) == round(p90):
        return f" ({p10:,.0f} in at least 8 of 10 simulated runs)"
    return f" (between {p10:,.0f} and {p90:,.0f} in 8 of 10 simulated runs)"


def _summary(comparison: Comparison, bands: ComparisonBands | None) -> list[str]:
    """The conclusions in plain words: what each proposal delivers, what limits it, how sure we are."""
    from safepassage.evaluate.limits import limit_label

    scenario = comparison.scenario
    results = comparison.results
    if not results:
        return ["No proposal was planned."]
    lines = []
    commodity = _map_commodity(scenario)
    name = {c.id: c.name.split(" (")[0].lower() for c in scenario.commodities}
    for r in results:
        proposal = scenario.proposal(r.proposal)
        trucks = f"{r.kpis.total_trucks_arrived:,} trucks of aid arrive" + _spread_words(bands, r.proposal, "trucks_arrived")
        pool = "people who could leave (the departure model decides who goes)" if scenario.behaviour is not None else "people who want to leave"
        people = (f"{r.kpis.people_reached_safety:,} of the {r.kpis.people_wanting_to_leave:,} {pool} reach safety"
                  + _spread_words(bands, r.proposal, "people_reached_safety") + "".join(f"; {words}" for words in people_apart_words(r.kpis)))
        worst = ""
        if commodity:
            shares = {z.name: r.kpis.need_met.get(z.id, {}).get(commodity, 0.0) for z in scenario.zones if z.needs_per_person_per_day.get(commodity)}
            if shares:
                low = min(shares, key=shares.__getitem__)
                worst = f" The least {name[commodity]} reaches {low}: {shares[low]:.0%} of its need."
        limit = f" What limits it most: {limit_label(scenario, r.bottlenecks[0])}." if r.bottlenecks else ""
        kind = " A pause announced by one side only: other parties have not accepted it." if proposal.windows and proposal.agreement == "unilateral" else ""
        lines.append(f"{r.proposal_name}: {trucks}; {people}.{worst}{limit}{kind}")
    most_aid = max(results, key=lambda r: r.kpis.total_trucks_arrived)
    most_safe = max(results, key=lambda r: r.kpis.people_reached_safety)
    lines.append(f"Most aid: {most_aid.proposal_name}. Most people to safety: {most_safe.proposal_name}.")
    if bands is not None and bands.beats_next:
        titles = {r.proposal: r.proposal_name for r in results}
        sure = []
        for pair in bands.beats_next:
            share = pair.probability
            verdict = "clearly" if share >= 0.9 else ("usually" if share >= 0.6 else "not reliably")
            sure.append(f"{titles.get(pair.proposal, pair.proposal)} does better than {titles.get(pair.next, pair.next)} "
                        f"{verdict} ({share:.0%} of {bands.runs} runs)")
        lines.append("How sure: with delays, closures and incidents drawn at random, " + "; ".join(sure) + ".")
    else:
        lines.append("How sure: no simulation was run for this report (give --runs to see P10–P90 ranges).")
    return lines


def _sources(comparison: Comparison) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """(sources with the figures citing them, parameters, figures without any source), every text
    through the redaction rule (``Generaliser.text``)."""
    from safepassage.interop.generalise import Generaliser

    scenario = comparison.scenario
    generaliser = Generaliser(scenario)
    public = generaliser.text
    cited: dict[str, list[str]] = defaultdict(list)
    unsourced: list[dict[str, Any]] = []
    place_label = {p.id: generaliser.place_label(p.id) for p in scenario.places}

    def note(label: str, figures: str, sources: list[str]) -> None:
        for source in sources:
            cited[source].append(label)
        if not sources and figures:
            unsourced.append({"what": label, "figures": figures})

    for p in scenario.places:
        figures = ", ".join(f for f in (f"{p.trucks_per_hour:g} trucks/h" if p.trucks_per_hour else "", f"{p.people_per_hour:g} people/h" if p.people_per_hour else "") if f)
        note(f"place: {place_label[p.id]}", figures, p.sources)
    for r in scenario.roads:
        note(f"road: {generaliser.road_label(r)}", f"{r.length_km:g} km", r.sources)
    for z in scenario.zones:
        note(f"zone: {z.name}", f"population {z.population:,.0f}", z.sources)
    for c in scenario.commodities:
        note(f"commodity: {c.name}", f"{c.truck_payload:g} {c.unit}/truck", c.sources)
    for s in scenario.stocks:
        note(f"stock: {s.commodity} at {place_label.get(s.place, s.place)}", f"{s.quantity:,.0f}", s.sources)
    if scenario.fleet:
        note("fleet", f"{scenario.fleet.trucks} trucks", scenario.fleet.sources)
    note("policy", "restrictions and quotas", scenario.policy.sources)
    for q in scenario.policy.daily_quotas:
        note("policy: daily quota", f"{q.trucks_per_day:g} trucks/day", q.sources)
    for proposal in scenario.proposals:
        note(f"proposal: {proposal.name}", f"{len(proposal.windows)} window(s)", proposal.sources)
    for name, parameter in scenario.parameters.items():
        note(f"parameter: {name}", f"{parameter.value:g} {parameter.unit}", parameter.sources)
    sources = []
    for source_id, source in sorted(scenario.sources.items(), key=lambda item: (_CONFIDENCE_ORDER.get(item[1].confidence.value, 9), item[0])):
        sources.append({"id": source_id, "title": public(source.title), "date": source.date, "confidence": source.confidence.value,
                        "urls": [public(u) for u in source.urls], "note": public(source.note), "used_by": sorted(set(cited.get(source_id, [])))})
    parameters = [{"name": name, "value": f"{p.value:g}", "unit": p.unit,
                   "range": "" if p.low is None and p.high is None else f"{p.low if p.low is not None else p.value:g} – {p.high if p.high is not None else p.value:g}",
                   "confidence": p.confidence.value, "assumption": public(p.assumption), "sources": list(p.sources)}
                  for name, p in scenario.parameters.items()]
    return sources, parameters, unsourced


def _unbroken(info: Any) -> Any:
    """The info with hyphens between digits made non-breaking, so a date never wraps mid-way on the page."""
    from dataclasses import replace

    def fix(text: str) -> str:
        return re.sub(r"(?<=\d)-(?=\d)", "\u2060-\u2060", text)  # word joiners: no break, same hyphen

    return replace(info, headline=fix(info.headline), description=fix(info.description), instruction=fix(info.instruction))


def _cap_previews(comparison: Comparison) -> list[dict[str, Any]]:
    """The first alert each proposal would send, sent when notice is due before its first window."""
    from safepassage.interop.cap import proposal_alerts
    from safepassage.interop.windows import aware

    scenario = comparison.scenario
    previews = []
    for result in comparison.results:
        proposal = scenario.proposal(result.proposal)
        if not proposal.windows:
            continue
        first = min(proposal.windows, key=lambda w: w.start)
        # Absolute hours of notice: subtract in UTC, then show the moment in local time.
        start = aware(first.start, scenario.timezone)
        sent = (start.astimezone(dt.UTC) - dt.timedelta(hours=proposal.notice_hours)).astimezone(start.tzinfo)
        alerts = proposal_alerts(scenario, result, sent=sent)
        if alerts:
            infos = [_unbroken(i) for i in alerts[0].infos]
            pairs = [infos[i:i + 2] for i in range(0, len(infos), 2)]
            previews.append({"proposal": proposal.name, "count": len(alerts), "pairs": pairs,
                             "onset": alerts[0].onset.isoformat() if alerts[0].onset else "",
                             "expires": alerts[0].expires.isoformat() if alerts[0].expires else ""})
    return previews


# Report -----------------------------------------------------------------------------------------
def render_report_html(comparison: Comparison, bands: ComparisonBands | None = None) -> str:
    """The report as one HTML document (charts inlined as PNG data URIs). ``bands``: the result of
    ``evaluate.bands.monte_carlo_bands`` for the same comparison (P10–P90 ranges); without it the report
    shows planned figures only and says so."""
    import jinja2

    from safepassage.interop.generalise import Generaliser

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("safepassage.evaluate", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
    )
    header, rows = _kpi_rows(comparison, bands)
    sources, parameters, unsourced = _sources(comparison)
    scenario = comparison.scenario
    generaliser = Generaliser(scenario)
    html = environment.get_template("report.html.j2").render(
        scenario=scenario,
        description=generaliser.text(scenario.description),
        horizon_start=iso(comparison.results[0].horizon_start) if comparison.results else scenario.horizon.start.isoformat(),
        horizon_days=comparison.horizon_days,
        generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        counting=comparison.to_json()["counting"],
        summary=_summary(comparison, bands),
        runs=bands.runs if bands is not None else 0,
        kpi_header=header,
        kpi_rows=rows,
        map_chart=_map_chart(comparison) if comparison.results and scenario.zones else "",
        map_commodity=_map_commodity(scenario) or "",
        aid_chart=_aid_chart(comparison) if comparison.results else "",
        safety_chart=_safety_chart(comparison) if comparison.results else "",
        need_tables=_need_tables(comparison, bands) if scenario.zones else [],
        limits=_limit_rows(comparison),
        appendix=_appendix_rows(comparison),
        previews=_cap_previews(comparison),
        sources=sources,
        parameters=parameters,
        unsourced=unsourced,
    )
    return html


def write_report(comparison: Comparison, folder: Path, pdf: bool = True, bands: ComparisonBands | None = None) -> Path:
    """Write ``report.html`` (self-contained) into ``folder`` and, with ``pdf`` and when Chromium is
    installed, ``report.pdf`` beside it. Returns the HTML path.

    A missing Chromium only skips the PDF (the HTML is the report); a Chromium that fails raises
    ``ReportRenderError``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    html = folder / "report.html"
    staging = folder / ".report.html.tmp"
    staging.write_text(render_report_html(comparison, bands), encoding="utf-8")
    staging.replace(html)
    if pdf and find_chromium() is not None:
        html_to_pdf(html, folder / "report.pdf")
    return html


def people_apart_words(kpis: ProposalKPIs) -> list[str]:
    """People moved but not counted as reaching safety, in words: displaced people returning home, and
    people detained or turned back at screening (expected numbers from the screening shares)."""
    words = []
    if kpis.people_returned or kpis.people_wanting_to_return:
        words.append(f"{kpis.people_returned:,} of the {kpis.people_wanting_to_return:,} displaced people who could go home return (counted apart)")
    if kpis.people_detained or kpis.people_turned_back:
        words.append(
            f"about {kpis.people_detained:,.0f} are detained and {kpis.people_turned_back:,.0f} turned back to their zone at screening "
            "(they do not reach safety)"
        )
    return words
