"""The retrain function: CloudWatch alarm action, the periodic look at alarms deferred by the
cooldown, or a manual invoke -> at most one training job."""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

import boto3

from adapters.config import RetrainConfig
from adapters.observability import logger
from retrain_event import trigger_from_event
from retrain_job import request_retraining
from retrain_state import RetrainStateStore

CONFIG = RetrainConfig.from_env()


@lru_cache(maxsize=1)
def clients() -> tuple:
    """S3 and SQS clients, created once per container."""
    return boto3.client("s3"), boto3.client("sqs")


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
    store = RetrainStateStore(s3, CONFIG.data_bucket, CONFIG.state_key)
    now = datetime.now(timezone.utc)
    outcome = request_retraining(CONFIG, store, sqs, trigger, now, alarms_in_alarm)
    logger.info("retrain request handled", extra=outcome)
    return outcome
