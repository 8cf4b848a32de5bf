"""The humanitarian-notification curl round trip of docs/service.md runs against a real server and
prints what the text after it says."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.service.conftest import ADMIN_PASSWORD
from tests.service.server import Server

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "service.md"


@pytest.mark.skipif(shutil.which("curl") is None or shutil.which("jq") is None, reason="the curl example needs curl and jq")
def test_hns_curl_round_trip_runs(tmp_path: Path) -> None:
    blocks = re.findall(r"```bash\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    first = next(b for b in blocks if "curl" in b)  # signs in and sets $BASE and $ADMIN
    hns = next(b for b in blocks if "hns-drafts" in b)
    with Server(f"sqlite:///{tmp_path / 'docs.db'}", tmp_path, ADMIN_PASSWORD) as server:
        env = {**os.environ, "SAFEPASSAGE_URL": server.url, "SAFEPASSAGE_ADMIN_PASSWORD": ADMIN_PASSWORD}
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", first + hns], check=False, env=env, cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()[2:]  # after the first example's two lines
    sent = json.loads(lines[0])
    assert sent["state"] == "sent" and sent["notice"]["required_hours"] == 48 and sent["notice"]["late"] is False
    assert sent["notice"]["given_hours"] >= 48  # the plan starts three days from now
    assert lines[1] == "escalated: party North, dissemination"
    diff = dict(line.split(": ", 1) for line in lines[2:-2])
    assert set(diff) == {"/window/earliest_departure", "/window/latest_arrival", "/expires_at"}
    for old_new in diff.values():
        old, new = old_new.split(" -> ")
        assert (dt_of(new) - dt_of(old)).total_seconds() == 3600
    assert lines[-2] == '{"version":2,"renotification":true,"state":"sent"}'
    assert lines[-1] == "denied: active hostilities on the route"


def dt_of(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)
