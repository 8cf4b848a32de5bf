"""Declared drivers of people's decision to move, and the operational facts a replay or a bus
evacuation needs (validated pydantic models, used by ``model.py``).

Every driver is a figure with a value, a range (``low``/``high``) and a source or a stated assumption,
so the report can show what "people safe" rests on, with P10/P90 from the range. The equations that
turn drivers into departures are in ``safepassage.behaviour`` (documented in docs/behaviour.md).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "Driver",
    "DepartureDrivers",
    "Mobilisation",
    "Behaviour",
    "WindowReplay",
    "Screening",
    "BusFleet",
    "ShareRange",
]

Id = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$", min_length=1, max_length=64)]
Share = Annotated[float, Field(ge=0, le=1)]
Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ShareRange(_Model):
    """A share in [0, 1] with its plausible range; the simulation draws from [low, high]."""

    value: Share
    low: Share | None = None
    high: Share | None = None
    source: str = ""
    assumption: str = ""

    @model_validator(mode="after")
    def _range_contains_value(self) -> ShareRange:
        lo = self.value if self.low is None else self.low
        hi = self.value if self.high is None else self.high
        if not lo <= self.value <= hi:
            raise ValueError(f"value {self.value} must lie within [low, high] = [{lo}, {hi}]")
        if not (self.source or self.assumption):
            raise ValueError("give a source (URL or source id) or state the assumption")
        return self


class Driver(ShareRange):
    """One driver of the decision to move, scaled 0 (absent, or best) to 1 (strongest, or worst)."""


def _default(value: float, assumption: str) -> Driver:
    return Driver(value=value, low=0.0, high=1.0, assumption=assumption)


class DepartureDrivers(_Model):
    """The declared drivers (0-1 each) for a zone, a proposal, or the whole scenario.

    - ``hostilities``: fighting continues around the corridor and the origin during the windows
      (0 none, 1 heavy and close).
    - ``screening_risk``: perceived risk of detention or of being turned back at screening
      (roughly the share people expect to be held).
    - ``destination_conditions``: how bad the destination is (0 safe shelter with services, 1 as
      dangerous or as deprived as staying).
    - ``prior_displacement``: share of the pool already displaced at least once (less tied to home,
      fewer belongings; raises willingness).
    - ``willing_share``: share of the pool (``wants_to_leave``) willing to go once they see that it is
      safe; the rest go with a much lower chance and are not moved by seeing others go (the coefficient
      ``reluctant_logit``). Not set: the coefficient ``willing_share`` (0.3, the share the base chance
      was fitted with, for a pool of everyone under an order); set 1 where ``wants_to_leave`` names
      only people who want to leave.
    Whether the pause is agreed by all parties comes from ``Proposal.agreement``; notice from
    ``Proposal.notice_hours``; the push of danger at home from ``Zone.hazard``.
    """

    hostilities: Driver | None = None
    screening_risk: Driver | None = None
    destination_conditions: Driver | None = None
    prior_displacement: Driver | None = None
    willing_share: Driver | None = None

    def merged(self, over: DepartureDrivers | None) -> DepartureDrivers:
        """These drivers with every driver that ``over`` sets replacing ours."""
        if over is None:
            return self
        return DepartureDrivers(
            **{name: getattr(over, name) or getattr(self, name) for name in type(self).model_fields}
        )


class Mobilisation(_Model):
    """When those who chose to go are ready to set out: a logistic S-curve in hours since the first
    announcement, median ``median_hours`` (delayed by distrust: see docs/behaviour.md) and spread
    ``spread_hours``. Trust follows what people see: after a window that held, the odds of choosing
    to go multiply by ``held_window_odds_factor`` (up to ``max_trust_odds_factor`` in all); after a
    violated one, by ``violation_odds_factor``. ``violated_window_departure_share``: share of those
    ready who still set out during a violated window. All are stated assumptions (docs/behaviour.md)."""

    median_hours: Positive = 12.0
    spread_hours: Positive = 6.0
    held_window_odds_factor: Annotated[float, Field(ge=1, le=10)] = 1.5
    max_trust_odds_factor: Annotated[float, Field(ge=1, le=100)] = 4.0
    violation_odds_factor: Annotated[float, Field(gt=0, le=1)] = 0.25
    violated_window_departure_share: Share = 0.5


class Behaviour(_Model):
    """People's decision to move (participation) and when they set out (mobilisation).

    ``drivers`` apply everywhere; ``zones`` override them by zone id, and ``Proposal.drivers`` override
    both for that proposal. ``base_participation``: the share of ``wants_to_leave`` that chooses to go
    under an all-party pause with no aggravating driver (default: the calibrated figure in
    ``safepassage.behaviour.coefficients``). Without a ``behaviour`` block the planner keeps the old rule: every
    person in ``wants_to_leave`` is available at the start of the horizon.
    """

    drivers: DepartureDrivers = Field(default_factory=DepartureDrivers)
    zones: dict[Id, DepartureDrivers] = Field(default_factory=dict)
    mobilisation: Mobilisation = Field(default_factory=Mobilisation)
    base_participation: ShareRange | None = None
    note: str = ""


class WindowReplay(_Model):
    """What happened to one occurrence of a window (for replaying a past episode).

    ``date`` is the local date the occurrence starts on. ``started_late_minutes`` and
    ``cut_short_minutes`` shorten it; ``violated`` says fighting or fire broke it. The simulation's
    random draws stay for forecasts; replay facts replace them for that occurrence.
    """

    date: dt.date
    started_late_minutes: NonNegative = 0.0
    cut_short_minutes: NonNegative = 0.0
    violated: bool = False
    source: str = ""

    @model_validator(mode="after")
    def _sourced(self) -> WindowReplay:
        if not self.source:
            raise ValueError("a replay fact needs a source (URL or source id)")
        return self


class Screening(_Model):
    """How a screening point treats people: minutes to process each person, how many it can hold
    waiting, and the shares of the people it processes that it ``detained`` (held, counted apart) or
    ``turned_back`` (sent back to their origin zone, counted apart): each a share with a range the
    simulation draws from, and a source or a stated assumption. Neither reaches safety."""

    processing_minutes: NonNegative = 0.0
    holding_people: NonNegative | None = None
    detained: ShareRange | None = None
    turned_back: ShareRange | None = None

    @model_validator(mode="before")
    @classmethod
    def _split_share(cls, data: object) -> object:
        if isinstance(data, dict) and "detained_or_turned_back" in data:
            raise ValueError(
                "detained_or_turned_back is now two shares: give 'detained' (held at the point) and 'turned_back' "
                "(sent back to their zone), each {value, low, high, source or assumption}"
            )
        return data

    @model_validator(mode="after")
    def _someone_passes(self) -> Screening:
        high = sum((s.value if s.high is None else s.high) for s in (self.detained, self.turned_back) if s is not None)
        if high >= 1.0:
            raise ValueError(
                f"detained and turned_back may stop at most {high:g} of the people screened together (their highs): "
                "it must be below 1; a point that lets nobody through is a closed place (closed: true)"
            )
        return self

    @property
    def stopped_share(self) -> float:
        """The planned share of people processed here who are detained or turned back (values)."""
        return self.detained_share + self.turned_back_share

    @property
    def detained_share(self) -> float:
        return self.detained.value if self.detained is not None else 0.0

    @property
    def turned_back_share(self) -> float:
        return self.turned_back.value if self.turned_back is not None else 0.0


class BusFleet(_Model):
    """Vehicles that carry people: ``vehicles`` of ``seats`` each at ``speed_kmh``, boarding at
    ``boarding_places``, each making at most ``round_trips_per_day``."""

    vehicles: Annotated[int, Field(gt=0)]
    seats: Annotated[int, Field(gt=0)]
    speed_kmh: Positive
    boarding_places: list[Id] = Field(min_length=1)
    round_trips_per_day: Positive | None = None
    boarding_minutes: NonNegative = 30.0
    sources: list[str] = Field(default_factory=list)
