"""People from every zone with wants_to_leave move under a pause that covers them (before, nobody
from North Gaza did: the optimiser filled the checkpoint with the closer Gaza City)."""

from __future__ import annotations

import datetime as dt

import pytest

from safepassage.behaviour import departures
from safepassage.scenario import load_scenario
from safepassage.scenario.coverage import covered_zone_ids


@pytest.mark.parametrize("proposal", ["single-4h-pause", "daily-4h-north", "truce-4day", "ceasefire"])
def test_every_covered_zone_with_people_wanting_to_leave_moves(gaza_week, proposal):
    scenario = load_scenario("gaza-2023-11")
    chosen = scenario.proposal(proposal)
    covered = {z for w in chosen.windows for z in covered_zone_ids(scenario, w)}
    wanting = {z.id for z in scenario.zones if z.evacuation is not None and z.evacuation.wants_to_leave > 0 and z.id in covered}
    assert wanting >= {"north-gaza", "gaza-city"}
    result = next(r for r in gaza_week.results if r.proposal == proposal)
    moved: dict[str, int] = {}
    for movement in result.evacuations:
        moved[movement.origin_zone] = moved.get(movement.origin_zone, 0) + movement.people
    for zone in wanting:
        assert moved.get(zone, 0) > 0, (proposal, zone, moved)
    # Shared capacity is split: each zone gets at least half its share of everyone who reached safety,
    # its share being of the people the departure model releases (who chose to go), not of the pool.
    total = sum(moved.values())
    start = scenario.horizon.start.replace(tzinfo=None)
    released = {
        d.zone: d.setting_out
        for d in departures(scenario, chosen, start, start + dt.timedelta(days=scenario.horizon.days))
        if d.zone in wanting
    }
    assert set(released) == wanting
    for zone in wanting:
        # (the LP keeps it exactly; rounding paths to whole people may lose up to one person per path)
        assert moved[zone] >= 0.5 * released[zone] / sum(released.values()) * total - len(result.evacuations)
    # Evacuees end at shelters.
    assert all(scenario.place(m.destination).kind.value == "shelter" for m in result.evacuations)
