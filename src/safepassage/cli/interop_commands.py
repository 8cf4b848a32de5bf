"""Commands that speak the field's formats: ``import-hxl``, ``export`` (HXL, GeoJSON, iCalendar, CAP)
and ``report`` (HTML and PDF). See docs/formats.md."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from safepassage.cli.app import app, console, err_console, handle_errors
from safepassage.cli.options import DaysOpt, SlotOpt, horizon_with
from safepassage.cli.scenario_commands import ScenarioArg
from safepassage.errors import Problem, ScenarioError

__all__ = ["Audience", "ExportFormat"]


class ExportFormat(str, Enum):
    hxl = "hxl"
    geojson = "geojson"
    ics = "ics"
    cap = "cap"


class Audience(str, Enum):
    public = "public"
    internal = "internal"


class CapStatus(str, Enum):
    Draft = "Draft"
    Exercise = "Exercise"
    Test = "Test"
    Actual = "Actual"


@app.command("import-hxl")
@handle_errors
def import_hxl_command(
    scenario: ScenarioArg,
    out: Annotated[Path, typer.Option("--out", help="Write the merged scenario YAML here.")],
    places: Annotated[Path | None, typer.Option("--places", help="HXL CSV of places (#loc+code, #geo+lat, #geo+lon ...).")] = None,
    zones: Annotated[Path | None, typer.Option("--zones", help="HXL CSV of zones (#adm1+code, #population, #value+need+<commodity> ...).")] = None,
) -> None:
    """Merge places and zones (population, needs) from HXL-tagged CSV into a scenario, validated."""
    from safepassage.interop.hxl import import_hxl

    if places is None and zones is None:
        raise ScenarioError([Problem("--places/--zones", "nothing to import", "give --places FILE, --zones FILE or both")], source="import-hxl")
    replaced: list[str] = []
    merged, text = import_hxl(scenario, places=places, zones=zones, replaced=replaced)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    for change in replaced:
        err_console.print(f"[bold yellow]warning:[/] {change} (a sensitivity analysis no longer sweeps it)", highlight=False)
    console.print(f"[green]imported:[/] {merged.name} — {len(merged.places)} places, {len(merged.zones)} zones; wrote {out}", highlight=False)


@app.command()
@handle_errors
def export(
    scenario: ScenarioArg,
    format: Annotated[ExportFormat, typer.Option("--format", "-f", help="hxl, geojson, ics (iCalendar) or cap (CAP 1.2 alerts).")],
    out: Annotated[Path, typer.Option("--out", help="Folder (hxl, geojson, cap) or .ics file (ics).")],
    proposal: Annotated[str | None, typer.Option("--proposal", "-p", help="Proposal id or name (needed for ics and cap; hxl and geojson then include its plan).")] = None,
    audience: Annotated[Audience, typer.Option("--audience", help="public: generalised geometry, no sensitive sites; internal: exact (coordinators only).")] = Audience.public,
    days: DaysOpt = None,
    slot_minutes: SlotOpt = None,
    previous: Annotated[Path | None, typer.Option("--previous", help="cap: folder of alerts sent before (changed windows become Update, withdrawn ones Cancel); ics: the .ics published before (SEQUENCE, STATUS:CANCELLED).")] = None,
    status: Annotated[CapStatus, typer.Option("--status", help="cap: alert status; Actual only when an authority issues it (needs --sender and --web).")] = CapStatus.Draft,
    sender: Annotated[str, typer.Option("--sender", help="cap: sender id (no spaces or commas), e.g. alerts.example.org.")] = "safepassage.invalid",
    sent: Annotated[str | None, typer.Option("--sent", help="cap: sending time with offset, e.g. 2023-11-24T07:00:00+02:00 (required: it decides urgency and which windows are over).")] = None,
    web: Annotated[str, typer.Option("--web", help="cap: the issuing authority's public page for the alert.")] = "https://safepassage.invalid/public",
    contact: Annotated[str, typer.Option("--contact", help="cap: how the public reaches the issuing authority.")] = "",
) -> None:
    """Export a scenario, a proposal's plan, its calendar or its public alerts in a standard format."""
    from safepassage.scenario import load_scenario

    loaded = load_scenario(scenario)
    chosen = loaded.proposal(proposal).id if proposal else None
    if format in (ExportFormat.ics, ExportFormat.cap) and chosen is None:
        raise ScenarioError([Problem("--proposal", f"--format {format.value} needs a proposal", "add --proposal ID")], source="export")

    def plan():
        from safepassage.plan import plan_proposal

        return plan_proposal(loaded, chosen, horizon=horizon_with(loaded, days, slot_minutes)) if chosen else None

    if format is ExportFormat.hxl:
        from safepassage.interop.hxl import write_plan_hxl, write_scenario_hxl

        paths = write_scenario_hxl(loaded, out, audience=audience.value)
        result = plan()
        if result is not None:
            paths += write_plan_hxl(loaded, result, out, audience=audience.value)
    elif format is ExportFormat.geojson:
        from safepassage.interop.geojson import write_geojson

        paths = write_geojson(loaded, out, result=plan(), proposal=chosen, audience=audience.value)
    elif format is ExportFormat.ics:
        from safepassage.interop.calendar import read_calendar, write_calendar

        earlier_calendar = None
        if previous is not None:
            if not previous.is_file():
                raise ScenarioError([Problem("--previous", f"{previous} is not a file", "give the .ics file published before")], source="export")
            try:
                earlier_calendar = read_calendar(previous)
            except ValueError as exc:
                raise ScenarioError([Problem("--previous", f"{previous} is not an iCalendar file: {exc}", "give the .ics file published before")], source="export") from None
        paths = [write_calendar(loaded, plan(), out, previous=earlier_calendar)]  # type: ignore[arg-type]
    else:
        from safepassage.interop.cap import proposal_alerts, read_alerts, write_alerts

        if sent is None:
            raise ScenarioError([Problem("--sent", "CAP alerts need the time they are sent (it sets urgency and which windows are over)",
                                         "add --sent with a UTC offset, e.g. --sent 2023-11-24T07:00:00+02:00")], source="export")
        try:
            when = dt.datetime.fromisoformat(sent)
        except ValueError:
            when = None
        if when is None or when.tzinfo is None:
            raise ScenarioError([Problem("--sent", f"{sent!r} is not a date-time with a UTC offset", "e.g. 2023-11-24T07:00:00+02:00")], source="export")
        if status is CapStatus.Actual and (sender.endswith(".invalid") or ".invalid" in web):
            raise ScenarioError([Problem("--status", "an Actual alert needs the issuing authority's own --sender and --web, not the placeholders",
                                         "give --sender (e.g. alerts.example.org) and --web, or keep --status Draft")], source="export")
        earlier = read_alerts(previous) if previous is not None else None
        alerts = proposal_alerts(loaded, plan(), sent=when, sender=sender, status=status.value, previous=earlier, web=web, contact=contact)  # type: ignore[arg-type]
        paths = write_alerts(alerts, out)
        kinds = ", ".join(f"{sum(a.msg_type == k for a in alerts)} {k}" for k in ("Alert", "Update", "Cancel") if any(a.msg_type == k for a in alerts))
        console.print(f"{len(alerts)} CAP 1.2 alert(s) ({kinds or 'nothing changed'}), each valid against the OASIS schema", highlight=False)
    for path in paths:
        console.print(f"wrote {path}", highlight=False)


@app.command()
@handle_errors
def report(
    scenario: ScenarioArg,
    out: Annotated[Path, typer.Option("--out", help="Folder for report.html (and report.pdf).")] = Path("out/report"),
    proposal: Annotated[list[str] | None, typer.Option("--proposal", "-p", help="Only these proposals (repeatable).")] = None,
    days: DaysOpt = None,
    slot_minutes: SlotOpt = None,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also print report.pdf with headless Chromium (when installed).")] = True,
    png: Annotated[bool, typer.Option("--png", help="Also save report.png, a screenshot of the first page (needs Chromium).")] = False,
    runs: Annotated[int, typer.Option("--runs", min=0, max=10_000, help="Simulated runs per proposal for the P10-P90 ranges (0: none).")] = 30,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the simulation (same seed, same ranges).")] = 0,
) -> None:
    """Compare the proposals and write a self-contained HTML report (and PDF) with charts and sources."""
    from safepassage.evaluate import compare_proposals
    from safepassage.evaluate.report import find_chromium, html_to_png, write_report
    from safepassage.scenario import load_scenario

    loaded = load_scenario(scenario)
    for name in proposal or []:
        loaded.proposal(name)  # unknown names fail before any solve
    horizon = horizon_with(loaded, days, slot_minutes)
    with err_console.status("planning the proposals"):
        comparison = compare_proposals(loaded, proposal or None, horizon)
    bands = None
    if runs and comparison.results:
        from safepassage.evaluate.bands import monte_carlo_bands

        with err_console.status(f"simulating {runs} runs per proposal"):
            bands = monte_carlo_bands(comparison, runs, seed=seed, horizon=horizon)
    html = write_report(comparison, out, pdf=pdf, bands=bands)
    console.print(f"report written to [bold]{html}[/]", highlight=False)
    if pdf:
        if (out / "report.pdf").is_file():
            console.print(f"PDF written to [bold]{out / 'report.pdf'}[/]", highlight=False)
        else:
            err_console.print("no PDF: Chromium is not installed (bash scripts/system-deps.sh)", highlight=False)
    if png:
        if find_chromium() is None:
            err_console.print("no PNG: Chromium is not installed (bash scripts/system-deps.sh)", highlight=False)
        else:
            console.print(f"screenshot written to [bold]{html_to_png(html, out / 'report.png')}[/]", highlight=False)
