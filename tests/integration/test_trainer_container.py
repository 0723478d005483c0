"""The training job in its container on the real local cloud: queue message → gate decision,
and a container killed mid-run loses nothing.

Needs `make up deploy`; `up` builds the image (training/Dockerfile) and runs the worker in it
whenever podman or docker works here.
"""

from __future__ import annotations

import os
import time
import uuid

import pytest

from localcloud import container
from localcloud.engine import engine_named, find_engine
from mushroom.records.training_job import training_job
from scripts import localaws
from tests import stack
from training.datasets import manifests

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def mode(local_cloud):
    """Where `up` put the trainer; an engine that works here must have been used."""
    recorded = container.recorded(local_cloud.settings)
    engine, reason = find_engine(local_cloud.settings)
    if engine is None:
        pytest.skip(f"no container here: {reason}")
    assert recorded is not None and recorded.in_container, recorded
    return recorded


@pytest.fixture(scope="module")
def outputs(local_cloud):
    return stack.deployed_outputs()


@pytest.fixture(scope="module")
def some_data(outputs, real_data_file):
    """At least one accepted dataset to train on (the real file, ingested, when none is)."""
    s3 = localaws.client("s3")
    if not any(m.status == "accepted" for m in manifests(s3, outputs["data_bucket_name"])):
        stack.upload_and_ingest(outputs, real_data_file, "it-container")


def container_id(engine, name: str) -> str:
    """Id of the running container of that name ('' if none)."""
    done = engine.call("inspect", "--format", "{{.Id}}", name, timeout=30)
    return done.stdout.strip() if done.returncode == 0 else ""


def wait_for_text(path, needle: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while needle not in path.read_text(errors="replace"):
        assert time.monotonic() < deadline, f"{needle!r} not in {path} after {timeout:.0f} s"
        time.sleep(0.5)


def test_a_container_killed_mid_run_gets_the_request_back_and_trains_it_to_a_decision(
    local_cloud, mode, outputs, some_data
):
    # Given a training request that the containerised worker has started on
    s = local_cloud.settings
    engine = engine_named(s, mode.engine)
    reason = f"it-container-kill-{uuid.uuid4().hex[:6]}"
    job = training_job(reason, correlation_id=str(uuid.uuid4()))
    localaws.client("sqs").send_message(
        QueueUrl=outputs["training_queue_url"], MessageBody=job.to_json()
    )
    wait_for_text(s.logs / "trainer.log", reason, timeout=120)
    time.sleep(3)  # inside the run (gathering data / searching)
    killed = container_id(engine, mode.container)
    # When the container is killed outright (no signal handler runs, no message is handed back)
    engine.check("kill", "--signal", "KILL", mode.container, timeout=60)
    # Then a new container takes the request once its visibility ends, and trains it to a decision
    found = stack.alerts_about(outputs, reason, timeout=600)
    (decision,) = [a for a in found if "mushroom-classifier" in a["subject"]]
    assert container_id(engine, mode.container) not in ("", killed)
    # And the run was made inside the image, by its non-root user
    from mlflow import MlflowClient

    run = MlflowClient(local_cloud.mlflow_url).get_run(decision["run_id"])
    assert run.data.tags["mlflow.user"] == "trainer"


@pytest.mark.localcloud_lifecycle
def test_down_leaves_no_container_and_up_runs_the_same_image_again(local_cloud, mode):
    if not (local_cloud.started_here or os.environ.get("LOCALCLOUD_LIFECYCLE_TEST") == "1"):
        pytest.skip("stack was already up (maybe in use): down would wipe its LocalStack state")
    engine = engine_named(local_cloud.settings, mode.engine)
    # When the stack is stopped
    result = local_cloud.run("down")
    # Then the trainer's container is gone
    assert result.returncode == 0, result.stdout + result.stderr
    assert not engine.running(mode.container)
    # And `up` runs the worker in the same image again, without building it
    result = local_cloud.run("up")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"trainer: runs in container {mode.container}" in result.stdout
    assert "building the trainer image" not in result.stdout
    assert container.recorded(local_cloud.settings).image == mode.image
    assert engine.running(mode.container)
