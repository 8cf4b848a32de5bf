"""Evaluate proposals side by side, and export plans and comparisons."""

from safepassage.evaluate.compare import Comparison, compare_proposals
from safepassage.evaluate.export import write_comparison

__all__ = ["Comparison", "compare_proposals", "write_comparison"]
