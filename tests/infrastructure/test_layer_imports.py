"""Each function carries the layers it imports, and only those (layers/functions.json).

The imports are read from the source, not run: the module-level imports of the function's
folder and, transitively, of the domain modules they reach, and ``importlib.util.find_spec
("name")`` anywhere (how predict finds lib_lightgbm without importing lightgbm). Imports inside
a function body are left out: the domain package imports pandas there on purpose, only on the
paths that build data frames, which predict never takes (tests/unit/test_predict_lean.py runs
it); that the deployed functions import what they use is shown by their integration tests.
A layer is for the library of its first pin (layers/<name>/requirements.txt); the others are
that library's dependencies.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import sys
from functools import lru_cache
from pathlib import Path

import pytest

from tests.infrastructure.conftest import REPO

LAYERS = REPO / "layers"
COMPOSITIONS = json.loads((LAYERS / "functions.json").read_text())["functions"]
RUNTIME = {"boto3", "botocore"}  # part of AWS's Python runtime, in no layer


def load_build():
    spec = importlib.util.spec_from_file_location("layer_build", LAYERS / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BUILD = load_build()
DOMAIN_LAYER = BUILD.DOMAIN_LAYER
# The project's own packages the domain layer copies (one, or several with the AWS adapters).
DOMAIN_PACKAGES = tuple(getattr(BUILD, "DOMAIN_PACKAGES", None) or (BUILD.DOMAIN_PACKAGE,))


def pins(layer: str) -> list[str]:
    """Import names of a layer's pins, in order (distribution name, - read as _)."""
    if layer == DOMAIN_LAYER:
        return list(DOMAIN_PACKAGES)
    lines = (LAYERS / layer / "requirements.txt").read_text().splitlines()
    names = [line.split("==")[0].strip() for line in lines if line.strip() and line[0] != "#"]
    return [name.lower().replace("-", "_") for name in names]


def own_libraries(layer: str) -> set[str]:
    """What the layer is for: the domain layer's packages, else the library of its first pin."""
    return set(pins(layer)) if layer == DOMAIN_LAYER else set(pins(layer)[:1])


class ImportScan(ast.NodeVisitor):
    """Dotted names a module imports when loaded (absolute imports, not under TYPE_CHECKING,
    not in function bodies) or looks up with find_spec anywhere."""

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.in_function = 0

    def visit_Import(self, node: ast.Import) -> None:
        if not self.in_function:
            self.names |= {alias.name for alias in node.names}

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if not self.in_function and node.module and not node.level:
            self.names |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}

    def visit_FunctionDef(self, node: ast.AST) -> None:
        self.in_function += 1
        self.generic_visit(node)
        self.in_function -= 1

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_If(self, node: ast.If) -> None:
        if "TYPE_CHECKING" not in ast.unparse(node.test):
            self.generic_visit(node)
        else:
            for child in node.orelse:
                self.visit(child)

    def visit_Call(self, node: ast.Call) -> None:
        if getattr(node.func, "attr", None) == "find_spec":
            self.names |= {arg.value for arg in node.args[:1] if isinstance(arg, ast.Constant)}
        self.generic_visit(node)


def imported_names(path: Path) -> set[str]:
    scan = ImportScan()
    scan.visit(ast.parse(path.read_text(), str(path)))
    return scan.names


def domain_modules(dotted: str) -> list[Path]:
    """The domain package's files that importing ``dotted`` runs (packages' __init__ too)."""
    parts = dotted.split(".")
    found = []
    for end in range(1, len(parts) + 1):
        base = REPO.joinpath(*parts[:end])
        found += [p for p in (base.with_suffix(".py"), base / "__init__.py") if p.is_file()]
    return found


@lru_cache(maxsize=None)
def libraries(function: str) -> frozenset[str]:
    """Top-level packages the function imports from outside its own folder."""
    folder = REPO / "lambdas" / function
    own = {path.stem for path in folder.glob("*.py")}
    todo, seen, tops = sorted(folder.glob("*.py")), set(), set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for dotted in imported_names(path):
            top = dotted.split(".")[0]
            if top in own or top in sys.stdlib_module_names or top == "__future__":
                continue
            tops.add(top)
            if top in DOMAIN_PACKAGES:
                todo += domain_modules(dotted)
    return frozenset(tops)


@pytest.mark.parametrize("function", sorted(COMPOSITIONS))
def test_every_layer_is_for_a_library_the_function_imports(function):
    # Given the function's layers and what its code imports
    imported = libraries(function)
    # Then each layer's own library is among the imports (no layer is dead weight)
    unused = [layer for layer in COMPOSITIONS[function] if not own_libraries(layer) & imported]
    assert not unused, f"{function} carries {unused} but imports {sorted(imported)}"


@pytest.mark.parametrize("function", sorted(COMPOSITIONS))
def test_every_imported_library_comes_from_a_layer(function):
    # Given the libraries the function's layers ship
    shipped = {name for layer in COMPOSITIONS[function] for name in pins(layer)} | RUNTIME
    # Then everything the function imports is among them (an import error on AWS otherwise)
    missing = sorted(libraries(function) - shipped)
    assert not missing, f"{function} imports {missing}, which none of its layers ships"


def test_the_scan_follows_the_domain_package():
    # The monitor imports numpy only through mushroom.monitoring, predict finds lightgbm with
    # find_spec (mushroom/booster.py): both are seen, and predict's lean imports stay lean.
    assert "numpy" in libraries("monitor")
    assert {"numpy", "lightgbm"} <= libraries("predict")
    assert not {"pandas", "pyarrow"} & libraries("predict")
