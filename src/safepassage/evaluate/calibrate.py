"""Fit the departure model's base participation to one episode (how the shipped figure was made).

The fitted value goes into ``safepassage.behaviour.coefficients`` with ``calibrated_on`` naming the
episode; that episode's people outcomes are then reported in-sample by ``backtest``.
"""

from __future__ import annotations

from pathlib import Path

from safepassage.evaluate.backtest import episode_buses, episode_prediction, episode_scenario, load_episode
from safepassage.plan import plan_proposal
from safepassage.scenario.behaviour import Behaviour, ShareRange

__all__ = ["fit_base_participation"]


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
