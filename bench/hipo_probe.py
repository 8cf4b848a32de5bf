"""Probe: HiGHS's new interior point (HiPO, from ``highspy-extras``) against the default IPM on the
planner's own LPs, written to MPS and solved in separate interpreters.

``highspy-extras`` is published only up to 1.15.1 while the project pins ``highspy==1.16.0`` (whose
``extras`` extra asks for ``highspy-extras==1.16.0``, not on PyPI). So HiPO is measured with a side
install of the matching pair, outside the project's venv:

    pip install --no-deps --target /tmp/perf_hipo/h115 highspy==1.15.1 highspy-extras==1.15.1
    PYTHONPATH=src .venv/bin/python bench/hipo_probe.py --side /tmp/perf_hipo/h115 50x1 200x1 50x7

For each size: the LP of synthetic_scenario(places, days, seed 1), proposal 'daily-windows', 15-minute
slots; then wall seconds and objective for ipm with the pinned highspy, and ipm and hipo with the side
install (same machine, same run, one thread each so the figures compare).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

SOLVE = r"""
import json, sys, time, os
import highspy
h = highspy.Highs()
h.setOptionValue("output_flag", False)
h.setOptionValue("threads", 1)
h.readModel(sys.argv[1])
h.setOptionValue("solver", sys.argv[2])
h.setOptionValue("time_limit", float(sys.argv[3]))
t = time.perf_counter()
h.run()
s = time.perf_counter() - t
import resource
print(json.dumps({"solver": sys.argv[2], "highspy": highspy.Highs().version() if hasattr(highspy.Highs(), "version") else "?",
  "status": h.modelStatusToString(h.getModelStatus()), "objective": h.getInfo().objective_function_value, "seconds": s,
  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def write_mps(places: int, days: float, path: str) -> dict:
    from safepassage.plan.lp_build import build_planning_model
    from safepassage.plan.solve import new_highs, to_highs_lp
    from safepassage.scenario.synthetic import synthetic_scenario

    scenario = synthetic_scenario(places, days, 1, 15)
    model = build_planning_model(scenario, scenario.proposal("daily-windows"))
    highs = new_highs()
    highs.passModel(to_highs_lp(model.lp))
    highs.writeModel(path)
    return {"rows": model.lp.n_rows, "cols": model.lp.n_cols, "nnz": int(model.lp.csc().nnz)}


def run(python_path: str | None, mps: str, solver: str, limit_s: float) -> dict:
    env = dict(os.environ)
    if python_path:
        env["PYTHONPATH"] = python_path
    out = subprocess.run([sys.executable, "-c", SOLVE, mps, solver, str(limit_s)], capture_output=True, text=True, env=env, timeout=limit_s * 3 + 60, check=False)
    if out.returncode:
        return {"solver": solver, "error": out.stderr.strip().splitlines()[-1:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sizes", nargs="+", help="PLACESxDAYS, e.g. 200x1")
    parser.add_argument("--side", required=True, help="a --target dir with highspy and highspy-extras of one version")
    parser.add_argument("--limit", type=float, default=300.0)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            places, days = size.split("x")
            mps = os.path.join(tmp, f"{size}.mps")
            started = time.perf_counter()
            info = write_mps(int(places), float(days), mps)
            info["size"] = size
            info["write_s"] = time.perf_counter() - started
            info["runs"] = [run(None, mps, "ipm", args.limit), run(args.side, mps, "ipm", args.limit), run(args.side, mps, "hipo", args.limit)]
            print(json.dumps(info), flush=True)
            rows.append(info)


if __name__ == "__main__":
    main()
