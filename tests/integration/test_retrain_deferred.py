"""An alarm that fires inside the retrain cooldown, on the real local stack: CloudWatch invokes
the retrain function (deferred), and the periodic check retrains once the cooldown is over while
the alarm is still in ALARM (issue 12). The cooldown is not waited out: the test moves the state
document's clock back, as an hour passing would."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from mushroom import storage
from scripts import localaws
from scripts.localaws import client
from tests.integration import test_monitoring as monitoring

pytestmark = pytest.mark.integration
stack, retrain_state = monitoring.stack, monitoring.retrain_state
CHECK = {"check": "deferred"}


def invoke(stack, payload: dict) -> dict:
    answer = client("lambda").invoke(
        FunctionName=stack["retrain_function_name"], Payload=json.dumps(payload).encode()
    )
    return json.loads(answer["Payload"].read())


def put_state(stack, state: dict) -> None:
    client("s3").put_object(
        Bucket=stack["data_bucket_name"], Key=storage.RETRAIN_STATE, Body=json.dumps(state).encode()
    )


@pytest.fixture
def drift_alarm(stack):
    alarm = stack["model_alarm_names"]["drift-high"]
    localaws.rest_alarms([alarm], "deferred retrain test starts")
    yield alarm
    localaws.rest_alarms([alarm], "deferred retrain test ends")


def test_an_alarm_inside_the_cooldown_retrains_once_the_cooldown_is_over(stack, drift_alarm):
    # Given a cooldown running: a job was enqueued just now
    started = datetime.now(timezone.utc).isoformat()
    put_state(stack, {"last_enqueued_at": started, "transitions": {}})
    # When the drift alarm fires (CloudWatch invokes the retrain function asynchronously)
    client("cloudwatch").set_alarm_state(
        AlarmName=drift_alarm, StateValue="ALARM", StateReason="deferred retrain test"
    )
    # Then it is deferred, not dropped, and the periodic check waits for the cooldown
    state = localaws.poll(
        lambda: drift_alarm in retrain_state(stack).get("deferred", {}) and retrain_state(stack), 90
    )
    assert state and state["last_enqueued_at"] == started, state
    assert invoke(stack, CHECK)["action"] == "cooldown"
    # When the cooldown is over (the clock moved back two hours) and the alarm is still in ALARM
    put_state(
        stack,
        {
            **state,
            "last_enqueued_at": (datetime.now(timezone.utc) - timedelta(hours=2)).isoformat(),
        },
    )
    after, again = invoke(stack, CHECK), invoke(stack, CHECK)
    # Then the check enqueues one job for the deferred alarm, and the next check nothing
    assert after["action"] == "enqueue" and after["reason"] == f"alarm:{drift_alarm}", after
    assert after["message_id"] and again["action"] == "nothing-deferred", again
    assert retrain_state(stack)["deferred"] == {}


def test_a_deferred_alarm_back_to_ok_is_dropped_without_a_job(stack, drift_alarm):
    old = (datetime.now(timezone.utc) - timedelta(hours=2)).isoformat()
    deferred = {drift_alarm: {"transition": "t", "correlation_id": "c", "deferred_at": old}}
    put_state(stack, {"last_enqueued_at": old, "transitions": {}, "deferred": deferred})
    outcome = invoke(stack, CHECK)
    assert outcome["action"] == "resolved" and outcome["enqueued"] is False, outcome


def test_the_monitor_schedule_also_runs_the_deferred_check(stack):
    events = client("events")
    function = client("lambda").get_function(FunctionName=stack["retrain_function_name"])
    arn = function["Configuration"]["FunctionArn"]
    rules = events.list_rule_names_by_target(TargetArn=arn)["RuleNames"]
    targets = [t for rule in rules for t in events.list_targets_by_rule(Rule=rule)["Targets"]]
    assert [json.loads(t["Input"]) for t in targets if t["Arn"] == arn] == [CHECK]
    assert [events.describe_rule(Name=rule)["ScheduleExpression"] for rule in rules]
