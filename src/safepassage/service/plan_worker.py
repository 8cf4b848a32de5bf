"""The child process of a plan job: ``python -m safepassage.service.plan_worker REQUEST OUTCOME``.

Reads a pickled ``PlanJobRequest`` from REQUEST, runs the engine, writes the pickled outcome to
OUTCOME. Its parent (``jobs.run_limited``) enforces the memory and time limits by killing it.
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

from safepassage.service.jobs import compute_plan


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m safepassage.service.plan_worker REQUEST OUTCOME", file=sys.stderr)
        return 2
    request = pickle.loads(Path(argv[0]).read_bytes())
    outcome = compute_plan(request)
    Path(argv[1]).write_bytes(pickle.dumps(outcome))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
