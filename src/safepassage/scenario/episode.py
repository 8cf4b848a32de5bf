"""An episode: a historical period replayed through the planner and compared with what happened.

An episode names a scenario (packaged name or a path relative to the episode file), the period (used
as the planning horizon), the proposal as it was (an id in the scenario or written inline, with replay
facts), parameter values for that period (each sourced), and observed outcomes, each a figure with its
source URL, date and confidence. A parameter fitted to an episode says so (``calibrated_on``); outcomes
of that episode that depend on it are reported in-sample, never as validation.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from safepassage.scenario.model import Confidence, Horizon, Parameter, Proposal, Source

__all__ = ["Episode", "ObservedOutcome", "OutcomeDates", "OutcomeSource", "EpisodeParameter", "METRICS"]

Id = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$", min_length=1, max_length=64)]

# metric -> (kind it depends on, default unit)
METRICS: dict[str, tuple[str, str]] = {
    "people_reached_safety_per_day": ("people", "people/day"),
    "trucks_crossed_per_day": ("trucks", "trucks/day"),
    "trucks_arrived_per_day": ("trucks", "trucks/day"),
    "quantity_arrived_per_day": ("cargo", "unit/day"),
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class OutcomeSource(_Model):
    """Where an observed figure comes from."""

    url: Annotated[str, Field(pattern=r"^https?://\S+$")]
    date: str = Field(min_length=1)
    confidence: Confidence
    note: str = ""


class OutcomeDates(_Model):
    """The local days an observed figure covers, ``first`` to ``last`` inclusive (both within the
    episode's period): the plan's figure is then counted over those days only, so that a figure
    observed on later days can be checked against a plan that starts earlier (the days before shape
    who is left and how much people trust the windows)."""

    first: dt.date
    last: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> OutcomeDates:
        if self.last < self.first:
            raise ValueError(f"last ({self.last}) is before first ({self.first})")
        return self

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def iso_days(self) -> list[str]:
        """The covered local dates as ISO strings."""
        return [(self.first + dt.timedelta(days=i)).isoformat() for i in range(self.days)]


class ObservedOutcome(_Model):
    """One observed figure over the period, compared with the same metric of the plan.

    ``metric``: people_reached_safety_per_day, trucks_crossed_per_day, trucks_arrived_per_day, or
    quantity_arrived_per_day (``commodities`` names which, in their own unit). ``band``: the prediction
    is in band when predicted/observed lies within [1/band, band]. ``dates``: the local days the figure
    covers (default: the whole period); the prediction is then the plan's figure on those days, per day."""

    name: Id
    metric: Literal[
        "people_reached_safety_per_day", "trucks_crossed_per_day", "trucks_arrived_per_day", "quantity_arrived_per_day"
    ]
    unit: str = ""
    observed: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    band: Annotated[float, Field(gt=1, le=100, allow_inf_nan=False)]
    commodities: list[Id] | None = None
    dates: OutcomeDates | None = None
    sources: list[OutcomeSource] = Field(min_length=1)
    note: str = ""

    @property
    def kind(self) -> str:
        """people, trucks or cargo: what a calibrated parameter must affect to make this in-sample."""
        return METRICS[self.metric][0]

    @model_validator(mode="after")
    def _commodities_for_quantity(self) -> ObservedOutcome:
        if self.metric == "quantity_arrived_per_day" and not self.commodities:
            raise ValueError("quantity_arrived_per_day needs commodities (quantities of different units do not add)")
        return self


class EpisodeParameter(Parameter):
    """A scenario parameter's value for the episode's period; ``calibrated_on`` names the episode it
    was fitted to, ``affects`` the kinds of outcome (people, trucks, cargo) that depend on it."""

    calibrated_on: Id | None = None
    affects: list[Literal["people", "trucks", "cargo"]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _fitted_says_what(self) -> EpisodeParameter:
        if self.calibrated_on and not self.affects:
            raise ValueError("a calibrated parameter must list the outcome kinds it affects (people, trucks, cargo)")
        if not (self.sources or self.assumption):
            raise ValueError("give sources or state the assumption for this value")
        return self


class Episode(_Model):
    """A historical episode (see the module docstring)."""

    id: Id
    title: str
    description: str = ""
    scenario: str = Field(min_length=1)
    period: Horizon
    proposal: Id | Proposal
    parameters: dict[Id, EpisodeParameter] = Field(default_factory=dict)
    sources: dict[Id, Source] = Field(default_factory=dict)
    replace: dict[Literal["policy", "behaviour", "objective", "fleet", "stocks"], Any] = Field(default_factory=dict)
    outcomes: list[ObservedOutcome] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_outcomes(self) -> Episode:
        names = [o.name for o in self.outcomes]
        if len(set(names)) != len(names):
            raise ValueError("outcome names must be unique within an episode")
        first_day = self.period.start.date()
        # The last local day the period touches (a period ending at 07:00 touches that day's morning only).
        last_day = (self.period.start + dt.timedelta(days=self.period.days) - dt.timedelta(microseconds=1)).date()
        for outcome in self.outcomes:
            if outcome.dates is not None and not (first_day <= outcome.dates.first and outcome.dates.last <= last_day):
                raise ValueError(
                    f"outcome '{outcome.name}': dates {outcome.dates.first} to {outcome.dates.last} must lie within "
                    f"the period, {first_day} to {last_day}"
                )
        return self

    @property
    def days(self) -> float:
        return self.period.days

    @property
    def start(self) -> dt.datetime:
        return self.period.start
