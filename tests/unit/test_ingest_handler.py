"""The ingest function on moto: outputs, one training job, alerts, idempotency, limits."""

from __future__ import annotations

import importlib.util
import io
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import boto3
import pandas as pd
import pytest
from moto import mock_aws

from mushroom.records.training_job import training_job
from tests.conftest import specimen
from tests.events import LambdaContext, merge_records, s3_event_for_object, s3_object_created
from tests.unit.ingest_support import HEADER, UCI_1987_HEADER, csv_bytes, good_rows

HANDLER = Path(__file__).resolve().parents[2] / "lambdas" / "ingest" / "handler.py"
BUCKET, REGION = "mushroom-data", "us-east-1"
MAX_OBJECT_BYTES = 200_000


@dataclass
class Stack:
    """The mocked AWS side and the freshly imported handler module."""

    s3: object
    sqs: object
    queue_url: str
    alerts_url: str
    handler: object

    def upload(self, key: str, body: bytes) -> dict:
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        return s3_event_for_object(self.s3, BUCKET, key)

    def invoke(self, event: dict) -> dict:
        return self.handler.handler(event, LambdaContext(function_name="mushroom-ingest"))

    def keys(self, prefix: str) -> list[str]:
        listing = self.s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def json(self, key: str) -> dict:
        return json.loads(self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())

    def messages(self, url: str) -> list[dict]:
        got = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"]) for m in got]

    def training_jobs(self) -> list[dict]:
        return self.messages(self.queue_url)

    def alerts(self) -> list[dict]:
        return [json.loads(body["Message"]) for body in self.messages(self.alerts_url)]


def load_handler():
    """Import lambdas/ingest/handler.py afresh (its configuration is read at import)."""
    spec = importlib.util.spec_from_file_location("ingest_handler", HANDLER)
    module = importlib.util.module_from_spec(spec)
    sys.modules["ingest_handler"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def stack(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "POWERTOOLS_SERVICE_NAME": "ingest",
        "POWERTOOLS_METRICS_NAMESPACE": "Mushroom",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        s3, sqs, sns = (boto3.client(n, region_name=REGION) for n in ("s3", "sqs", "sns"))
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        queue_url = sqs.create_queue(QueueName="training-jobs")["QueueUrl"]
        alerts_url = sqs.create_queue(QueueName="alerts-inbox")["QueueUrl"]
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        inbox = sqs.get_queue_attributes(QueueUrl=alerts_url, AttributeNames=["QueueArn"])
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox["Attributes"]["QueueArn"])
        monkeypatch.setenv("DATA_BUCKET", BUCKET)
        monkeypatch.setenv("TRAINING_QUEUE_URL", queue_url)
        monkeypatch.setenv("ALERTS_TOPIC_ARN", topic)
        monkeypatch.setenv("MAX_OBJECT_BYTES", str(MAX_OBJECT_BYTES))
        module = load_handler()
        yield Stack(s3, sqs, queue_url, alerts_url, module)
        module.metrics.clear_metrics()


def mixed_file() -> bytes:
    rows = good_rows(6) + [specimen(cap_shape="z"), specimen(stem_height="-1")]
    return csv_bytes(rows) + b"p;1.0\n"


def test_a_good_file_becomes_a_dataset_a_manifest_and_one_job(stack):
    # Given a clean upload
    event = stack.upload("raw/good.csv", csv_bytes(good_rows(20)))
    # When the function is notified
    result = stack.invoke(event)
    # Then the dataset and its manifest exist, nothing is quarantined, one job is queued
    dataset_id = result["uploads"][0]["dataset_id"]
    assert stack.keys("processed/") == [f"processed/{dataset_id}.parquet"]
    assert stack.keys("quarantine/") == []
    manifest = stack.json(f"manifests/{dataset_id}.json")
    assert (manifest["status"], manifest["rows_in"], manifest["accepted"]) == ("accepted", 20, 20)
    assert manifest["source"]["key"] == "raw/good.csv" and manifest["source"]["version_id"]
    assert manifest["training_job"]["message_id"]
    jobs = stack.training_jobs()
    assert jobs == [
        training_job(
            "new-data",
            [dataset_id],
            correlation_id=manifest["correlation_id"],
            manifests=[f"manifests/{dataset_id}.json"],
        ).to_dict()
    ]
    assert stack.alerts() == []


def test_a_mixed_file_gives_exact_counts(stack):
    result = stack.invoke(stack.upload("raw/mixed.csv", mixed_file()))
    summary = result["uploads"][0]
    assert (summary["status"], summary["rows_in"], summary["accepted"], summary["rejected"]) == (
        "partial",
        9,
        6,
        3,
    )
    dataset_id = summary["dataset_id"]
    dataset = pd.read_parquet(
        io.BytesIO(
            stack.s3.get_object(Bucket=BUCKET, Key=f"processed/{dataset_id}.parquet")["Body"].read()
        )
    )
    assert len(dataset) == 6
    rejected = stack.s3.get_object(Bucket=BUCKET, Key=f"quarantine/{dataset_id}/rejected.csv")
    assert len(rejected["Body"].read().decode().splitlines()) == 1 + 3
    report = stack.json(f"quarantine/{dataset_id}/report.json")
    assert report["rejected"] == 3 and "cap-shape/unknown_code" in report["reasons"]
    assert len(stack.training_jobs()) == 1


@pytest.mark.parametrize(
    "body, rule",
    [
        (b"", "empty"),
        (b"\x00\x01\x02\x03" * 100, "binary"),
        (csv_bytes([]), "header_only"),
        (
            (UCI_1987_HEADER + "\np,x,s,n,t,p,f,c,n,k,e,e,s,s,w,w,p,w,o,p,k,s,u\n").encode(),
            "missing_columns",
        ),
        (csv_bytes(good_rows(2), header=HEADER[1:]), "no_label"),
        (csv_bytes(good_rows(2), header=[*HEADER, "CLASS"]), "duplicated_columns"),
    ],
)
def test_refused_files_get_a_report_an_alert_and_no_job(stack, body, rule):
    result = stack.invoke(stack.upload("raw/bad.csv", body))
    dataset_id = result["uploads"][0]["dataset_id"]
    assert result["uploads"][0]["status"] == "refused" and result["training_job"] is None
    report = stack.json(f"quarantine/{dataset_id}/report.json")
    assert report["refusal"]["rule"] == rule and report["refusal"]["message"]
    assert stack.keys("processed/") == [] and stack.training_jobs() == []
    assert stack.json(f"manifests/{dataset_id}.json")["status"] == "refused"
    alerts = stack.alerts()
    assert len(alerts) == 1 and alerts[0]["rule"] == rule
    assert alerts[0]["report"] == f"s3://{BUCKET}/quarantine/{dataset_id}/report.json"


def test_the_same_event_twice_gives_one_dataset_and_one_job(stack):
    event = stack.upload("raw/twice.csv", csv_bytes(good_rows(5)))
    first, second = stack.invoke(event), stack.invoke(event)
    assert second["uploads"][0]["duplicate"] and second["training_job"] is None
    assert first["uploads"][0]["dataset_id"] == second["uploads"][0]["dataset_id"]
    assert len(stack.keys("processed/")) == 1 and len(stack.keys("manifests/")) == 1
    assert len(stack.training_jobs()) == 1


def test_a_refused_file_delivered_twice_alerts_once(stack):
    event = stack.upload("raw/empty.csv", b"")
    stack.invoke(event)
    stack.invoke(event)
    assert len(stack.alerts()) == 1


def test_a_new_version_under_the_same_key_is_a_new_dataset(stack):
    first = stack.invoke(stack.upload("raw/same.csv", csv_bytes(good_rows(3))))
    second = stack.invoke(stack.upload("raw/same.csv", csv_bytes(good_rows(4))))
    ids = {first["uploads"][0]["dataset_id"], second["uploads"][0]["dataset_id"]}
    assert len(ids) == 2 and len(stack.keys("manifests/")) == 2
    assert second["uploads"][0]["rows_in"] == 4 and len(stack.training_jobs()) == 2
    versions = stack.s3.list_object_versions(Bucket=BUCKET, Prefix="raw/")["Versions"]
    assert len(versions) == 2  # the raw object is never modified or deleted


@pytest.mark.parametrize(
    "options", [{"gz": True}, {"bom": True}, {"newline": "\r\n"}, {"sep": ","}]
)
def test_formats_are_ingested(stack, options):
    key = "raw/file.csv.gz" if options.get("gz") else "raw/file.csv"
    result = stack.invoke(stack.upload(key, csv_bytes(good_rows(7), **options)))
    assert (result["uploads"][0]["status"], result["uploads"][0]["accepted"]) == ("accepted", 7)


def test_a_file_over_the_limit_is_refused_unread_with_the_limit(stack):
    body = csv_bytes(good_rows(3)) + b"\n" * MAX_OBJECT_BYTES
    result = stack.invoke(stack.upload("raw/huge.csv", body))
    refusal = result["uploads"][0]["refusal"]
    assert refusal["rule"] == "too_large" and f"{MAX_OBJECT_BYTES:,} bytes" in refusal["message"]
    assert stack.training_jobs() == [] and len(stack.alerts()) == 1


def test_other_prefixes_are_ignored_and_keys_are_url_decoded(stack):
    stack.s3.put_object(Bucket=BUCKET, Key="batch/x.csv", Body=b"x")
    event = merge_records(
        s3_object_created(BUCKET, "batch/x.csv", etag="e", size=1),
        stack.upload("raw/with space+plus.csv", csv_bytes(good_rows(2))),
    )
    result = stack.invoke(event)
    assert len(result["uploads"]) == 1 and result["uploads"][0]["accepted"] == 2
    manifest = stack.json(result["uploads"][0]["manifest"])
    assert manifest["source"]["key"] == "raw/with space+plus.csv"


def test_an_event_without_records_ingests_nothing(stack):
    # An empty event (the failed-events test probes the function's settings with one) succeeds
    assert stack.invoke({}) == {"uploads": [], "training_job": None}
    assert stack.keys("") == [] and stack.training_jobs() == []


def test_two_uploads_in_one_event_give_one_job(stack):
    event = merge_records(
        stack.upload("raw/a.csv", csv_bytes(good_rows(2))),
        stack.upload("raw/b.csv", csv_bytes(good_rows(3))),
    )
    stack.invoke(event)
    jobs = stack.training_jobs()
    assert len(jobs) == 1 and len(jobs[0]["dataset_ids"]) == 2


def test_a_crash_between_manifest_and_job_is_healed_by_lambdas_retry(stack, monkeypatch):
    # Given an invocation that dies after writing the manifest, before sending the job
    event = stack.upload("raw/crash.csv", csv_bytes(good_rows(4)))
    context = LambdaContext(function_name="mushroom-ingest")
    send = stack.handler.Messenger.request_training

    def killed(self, job):
        raise RuntimeError("the function died before sending the job")

    monkeypatch.setattr(stack.handler.Messenger, "request_training", killed)
    with pytest.raises(RuntimeError):
        stack.handler.handler(event, context)
    manifest_key = stack.keys("manifests/")[0]
    assert "training_job" not in stack.json(manifest_key) and stack.training_jobs() == []
    # When Lambda retries the event (same request id), once and then once more
    monkeypatch.setattr(stack.handler.Messenger, "request_training", send)
    retried = stack.handler.handler(event, context)
    again = stack.handler.handler(event, context)
    # Then exactly one job is sent, recorded in the manifest; nothing is ingested twice
    jobs = stack.training_jobs()
    assert len(jobs) == 1 and jobs[0]["dataset_ids"] == [retried["uploads"][0]["dataset_id"]]
    assert retried["training_job"]["message_id"] and again["training_job"] is None
    assert (
        stack.json(manifest_key)["training_job"]["message_id"]
        == retried["training_job"]["message_id"]
    )
    assert len(stack.keys("processed/")) == 1


def test_another_delivery_resends_a_lost_job_only_once_the_writer_must_be_gone(stack):
    # Given a manifest without its job, written by another invocation just now
    event = stack.upload("raw/lost.csv", csv_bytes(good_rows(3)))
    stack.invoke(event)
    key = stack.keys("manifests/")[0]
    manifest = {k: v for k, v in stack.json(key).items() if k != "training_job"}
    stack.s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(manifest).encode())
    stack.training_jobs()  # the first job is consumed
    # When a second delivery arrives while the writer may still be sending: nothing is sent
    assert stack.invoke(event)["training_job"] is None
    # And when one arrives after RESEND_AFTER_SECONDS: the job is sent
    stale = {**manifest, "ingested_at": "2020-01-01T00:00:00+00:00"}
    stack.s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(stale).encode())
    assert stack.invoke(event)["training_job"]["message_id"]
    assert len(stack.training_jobs()) == 1
