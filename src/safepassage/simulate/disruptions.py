"""What can go wrong when a plan meets reality, with the probabilities and sizes the simulation draws.

Every figure has a default and the assumption behind it. None is sourced: they are planning
assumptions for a conflict setting, meant to be changed (``--disruptions FILE.yaml``) and swept.
``Disruptions.none()`` switches every disruption off; the simulation then reproduces the plan exactly.

A disruptions file is a YAML mapping of any of the fields below, e.g.::

    inspection_rejection_rate: 0.05
    crossing_closed_per_day: 0.1
    window_cut_probability: 0.3

>>> Disruptions().inspection_rejection_rate
0.03
>>> Disruptions.none().any
False
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from safepassage.errors import Problem, ScenarioError
from safepassage.scenario.yaml_limits import load_yaml

__all__ = ["Disruptions", "load_disruptions", "DISRUPTION_ASSUMPTIONS"]

Share = Annotated[float, Field(ge=0, le=1)]
NonNegative = Annotated[float, Field(ge=0)]

# The assumption behind each default, shown by `safepassage simulate --help-disruptions` and in docs.
DISRUPTION_ASSUMPTIONS: dict[str, str] = {
    "travel_time_sigma": "Travel times on roads and on foot are the nominal time (the planner's, the fastest a journey "
    "goes) times exp(sigma x |Z|), Z standard normal: delays only, median +18% and one journey in ten +51% with sigma 0.25. "
    "Wartime convoys met debris, queues and checkpoint waits; no distribution was found, so this is an assumption.",
    "inspection_rejection_rate": "Share of trucks turned back at an inspection point (e.g. Nitzana) for an item refused as "
    "dual-use; the truck returns to its origin and queues again. 3% is an assumption: rejections were reported in "
    "Oct-Nov 2023 but not counted per truck.",
    "crossing_closed_per_day": "Chance that a crossing stays closed for a whole local day (security incident, "
    "communications blackout; Rafah took no trucks on 15-16 Nov 2023). 5% per crossing per day is an assumption.",
    "window_not_honoured_probability": "Chance that a pause window is not honoured at all (nothing on pause-only roads "
    "moves during it). 5% per window occurrence: an assumption.",
    "window_cut_probability": "Chance that a pause window that is honoured ends early. 20% per occurrence: an assumption "
    "(the local pauses of Nov 2023 were often announced late or shortened).",
    "window_cut_max_share": "When a window is cut, the share of it lost at its end is drawn uniformly between 0 and this "
    "(0.5: up to half the window). Assumption.",
    "extension_probability": "Chance per day that a conditional extension (e.g. one more truce day per 10 releases) is "
    "agreed; the days are drawn in order and stop at the first refusal. None uses the proposal's own "
    "extension.probability_per_day (the scenario's sourced parameter).",
    "road_incidents_per_day": "Incidents (strike, crater, crowd, unexploded ordnance) per road per day that close it in "
    "both directions; 0.02 per road per day (about one a day over Gaza's ~50 roads) is an assumption.",
    "road_incident_hours_min": "Shortest closure after a road incident, hours (assumption).",
    "road_incident_hours_max": "Longest closure after a road incident, hours; the closure is uniform between min and max "
    "(assumption).",
    "unilateral_not_honoured_probability": "For a unilateral pause (announced by one party, not agreed by all who fight "
    "in the area): chance that a window occurrence is not honoured at all. 30% is an assumption (the unilateral corridors "
    "of Aleppo 2016, Ghouta 2018 and Mariupol 2022 were repeatedly broken).",
    "unilateral_cut_probability": "For a unilateral pause: chance that an honoured window ends early. 50% is an assumption.",
    "inspection_removal": "Whether inspection removes the share of cargo each commodity states in "
    "`removed_at_inspection` (drawn uniformly over its range once per run; counted apart from aid arriving good or damaged).",
    "screening_draws": "Whether each screening point's shares of people detained and turned back are drawn uniformly "
    "over their ranges (once per run and point; people stopped drawn as a multinomial of those processed); off: the "
    "planned values, applied exactly (expected numbers).",
    "damage_rate": "Share of trucks whose cargo arrives damaged or partly looted and is counted apart from aid arriving "
    "good (not towards need met). 2% is an assumption.",
}


class Disruptions(BaseModel):
    """Probabilities and sizes of the disruptions a simulated plan meets (see ``DISRUPTION_ASSUMPTIONS``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    travel_time_sigma: NonNegative = Field(0.25, le=2.0, description=DISRUPTION_ASSUMPTIONS["travel_time_sigma"])
    inspection_rejection_rate: Share = Field(0.03, description=DISRUPTION_ASSUMPTIONS["inspection_rejection_rate"])
    crossing_closed_per_day: Share = Field(0.05, description=DISRUPTION_ASSUMPTIONS["crossing_closed_per_day"])
    window_not_honoured_probability: Share = Field(0.05, description=DISRUPTION_ASSUMPTIONS["window_not_honoured_probability"])
    window_cut_probability: Share = Field(0.2, description=DISRUPTION_ASSUMPTIONS["window_cut_probability"])
    window_cut_max_share: Share = Field(0.5, description=DISRUPTION_ASSUMPTIONS["window_cut_max_share"])
    extension_probability: Share | None = Field(None, description=DISRUPTION_ASSUMPTIONS["extension_probability"])
    road_incidents_per_day: NonNegative = Field(0.02, le=24.0, description=DISRUPTION_ASSUMPTIONS["road_incidents_per_day"])
    road_incident_hours_min: NonNegative = Field(2.0, description=DISRUPTION_ASSUMPTIONS["road_incident_hours_min"])
    road_incident_hours_max: NonNegative = Field(12.0, description=DISRUPTION_ASSUMPTIONS["road_incident_hours_max"])
    damage_rate: Share = Field(0.02, description=DISRUPTION_ASSUMPTIONS["damage_rate"])
    unilateral_not_honoured_probability: Share = Field(0.3, description=DISRUPTION_ASSUMPTIONS["unilateral_not_honoured_probability"])
    unilateral_cut_probability: Share = Field(0.5, description=DISRUPTION_ASSUMPTIONS["unilateral_cut_probability"])
    inspection_removal: bool = Field(True, description=DISRUPTION_ASSUMPTIONS["inspection_removal"])
    screening_draws: bool = Field(True, description=DISRUPTION_ASSUMPTIONS["screening_draws"])

    @model_validator(mode="after")
    def _hours_ordered(self) -> Disruptions:
        if self.road_incident_hours_max < self.road_incident_hours_min:
            raise ValueError(
                f'"road_incident_hours_min" ({self.road_incident_hours_min}) must be <= "road_incident_hours_max" ({self.road_incident_hours_max})'
            )
        return self

    @classmethod
    def none(cls) -> Disruptions:
        """Every disruption off, and no conditional extension: the plan runs exactly as planned."""
        return cls(
            travel_time_sigma=0.0, inspection_rejection_rate=0.0, crossing_closed_per_day=0.0, window_not_honoured_probability=0.0,
            window_cut_probability=0.0, extension_probability=0.0, road_incidents_per_day=0.0, damage_rate=0.0,
            unilateral_not_honoured_probability=0.0, unilateral_cut_probability=0.0, inspection_removal=False,
            screening_draws=False,
        )

    @property
    def any(self) -> bool:
        """Whether anything at all can differ from the plan."""
        return bool(
            self.travel_time_sigma or self.inspection_rejection_rate or self.crossing_closed_per_day or self.window_not_honoured_probability
            or self.window_cut_probability or self.extension_probability or self.road_incidents_per_day or self.damage_rate
            or self.unilateral_not_honoured_probability or self.unilateral_cut_probability or self.inspection_removal
            or self.screening_draws
        )


def load_disruptions(path: str | Path) -> Disruptions:
    """Read a disruptions YAML file (a mapping of ``Disruptions`` fields; missing ones keep their default).

    Raises ``ScenarioError`` naming each bad field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem(str(path), f"cannot read disruptions: {exc}", "give a YAML file with fields of `Disruptions`")], str(path)) from exc
    data = load_yaml(text, str(path))[0] or {}
    if not isinstance(data, dict):
        raise ScenarioError([Problem("(file)", "a disruptions file is a YAML mapping of field: value", "e.g. inspection_rejection_rate: 0.05")], str(path))
    try:
        return Disruptions.model_validate(data)
    except ValidationError as exc:
        problems = [
            Problem(".".join(str(p) for p in e["loc"]) or "(file)", e["msg"].removeprefix("Value error, "), "known fields: " + ", ".join(DISRUPTION_ASSUMPTIONS) if e["type"] == "extra_forbidden" else "")
            for e in exc.errors(include_url=False)
        ]
        raise ScenarioError(problems, str(path)) from exc
