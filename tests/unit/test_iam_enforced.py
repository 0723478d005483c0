"""Each component on moto with exactly its role's policy from Terraform, IAM enforced.

The policies are rendered by Terraform from terraform/ (tests/unit/terraform_policies.py); each
role is an IAM user holding only its policy, and moto refuses any call the policy does not allow
(tests/unit/iam_support.py). So a permission missing from terraform/iam.tf fails the component's
test here with AccessDenied, as it would on AWS, although LocalStack does not enforce IAM.
"""

from __future__ import annotations

import copy
import io
import json
import re
import shutil
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from adapters.clients import aws_client
from adapters.config import WorkerSettings
from mushroom import storage
from mushroom.records.training_job import NEW_DATA, training_job
from tests import records
from tests.conftest import specimen
from tests.events import LambdaContext, api_gateway_request, merge_records, s3_event_for_object
from tests.infrastructure.test_iam import broad_statements
from tests.unit import predict_support
from tests.unit import terraform_policies as names
from tests.unit import training_support
from tests.unit import test_monitor_handler as monitor_support
from tests.unit.iam_support import Call, EnforcedCloud, allowed
from tests.unit.ingest_support import csv_bytes, good_rows
from tests.unit.lambda_loading import FakeContext, load_handler
from tests.unit.test_ingest_handler import load_handler as load_ingest_handler
from tests.unit.test_ingest_handler import mixed_file
from tests.unit import test_switch_back
from tests.unit.test_retrain_handler import alarm_event, alarm_in
from tests.unit.test_training_register import _small_search
from training import datasets, job, pipeline
from training.worker import Worker

DATA = names.DATA_BUCKET


@pytest.fixture(scope="module")
def policies() -> dict[str, dict]:
    if not shutil.which("terraform"):
        pytest.skip("terraform is not installed: the role policies cannot be rendered")
    return names.role_policies()


@pytest.fixture
def cloud(policies, monkeypatch):
    for name, value in {
        "AWS_DEFAULT_REGION": names.REGION,
        "AWS_REGION": names.REGION,
        "AWS_ACCESS_KEY_ID": "setup",
        "AWS_SECRET_ACCESS_KEY": "setup",
        "DATA_BUCKET": DATA,
        "CHAMPION_PARAMETER": names.CHAMPION_PARAMETER,
        "POWERTOOLS_METRICS_NAMESPACE": "Mushroom",
        "METRICS_NAMESPACE": "Mushroom",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        cloud = EnforcedCloud(policies, monkeypatch)
        monkeypatch.setenv("TRAINING_QUEUE_URL", cloud.queue_url)
        monkeypatch.setenv("ALERTS_TOPIC_ARN", cloud.topic_arn)
        yield cloud
    assert not cloud.denied(), "\n".join(cloud.denied())


def upload(cloud: EnforcedCloud, key: str, body: bytes) -> dict:
    cloud.s3.put_object(Bucket=DATA, Key=key, Body=body)
    return s3_event_for_object(cloud.s3, DATA, key)


def test_ingest_runs_with_its_role(cloud, monkeypatch):
    # Given a clean, a partly bad and an empty upload in one notification
    event = merge_records(
        upload(cloud, "raw/good.csv", csv_bytes(good_rows(20))),
        upload(cloud, "raw/mixed.csv", mixed_file()),
        upload(cloud, "raw/empty.csv", b""),
    )
    # When the ingest function handles it with the ingest role
    with cloud.role("ingest"):
        handler = load_ingest_handler()
        result = handler.handler(event, LambdaContext(function_name="mushroom-ingest"))
        handler.metrics.clear_metrics()
    # Then datasets, quarantine, manifests, one training job and one alert were written
    assert [u["status"] for u in result["uploads"]] == ["accepted", "partial", "refused"]
    assert len(cloud.keys_under("processed/")) == 2 and len(cloud.keys_under("manifests/")) == 3
    assert cloud.keys_under("quarantine/")
    assert len(cloud.messages(cloud.queue_url)) == 1 and len(cloud.alerts()) == 1
    assert {"s3:GetObjectVersion", "s3:PutObject", "sqs:SendMessage", "sns:Publish"} <= (
        cloud.actions("ingest")
    )


def put_ingested_dataset(cloud: EnforcedCloud, dataset_id: str) -> None:
    """A dataset and its manifest as ingest writes them."""
    buffer = io.BytesIO()
    training_support.frame().to_parquet(buffer)
    keys = storage.DatasetKeys(dataset_id)
    cloud.s3.put_object(Bucket=DATA, Key=keys.processed, Body=buffer.getvalue())
    manifest = records.manifest(dataset_id, rows=len(training_support.frame()))
    cloud.s3.put_object(Bucket=DATA, Key=keys.manifest, Body=json.dumps(manifest.to_dict()))


def put_labelled_prediction(
    cloud: EnforcedCloud, prediction_id: str, observed: str = "p", **overrides
) -> None:
    """A logged prediction and its feedback, as the prediction function writes them."""
    when = datetime(2026, 11, 24, 6, 0, tzinfo=timezone.utc)
    features = {k: v for k, v in specimen(**overrides).items() if k != "class"}
    line = records.prediction(prediction_id, features, when=when)
    key = storage.prediction_log_key(when, f"request-{prediction_id}")
    cloud.s3.put_object(Bucket=DATA, Key=key, Body=records.jsonl([line]))
    label = records.feedback(prediction_id, observed, when)
    cloud.s3.put_object(
        Bucket=DATA, Key=storage.feedback_key(when, prediction_id), Body=records.jsonl([label])
    )


def worker_settings(cloud: EnforcedCloud, tmp_path) -> WorkerSettings:
    return WorkerSettings(
        queue_url=cloud.queue_url,
        alerts_topic_arn=cloud.topic_arn,
        data_bucket=DATA,
        champion_parameter=names.CHAMPION_PARAMETER,
        tracking_uri=f"sqlite:///{tmp_path}/mlflow.db",
        wait_seconds=0,
        retry_backoff_seconds=0,
        visibility_seconds=3,  # the heartbeat extends it every second while training
    )


@pytest.fixture
def small_training(monkeypatch):
    """A quick search and a gate the tiny data set can pass; MLflow artifacts in S3, as the
    stack's tracking server (--default-artifact-root s3://<artifact bucket>) makes clients do."""
    monkeypatch.setattr(pipeline, "search", _small_search)
    training_support.relax_gate_for_tiny_data(monkeypatch)
    artifacts = f"s3://{names.ARTIFACT_BUCKET}/iam-test"
    monkeypatch.setattr(pipeline, "local_artifacts", lambda uri: artifacts)


def test_training_worker_runs_with_its_role(cloud, tmp_path, small_training):
    # Given an ingested dataset, a labelled prediction and a training job on the queue
    put_ingested_dataset(cloud, "good")
    put_labelled_prediction(cloud, "p1")
    put_labelled_prediction(cloud, "p2", "e", cap_diameter="90")  # no species fits: held
    job_message = training_job(NEW_DATA, ["good"], correlation_id="c1")
    cloud.sqs.send_message(QueueUrl=cloud.queue_url, MessageBody=job_message.to_json())
    settings = worker_settings(cloud, tmp_path)
    # When the worker takes the job with the training worker's role
    with cloud.role(names.TRAINING_WORKER):
        trainer = lambda request, stop: job.run_job(request, stop, settings)  # noqa: E731
        worker = Worker(
            settings, trainer, sqs=aws_client("sqs", settings), sns=aws_client("sns", settings)
        )
        outcome = worker.poll_once()
    # Then it trained on the dataset and the feedback, promoted, announced, acknowledged
    assert outcome["status"] == "promoted", outcome
    assert outcome["data"]["datasets"] == ["good"] and outcome["data"]["feedback_rows"] == 2
    held = outcome["feedback_held"]
    assert held["count"] >= 1 and held["key"].startswith("quarantine/feedback/")
    assert cloud.keys_under("quarantine/feedback/") == [held["key"]]
    pointer = json.loads(
        cloud.ssm.get_parameter(Name=names.CHAMPION_PARAMETER)["Parameter"]["Value"]
    )
    assert pointer["model_uri"].startswith(f"s3://{names.ARTIFACT_BUCKET}/")
    assert cloud.keys_under("iam-test/", bucket=names.ARTIFACT_BUCKET)
    assert cloud.messages(cloud.queue_url) == [] and len(cloud.alerts()) == 1
    actions = cloud.actions(names.TRAINING_WORKER)
    assert {
        "sqs:ReceiveMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:DeleteMessage",
        "s3:ListBucket",
        "s3:GetObject",
        "s3:PutObject",
        "ssm:PutParameter",
        "sns:Publish",
    } <= actions


def policy_before_the_fix(document: dict) -> dict:
    """The training worker's policy as it was: no read or list of predictions/."""
    document = copy.deepcopy(document)
    for statement in document["Statement"]:
        resources = statement["Resource"]
        if isinstance(resources, list):
            statement["Resource"] = [r for r in resources if "/predictions/" not in r]
        for test in statement.get("Condition", {}).values():
            for key, values in test.items():
                test[key] = [v for v in values if not v.startswith("predictions/")]
    return document


def test_the_worker_policy_without_predictions_fails_the_training_data(cloud, policies):
    # Given the worker's role before predictions/ was granted, and a labelled prediction
    cloud.add_role("worker-before-fix", policy_before_the_fix(policies[names.TRAINING_WORKER]))
    assert policy_before_the_fix(policies[names.TRAINING_WORKER]) != policies[names.TRAINING_WORKER]
    put_ingested_dataset(cloud, "good")
    put_labelled_prediction(cloud, "p1")
    # When it gathers the training data, Then AWS (here moto) refuses the predictions/ listing
    with cloud.role("worker-before-fix"), pytest.raises(ClientError, match="AccessDenied"):
        datasets.training_frames(boto3.client("s3"), DATA)
    assert cloud.denied() == [
        f"DENIED: arn:aws:iam::{names.ACCOUNT}:user/worker-before-fix s3:ListBucket on "
        f"arn:aws:s3:::{DATA} s3:prefix='predictions/'"
    ]
    cloud.decisions.clear()  # the denial was the point; the fixture checks there are no others


@pytest.fixture
def champion(cloud, monkeypatch):
    """A tiny real model bundle in the artifact bucket, the SSM pointer naming it."""
    monkeypatch.setattr(predict_support, "ARTIFACT_BUCKET", names.ARTIFACT_BUCKET)
    return predict_support.publish(cloud.s3, cloud.ssm, "1")


def api(handler, method: str, path: str, body: dict) -> tuple[int, dict]:
    response = handler.lambda_handler(
        api_gateway_request(method, path, body), LambdaContext("mushroom-predict")
    )
    return response["statusCode"], json.loads(response["body"])


def test_predict_api_feedback_and_batch_run_with_its_role(cloud, champion, monkeypatch):
    # Given a champion, the prediction log's stream and a batch upload
    monkeypatch.setenv("CHAMPION_REFRESH_SECONDS", "0")
    monkeypatch.setenv("PREDICTION_STREAM", names.PREDICTION_STREAM)
    header = ";".join(["class", *predict_support.features()])
    row = ";".join(["e", *map(str, predict_support.features().values())])
    event = upload(cloud, "batch/field-trip.csv", f"{header}\n{row}\n{row}\n".encode())
    # When the API classifies a specimen, takes its label and scores the batch, as predict
    with cloud.role("predict"):
        handler = predict_support.load_handler()
        status, body = api(handler, "POST", "/predict", {"specimens": [predict_support.features()]})
        prediction_id = body["results"][0]["prediction_id"]
        label = {"prediction_id": prediction_id, "observed_class": "p"}
        feedback_status, _ = api(handler, "POST", "/feedback", label)
        handler.lambda_handler(event, LambdaContext("mushroom-predict"))
    # Then every answer succeeded and every output is where the other components read it
    assert (status, feedback_status) == (200, 200)
    # the API request (through Firehose) and the batch (directly), under hour partitions
    logged = cloud.keys_under("predictions/")
    assert len(logged) == 2
    assert all(re.match(r"predictions/\d{4}/\d\d/\d\d/\d\d/[^/]+$", key) for key in logged)
    assert "firehose:PutRecordBatch" in cloud.actions("predict")
    assert len(cloud.keys_under("feedback/")) == 1
    assert cloud.keys_under("batch-results/") == [
        "batch-results/field-trip.csv",
        "batch-results/field-trip.report.json",
    ]


def test_monitor_runs_with_its_role(cloud, monkeypatch):
    # Given a champion with its reference profile, and a labelled window of predictions
    pointer = monitor_support.POINTER
    bucket, profile_key = pointer.reference_profile_uri.removeprefix("s3://").split("/", 1)
    assert bucket == names.ARTIFACT_BUCKET
    cloud.s3.put_object(Bucket=bucket, Key=profile_key, Body=monitor_support.PROFILE.to_json())
    cloud.ssm.put_parameter(
        Name=names.CHAMPION_PARAMETER, Overwrite=True, Type="String", Value=pointer.to_json()
    )
    monitor_support.log_predictions(
        cloud.s3, [(str(i), "edible", "edible", "x", 5) for i in range(4)]
    )
    monitor_support.give_feedback(cloud.s3, {str(i): "e" for i in range(4)})
    for name, value in {
        "WINDOW_MINUTES": "60",
        "MIN_LABELLED": "4",
        "MIN_DRIFT_SPECIMENS": "4",
    }.items():
        monkeypatch.setenv(name, value)
    # When the schedule fires, as monitor
    with cloud.role("monitor"):
        handler = load_handler("monitor", monkeypatch)
        event = {"source": "aws.events", "time": monitor_support.NOW.isoformat()}
        outcome = handler.lambda_handler(event, FakeContext())
    # Then quality and drift were measured, sent to CloudWatch and reported
    assert (outcome["status"], outcome["quality_status"]) == ("ok", "ok")
    assert outcome["drift_status"] != "no_reference"
    assert monitor_support.metric("Accuracy") == [1.0]
    assert cloud.keys_under(outcome["report"]) == [
        outcome["report"] + "report.html",
        outcome["report"] + "report.json",
    ]


def test_the_monitor_settles_a_challenger_with_its_role(cloud, monkeypatch):
    # Given version 3 serving and version 4 in shadow past its period, agreeing on 4 specimens
    from tests.unit import test_monitor_shadow as shadow_support

    since = (monitor_support.NOW - timedelta(hours=2)).isoformat()
    pointer = monitor_support.POINTER.succeeding(None, since)
    pointer = pointer.challenged_by(shadow_support.CHALLENGER, since)
    cloud.ssm.put_parameter(
        Name=names.CHAMPION_PARAMETER, Overwrite=True, Type="String", Value=pointer.to_json()
    )
    shadow_support.log_shadowed(cloud.s3, [(str(i), "edible", "edible") for i in range(4)])
    for name, value in {"SHADOW_PERIOD_SECONDS": "3600", "SHADOW_MIN_SCORED": "4"}.items():
        monkeypatch.setenv(name, value)
    # When the schedule fires, as monitor
    with cloud.role("monitor"):
        handler = load_handler("monitor", monkeypatch)
        event = {"source": "aws.events", "time": monitor_support.NOW.isoformat()}
        outcome = handler.lambda_handler(event, FakeContext())
    # Then version 4 serves, the worker is told, and operators are alerted
    assert outcome["shadow"].startswith("challenger version 4 promoted")
    value = cloud.ssm.get_parameter(Name=names.CHAMPION_PARAMETER)["Parameter"]["Value"]
    assert json.loads(value)["version"] == "4"
    (job,) = cloud.messages(cloud.queue_url)
    assert job["challenger_verdict"]["decision"] == "promote"
    (alert,) = cloud.alerts()
    assert alert["challenger_version"] == "4" and alert["decision"] == "promote"
    assert {"ssm:PutParameter", "sqs:SendMessage", "sns:Publish"} <= cloud.actions("monitor")


def test_retrain_runs_with_its_role(cloud, monkeypatch):
    monkeypatch.setenv("COOLDOWN_SECONDS", "3600")
    # When two alarms fire, the second inside the cooldown, as retrain
    with cloud.role("retrain"):
        handler = load_handler("retrain", monkeypatch)
        first = handler.lambda_handler(alarm_event(), FakeContext())
        second = handler.lambda_handler(
            alarm_event(stamp="2026-11-24T06:05:00.000+0000", name="mushroom-drift-high"),
            FakeContext(),
        )
    # Then one job was queued and the state (written, then read back) holds both transitions
    assert (first["action"], second["action"]) == ("enqueue", "cooldown")
    assert len(cloud.messages(cloud.queue_url)) == 1
    state = json.loads(cloud.s3.get_object(Bucket=DATA, Key=storage.RETRAIN_STATE)["Body"].read())
    assert set(state["transitions"]) == {"mushroom-f1-low", "mushroom-drift-high"}


def granted(document: dict) -> set[str]:
    """Every action a policy document allows."""
    found = document["Statement"]
    statements = found if isinstance(found, list) else [found]
    return {
        a
        for st in statements
        for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])
    }


def test_a_switch_back_runs_with_the_retrain_role(cloud, policies, monkeypatch):
    # Given version 2 promoted over version 1 five minutes before the F1 alarm
    cloud.ssm.put_parameter(
        Name=names.CHAMPION_PARAMETER,
        Value=test_switch_back.promoted_two().to_json(),
        Type="String",
        Overwrite=True,
    )
    monkeypatch.setenv("SWITCH_BACK_ALARMS", "mushroom-served-false-edible-high,mushroom-f1-low")
    monkeypatch.setenv("SWITCH_BACK_WINDOW_SECONDS", "3600")
    # When the alarm's action runs as retrain
    with cloud.role("retrain"):
        handler = load_handler("retrain", monkeypatch)
        outcome = handler.lambda_handler(
            alarm_event(stamp="2026-11-24T06:05:00.000+0000"), FakeContext()
        )
    # Then version 1 serves again, the registry's note and the retraining are queued, operators
    # are told, and the role was granted exactly what the retrain function uses
    assert outcome["alarm_handling"]["switched"] and outcome["enqueued"]
    served = cloud.ssm.get_parameter(Name=names.CHAMPION_PARAMETER)["Parameter"]["Value"]
    assert json.loads(served)["version"] == "1"
    assert len(cloud.messages(cloud.queue_url)) == 2 and len(cloud.alerts()) == 1
    used = cloud.actions("retrain")
    assert {"ssm:GetParameter", "ssm:PutParameter", "sns:Publish", "sqs:SendMessage"} <= used
    # and the debugging report was written where the link points, readable as the role
    [page] = cloud.keys_under("monitoring/alarms/")
    assert page == outcome["alarm_handling"]["report_key"]
    with cloud.role("retrain"):
        assert boto3.client("s3").get_object(Bucket=DATA, Key=page)["Body"].read()
    # the deferred check's DescribeAlarms, reading an existing state and the metrics are used
    # by the other retrain tests, the logs actions by the Lambda runtime
    unused_here = {
        "cloudwatch:DescribeAlarms",
        "s3:GetObject",
        "s3:ListBucket",
        "cloudwatch:PutMetricData",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    }
    assert granted(policies["retrain"]) - used <= unused_here


def test_the_deferred_retrain_check_runs_with_its_role(cloud, monkeypatch):
    # Given an alarm deferred by the cooldown, still in ALARM when the cooldown is over
    monkeypatch.setenv("COOLDOWN_SECONDS", "3600")
    with cloud.role("retrain"):
        load_handler("retrain", monkeypatch).lambda_handler(alarm_event(), FakeContext())
        drift = alarm_event(stamp="2026-11-24T06:05:00.000+0000", name="mushroom-drift-high")
        load_handler("retrain", monkeypatch).lambda_handler(drift, FakeContext())
    alarm_in("ALARM", "mushroom-drift-high")
    # When the schedule's check runs after the cooldown, as retrain
    monkeypatch.setenv("COOLDOWN_SECONDS", "0")
    with cloud.role("retrain"):
        handler = load_handler("retrain", monkeypatch)
        outcome = handler.lambda_handler({"check": "deferred"}, FakeContext())
    # Then it could read the alarm's state and queued the deferred job
    assert outcome["action"] == "enqueue" and outcome["reason"] == "alarm:mushroom-drift-high"
    assert "cloudwatch:DescribeAlarms" in cloud.actions("retrain")
    assert len(cloud.messages(cloud.queue_url)) == 2


def test_a_missing_key_is_403_without_bucket_listing_and_404_with_it(cloud):
    lister = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": [f"arn:aws:s3:::{DATA}", f"arn:aws:s3:::{DATA}/*"],
            }
        ],
    }
    cloud.add_role("lister", lister)
    codes = {}
    for role in ("retrain", "lister"):  # retrain lists only monitoring/retrain/
        with cloud.role(role), pytest.raises(ClientError) as raised:
            boto3.client("s3").get_object(Bucket=DATA, Key=storage.RETRAIN_STATE)
        codes[role] = raised.value.response["Error"]["Code"]
    assert codes == {"retrain": "AccessDenied", "lister": "NoSuchKey"}


def test_the_rendered_policies_are_narrow(policies):
    assert not broad_statements(policies), json.dumps(broad_statements(policies), indent=1)


LIST_DATA = {
    "Effect": "Allow",
    "Action": "s3:ListBucket",
    "Resource": f"arn:aws:s3:::{DATA}",
    "Condition": {"StringLike": {"s3:prefix": ["processed/*"]}},
}


@pytest.mark.parametrize(
    "call, verdict",
    [
        (Call("s3:ListBucket", f"arn:aws:s3:::{DATA}", {"s3:prefix": "processed/"}), True),
        (Call("s3:ListBucket", f"arn:aws:s3:::{DATA}", {"s3:prefix": "predictions/"}), False),
        (Call("s3:ListBucket", f"arn:aws:s3:::{DATA}"), False),  # no prefix: the condition fails
        (Call("s3:ListBucket", "arn:aws:s3:::other-bucket", {"s3:prefix": "processed/"}), False),
        (Call("s3:GetObject", f"arn:aws:s3:::{DATA}", {"s3:prefix": "processed/"}), False),
    ],
)
def test_the_evaluator_follows_iam_conditions_and_resources(call, verdict):
    assert allowed([{"Statement": [LIST_DATA]}], call) is verdict


def test_a_deny_wins_over_an_allow():
    deny = {**LIST_DATA, "Effect": "Deny", "Condition": {}}
    call = Call("s3:ListBucket", f"arn:aws:s3:::{DATA}", {"s3:prefix": "processed/"})
    assert not allowed([{"Statement": [LIST_DATA]}, {"Statement": deny}], call)


def test_predict_starts_only_the_batch_state_machine_which_invokes_only_predict(policies):
    predict, machine = policies["predict"], policies[names.BATCH_FANOUT]
    own = names.state_machine_arn()
    other = own.replace(names.BATCH_STATE_MACHINE, "mushroom-other")
    # predict may start the batch state machine, no other, and do nothing else in Step Functions
    assert allowed([predict], Call("states:StartExecution", own))
    assert not allowed([predict], Call("states:StartExecution", other))
    assert {a for a in granted(predict) if a.startswith("states:")} == {"states:StartExecution"}
    # the state machine may invoke the predict function and no other
    assert allowed([machine], Call("lambda:InvokeFunction", names.function_arn("predict")))
    for name in ("ingest", "monitor", "retrain"):
        assert not allowed([machine], Call("lambda:InvokeFunction", names.function_arn(name)))
    assert {a for a in granted(machine) if not a.startswith("states:")} == {"lambda:InvokeFunction"}
    # and start (its distributed Map's children) only itself
    assert allowed([machine], Call("states:StartExecution", own))
    assert not allowed([machine], Call("states:StartExecution", other))


def test_a_batch_file_scored_in_parts_runs_with_the_predict_role(cloud, champion, monkeypatch):
    # Given the batch state machine, a split size of 3,000 bytes and S3's smallest part made
    # small (moto and the writer), so the merge copies parts as on AWS
    sfn = boto3.client("stepfunctions")
    sfn.create_state_machine(
        name=names.BATCH_STATE_MACHINE,
        definition=json.dumps({"StartAt": "S", "States": {"S": {"Type": "Succeed"}}}),
        roleArn=f"arn:aws:iam::{names.ACCOUNT}:role/{names.BATCH_FANOUT}",
    )
    monkeypatch.setenv("CHAMPION_REFRESH_SECONDS", "0")
    monkeypatch.setenv("BATCH_SPLIT_BYTES", "3000")
    monkeypatch.setenv("BATCH_STATE_MACHINE", names.state_machine_arn())
    monkeypatch.setattr("moto.s3.models.S3_UPLOAD_PART_MIN_SIZE", 4096)
    header = ";".join(["class", *predict_support.features()])
    row = ";".join(["e", *map(str, predict_support.features().values())])
    bad = ";".join(["e", *map(str, predict_support.features(cap_shape="zz").values())])
    lines = [header] + [bad if n % 5 == 0 else row for n in range(600)]
    event = upload(cloud, "batch/big-walk.csv", "\n".join(lines).encode())

    # When predict takes the upload and runs the state machine's steps, with its role
    with cloud.role("predict"):
        handler = predict_support.load_handler()
        monkeypatch.setattr("object_writer.MIN_PART_BYTES", 4096)
        starts, states = [], handler.fanout_clients()[1]
        start = states.start_execution
        monkeypatch.setattr(
            states, "start_execution", lambda **kw: starts.append(kw) or start(**kw)
        )
        handler.lambda_handler(event, LambdaContext("mushroom-predict"))
        (started,) = [json.loads(call["input"]) for call in starts]
        plan = handler.lambda_handler({"batch_step": "plan", **started}, LambdaContext())
        parts = [
            handler.lambda_handler({"batch_step": "part", "part": part}, LambdaContext())
            for part in plan["parts"]
        ]
        merge = {"batch_step": "merge", "upload": started["upload"], "parts": parts}
        merged = handler.lambda_handler(merge, LambdaContext())

    # Then every step succeeded: one result, rejected rows and report, the parts deleted
    assert len(plan["parts"]) > 2 and merged["failed"] is False
    assert (merged["scored"], merged["unscored"]) == (480, 120)
    assert cloud.keys_under("batch-results/") == [
        "batch-results/big-walk.csv",
        "batch-results/big-walk.rejected.csv",
        "batch-results/big-walk.report.json",
    ]
    assert cloud.keys_under("batch-parts/") == []
    assert {"states:StartExecution", "s3:DeleteObject"} <= cloud.actions("predict")
