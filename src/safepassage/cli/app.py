"""The Typer application, shared consoles, and error handling with stable exit codes.

Exit codes: 0 success; 2 bad input (invalid scenario, unknown proposal, bad option); 3 no feasible
plan; 4 solver failure; 5 other Safe Passage errors.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console

from safepassage.errors import InfeasibleError, SafePassageError, ScenarioError, SolverError, UnknownProposalError

__all__ = ["app", "main", "console", "err_console", "handle_errors", "EXIT_BAD_INPUT"]

EXIT_BAD_INPUT = 2
EXIT_INFEASIBLE = 3
EXIT_SOLVER = 4
EXIT_OTHER = 5

app = typer.Typer(
    name="safepassage",
    help="Plan, coordinate and verify humanitarian pauses: evaluate proposals, plan convoys and evacuations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Tables are wide (one column per commodity): when output is not a terminal (pipes, CI logs, tests)
# Rich would fold them to 80 columns, so give it room.
console = Console(width=None if Console().is_terminal else 160)
err_console = Console(stderr=True, soft_wrap=True)  # error lines stay whole: users grep them

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(func: F) -> F:
    """Turn Safe Passage errors into a clear message on stderr and the documented exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ScenarioError as exc:
            err_console.print(f"[bold red]error:[/] {exc.source}: {len(exc.problems)} problem(s)", highlight=False)
            for problem in exc.problems:
                where = f"line {problem.line}: " if problem.line else ""
                err_console.print(f"  - {where}[bold]{problem.path}[/]: {problem.message}", highlight=False, markup=True)
                if problem.hint:
                    err_console.print(f"      hint: {problem.hint}", highlight=False, markup=False)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except UnknownProposalError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except InfeasibleError as exc:
            err_console.print(f"[bold red]no feasible plan:[/] {exc}", highlight=False)
            raise typer.Exit(EXIT_INFEASIBLE) from None
        except SolverError as exc:
            err_console.print(f"[bold red]solver failed:[/] {exc}", highlight=False)
            raise typer.Exit(EXIT_SOLVER) from None
        except SafePassageError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(EXIT_OTHER) from None

    return wrapper  # type: ignore[return-value]


def main() -> None:
    """Console-script entry point."""
    app(prog_name="safepassage")


if __name__ == "__main__":  # pragma: no cover
    main()
