"""Pause windows as the outside world sees them: time-zone-aware occurrences and what each one covers.

The rule itself lives in ``safepassage.scenario.coverage`` (one rule for the planner, the simulation
and every format); this module re-exports it under the names the interop formats use.
"""

from __future__ import annotations

from safepassage.scenario.coverage import WindowOccurrence, aware, covered_roads, notified_zone_ids, window_occurrences

__all__ = ["WindowOccurrence", "covered_roads", "covered_zones", "window_occurrences", "aware"]

covered_zones = notified_zone_ids
