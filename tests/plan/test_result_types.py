"""Plan results keep typed times: aware datetimes inside the engine, ISO 8601 strings only at the edges.

A plan time is never parsed back from text inside the engine: the structural checks below fail if a
result's time field becomes a string again, or if engine code calls ``fromisoformat`` on one.
"""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import typing
from pathlib import Path

import pytest

from safepassage.plan import plan_proposal
from safepassage.plan.bus_trips import BusTrip
from safepassage.plan.result import Convoy, Dispatch, EvacuationMovement, Leg, PlannedConvoy, PlanResult, iso
from safepassage.scenario import Scenario, load_scenario

SRC = Path(__file__).resolve().parents[2] / "src" / "safepassage"
TIME_FIELDS = {"departs", "arrives", "returns", "horizon_start"}
BERLIN = "Europe/Berlin"


@pytest.mark.parametrize("record", [Leg, Convoy, Dispatch, PlannedConvoy, EvacuationMovement, PlanResult, BusTrip])
def test_every_time_field_of_a_result_is_a_datetime(record: type) -> None:
    hints = typing.get_type_hints(record)
    times = {f.name for f in dataclasses.fields(record)} & TIME_FIELDS
    assert times, record
    assert {name: hints[name] for name in times} == {name: dt.datetime for name in times}


def _times(result: PlanResult) -> list[dt.datetime]:
    out = [result.horizon_start]
    for record in [*result.convoys, *result.evacuations]:
        out += [record.departs, record.arrives] + [t for leg in record.legs for t in (leg.departs, leg.arrives)]
    for planned in result.planned_convoys:
        out += [planned.departs, planned.arrives] + [t for d in planned.dispatches for t in (d.departs, d.arrives)]
    return out


def _berlin(tiny_data: dict) -> Scenario:
    """The tiny scenario across the spring daylight-saving change (02:00 CET → 03:00 CEST on 31 March)."""
    data = dict(tiny_data)
    data["timezone"] = BERLIN
    data["horizon"] = {"start": "2024-03-30T12:00", "days": 1, "slot_minutes": 60}
    data["proposals"] = [{"id": "pause", "name": "Pause", "windows": [{"start": "2024-03-31T06:00", "end": "2024-03-31T10:00", "zones": ["north"]}]}]
    return Scenario.model_validate(data)


def test_plan_times_are_aware_fixed_offset_and_absolute_across_a_clock_change(tiny_data: dict) -> None:
    scenario = _berlin(tiny_data)
    result = plan_proposal(scenario, "pause")
    times = _times(result)
    assert len(times) > 1 and result.convoys and result.evacuations
    # Fixed offsets (never a shared ZoneInfo, whose subtraction would be wall-clock time), the local one of each instant.
    assert all(isinstance(t.tzinfo, dt.timezone) for t in times)
    assert {t.utcoffset() for t in times} == {dt.timedelta(hours=1), dt.timedelta(hours=2)}  # CET and CEST both occur
    assert result.horizon_start.utcoffset() == dt.timedelta(hours=1)  # 12:00 CET on the 30th
    pause_roads = {r.id for r in scenario.roads if r.requires_pause}
    paused = [leg for m in [*result.convoys, *result.evacuations] for leg in m.legs if leg.road in pause_roads]
    assert paused and all(t.utcoffset() == dt.timedelta(hours=2) for leg in paused for t in (leg.departs, leg.arrives))  # in CEST
    pause_start = dt.datetime(2024, 3, 31, 6, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert min(leg.departs for leg in paused) >= pause_start
    # Subtraction is real time: 06:00 CEST on the 31st is 17 hours (not 18) after 12:00 CET the day before.
    assert pause_start - result.horizon_start == dt.timedelta(hours=17)
    assert all(leg.arrives > leg.departs for m in [*result.convoys, *result.evacuations] for leg in m.legs)


def test_json_edge_renders_the_same_instants_as_iso_strings(tiny_path: Path) -> None:
    result = plan_proposal(load_scenario(tiny_path), "pause")
    document = result.to_dict()
    assert document["horizon_start"] == iso(result.horizon_start) == "2024-01-01T00:00+00:00"
    convoys = document["schedule"]["convoys"]
    assert [(c["departs"], c["arrives"]) for c in convoys] == [(iso(c.departs), iso(c.arrives)) for c in result.convoys]
    assert [[leg["departs"] for leg in c["legs"]] for c in convoys] == [[iso(leg.departs) for leg in c.legs] for c in result.convoys]
    assert all(dt.datetime.fromisoformat(c["departs"]) == c_typed.departs for c, c_typed in zip(convoys, result.convoys, strict=True))


def _parse_backs(source: str) -> list[int]:
    """Lines calling ``fromisoformat`` on an argument that names a plan time (``x.departs``, ``horizon_start``...)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "fromisoformat":
            names = {n.attr for arg in node.args for n in ast.walk(arg) if isinstance(n, ast.Attribute)}
            names |= {n.id for arg in node.args for n in ast.walk(arg) if isinstance(n, ast.Name)}
            if names & TIME_FIELDS:
                found.append(node.lineno)
    return found


def test_no_plan_time_is_parsed_back_anywhere_in_the_package() -> None:
    hits = [f"{path.relative_to(SRC)}:{line}" for path in sorted(SRC.rglob("*.py")) for line in _parse_backs(path.read_text(encoding="utf-8"))]
    assert hits == []


def test_the_parse_back_detector_finds_one_written_the_old_way() -> None:
    old = "import datetime as dt\n\ndef f(c, plan):\n    return dt.datetime.fromisoformat(c.departs) - dt.datetime.fromisoformat(plan.horizon_start)\n"
    assert _parse_backs(old) == [4, 4]
    assert _parse_backs("import datetime as dt\nwhen = dt.datetime.fromisoformat(sent)\n") == []


@pytest.mark.parametrize("package", ["plan", "simulate", "evaluate"])
def test_the_engine_parses_no_iso_text_at_all(package: str) -> None:
    """The planner, the simulation and the comparison read no times from text: they get typed values."""
    calls = [f"{path.relative_to(SRC)}" for path in sorted((SRC / package).rglob("*.py")) if "fromisoformat" in path.read_text(encoding="utf-8")]
    assert calls == []
