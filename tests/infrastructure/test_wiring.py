"""Every event path reaches real handler code through LocalStack (the probe stack)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid

import pytest

pytestmark = pytest.mark.integration


def records(aws, probe, source: str) -> list[dict]:
    s3 = aws("s3")
    listing = s3.list_objects_v2(Bucket=probe["record_bucket"], Prefix=f"records/{source}/")
    return [
        json.loads(s3.get_object(Bucket=probe["record_bucket"], Key=item["Key"])["Body"].read())
        for item in listing.get("Contents", [])
    ]


def wait_for(check, timeout: float, interval: float = 2.0, on_wait=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        if on_wait:
            on_wait()
        time.sleep(interval)
    return check()


def post(url: str, body: dict, api_key: str | None = None) -> tuple[int, str]:
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["x-api-key"] = api_key
    request = urllib.request.Request(url, json.dumps(body).encode(), headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_direct_invoke_imports_numpy_from_the_ml_layer(aws, probe):
    # When the probe is invoked directly
    response = aws("lambda").invoke(FunctionName=probe["function_name"], Payload=b"{}")
    # Then it ran the handler, which imported numpy from the layer
    payload = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, payload
    assert payload["numpy"].startswith("2.")


def test_s3_object_created_invokes_the_function(aws, probe):
    # Given an upload under incoming/
    key = f"incoming/{uuid.uuid4().hex}.csv"
    aws("s3").put_object(Bucket=probe["record_bucket"], Key=key, Body=b"a,b\n1,2\n")
    # Then the probe records an S3 event naming that key
    found = wait_for(
        lambda: [
            r
            for r in records(aws, probe, "s3")
            if r["event"]["Records"][0]["s3"]["object"]["key"] == key
        ],
        60,
    )
    assert found


def test_api_requires_the_key(aws, probe):
    # Given the REST API protected by an API key
    api_key = probe["api_key"]
    # When called without the key, then with it
    status_without, _ = post(probe["api_url"], {"ping": 1})
    status_with, body = post(probe["api_url"], {"ping": 1}, api_key)
    # Then 403, then 200 from the handler
    assert status_without == 403
    assert status_with == 200, body
    assert json.loads(body)["recorded"].startswith("records/api/")


def test_sqs_mapping_invokes_the_function(aws, probe):
    marker = uuid.uuid4().hex
    aws("sqs").send_message(QueueUrl=probe["jobs_queue_url"], MessageBody=marker)
    found = wait_for(
        lambda: [
            r for r in records(aws, probe, "sqs") if r["event"]["Records"][0]["body"] == marker
        ],
        60,
    )
    assert found


def test_alarm_notifies_sns_subscriber_and_invokes_the_function(aws, probe):
    # Given the custom metric above the alarm's threshold
    def signal():
        aws("cloudwatch").put_metric_data(
            Namespace="MushroomProbe", MetricData=[{"MetricName": "Signal", "Value": 5}]
        )

    signal()
    # Then the alarm's Lambda action runs the probe
    assert wait_for(lambda: records(aws, probe, "alarm"), 150, 5, on_wait=signal)
    # And the SNS topic delivered the alarm to its SQS subscriber
    messages = aws("sqs").receive_message(
        QueueUrl=probe["inbox_queue_url"], MaxNumberOfMessages=10, WaitTimeSeconds=10
    )
    bodies = [json.loads(json.loads(m["Body"])["Message"]) for m in messages.get("Messages", [])]
    assert any(b.get("AlarmName") == probe["alarm_name"] for b in bodies), bodies


def test_schedule_invokes_the_function(aws, probe):
    # rate(1 minute): the first run comes within ~60 s of the rule's creation
    remaining = max(10.0, 130 - (time.time() - probe["applied_at"]))
    assert wait_for(lambda: records(aws, probe, "schedule"), remaining, 5)
