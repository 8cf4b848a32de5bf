"""Options and helpers shared by the command groups (one definition each)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from safepassage.cli.app import err_console
from safepassage.scenario import Scenario
from safepassage.scenario.model import Horizon

__all__ = ["JsonOpt", "DaysOpt", "SlotOpt", "OutOpt", "horizon_with", "progress_bar"]

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document to stdout instead of tables.")]
DaysOpt = Annotated[float | None, typer.Option("--days", min=0.25, max=60, help="Horizon length in days (default: the scenario's).")]
SlotOpt = Annotated[int | None, typer.Option("--slot-minutes", min=1, max=1440, help="Slot length in minutes (default: the scenario's).")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Write plans (JSON, CSV) and the summary into this folder.")]


def horizon_with(scenario: Scenario, days: float | None, slot_minutes: int | None) -> Horizon:
    """The scenario's horizon with the days and slot length the user gave, if any; warns on stderr
    when the longer horizon runs past a proposal's windows (they are not stretched)."""
    from safepassage.scenario.checks import horizon_warnings

    update = {k: v for k, v in (("days", days), ("slot_minutes", slot_minutes)) if v is not None}
    horizon = scenario.horizon.model_copy(update=update)
    for warning in horizon_warnings(scenario, horizon):
        err_console.print(f"[bold yellow]warning:[/] {warning.message} (hint: {warning.hint})", highlight=False)
    return horizon


def progress_bar(quiet: bool) -> Progress:
    """A Rich progress bar on stderr with elapsed time and an estimate of the time left."""
    return Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(), console=err_console, disable=quiet, transient=True,
    )
