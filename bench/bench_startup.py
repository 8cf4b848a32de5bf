"""Start-up cost of the command line: ``safepassage --help`` and ``safepassage validate gaza-2023-11``,
with this tree's sources against a baseline commit's (default: dbcb258, before imports were deferred),
measured alternately in the same run, and the import time of ``safepassage.cli`` (``-X importtime``).

    PYTHONPATH=src .venv/bin/python bench/bench_startup.py [--baseline REF] [--rounds 5]

Reported: median CPU seconds (user + system of the child) per command and tree, and the ratio
baseline / now. CPU, not wall, because the machine is shared: wall time counts other people's work.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from baseline_tree import baseline_src

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {"--help": ["--help"], "validate": ["validate", "gaza-2023-11"]}


def _cpu_seconds(src: Path, args: list[str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    env = {**os.environ, "PYTHONPATH": str(src)}
    subprocess.run([sys.executable, "-c", "from safepassage.cli import main; main()", *args], env=env, check=False, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _import_seconds(src: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(src)}
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", "import safepassage.cli"], env=env, capture_output=True, text=True, check=True).stderr
    line = next(x for x in err.splitlines() if re.search(r"\|\s*safepassage\.cli$", x))
    return int(line.split("|")[1]) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", default="dbcb258")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"baseline": baseline_src(args.baseline, Path(tmp)), "now": ROOT / "src"}
        samples: dict[str, dict[str, list[float]]] = {t: {c: [] for c in [*COMMANDS, "import"]} for t in trees}
        for _ in range(args.rounds):
            for tree, src in trees.items():  # alternate, so that load changes hit both
                for name, cmd in COMMANDS.items():
                    samples[tree][name].append(_cpu_seconds(src, cmd))
                samples[tree]["import"].append(_import_seconds(src))
    result = {}
    for name in [*COMMANDS, "import"]:
        base, now = statistics.median(samples["baseline"][name]), statistics.median(samples["now"][name])
        result[name] = {"baseline_s": round(base, 3), "now_s": round(now, 3), "ratio": round(base / now, 1)}
        label = "import safepassage.cli (importtime)" if name == "import" else f"safepassage {' '.join(COMMANDS[name])} (CPU)"
        print(f"{label:45s} baseline {base:6.2f} s   now {now:6.2f} s   {base / now:5.1f}x")
    print(json.dumps({"baseline": args.baseline, "rounds": args.rounds, "results": result}))


if __name__ == "__main__":
    main()
