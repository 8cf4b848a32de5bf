"""The one fitted figure of the departure model is what ``fit_base_participation`` gives on its episode."""

from __future__ import annotations

import pytest

from safepassage.behaviour import COEFFICIENTS
from safepassage.evaluate.calibrate import fit_base_participation


@pytest.mark.slow
def test_the_shipped_base_chance_is_the_fit_on_its_episode():
    """p0 is marked calibrated_on the first corridor days, and refitting there gives it back (to its
    rounding), matching the observed mean flow of those days."""
    p0 = COEFFICIENTS.base_participation
    assert p0.calibrated_on == "gaza-corridor-2023-11-05"
    fitted, predicted = fit_base_participation(p0.calibrated_on)
    assert fitted == pytest.approx(p0.value, abs=0.005)
    assert predicted == pytest.approx(7333, rel=0.05)


def test_an_episode_without_a_people_outcome_cannot_be_fitted():
    with pytest.raises(ValueError, match="has no people_reached_safety_per_day outcome"):
        fit_base_participation("gaza-truce-2023-11-24")
