"""The ``safepassage`` command line (Typer + Rich). One module per command group registers on ``app``."""

from __future__ import annotations

from safepassage.cli.app import app, main
from safepassage.cli import plan_commands, scenario_commands  # noqa: F401  (register commands)

__all__ = ["app", "main"]
