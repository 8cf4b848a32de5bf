"""Commands about scenarios: ``validate``, ``schema``, ``scenarios``."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from safepassage.cli.app import app, console, err_console, handle_errors
from safepassage.scenario import Scenario, builtin_scenarios, load_scenario
from safepassage.scenario.checks import scenario_warnings

ScenarioArg = Annotated[str, typer.Argument(help="Scenario YAML file, or the name of a packaged scenario (see `safepassage scenarios`).")]


@app.command()
@handle_errors
def validate(scenario: ScenarioArg) -> None:
    """Check a scenario and report every problem at once (exit 2 if any), and warn about figures that
    are allowed but probably wrong (exit 0)."""
    loaded = load_scenario(scenario)
    for warning in scenario_warnings(loaded):
        err_console.print(f"[bold yellow]warning:[/] [bold]{warning.path}[/]: {warning.message}", highlight=False)
        if warning.hint:
            err_console.print(f"      hint: {warning.hint}", highlight=False, markup=False)
    console.print(
        f"[green]valid:[/] {loaded.name} — {len(loaded.places)} places, {len(loaded.roads)} roads, {len(loaded.zones)} zones, "
        f"{len(loaded.commodities)} commodities, {len(loaded.proposals)} proposals",
        highlight=False,
    )


@app.command()
def schema() -> None:
    """Print the scenario JSON Schema (for editors and validators)."""
    document = Scenario.model_json_schema(by_alias=True)
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "Safe Passage scenario"
    typer.echo(json.dumps(document, indent=2))


@app.command()
@handle_errors
def scenarios() -> None:
    """List the packaged scenarios (their names work wherever a scenario FILE is asked for)."""
    table = Table("name", "title", "proposals")
    for name in builtin_scenarios():
        loaded = load_scenario(name)
        table.add_row(name, loaded.title, ", ".join(p.id for p in loaded.proposals))
    console.print(table)
