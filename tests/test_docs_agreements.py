"""Every example in docs/agreements.md runs, and says what the page says."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
import yaml

from safepassage.cli import app
from safepassage.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
PAGE = (ROOT / "docs" / "agreements.md").read_text()
COMMANDS = re.findall(r"^\$ safepassage (.+)$", PAGE, flags=re.MULTILINE)
QUOTED = re.findall(r"^> (the floor of .+)$", PAGE, flags=re.MULTILINE)


def test_page_has_examples():
    assert len(COMMANDS) == 2 and len(QUOTED) == 1


def test_documented_yaml_is_the_test_scenarios_proposal():
    block = re.search(r"```yaml\n(.+?)```", PAGE, flags=re.DOTALL).group(1)
    documented = yaml.safe_load(block)["proposals"][0]
    scenario = load_scenario(ROOT / "tests" / "scenarios" / "ceasefire.yaml")
    assert documented == next(
        p
        for p in yaml.safe_load((ROOT / "tests" / "scenarios" / "ceasefire.yaml").read_text())["proposals"]
        if p["id"] == "ceasefire"
    )
    assert scenario.proposal("ceasefire").quotas[0].at_least


@pytest.mark.parametrize("command", COMMANDS)
def test_documented_command_says_what_the_page_says(command, runner, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = runner.invoke(app, shlex.split(command))
    assert result.exit_code == 0, result.output
    proposal = json.loads(result.output)["proposals"][0]
    if "beyond-capacity" in command:
        first = proposal["quota_shortfalls"][0]
        assert first["message"] == QUOTED[0].replace("N planned", f"{first['planned']:g} planned")
    else:
        assert proposal["quota_shortfalls"] == []


def test_documented_return_is_the_return_scenarios():
    blocks = re.findall(r"```yaml\n(.+?)```", PAGE, flags=re.DOTALL)
    documented = yaml.safe_load(blocks[1])["evacuation"]
    zone = load_scenario(ROOT / "tests" / "scenarios" / "return.yaml").zones[0]
    assert zone.evacuation is not None
    # The documented block gives every field the scenario sets; the rest keep their defaults.
    assert zone.evacuation.model_dump(exclude_defaults=True) == {k: v for k, v in documented.items() if k != "movement" or v != "evacuation"}
    assert zone.evacuation.model_dump(include=set(documented)) == documented
