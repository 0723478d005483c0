"""`make test` runs every test in tests/: each is selected by exactly one of its parts,
`make test-unit`, `make test-integration` and `make test-compose` (their pytest lines,
collected by pytest)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.make_selection import HALVES, ROOT, TESTS, files_with_tests, unselected


@pytest.fixture(scope="module")
def selections(tmp_path_factory) -> dict:
    """What the whole tree and each half collect (in a fresh interpreter, as `make` runs it)."""
    out = tmp_path_factory.mktemp("selection") / "selections.json"
    done = subprocess.run(
        [sys.executable, "-m", "tests.make_selection", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(out.read_text())


def ids(items: list[dict]) -> set[str]:
    return {item["id"] for item in items}


def test_every_test_runs_in_one_half(selections):
    # Given every test collected from tests/ and the tests each half of `make test` selects
    every = ids(selections["all"])
    halves = [ids(selections[target]) for target in HALVES]
    # Then each test is in a half, and in one only (it does not run twice)
    missing = sorted(unselected(every, halves))
    assert not missing, f"{len(missing)} tests run in neither half, e.g. {missing[:10]}"
    twice = sorted(set().union(*(a & b for i, a in enumerate(halves) for b in halves[i + 1 :])))
    assert not twice, f"{len(twice)} tests run in both halves, e.g. {twice[:10]}"


def test_every_file_with_tests_is_collected(selections):
    # Given the files under tests/ that define test functions, whatever their names
    written = files_with_tests(TESTS)
    # Then pytest collects each of them (a file outside python_files would never run)
    collected = {item["id"].split("::")[0] for item in selections["all"]}
    assert written and not written - collected, sorted(written - collected)


def test_tests_that_need_the_stack_are_integration_tests(selections):
    # Given the tests of the offline half
    offline = selections["test-unit"]
    # Then none starts or reads the deployed local cloud (it would skip there, not run)
    on_stack = [item["id"] for item in offline if item["stack_fixtures"]]
    assert not on_stack, on_stack
    assert not [item["id"] for item in offline if item["integration"]]


def test_a_test_outside_both_halves_is_reported():
    every = {"tests/a.py::test_1", "tests/b.py::test_2", "tests/c.py::test_3"}
    halves = [{"tests/a.py::test_1"}, {"tests/c.py::test_3"}]
    assert unselected(every, halves) == {"tests/b.py::test_2"}


def test_a_misnamed_test_file_is_found(tmp_path):
    # Given a test function in a file pytest's default names do not match, and a helper module
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "checks.py").write_text("class TestX:\n    def test_y(self): ...\n")
    (tmp_path / "tests" / "support.py").write_text("def build(): ...\n")
    # Then only the file with the test is listed
    assert files_with_tests(tmp_path / "tests") == {"tests/checks.py"}
