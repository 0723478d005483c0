"""The retrain function: CloudWatch alarm action, the periodic look at alarms deferred by the
cooldown, or a manual invoke -> at most one training job."""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

import boto3

from adapters.config import RetrainConfig
from adapters.messaging import Messenger
from adapters.observability import logger
from alarm_job import handle_alarm
from retrain_event import state_reason, trigger_from_event
from retrain_job import request_retraining
from retrain_state import RetrainStateStore

CONFIG = RetrainConfig.from_env()


@lru_cache(maxsize=1)
def clients() -> tuple:
    """S3 and SQS clients, created once per container."""
    return boto3.client("s3"), boto3.client("sqs")


@lru_cache(maxsize=1)
def notifiers() -> tuple:
    """SSM (the champion pointer) and SNS (operators), for alarms only."""
    return boto3.client("ssm"), boto3.client("sns")


@lru_cache(maxsize=1)
def cloudwatch():
    """CloudWatch client (only the deferred check asks it about alarms)."""
    return boto3.client("cloudwatch")


def alarms_in_alarm(names: list[str]) -> set[str]:
    """Which of the named alarms are in state ALARM now (an alarm that no longer exists is not).
    One call per alarm, so that IAM authorises each against its own ARN (the role may describe
    the model alarms only); called only after a cooldown with alarms deferred, usually one."""
    found = []
    for name in names:
        found += cloudwatch().describe_alarms(AlarmNames=[name]).get("MetricAlarms", [])
    return {alarm["AlarmName"] for alarm in found if alarm.get("StateValue") == "ALARM"}


@logger.inject_lambda_context(log_event=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Enqueue a training job for an ALARM transition, a deferred alarm still in ALARM after the
    cooldown, or a manual request (cooldown applies)."""
    trigger = trigger_from_event(event or {})
    if trigger is None:
        logger.info("not an ALARM transition: nothing to do")
        return {"action": "ignored", "enqueued": False, "detail": "not an ALARM transition"}
    s3, sqs = clients()
    now = datetime.now(timezone.utc)
    alarm = on_alarm(trigger, event, sqs, now) if trigger.alarm_name else None
    store = RetrainStateStore(s3, CONFIG.data_bucket, CONFIG.state_key)
    outcome = request_retraining(CONFIG, store, sqs, trigger, now, alarms_in_alarm)
    if alarm is not None:
        outcome["alarm_handling"] = alarm
    logger.info("retrain request handled", extra=outcome)
    return outcome


def on_alarm(trigger, event: dict[str, Any], sqs, now: datetime) -> dict[str, Any]:
    """Before retraining: the switch-back when due, the debugging report, operators told
    (alarm_job.py)."""
    ssm, sns = notifiers()
    messenger = Messenger(sqs, sns, CONFIG.training_queue_url, CONFIG.alerts_topic_arn)
    clients_by_name = {"ssm": ssm, "s3": clients()[0]}
    handled = handle_alarm(CONFIG, clients_by_name, messenger, trigger, state_reason(event), now)
    logger.info("alarm handled", extra=handled)
    return handled
