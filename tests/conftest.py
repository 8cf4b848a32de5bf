"""Shared fixtures: the tiny hand-solvable scenario and a CLI runner."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

SCENARIOS = Path(__file__).parent / "scenarios"


@pytest.fixture
def tiny_path() -> Path:
    return SCENARIOS / "tiny.yaml"


@pytest.fixture
def tiny_data(tiny_path: Path) -> dict:
    return yaml.safe_load(tiny_path.read_text())


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def write_yaml(tmp_path: Path):
    def write(data: dict, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return path

    return write
