"""Commands about uncertainty: ``simulate`` (Monte Carlo of one proposal's plan under disruption, fixed
or re-planned) and ``sensitivity`` (which uncertain figures drive the ranking of proposals)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from safepassage.cli.app import EXIT_BAD_INPUT, app, console, err_console, handle_errors
from safepassage.cli.options import DaysOpt, JsonOpt, horizon_with, progress_bar
from safepassage.cli.scenario_commands import ScenarioArg

if TYPE_CHECKING:  # numpy, the planner, SimPy and Dask load in the commands, not for --help
    from safepassage.simulate.montecarlo import MonteCarloResult

__all__ = ["simulate", "sensitivity"]

WorkersOpt = Annotated[int | None, typer.Option("--workers", min=0, help="Dask worker processes on a local cluster (default: one per core, at most 4); 0 runs in this process.")]
SchedulerOpt = Annotated[str | None, typer.Option("--scheduler", help="Use an existing Dask cluster at this address (tcp://HOST:PORT) instead of a local one.")]
DisruptionsOpt = Annotated[Path | None, typer.Option("--disruptions", help="YAML file of disruption probabilities and sizes (see docs/uncertainty.md); default: the documented defaults.")]






def _fmt(value: float | None, name: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if name.startswith("need_met"):
        return f"{value:.1%}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"


def _rows(result: MonteCarloResult) -> list[str]:
    """Metrics worth a row: the headline ones, and the others that are ever non-zero."""
    import numpy as np

    summary = result.summary()
    keep = []
    for j, name in enumerate(result.names):
        if "." not in name or np.nanmax(np.abs(np.nan_to_num(result.values[:, j]))) > 0 or (summary[name]["planned"] or 0) > 0:
            keep.append(name)
    return keep


def _table(title: str, fixed: MonteCarloResult, replanned: MonteCarloResult | None) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("KPI", "planned", "mean", "P10", "P50", "P90"):
        table.add_column(column, justify="left" if column == "KPI" else "right")
    if replanned is not None:
        for column in ("re-planned mean", "re-planned P50", "value of re-planning (mean)"):
            table.add_column(column, justify="right")
    fixed_summary = fixed.summary()
    replanned_summary = replanned.summary() if replanned is not None else {}
    for name in _rows(fixed):
        s = fixed_summary[name]
        cells = [name, _fmt(s["planned"], name), _fmt(s["mean"], name), _fmt(s["p10"], name), _fmt(s["p50"], name), _fmt(s["p90"], name)]
        if replanned is not None:
            r = replanned_summary[name]
            diff = None if r["mean"] is None or s["mean"] is None else r["mean"] - s["mean"]
            cells += [_fmt(r["mean"], name), _fmt(r["p50"], name), "—" if diff is None else f"{diff:+,.2f}" if abs(diff) < 100 else f"{diff:+,.0f}"]
        table.add_row(*cells)
    return table


@app.command()
@handle_errors
def simulate(
    scenario: ScenarioArg,
    proposal: Annotated[str, typer.Option("--proposal", "-p", help="Proposal id or name.")],
    runs: Annotated[int, typer.Option("--runs", "-n", min=1, help="Monte Carlo replications.")] = 200,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed: the same seed gives the same numbers with any number of workers.")] = 0,
    replan: Annotated[bool, typer.Option("--replan", help="Also run with re-planning at each observed disruption and report the value of re-planning.")] = False,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    disruptions: DisruptionsOpt = None,
    days: DaysOpt = None,
    slot_minutes: Annotated[int | None, typer.Option("--slot-minutes", min=1, max=1440, help="Slot length in minutes (default: the scenario's).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Execute a proposal's plan many times under disruption: KPIs as mean, P10, P50, P90."""
    from safepassage.evaluate.compare import default_workers
    from safepassage.plan import plan_proposal
    from safepassage.scenario import load_scenario
    from safepassage.simulate.disruptions import Disruptions, load_disruptions
    from safepassage.simulate.montecarlo import prepare_job, simulate_proposal

    loaded = load_scenario(scenario)
    chosen = loaded.proposal(proposal)
    settings = load_disruptions(disruptions) if disruptions is not None else Disruptions()
    horizon = horizon_with(loaded, days, slot_minutes)
    n_workers = default_workers() if workers is None else workers
    results: dict[str, MonteCarloResult] = {}
    with progress_bar(json_out) as progress:
        task = progress.add_task(f"planning [bold]{chosen.id}[/]", total=None)
        plan = plan_proposal(loaded, chosen.id, horizon=horizon)
        for policy in ("fixed", "replan") if replan else ("fixed",):
            job = prepare_job(loaded, chosen.id, horizon, settings, policy, plan=plan)  # type: ignore[arg-type]
            progress.update(task, description=f"simulating [bold]{chosen.id}[/] ({policy})", total=runs, completed=0)
            results[policy] = simulate_proposal(
                loaded, chosen.id, runs, seed, job=job, workers=n_workers, scheduler=scheduler,
                on_progress=lambda done, total: progress.update(task, completed=done),
            )
    fixed, replanned = results["fixed"], results.get("replan")
    if json_out:
        document = {"scenario": loaded.name, "proposal": chosen.id, "runs": runs, "seed": seed, "disruptions": settings.model_dump(), "fixed": fixed.to_json()}
        if replanned is not None:
            document["replan"] = replanned.to_json()
            document["value_of_replanning"] = {name: (None if replanned.summary()[name]["mean"] is None or fixed.summary()[name]["mean"] is None else replanned.summary()[name]["mean"] - fixed.summary()[name]["mean"]) for name in fixed.names}
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    where = scheduler or (f"{n_workers} Dask worker(s)" if n_workers else "this process")
    console.print(_table(f"{loaded.title} — {chosen.name}: {runs} runs, seed {seed}, on {where}", fixed, replanned))
    console.print(f"{runs / max(fixed.seconds, 1e-9) * 60:,.0f} replications per minute (fixed plan); rejected trucks return to their origin and queue again.", highlight=False)
    if replanned is not None:
        replans = replanned.column("replans")
        console.print(f"re-planning: {replans.mean():.2f} warm re-plans per run (at observed disruptions); {replanned.seconds:,.1f} s for {runs} runs.", highlight=False)


@app.command()
@handle_errors
def sensitivity(
    scenario: ScenarioArg,
    proposal: Annotated[list[str] | None, typer.Option("--proposal", "-p", help="Only these proposals (repeatable).")] = None,
    parameter: Annotated[list[str] | None, typer.Option("--parameter", help="Only these parameters (repeatable; default: every medium/low-confidence or assumed one with a range).")] = None,
    days: DaysOpt = None,
    slot_minutes: Annotated[int, typer.Option("--slot-minutes", min=1, max=1440, help="Slot length for the sweep's plans (coarser is faster; default 60).")] = 60,
    workers: WorkersOpt = None,
    chart: Annotated[Path, typer.Option("--chart", help="Where to save the tornado chart (PNG).")] = Path("sensitivity.png"),
    json_out: JsonOpt = False,
) -> None:
    """Vary each uncertain parameter over its range: how each proposal's KPIs move, and whether the ranking flips."""
    from safepassage.evaluate.compare import default_workers
    from safepassage.evaluate.sensitivity import sensitivity_analysis, tornado_chart
    from safepassage.scenario import load_scenario

    loaded = load_scenario(scenario)
    horizon = horizon_with(loaded, days, slot_minutes)
    n_workers = default_workers() if workers is None else max(workers, 1)
    with progress_bar(json_out) as progress:
        task = progress.add_task("planning the sweep", total=None)
        try:
            report = sensitivity_analysis(
                scenario, proposal, parameter, horizon, workers=n_workers,
                on_progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
        except ValueError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(EXIT_BAD_INPUT) from None
    saved = tornado_chart(report, chart) if report.parameters else None
    if json_out:
        document = report.to_json()
        document["chart"] = str(saved) if saved else None
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    table = Table(title=f"{loaded.title}: ranking {' > '.join(report.ranking)} (by planned value, person-days)", title_justify="left")
    for column in ("parameter", "range", "confidence", "ranking at low", "ranking at high", "closest neighbours", "margin left", "max value swing"):
        table.add_column(column, justify="left" if column in ("parameter", "ranking at low", "ranking at high", "confidence") else "right")
    for e in report.parameters:
        flag = "[bold red]" if e.ranking_changes else ""
        table.add_row(
            f"{flag}{e.name}", f"{e.low:g}–{e.high:g} {e.unit}", e.confidence,
            " > ".join(e.ranking_low) if e.ranking_low != report.ranking else "same", " > ".join(e.ranking_high) if e.ranking_high != report.ranking else "same",
            f"{e.closest_pair[0]} vs {e.closest_pair[1]}", f"{e.headroom:.0%}", f"{e.swing:.1%}",
        )
    console.print(table)
    flips = [e.name for e in report.parameters if e.verdict_changes]
    console.print(f"baseline margin, {report.ranking[0]} over {report.ranking[1] if len(report.ranking) > 1 else '—'}: {report.margin:,.0f} person-days", highlight=False)
    console.print(f"[bold]drivers:[/] {', '.join(report.drivers) or 'none'}", highlight=False)
    console.print("the best proposal changes with: " + (", ".join(flips) if flips else "no single parameter over its range"), highlight=False)
    if saved:
        console.print(f"tornado chart written to {saved}", highlight=False)
