"""``safepassage notify``: one HNS draft per convoy of the plan, saying what the plan says, as JSON or HXL."""

from __future__ import annotations

import datetime as dt
import json

import hxl

from safepassage.cli import app
from safepassage.interop.hns import MovementContent, route_problems
from safepassage.plan import plan_proposal
from safepassage.scenario import load_scenario


def test_notify_drafts_one_notification_per_convoy_matching_the_plan(runner, tiny_path):
    result = runner.invoke(app, ["notify", str(tiny_path), "--proposal", "pause", "--organisation", "UN agency", "--contact-phone", "+970 59 123 4567"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    scenario = load_scenario(tiny_path)
    plan = plan_proposal(scenario, "pause")
    assert [n["reference"] for n in document["notifications"]] == [c.id for c in plan.convoys]
    for note, convoy in zip(document["notifications"], plan.convoys, strict=True):
        content = MovementContent.model_validate(note["content"])  # the content the service takes
        assert route_problems(scenario, content.route.coordinates) == []
        assert content.waypoints == convoy.route and content.organisation == "UN agency"
        assert content.window.earliest_departure == convoy.departs
        assert content.window.latest_arrival == convoy.arrives
        assert content.expires_at == content.window.latest_arrival + dt.timedelta(hours=12)
        assert sum(v.vehicle_type != "convoy_leader" for v in content.vehicles) == convoy.trucks
        assert (content.convoy_leader is not None) == (convoy.trucks > 5)
        assert {c.commodity: c.quantity for c in content.cargo} == convoy.cargo
        assert note["missing_fields"] == [f"vehicles[{i}].plate" for i in range(len(content.vehicles))] + (["convoy_leader.name"] if convoy.trucks > 5 else [])


def test_notify_hxl_is_tagged_and_readable(runner, tiny_path, tmp_path):
    out = tmp_path / "hns.csv"
    result = runner.invoke(app, ["notify", str(tiny_path), "--proposal", "pause", "--format", "hxl", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(hxl.data(str(out), hxl.InputOptions(allow_local=True)))
    plan = plan_proposal(load_scenario(tiny_path), "pause")
    assert [r.get("#activity+code") for r in rows] == [c.id for c in plan.convoys]
    assert [int(r.get("#indicator+vehicles+num")) for r in rows] == [c.trucks + (1 if c.trucks > 5 else 0) for c in plan.convoys]
    assert all(r.get("#contact+phone") for r in rows)


def test_notify_bad_input_exits_2_naming_the_option(runner, tiny_path):
    bad_phone = runner.invoke(app, ["notify", str(tiny_path), "--proposal", "pause", "--contact-phone", "call me"])
    assert bad_phone.exit_code == 2 and "--contact-phone" in bad_phone.output
    unknown = runner.invoke(app, ["notify", str(tiny_path), "--proposal", "truce"])
    assert unknown.exit_code == 2 and "unknown proposal 'truce'" in unknown.output
    placeholder = runner.invoke(app, ["notify", str(tiny_path), "--proposal", "pause"])
    assert all("contact.phone" in n["missing_fields"] for n in json.loads(placeholder.stdout)["notifications"])


def test_notify_drafts_one_notification_per_convoy_under_the_rules(runner, tiny_path, tmp_path):
    data = tiny_path.read_text().replace("policy:", "convoy_rules: {min_trucks: 3, max_trucks: 4, marshalling_minutes: 180, escort_required: true}\npolicy:", 1)
    path = tmp_path / "tiny-convoys.yaml"
    path.write_text(data)
    result = runner.invoke(app, ["notify", str(path), "--proposal", "pause", "--contact-phone", "+970 59 123 4567"])
    assert result.exit_code == 0, result.output
    plan = plan_proposal(load_scenario(path), "pause")
    notes = json.loads(result.stdout)["notifications"]
    assert [n["reference"] for n in notes] == [c.id for c in plan.planned_convoys] and len(notes) < len(plan.convoys)
    for note, convoy in zip(notes, plan.planned_convoys, strict=True):
        content = MovementContent.model_validate(note["content"])
        assert content.waypoints == convoy.route and note["journeys"] == [d.journey for d in convoy.dispatches]
        assert content.window.earliest_departure == convoy.departs
        assert content.window.latest_arrival == convoy.arrives
        assert len(content.vehicles) == convoy.vehicles and [v.vehicle_type for v in content.vehicles].count("escort") == 1
        assert {c.commodity: c.quantity for c in content.cargo} == convoy.cargo
