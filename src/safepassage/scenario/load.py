"""Read a scenario from YAML (a file, a string, or a packaged name), substitute ``"$parameter"``
references, validate it, and report every problem with its path, YAML line and a hint.

>>> from safepassage.scenario import load_scenario
>>> scenario = load_scenario("gaza-2023-11")
>>> scenario.timezone
'Asia/Gaza'
"""

from __future__ import annotations

import difflib
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from safepassage.errors import Problem, ScenarioError
from safepassage.scenario.checks import plan_problems, reference_problems
from safepassage.scenario.model import Scenario
from safepassage.scenario.yaml_limits import load_yaml

__all__ = [
    "load_scenario",
    "parse_scenario",
    "builtin_scenarios",
    "resolve_scenario_path",
    "with_parameters",
]

_BUILTIN = "safepassage.scenario.builtin"

_HINTS = {
    "missing": "add this field",
    "extra_forbidden": "remove it, or check its spelling against `safepassage schema`",
    "float_parsing": "give a number",
    "float_type": "give a number",
    "int_parsing": "give a whole number",
    "int_type": "give a whole number",
    "int_from_float": "give a whole number",
    "greater_than": "must be positive: a zero or negative capacity or size means nothing can pass; remove the field if there is no limit",
    "greater_than_equal": "must not be negative",
    "less_than_equal": "too large for this field",
    "string_type": "give text",
    "string_pattern_mismatch": "ids use lower-case letters, digits, '-' and '_'",
    "list_type": "give a list",
    "dict_type": "give a mapping of key: value",
    "model_type": "give a mapping of key: value",
    "datetime_from_date_parsing": "give a local date-time such as 2023-11-24T10:00",
    "datetime_parsing": "give a local date-time such as 2023-11-24T10:00",
    "datetime_type": "give a local date-time such as 2023-11-24T10:00",
    "bool_parsing": "give true or false",
    "literal_error": "use one of the allowed values",
    "enum": "use one of the allowed values",
    "too_short": "this list needs at least one entry",
}


def builtin_scenarios() -> list[str]:
    """Names of the scenarios packaged with Safe Passage."""
    folder = resources.files(_BUILTIN)
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def resolve_scenario_path(ref: str | Path) -> Path:
    """A file path for ``ref``: an existing file, or the name of a packaged scenario."""
    path = Path(ref)
    if path.is_file():
        return path
    if isinstance(ref, str) and ref in builtin_scenarios():
        return Path(str(resources.files(_BUILTIN).joinpath(f"{ref}.yaml")))
    known = ", ".join(builtin_scenarios())
    raise ScenarioError(
        [Problem(str(ref), "no such file and no packaged scenario of that name", f"give a YAML file path or one of: {known}")],
        source=str(ref),
    )


def load_scenario(ref: str | Path, overrides: dict[str, float] | None = None) -> Scenario:
    """Load and validate a scenario from a file path or packaged name; ``overrides`` set parameters.

    Raises ``ScenarioError`` listing every problem (path, line, message, hint).
    """
    path = resolve_scenario_path(ref)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem(str(path), f"cannot read file: {exc}", "check the path and that it is UTF-8 text")], str(path)) from exc
    return parse_scenario(text, source=str(path), overrides=overrides)


def parse_scenario(text: str, source: str = "scenario", overrides: dict[str, float] | None = None) -> Scenario:
    """Validate scenario YAML text; see ``load_scenario``."""
    data, node = load_yaml(text, source)  # within size, alias and depth limits: hostile input fails fast
    lines = _line_map(node)
    if not isinstance(data, dict):
        raise ScenarioError([Problem("(file)", "a scenario is a YAML mapping (name:, places:, roads: ...)", "see `safepassage schema`")], source)
    problems: list[Problem] = []
    data = _apply_overrides(data, overrides or {}, problems)
    data = _substitute_parameters(data, problems)
    problems += reference_problems(data)
    scenario: Scenario | None = None
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        # A field holding an unknown "$reference" has its problem already; pydantic's "not a number"
        # about the same field would only mislead.
        unresolved = {p.path for p in problems if p.message.startswith("unknown parameter reference")}
        problems = [p for p in _pydantic_problems(exc) if p.path not in unresolved] + problems
    if scenario is not None and not problems:
        problems += plan_problems(scenario)
    problems = [_with_line(p, lines) for p in problems]
    if problems:
        raise ScenarioError(problems, source)
    assert scenario is not None  # no problems means validation succeeded
    return scenario


def with_parameters(scenario_ref: str | Path, overrides: dict[str, float]) -> Scenario:
    """The scenario with some parameters set to other values (used by sensitivity analysis)."""
    return load_scenario(scenario_ref, overrides=overrides)


def _apply_overrides(data: dict[str, Any], overrides: dict[str, float], problems: list[Problem]) -> dict[str, Any]:
    if not overrides:
        return data
    parameters = dict(data.get("parameters") or {})
    for name, value in overrides.items():
        if name not in parameters or not isinstance(parameters[name], dict):
            problems.append(Problem(f"parameters.{name}", "no such parameter to override", f"known: {', '.join(sorted(parameters))}"))
            continue
        entry = dict(parameters[name])
        entry["value"] = value
        # An override outside the stated range widens the range rather than failing: the user knows best.
        if entry.get("low") is not None and value < entry["low"]:
            entry["low"] = value
        if entry.get("high") is not None and value > entry["high"]:
            entry["high"] = value
        parameters[name] = entry
    return {**data, "parameters": parameters}


def _substitute_parameters(data: dict[str, Any], problems: list[Problem]) -> dict[str, Any]:
    parameters = data.get("parameters") if isinstance(data.get("parameters"), dict) else {}

    def walk(node: Any, path: str) -> Any:
        if isinstance(node, dict):
            return {k: (v if path == "" and k == "parameters" else walk(v, f"{path}.{k}" if path else str(k))) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, f"{path}[{i}]") for i, v in enumerate(node)]
        if isinstance(node, str) and node.startswith("$") and len(node) > 1:
            name = node[1:]
            entry = parameters.get(name)
            if isinstance(entry, dict) and isinstance(entry.get("value"), (int, float)):
                return entry["value"]
            close = difflib.get_close_matches(name, sorted(parameters), n=1)
            hint = f"did you mean '${close[0]}'?" if close else f"define '{name}' under parameters with a numeric value"
            problems.append(Problem(path, f"unknown parameter reference '{node}'", hint))
            return node
        return node

    return walk(data, "")


def _format_loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(file)"


def _pydantic_problems(exc: ValidationError) -> list[Problem]:
    problems = []
    for error in exc.errors(include_url=False):
        # Drop pydantic's union/function tags (e.g. 'function-after[...]') from the path.
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and ("[" in p or p.startswith("function"))))
        message = error["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, "):]
        hint = _HINTS.get(error["type"], "")
        if error["type"] in ("literal_error", "enum"):
            hint = message
            message = f"{error.get('input')!r} is not an allowed value"
        problems.append(Problem(_format_loc(loc), message, hint))
    return problems


def _line_map(node: yaml.Node | None) -> dict[str, int]:
    lines: dict[str, int] = {}

    def walk(n: yaml.Node, path: str) -> None:
        lines.setdefault(path or "(file)", n.start_mark.line + 1)
        if isinstance(n, yaml.MappingNode):
            for key, value in n.value:
                sub = f"{path}.{key.value}" if path else str(key.value)
                lines[sub] = key.start_mark.line + 1
                walk(value, sub)
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                walk(item, f"{path}[{i}]")

    if node is not None:
        walk(node, "")
    return lines


def _with_line(problem: Problem, lines: dict[str, int]) -> Problem:
    path = problem.path
    while path:
        if path in lines:
            return Problem(problem.path, problem.message, problem.hint, lines[path])
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return problem
