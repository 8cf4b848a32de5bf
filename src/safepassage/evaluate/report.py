"""The comparison report: one self-contained HTML file (charts inlined) and, when Chromium is
available, the same as PDF.

Sections: the KPI table; charts of aid arriving per day by commodity, people reaching safety over
time and need met per zone; the binding limits (bottlenecks); a preview of the public CAP alert for
each proposal with windows (English and Arabic); and the sources of every input figure with their
confidence. The report is a public document: it names no exact position, and a sensitive place is
named only as "a site in <zone>".

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
import os
import re
import shutil
import subprocess
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from safepassage.errors import SafePassageError
from safepassage.evaluate.compare import Comparison
from safepassage.plan import PlanResult

__all__ = ["write_report", "render_report_html", "find_chromium", "html_to_pdf", "html_to_png", "ReportRenderError"]

_CONFIDENCE_ORDER = {"high": 0, "medium": 1, "low": 2, "assumption": 3}
# Positions written in free text (source notes, assumptions): decimal degrees with three or more
# decimals (about 100 m or finer), and degrees-minutes-seconds. The report is public: drop them.
_POSITION_TEXT = re.compile(
    r"-?[1-9]\d{0,2}\.\d{3,}\s*°?\s*[NSEW]?"
    r"|\d{1,3}\s*°\s*\d{1,2}\s*['′]\s*(\d{1,2}(\.\d+)?\s*[\"″]\s*)?[NSEW]?"
)


def _without_positions(text: str) -> str:
    """``text`` with exact positions replaced by "[position omitted]"."""
    return _POSITION_TEXT.sub("[position omitted]", text)


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
def _figure_uri(figure: Any) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _pyplot():
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
    peak = 0.0
    for ax, result in zip(axes.flat, results):
        bottom = [0.0] * len(days)
        for index, commodity in enumerate(commodities):
            values = [result.kpis.arrivals_by_day.get(d, {}).get(commodity, 0.0) for d in days]
            if any(values):
                ax.bar(range(len(days)), values, bottom=bottom, color=colours(index % 10), label=commodity)
                bottom = [b + v for b, v in zip(bottom, values)]
        peak = max(peak, max(bottom, default=0.0))
        ax.set_title(result.proposal, fontsize=10)
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
    plt = _pyplot()
    figure, ax = plt.subplots(figsize=(8, 3.6))
    start = dt.datetime.fromisoformat(comparison.results[0].horizon_start) if comparison.results else None
    for result in comparison.results:
        arrivals: dict[float, int] = defaultdict(int)
        for movement in result.evacuations:
            if movement.destination_zone != movement.origin_zone:
                hours = (dt.datetime.fromisoformat(movement.arrives) - start).total_seconds() / 3600 if start else 0.0
                arrivals[hours] += movement.people
        times, total, xs, ys = sorted(arrivals), 0, [0.0], [0]
        for t in times:
            total += arrivals[t]
            xs.append(t)
            ys.append(total)
        xs.append(result.horizon_days * 24)
        ys.append(total)
        ax.step(xs, ys, where="post", label=f"{result.proposal} ({total:,})", linewidth=2)
    wanting = max((r.kpis.people_wanting_to_leave for r in comparison.results), default=0)
    if wanting:
        ax.axhline(wanting, color="grey", linestyle="--", linewidth=1)
        ax.annotate(f"want to leave: {wanting:,}", (comparison.horizon_days * 24, wanting), xytext=(-4, 4), textcoords="offset points",
                    fontsize=8, color="grey", ha="right")
    ax.set_xlabel(f"hours after {comparison.results[0].horizon_start if comparison.results else ''}")
    ax.set_ylabel("people reaching safety (cumulative)")
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.grid(alpha=0.3)
    ax.set_ylim(0, max(wanting, 1) * 1.12)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.set_title("People reaching safety over time")
    figure.tight_layout()
    return _figure_uri(figure)


def _mean_need(result: PlanResult, zone: str) -> float | None:
    shares = list(result.kpis.need_met.get(zone, {}).values())
    return sum(shares) / len(shares) if shares else None


def _need_chart(comparison: Comparison) -> str:
    plt = _pyplot()
    zones = comparison.scenario.zones
    results = comparison.results
    figure, ax = plt.subplots(figsize=(8, max(2.8, 0.8 + 0.22 * len(zones) * max(len(results), 1))))
    height = 0.8 / max(len(results), 1)
    for index, result in enumerate(results):
        values = [100 * (_mean_need(result, z.id) or 0.0) for z in zones]
        ax.barh([i + index * height for i in range(len(zones))], values, height=height, label=result.proposal)
    ax.set_yticks([i + 0.4 - height / 2 for i in range(len(zones))], [z.name for z in zones], fontsize=9)
    ax.invert_yaxis()
    ax.axvline(100, color="grey", linestyle="--", linewidth=1)
    ax.set_xlabel("share of the zone's need over the horizon met (%, mean over commodities)")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.set_title("Need met per zone")
    figure.tight_layout()
    return _figure_uri(figure)


# Tables -----------------------------------------------------------------------------------------
def _kpi_rows(comparison: Comparison) -> tuple[list[str], list[list[str]]]:
    commodities = [c.id for c in comparison.scenario.commodities if any(r.kpis.tonnes_arrived.get(c.id) for r in comparison.results)]
    header = ["proposal", "trucks crossed", "trucks arrived", *[f"{c} (t)" for c in commodities], "people safe", "of wanting to leave",
              "50% safe (h)", "90% safe (h)", "value (person-days)", "bound", "gap"]
    rows = []
    for r in comparison.results:
        k = r.kpis
        rows.append([
            f"{r.proposal_name} ({r.proposal})", f"{sum(k.trucks_crossed.values()):,}", f"{k.total_trucks_arrived:,}",
            *[f"{k.tonnes_arrived.get(c, 0.0):,.0f}" for c in commodities],
            f"{k.people_reached_safety:,}", f"{k.people_wanting_to_leave:,}",
            "—" if k.hours_to_50pct_safe is None else f"{k.hours_to_50pct_safe:g}",
            "—" if k.hours_to_90pct_safe is None else f"{k.hours_to_90pct_safe:g}",
            f"{r.objective:,.0f}", f"{r.bound:,.0f}", f"{r.gap:.2%}",
        ])
    return header, rows


def _bottleneck_rows(comparison: Comparison) -> list[dict[str, Any]]:
    from safepassage.interop.generalise import Generaliser

    generaliser = Generaliser(comparison.scenario)
    place_ids = {p.id for p in comparison.scenario.places}
    out = []
    for r in comparison.results:
        items = [{"kind": b.kind, "what": generaliser.place_label(b.id) if b.id in place_ids else b.id,
                  "value": f"{b.value_per_unit:,.1f} person-days per {b.unit}", "slots": b.binding_slots} for b in r.bottlenecks]
        out.append({"proposal": r.proposal, "items": items})
    return out


def _sources(comparison: Comparison) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """(sources with the figures citing them, parameters, figures without any source)."""
    scenario = comparison.scenario
    cited: dict[str, list[str]] = defaultdict(list)
    unsourced: list[dict[str, Any]] = []
    from safepassage.interop.generalise import Generaliser

    generaliser = Generaliser(scenario)
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
        note(f"road: {r.name or r.id}", f"{r.length_km:g} km", r.sources)
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
        sources.append({"id": source_id, "title": _without_positions(source.title), "date": source.date, "confidence": source.confidence.value,
                        "urls": [_without_positions(u) for u in source.urls], "note": _without_positions(source.note), "used_by": sorted(set(cited.get(source_id, [])))})
    parameters = [{"name": name, "value": f"{p.value:g}", "unit": p.unit,
                   "range": "" if p.low is None and p.high is None else f"{p.low if p.low is not None else p.value:g} – {p.high if p.high is not None else p.value:g}",
                   "confidence": p.confidence.value, "assumption": _without_positions(p.assumption), "sources": list(p.sources)}
                  for name, p in scenario.parameters.items()]
    return sources, parameters, unsourced


def _unbroken(info: Any) -> Any:
    """The info with hyphens between digits made non-breaking, so a date never wraps mid-way on the page."""
    from dataclasses import replace

    fix = lambda text: re.sub(r"(?<=\d)-(?=\d)", "\u2060-\u2060", text)  # word joiners: no break, same hyphen  # noqa: E731
    return replace(info, headline=fix(info.headline), description=fix(info.description), instruction=fix(info.instruction))


def _cap_previews(comparison: Comparison) -> list[dict[str, Any]]:
    from safepassage.interop.cap import proposal_alerts
    from safepassage.interop.windows import aware

    scenario = comparison.scenario
    previews = []
    for result in comparison.results:
        proposal = scenario.proposal(result.proposal)
        if not proposal.windows:
            continue
        first = proposal.windows[0]
        # Absolute hours of notice: subtract in UTC, then show the moment in local time.
        start = aware(first.start, scenario.timezone)
        sent = (start.astimezone(dt.timezone.utc) - dt.timedelta(hours=proposal.notice_hours)).astimezone(start.tzinfo)
        alerts = proposal_alerts(scenario, proposal.id, sent=sent)
        if alerts:
            previews.append({"proposal": proposal.name, "count": len(alerts), "infos": [_unbroken(i) for i in alerts[0].infos],
                             "effective": alerts[0].effective.isoformat() if alerts[0].effective else "",
                             "expires": alerts[0].expires.isoformat() if alerts[0].expires else ""})
    return previews


# Report -----------------------------------------------------------------------------------------
def render_report_html(comparison: Comparison) -> str:
    """The report as one HTML document (charts inlined as PNG data URIs)."""
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("safepassage.evaluate", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
    )
    header, rows = _kpi_rows(comparison)
    sources, parameters, unsourced = _sources(comparison)
    scenario = comparison.scenario
    return environment.get_template("report.html.j2").render(
        scenario=scenario,
        description=_without_positions(scenario.description),
        horizon_start=comparison.results[0].horizon_start if comparison.results else scenario.horizon.start.isoformat(),
        horizon_days=comparison.horizon_days,
        generated=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        counting=comparison.to_json()["counting"],
        kpi_header=header,
        kpi_rows=rows,
        aid_chart=_aid_chart(comparison) if comparison.results else "",
        safety_chart=_safety_chart(comparison) if comparison.results else "",
        need_chart=_need_chart(comparison) if comparison.results and scenario.zones else "",
        bottlenecks=_bottleneck_rows(comparison),
        previews=_cap_previews(comparison),
        sources=sources,
        parameters=parameters,
        unsourced=unsourced,
    )


def write_report(comparison: Comparison, folder: Path, pdf: bool = True) -> Path:
    """Write ``report.html`` (self-contained) into ``folder`` and, with ``pdf`` and when Chromium is
    installed, ``report.pdf`` beside it. Returns the HTML path.

    A missing Chromium only skips the PDF (the HTML is the report); a Chromium that fails raises
    ``ReportRenderError``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    html = folder / "report.html"
    staging = folder / ".report.html.tmp"
    staging.write_text(render_report_html(comparison), encoding="utf-8")
    staging.replace(html)
    if pdf and find_chromium() is not None:
        html_to_pdf(html, folder / "report.pdf")
    return html
