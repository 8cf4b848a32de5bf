"""The ``safepassage`` command line (Typer + Rich). One module per command group registers on ``app``."""

from __future__ import annotations

from safepassage.cli.app import app, main
from safepassage.cli import plan_commands, scenario_commands  # noqa: F401  (register commands)
from safepassage.cli import service_commands  # noqa: F401  (serve, audit)
from safepassage.cli import interop_commands  # noqa: F401  (register commands: import-hxl, export, report)
from safepassage.cli import simulate_commands  # noqa: F401  (simulate, sensitivity)
from safepassage.cli import notify_commands  # noqa: F401  (notify)

__all__ = ["app", "main"]
