"""The monitor function: EventBridge schedule -> quality and drift metrics + a report in S3."""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

import boto3

from adapters.config import MonitorConfig
from adapters.observability import logger
from monitor_job import run_monitor, window_end
from monitor_store import MonitorStore
from shadow_job import ChallengerActions

CONFIG = MonitorConfig.from_env()


@lru_cache(maxsize=1)
def clients() -> tuple:
    """S3, SSM, CloudWatch, SQS and SNS clients, created once per container."""
    return tuple(boto3.client(name) for name in ("s3", "ssm", "cloudwatch", "sqs", "sns"))


@logger.inject_lambda_context(log_event=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Monitor the window that ends at the event's time."""
    s3, ssm, cloudwatch, sqs, sns = clients()
    store = MonitorStore(s3, ssm, CONFIG.data_bucket, CONFIG.champion_parameter)
    end = window_end(event or {}, datetime.now(timezone.utc))
    act = ChallengerActions(
        store.champion_parameter, sqs, CONFIG.training_queue_url, sns, CONFIG.alerts_topic_arn
    )
    report = run_monitor(CONFIG, store, cloudwatch, end, act)
    outcome = {
        "status": report["status"],
        "report": report["report_prefix"],
        "champion_version": report["champion"]["champion_version"],
        "volume": report["volume"],
        "quality_status": report["quality"]["status"],
        "drift_status": report["drift"]["status"],
        "metrics_sent": report["metrics_sent"],
        "shadow": report["shadow"]["status"],
    }
    logger.info("monitoring window done", extra=outcome)
    return outcome
