"""The main stack planned offline (mocked AWS provider): tests/infrastructure/tftest/*.tftest.hcl.

The functions come from one definition with sizes from variables, and every size, timeout and
limit variable refuses what AWS would refuse.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.infrastructure.conftest import stack_copy, terraform_env

TFTESTS = Path(__file__).resolve().parent / "tftest"


def test_stack_plans_and_validates_its_variables(terraform_bin, tmp_path):
    # Given a copy of the stack with the plan tests
    root = stack_copy(tmp_path)
    shutil.copytree(TFTESTS, root / "tests")
    env = {**terraform_env(), "TF_DATA_DIR": str(tmp_path / "data")}

    def terraform(*args: str) -> subprocess.CompletedProcess:
        command = [terraform_bin, *args, "-no-color"]
        return subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)

    init = terraform("init", "-backend=false")
    assert init.returncode == 0, init.stdout[-3000:] + init.stderr[-3000:]
    # When terraform test plans it
    result = terraform("test")
    # Then every run passes: assertions hold and each refused value fails its validation
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " 0 failed" in result.stdout
