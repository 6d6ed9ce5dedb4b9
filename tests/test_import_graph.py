"""The package's import graph: layers in one order, no import climbs to a higher layer, no
import cycle. Runtime imports only: those under ``TYPE_CHECKING`` and inside functions (the
drivers' lazy imports of optional engines) are not edges."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "pulserec"
# lowest first; a package (or top-level module) imports only from its own layer or lower ones
LAYERS: list[set[str]] = [
    {"pulserec", "core", "client"},  # the Python client imports nothing else of pulserec
    {"storage", "index"},
    {"encoders"},
    {"models", "experiments"},
    {"data", "artifacts"},
    {"privacy"},
    {"engine"},
    {"llm"},
    {"api"},
    {"app", "testing", "stream"},
    {"evaluation"},
    {"cli", "__main__"},
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def runtime_imports(source: str, known: set[str]) -> set[str]:
    """The pulserec modules ``source`` imports when it is imported."""
    found: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.ImportFrom) and inner.level == 0 and inner.module:
                if inner.module.startswith("pulserec"):
                    for alias in inner.names:
                        child = f"{inner.module}.{alias.name}"
                        found.add(child if child in known else inner.module)
            elif isinstance(inner, ast.Import):
                found |= {a.name for a in inner.names if a.name.startswith("pulserec")}
    return found & known


def graph() -> dict[str, set[str]]:
    paths = {module_name(p): p for p in SRC.rglob("*.py")}
    known = set(paths)
    return {
        name: runtime_imports(path.read_text(encoding="utf-8"), known) - {name}
        for name, path in paths.items()
    }


def package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "pulserec"


def layer_of(name: str) -> int:
    return next(n for n, layer in enumerate(LAYERS) if name in layer)


def upward(edges: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{source} -> {target}"
        for source, targets in edges.items()
        for target in targets
        if layer_of(package(target)) > layer_of(package(source))
    )


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_every_package_has_a_layer() -> None:
    placed = set().union(*LAYERS)
    assert sorted({package(m) for m in graph()} - placed) == []


def test_no_import_climbs_a_layer() -> None:
    assert upward(graph()) == []


def test_no_import_cycle() -> None:
    assert cycles(graph()) == []


def test_the_checks_catch_a_climb_and_a_cycle() -> None:
    edges = {
        "pulserec.storage.sqlite": {"pulserec.engine.facade"},
        "pulserec.engine.facade": {"pulserec.storage.sqlite"},
    }
    assert upward(edges) == ["pulserec.storage.sqlite -> pulserec.engine.facade"]
    assert cycles(edges) == [["pulserec.engine.facade", "pulserec.storage.sqlite"]]
    source = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pulserec.api\n"
    source += "def f():\n    import pulserec.app\nimport pulserec.engine\n"
    known = {"pulserec.api", "pulserec.app", "pulserec.engine"}
    assert runtime_imports(source, known) == {"pulserec.engine"}
