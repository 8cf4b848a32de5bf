"""Fit the departure model's base participation to one episode (how the shipped figure was made).

The fitted value goes into ``safepassage.behaviour.coefficients`` with ``calibrated_on`` naming the
episode; that episode's people outcomes are then reported in-sample by ``backtest``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

from safepassage.behaviour import departures
from safepassage.evaluate.backtest import episode_buses, episode_prediction, episode_scenario, load_episode
from safepassage.plan import plan_proposal
from safepassage.scenario.behaviour import Behaviour, Driver, ShareRange
from safepassage.scenario.episode import Episode
from safepassage.scenario.model import Scenario

__all__ = ["fit_base_participation", "setting_out_by_day", "willing_share_sensitivity"]


def fit_base_participation(
    ref: str | Path, low: float = 0.01, high: float = 0.99, steps: int = 10
) -> tuple[float, float]:
    """(base participation, predicted people/day) that matches the episode's people outcome (over its
    ``dates`` if it has them), by bisection (the prediction rises with participation). Raises ValueError if the episode has no
    people outcome."""
    episode, path = load_episode(ref)
    target = next((o for o in episode.outcomes if o.metric == "people_reached_safety_per_day"), None)
    if target is None:
        raise ValueError(f"episode {episode.id} has no people_reached_safety_per_day outcome to fit")
    scenario, proposal = episode_scenario(episode, path)
    behaviour = scenario.behaviour or Behaviour()

    def predicted(p0: float) -> float:
        fitted = behaviour.model_copy(update={"base_participation": ShareRange(value=p0, assumption="fit")})
        fitted_scenario = scenario.model_copy(update={"behaviour": fitted})
        plan = plan_proposal(fitted_scenario, proposal)
        return episode_prediction(plan, target, episode.days, episode_buses(fitted_scenario, proposal, episode))

    value = predicted(high)
    for _ in range(steps):
        mid = (low + high) / 2.0
        value = predicted(mid)
        if value < target.observed:
            low = mid
        else:
            high = mid
    return (low + high) / 2.0, value


def _with_behaviour(scenario: Scenario, willing_share: float, base: float) -> Scenario:
    behaviour = scenario.behaviour or Behaviour()
    drivers = behaviour.drivers.model_copy(
        update={"willing_share": Driver(value=willing_share, assumption="sensitivity")}
    )
    fitted = behaviour.model_copy(
        update={"drivers": drivers, "base_participation": ShareRange(value=base, assumption="sensitivity")}
    )
    return scenario.model_copy(update={"behaviour": fitted})


def setting_out_by_day(scenario: Scenario, proposal_id: str, episode: Episode) -> dict[str, float]:
    """People setting out per local day of the window they set out in (the departure model alone,
    before any capacity), over the episode's period."""
    start = episode.period.start.replace(tzinfo=None)
    by_day: dict[str, float] = defaultdict(float)
    for zone in departures(scenario, scenario.proposal(proposal_id), start, start + dt.timedelta(days=episode.days)):
        for window in zone.windows:
            by_day[window.start[:10]] += window.people
    return dict(by_day)


def _people_per_day(by_day: dict[str, float], episode: Episode, dates: list[str] | None) -> float:
    days = dates if dates is not None else sorted(by_day)
    return sum(by_day.get(d, 0.0) for d in days) / (len(dates) if dates is not None else episode.days)


def willing_share_sensitivity(
    fit_ref: str | Path, check_ref: str | Path, shares: list[float], steps: int = 20
) -> list[dict[str, float]]:
    """For each willing share m: the base chance refitted (bisection on the departure model alone) to
    the people outcome of ``fit_ref``, and predicted/observed of each people outcome of ``check_ref``
    with it — people setting out, before the corridor's capacity (docs/behaviour.md, "Why 15 Nov
    still misses"). Rows: ``{"willing_share", "base_participation", <outcome name>: ratio, ...}``."""
    fit_episode, fit_path = load_episode(fit_ref)
    check_episode, check_path = load_episode(check_ref)
    target = next((o for o in fit_episode.outcomes if o.metric == "people_reached_safety_per_day"), None)
    if target is None:
        raise ValueError(f"episode {fit_episode.id} has no people_reached_safety_per_day outcome to fit")
    fit_scenario, fit_proposal = episode_scenario(fit_episode, fit_path)
    check_scenario, check_proposal = episode_scenario(check_episode, check_path)
    target_dates = target.dates.iso_days() if target.dates is not None else None
    rows = []
    for share in shares:
        low, high = 0.001, 0.999
        for _ in range(steps):
            mid = (low + high) / 2.0
            by_day = setting_out_by_day(_with_behaviour(fit_scenario, share, mid), fit_proposal, fit_episode)
            if _people_per_day(by_day, fit_episode, target_dates) < target.observed:
                low = mid
            else:
                high = mid
        base = (low + high) / 2.0
        by_day = setting_out_by_day(_with_behaviour(check_scenario, share, base), check_proposal, check_episode)
        row = {"willing_share": share, "base_participation": base}
        for outcome in check_episode.outcomes:
            if outcome.metric == "people_reached_safety_per_day":
                dates = outcome.dates.iso_days() if outcome.dates is not None else None
                row[outcome.name] = _people_per_day(by_day, check_episode, dates) / outcome.observed
        rows.append(row)
    return rows
