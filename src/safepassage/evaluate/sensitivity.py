"""Sensitivity of the verdict: which uncertain figure would have to be wrong for the ranking of
proposals to change?

Every parameter of the scenario marked ``assumption`` or of ``medium``/``low`` confidence, with a
stated range, is set in turn to its ``low`` and its ``high`` (all else at its value), every proposal
is planned again, and the KPIs and the ranking (by planned value, person-days) are compared with the
baseline. Parameters are ordered by how close they bring two neighbouring proposals of the ranking to
swapping (``headroom``: the smallest share of a neighbouring pair's margin left, below 0 when they
swap), then by how far they move any proposal's value: the top of the list drives the result.

>>> from safepassage.scenario import load_scenario
>>> report = sensitivity_analysis("tests/scenarios/tiny.yaml")  # tiny has no parameters
>>> report.parameters
[]
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

from safepassage.plan import plan_proposal
from safepassage.scenario import load_scenario
from safepassage.scenario.model import Confidence, Horizon, Scenario

__all__ = ["SensitivityReport", "ParameterEffect", "PlannedFigures", "uncertain_parameters", "uncertain_ranges", "sensitivity_analysis", "tornado_chart"]

UNCERTAIN = (Confidence.medium, Confidence.low, Confidence.assumption)


class PlannedFigures(TypedDict):
    """What one plan delivers, as compared across the sweep: value (person-days), trucks, tonnes, people."""

    value: float
    trucks_arrived: float
    tonnes_arrived: float
    people_reached_safety: float


FiguresByProposal = dict[str, PlannedFigures]  # proposal -> its figures


def uncertain_ranges(scenario: Scenario) -> dict[str, tuple[float, float]]:
    """(low, high) of every parameter of medium or low confidence, or assumption, whose range is wider than a point."""
    return {
        name: (float(p.low), float(p.high)) for name, p in scenario.parameters.items()
        if p.confidence in UNCERTAIN and p.low is not None and p.high is not None and p.high > p.low
    }


def uncertain_parameters(scenario: Scenario) -> list[str]:
    """Parameters of medium or low confidence, or assumptions, whose range is wider than a point."""
    return list(uncertain_ranges(scenario))


def _kpis(ref: str, overrides: dict[str, float], proposal: str, horizon: Horizon | None, threads: int | None = None) -> PlannedFigures:
    scenario = load_scenario(ref, overrides=overrides)
    if horizon is not None:
        horizon = scenario.horizon.model_copy(update={k: v for k, v in horizon.model_dump().items() if k != "start"})
    result = plan_proposal(scenario, proposal, horizon=horizon, bottlenecks=0, threads=threads)
    return PlannedFigures(
        value=float(result.objective), trucks_arrived=float(result.kpis.total_trucks_arrived),
        tonnes_arrived=float(sum(result.kpis.tonnes_arrived.values())), people_reached_safety=float(result.kpis.people_reached_safety),
    )


@dataclass
class ParameterEffect:
    """One parameter at its low and high: each proposal's KPIs, the ranking, and what changed."""

    name: str
    value: float
    low: float
    high: float
    unit: str
    confidence: str
    kpis_low: FiguresByProposal
    kpis_high: FiguresByProposal
    ranking_low: list[str]
    ranking_high: list[str]
    ranking_changes: bool
    verdict_changes: bool  # the best proposal is another one
    margin_low: float  # value(best at baseline) - value(runner-up at baseline), parameter at low
    margin_high: float
    swing: float  # largest relative change of any proposal's value
    headroom: float  # smallest margin left between neighbours of the baseline ranking, as a share of its baseline margin (< 0: they swap)
    closest_pair: tuple[str, str]  # the neighbours with that smallest margin

    def to_json(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


@dataclass
class SensitivityReport:
    """Baseline KPIs and ranking, and one ``ParameterEffect`` per uncertain parameter (drivers first)."""

    scenario: str
    proposals: list[str]
    baseline: FiguresByProposal
    ranking: list[str]
    margin: float
    parameters: list[ParameterEffect] = field(default_factory=list)

    @property
    def drivers(self) -> list[str]:
        """Parameters that flip the ranking, then the three that move value most (if not already named)."""
        flips = [p.name for p in self.parameters if p.ranking_changes]
        rest = [p.name for p in self.parameters if p.name not in flips][:3]
        return flips + rest

    def to_json(self) -> dict[str, object]:
        return {
            "scenario": self.scenario, "proposals": self.proposals, "ranking": self.ranking, "margin": self.margin,
            "baseline": self.baseline, "drivers": self.drivers, "parameters": [p.to_json() for p in self.parameters],
        }


def _ranking(kpis: FiguresByProposal) -> list[str]:
    return sorted(kpis, key=lambda p: -kpis[p]["value"])


def sensitivity_analysis(
    scenario_ref: str | Path,
    proposals: list[str] | None = None,
    parameters: list[str] | None = None,
    horizon: Horizon | None = None,
    workers: int = 1,
    on_progress: Callable[[int, int], None] | None = None,
) -> SensitivityReport:
    """Plan every proposal at the baseline and with each uncertain parameter at its low and high.

    ``parameters`` restricts the sweep (names must be uncertain parameters of the scenario: ValueError
    otherwise); ``horizon`` plans on another horizon (e.g. 60-minute slots, for speed); ``workers`` > 1
    plans in that many processes. ``on_progress(done, total)`` counts plans."""
    ref = str(scenario_ref)
    scenario = load_scenario(ref)
    chosen = proposals or [p.id for p in scenario.proposals]
    for proposal in chosen:
        scenario.proposal(proposal)
    ranges = uncertain_ranges(scenario)
    names = list(ranges)
    if parameters:
        unknown = [p for p in parameters if p not in names]
        if unknown:
            raise ValueError(f"not an uncertain parameter of {scenario.name}: {', '.join(unknown)}; uncertain ones: {', '.join(names) or 'none'}")
        names = list(parameters)
    tasks: list[tuple[str | None, str, dict[str, float], str]] = [(None, "base", {}, p) for p in chosen]
    for name in names:
        tasks += [(name, "low", {name: ranges[name][0]}, p) for p in chosen]
        tasks += [(name, "high", {name: ranges[name][1]}, p) for p in chosen]
    results: list[PlannedFigures] = []
    if workers > 1 and len(tasks) > 1:
        with ProcessPoolExecutor(max_workers=min(workers, os.cpu_count() or 1, len(tasks))) as pool:
            futures = [pool.submit(_kpis, ref, overrides, proposal, horizon, 1) for _, _, overrides, proposal in tasks]  # one thread per process
            for i, future in enumerate(futures):
                results.append(future.result())
                if on_progress:
                    on_progress(i + 1, len(tasks))
    else:
        for i, (_, _, overrides, proposal) in enumerate(tasks):
            results.append(_kpis(ref, overrides, proposal, horizon))
            if on_progress:
                on_progress(i + 1, len(tasks))
    table: dict[tuple[str | None, str], FiguresByProposal] = {}
    for (swept, side, _, proposal), kpis in zip(tasks, results):
        table.setdefault((swept, side), {})[proposal] = kpis
    baseline = table[(None, "base")]
    ranking = _ranking(baseline)
    best, second = (ranking + [ranking[0]])[:2] if ranking else ("", "")

    def margin(kpis: FiguresByProposal) -> float:
        return kpis[best]["value"] - kpis[second]["value"] if best and second and best != second else 0.0

    def headroom(sides: tuple[FiguresByProposal, ...]) -> tuple[float, tuple[str, str]]:
        """Smallest share of a neighbouring pair's baseline margin left at low or high (1: unchanged)."""
        found = (float("inf"), ("", ""))
        for a, b in zip(ranking, ranking[1:]):
            base = baseline[a]["value"] - baseline[b]["value"]
            for side in sides:
                share = (side[a]["value"] - side[b]["value"]) / base if base > 1e-9 else (0.0 if side[a]["value"] < side[b]["value"] else 1.0)
                if share < found[0]:
                    found = (share, (a, b))
        return found if found[0] != float("inf") else (1.0, ("", ""))

    effects = []
    for name in names:
        entry = scenario.parameters[name]
        low, high = table[(name, "low")], table[(name, "high")]
        rank_low, rank_high = _ranking(low), _ranking(high)
        swing = max(
            (abs(side[p]["value"] - baseline[p]["value"]) / max(abs(baseline[p]["value"]), 1e-9) for side in (low, high) for p in chosen),
            default=0.0,
        )
        effects.append(ParameterEffect(
            name=name, value=entry.value, low=ranges[name][0], high=ranges[name][1], unit=entry.unit, confidence=entry.confidence.value,
            kpis_low=low, kpis_high=high, ranking_low=rank_low, ranking_high=rank_high,
            ranking_changes=rank_low != ranking or rank_high != ranking, verdict_changes=rank_low[:1] != ranking[:1] or rank_high[:1] != ranking[:1],
            margin_low=margin(low), margin_high=margin(high), swing=swing, headroom=headroom((low, high))[0], closest_pair=headroom((low, high))[1],
        ))
    base_margin = margin(baseline)
    # Drivers first: what swaps two proposals, then what comes closest to it, then what moves value most.
    effects.sort(key=lambda e: (not e.ranking_changes, round(e.headroom, 6), -e.swing))
    return SensitivityReport(scenario.name, chosen, baseline, ranking, base_margin, effects)


def tornado_chart(report: SensitivityReport, path: str | Path, top: int = 15) -> Path:
    """Save a tornado chart (PNG): per parameter (drivers at the top), the margin left between the two
    neighbouring proposals it brings closest to swapping, and the best proposal's value, at its low and high."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    effects = report.parameters[:top][::-1]
    best = report.ranking[0] if report.ranking else ""
    fig, axes = plt.subplots(1, 2, figsize=(13, 0.45 * max(len(effects), 3) + 1.8), sharey=True)
    labels = [f"{e.name} [{e.low:g}–{e.high:g}]" + (" ⇄" if e.ranking_changes else "") for e in effects]
    y = range(len(effects))
    def pair_share(e: ParameterEffect, side: FiguresByProposal) -> float:
        a, b = e.closest_pair
        if not a:
            return 100.0
        base = report.baseline[a]["value"] - report.baseline[b]["value"]
        return 100.0 * (side[a]["value"] - side[b]["value"]) / base if base > 1e-9 else 0.0

    panels = (
        ("margin left between the closest neighbours (% of baseline; < 0: they swap)", 100.0, lambda e: (pair_share(e, e.kpis_low), pair_share(e, e.kpis_high))),
        (f"value of {best} (person-days)", report.baseline[best]["value"] if best in report.baseline else 0.0, lambda e: (e.kpis_low[best]["value"], e.kpis_high[best]["value"])),
    )
    for i, (ax, (title, base, get)) in enumerate(zip(axes, panels)):
        lows = [get(e)[0] - base for e in effects]
        highs = [get(e)[1] - base for e in effects]
        ax.barh(list(y), lows, left=base, color="#4878a8", label="at low")
        ax.barh(list(y), highs, left=base, color="#d1814a", label="at high", alpha=0.8)
        ax.axvline(base, color="black", linewidth=0.8)
        if i == 0:
            ax.axvline(0, color="red", linewidth=0.8, linestyle="--")
            for j, e in enumerate(effects):
                ax.annotate(f"{e.closest_pair[0]} vs {e.closest_pair[1]}", (base, j), xytext=(4, -3), textcoords="offset points", fontsize=6, color="#444444")
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=8, loc="lower right")
    axes[0].set_yticks(list(y))
    axes[0].set_yticklabels(labels, fontsize=8)
    fig.suptitle(f"{report.scenario}: sensitivity of the ranking {' > '.join(report.ranking)} (⇄: ranking changes)", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
