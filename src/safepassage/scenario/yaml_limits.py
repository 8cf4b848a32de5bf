"""Read YAML from an untrusted source within fixed limits, so a hostile document fails fast.

A "billion laughs" document defines a few anchors and aliases each other many times: PyYAML builds
it quickly with shared references, but anything that then walks it (parameter substitution,
validation, line numbers) does exponential work. ``load_yaml`` refuses, before building any Python
object, a document larger than ``MAX_YAML_BYTES``, with more than ``MAX_YAML_ALIASES`` aliases, nested
deeper than ``MAX_YAML_DEPTH`` or whose nodes, with every alias expanded, number more than
``MAX_YAML_NODES``. The packaged Gaza scenario (115 kB, 3,511 nodes) is far inside every limit.

>>> load_yaml("a: [1, 2]")[0]
{'a': [1, 2]}
>>> bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\\n" + "".join(
...     f"{n}: &{n} [{', '.join(['*' + p] * 10)}]\\n" for p, n in zip("abcdefg", "bcdefgh"))
>>> load_yaml(bomb)
Traceback (most recent call last):
...
safepassage.errors.ScenarioError: scenario: 1 problem(s)
  - (file): the YAML expands to more than 300,000 nodes through its aliases (&anchor / *alias) ...
"""

from __future__ import annotations

from typing import Any

import yaml

from safepassage.errors import Problem, ScenarioError

__all__ = ["load_yaml", "MAX_YAML_BYTES", "MAX_YAML_ALIASES", "MAX_YAML_NODES", "MAX_YAML_DEPTH"]

MAX_YAML_BYTES = 10_000_000
MAX_YAML_ALIASES = 10_000
MAX_YAML_NODES = 300_000
MAX_YAML_DEPTH = 200


class _Limit(Exception):
    def __init__(self, message: str, hint: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message, self.hint, self.line = message, hint, line


class _LimitedLoader(yaml.SafeLoader):
    """A SafeLoader that counts aliases and nesting depth while composing the node graph."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.aliases = 0
        self.depth = 0

    def _limit_here(self, message: str, hint: str) -> _Limit:
        return _Limit(message, hint, self.peek_event().start_mark.line + 1)

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_YAML_ALIASES:
                hint = "write the values out, or use fewer anchors"
                raise self._limit_here(f"more than {MAX_YAML_ALIASES:,} aliases (*name)", hint)
        self.depth += 1
        try:
            if self.depth > MAX_YAML_DEPTH:
                hint = "a scenario is a few levels deep; check the indentation"
                raise self._limit_here(f"nested more than {MAX_YAML_DEPTH} levels deep", hint)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _expanded_nodes(root: yaml.Node) -> int:
    """Number of nodes with every alias expanded (shared nodes counted each time they are used).

    Iterative with memoisation, so neither a deep nor an exponentially expanding graph is a problem."""
    size: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in size:
            continue
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        if children_done:
            size[id(node)] = min(1 + sum(size[id(c)] for c in children), MAX_YAML_NODES + 1)
            continue
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in size)
    return size[id(root)]


def load_yaml(text: str, source: str = "scenario") -> tuple[Any, yaml.Node | None]:
    """The data and node graph of one YAML document, within the limits above.

    Raises ``ScenarioError`` (path ``(file)``, with the line where known) for a document over a limit
    or not valid YAML."""
    if len(text) > MAX_YAML_BYTES:
        raise ScenarioError(
            [
                Problem(
                    "(file)",
                    f"the file is {len(text):,} characters; at most {MAX_YAML_BYTES:,} are accepted",
                    "split it, or remove what the scenario does not need",
                )
            ],
            source,
        )
    loader: _LimitedLoader | None = None
    try:
        loader = _LimitedLoader(text)  # its reader refuses control characters at once: inside the try
        node = loader.get_single_node()
        if node is not None and _expanded_nodes(node) > MAX_YAML_NODES:
            raise _Limit(
                f"the YAML expands to more than {MAX_YAML_NODES:,} nodes through its aliases (&anchor / *alias)",
                "this looks like an alias bomb; write the values out instead of nesting aliases",
            )
        data = loader.construct_document(node) if node is not None else None
    except _Limit as exc:
        raise ScenarioError([Problem("(file)", exc.message, exc.hint, exc.line)], source) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ScenarioError(
            [
                Problem(
                    "(file)",
                    f"not valid YAML: {getattr(exc, 'problem', exc)}",
                    "fix the YAML syntax (indentation, quotes, colons)",
                    line,
                )
            ],
            source,
        ) from exc
    finally:
        if loader is not None:
            loader.dispose()
    return data, node
