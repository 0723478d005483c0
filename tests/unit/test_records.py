"""The records between components: each from its real writer to its real readers (moto), and
each record's own shape: a format version, a clear error for anything else."""

from __future__ import annotations

import dataclasses

import importlib
import json

import boto3
import mlflow
import pytest
from moto import mock_aws

from adapters.config import WorkerSettings
from adapters.messaging import Messenger
from mushroom.model import ModelBundle
from mushroom.records.bundle import LAYOUT, BundleLayout
from mushroom.records.champion import NO_CHAMPION, ChampionPointer, read_pointer
from mushroom.records.reference import ReferenceProfile
from mushroom.records.training_job import NEW_DATA, TrainingJob, training_job
from mushroom.retraining import Trigger
from tests.events import LambdaContext, api_gateway_request
from tests.unit import predict_support
from tests.unit.predict_support import features
from tests.unit.test_training_register import candidate
from training.publish import ChampionPublisher
from training.register import MODEL_NAME, register
from training.request import TrainingRequest
from training.worker import Worker

ARTIFACTS, DATA, PARAMETER = "mlflow-artifacts", "mushroom-data", "/mushroom/champion"
ENVIRONMENT = {
    "DATA_BUCKET": DATA,
    "CHAMPION_PARAMETER": PARAMETER,
    "CHAMPION_REFRESH_SECONDS": "0",
    "POWERTOOLS_METRICS_NAMESPACE": "Mushroom",
}
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="module")
def promoted(tmp_path_factory):
    """Moto S3/SSM with the champion parameter as Terraform creates it and the predict
    function's environment; a candidate registered (artifacts in S3, as the stack's tracking
    server keeps them) and promoted, its pointer published by the worker's publisher. Trained
    once for the module: (s3, ssm, registration outcome, tracking URI)."""
    tmp_path = tmp_path_factory.mktemp("registry")
    with pytest.MonkeyPatch.context() as patch, mock_aws():
        for name, value in {**ENVIRONMENT, **FAKE_CREDENTIALS}.items():
            patch.setenv(name, value)
        s3, ssm = boto3.client("s3"), boto3.client("ssm")
        for bucket in (ARTIFACTS, DATA):
            s3.create_bucket(Bucket=bucket)
        ssm.put_parameter(Name=PARAMETER, Value=json.dumps(NO_CHAMPION), Type="String")
        key = predict_support.KEY
        ssm.put_parameter(Name=predict_support.KEY_PARAMETER, Value=key, Type="SecureString")
        uri = f"sqlite:///{tmp_path}/mlflow.db"
        outcome = register(candidate(tmp_path, patch), uri, f"s3://{ARTIFACTS}/experiments")
        assert outcome["promoted"], outcome["reason"]
        ChampionPublisher(ssm, PARAMETER)(outcome["pointer"])
        yield s3, ssm, outcome, uri


def monitor_store(s3, ssm, monkeypatch):
    monkeypatch.syspath_prepend(str(predict_support.PREDICT_DIR.parent / "monitor"))
    return importlib.import_module("monitor_store").MonitorStore(s3, ssm, DATA, PARAMETER)


def test_the_pointer_promotion_writes_is_what_predict_serves(promoted):
    # Given a promoted version whose pointer the worker published
    outcome = promoted[2]
    handler = predict_support.load_handler()
    # When the predict function reads the pointer and loads the bundle its URIs name
    model = call(handler, "GET", "/model")
    answer = call(handler, "POST", "/predict", {"specimens": [features()]})
    # Then it serves that version, with the figures the pointer carries
    assert model["model_version"] == outcome["version"] == answer["model_version"]
    assert model["run_id"] == outcome["run_id"]
    assert model["metrics"] == dict(outcome["pointer"].metrics) and model["metrics"]
    assert answer["results"][0]["decision"]


def test_the_pointer_and_reference_training_writes_are_what_the_monitor_reads(
    promoted, monkeypatch
):
    s3, ssm, outcome, _ = promoted
    store = monitor_store(s3, ssm, monkeypatch)
    pointer = store.champion()
    # the publisher stamps the promotion time (the switch-back window starts there)
    assert dataclasses.replace(pointer, promoted_at=None) == outcome["pointer"]
    assert pointer.promoted_at and pointer.previous is None
    reference = store.reference_profile(pointer)
    assert isinstance(reference, ReferenceProfile) and "cap-diameter" in reference.features
    assert reference.features["cap-shape"].kind == "categorical"


def test_a_version_carries_its_files_where_the_layout_says(promoted, tmp_path):
    _, _, outcome, uri = promoted
    client = mlflow.MlflowClient(uri)
    folder = client.download_artifacts(outcome["run_id"], "model", str(tmp_path / "download"))
    bundle = ModelBundle.from_folder(folder)
    assert bundle.predict([features()])[0]["decision"]
    assert outcome["pointer"].model_uri.endswith(f"/{LAYOUT.model}")


def test_the_registered_model_has_a_signature_an_example_and_its_training_data(promoted):
    _, _, outcome, uri = promoted
    client = mlflow.MlflowClient(uri)
    mlflow.set_tracking_uri(uri)
    info = mlflow.models.get_model_info(f"models:/{MODEL_NAME}/{outcome['version']}")
    assert info.signature is not None and info.saved_input_example_info is not None
    assert info.signature.inputs.input_names()[0] == "cap_diameter"
    [dataset] = client.get_run(outcome["run_id"]).inputs.dataset_inputs
    assert dataset.dataset.name == "mushroom-training-set"
    assert [tag.value for tag in dataset.tags] == ["training"]


def call(handler, method, path, body=None):
    event = api_gateway_request(method, path, body)
    response = handler.lambda_handler(event, LambdaContext("mushroom-predict"))
    assert response["statusCode"] == 200, response["body"]
    return json.loads(response["body"])


def test_the_jobs_ingest_and_retrain_send_are_what_the_worker_reads(fake_aws_credentials):
    with mock_aws():
        sqs = boto3.client("sqs")
        queue = sqs.create_queue(QueueName="training-jobs")["QueueUrl"]
        messenger = Messenger(sqs, None, queue, None)
        # Given a job from ingest (new data) and one from retrain (an alarm)
        ingested = training_job(NEW_DATA, ["d1"], correlation_id="c1", manifests=["manifests/d1"])
        messenger.request_training(ingested)
        messenger.request_training(Trigger("alarm:f1-low", "c2", alarm_name="f1-low").job())
        # When the worker polls
        seen = []
        settings = WorkerSettings(queue_url=queue, alerts_topic_arn=None, wait_seconds=0)
        worker = Worker(settings, lambda request, stop: seen.append(request) or {}, sqs, sns=None)
        worker.poll_once()
    # Then one run carries both reasons, the data set and both correlation ids
    [request] = seen
    assert request.reasons == [NEW_DATA, "alarm:f1-low"] and request.dataset_ids == ["d1"]
    assert request.correlation_ids == ["c1", "c2"]


def test_a_body_that_is_no_training_job_still_asks_for_a_run():
    other_format = json.dumps({"format_version": 2, "reason": "new-data"})
    request = TrainingRequest.from_messages(
        [{"Body": other_format, "MessageId": "m1", "ReceiptHandle": "r1"}]
    )
    assert request.reasons == ["unreadable-message"] and request.correlation_ids == ["m1"]


def pointer() -> ChampionPointer:
    return ChampionPointer.locate(
        "mushroom-classifier",
        "7",
        "run7",
        "s3://a/1/models/m-7/artifacts/",
        "s3://a/1/run7/artifacts",
        "2026-11-30T00:00:00+00:00",
        0.3,
        {"random_accuracy": 0.99, "not_shown": 1.0},
    )


def test_the_pointer_names_the_layouts_files_and_only_the_shown_metrics():
    written = pointer().to_dict()
    assert written["format_version"] == 1
    assert written["model_uri"] == "s3://a/1/models/m-7/artifacts/model.lgb"
    assert written["safety_uri"] == "s3://a/1/models/m-7/artifacts/extra_files/safety.json"
    assert written["reference_profile_uri"] == "s3://a/1/run7/artifacts/reference_profile.json"
    assert written["metrics"] == {"random_accuracy": 0.99}
    assert read_pointer(pointer().to_json()) == pointer()


def test_no_champion_yet_is_none_and_any_other_shape_a_clear_error():
    assert read_pointer(json.dumps({"status": "none"})) is None
    with pytest.raises(ValueError, match="champion pointer: missing .*model_uri"):
        read_pointer(json.dumps({"version": "1", "files": {"model": "m"}}))
    with pytest.raises(ValueError, match="format_version 2 is not 1"):
        read_pointer(json.dumps({**pointer().to_dict(), "format_version": 2}))
    nested = {**pointer().to_dict(), "metrics": {"random": {"accuracy": 0.9}}}
    with pytest.raises(ValueError, match="metrics must map names to numbers"):
        read_pointer(json.dumps(nested))


def test_a_reference_profile_has_one_shape():
    listed = {"rows": 1, "bins": 2, "features": [{"name": "a", "kind": "numeric"}]}
    with pytest.raises(ValueError, match="features must map"):
        ReferenceProfile.from_dict(listed)
    old_names = {"kind": "numeric", "bin_edges": [0, 1], "shares": [1.0]}
    with pytest.raises(ValueError, match="feature 'a': missing edges"):
        ReferenceProfile.from_dict({"rows": 1, "bins": 2, "features": {"a": old_names}})
    codes = {"kind": "categorical", "codes": ["x"], "shares": [1.0]}
    with pytest.raises(ValueError, match="categorical code shares"):
        ReferenceProfile.from_dict({"rows": 1, "bins": 2, "features": {"a": codes}})


def test_training_jobs_and_layouts_round_trip():
    job = training_job("manual:check", ["a", "b"], correlation_id=None, manifests=["m/a"])
    assert TrainingJob.from_json(job.to_json()) == job
    assert job.to_dict()["format_version"] == 1
    with pytest.raises(ValueError, match="training job: missing reason"):
        TrainingJob.from_dict({"dataset_ids": []})
    assert BundleLayout.from_dict(LAYOUT.to_dict()) == LAYOUT
    assert LAYOUT.extra_files() == ("vocabulary.json", "safety.json")


class Parameters:
    """One SSM parameter, as Terraform creates it (no champion yet)."""

    def __init__(self):
        self.value = json.dumps(NO_CHAMPION)

    def get_parameter(self, Name, **_):
        return {"Parameter": {"Name": Name, "Value": self.value}}

    def put_parameter(self, **call):
        self.call, self.value = call, call["Value"]


def test_the_publisher_overwrites_the_parameter_with_the_pointer():
    ssm = Parameters()
    ChampionPublisher(ssm, PARAMETER)(pointer())
    assert ssm.call["Name"] == PARAMETER and ssm.call["Overwrite"]
    written = read_pointer(ssm.call["Value"])
    assert dataclasses.replace(written, promoted_at=None) == pointer() and written.promoted_at


def test_a_promotion_keeps_the_champion_it_replaces_as_previous():
    # Given version 7 serving
    ssm = Parameters()
    publish = ChampionPublisher(ssm, PARAMETER)
    publish(pointer())
    # When version 2 is promoted after it
    publish(dataclasses.replace(pointer(), version="2"))
    # Then the pointer names 2, and 7 (without its own predecessor) as the one to switch back to
    written = read_pointer(ssm.value)
    assert written.version == "2" and written.previous.version == pointer().version == "7"
    assert written.previous.previous is None
    assert ChampionPointer.from_dict(json.loads(written.to_json())) == written


def test_a_pointer_without_the_new_fields_reads_as_unpinned_without_previous():
    doc = pointer().to_dict()
    for name in ("promoted_at", "previous", "pinned", "challenger"):
        doc.pop(name)
    read = ChampionPointer.from_dict(doc)
    assert read.previous is None and read.pinned is False and read.promoted_at is None
    assert read.challenger is None


def test_a_pin_that_is_not_a_boolean_is_refused():
    with pytest.raises(ValueError, match="pinned must be true or false"):
        ChampionPointer.from_dict({**pointer().to_dict(), "pinned": "yes"})


def test_a_challenger_is_written_beside_the_champion_and_a_promotion_clears_it():
    # Given version 7 serving
    ssm = Parameters()
    publish = ChampionPublisher(ssm, PARAMETER)
    publish(pointer())
    # When version 8 passes the gate in shadow
    publish(dataclasses.replace(pointer(), version="8"), "challenger")
    # Then 7 still serves and 8 is its challenger since now, alone (no predecessor or pin)
    written = read_pointer(ssm.value)
    assert written.version == "7" and written.challenger.version == "8"
    assert written.challenger.promoted_at and written.challenger.previous is None
    assert ChampionPointer.from_dict(json.loads(written.to_json())) == written
    # And when 8 is promoted, it serves with 7 as previous and no challenger left anywhere
    publish(dataclasses.replace(written.challenger, promoted_at=None))
    promoted = read_pointer(ssm.value)
    assert (promoted.version, promoted.previous.version) == ("8", "7")
    assert promoted.challenger is None and promoted.previous.challenger is None
    # And retiring a challenger leaves the champion as it was
    assert written.unchallenged() == dataclasses.replace(written, challenger=None)


def test_a_challenger_with_no_champion_serving_becomes_the_champion():
    ssm = Parameters()
    ChampionPublisher(ssm, PARAMETER)(pointer(), "challenger")
    written = read_pointer(ssm.value)
    assert written.version == "7" and written.challenger is None and written.promoted_at
