"""A training job end to end on moto: bucket data + feedback → registry → SSM pointer → SNS."""

import io
import json
import threading

import boto3
import pytest
from moto import mock_aws

from adapters.config import WorkerSettings
from tests import records
from tests.conftest import specimen
from tests.unit import training_support as support
from tests.unit.test_training_register import _small_search
from training import datasets, gate, job, pipeline
from training.request import Interrupted, TrainingRequest

BUCKET = "data"


@pytest.fixture
def aws(fake_aws_credentials):
    with mock_aws():
        s3, sqs, sns = boto3.client("s3"), boto3.client("sqs"), boto3.client("sns")
        s3.create_bucket(Bucket=BUCKET)
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        inbox = sqs.create_queue(QueueName="inbox")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn["Attributes"]["QueueArn"])
        yield {"s3": s3, "ssm": boto3.client("ssm"), "sqs": sqs, "topic": topic, "inbox": inbox}


def worker_settings(tmp_path, **changes) -> WorkerSettings:
    """The worker's settings on the moto bucket, with a sqlite MLflow store in ``tmp_path``."""
    given = {
        "queue_url": "unused",
        "data_bucket": BUCKET,
        "alerts_topic_arn": None,
        "tracking_uri": f"sqlite:///{tmp_path}/mlflow.db",
        **changes,
    }
    return WorkerSettings(**given)


def put_dataset(s3, dataset_id, frame, status="accepted"):
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    s3.put_object(Bucket=BUCKET, Key=f"processed/{dataset_id}.parquet", Body=buffer.getvalue())
    manifest = records.manifest(dataset_id, status, rows=len(frame))
    s3.put_object(Bucket=BUCKET, Key=manifest.key, Body=json.dumps(manifest.to_dict()))


def put_feedback(s3, prediction_id, features, observed):
    line = records.prediction(prediction_id, features)
    s3.put_object(
        Bucket=BUCKET,
        Key=f"predictions/2026-11-24/{prediction_id}.jsonl",
        Body=records.jsonl([line]),
    )
    label = records.feedback(prediction_id, observed)
    s3.put_object(
        Bucket=BUCKET,
        Key=f"feedback/2026-11-24/{prediction_id}.jsonl",
        Body=records.jsonl([label]),
    )


def features_of(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in ("class", "species")}


def test_training_frames_use_trainable_manifests_and_labelled_feedback(aws):
    # Given one accepted and one refused dataset, two labelled predictions and one unlabelled
    put_dataset(aws["s3"], "good", support.frame())
    put_dataset(aws["s3"], "refused", support.frame().head(0), status="refused")
    put_feedback(aws["s3"], "p1", features_of(specimen()), "p")
    put_feedback(aws["s3"], "p2", features_of(specimen(cap_shape="zz")), "e")  # invalid code
    left_out = {**features_of(specimen()), "gill-spacing": None, "stem-root": None}
    put_feedback(aws["s3"], "p4", left_out, "p")  # optional fields left out, as the API logs them
    aws["s3"].put_object(
        Bucket=BUCKET,
        Key="predictions/2026-11-24/p3.jsonl",
        Body=records.jsonl([records.prediction("p3", {})]),
    )
    # When the job gathers its data
    frames, note = datasets.training_frames(aws["s3"], BUCKET)
    # Then the refused dataset is skipped, valid feedback joins, invalid feedback is counted
    assert note["datasets"] == ["good"]
    assert note["feedback_rows"] == 2 and note["feedback_refused"] == 1
    feedback = next(frame for key, frame in frames.items() if key.startswith("feedback@"))
    assert feedback["class"].tolist() == ["p", "p"]
    assert feedback["stem-root"].isna().tolist() == [False, True]


def test_a_job_registers_promotes_publishes_the_pointer_and_tells_operators(
    aws, tmp_path, monkeypatch
):
    monkeypatch.setattr(pipeline, "search", _small_search)
    support.relax_gate_for_tiny_data(monkeypatch)
    put_dataset(aws["s3"], "good", support.frame())
    settings = worker_settings(tmp_path, alerts_topic_arn=aws["topic"])
    request = TrainingRequest(["new-data"], ["good"], ["c1"])
    outcome = job.run_job(request, threading.Event(), settings, s3=aws["s3"], ssm=aws["ssm"])
    assert outcome["status"] == "promoted" and outcome["version"] == "1"
    pointer = json.loads(aws["ssm"].get_parameter(Name="/mushroom/champion")["Parameter"]["Value"])
    assert pointer["version"] == "1" and pointer["model_uri"].endswith("model.lgb")
    assert pointer["reference_profile_uri"].endswith("reference_profile.json")
    messages = aws["sqs"].receive_message(QueueUrl=aws["inbox"])["Messages"]
    notification = json.loads(messages[0]["Body"])
    assert notification["Subject"] == "mushroom-classifier v1 promoted to champion"
    assert "new-data" in json.loads(notification["Message"])["reasons"]


def test_with_a_shadow_period_a_second_version_is_a_challenger_unless_nothing_serves(
    aws, tmp_path, monkeypatch
):
    monkeypatch.setattr(pipeline, "search", _small_search)
    support.relax_gate_for_tiny_data(monkeypatch)
    put_dataset(aws["s3"], "good", support.frame())
    settings = worker_settings(tmp_path, shadow_period_seconds=60)

    def train() -> dict:
        request = TrainingRequest(["new-data"], ["good"], ["c1"])
        return job.run_job(request, threading.Event(), settings, s3=aws["s3"], ssm=aws["ssm"])

    def pointer() -> dict:
        value = aws["ssm"].get_parameter(Name="/mushroom/champion")["Parameter"]["Value"]
        return json.loads(value)

    # Given a shadow period: the first version serves at once (nothing to compare it with)
    assert train()["status"] == "promoted"
    # When another passes the gate, Then it is a challenger beside version 1, not the champion
    assert train()["status"] == "challenger"
    assert (pointer()["version"], pointer()["challenger"]["version"]) == ("1", "2")
    # And when the pointer is gone (a reset local cloud; the registry still names a champion),
    # the next version serves alone instead of shadowing a champion nobody serves
    aws["ssm"].put_parameter(
        Name="/mushroom/champion", Value=json.dumps({"status": "none"}), Overwrite=True
    )
    assert train()["status"] == "promoted" and pointer()["version"] == "3"


def test_a_refused_model_leaves_the_pointer_alone_and_says_why(aws, tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "search", _small_search)
    monkeypatch.setitem(gate.ABSOLUTE, "random_accuracy", ("min", 1.01))  # unreachable
    put_dataset(aws["s3"], "good", support.frame())
    settings = worker_settings(tmp_path, alerts_topic_arn=aws["topic"])
    outcome = job.run_job(
        TrainingRequest(["alarm:f1-low"], [], ["c1"]),
        threading.Event(),
        settings,
        s3=aws["s3"],
        ssm=aws["ssm"],
    )
    assert outcome["status"] == "refused" and "random_accuracy" in outcome["reason"]
    assert not aws["ssm"].describe_parameters()["Parameters"]
    notification = json.loads(
        aws["sqs"].receive_message(QueueUrl=aws["inbox"])["Messages"][0]["Body"]
    )
    assert notification["Subject"] == "mushroom-classifier v1 refused by the gate"


def test_a_stop_before_training_interrupts_the_job(aws, tmp_path):
    put_dataset(aws["s3"], "good", support.frame())
    settings = worker_settings(tmp_path)
    stop = threading.Event()
    stop.set()
    with pytest.raises(Interrupted):
        job.run_job(
            TrainingRequest(["new-data"], [], []), stop, settings, s3=aws["s3"], ssm=aws["ssm"]
        )
    assert not aws["ssm"].describe_parameters()["Parameters"]


def test_a_down_tracking_server_fails_fast_before_training(aws, tmp_path):
    settings = worker_settings(tmp_path, tracking_uri="http://127.0.0.1:9")  # nothing listens
    with pytest.raises(job.DependencyUnavailable, match="127.0.0.1:9 is not answering"):
        job.run_job(
            TrainingRequest(["new-data"], [], []),
            threading.Event(),
            settings,
            s3=aws["s3"],
            ssm=aws["ssm"],
        )


def test_an_empty_bucket_is_a_finished_request_not_a_failure(aws, tmp_path):
    settings = worker_settings(tmp_path, alerts_topic_arn=aws["topic"])
    outcome = job.run_job(
        TrainingRequest(["alarm:f1-low"], [], []),
        threading.Event(),
        settings,
        s3=aws["s3"],
        ssm=aws["ssm"],
    )
    assert outcome["status"] == "no-data" and "raw/" in outcome["reason"]
    notification = json.loads(
        aws["sqs"].receive_message(QueueUrl=aws["inbox"])["Messages"][0]["Body"]
    )
    assert notification["Subject"] == "Mushroom training: nothing to train on"
