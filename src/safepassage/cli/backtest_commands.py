"""``backtest``: predicted against observed for a historical episode (see evaluate/backtest.py)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from safepassage.cli.app import EXIT_BAD_INPUT, app, console, err_console, handle_errors

EpisodeArg = Annotated[
    str | None, typer.Argument(help="Episode YAML file, or the name of a shipped episode (see --list).")
]
ListOpt = Annotated[bool, typer.Option("--list", help="Name the shipped episodes and exit.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of the table.")]


@app.command()
@handle_errors
def backtest(episode: EpisodeArg = None, list_: ListOpt = False, as_json: JsonOpt = False) -> None:
    """Replay a historical episode: predicted against observed per outcome, the ratio, whether it falls
    in the band, and whether it is in-sample (a figure was fitted to this episode) or out-of-sample."""
    # Imported here: the planner (scipy, highspy, pydantic) loads only when a command needs it.
    from safepassage.evaluate.backtest import load_episode, run_backtest, shipped_episodes

    if list_:
        table = Table("episode", "title", "outcomes")
        for name in shipped_episodes():
            loaded, _ = load_episode(name)
            table.add_row(name, loaded.title, ", ".join(o.name for o in loaded.outcomes))
        console.print(table)
        return
    if episode is None:
        err_console.print(
            "[bold red]error:[/] give an episode name or file, or --list to see the shipped ones", highlight=False
        )
        raise typer.Exit(EXIT_BAD_INPUT)
    result = run_backtest(episode)
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=2))
        return
    table = Table(
        title=f"backtest {result.episode} — scenario {result.scenario}, proposal {result.proposal}",
        title_justify="left",
    )
    for column in ("outcome", "unit", "predicted", "observed", "ratio", "band", "in band", "sample"):
        table.add_column(column, justify="right" if column in ("predicted", "observed", "ratio", "band") else "left")
    for row in result.outcomes:
        table.add_row(
            row.name,
            row.unit,
            f"{row.predicted:,.1f}",
            f"{row.observed:,.1f}",
            f"{row.ratio:.2f}",
            f"×{row.band:g}",
            "yes" if row.in_band else "NO",
            "in-sample" if row.sample == "in" else "out-of-sample",
        )
    console.print(table)
    for calibration in result.calibrations:
        where = "this episode" if calibration.calibrated_on == result.episode else calibration.calibrated_on
        console.print(
            f"fitted: {calibration.figure} = {calibration.value:g} (calibrated_on: {where}; affects {', '.join(calibration.affects)})",
            highlight=False,
        )
