"""The public API is what ``__all__`` says: every name there exists, and nothing public is missing."""

from __future__ import annotations

import importlib
import inspect

import pytest

import safepassage

PACKAGES = ["safepassage", "safepassage.scenario", "safepassage.plan", "safepassage.evaluate"]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_names_exist(name):
    module = importlib.import_module(name)
    for exported in module.__all__:
        assert hasattr(module, exported), f"{name}.{exported} is in __all__ but missing"


def test_top_level_exports_the_workflow():
    # The exports load on first use (PEP 562): list them through dir() and getattr, not vars().
    public = {n for n in dir(safepassage) if not n.startswith("_") and (inspect.isclass(getattr(safepassage, n)) or inspect.isfunction(getattr(safepassage, n)))}
    assert public == set(safepassage.__all__)


def test_errors_are_one_family():
    for name in ("ScenarioError", "InfeasibleError", "SolverError", "UnknownProposalError"):
        assert issubclass(getattr(safepassage, name), safepassage.SafePassageError)
    assert issubclass(safepassage.ScenarioError, ValueError)


def test_the_command_line_starts_without_the_planner():
    """``safepassage --help`` and ``validate`` need neither HiGHS, scipy, Dask, FastAPI nor SQLAlchemy:
    importing the CLI must not load them (they made every start take seconds)."""
    import subprocess
    import sys

    code = (
        "import sys; import safepassage.cli; "
        "heavy = ['highspy', 'scipy', 'dask', 'fastapi', 'sqlalchemy', 'matplotlib', 'simpy', 'safepassage.plan', 'pydantic']; "
        "print(' '.join(m for m in heavy if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert loaded == [], f"importing safepassage.cli loaded {loaded}"
