"""Powertools Logger and Metrics, created once and imported by every Lambda handler.

The service name comes from POWERTOOLS_SERVICE_NAME (set per function by Terraform); the
namespace from POWERTOOLS_METRICS_NAMESPACE, "Mushroom" when unset. Only Lambda adapters import
this module (it needs the powertools layer); the rest of the package does not.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

NAMESPACE = "Mushroom"

logger = Logger()
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or NAMESPACE)

__all__ = ["logger", "metrics", "MetricUnit", "NAMESPACE"]
