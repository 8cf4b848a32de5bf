"""Every `$ safepassage ...` line in docs/formats.md runs, in order, in a fresh folder, and succeeds."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from safepassage.cli import app

DOC = Path(__file__).parent.parent.parent / "docs" / "formats.md"


def commands() -> list[list[str]]:
    blocks = re.findall(r"```console\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    return [shlex.split(line[2:])[1:] for block in blocks for line in block.splitlines() if line.startswith("$ safepassage ")]


def test_every_documented_command_runs(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    found = commands()
    assert {c[0] for c in found} >= {"export", "import-hxl", "validate", "report"}
    for args in found:
        result = runner.invoke(app, args)
        assert result.exit_code == 0, f"safepassage {' '.join(args)}\n{result.output}"
    assert (tmp_path / "report" / "report.html").is_file()
    assert len(list((tmp_path / "alerts").glob("*.xml"))) == 5
    assert (tmp_path / "daily-4h-north.ics").read_bytes().startswith(b"BEGIN:VCALENDAR")
    assert b"SEQUENCE:0" in (tmp_path / "daily-4h-north-v2.ics").read_bytes()  # published again unchanged
    assert (tmp_path / "hxl" / "zones.plain.csv").is_file()


def test_public_api_is_complete():
    import safepassage.interop as interop

    assert sorted(interop.__all__) == sorted(set(interop.__all__))
    for name in interop.__all__:
        assert getattr(interop, name) is not None, name
