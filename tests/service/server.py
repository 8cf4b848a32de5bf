"""Run the service as a real process on loopback for crash tests and benchmarks.

The server runs under ``timeout`` in its own process group, so it stops by itself even if a test is
interrupted, and a SIGKILL to the group takes it down at once (no shutdown handlers run).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

__all__ = ["Server", "free_port"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``safepassage serve`` on 127.0.0.1 with the given database, data dir and admin password."""

    def __init__(self, database_url: str, data_dir: Path, admin_password: str, max_seconds: int = 300, extra_env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ, "SAFEPASSAGE_DATABASE_URL": database_url, "SAFEPASSAGE_DATA_DIR": str(data_dir),
            "SAFEPASSAGE_SIGNING_KEY": str(data_dir.parent / f"{data_dir.name}-audit-key.pem"),
            "SAFEPASSAGE_ADMIN_PASSWORD": admin_password, "SAFEPASSAGE_PASSWORD_HASH": "fast", **(extra_env or {}),
        }
        self.max_seconds = max_seconds
        self.process: subprocess.Popen[bytes] | None = None
        self.log = data_dir / f"server-{self.port}.log"

    def start(self) -> Server:
        command = ["timeout", "--signal=KILL", str(self.max_seconds), sys.executable, "-c", "from safepassage.cli import main; main()",
                   "serve", "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"the server did not answer on {self.url} within 60 s")

    def kill(self) -> None:
        """SIGKILL the server's whole process group (the crash)."""
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(timeout=30)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.kill()
