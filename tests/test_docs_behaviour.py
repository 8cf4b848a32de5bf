"""Every example in docs/behaviour.md runs, and says what the page says."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
import yaml

from safepassage.cli import app
from safepassage.scenario.episode import ObservedOutcome

PAGE = (Path(__file__).resolve().parents[1] / "docs" / "behaviour.md").read_text()
COMMANDS = re.findall(r"^\$ safepassage (.+)$", PAGE, flags=re.MULTILINE)


def test_page_has_examples():
    assert len(COMMANDS) >= 2


@pytest.mark.parametrize("command", COMMANDS)
def test_documented_command_runs(command, runner):
    result = runner.invoke(app, shlex.split(command))
    assert result.exit_code == 0, result.output
    if "--json" in command:
        document = json.loads(result.output)
        assert set(document) == {"episode", "scenario", "proposal", "outcomes"}


def test_documented_outcome_is_valid():
    block = re.search(r"```yaml\n(.+?)```", PAGE, flags=re.DOTALL).group(1)
    outcomes = yaml.safe_load(block)["outcomes"]
    parsed = [ObservedOutcome.model_validate(o) for o in outcomes]
    assert parsed[0].metric == "trucks_crossed_per_day" and parsed[0].band == 1.5
