"""One exception family for Safe Passage; each kind is a distinct failure a caller can act on."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "SafePassageError",
    "ScenarioError",
    "Problem",
    "InfeasibleError",
    "SolverError",
    "UnknownProposalError",
    "PlanInvariantError",
]


class SafePassageError(Exception):
    """Base of every error Safe Passage raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with input: where (``roads[3].to``), what, and how to fix it."""

    path: str
    message: str
    hint: str = ""
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        text = f"{where}{self.path}: {self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text


class ScenarioError(SafePassageError, ValueError):
    """The scenario (or a proposal in it) is invalid; ``problems`` lists every issue found."""

    def __init__(self, problems: list[Problem], source: str = "scenario") -> None:
        self.problems = list(problems)
        self.source = source
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{source}: {len(self.problems)} problem(s)\n{lines}")


class UnknownProposalError(SafePassageError, KeyError):
    """A proposal name was asked for that the scenario does not define."""

    def __str__(self) -> str:  # KeyError quotes its message; we want it plain
        return str(self.args[0]) if self.args else "unknown proposal"


class InfeasibleError(SafePassageError):
    """The planning model has no feasible solution (contradictory limits or demands)."""


class SolverError(SafePassageError):
    """HiGHS failed or stopped without a usable answer (time limit, numerical trouble)."""


class PlanInvariantError(SafePassageError):
    """The planner broke one of its own guarantees (e.g. an integer plan worth more than the LP bound).

    Not the user's fault: a bug to report. The plan is not returned, since it cannot be trusted."""
