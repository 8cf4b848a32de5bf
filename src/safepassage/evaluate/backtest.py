"""``backtest``: replay a historical episode through the planner and compare with what happened.

For each observed outcome: the plan's value of the same metric over the episode's period, the ratio
predicted/observed, and whether it lies within the outcome's band. An outcome is in-sample when a
figure it depends on was fitted to this episode (``calibrated_on``); otherwise it is out-of-sample.

>>> from safepassage.evaluate.backtest import shipped_episodes
>>> "gaza-truce-2023-11-24" in shipped_episodes()
True
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError

from safepassage.behaviour import COEFFICIENTS, replayed_proposal
from safepassage.errors import Problem, ScenarioError
from safepassage.plan import PlanResult, plan_proposal
from safepassage.plan.bus_schedule import bus_plan_for
from safepassage.plan.bus_trips import BusPlan
from safepassage.plan.result import Convoy
from safepassage.scenario.episode import Episode, ObservedOutcome
from safepassage.scenario.load import parse_scenario, resolve_scenario_path
from safepassage.scenario.model import Scenario

__all__ = [
    "BacktestOutcome",
    "BacktestResult",
    "Calibration",
    "episode_buses",
    "episode_prediction",
    "episode_scenario",
    "load_episode",
    "run_backtest",
    "shipped_episodes",
]

_EPISODES = "safepassage.scenario.builtin.episodes"


@dataclass(frozen=True)
class Calibration:
    """A figure fitted to an episode: what, its value, the episode, the outcome kinds it affects."""

    figure: str
    value: float
    calibrated_on: str
    affects: tuple[str, ...]


@dataclass(frozen=True)
class BacktestOutcome:
    """One row of the backtest (the keys of the ``--json`` document)."""

    name: str
    unit: str
    predicted: float
    observed: float
    ratio: float
    band: float
    in_band: bool
    sample: Literal["in", "out"]


@dataclass
class BacktestResult:
    """Predicted against observed for every outcome of an episode, with the calibrations it used."""

    episode: str
    scenario: str
    proposal: str
    outcomes: list[BacktestOutcome]
    calibrations: list[Calibration]
    plan: PlanResult
    buses: BusPlan | None = None  # the bus trips, when the scenario has a bus fleet

    def to_json(self) -> dict[str, Any]:
        """The documented ``--json`` document."""
        return {
            "episode": self.episode,
            "scenario": self.scenario,
            "proposal": self.proposal,
            "outcomes": [asdict(o) for o in self.outcomes],
        }


def shipped_episodes() -> list[str]:
    """Names of the episodes packaged with Safe Passage."""
    folder = resources.files(_EPISODES)
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def _episode_path(ref: str | Path) -> Path:
    path = Path(ref)
    if path.is_file():
        return path
    if isinstance(ref, str) and ref in shipped_episodes():
        return Path(str(resources.files(_EPISODES).joinpath(f"{ref}.yaml")))
    raise ScenarioError(
        [
            Problem(
                str(ref),
                "no such file and no shipped episode of that name",
                f"give an episode file path or one of: {', '.join(shipped_episodes())}",
            )
        ],
        str(ref),
    )


def load_episode(ref: str | Path) -> tuple[Episode, Path]:
    """The validated episode and its file; raises ``ScenarioError`` naming every bad field."""
    path = _episode_path(ref)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ScenarioError(
            [Problem(str(path), f"cannot read the episode: {exc}", "give a UTF-8 YAML file")], str(path)
        ) from exc
    if not isinstance(data, dict):
        raise ScenarioError(
            [
                Problem(
                    "(file)",
                    "an episode is a YAML mapping (id:, scenario:, period:, proposal:, outcomes:)",
                    "see docs/behaviour.md",
                )
            ],
            str(path),
        )
    try:
        return Episode.model_validate(data), path
    except ValidationError as exc:
        problems = [
            Problem(".".join(str(part) for part in err["loc"]) or "(episode)", err["msg"], _hint(err["loc"]))
            for err in exc.errors()
        ]
        raise ScenarioError(problems, str(path)) from None


def _hint(loc: tuple[Any, ...]) -> str:
    if "sources" in loc:
        return (
            "every observed figure needs sources: [{url: https://..., date: YYYY-MM-DD, confidence: high|medium|low}]"
        )
    return "see docs/behaviour.md (episode files)"


def episode_scenario(episode: Episode, episode_file: Path) -> tuple[Scenario, str]:
    """The scenario as it was during the episode (period, parameters, replaced sections, proposal) and
    the proposal id to plan. Raises ``UnknownProposalError`` for a proposal id the scenario lacks."""
    ref: str | Path = episode.scenario
    beside = episode_file.parent / episode.scenario
    if beside.is_file():
        ref = beside
    path = resolve_scenario_path(ref)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["horizon"] = {
        **(data.get("horizon") or {}),
        "start": episode.period.start.isoformat(),
        "days": episode.period.days,
    }
    parameters = dict(data.get("parameters") or {})
    for name, parameter in episode.parameters.items():
        parameters[name] = parameter.model_dump(
            mode="json", exclude={"calibrated_on", "affects"}, exclude_defaults=True
        )
    data["parameters"] = parameters
    data["sources"] = {
        **(data.get("sources") or {}),
        **{k: v.model_dump(mode="json") for k, v in episode.sources.items()},
    }
    for section, value in episode.replace.items():
        data[section] = value
    if isinstance(episode.proposal, str):
        proposal_id = episode.proposal
    else:
        proposal_id = episode.proposal.id
        others = [p for p in data.get("proposals") or [] if isinstance(p, dict) and p.get("id") != proposal_id]
        data["proposals"] = others + [episode.proposal.model_dump(mode="json", by_alias=True, exclude_defaults=True)]
    scenario = parse_scenario(
        yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
        source=f"{episode_file} (scenario {episode.scenario})",
    )
    proposal = scenario.proposal(proposal_id)
    replayed = replayed_proposal(proposal)
    if replayed is not proposal:
        scenario = scenario.model_copy(
            update={"proposals": [replayed if p.id == proposal.id else p for p in scenario.proposals]}
        )
    return scenario, proposal.id


def calibrations(episode: Episode) -> list[Calibration]:
    """Every fitted figure this episode's prediction uses: the model's coefficients and the episode's parameters."""
    out = [
        Calibration(f"behaviour.{name}", c.value, c.calibrated_on, ("people",))
        for name, c in COEFFICIENTS.items()
        if c.calibrated_on
    ]
    out += [
        Calibration(f"parameters.{name}", p.value, p.calibrated_on, tuple(p.affects))
        for name, p in episode.parameters.items()
        if p.calibrated_on
    ]
    return out


def _crossing_day(convoy: Convoy) -> str:
    """Local date a journey's trucks leave their (first) crossing; its departure if none is named."""
    for leg in convoy.legs:
        if leg.from_place in convoy.crossings:
            return leg.departs.date().isoformat()
    return convoy.departs.date().isoformat()


def episode_prediction(plan: PlanResult, outcome: ObservedOutcome, days: float, buses: BusPlan | None = None) -> float:
    """The plan's value of ``outcome``'s metric per day: over the whole period, or over the outcome's
    ``dates`` (people by the local day they reach safety, trucks by the day they cross or offload).
    People reaching safety count those on foot (the plan) and those carried by ``buses`` (the bus
    trips, less the share detained or turned back)."""
    kpis = plan.kpis
    metric, commodities = outcome.metric, outcome.commodities
    if outcome.dates is not None:
        wanted = set(outcome.dates.iso_days())
        if metric == "people_reached_safety_per_day":
            total = sum(float(n) for day, n in kpis.safe_by_day.items() if day in wanted)
            if buses is not None:
                total += sum(t.people - t.detained_or_turned_back for t in buses.trips if t.arrives.date().isoformat() in wanted)
        elif metric == "quantity_arrived_per_day":
            kinds = set(commodities or [])
            total = sum(
                q for c in plan.convoys if c.arrives.date().isoformat() in wanted for k, q in c.cargo.items() if k in kinds
            )
        else:
            day_of = _crossing_day if metric == "trucks_crossed_per_day" else (lambda c: c.arrives.date().isoformat())
            total = sum(
                float(n)
                for c in plan.convoys
                if day_of(c) in wanted
                for k, n in c.cargo_trucks.items()
                if not commodities or k in commodities
            )
        return total / outcome.dates.days
    if metric == "people_reached_safety_per_day":
        by_bus = buses.people_reached_safety if buses is not None else 0.0
        return (kpis.people_reached_safety + by_bus) / days
    tables: dict[str, dict[str, float]] = {
        "trucks_crossed_per_day": {k: float(v) for k, v in kpis.trucks_crossed.items()},
        "trucks_arrived_per_day": {k: float(v) for k, v in kpis.trucks_arrived.items()},
        "quantity_arrived_per_day": dict(kpis.quantity_arrived),
    }
    table = tables[metric]
    chosen = commodities if commodities else list(table)
    return sum(float(table.get(c, 0.0)) for c in chosen) / days


def episode_buses(scenario: Scenario, proposal_id: str, episode: Episode) -> BusPlan | None:
    """The bus trips over the episode's period (None without a bus fleet)."""
    start = episode.period.start.replace(tzinfo=None)
    return bus_plan_for(scenario, scenario.proposal(proposal_id), start, start + dt.timedelta(days=episode.days))


def run_backtest(ref: str | Path, time_limit_s: float | None = None) -> BacktestResult:
    """Plan the episode's proposal over its period and compare every observed outcome."""
    episode, path = load_episode(ref)
    scenario, proposal_id = episode_scenario(episode, path)
    commodity_ids = {c.id for c in scenario.commodities}
    problems = [
        Problem(f"outcomes[{i}].commodities", f"unknown commodity '{c}'", f"known: {', '.join(sorted(commodity_ids))}")
        for i, o in enumerate(episode.outcomes)
        for c in (o.commodities or [])
        if c not in commodity_ids
    ]
    if problems:
        raise ScenarioError(problems, str(path))
    plan = plan_proposal(scenario, proposal_id, time_limit_s=time_limit_s)
    buses = episode_buses(scenario, proposal_id, episode)
    fitted = calibrations(episode)
    rows = []
    for outcome in episode.outcomes:
        predicted = episode_prediction(plan, outcome, episode.days, buses)
        ratio = predicted / outcome.observed
        in_sample = any(c.calibrated_on == episode.id and outcome.kind in c.affects for c in fitted)
        rows.append(
            BacktestOutcome(
                name=outcome.name,
                unit=outcome.unit or outcome.metric,
                predicted=round(predicted, 3),
                observed=outcome.observed,
                ratio=round(ratio, 4),
                band=outcome.band,
                in_band=bool(1.0 / outcome.band <= ratio <= outcome.band),
                sample="in" if in_sample else "out",
            )
        )
    return BacktestResult(episode.id, scenario.name, proposal_id, rows, fitted, plan, buses)
