"""What invoked the retrain function, as a Trigger: a CloudWatch alarm action (read through
Powertools' CloudWatchAlarmEvent), the periodic deferred check, or an operator's request."""

from __future__ import annotations

import uuid
from typing import Any, Mapping

from aws_lambda_powertools.utilities.data_classes import CloudWatchAlarmEvent

from mushroom.retraining import DEFERRED_CHECK, Trigger

EXPECTED = 'expected a CloudWatch alarm event, {"check": "deferred"} or {"reason": "..."}'


def trigger_from_event(event: Mapping[str, Any]) -> Trigger | None:
    """The trigger of the invocation; None for an alarm action that is not an ALARM state."""
    if event.get("source") == "aws.cloudwatch" or "alarmData" in event:
        return alarm_trigger(CloudWatchAlarmEvent(dict(event)))
    correlation = str(event.get("correlation_id") or uuid.uuid4())
    if event.get("check") == "deferred":
        return Trigger(DEFERRED_CHECK, correlation, check=True)
    reason = event.get("reason")
    if isinstance(reason, str) and reason.strip():
        return Trigger(f"manual:{reason.strip()}", correlation, force=bool(event.get("force")))
    raise ValueError(EXPECTED)


def state_reason(event: Mapping[str, Any]) -> str:
    """The alarm state's reason (CloudWatch's "Threshold Crossed: …"), empty when none."""
    state = (event.get("alarmData") or {}).get("state") or {}
    return str(state.get("reason") or "")


def alarm_trigger(alarm: CloudWatchAlarmEvent) -> Trigger | None:
    """One trigger per ALARM transition: its correlation id is the alarm and the state's time."""
    state = alarm.alarm_data.state
    if state.value != "ALARM":
        return None
    name = alarm.alarm_data.alarm_name
    stamp = str(state.get("timestamp") or alarm.get("time") or "")
    arn = alarm.get("alarmArn") or name
    correlation = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{arn}#{stamp}"))
    return Trigger(f"alarm:{name}", correlation, alarm_name=name, transition=stamp)
