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
    public = {n for n, v in vars(safepassage).items() if not n.startswith("_") and (inspect.isclass(v) or inspect.isfunction(v))}
    assert public == set(safepassage.__all__)


def test_errors_are_one_family():
    for name in ("ScenarioError", "InfeasibleError", "SolverError", "UnknownProposalError"):
        assert issubclass(getattr(safepassage, name), safepassage.SafePassageError)
    assert issubclass(safepassage.ScenarioError, ValueError)
