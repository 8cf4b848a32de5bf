"""The one fitted figure of the departure model is what ``fit_base_participation`` gives on its episode,
and the sensitivity of the held-out checks to the willing share."""

from __future__ import annotations

import pytest

from safepassage.behaviour import COEFFICIENTS
from safepassage.evaluate.calibrate import fit_base_participation, willing_share_sensitivity


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


def test_willing_share_sensitivity_refits_the_base_chance_and_reports_each_people_outcome():
    """The table of docs/behaviour.md ("How 15 Nov depends on the assumptions"): the refitted base
    chance falls as more of the pool is willing, and every share of the declared range (0.15-0.5) and
    beyond (everyone willing) keeps 15 Nov and 8-14 Nov within x2, before the corridor's capacity."""
    rows = willing_share_sensitivity("gaza-corridor-2023-11-05", "gaza-corridor-2023-11-15", [0.15, 0.3, 1.0])
    assert [r["willing_share"] for r in rows] == [0.15, 0.3, 1.0]
    bases = [r["base_participation"] for r in rows]
    assert bases[0] > bases[1] > bases[2]
    assert bases[1] == pytest.approx(COEFFICIENTS.base_participation.value, abs=0.01)
    outcomes = {"people-safe-per-day", "people-safe-per-day-8-14-nov"}
    for row in rows:
        assert set(row) == {"willing_share", "base_participation"} | outcomes
    for row in rows:
        assert 0.5 <= row["people-safe-per-day"] <= 2.0, row
        assert 0.5 <= row["people-safe-per-day-8-14-nov"] <= 2.0, row
    assert rows[0]["people-safe-per-day"] < rows[1]["people-safe-per-day"]  # fewer willing, lower 15 Nov
