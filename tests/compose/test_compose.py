"""docker-compose.yml for real: LocalStack 4.9.2 with the project's executor, MLflow and the
trainer in containers (podman-compose here, docker compose where a Docker engine answers);
deployed with `make deploy`, trained once, one /predict answered.

`make test-compose` (part of `make test`) runs it on its own ports (COMPOSE_LOCALSTACK_PORT,
COMPOSE_MLFLOW_PORT; by default one above LOCALSTACK_PORT and MLFLOW_PORT) and its own deploy
state (.state/compose-<port>/), so a `make up` stack may run beside it. Skipped only when no
container engine works here. The images are built once for their inputs (localcloud/image.py),
so a second run takes the time of the deploy and one training run.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from localcloud import compose
from localcloud.engine import Engine, find_engine
from localcloud.health import wait_healthy
from localcloud.settings import Settings, from_env
from scripts import localaws
from tests import stack
from tests.unit.predict_support import features

pytestmark = pytest.mark.integration
UP_SECONDS = 180
DEPLOY_SECONDS = 900
# One training run on the real file: ~75 s on an idle machine; 16 min were not enough here with
# the 2 cores shared by several stacks (load ~18).
TRAIN_SECONDS = 2400


@dataclass
class Composed:
    """The compose stack that the module's tests share."""

    settings: Settings
    engine: Engine
    env: dict
    state_root: Path
    seconds: dict

    def compose(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        """One compose command on this stack (output captured)."""
        return compose.run(
            self.settings,
            self.engine,
            list(args),
            self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def compose_settings() -> Settings:
    """Settings of the compose stack: its ports beside `make up`'s."""
    env = dict(os.environ)
    localstack = env.get("COMPOSE_LOCALSTACK_PORT") or int(env.get("LOCALSTACK_PORT", 4566)) + 1
    mlflow = env.get("COMPOSE_MLFLOW_PORT") or int(env.get("MLFLOW_PORT", 5000)) + 1
    return from_env(env, localstack_port=int(localstack), mlflow_port=int(mlflow))


def port_taken(host: str, port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((host, port)) == 0


def timed(seconds: dict, name: str, started: float) -> None:
    seconds[name] = round(time.monotonic() - started, 1)


@pytest.fixture(scope="module")
def composed(real_data_file):
    s = compose_settings()
    engine, reason = find_engine(s)
    if engine is None:
        pytest.skip(f"no container engine works here: {reason}")
    for port in (s.localstack_port, s.mlflow_port):
        assert not port_taken(s.host, port), f"port {port} is in use: stop what listens there"
    state_root = s.state / f"compose-{s.localstack_port}"
    shutil.rmtree(state_root, ignore_errors=True)  # a fresh LocalStack: no old Terraform state
    state_root.mkdir(parents=True)
    seconds: dict = {}
    started = time.monotonic()
    env = compose.environment(s, engine, str(state_root))
    timed(seconds, "images", started)
    stack_ = Composed(s, engine, env, state_root, seconds)
    stack_.compose("down", timeout=300)  # a stack left by a killed run
    try:
        yield up(stack_)
    finally:
        done = stack_.compose("down", timeout=300)
        print(f"\ncompose stack: {seconds}; down: {done.returncode}")


def up(composed: Composed) -> Composed:
    """`compose up -d`, then both servers healthy."""
    s, started = composed.settings, time.monotonic()
    done = composed.compose("up", "-d", "--no-build")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for url in (f"{s.localstack_url}/_localstack/health", f"{s.mlflow_url}/health"):
        waited = wait_healthy(url, UP_SECONDS)
        logs = composed.compose("logs", timeout=60)
        assert waited is not None, f"{url} not healthy: {logs.stdout[-3000:]}{logs.stderr[-1000:]}"
    timed(composed.seconds, "up", started)
    return composed


@pytest.fixture(scope="module")
def outputs(composed, monkeypatch_module):
    """`make deploy` against the compose LocalStack; outputs.json in the stack's own folder."""
    s, started = composed.settings, time.monotonic()
    env = {
        **os.environ,
        "LOCALSTACK_PORT": str(s.localstack_port),
        "DEPLOY_STATE_ROOT": str(composed.state_root),
    }
    done = subprocess.run(
        ["make", "--no-print-directory", "deploy"],
        cwd=s.repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=DEPLOY_SECONDS,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    timed(composed.seconds, "deploy", started)
    monkeypatch_module.setenv("LOCALSTACK_PORT", str(s.localstack_port))  # localaws's clients
    return localaws.outputs(composed.state_root / "outputs.json")


@pytest.fixture(scope="module")
def monkeypatch_module():
    patch = pytest.MonkeyPatch()
    yield patch
    patch.undo()


def predict(outputs: dict, body: dict) -> tuple[int, dict]:
    call = urllib.request.Request(
        outputs["api_local_url"] + "predict",
        json.dumps(body).encode(),
        {"Content-Type": "application/json", "x-api-key": outputs["api_key"]},
        method="POST",
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(call, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, {"error": error.read().decode(errors="replace")}


def test_the_compose_stack_ingests_trains_once_and_answers_a_prediction(
    composed, outputs, real_data_file
):
    # Given the compose stack, deployed, and the real file uploaded: the ingest function runs
    # in the LocalStack container with its layers
    started = time.monotonic()
    manifest = stack.upload_and_ingest(outputs, real_data_file, "it-compose", timeout=300)
    assert manifest["status"] == "accepted", manifest
    timed(composed.seconds, "ingest", started)
    # When the training run it requested is taken by the trainer's container
    decisions = stack.alerts_about(outputs, manifest["dataset_id"], timeout=TRAIN_SECONDS)
    timed(composed.seconds, "train", started)
    # Then it ends in a promotion, and the prediction API answers from that champion
    (announcement,) = [a for a in decisions if "mushroom-classifier" in a["subject"]]
    assert "promoted" in announcement["subject"], announcement
    pointer = stack.champion_pointer(outputs)
    status, body = predict(outputs, {"specimens": [features()]})
    assert status == 200, body
    assert body["model_version"] == pointer["version"]
    assert len(body["results"]) == 1
    timed(composed.seconds, "test", started)
