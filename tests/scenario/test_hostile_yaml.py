"""Hostile YAML fails fast with a clear error and exit 2: alias bombs, alias floods, deep nesting,
huge documents (the service accepts scenario uploads, so each of these would be a denial of service)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from safepassage.errors import ScenarioError
from safepassage.scenario import parse_scenario
from safepassage.scenario.yaml_limits import MAX_YAML_BYTES, load_yaml
from safepassage.simulate.disruptions import load_disruptions


def billion_laughs(levels: int = 9, width: int = 10) -> str:
    text = "name: laughs\nlol0: &l0 [" + ", ".join(["lol"] * width) + "]\n"
    for i in range(1, levels):
        text += f"lol{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]\n"
    return text


HOSTILE = {
    "billion laughs": (billion_laughs(), "expands to more than"),
    "alias flood": ("name: flood\nx: &x 1\nmany: [" + ", ".join(["*x"] * 20_000) + "]\n", "aliases"),
    "deep nesting": ("name: deep\nx: " + "[" * 5000 + "]" * 5000 + "\n", "nested more than"),
    "merge-key bomb": (
        "a: &a {x0: 1, x1: 1, x2: 1, x3: 1, x4: 1, x5: 1, x6: 1, x7: 1}\n"
        + "".join(f"{n}: &{n} [" + ", ".join([f"*{p}"] * 12) + "]\n" for p, n in zip("abcdef", "bcdefg")),
        "expands to more than",
    ),
    # the YAML reader refuses a control character as soon as it is built (found by schemathesis: a 500)
    "control character": ("\x1f", "unacceptable character #x001f"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_yaml_is_refused_with_a_clear_problem(case):
    text, message = HOSTILE[case]
    with pytest.raises(ScenarioError, match=message) as info:
        parse_scenario(text, source="upload")
    assert [p.path for p in info.value.problems] == ["(file)"]


def test_a_huge_document_is_refused_before_parsing():
    with pytest.raises(ScenarioError, match="characters; at most"):
        load_yaml("x" * (MAX_YAML_BYTES + 1))


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_validate_exits_2_promptly(case, tmp_path: Path):
    """Run as a user would; the timeout only guards against a hang (it used to take minutes)."""
    path = tmp_path / "hostile.yaml"
    path.write_text(HOSTILE[case][0])
    done = subprocess.run([sys.executable, "-c", "from safepassage.cli.app import main; main()", "validate", str(path)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 2, done.stderr
    assert HOSTILE[case][1] in done.stderr


def test_disruptions_files_have_the_same_limits(tmp_path: Path):
    path = tmp_path / "disruptions.yaml"
    path.write_text(billion_laughs())
    with pytest.raises(ScenarioError, match="expands to more than"):
        load_disruptions(path)


def test_ordinary_anchors_still_work(tiny_path: Path):
    text = tiny_path.read_text().replace("horizon: {start: 2024-01-01T00:00, days: 1, slot_minutes: 60}", "horizon: &h {start: 2024-01-01T00:00, days: 1, slot_minutes: 60}")
    assert parse_scenario(text).horizon.days == 1
