"""Every `safepassage` example in docs/uncertainty.md that runs on the tiny scenario runs, and exits 0;
the Python example runs too. (Examples on the default scenario take minutes and are run by hand.)"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from safepassage.cli import app

DOC = Path(__file__).parents[2] / "docs" / "uncertainty.md"
TEXT = DOC.read_text(encoding="utf-8")
COMMANDS = [line[2:] for line in TEXT.splitlines() if line.startswith("$ safepassage ") and "tests/scenarios/tiny.yaml" in line]


def test_the_doc_has_examples_to_run():
    assert len(COMMANDS) >= 3


@pytest.mark.parametrize("command", COMMANDS)
def test_each_documented_command_runs(runner, command):
    result = runner.invoke(app, shlex.split(command)[1:])
    assert result.exit_code == 0, result.output


def test_the_documented_python_example_runs(capsys):
    code = re.search(r"```python\n(.*?)```", TEXT, re.S).group(1)
    exec(compile(code, str(DOC), "exec"), {})
    assert "beats_next" not in capsys.readouterr().err
