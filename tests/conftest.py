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


GAZA = "gaza-2023-11"


@pytest.fixture(scope="session")
def gaza_week():
    """The packaged Gaza scenario's week, every proposal planned once per test session.

    The ``run``, ``compare`` and ``plan`` commands on the Gaza week (its own horizon) read these plans
    instead of solving again (see ``_plan_the_gaza_week_once``); other horizons and scenarios solve."""
    from safepassage.evaluate import compare_proposals
    from safepassage.evaluate.compare import default_workers
    from safepassage.scenario import load_scenario

    return compare_proposals(load_scenario(GAZA), workers=default_workers())


@pytest.fixture(scope="session", autouse=True)
def _plan_the_gaza_week_once(request):
    """Serve the commands' Gaza-week comparisons from ``gaza_week`` (solved on first use only)."""
    import safepassage.cli.plan_commands as plan_commands
    from safepassage.evaluate import Comparison

    real = plan_commands.compare_proposals

    def cached(scenario, proposals=None, horizon=None, on_done=None, on_start=None, workers=1, window_value=False, certify_s=0.0):
        from safepassage.scenario import load_scenario

        if scenario.name != GAZA or window_value or certify_s or (horizon is not None and horizon != scenario.horizon) or scenario != load_scenario(GAZA):
            return real(
                scenario, proposals, horizon, on_done=on_done, on_start=on_start, workers=workers,
                window_value=window_value, certify_s=certify_s,
            )
        week = request.getfixturevalue("gaza_week")
        by_name = {r.proposal: r for r in week.results}
        chosen = list(proposals) if proposals else [p.id for p in scenario.proposals]
        results = [by_name[scenario.proposal(p).id] for p in chosen]
        for result in results:
            if on_start:
                on_start(result.proposal)
            if on_done:
                on_done(result)
        return Comparison(scenario, results)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plan_commands, "compare_proposals", cached)
        yield
