"""The package's layers: imports go downward only, with no cycle.

Every import in ``toolkit/`` is read from source, those inside functions included
(typing-only imports under ``TYPE_CHECKING`` excepted). DESIGN.md's layers, lowest
first: divergence, problem, engines, compare, studies, report, cli; ``config``,
``errors``, ``quiet`` and ``threads`` sit below them all. The one upward import allowed is
``compare`` -> ``report`` for ``Comparison``'s convenience methods, which cannot
form a cycle because ``report`` imports neither ``compare`` nor ``studies`` (the study
sections draw from the studies' frames, which carry what they need).
"""

from __future__ import annotations

import ast
from pathlib import Path

import toolkit

PACKAGE = Path(toolkit.__file__).parent
#: Layer of each top-level part of the package: a module may import its own layer or lower.
LAYERS = {
    "config": 0,
    "errors": 0,
    "quiet": 0,
    "threads": 0,
    "divergence": 1,
    "problem": 2,
    "engines": 3,
    "compare": 4,
    "studies": 5,
    "report": 6,
    "cli": 7,
}
ALLOWED_UPWARD = {("compare", "report")}


def _modules() -> dict[str, set[str]]:
    """Module name -> the toolkit modules it imports (function-level imports included)."""
    graph = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {
            id(n)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for child in node.body
            for n in ast.walk(child)
        }
        imported = set()
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
                imported.update(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                imported.update(a.name for a in node.names)
        graph[name] = imported
    names = set(graph)
    return {
        m: {d for d in deps if d in names and d != m and not m.startswith(d + ".")}
        for m, deps in graph.items()
    }


def _part(module: str) -> str:
    return module.split(".")[1] if "." in module else ""


def test_no_import_cycle():
    graph = _modules()
    state: dict[str, int] = {}
    cycles = []

    def visit(module, stack):
        state[module] = 1
        stack.append(module)
        for dep in sorted(graph[module]):
            if state.get(dep) == 1:
                cycles.append([*stack[stack.index(dep) :], dep])
            elif dep not in state:
                visit(dep, stack)
        stack.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [])
    assert cycles == []


def test_layers_depend_downward():
    wrong = []
    for module, deps in _modules().items():
        here = _part(module)
        if here not in LAYERS:
            continue
        for dep in deps:
            there = _part(dep)
            upward = there in LAYERS and LAYERS[there] > LAYERS[here]
            if upward and (here, there) not in ALLOWED_UPWARD:
                wrong.append(f"{module} -> {dep}")
    assert wrong == []


def test_report_never_imports_compare_or_studies():
    for module, deps in _modules().items():
        if _part(module) == "report":
            assert not {d for d in deps if _part(d) in ("compare", "studies", "cli")}, module


def test_every_part_has_a_layer():
    parts = {_part(m) for m in _modules()} - {""}
    assert parts <= set(LAYERS), parts - set(LAYERS)


def test_studies_sit_between_compare_and_report():
    graph = _modules()
    studies = {m for m in graph if _part(m) == "studies"}
    assert "toolkit.studies.runner" in studies  # the layer exists and is checked
    allowed = {
        "config",
        "errors",
        "quiet",
        "threads",
        "divergence",
        "problem",
        "engines",
        "compare",
        "studies",
    }
    for module in studies:
        assert {_part(d) for d in graph[module]} <= allowed, module
    below = {"config", "errors", "quiet", "threads", "divergence", "problem", "engines", "compare"}
    for module, deps in graph.items():
        if _part(module) in below:
            assert not {d for d in deps if _part(d) == "studies"}, module
