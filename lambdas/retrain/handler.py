"""The retrain function: CloudWatch alarm action or manual invoke -> at most one training job."""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

import boto3

from mushroom.observability import logger
from mushroom.retraining import trigger_from_event
from retrain_config import RetrainConfig
from retrain_job import request_retraining
from retrain_state import RetrainStateStore

CONFIG = RetrainConfig.from_env()


@lru_cache(maxsize=1)
def clients() -> tuple:
    """S3 and SQS clients, created once per container."""
    return boto3.client("s3"), boto3.client("sqs")


@logger.inject_lambda_context(log_event=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Enqueue a training job for an ALARM transition or a manual request (cooldown applies)."""
    trigger = trigger_from_event(event or {})
    if trigger is None:
        logger.info("not an ALARM transition: nothing to do")
        return {"action": "ignored", "enqueued": False, "detail": "not an ALARM transition"}
    s3, sqs = clients()
    store = RetrainStateStore(s3, CONFIG.data_bucket, CONFIG.state_key)
    outcome = request_retraining(CONFIG, store, sqs, trigger, datetime.now(timezone.utc))
    logger.info("retrain request handled", extra=outcome)
    return outcome
