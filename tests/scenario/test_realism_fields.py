"""The realism fields: agreement, replay facts, drivers, screening, buses, quotas as floors and
shares, and windows over different places at once. Bad values give a clear error naming the field."""

from __future__ import annotations

import copy
import math

import pytest

from safepassage.cli import app
from safepassage.errors import ScenarioError
from safepassage.scenario import load_scenario, parse_scenario

import yaml


def _load(data: dict):
    return parse_scenario(yaml.safe_dump(data, sort_keys=False))


def _mutate(data: dict, change) -> dict:
    out = copy.deepcopy(data)
    change(out)
    return out


BAD = {
    "unilateral agreed by two": (
        lambda d: d["proposals"][1].update(agreement="unilateral", agreed_by=["A", "B"]), "proposals.1", "agreed_by lists 2",
    ),
    "unknown agreement": (lambda d: d["proposals"][1].update(agreement="some"), "proposals.1.agreement", "all_parties"),
    "replay without source": (
        lambda d: d["proposals"][1].update(replay=[{"date": "2024-01-01", "violated": True}]), "proposals.1.replay.0", "needs a source",
    ),
    "replay twice the same day": (
        lambda d: d["proposals"][1].update(replay=[{"date": "2024-01-01", "violated": True, "source": "x"}, {"date": "2024-01-01", "source": "y"}]),
        "proposals.1", "same date twice",
    ),
    "driver out of 0-1": (
        lambda d: d.update(behaviour={"drivers": {"hostilities": {"value": 1.5, "assumption": "x"}}}), "behaviour.drivers.hostilities.value", "less than or equal to 1",
    ),
    "driver without source": (
        lambda d: d.update(behaviour={"drivers": {"hostilities": {"value": 0.5}}}), "behaviour.drivers.hostilities", "source",
    ),
    "driver NaN": (
        lambda d: d.update(behaviour={"drivers": {"hostilities": {"value": math.nan, "assumption": "x"}}}), "behaviour.drivers.hostilities.value", "",
    ),
    "behaviour for an unknown zone": (
        lambda d: d.update(behaviour={"zones": {"west": {}}}), "behaviour.zones.west", "unknown zone 'west'",
    ),
    "quota share without zones": (
        lambda d: d["proposals"][1].update(quotas=[{"trucks_per_day": 10, "share": 0.5}]), "proposals.1.quotas.0", "zones and share together",
    ),
    "quota share to an unknown zone": (
        lambda d: d["proposals"][1].update(quotas=[{"trucks_per_day": 10, "share": 0.5, "zones": ["west"]}]), "proposals[1].quotas[0].zones[0]", "unknown zone 'west'",
    ),
    "inspection removes more than everything": (
        lambda d: d["commodities"][0].update(removed_at_inspection={"value": 1.2, "assumption": "x"}), "commodities.0.removed_at_inspection.value", "less than or equal to 1",
    ),
    "bus boarding at an unknown place": (
        lambda d: d.update(fleet={"trucks": 5, "buses": {"vehicles": 20, "seats": 50, "speed_kmh": 30, "boarding_places": ["nowhere"]}}),
        "fleet.buses.boarding_places[0]", "unknown place 'nowhere'",
    ),
    "bus with no seats": (
        lambda d: d.update(fleet={"trucks": 5, "buses": {"vehicles": 20, "seats": 0, "speed_kmh": 30, "boarding_places": ["dp-north"]}}),
        "fleet.buses.seats", "greater than 0",
    ),
    "screening share out of range": (
        lambda d: d["places"][1].update(screening={"processing_minutes": 30, "detained": {"value": 0.3, "low": 0.4, "high": 0.5, "source": "x"}}),
        "places.1.screening.detained", "within [low, high]",
    ),
    "screening stops everyone": (
        lambda d: d["places"][1].update(screening={"detained": {"value": 0.5, "high": 0.6, "assumption": "x"}, "turned_back": {"value": 0.4, "assumption": "x"}}),
        "places.1.screening", "must be below 1",
    ),
    "screening share not split": (
        lambda d: d["places"][1].update(screening={"detained_or_turned_back": {"value": 0.1, "assumption": "x"}}),
        "places.1.screening", "give 'detained'",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_realism_field_is_named(tiny_data, case):
    change, path, message = BAD[case]
    with pytest.raises(ScenarioError, match=r"problem") as raised:
        _load(_mutate(tiny_data, change))
    text = "\n".join(str(p) for p in raised.value.problems)
    assert path.replace(".", "") in text.replace(".", "").replace("[", "").replace("]", "") or path in text, text
    assert message in text, text


def test_bad_realism_field_exits_2(tiny_data, write_yaml, runner):
    path = write_yaml(_mutate(tiny_data, BAD["unilateral agreed by two"][0]))
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "agreed_by" in result.output


def test_good_realism_fields_load(tiny_data):
    def add(d):
        d["proposals"][1].update(agreement="unilateral", agreed_by=["North command"], announced="2023-12-31T20:00",
                                 replay=[{"date": "2024-01-01", "cut_short_minutes": 60, "violated": True, "source": "https://example.org/report"}],
                                 drivers={"hostilities": {"value": 0.8, "low": 0.5, "high": 1.0, "assumption": "fighting reported"}})
        d["places"][1].update(screening={"processing_minutes": 20, "holding_people": 500, "detained": {"value": 0.05, "low": 0.01, "high": 0.1, "assumption": "x"}})
        d["commodities"][0].update(removed_at_inspection={"value": 0.02, "low": 0.0, "high": 0.1, "assumption": "medical items removed"})
        d["zones"][1].update(evacuation_priority=2.0, convoys_within_windows=True)
        d["places"][3].update(offload_minutes_per_truck=30)
        d["fleet"] = {"trucks": 5, "buses": {"vehicles": 20, "seats": 50, "speed_kmh": 30, "boarding_places": ["dp-north"]}}
    scenario = _load(_mutate(tiny_data, add))
    proposal = scenario.proposal("pause")
    assert proposal.agreement == "unilateral" and proposal.agreed_by == ["North command"]
    assert proposal.replay[0].violated and proposal.replay[0].cut_short_minutes == 60
    assert scenario.fleet.buses.seats == 50
    assert scenario.zone("north").convoys_within_windows
    assert load_scenario("gaza-2023-11").proposal("ceasefire").agreement == "all_parties"


def test_windows_may_overlap_over_different_zones_but_not_the_same(tiny_data):
    def two_places(d):
        d["proposals"][1]["windows"].append({"start": "2024-01-01T08:00", "end": "2024-01-01T12:00", "zones": ["south"]})

    scenario = _load(_mutate(tiny_data, two_places))
    assert len(scenario.proposal("pause").windows) == 2

    def same_place(d):
        d["proposals"][1]["windows"].append({"start": "2024-01-01T08:00", "end": "2024-01-01T12:00", "zones": ["north"]})

    with pytest.raises(ScenarioError, match=r"overlaps windows\[0\] over the same zone or road"):
        _load(_mutate(tiny_data, same_place))

    def everywhere(d):
        d["proposals"][1]["windows"].append({"start": "2024-01-01T08:00", "end": "2024-01-01T12:00", "everywhere": True})

    with pytest.raises(ScenarioError, match=r"overlaps windows\[0\]"):
        _load(_mutate(tiny_data, everywhere))
