"""Terraform: formatted, valid, and a second plan after `make deploy` shows no changes."""

from __future__ import annotations

import subprocess

import pytest

from tests.infrastructure.conftest import (
    PROBE_DIR,
    TERRAFORM_DIR,
    deploy,
    terraform,
    terraform_env,
)


@pytest.mark.parametrize("root", [TERRAFORM_DIR, PROBE_DIR], ids=["main", "probe"])
def test_fmt(terraform_bin, root):
    result = terraform("fmt", "-check", "-recursive", "-diff", cwd=root)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("root", [TERRAFORM_DIR, PROBE_DIR], ids=["main", "probe"])
def test_validate(terraform_bin, root, tmp_path):
    # A private data dir: validation needs no backend and must not touch the deploy's.
    env = {**terraform_env(), "TF_DATA_DIR": str(tmp_path / "data")}
    init = terraform("init", "-backend=false", "-input=false", cwd=root, env=env)
    assert init.returncode == 0, init.stderr
    result = terraform("validate", "-no-color", cwd=root, env=env)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.integration
def test_second_plan_has_no_changes(main_outputs):
    # Given the main stack applied by `make deploy`
    # When planning again with -detailed-exitcode
    result = deploy("plan")
    # Then there is nothing to change (exit code 0; 2 means drift)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


@pytest.mark.parametrize(
    "path",
    [
        ".state/terraform/local-main/terraform.tfstate",
        "build/x.zip",
        "terraform/localstack_providers_override.tf",
    ],
)
def test_state_and_generated_files_stay_out_of_git(path):
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "--no-index", path], cwd=TERRAFORM_DIR.parent, check=False
    )
    assert ignored.returncode == 0, f"{path} is not git-ignored"
