"""An explicit HiGHS thread count is honoured in a process that has already solved with another.

HiGHS starts one scheduler per process and used to end a later run that asked for another count with
the status "Not Set" (a SolverError), e.g. a library user planning with ``threads=1`` after a default
plan, or a re-plan in a worker that had planned before (``plan/solve.py: _scheduler_for``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from safepassage.plan import plan_proposal
from safepassage.scenario import load_scenario

TINY = Path(__file__).resolve().parents[1] / "scenarios" / "tiny.yaml"


def test_plans_with_one_two_and_the_default_thread_count_in_one_process_agree():
    scenario = load_scenario(TINY)
    proposal = scenario.proposals[0].id
    default = plan_proposal(scenario, proposal)
    one = plan_proposal(scenario, proposal, threads=1)
    two = plan_proposal(scenario, proposal, threads=2)
    again = plan_proposal(scenario, proposal, threads=1)
    for result in (one, two, again):
        assert result.status == default.status
        assert result.objective == pytest.approx(default.objective, rel=1e-9)
