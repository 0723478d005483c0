"""docker-compose.yml on this machine: its images built or reused as `make up` builds them
(localcloud/image.py), then the engine's compose (podman-compose with runc, or docker compose).

    python -m localcloud compose up -d      # any compose command after `compose`

The images' tags, the ports and DEPLOY_STATE_ROOT reach the file through the environment.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from localcloud import image
from localcloud.engine import CONTAINERS_CONF, Engine
from localcloud.settings import Settings

COMPOSE_FILE = "docker-compose.yml"


def images(s: Settings, engine: Engine) -> dict[str, str]:
    """The images the compose file names, each built once for its inputs (minutes the first
    time, seconds after)."""
    return {
        "BASE_IMAGE": image.base_image(s, engine),
        "LAMBDA_PYTHON_IMAGE": image.lambda_python(s, engine),
        "TRAINER_IMAGE": image.trainer_image(s, engine),
        "LOCALSTACK_IMAGE": image.localstack_image(s, engine),
    }


def project_name(s: Settings) -> str:
    """One compose project per LocalStack port, as `make up` names its trainer container."""
    return f"mushroom-{s.localstack_port}"


def compose_conf(s: Settings) -> str:
    """CONTAINERS_CONF for podman-compose: the user's, else the project's with runc as the
    runtime (podman-compose cannot pass `--runtime` before each podman command)."""
    if s.env.get("CONTAINERS_CONF"):
        return s.env["CONTAINERS_CONF"]
    path = s.state / "containers" / "compose.conf"
    text = CONTAINERS_CONF + ('runtime = "runc"\n' if shutil.which("runc") else "")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def command(s: Settings, engine: Engine) -> tuple[list[str], dict]:
    """The compose command line (up to the subcommand) and its environment."""
    if engine.name == "docker":
        return ["docker", "compose", "-f", COMPOSE_FILE, "-p", project_name(s)], {}
    client = [s.dev_python, "-m", "podman_compose", "-f", COMPOSE_FILE, "-p", project_name(s)]
    return client, {"CONTAINERS_CONF": compose_conf(s)}


def environment(s: Settings, engine: Engine, state_root: str | None = None) -> dict:
    """What the compose file reads: images, ports, bind address, where outputs.json lives."""
    settings = {
        "LOCALSTACK_PORT": str(s.localstack_port),
        "MLFLOW_PORT": str(s.mlflow_port),
        "BIND_HOST": s.host,
        "MLFLOW_ARTIFACT_BUCKET": s.artifact_bucket,
        "DEPLOY_STATE_ROOT": state_root or s.env.get("DEPLOY_STATE_ROOT") or str(s.state),
    }
    return {**settings, **images(s, engine)}


def run(
    s: Settings, engine: Engine, args: list[str], settings: dict | None = None, **kwargs
) -> subprocess.CompletedProcess:
    """Run one compose command in the repository with the images and settings in its env
    (`settings`: an `environment()` made before, so the images are not looked at again)."""
    client, client_env = command(s, engine)
    compose_env = settings if settings is not None else environment(s, engine)
    env = {**os.environ, **engine.env, **compose_env, **client_env}
    return subprocess.run([*client, *args], cwd=s.repo, env=env, **kwargs)
