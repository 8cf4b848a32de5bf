"""Issue 10 item 6: the whole-plan gap ``(bound - plan) / bound`` on the synthetic sizes, alone.

The same case as ``bench_planner.py``'s size curve (``make bench``): ``synthetic_scenario(places, 1 day,
seed 1, 15-minute slots)``, proposal ``daily-windows``, planned end to end by ``plan_proposal``; so the
figures compare with the gap column of bench/README.md. Each size runs in this process, one after the
other (the LP solve is nearly all of the time).

    PYTHONPATH=src .venv/bin/python bench/bench_integer_gap.py --sizes 200,500
"""

from __future__ import annotations

import argparse
import json
import sys
import time

SEED = 1
PROPOSAL = "daily-windows"


def measure(places: int) -> dict[str, float]:
    from safepassage.plan import plan_proposal
    from safepassage.testing.synthetic import synthetic_scenario

    started = time.perf_counter()
    result = plan_proposal(synthetic_scenario(places, 1, SEED, 15), PROPOSAL)
    return {"places": places, "bound": result.bound, "value": result.objective, "gap": result.gap,
            "round_s": result.timings["round_s"], "wall_s": time.perf_counter() - started}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200,500", help="places, each over one day")
    args = parser.parse_args()
    for places in (int(n) for n in args.sizes.split(",")):
        row = measure(places)
        print(f"{places} places x 1 d: bound {row['bound']:,.0f}, plan {row['value']:,.0f}, gap {row['gap']:.2%} "
              f"(rounding {row['round_s']:.2f} s, {row['wall_s']:.0f} s in all)", flush=True)
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
