"""Disruption settings: defaults with their assumptions, validation with the bad field named."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from safepassage.errors import ScenarioError
from safepassage.simulate import DISRUPTION_ASSUMPTIONS, Disruptions, load_disruptions


def test_every_disruption_has_a_default_and_a_documented_assumption():
    fields = set(Disruptions.model_fields)
    assert fields == set(DISRUPTION_ASSUMPTIONS)
    assert Disruptions().any and not Disruptions.none().any


def test_incident_hours_must_be_ordered():
    with pytest.raises(ValidationError, match='"road_incident_hours_min" .* must be <= "road_incident_hours_max"'):
        Disruptions(road_incident_hours_min=5, road_incident_hours_max=1)


def test_a_disruptions_file_overrides_some_fields(tmp_path):
    path = tmp_path / "d.yaml"
    path.write_text("inspection_rejection_rate: 0.1\ncrossing_closed_per_day: 0\n")
    loaded = load_disruptions(path)
    assert loaded.inspection_rejection_rate == 0.1 and loaded.crossing_closed_per_day == 0
    assert loaded.window_cut_probability == Disruptions().window_cut_probability


def test_a_bad_disruptions_file_names_the_field(tmp_path):
    path = tmp_path / "d.yaml"
    path.write_text("inspection_rejection_rate: 1.5\nwindow_cut: 0.2\n")
    with pytest.raises(ScenarioError, match="inspection_rejection_rate") as caught:
        load_disruptions(path)
    assert any(p.path == "window_cut" and "known fields" in p.hint for p in caught.value.problems)
