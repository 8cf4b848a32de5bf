"""Every binding limit gets a human label with its size, and no internal id."""

from __future__ import annotations

import re

from safepassage.evaluate.limits import limit_label
from safepassage.plan import Bottleneck, plan_proposal
from safepassage.scenario import load_scenario


def test_gaza_limits_read_as_words():
    gaza = load_scenario("gaza-2023-11")
    assert limit_label(gaza, Bottleneck("quota", "policy.daily_quotas[0]", 1.0, "truck per day", 1)) == "daily entry quota, 44 trucks/day"
    assert limit_label(gaza, Bottleneck("quota", "truce-4day.quotas[1]", 1.0, "truck per day", 1)) == "agreed daily quota for diesel fuel, 4 trucks/day"
    assert limit_label(gaza, Bottleneck("crossing", "rafah", 1.0, "truck per hour", 1)) == "crossing rate at Rafah crossing (Egypt-Gaza), 25 trucks/hour"
    checkpoint = limit_label(gaza, Bottleneck("checkpoint", "wadi-gaza-checkpoint", 1.0, "person per hour", 1))
    assert checkpoint == "screening rate at a site, 2,500 people/hour"  # a sensitive site is not named
    assert limit_label(gaza, Bottleneck("fleet", "fleet", 1.0, "truck", 1)).startswith("fleet, ")


def test_every_limit_of_every_plan_has_a_label_without_ids():
    gaza = load_scenario("gaza-2023-11")
    horizon = gaza.horizon.model_copy(update={"days": 2, "slot_minutes": 60})
    ids = {p.id for p in gaza.places} | {r.id for r in gaza.roads} | {"policy", "daily_quotas"}
    for proposal in gaza.proposals:
        for bottleneck in plan_proposal(gaza, proposal.id, horizon=horizon).bottlenecks:
            label = limit_label(gaza, bottleneck)
            assert not re.search(r"\[\d+\]", label) and not any(re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", label) for i in ids), label
            assert re.search(r"\d", label) or bottleneck.kind in ("window", "stock"), label
