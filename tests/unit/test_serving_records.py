"""The records between components: each one from its real writer to its real reader(s).

Manifest: ingest function → training's dataset gathering. Prediction and feedback records:
the prediction API → the monitor's store and training's feedback join. Batch report: batch
scoring → the report's type. Held label: the training review → the job's quarantine.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta, timezone

import boto3
import pandas as pd
import pytest
from moto import mock_aws

from mushroom import contract
from mushroom.records.batch_report import BatchReport
from mushroom.records.feedback import FeedbackRecord, HeldLabel
from mushroom.records.manifest import Manifest
from mushroom.records.prediction import PredictionRecord
from tests import records
from tests.events import LambdaContext, s3_object_created
from tests.unit import predict_support as support
from tests.unit import test_ingest_handler as ingest_support
from tests.unit import test_predict_api as api
from tests.unit.ingest_support import csv_bytes, good_rows
from tests.unit.lambda_loading import LAMBDAS
from training import datasets, job, review
from training.assemble import REPORTED

# The fixtures of the ingest and prediction tests: moto and the handlers loaded as Lambda does.
stack = ingest_support.stack
bundle, aws, handler, champion = api.bundle, api.aws, api.handler, api.champion


def test_the_ingest_manifest_is_read_by_training_as_written(stack):
    # Given an upload ingested by the ingest function
    result = stack.invoke(stack.upload("raw/good.csv", csv_bytes(good_rows(20))))
    # When training gathers its datasets through the manifests
    (manifest,) = datasets.manifests(stack.s3, ingest_support.BUCKET)
    frames = datasets.processed_datasets(stack.s3, ingest_support.BUCKET)
    # Then it reads the manifest the function wrote, job included, and its dataset
    assert isinstance(manifest, Manifest) and manifest.key == result["uploads"][0]["manifest"]
    assert (manifest.status, manifest.rows_in, manifest.accepted) == ("accepted", 20, 20)
    assert manifest.training_job["message_id"] == result["training_job"]["message_id"]
    assert len(frames[manifest.dataset_id]) == 20
    assert Manifest.from_dict(stack.json(manifest.key)) == manifest


def monitor_store(monkeypatch):
    monkeypatch.syspath_prepend(str(LAMBDAS / "monitor"))
    monkeypatch.delitem(sys.modules, "monitor_store", raising=False)
    import monitor_store

    return monitor_store.MonitorStore(
        boto3.client("s3"), boto3.client("ssm"), support.DATA_BUCKET, support.PARAMETER
    )


def test_predictions_and_feedback_are_read_by_the_monitor_and_training(
    handler, champion, aws, monkeypatch
):
    # Given two specimens predicted by the API and one of them labelled through /feedback
    specimens = [support.features(**api.EDIBLE), support.features(**api.POISONOUS)]
    served = api.call(handler, "POST", "/predict", {"specimens": specimens})[1]["results"]
    labelled = served[0]["prediction_id"]
    body = {"prediction_id": labelled, "observed_class": "e"}
    assert api.call(handler, "POST", "/feedback", body)[0] == 200
    # When the monitor reads the window and training joins the labels
    store = monitor_store(monkeypatch)
    now = datetime.now(timezone.utc)
    logged = store.predictions(now - timedelta(hours=1), now + timedelta(minutes=1))
    feedback = store.feedback(now - timedelta(hours=1), now + timedelta(minutes=1))
    frame, refused = datasets.labelled_feedback(aws[0], support.DATA_BUCKET)
    # Then the monitor sees each prediction as served, and the label
    by_id = {PredictionRecord.from_dict(line).prediction_id: line for line in logged}
    assert set(by_id) == {r["prediction_id"] for r in served}
    for result in served:
        line = PredictionRecord.from_dict(by_id[result["prediction_id"]])
        assert (line.prediction, line.decision) == (result["prediction"], result["decision"])
        assert (line.model_version, line.source) == (result["model_version"], "api")
    assert [FeedbackRecord.from_dict(f).prediction_id for f in feedback] == [labelled]
    # And training gets the labelled specimen's features with the reported class
    assert refused == 0 and frame[contract.LABEL].tolist() == ["e"]
    assert frame["cap-color"].tolist() == [api.EDIBLE["cap_color"]]


def test_the_batch_report_reads_back_as_its_type(handler, champion, aws):
    # Given a batch file with one good and one bad row, scored by the predict function
    good = ";".join(map(str, support.features(**api.EDIBLE).values()))
    bad = ";".join(map(str, support.features(cap_shape="zz").values()))
    body = "\n".join([";".join(support.features()), good, bad]) + "\n"
    aws[0].put_object(Bucket=support.DATA_BUCKET, Key="batch/walk.csv", Body=body.encode())
    handler.lambda_handler(
        s3_object_created(support.DATA_BUCKET, "batch/walk.csv"), LambdaContext()
    )
    # When its report is read
    stored = aws[0].get_object(Bucket=support.DATA_BUCKET, Key="batch-results/walk.report.json")
    report = BatchReport.from_dict(json.loads(stored["Body"].read()))
    # Then it holds what was scored and where
    assert (report.scored, report.unscored, report.refused) == (1, 1, None)
    assert report.results == "batch-results/walk.csv" and report.model_version == "1"
    assert report.source["key"] == "batch/walk.csv" and "cap-shape/unknown_code" in report.reasons


def test_a_held_label_reads_back_from_the_quarantine(monkeypatch):
    # Given a reported label the review holds (no species of the data set fits it)
    reported = pd.DataFrame([{**records_row(), REPORTED: True}])
    held = review._held_records(reported, ["no species seen in training fits this specimen"])
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="data")
        # When the training job keeps it for review
        where = job.hold_feedback(s3, "data", {"feedback_id": "feedback@abc"}, held)
        body = s3.get_object(Bucket="data", Key=where["key"])["Body"].read().decode()
    # Then the quarantine holds the label, its specimen and the reason
    (label,) = [HeldLabel.from_dict(json.loads(line)) for line in body.splitlines()]
    assert label.reason == "no species seen in training fits this specimen"
    assert label.specimen[contract.LABEL] == "e" and label.specimen["cap-shape"] == "x"


def records_row() -> dict:
    row = {name: None for name in contract.FEATURE_NAMES}
    return {**row, contract.LABEL: "e", "cap-shape": "x", "cap-diameter": 5.0}


@pytest.mark.parametrize(
    "data, words",
    [
        ({**records.feedback("a", "e").to_dict(), "format_version": 2}, "format_version 2"),
        ({"prediction_id": "a", "observed_class": "e"}, "missing fields ['time']"),
        ({**records.feedback("a", "e").to_dict(), "label": "e"}, "unknown fields ['label']"),
        (["a", "e"], "expected a JSON object"),
    ],
)
def test_another_shape_is_a_clear_error(data, words):
    with pytest.raises(ValueError, match="^FeedbackRecord: ") as error:
        FeedbackRecord.from_dict(data)
    assert words in str(error.value)


def test_a_record_written_before_format_versions_is_version_one():
    line = records.prediction("a", {"cap-shape": "x"}).to_dict()
    del line["format_version"]
    assert PredictionRecord.from_dict(line) == records.prediction("a", {"cap-shape": "x"})
