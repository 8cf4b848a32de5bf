"""The package sources of a baseline commit, for benches that time this tree against it in one run."""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def baseline_src(commit: str, into: Path) -> Path:
    """Extract ``src/`` of ``commit`` (``git archive``) under the directory ``into``; return its path."""
    archive = into / "base.tar"
    subprocess.run(["git", "-C", str(ROOT), "archive", "-o", str(archive), commit, "src"], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into / "src"
