"""The retrain function with moto: one job per ALARM transition, at most one per cooldown."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from moto import mock_aws

from mushroom import storage
from mushroom.retraining import RetrainState, Trigger, decide
from tests.unit.lambda_loading import LAMBDAS, FakeContext, load_handler

BUCKET = "mushroom-data"
ARN = "arn:aws:cloudwatch:us-east-1:000000000000:alarm:mushroom-f1-low"


def alarm_event(
    state: str = "ALARM", stamp: str = "2026-11-24T06:00:00.000+0000", name: str = "mushroom-f1-low"
) -> dict:
    """The payload CloudWatch sends to a Lambda alarm action."""
    return {
        "source": "aws.cloudwatch",
        "alarmArn": ARN.replace("mushroom-f1-low", name),
        "accountId": "000000000000",
        "region": "us-east-1",
        "time": stamp,
        "alarmData": {
            "alarmName": name,
            "state": {"value": state, "reason": "Threshold Crossed", "timestamp": stamp},
            "previousState": {
                "value": "OK",
                "reason": "",
                "timestamp": "2026-11-24T05:00:00.000+0000",
            },
        },
    }


@pytest.fixture
def aws(monkeypatch):
    """Moto S3 + SQS with the data bucket and the training-jobs queue."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        # the champion pointer as Terraform creates it (every alarm reads it for its report)
        boto3.client("ssm").put_parameter(
            Name="/mushroom/champion", Value='{"status": "none"}', Type="String"
        )
        queue = boto3.client("sqs").create_queue(QueueName="mushroom-training-jobs")["QueueUrl"]
        monkeypatch.setenv("TRAINING_QUEUE_URL", queue)
        monkeypatch.setenv("DATA_BUCKET", BUCKET)
        monkeypatch.setenv("COOLDOWN_SECONDS", "3600")
        yield queue


def jobs(queue: str) -> list[dict]:
    """Every message waiting on the queue (bodies)."""
    messages = boto3.client("sqs").receive_message(
        QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=0
    )
    return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


def invoke(monkeypatch, event: dict) -> dict:
    return load_handler("retrain", monkeypatch).lambda_handler(event, FakeContext())


def test_alarm_enqueues_one_job_with_the_alarm_as_reason(aws, monkeypatch):
    outcome = invoke(monkeypatch, alarm_event())
    assert outcome["enqueued"] is True
    [job] = jobs(aws)
    assert job["reason"] == "alarm:mushroom-f1-low" and job["dataset_ids"] == []
    assert job["correlation_id"] == outcome["correlation_id"]


def test_same_transition_twice_enqueues_once(aws, monkeypatch):
    # Given an alarm delivered twice (same alarm, same state timestamp), cooldown off
    monkeypatch.setenv("COOLDOWN_SECONDS", "0")
    first = invoke(monkeypatch, alarm_event())
    second = invoke(monkeypatch, alarm_event())
    # Then one job, the second delivery recognised as a duplicate
    assert first["action"] == "enqueue" and second["action"] == "duplicate"
    assert len(jobs(aws)) == 1


def test_second_alarm_inside_the_cooldown_enqueues_nothing(aws, monkeypatch):
    invoke(monkeypatch, alarm_event())
    outcome = invoke(
        monkeypatch, alarm_event(stamp="2026-11-24T06:05:00.000+0000", name="mushroom-drift-high")
    )
    assert outcome["action"] == "cooldown" and outcome["enqueued"] is False
    assert len(jobs(aws)) == 1
    state = json.loads(
        boto3.client("s3").get_object(Bucket=BUCKET, Key=storage.RETRAIN_STATE)["Body"].read()
    )
    assert state["transitions"] == {
        "mushroom-f1-low": "2026-11-24T06:00:00.000+0000",
        "mushroom-drift-high": "2026-11-24T06:05:00.000+0000",
    }


def test_ok_transition_is_ignored(aws, monkeypatch):
    outcome = invoke(monkeypatch, alarm_event(state="OK"))
    assert outcome["action"] == "ignored" and jobs(aws) == []


def test_manual_invoke_enqueues_and_respects_the_cooldown(aws, monkeypatch):
    first = invoke(monkeypatch, {"reason": "new data from the field team"})
    second = invoke(monkeypatch, {"reason": "again"})
    forced = invoke(monkeypatch, {"reason": "operator insists", "force": True})
    assert [first["action"], second["action"], forced["action"]] == [
        "enqueue",
        "cooldown",
        "enqueue",
    ]
    assert [j["reason"] for j in jobs(aws)] == [
        "manual:new data from the field team",
        "manual:operator insists",
    ]


def test_unknown_event_is_an_error(aws, monkeypatch):
    with pytest.raises(ValueError):
        invoke(monkeypatch, {"detail-type": "something else"})


def test_queue_failure_leaves_the_transition_retryable(aws, monkeypatch):
    # Given SQS refuses the first send
    monkeypatch.setenv("TRAINING_QUEUE_URL", aws + "-missing")
    with pytest.raises(Exception):
        invoke(monkeypatch, alarm_event())
    # When the alarm is delivered again with the right queue
    monkeypatch.setenv("TRAINING_QUEUE_URL", aws)
    outcome = invoke(monkeypatch, alarm_event())
    # Then the job is enqueued (the failed attempt recorded nothing)
    assert outcome["action"] == "enqueue" and len(jobs(aws)) == 1


def test_cooldown_ends():
    trigger = Trigger("alarm:a", "c1", alarm_name="a", transition="t2")
    now = datetime(2026, 11, 24, 7, 0, tzinfo=timezone.utc)
    state = RetrainState(
        last_enqueued_at=(now - timedelta(seconds=3601)).isoformat(), transitions={"a": "t1"}
    )
    assert decide(state, trigger, now, timedelta(hours=1)).action == "enqueue"
    state.last_enqueued_at = (now - timedelta(seconds=3599)).isoformat()
    assert decide(state, trigger, now, timedelta(hours=1)).action == "cooldown"


def test_alarm_correlation_id_is_stable_per_transition(monkeypatch):
    monkeypatch.syspath_prepend(str(LAMBDAS / "retrain"))
    from retrain_event import trigger_from_event

    assert trigger_from_event(alarm_event()).correlation_id == (
        trigger_from_event(alarm_event()).correlation_id
    )
    assert trigger_from_event(alarm_event()).correlation_id != (
        trigger_from_event(alarm_event(stamp="x")).correlation_id
    )


def alarm_in(state: str, name: str = "mushroom-drift-high") -> None:
    """A model alarm in moto's CloudWatch, set to ``state``."""
    cloudwatch = boto3.client("cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        Namespace="Mushroom",
        MetricName="Drift",
        Statistic="Maximum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=0.2,
        ComparisonOperator="GreaterThanThreshold",
    )
    cloudwatch.set_alarm_state(AlarmName=name, StateValue=state, StateReason="test")


def stored_state() -> dict:
    body = boto3.client("s3").get_object(Bucket=BUCKET, Key=storage.RETRAIN_STATE)["Body"]
    return json.loads(body.read())


DEFERRED_CHECK = {"check": "deferred"}
DRIFT = {"stamp": "2026-11-24T06:05:00.000+0000", "name": "mushroom-drift-high"}


def test_an_alarm_inside_the_cooldown_retrains_once_the_cooldown_ends(aws, monkeypatch):
    # Given a retrain, then a second alarm inside the cooldown (deferred, not dropped)
    invoke(monkeypatch, alarm_event())
    deferred = invoke(monkeypatch, alarm_event(**DRIFT))
    assert deferred["action"] == "cooldown" and "deferred" in deferred["detail"]
    assert list(stored_state()["deferred"]) == ["mushroom-drift-high"]
    alarm_in("ALARM")
    # When the periodic check runs inside the cooldown, nothing happens yet
    assert invoke(monkeypatch, DEFERRED_CHECK)["action"] == "cooldown"
    # And when it runs after the cooldown with the alarm still in ALARM
    monkeypatch.setenv("COOLDOWN_SECONDS", "0")
    after = invoke(monkeypatch, DEFERRED_CHECK)
    again = invoke(monkeypatch, DEFERRED_CHECK)
    # Then one job for the deferred alarm, with its transition's correlation id, and no more
    assert (after["action"], again["action"]) == ("enqueue", "nothing-deferred")
    first, second = jobs(aws)
    assert second["reason"] == "alarm:mushroom-drift-high"
    assert second["correlation_id"] == deferred["correlation_id"] == after["correlation_id"]
    assert stored_state()["deferred"] == {}


def test_a_deferred_alarm_that_recovered_is_forgotten_without_a_job(aws, monkeypatch):
    invoke(monkeypatch, alarm_event())
    invoke(monkeypatch, alarm_event(**DRIFT))
    alarm_in("OK")
    monkeypatch.setenv("COOLDOWN_SECONDS", "0")
    outcome = invoke(monkeypatch, DEFERRED_CHECK)
    assert outcome["action"] == "resolved" and outcome["enqueued"] is False
    assert len(jobs(aws)) == 1 and stored_state()["deferred"] == {}


def test_the_check_with_nothing_deferred_writes_nothing(aws, monkeypatch):
    outcome = invoke(monkeypatch, DEFERRED_CHECK)
    assert outcome["action"] == "nothing-deferred" and jobs(aws) == []
    assert "Contents" not in boto3.client("s3").list_objects_v2(Bucket=BUCKET)


def test_a_retrain_after_the_cooldown_covers_the_deferred_alarms():
    # Given an alarm deferred, then another alarm's job after the cooldown
    hour, now = timedelta(hours=1), datetime(2026, 11, 24, 7, 0, tzinfo=timezone.utc)
    state = RetrainState(last_enqueued_at=(now - timedelta(minutes=30)).isoformat())
    drift = Trigger("alarm:d", "c1", alarm_name="d", transition="t1")
    deferred = decide(state, drift, now, hour).state
    assert list(deferred.deferred) == ["d"]
    f1 = Trigger("alarm:f", "c2", alarm_name="f", transition="t2")
    enqueued = decide(deferred, f1, now + hour, hour)
    # Then that job covers the deferred alarm: nothing left for the check
    assert enqueued.action == "enqueue" and enqueued.state.deferred == {}


def test_a_manual_request_inside_the_cooldown_is_not_deferred():
    hour, now = timedelta(hours=1), datetime(2026, 11, 24, 7, 0, tzinfo=timezone.utc)
    state = RetrainState(last_enqueued_at=now.isoformat())
    decision = decide(state, Trigger("manual:x", "c"), now, hour)
    assert decision.action == "cooldown" and decision.state.deferred == {}
