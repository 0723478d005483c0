"""The prediction log on the real local stack: API → Firehose → S3 hour partition → monitor; and
with Firehose failing, the fallback to S3, counted (EMF metric) and logged.

Needs `make up deploy` (the delivery stream is terraform/prediction_log.tf).
"""

from __future__ import annotations

import json
import re
import time

import pytest

from tests.integration import test_api
from tests.integration.test_api import client, request
from tests.unit.predict_support import features

pytestmark = pytest.mark.integration
# the API tests' fixtures: the deployed stack's outputs and a tiny champion
stack, champion = test_api.stack, test_api.champion
HOUR_PARTITION = re.compile(r"^predictions/\d{4}/\d\d/\d\d/\d\d/")


def find_logged(stack, prediction_id: str, seconds: float = 60) -> str | None:
    """The key of the prediction log object holding the id (None when it did not land)."""
    s3, bucket = client("s3"), stack["data_bucket_name"]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="predictions/")
        keys = [item["Key"] for page in pages for item in page.get("Contents", [])]
        for key in sorted(keys, reverse=True):
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            if prediction_id.encode() in body:
                return key
        time.sleep(2)
    return None


def predict(stack) -> str:
    status, body = request(stack, "POST", "/predict", {"specimens": [features()]})
    assert status == 200, body
    return body["results"][0]["prediction_id"]


def test_a_prediction_lands_through_firehose_and_the_monitor_sees_it(stack, champion):
    # When the API serves a prediction
    prediction_id = predict(stack)
    # Then Firehose delivered it to the data bucket under the hour partition (not the fallback)
    key = find_logged(stack, prediction_id)
    assert key and HOUR_PARTITION.match(key), key
    assert "/direct-" not in key and stack["prediction_stream_name"] in key
    # And the monitor counts it in its window
    lam = client("lambda")
    outcome = json.loads(
        lam.invoke(FunctionName=stack["monitor_function_name"], Payload=b"{}")["Payload"].read()
    )
    assert outcome["champion_version"] == champion["version"]
    assert outcome["volume"]["prediction_count"] >= 1, outcome


@pytest.fixture
def broken_stream(stack):
    """The predict function pointed at a stream that does not exist, restored afterwards."""
    lam, name = client("lambda"), stack["predict_function_name"]
    environment = lam.get_function_configuration(FunctionName=name)["Environment"]
    broken = {**environment["Variables"], "PREDICTION_STREAM": "mushroom-no-such-stream"}
    lam.update_function_configuration(FunctionName=name, Environment={"Variables": broken})
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    yield name
    lam.update_function_configuration(FunctionName=name, Environment=environment)
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)


def function_log(name: str, text: str, seconds: float = 60) -> list[str]:
    logs, deadline = client("logs"), time.monotonic() + seconds
    while time.monotonic() < deadline:
        events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}", filterPattern=text)
        found = [event["message"] for event in events["events"]]
        if found:
            return found
        time.sleep(2)
    return []


def test_when_firehose_fails_the_prediction_is_kept_in_s3_and_counted(
    stack, champion, broken_stream
):
    # When the API serves a prediction while Firehose refuses its stream
    prediction_id = predict(stack)
    # Then the record is in the bucket, under the hour partition, written by the fallback
    key = find_logged(stack, prediction_id)
    assert key and HOUR_PARTITION.match(key) and "/direct-" in key, key
    # And the fallback was counted (the EMF metric) and logged, naming where the record went
    assert any(
        key in line for line in function_log(broken_stream, "prediction_log_firehose_failed")
    )
    metric = function_log(broken_stream, "PredictionLogFirehoseFallback")
    assert any('"PredictionLogFirehoseFallback"' in line and "_aws" in line for line in metric)
