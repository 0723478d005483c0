"""The main stack planned offline (mocked AWS provider): tests/infrastructure/tftest/.

The functions come from one definition with sizes from variables, and every size, timeout and
limit variable refuses what AWS would refuse.
"""

from __future__ import annotations

from pathlib import Path

from tests.infrastructure.conftest import stack_copy, terraform_test

TFTEST = Path(__file__).resolve().parent / "tftest" / "stack.tftest.hcl"


def test_stack_plans_and_validates_its_variables(terraform_bin, tmp_path):
    # Given a copy of the stack with placeholder zips
    root = stack_copy(tmp_path)
    # When terraform test plans it with the stack's test file
    result = terraform_test(root, TFTEST.read_text(), tmp_path)
    # Then every run passes: assertions hold and each refused value fails its validation
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " 0 failed" in result.stdout
