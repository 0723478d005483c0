"""The training job on the real stack: SQS → worker → MLflow server → registry → SSM pointer.

Needs `make up deploy`; the training worker runs under supervisord (make up starts it).
"""

from __future__ import annotations

import time
import uuid

import numpy as np
import pytest

from localcloud.health import healthy
from localcloud.supervisor import Supervisor
from mushroom import datafile
from mushroom.records.training_job import training_job
from scripts import localaws
from tests import stack
from training import pipeline
from training.register import MODEL_NAME, register

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def outputs(local_cloud):
    return stack.deployed_outputs()


@pytest.fixture(scope="module")
def mlflow_client(local_cloud, monkeypatch_module):
    from mlflow import MlflowClient

    for name, value in {
        "MLFLOW_S3_ENDPOINT_URL": local_cloud.localstack_url,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch_module.setenv(name, value)
    return MlflowClient(local_cloud.mlflow_url)


@pytest.fixture(scope="module")
def monkeypatch_module():
    patch = pytest.MonkeyPatch()
    yield patch
    patch.undo()


@pytest.fixture(scope="module")
def supervisor(local_cloud):
    return Supervisor(local_cloud.settings)


def send_request(outputs, reason: str) -> None:
    job = training_job(reason, correlation_id=str(uuid.uuid4()))
    localaws.client("sqs").send_message(
        QueueUrl=outputs["training_queue_url"], MessageBody=job.to_json()
    )


@pytest.fixture(scope="module")
def ingested(outputs, real_data_file):
    """The real file uploaded to raw/ and ingested (its upload also requests a training run)."""
    return stack.upload_and_ingest(outputs, real_data_file, "it-training")


def test_an_upload_becomes_a_version_with_both_cvs_and_a_served_champion(
    outputs, mlflow_client, ingested
):
    # Given the real file uploaded and ingested (its manifest exists)
    assert ingested["rows_in"] == 61_069 and ingested["status"] == "accepted"
    # Then the training run it requested ends in a gate decision that operators are told about
    (announcement,) = [
        a
        for a in stack.alerts_about(outputs, ingested["dataset_id"], timeout=420)
        if "mushroom-classifier" in a["subject"]
    ]
    run = mlflow_client.get_run(announcement["run_id"])
    for name in (
        "random_accuracy",
        "species_accuracy",
        "random_roc_auc",
        "species_roc_auc",
        "random_false_edible_rate",
        "species_false_edible_rate",
        "served_false_edible_rate_unseen",
        "edible_confirmed_rate_known",
    ):
        assert name in run.data.metrics, name
    versions = mlflow_client.search_model_versions(f"run_id='{run.info.run_id}'")
    assert versions and versions[0].tags["promotion_decision"] in {
        "promoted",
        "challenger",
        "refused",
    }
    # And the serving pointer names the champion, whose model file exists in S3
    champion = mlflow_client.get_model_version_by_alias(MODEL_NAME, "champion")
    pointer = stack.champion_pointer(outputs)
    assert pointer["version"] == str(champion.version)
    bucket, key = pointer["model_uri"].removeprefix("s3://").split("/", 1)
    assert localaws.client("s3").head_object(Bucket=bucket, Key=key)["ContentLength"] > 1000


def test_a_model_trained_on_shuffled_labels_is_refused_and_the_champion_stays(
    outputs, mlflow_client, real_data_file, tmp_path
):
    before = stack.champion_pointer(outputs)
    sample = datafile.load(real_data_file).accepted.iloc[::10].copy()
    sample["class"] = np.random.default_rng(0).permutation(sample["class"].to_numpy())
    candidate, _ = pipeline.train_candidate(
        {"shuffled-labels": sample}, tmp_path, folds=3, progress=pipeline.Progress(lambda _: None)
    )
    outcome = register(candidate, mlflow_client.tracking_uri)
    assert not outcome["promoted"] and outcome["reason"].startswith("refused")
    refused = mlflow_client.get_model_version(MODEL_NAME, outcome["version"])
    assert refused.tags["promotion_decision"] == "refused"
    assert stack.champion_pointer(outputs) == before


def test_a_worker_killed_mid_run_gets_the_request_again_and_nothing_half_promoted(
    outputs, mlflow_client, supervisor, ingested
):
    reason = f"it-kill-{uuid.uuid4().hex[:6]}"
    send_request(outputs, reason)
    log = supervisor.s.logs / "trainer.log"
    deadline = time.monotonic() + 120
    while reason not in log.read_text(errors="replace") and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(3)  # inside the run (gathering data / searching)
    supervisor.rpc().signalProcess("trainer", "KILL")  # supervisord restarts the worker
    # The request reappears once its visibility timeout ends and is trained to a decision
    found = stack.alerts_about(outputs, reason, timeout=420)
    assert any("mushroom-classifier" in a["subject"] for a in found), found
    champion = mlflow_client.get_model_version_by_alias(MODEL_NAME, "champion")
    assert champion.tags["promotion_decision"] == "promoted"
    assert stack.champion_pointer(outputs)["version"] == str(champion.version)


def test_mlflow_down_fails_fast_retries_and_ends_in_the_dlq_with_an_alert(
    outputs, supervisor, local_cloud, ingested
):
    reason = f"it-mlflow-down-{uuid.uuid4().hex[:6]}"
    sqs = localaws.client("sqs")
    supervisor.rpc().stopProcess("mlflow")
    try:
        send_request(outputs, reason)
        found = stack.alerts_about(outputs, reason, timeout=240)
        assert any("dead-letter" in a["message"] for a in found), found
        assert all("MLflow" in a["message"] for a in found)
        deadline, moved = time.monotonic() + 120, False
        while not moved and time.monotonic() < deadline:
            batch = sqs.receive_message(
                QueueUrl=outputs["training_dlq_url"], WaitTimeSeconds=5, MaxNumberOfMessages=10
            ).get("Messages", [])
            moved = any(reason in message["Body"] for message in batch)
        assert moved, "the request did not reach the dead-letter queue"
    finally:
        supervisor.rpc().startProcess("mlflow")
        deadline = time.monotonic() + 60
        while not healthy(f"{local_cloud.mlflow_url}/health") and time.monotonic() < deadline:
            time.sleep(0.5)
        sqs.purge_queue(QueueUrl=outputs["training_dlq_url"])
