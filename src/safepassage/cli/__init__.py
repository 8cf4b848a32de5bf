"""The ``safepassage`` command line (Typer + Rich). One module per command group registers on ``app``."""

from __future__ import annotations

from safepassage.cli import (  # noqa: F401  (register commands)
    backtest_commands,  # noqa: F401  (backtest)
    interop_commands,  # noqa: F401  (register commands: import-hxl, export, report)
    notify_commands,  # noqa: F401  (notify)
    plan_commands,
    scenario_commands,
    service_commands,  # noqa: F401  (serve, audit)
    simulate_commands,  # noqa: F401  (simulate, sensitivity)
)
from safepassage.cli.app import app, main

__all__ = ["app", "main"]
