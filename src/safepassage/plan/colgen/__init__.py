"""Column generation for planning LPs too large to write down whole (the 500-place week): see
``master.py`` for the method, ``pricing.py`` for the bound and why it is certified."""

from safepassage.plan.colgen.master import ColumnGeneration, solve_by_columns

__all__ = ["ColumnGeneration", "solve_by_columns"]
