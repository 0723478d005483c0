"""The monitor function with moto: window -> metrics in CloudWatch + report in S3."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from moto import mock_aws

from mushroom import storage
from mushroom.records.champion import ChampionPointer
from mushroom.records.reference import FeatureReference, ReferenceProfile
from tests import records
from tests.unit.lambda_loading import FakeContext, load_handler

BUCKET, MODELS, PARAMETER, NAMESPACE = (
    "mushroom-data",
    "mushroom-mlflow-artifacts",
    "/mushroom/champion",
    "Mushroom",
)
NOW = datetime(2026, 11, 24, 6, 0, tzinfo=timezone.utc)
PROFILE = ReferenceProfile(
    {
        "cap-shape": FeatureReference("cap-shape", "categorical", (0.5, 0.5), codes=("x", "f")),
        "cap-diameter": FeatureReference("cap-diameter", "numeric", (0.5, 0.5), edges=(0, 10, 20)),
    },
    rows=100,
    bins=2,
)
POINTER = ChampionPointer.locate(
    "mushroom-classifier",
    "3",
    "r1",
    model_folder=f"s3://{MODELS}/1/models/m-1/artifacts",
    run_artifacts=f"s3://{MODELS}/1/r1/artifacts",
    trained_at="2026-11-24T05:00:00+00:00",
)


@pytest.fixture
def aws(monkeypatch):
    """Moto S3/SSM/CloudWatch with a data bucket, a champion pointer and its reference profile."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name, value in {
        "DATA_BUCKET": BUCKET,
        "CHAMPION_PARAMETER": PARAMETER,
        "METRICS_NAMESPACE": NAMESPACE,
        "WINDOW_MINUTES": "60",
        "MIN_LABELLED": "4",
        "MIN_DRIFT_SPECIMENS": "4",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        s3.create_bucket(Bucket=MODELS)
        bucket, key = POINTER.reference_profile_uri.removeprefix("s3://").split("/", 1)
        s3.put_object(Bucket=bucket, Key=key, Body=PROFILE.to_json())
        boto3.client("ssm").put_parameter(Name=PARAMETER, Type="String", Value=POINTER.to_json())
        yield s3


def log_predictions(s3, rows: list[tuple[str, str, str, str, float]], version: str = "3") -> None:
    """(id, prediction, decision, cap-shape, cap-diameter) as one request's prediction log."""
    when = NOW - timedelta(minutes=10)
    lines = [
        records.prediction(
            pid,
            {"cap-shape": shape, "cap-diameter": diameter},
            prediction,
            decision=decision,
            when=when,
            model_version=version,
        )
        for pid, prediction, decision, shape, diameter in rows
    ]
    key = storage.prediction_log_key(when, f"req-{version}")
    s3.put_object(Bucket=BUCKET, Key=key, Body=records.jsonl(lines))


def give_feedback(s3, labels: dict[str, str]) -> None:
    """One feedback object per label."""
    when = NOW - timedelta(minutes=5)
    for pid, label in labels.items():
        entry = records.jsonl([records.feedback(pid, label, when)])
        s3.put_object(Bucket=BUCKET, Key=storage.feedback_key(when, pid), Body=entry)


def metric(name: str, dimensions: list[dict] | None = None) -> list[float]:
    """Values of one metric sent around NOW."""
    points = boto3.client("cloudwatch").get_metric_statistics(
        Namespace=NAMESPACE,
        MetricName=name,
        Dimensions=dimensions or [],
        StartTime=NOW - timedelta(minutes=5),
        EndTime=NOW + timedelta(minutes=5),
        Period=60,
        Statistics=["Average"],
    )["Datapoints"]
    return [p["Average"] for p in points]


def invoke(monkeypatch) -> dict:
    handler = load_handler("monitor", monkeypatch)
    return handler.lambda_handler({"source": "aws.events", "time": NOW.isoformat()}, FakeContext())


def test_degraded_window_publishes_quality_and_drift(aws, monkeypatch):
    # Given 4 poisonous specimens: 2 caught, 2 called edible (one served edible), all large
    log_predictions(
        aws,
        [
            ("a", "poisonous", "poisonous", "x", 15),
            ("b", "poisonous", "poisonous", "f", 15),
            ("c", "edible", "unsure: do not eat", "x", 15),
            ("d", "edible", "edible", "f", 15),
        ],
    )
    give_feedback(aws, {"a": "p", "b": "p", "c": "p", "d": "p"})
    # When the schedule fires
    outcome = invoke(monkeypatch)
    # Then quality and drift metrics were sent, without dimensions and per model version
    assert outcome["status"] == "ok" and outcome["quality_status"] == "ok"
    assert metric("Recall") == [0.5]
    assert metric("F1") == [pytest.approx(2 * 0.5 / 1.5)]  # precision 1, recall 0.5
    assert metric("FalseEdibleRate") == [0.5]
    assert metric("ServedFalseEdibleRate") == [0.25]
    assert metric("F1", [{"Name": "ModelVersion", "Value": "3"}]) == [pytest.approx(2 / 3)]
    assert metric("DriftedFeatureShare") == [0.5]  # cap-diameter drifted, cap-shape did not
    assert metric("PredictionCount") == [4.0] and metric("LabelCoverage") == [1.0]


def test_report_json_and_html_are_written(aws, monkeypatch):
    log_predictions(aws, [(str(i), "edible", "edible", "x", 5) for i in range(4)])
    outcome = invoke(monkeypatch)
    assert outcome["report"] == "monitoring/2026-11-24T060000Z/"
    report = json.loads(
        aws.get_object(Bucket=BUCKET, Key=outcome["report"] + "report.json")["Body"].read()
    )
    page = (
        aws.get_object(Bucket=BUCKET, Key=outcome["report"] + "report.html")["Body"].read().decode()
    )
    assert report["volume"]["prediction_count"] == 4
    assert report["quality"]["status"] == "no_data"
    assert "<svg" in page and "PSI per feature" in page


def test_empty_window_reports_no_data_and_sends_volume_only(aws, monkeypatch):
    outcome = invoke(monkeypatch)
    assert outcome["status"] == "no_data"
    assert metric("PredictionCount") == [0.0]
    assert metric("F1") == [] and metric("DriftedFeatureShare") == []


def test_other_model_versions_are_left_out(aws, monkeypatch):
    log_predictions(aws, [("old", "edible", "edible", "x", 5)], version="2")
    outcome = invoke(monkeypatch)
    assert outcome["volume"]["prediction_count"] == 0


def test_without_champion_quality_is_still_computed(aws, monkeypatch):
    boto3.client("ssm").put_parameter(
        Name=PARAMETER, Value=json.dumps({"status": "none"}), Overwrite=True, Type="String"
    )
    log_predictions(aws, [(str(i), "edible", "edible", "x", 5) for i in range(4)])
    give_feedback(aws, {str(i): "e" for i in range(4)})
    outcome = invoke(monkeypatch)
    assert outcome["champion_version"] is None
    assert outcome["drift_status"] == "no_reference"
    assert metric("Accuracy", [{"Name": "ModelVersion", "Value": "none"}]) == [1.0]


def test_missing_configuration_fails_at_cold_start(aws, monkeypatch):
    monkeypatch.delenv("DATA_BUCKET")
    with pytest.raises(Exception, match="DATA_BUCKET is required"):
        load_handler("monitor", monkeypatch)


def test_labels_received_before_the_window_change_nothing_and_are_not_read(aws, monkeypatch):
    # Given the window's predictions and their labels, and the report of that window
    log_predictions(aws, [(p, "poisonous", "poisonous", "x", 15) for p in "abcd"])
    give_feedback(aws, {"a": "p", "b": "p", "c": "e", "d": "p"})
    handler = load_handler("monitor", monkeypatch)
    event = {"source": "aws.events", "time": NOW.isoformat()}
    handler.lambda_handler(event, FakeContext())
    alone = report_of(aws)
    # And labels received earlier that day, for the predictions of earlier hours
    earlier = NOW - timedelta(hours=3)
    for n in range(20):
        entry = records.jsonl([records.feedback(f"earlier-{n}", "e", earlier)])
        aws.put_object(Bucket=BUCKET, Key=storage.feedback_key(earlier, f"earlier-{n}"), Body=entry)
    read = []
    handler.clients()[0].meta.events.register(
        "provide-client-params.s3.GetObject", lambda params, **_: read.append(params["Key"])
    )
    # When the schedule fires again
    handler.lambda_handler(event, FakeContext())
    # Then the report is the same, and of the labels only the window's four were read
    assert report_of(aws) == alone
    when = NOW - timedelta(minutes=5)
    labels = sorted(k for k in read if k.startswith(storage.FEEDBACK))
    assert labels == sorted(storage.feedback_key(when, p) for p in "abcd")


def report_of(s3) -> dict:
    key = f"{storage.monitoring_report_prefix(NOW)}report.json"
    return json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())


def test_past_its_limit_the_monitor_stops_and_reads_the_api_traffic_first(aws, monkeypatch):
    # Given a batch file's block of ten predictions in the log, then a request's four, one
    # of them labelled, and a limit of six
    monkeypatch.setenv("MAX_SPECIMENS", "6")
    when = NOW - timedelta(minutes=20)
    block = [
        records.prediction(f"b{n}", {"cap-shape": "x"}, "edible", when=when, model_version="3")
        for n in range(10)
    ]
    key = storage.prediction_direct_key(when, "batch-0001")
    aws.put_object(Bucket=BUCKET, Key=key, Body=records.jsonl(block))
    log_predictions(aws, [(p, "poisonous", "poisonous", "x", 15) for p in "abcd"])
    give_feedback(aws, {"d": "p"})
    # When the schedule fires
    outcome = invoke(monkeypatch)
    # Then the request's four are read (the labelled one in quality), two of the block, and
    # the block is counted as left unread
    report = report_of(aws)
    assert outcome["volume"]["prediction_count"] == 6
    assert outcome["volume"]["labelled_count"] == 1 and report["quality"]["recall"] == 1.0
    assert report["window"]["unread"] == {"objects": 1, "bytes": len(records.jsonl(block))}
    assert report["window"]["max_specimens"] == 6


def test_a_log_object_that_vanished_after_the_listing_is_skipped(aws, monkeypatch):
    # Given a window of four predictions, and one more object that S3 lists but cannot serve
    log_predictions(aws, [(p, "edible", "edible", "x", 5) for p in "abcd"])
    handler = load_handler("monitor", monkeypatch)
    s3 = handler.clients()[0]
    gone = storage.prediction_direct_key(NOW - timedelta(minutes=3), "expired")
    s3.put_object(Bucket=BUCKET, Key=gone, Body=b"{}\n")

    def expire(params, **_):
        if params["Key"] == gone:
            s3.delete_object(Bucket=BUCKET, Key=gone)

    s3.meta.events.register("provide-client-params.s3.GetObject", expire)
    # When the schedule fires
    outcome = handler.lambda_handler(
        {"source": "aws.events", "time": NOW.isoformat()}, FakeContext()
    )
    # Then the run counts the four and does not fail
    assert outcome["volume"]["prediction_count"] == 4
