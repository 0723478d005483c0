"""Which tests each part of `make test` selects, as pytest itself collects them.

    python -m tests.make_selection OUT.json

writes ``{"all": [...], "test-unit": [...], "test-integration": [...], "test-compose": [...]}``:
for each, the collected tests (node id, integration marker, deployed-stack fixtures used). The
parts' arguments are the Makefile's own pytest lines (``make -n``, variables expanded). Run it
in a fresh interpreter (tests/unit/test_make_test_selection.py does): the collections share
one process, so the test modules are imported once.
"""

from __future__ import annotations

import ast
import json
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
HALVES = ("test-unit", "test-integration", "test-compose")
# Fixtures that start or read the deployed local cloud: their tests belong to test-integration.
STACK_FIXTURES = frozenset({"local_cloud", "main_outputs"})


def pytest_arguments(target: str) -> list[str]:
    """The pytest arguments in a Makefile target's recipe (``make -n``: nothing runs)."""
    recipe = subprocess.run(
        ["make", "-n", "--no-print-directory", target],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for line in recipe.splitlines():
        words = shlex.split(line)
        for index in range(len(words) - 1):
            if words[index : index + 2] == ["-m", "pytest"]:
                return words[index + 2 :]
    raise ValueError(f"`make {target}` runs no pytest:\n{recipe}")


class Recorder:
    """pytest plugin: the tests a session selected, after -m and -k."""

    def __init__(self) -> None:
        self.items: list[dict] = []

    def pytest_collection_finish(self, session) -> None:
        self.items = [
            {
                "id": item.nodeid,
                "integration": item.get_closest_marker("integration") is not None,
                "stack_fixtures": sorted(STACK_FIXTURES & set(getattr(item, "fixturenames", ()))),
            }
            for item in session.items
        ]


def collect(arguments: list[str]) -> list[dict]:
    """The tests pytest selects with these arguments (collection only)."""
    import pytest

    recorder = Recorder()
    code = pytest.main(
        ["--collect-only", "-q", "-p", "no:cacheprovider", *arguments], plugins=[recorder]
    )
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        raise RuntimeError(f"pytest {' '.join(arguments)}: collection failed ({code})")
    return recorder.items


def unselected(every: set[str], halves: list[set[str]]) -> set[str]:
    """Tests that no half selects."""
    return every.difference(*halves)


def files_with_tests(folder: Path) -> set[str]:
    """Python files under ``folder`` that define test functions (``test_*``, also in classes),
    relative to the repository: what pytest should collect whatever the files are named."""
    found = set()
    for path in folder.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        bodies = [tree.body] + [n.body for n in tree.body if isinstance(n, ast.ClassDef)]
        if any(
            isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.name.startswith("test")
            for body in bodies
            for node in body
        ):
            found.add(path.relative_to(folder.parent).as_posix())
    return found


def main(out: str) -> int:
    selections = {"all": [TESTS.relative_to(ROOT).as_posix()]}
    selections.update({target: pytest_arguments(target) for target in HALVES})
    collected = {name: collect(arguments) for name, arguments in selections.items()}
    Path(out).write_text(json.dumps({"arguments": selections, **collected}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
