"""Powertools Logger and Metrics, created once and imported by every function and the worker.

The service name comes from POWERTOOLS_SERVICE_NAME, which Terraform sets per function; the
training worker is no function and has none, so it logs as "trainer". The namespace comes from
POWERTOOLS_METRICS_NAMESPACE, "Mushroom" when unset.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

NAMESPACE = "Mushroom"
WORKER_SERVICE = "trainer"

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME") or WORKER_SERVICE)
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or NAMESPACE)


def log(message: str, level: str = "info", **fields: Any) -> None:
    """One structured log line (the worker's and the scripts' way to log)."""
    getattr(logger, level)(message, extra=fields)


__all__ = ["logger", "metrics", "log", "MetricUnit", "NAMESPACE"]
