"""Fixtures of the infrastructure tests: built artifacts, Terraform, the probe stack."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("BUILD_DIR", REPO / "build"))
STATE = Path(os.environ.get("DEPLOY_STATE_ROOT", REPO / ".state"))
TERRAFORM_DIR = REPO / "terraform"
PROBE_DIR = Path(__file__).resolve().parent / "probe"
DEPLOY = REPO / "scripts" / "deploy.sh"


def localstack_url() -> str:
    return f"http://127.0.0.1:{os.environ.get('LOCALSTACK_PORT', '4566')}"


def localstack_up() -> bool:
    try:
        with urllib.request.urlopen(f"{localstack_url()}/_localstack/health", timeout=3):
            return True
    except OSError:
        return False


def run_build(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """layers/build.py with this interpreter (the dev venv's)."""
    command = [sys.executable, str(REPO / "layers" / "build.py"), *args]
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    assert done.returncode == 0, f"layers/build.py {' '.join(args)} failed:\n{done.stderr[-4000:]}"
    return done


def deploy(action: str, **env: str) -> subprocess.CompletedProcess:
    """scripts/deploy.sh ACTION with extra environment (TF_ROOT, TF_STATE_NAME, TF_VAR_…)."""
    full_env = {**os.environ, "PYTHON": sys.executable, **env}
    return subprocess.run(
        ["bash", str(DEPLOY), action], env=full_env, capture_output=True, text=True, check=False
    )


MIRROR_ROOTS = ("/opt", "/usr/local/share", "/usr/share", str(Path.home() / ".terraform.d"))


def provider_mirror() -> str | None:
    """The offline hashicorp/aws mirror (as scripts/deploy.sh finds it), or None."""
    if os.environ.get("TF_PROVIDER_MIRROR"):
        return os.environ["TF_PROVIDER_MIRROR"]
    for root in MIRROR_ROOTS:
        for depth in ("*/", "*/*/", "*/*/*/"):
            for hit in Path(root).glob(f"{depth}registry.terraform.io/hashicorp/aws"):
                return str(hit.parent.parent.parent)
    return None


def terraform_env() -> dict:
    """Environment for plain `terraform`: a CLI config pointing at the offline mirror."""
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "TF_INPUT": "0"}
    mirror = provider_mirror()
    if mirror:
        rc = BUILD / "terraform-tests.rc"
        rc.parent.mkdir(parents=True, exist_ok=True)
        rc.write_text(
            f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror}"\n' "  }\n}\n"
        )
        env["TF_CLI_CONFIG_FILE"] = str(rc)
    return env


LOCAL_ONLY = "*_override.tf"  # tflocal's LocalStack provider override, left by `make deploy`
# Local state and providers of a deploy never go into a copy.
NOT_COPIED = shutil.ignore_patterns(".terraform", "*.tfstate*", LOCAL_ONLY)
EMPTY_ZIP = b"PK\x05\x06" + bytes(18)


def terraform(*args: str, cwd=TERRAFORM_DIR, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["terraform", *args],
        cwd=cwd,
        env=env or terraform_env(),
        capture_output=True,
        text=True,
        check=False,
    )


def terraform_init(cwd: Path, tmp_path: Path) -> dict:
    """`terraform init` from the offline mirror, with a private data dir; returns the env."""
    env = {**terraform_env(), "TF_DATA_DIR": str(tmp_path / "data")}
    result = terraform("init", "-backend=false", "-input=false", "-no-color", cwd=cwd, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return env


def stack_copy(workdir: Path) -> Path:
    """A copy of terraform/ in workdir/terraform, with layers/functions.json beside it and
    empty zips where the stack hashes its layers and functions (plans and policies do not
    depend on their contents, and a fresh clone has not built them yet)."""
    root = workdir / "terraform"
    shutil.copytree(TERRAFORM_DIR, root, ignore=NOT_COPIED)
    (workdir / "layers").mkdir()
    shutil.copy(REPO / "layers" / "functions.json", workdir / "layers" / "functions.json")
    layout = json.loads((REPO / "layers" / "functions.json").read_text())["functions"]
    layers = {layer for names in layout.values() for layer in names}
    for folder, names in (("layers", layers), ("lambdas", set(layout))):
        (workdir / "build" / folder).mkdir(parents=True, exist_ok=True)
        for name in names:
            (workdir / "build" / folder / f"{name}.zip").write_bytes(EMPTY_ZIP)
    return root


def module_copy(module_dir: Path, tmp_path: Path) -> Path:
    """A copy of one module folder in tmp_path."""
    module = tmp_path / module_dir.name
    shutil.copytree(module_dir, module, ignore=NOT_COPIED)
    return module


def terraform_test(module: Path, test_file: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """`terraform test` of a (copied) module folder with one test file, tests/plan.tftest.hcl."""
    (module / "tests").mkdir(exist_ok=True)
    (module / "tests" / "plan.tftest.hcl").write_text(test_file)
    return terraform("test", "-no-color", cwd=module, env=terraform_init(module, tmp_path))


@pytest.fixture(scope="session")
def built() -> Path:
    """The build directory, after an (incremental) build of every layer and function."""
    run_build()
    return BUILD


@pytest.fixture(scope="session")
def terraform_bin() -> str:
    path = shutil.which("terraform")
    if not path:
        pytest.skip("terraform is not installed")
    return path


@pytest.fixture(scope="session")
def main_outputs() -> dict:
    """Outputs of the deployed main stack (.state/outputs.json from `make deploy`)."""
    outputs = STATE / "outputs.json"
    if not localstack_up():
        pytest.skip(f"LocalStack is not answering on {localstack_url()} (make up)")
    if not outputs.exists():
        pytest.skip("the main stack is not deployed (make deploy)")
    return {name: item["value"] for name, item in json.loads(outputs.read_text()).items()}


@pytest.fixture(scope="session")
def aws(main_outputs):
    """boto3 client factory pointed at LocalStack."""
    import boto3

    def client(service: str):
        return boto3.client(
            service,
            endpoint_url=localstack_url(),
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    return client


@pytest.fixture(scope="session")
def probe(main_outputs, built) -> dict:
    """The probe stack (tests/infrastructure/probe), applied for the session, then destroyed."""
    probe_zip = BUILD / "probe" / "probe.zip"
    run_build("zip-dir", str(PROBE_DIR / "function"), str(probe_zip))
    env = {
        "TF_ROOT": str(PROBE_DIR),
        "TF_STATE_NAME": "probe",
        "TF_VAR_probe_zip": str(probe_zip),
        "TF_VAR_layer_arns": json.dumps([main_outputs["layer_arns"]["ml"]]),
        "TF_VAR_lambda_runtime": "python3.12",
    }
    started = time.time()
    applied = deploy("apply", **env)
    if applied.returncode != 0:
        deploy("destroy", **env)
        pytest.fail(f"probe apply failed:\n{applied.stdout[-3000:]}\n{applied.stderr[-3000:]}")
    outputs_file = STATE / "terraform" / "local-probe" / "outputs.json"
    outputs = {k: v["value"] for k, v in json.loads(outputs_file.read_text()).items()}
    outputs["applied_at"] = started
    yield outputs
    destroyed = deploy("destroy", **env)
    assert destroyed.returncode == 0, destroyed.stderr[-3000:]
