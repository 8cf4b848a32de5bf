"""Write plans and comparisons to a folder: JSON and CSV, all or nothing.

Layout::

    OUT/summary.json               the comparison document (same as `compare --json`)
    OUT/comparison.csv             one row per proposal
    OUT/need_met.csv               proposal, zone, commodity, share of need met
    OUT/<proposal>/plan.json       the full plan: KPIs, bottlenecks, schedule
    OUT/<proposal>/convoys.csv     one row per convoy
    OUT/<proposal>/evacuations.csv one row per evacuation movement

Files are written into a temporary folder next to ``OUT`` and moved into place at the end, so an
interrupted run never leaves a half-written output folder.
"""

from __future__ import annotations

import csv
import json
import shutil
import tempfile
from pathlib import Path

from safepassage.evaluate.compare import Comparison
from safepassage.plan import PlanResult
from safepassage.plan.result import iso

__all__ = ["write_comparison", "write_plan"]


def _write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def write_plan(result: PlanResult, folder: Path) -> None:
    """The plan's JSON and its schedule as CSV into ``folder`` (created)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "plan.json").write_text(json.dumps(result.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
    commodities = sorted({c for convoy in result.convoys for c in convoy.cargo})
    _write_csv(
        folder / "convoys.csv",
        ["convoy", "origin", "destination", "zone", "departs", "arrives", "trucks", "route", "crossings", "requires_pause"] + [f"cargo_{c}" for c in commodities],
        [
            [c.id, c.origin, c.destination, c.zone, iso(c.departs), iso(c.arrives), c.trucks, " > ".join(c.route), " ".join(c.crossings), c.requires_pause]
            + [c.cargo.get(k, 0) for k in commodities]
            for c in result.convoys
        ],
    )
    _write_csv(
        folder / "evacuations.csv",
        ["movement", "origin_zone", "corridor", "departs", "arrives", "people", "destination", "destination_zone", "requires_pause"],
        [[e.id, e.origin_zone, " > ".join(e.corridor), iso(e.departs), iso(e.arrives), e.people, e.destination, e.destination_zone, e.requires_pause] for e in result.evacuations],
    )


def write_comparison(comparison: Comparison, out: Path) -> Path:
    """Write the comparison and every plan under ``out`` (replaced atomically); returns ``out``."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        (staging / "summary.json").write_text(json.dumps(comparison.to_json(), indent=2, ensure_ascii=False), encoding="utf-8")
        commodities = [c.id for c in comparison.scenario.commodities]
        _write_csv(
            staging / "comparison.csv",
            ["proposal", "trucks_crossed", "trucks_arrived", "people_reached_safety", "hours_to_50pct_safe", "hours_to_90pct_safe", "objective", "bound", "gap", "top_bottleneck"]
            + [f"tonnes_{c}" for c in commodities],
            [
                [r.proposal, sum(r.kpis.trucks_crossed.values()), r.kpis.total_trucks_arrived, r.kpis.people_reached_safety, r.kpis.hours_to_50pct_safe, r.kpis.hours_to_90pct_safe,
                 round(r.objective, 3), round(r.bound, 3), round(r.gap, 6), f"{r.bottlenecks[0].kind}:{r.bottlenecks[0].id}" if r.bottlenecks else ""]
                + [r.kpis.tonnes_arrived.get(c, 0.0) for c in commodities]
                for r in comparison.results
            ],
        )
        _write_csv(
            staging / "need_met.csv",
            ["proposal", "zone", "commodity", "share_of_need_met"],
            [[r.proposal, zone, commodity, share] for r in comparison.results for zone, shares in r.kpis.need_met.items() for commodity, share in shares.items()],
        )
        for result in comparison.results:
            write_plan(result, staging / result.proposal)
        if out.exists():
            backup = out.with_name(f".{out.name}.old")
            shutil.rmtree(backup, ignore_errors=True)
            out.rename(backup)
            staging.rename(out)
            shutil.rmtree(backup, ignore_errors=True)
        else:
            staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out
