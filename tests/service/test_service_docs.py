"""The examples of docs/service.md run against a real server (SQLite, loopback): the curl round trip,
the Python walk-through, and the audit commands."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.service.conftest import ADMIN_PASSWORD
from tests.service.server import Server

DOC = Path(__file__).resolve().parents[2] / "docs" / "service.md"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), flags=re.S)


@pytest.mark.skipif(shutil.which("curl") is None or shutil.which("jq") is None, reason="the curl example needs curl and jq")
def test_documented_examples_run(tmp_path: Path) -> None:
    bash_blocks = _blocks("bash")
    curl_example = next(b for b in bash_blocks if "curl" in b)
    python_example = _blocks("python")[0]
    audit_commands = next(b for b in bash_blocks if "audit export" in b)
    with Server(f"sqlite:///{tmp_path / 'docs.db'}", tmp_path, ADMIN_PASSWORD) as server:
        env = {**os.environ, "SAFEPASSAGE_URL": server.url, "SAFEPASSAGE_ADMIN_PASSWORD": ADMIN_PASSWORD}
        curl = subprocess.run(["bash", "-euo", "pipefail", "-c", curl_example], env=env, capture_output=True, text=True, timeout=120)
        assert curl.returncode == 0, curl.stderr
        assert curl.stdout.split() == ['"warehouse:', 'Central', 'depot"', '"acknowledged"']
        walk = subprocess.run([sys.executable, "-c", python_example], env=env, capture_output=True, text=True, timeout=120)
        assert walk.returncode == 0, walk.stderr
        assert "overdue: True" in walk.stdout and "liaison answers: queried" in walk.stdout
        assert "status: arrived ['requested', 'notified', 'unacknowledged', 'facilitated', 'in_transit', 'arrived']" in walk.stdout
        assert "audit: True" in walk.stdout
        checkpoint = httpx.get(f"{server.url}/health").headers["Safepassage-Checkpoint"]
        (tmp_path / "audit-checkpoint.txt").write_text(checkpoint)  # what a party keeps
        signing_key = server.env["SAFEPASSAGE_SIGNING_KEY"]
    cli_env = {**os.environ, "SAFEPASSAGE_DATABASE_URL": f"sqlite:///{tmp_path / 'docs.db'}", "SAFEPASSAGE_DATA_DIR": str(tmp_path),
               "SAFEPASSAGE_SIGNING_KEY": signing_key,
               "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    for line in audit_commands.strip().splitlines():
        command = line.split("#")[0].strip()
        done = subprocess.run(["bash", "-c", command], env=cli_env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
    assert (tmp_path / "audit.json").exists() and (tmp_path / "deployment.pem").exists()
