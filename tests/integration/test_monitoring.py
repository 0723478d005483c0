"""Monitoring on the real local stack: degraded feedback -> metric -> ALARM -> SNS + retrain.

Needs `make up deploy` with short periods, e.g. terraform variables alarm_period_seconds = 60,
monitor_min_labelled = 20 (default), retrain_cooldown_seconds = 3600 (default). Predictions and
feedback are written straight into the prediction log (the API is not needed for this path).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import pytest

from mushroom import storage
from tests import records
from scripts import localaws
from scripts.localaws import client, outputs

pytestmark = pytest.mark.integration
ALARM_WAIT_SECONDS = 240


@pytest.fixture(scope="module")
def stack():
    """Terraform outputs of the deployed stack (skip when not deployed)."""
    try:
        out = outputs()
    except SystemExit as missing:
        pytest.skip(str(missing))
    needed = ("monitor_function_name", "retrain_function_name", "alerts_inbox_url")
    if any(not out.get(name) for name in needed):
        pytest.skip("stack deployed without the monitoring outputs")
    return out


def champion_version(stack) -> str:
    value = client("ssm").get_parameter(Name=stack["champion_parameter_name"])["Parameter"]["Value"]
    return str(json.loads(value).get("version") or "none")


def write_degraded_window(stack, count: int = 40) -> list[str]:
    """Poisonous specimens the model called edible, all labelled poisonous; returns the keys."""
    s3, bucket, now = client("s3"), stack["data_bucket_name"], datetime.now(timezone.utc)
    version, ids = champion_version(stack), [str(uuid.uuid4()) for _ in range(count)]
    lines = [
        records.prediction(
            pid, {"cap-diameter": 3.0, "cap-shape": "x"}, when=now, model_version=version
        )
        for pid in ids
    ]
    key = storage.prediction_log_key(now, f"itest-{uuid.uuid4().hex[:8]}")
    s3.put_object(Bucket=bucket, Key=key, Body=records.jsonl(lines))
    keys = [key]
    for pid in ids:
        feedback = storage.feedback_key(now, pid)
        entry = records.jsonl([records.feedback(pid, "p", now)])
        s3.put_object(Bucket=bucket, Key=feedback, Body=entry)
        keys.append(feedback)
    return keys


def retrain_state(stack) -> dict:
    body = client("s3").get_object(Bucket=stack["data_bucket_name"], Key=storage.RETRAIN_STATE)
    return json.loads(body["Body"].read())


@pytest.fixture
def degraded(stack):
    """A degraded window, the model alarms at rest, a retrain state outside any cooldown, and
    cleanup afterwards (an earlier test may have left an alarm firing: no new transition then)."""
    s3, bucket = client("s3"), stack["data_bucket_name"]
    localaws.rest_alarms(stack["model_alarm_names"].values(), "monitoring test starts")
    s3.put_object(Bucket=bucket, Key=storage.RETRAIN_STATE, Body=json.dumps({"transitions": {}}))
    keys = write_degraded_window(stack)
    yield keys
    for key in keys:
        s3.delete_object(Bucket=bucket, Key=key)


def test_degraded_feedback_raises_alarm_notifies_and_enqueues_once(stack, degraded):
    alarm = stack["model_alarm_names"]["f1-low"]
    cloudwatch, lam = client("cloudwatch"), client("lambda")
    # When the monitor runs over the degraded window
    result = lam.invoke(FunctionName=stack["monitor_function_name"], Payload=b"{}")
    outcome = json.loads(result["Payload"].read())
    assert outcome["quality_status"] == "ok", outcome
    # Then the F1 alarm fires, operators are told, and one training job is enqueued
    state = localaws.poll(
        lambda: cloudwatch.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]["StateValue"]
        == "ALARM",
        ALARM_WAIT_SECONDS,
    )
    assert state, f"{alarm} did not reach ALARM within {ALARM_WAIT_SECONDS} s"
    assert localaws.first_alert(stack, localaws.is_alarm(alarm, "ALARM"), 60), "no SNS alert"
    first = localaws.poll(
        lambda: retrain_state(stack).get("last_enqueued_at") and retrain_state(stack), 60
    )
    assert first and first["last_reason"].startswith("alarm:"), first
    # When a second alarm transition comes inside the cooldown
    cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="OK", StateReason="integration test")
    cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="integration test")
    second = localaws.poll(
        lambda: (s := retrain_state(stack))["transitions"] != first["transitions"] and s, 60
    )
    # Then it is remembered but enqueues nothing
    assert second, "the second transition never reached the retrain function"
    assert second["last_enqueued_at"] == first["last_enqueued_at"]
