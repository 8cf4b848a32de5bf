"""Commands that plan: ``run`` (the main job), ``plan`` (one proposal), ``compare`` (all proposals)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from safepassage.cli.app import EXIT_BAD_INPUT, app, console, handle_errors
from safepassage.cli.options import DaysOpt, JsonOpt, OutOpt, SlotOpt, horizon_with, progress_bar
from safepassage.cli.scenario_commands import ScenarioArg

if TYPE_CHECKING:  # the planner (HiGHS, scipy) loads in the commands that plan, not for --help
    from safepassage.evaluate import Comparison
    from safepassage.evaluate.bands import ComparisonBands
    from safepassage.plan import PlanResult
    from safepassage.scenario import Scenario
    from safepassage.scenario.model import Horizon

DEFAULT_SCENARIO = "gaza-2023-11"







WindowOpt = Annotated[bool, typer.Option("--window-value/--no-window-value", help="Also price one more hour of every window (one more solve per proposal).")]


def compare_proposals(*args: Any, **kwargs: Any) -> Comparison:
    """``safepassage.evaluate.compare_proposals``, imported at the first call: ``--help`` does not load
    the planner. (A module-level name, so that tests can serve a cached comparison in its place.)"""
    from safepassage.evaluate.compare import compare_proposals as compare

    return compare(*args, **kwargs)


def _compare_with_progress(scenario: Scenario, proposals: list[str] | None, horizon: Horizon, quiet: bool, window_value: bool = False, certify_s: float = 0.0) -> Comparison:
    from safepassage.evaluate.compare import default_workers

    chosen = proposals or [p.id for p in scenario.proposals]
    for proposal in chosen:
        scenario.proposal(proposal)  # unknown names fail before any solve
    with progress_bar(quiet) as progress:
        task = progress.add_task("planning", total=len(chosen))
        return compare_proposals(
            scenario, chosen, horizon,
            on_start=lambda name: progress.update(task, description=f"planning [bold]{name}[/]"),
            on_done=lambda result: progress.advance(task),
            workers=default_workers(),
            window_value=window_value,
            certify_s=certify_s,
        )


def comparison_table(comparison: Comparison) -> Table:
    """The side-by-side table printed by ``run`` and ``compare``."""
    from safepassage.evaluate.limits import limit_label
    from safepassage.evaluate.report import people_apart_words
    from safepassage.plan.result import iso

    commodities = [c.id for c in comparison.scenario.commodities if any(r.kpis.tonnes_arrived.get(c.id) for r in comparison.results)]
    table = Table(title=f"{comparison.scenario.title} — {comparison.horizon_days:g} days from {iso(comparison.results[0].horizon_start) if comparison.results else ''}", title_justify="left")
    table.add_column("proposal")
    table.add_column("trucks arrived", justify="right")
    for commodity in commodities:
        table.add_column(f"{commodity} t", justify="right")
    table.add_column("people safe", justify="right")
    table.add_column("90% safe (h)", justify="right")
    table.add_column("binding limit")
    table.add_column("gap", justify="right")
    for r in comparison.results:
        bottleneck = r.bottlenecks[0] if r.bottlenecks else None
        table.add_row(
            r.proposal,
            f"{r.kpis.total_trucks_arrived:,}",
            *[f"{r.kpis.tonnes_arrived.get(c, 0):,.0f}" for c in commodities],
            f"{r.kpis.people_reached_safety:,}",
            "—" if r.kpis.hours_to_90pct_safe is None else f"{r.kpis.hours_to_90pct_safe:g}",
            limit_label(comparison.scenario, bottleneck) if bottleneck else "none",
            f"{r.gap:.2%}",
        )
    buses = [(r.proposal, comparison.bus_plan(r)) for r in comparison.results]
    carried = [
        f"{name}: {plan.people_reached_safety:,.0f} in {len(plan.trips)} trips"
        + (f" (about {plan.people_detained:,.0f} detained and {plan.people_turned_back:,.0f} turned back at screening)"
           if plan.people_detained_or_turned_back else "")
        + (f", trips by MIP, gap {plan.gap:.2%}" if plan.method == "mip" and plan.gap is not None else "")
        + (f", trips by the greedy ({plan.note})" if plan.method == "greedy" and plan.note else "")
        for name, plan in buses if plan is not None
    ]
    notes = ["people safe on foot; by bus (planned as trips): " + "; ".join(carried)] if carried else []
    notes += [f"{r.proposal}: " + "; ".join(words) for r in comparison.results if (words := people_apart_words(r.kpis))]
    if notes:
        table.caption = "\n".join(notes)
    return table


def _bands(comparison: Comparison, runs: int, seed: int, horizon: Horizon, quiet: bool) -> ComparisonBands:
    """Monte Carlo bands for every plan of the comparison (see ``safepassage.evaluate.bands``)."""
    from safepassage.evaluate.bands import monte_carlo_bands

    total = runs * len(comparison.results)
    with progress_bar(quiet) as progress:
        task = progress.add_task(f"simulating {runs} runs per proposal", total=total)
        done: dict[str, int] = {}

        def advance(proposal: str, finished: int, _: int) -> None:
            done[proposal] = finished
            progress.update(task, completed=sum(done.values()))

        return monte_carlo_bands(comparison, runs, seed=seed, horizon=horizon, on_progress=advance)


HEADLINE_BANDS = ("trucks_arrived", "tonnes_arrived", "people_reached_safety", "value")


def _add_bands(document: dict, bands: ComparisonBands) -> None:
    """Put "p10", "p50", "p90" (and the mean) next to each KPI of each proposal in the JSON document."""
    whole = bands.to_json()
    document["simulation"] = {k: whole[k] for k in ("runs", "seed", "policy", "disruptions", "ranking", "beats_next")}
    for proposal in document["proposals"]:
        kpis = bands.kpis_json(proposal["name"])
        proposal["bands"] = kpis
        for name in HEADLINE_BANDS:
            if name in kpis:
                for stat in ("mean", "p10", "p50", "p90"):
                    proposal[f"{name}_{stat}"] = kpis[name][stat]


def bands_table(comparison: Comparison, bands: ComparisonBands) -> Table:
    """What survives disruption: P10 / P50 / P90 of the headline KPIs, and who beats whom how often."""
    table = Table(title=f"Under disruption: {bands.runs} simulated runs per proposal (seed {bands.seed}), P10 / P50 / P90", title_justify="left")
    for column in ("proposal", "trucks arrived", "tonnes arrived", "people safe", "beats the next"):
        table.add_column(column, justify="left" if column == "proposal" else "right")
    beats = {b.proposal: b for b in bands.beats_next}
    for r in comparison.results:

        def band(name: str, proposal: str = r.proposal) -> str:
            k = bands.band(proposal, name)
            return "—" if k is None or k.p10 is None or k.p50 is None or k.p90 is None else f"{k.p10:,.0f} / {k.p50:,.0f} / {k.p90:,.0f}"

        b = beats.get(r.proposal)
        table.add_row(r.proposal, band("trucks_arrived"), band("tonnes_arrived"), band("people_reached_safety"), f"{b.probability:.0%} vs {b.next}" if b else "—")
    return table


def need_table(comparison: Comparison) -> Table:
    """Share of need met per zone (mean over commodities with a need), one column per proposal."""
    table = Table(title="Share of need met over the horizon (mean over commodities)", title_justify="left")
    table.add_column("zone")
    for r in comparison.results:
        table.add_column(r.proposal, justify="right")
    for zone in comparison.scenario.zones:
        cells = []
        for r in comparison.results:
            shares = list(r.kpis.need_met.get(zone.id, {}).values())
            cells.append(f"{sum(shares) / len(shares):.0%}" if shares else "—")
        table.add_row(zone.id, *cells)
    return table


def _print_bottlenecks(comparison: Comparison) -> None:
    from safepassage.evaluate.limits import limit_label

    for r in comparison.results:
        if r.bottlenecks:
            named = "; ".join(f"{limit_label(comparison.scenario, b)} (10% more: +{b.value_of_10pct:,.0f} person-days)" for b in r.bottlenecks[:3])
            console.print(f"  [bold]{r.proposal}[/] is limited by: {named}", highlight=False)
        else:
            console.print(f"  [bold]{r.proposal}[/]: no limit binds", highlight=False)
        for short in r.quota_shortfalls:  # an agreement's floor or share the plan cannot meet (docs/agreements.md)
            console.print(f"  [bold]{r.proposal}[/] agreement not met: {short['message']}", highlight=False)
        report = r.consolidation or {}
        if report.get("trucks_dropped"):  # trucks no convoy takes, after re-timing (docs/convoys.md)
            console.print(f"  [bold]{r.proposal}[/]: {report['trucks_dropped']} trucks left out of convoys "
                          f"({report['trucks_retimed']} re-timed, {report['loads_swapped']} loads swapped); "
                          "each with its reason under consolidation.dropped in --json", highlight=False)


@app.command()
@handle_errors
def compare(
    scenario: ScenarioArg,
    json_out: JsonOpt = False,
    proposal: Annotated[list[str] | None, typer.Option("--proposal", "-p", help="Only these proposals (repeatable).")] = None,
    days: DaysOpt = None,
    slot_minutes: SlotOpt = None,
    out: OutOpt = None,
    window_value: WindowOpt = False,
    runs: Annotated[int, typer.Option("--runs", min=0, max=100_000, help="Also simulate each plan N times under disruption and show P10-P90 bands.")] = 0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the simulation (same seed, same numbers).")] = 0,
) -> None:
    """Plan every proposal of a scenario and compare them side by side (with --runs: under disruption)."""
    from safepassage.evaluate import write_comparison
    from safepassage.scenario import load_scenario

    loaded = load_scenario(scenario)
    horizon = horizon_with(loaded, days, slot_minutes)
    comparison = _compare_with_progress(loaded, proposal, horizon, quiet=json_out, window_value=window_value)
    bands = _bands(comparison, runs, seed, horizon, quiet=json_out) if runs else None
    if out is not None:
        write_comparison(comparison, out)
    if json_out:
        document = comparison.to_json()
        if bands is not None:
            _add_bands(document, bands)
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    console.print(comparison_table(comparison))
    if bands is not None:
        console.print(bands_table(comparison, bands))
    console.print(need_table(comparison))
    _print_bottlenecks(comparison)
    if out is not None:
        console.print(f"wrote {out}", highlight=False)


@app.command()
@handle_errors
def plan(
    scenario: ScenarioArg,
    proposal: Annotated[str, typer.Option("--proposal", "-p", help="Proposal id or name.")],
    json_out: JsonOpt = False,
    days: DaysOpt = None,
    slot_minutes: SlotOpt = None,
    out: OutOpt = None,
    schedule: Annotated[bool, typer.Option("--schedule/--no-schedule", help="Print the convoy and evacuation schedule.")] = True,
    window_value: WindowOpt = True,
    certify_seconds: Annotated[
        float,
        typer.Option(
            "--certify-seconds",
            help="Also prove a bound for whole-truck plans, tighter than the LP's, in at most this many seconds "
            "(the integer program itself; 0: skip). Only on the scenario's own grid.",
        ),
    ] = 0.0,
) -> None:
    """Plan one proposal: the best convoy and evacuation schedule, its KPIs, bound and gap."""
    from safepassage.evaluate.export import write_plan
    from safepassage.plan.colgen.choice import resolve_method
    from safepassage.scenario import load_scenario

    if not (math.isfinite(certify_seconds) and 0 <= certify_seconds <= 86_400):
        raise typer.BadParameter("give a number of seconds from 0 to 86400", param_hint="--certify-seconds")
    loaded = load_scenario(scenario)
    horizon = horizon_with(loaded, days, slot_minutes)
    if certify_seconds and (method := resolve_method(loaded, horizon, "auto", loaded.proposal(proposal))) != "lp":
        raise typer.BadParameter(
            f"this plan is too large for the scenario's own grid and is made by method {method!r}, where the "
            "whole-truck bound means nothing; leave --certify-seconds out",
            param_hint="--certify-seconds",
        )
    comparison = _compare_with_progress(loaded, [proposal], horizon, quiet=json_out, window_value=window_value, certify_s=certify_seconds)
    result = comparison.results[0]
    if out is not None:
        write_plan(result, out)
    if json_out:
        document = comparison.to_json()
        document["proposals"][0]["schedule"] = result.to_dict()["schedule"]
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    console.print(comparison_table(comparison))
    if result.integer_bound is not None:
        console.print(integer_bound_words(result), highlight=False)
    _print_bottlenecks(comparison)
    if schedule:
        _print_schedule(result)
    if out is not None:
        console.print(f"wrote {out}", highlight=False)


def integer_bound_words(result: PlanResult) -> str:
    """What ``--certify-seconds`` proved, in a sentence (``result.integer_bound`` must be set)."""
    proved = result.integer_bound
    if proved is None:
        raise ValueError("this plan was made without --certify-seconds: it has no whole-truck bound")
    if not proved.proved and proved.bound >= result.bound:
        return (
            f"Whole-truck bound: the program proved nothing tighter than the LP bound {result.bound:,.0f} person-days "
            f"in {proved.seconds:g} s (give it more time); this plan is within {proved.gap:.2%} of the LP bound."
        )
    how = "proved optimal" if proved.proved else f"time limit of {proved.seconds:g} s reached"
    return (
        f"Whole-truck bound {proved.bound:,.0f} person-days against the LP bound {result.bound:,.0f} ({how}): "
        f"no whole-truck plan is worth more, and this plan is within {proved.gap:.2%} of it."
    )


def _print_schedule(result: PlanResult, limit: int = 25) -> None:
    from safepassage.plan.result import iso

    convoys = Table(title=f"Convoys ({len(result.convoys)})", title_justify="left")
    for column in ("id", "departs", "route", "trucks", "cargo", "offloads"):
        convoys.add_column(column)
    for c in result.convoys[:limit]:
        convoys.add_row(c.id, iso(c.departs), " > ".join(c.route), str(c.trucks), ", ".join(f"{k} {v:g}" for k, v in c.cargo.items()), iso(c.arrives))
    console.print(convoys)
    if len(result.convoys) > limit:
        console.print(f"… {len(result.convoys) - limit} more convoys (use --out or --json for all)")
    if result.evacuations:
        moves = Table(title=f"Evacuation movements ({len(result.evacuations)})", title_justify="left")
        for column in ("id", "from zone", "departs", "corridor", "people", "arrives"):
            moves.add_column(column)
        for e in result.evacuations[:limit]:
            moves.add_row(e.id, e.origin_zone, iso(e.departs), " > ".join(e.corridor), f"{e.people:,}", iso(e.arrives))
        console.print(moves)


@app.command()
@handle_errors
def run(
    scenario: Annotated[str, typer.Argument(help="Scenario file or packaged name.")] = DEFAULT_SCENARIO,
    out: Annotated[Path, typer.Option("--out", help="Output folder for plans, summary and report.")] = Path("out"),
) -> None:
    """The main job: compare every proposal of the default scenario, print the table, write the plans."""
    from safepassage.evaluate import write_comparison
    from safepassage.evaluate.report import write_report
    from safepassage.scenario import load_scenario

    loaded = load_scenario(scenario)
    comparison = _compare_with_progress(loaded, None, loaded.horizon, quiet=False)
    target = write_comparison(comparison, out / loaded.name)
    report = write_report(comparison, target)
    console.print(comparison_table(comparison))
    console.print(need_table(comparison))
    _print_bottlenecks(comparison)
    console.print(f"plans and summary written to [bold]{target}[/]", highlight=False)
    console.print(f"report written to [bold]{report}[/]", highlight=False)


__all__ = ["comparison_table", "need_table", "EXIT_BAD_INPUT"]
