"""Dependencies run one way: no import cycle among the training modules (function-level imports
included), and the records of the domain package stay free of AWS libraries."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth (``from a import b`` counts ``a`` and ``a.b``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def import_graph(package: str) -> dict[str, set[str]]:
    """module -> the modules of the same package it imports."""
    modules = {f"{package}.{p.stem}": p for p in (ROOT / package).glob("*.py")}
    modules.pop(f"{package}.__init__", None)
    return {name: imported_modules(path) & set(modules) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path (first module repeated at the end), or None."""
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = "open"
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                return path[path.index(target) :] + [target]
            if target not in state and (cycle := visit(target, path + [target])):
                return cycle
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start, [start])):
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_training_modules_have_no_import_cycle():
    graph = import_graph("training")
    assert "training.request" in graph["training.worker"]  # the graph sees real imports
    assert find_cycle(graph) is None


def test_job_worker_and_rollback_depend_one_way():
    graph = import_graph("training")
    assert "training.worker" not in graph["training.job"]
    assert "training.job" not in graph["training.rollback"]
    assert "training.worker" not in graph["training.rollback"]


@pytest.mark.parametrize(
    "path", sorted((ROOT / "mushroom" / "records").glob("*.py")), ids=lambda p: p.name
)
def test_records_import_no_aws_library(path):
    libraries = {name.split(".")[0] for name in imported_modules(path)}
    assert not libraries & {"boto3", "botocore"}
