"""docker-compose.yml runs what `make up` runs: LocalStack with the project's executor in host
mode, MLflow and the trainer, with the same settings (localcloud/services.py) and images
(localcloud/image.py). Brought up for real by tests/compose/test_compose.py."""

from __future__ import annotations

import re
import tarfile
from pathlib import Path

import pytest
import yaml

from localcloud import compose, image
from localcloud.engine import Engine
from localcloud.services import localstack, mlflow, trainer
from localcloud.settings import from_env

ROOT = Path(__file__).resolve().parents[2]
PORTS = {"LOCALSTACK_PORT": "4600", "MLFLOW_PORT": "5100"}
# Folders differ by nature: the container's own, the host's .state/ for `make up`.
PATHS = {"FILESYSTEM_ROOT", "TMPDIR", "XDG_CACHE_HOME", "LOCALCLOUD_STATE_DIR"}


def interpolated(text: str, env: dict) -> str:
    """Compose's ${NAME:-default} substitution."""
    return re.sub(
        r"\$\{(\w+)(?::-([^}]*))?\}", lambda m: env.get(m.group(1), m.group(2) or ""), text
    )


@pytest.fixture(scope="module")
def services() -> dict:
    text = interpolated((ROOT / "docker-compose.yml").read_text(), PORTS)
    return yaml.safe_load(text)["services"]


def dockerfile_env(path: Path) -> dict:
    """The ENV instructions of a Dockerfile (KEY=VALUE form, continued lines)."""
    found, joined = {}, path.read_text().replace("\\\n", " ")
    for line in joined.splitlines():
        if line.startswith("ENV "):
            found.update(pair.split("=", 1) for pair in line[4:].split())
    return found


def test_every_service_is_on_the_host_network_as_make_up_runs_them(services):
    assert set(services) == {"localstack", "mlflow", "trainer"}
    for name, service in services.items():
        assert service["network_mode"] == "host", name
        assert "ports" not in service and "networks" not in service, name


def test_localstack_has_make_ups_environment_and_executor(services):
    # Given what `make up` starts LocalStack with, on the same port
    s = from_env(PORTS)
    wanted = localstack(s).env
    # When the container's environment is the image's ENV plus the compose file's
    built = dockerfile_env(ROOT / "localcloud" / "Dockerfile")
    env = {**built, **services["localstack"]["environment"]}
    # Then every setting is there with the same value (folders are the container's own)
    assert set(wanted) <= set(env), set(wanted) - set(env)
    assert {k: env[k] for k in wanted if k not in PATHS} == {
        k: v for k, v in wanted.items() if k not in PATHS
    }
    assert env["LAMBDA_PYTHON3_12"] == "/usr/local/bin/python3.12"


def test_mlflow_and_trainer_have_make_ups_settings(services):
    s = from_env(PORTS)
    worker = {k: v for k, v in trainer(s).env.items() if k != "LOCALCLOUD_STATE_DIR"}
    assert services["trainer"]["environment"] == worker
    assert services["trainer"]["init"] is True
    assert services["trainer"]["volumes"] == ["./.state:/app/.state:ro"]
    server = mlflow(s)
    assert {k: services["mlflow"]["environment"][k] for k in server.env if k not in PATHS} == {
        k: v for k, v in server.env.items() if k not in PATHS
    }
    command = services["mlflow"]["command"]
    for flag in ("--workers=1", "--no-serve-artifacts", f"--port={s.mlflow_port}"):
        assert flag in command
    assert f"--default-artifact-root=s3://{s.artifact_bucket}" in command


def test_compose_builds_the_images_image_py_builds(services):
    dockerfiles = {name: service["build"]["dockerfile"] for name, service in services.items()}
    assert dockerfiles == {
        "localstack": image.LOCALSTACK.dockerfile,
        "mlflow": image.TRAINER.dockerfile,
        "trainer": image.TRAINER.dockerfile,
    }
    args = services["localstack"]["build"]["args"]
    assert args == {
        "BASE_IMAGE": image.DEFAULT_BASE,
        "LAMBDA_PYTHON_IMAGE": image.DEFAULT_LAMBDA_PYTHON,
    }
    text = (ROOT / "localcloud" / "Dockerfile").read_text()
    assert f"ARG BASE_IMAGE={image.DEFAULT_BASE}" in text
    assert f"ARG LAMBDA_PYTHON_IMAGE={image.DEFAULT_LAMBDA_PYTHON}" in text


def test_podman_compose_runs_with_runc_through_the_project_conf(tmp_path, monkeypatch):
    monkeypatch.setattr(compose.shutil, "which", lambda name: f"/usr/bin/{name}")
    s = from_env({"LOCALSTACK_PORT": "4600"}, repo=tmp_path)
    client, env = compose.command(s, Engine("podman", ("podman",)))
    assert client[1:3] == ["-m", "podman_compose"] and client[-2:] == ["-p", "mushroom-4600"]
    conf = Path(env["CONTAINERS_CONF"]).read_text()
    assert 'runtime = "runc"' in conf and "default_ulimits = []" in conf
    docker, none = compose.command(s, Engine("docker", ("docker",)))
    assert docker[:2] == ["docker", "compose"] and none == {}


def test_the_host_python_is_packed_without_tests_or_site_packages(tmp_path):
    # Given an interpreter folder with its stdlib, tests, installed packages and bytecode
    prefix = tmp_path / "py"
    for name in (
        "bin/python3.12",
        "lib/libpython3.12.so.1.0",
        "lib/python3.12/os.py",
        "lib/python3.12/json/__init__.py",
        "lib/python3.12/test/test_os.py",
        "lib/python3.12/site-packages/pip/__init__.py",
        "lib/python3.12/__pycache__/os.cpython-312.pyc",
        "lib/python3.12/config-3.12-x86_64-linux-gnu/libpython3.12.a",
    ):
        (prefix / name).parent.mkdir(parents=True, exist_ok=True)
        (prefix / name).write_text(name)
    # When it is packed for the LocalStack image
    tar = tmp_path / "python.tar"
    image.pack_python(prefix, "libpython3.12.so.1.0", tar)
    with tarfile.open(tar) as packed:
        members = {m.name: m for m in packed.getmembers()}
    # Then /usr/local holds what a function runs, owned by root, with fixed times
    files = {name for name, m in members.items() if m.isfile()}
    assert files == {
        "usr/local/bin/python3.12",
        "usr/local/lib/libpython3.12.so.1.0",
        "usr/local/lib/python3.12/os.py",
        "usr/local/lib/python3.12/json/__init__.py",
    }
    assert "usr/local/lib/python3.12/site-packages" in members
    assert {(m.uid, m.mtime) for m in members.values()} == {(0, int(image.SOURCE_DATE_EPOCH))}
