"""Every command the README shows runs, and its output says what the README promises."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safepassage.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
COMMANDS = re.findall(r"^\$ safepassage (.+)$", README, flags=re.MULTILINE)


def test_readme_has_examples():
    assert len(COMMANDS) >= 5
    assert "make run" in README and "make test" in README


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_runs(command, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    args = [a.replace("out/", f"{tmp_path}/") for a in shlex.split(command)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    if "--json" in args or args[0] == "schema":
        document = json.loads(result.output)
        if args[0] == "schema":
            assert document["title"] == "Safe Passage scenario"
            assert "places" in document["properties"]
        else:
            assert set(document) >= {"scenario", "horizon_days", "proposals"}
            for proposal in document["proposals"]:
                assert set(proposal) >= {"name", "trucks_arrived", "tonnes_arrived", "people_reached_safety", "need_met", "objective", "bound", "gap", "bottlenecks"}
                assert isinstance(proposal["trucks_arrived"], int)
                for bottleneck in proposal["bottlenecks"]:
                    assert set(bottleneck) >= {"kind", "id", "value_per_unit"}


def test_ci_calls_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
