"""Typed configuration of the training job, from environment variables, read once at start.

Locally, values not set in the environment come from ``.state/outputs.json``, the Terraform
outputs that ``make deploy`` writes; on AWS the task definition sets the variables.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_lambda_powertools import Logger

OUTPUTS = Path(__file__).resolve().parents[1] / ".state" / "outputs.json"
logger = Logger(service="trainer")


def log(message: str, level: str = "info", **fields: Any) -> None:
    """One structured log line."""
    getattr(logger, level)(message, extra=fields)


def terraform_outputs(path: Path = OUTPUTS) -> dict[str, Any]:
    """Terraform outputs as plain values ({} when not deployed locally)."""
    if not path.exists():
        return {}
    return {key: item.get("value") for key, item in json.loads(path.read_text()).items()}


class NotDeployed(RuntimeError):
    """The queue the worker reads does not exist yet (before ``make deploy``)."""


def _setting(name: str, outputs: dict[str, Any], output: str, default: Any = None) -> Any:
    return os.environ.get(name) or outputs.get(output) or default


@dataclass(frozen=True)
class WorkerSettings:
    """Where the worker reads requests and reports outcomes, and how it paces itself."""

    queue_url: str
    alerts_topic_arn: str | None
    data_bucket: str | None = None
    champion_parameter: str = "/mushroom/champion"
    tracking_uri: str = "http://127.0.0.1:5000"
    region: str = "us-east-1"
    endpoint_url: str | None = None
    visibility_seconds: int = 120
    wait_seconds: int = 20
    coalesce_limit: int = 100
    max_receive_count: int = 3
    retry_seconds: float = 5.0
    retry_backoff_seconds: int = 10  # a failed request reappears after this × its attempt

    @classmethod
    def from_env(cls) -> "WorkerSettings":
        """Read and check the settings; a missing queue URL is a clear error."""
        outputs = terraform_outputs()
        queue_url = _setting("TRAINING_QUEUE_URL", outputs, "training_queue_url")
        if not queue_url:
            raise NotDeployed(
                "TRAINING_QUEUE_URL is not set and .state/outputs.json has no "
                "training_queue_url: run `make deploy` or set the variable"
            )
        return cls(
            queue_url=queue_url,
            alerts_topic_arn=_setting("ALERTS_TOPIC_ARN", outputs, "alerts_topic_arn"),
            data_bucket=_setting("DATA_BUCKET", outputs, "data_bucket_name"),
            champion_parameter=_setting(
                "CHAMPION_PARAMETER", outputs, "champion_parameter_name", cls.champion_parameter
            ),
            tracking_uri=os.environ.get("MLFLOW_TRACKING_URI", cls.tracking_uri),
            region=os.environ.get("AWS_REGION", os.environ.get("AWS_DEFAULT_REGION", cls.region)),
            endpoint_url=os.environ.get("AWS_ENDPOINT_URL"),
            visibility_seconds=int(os.environ.get("TRAINING_VISIBILITY_SECONDS", 120)),
            wait_seconds=int(os.environ.get("TRAINING_WAIT_SECONDS", 20)),
            retry_backoff_seconds=int(os.environ.get("TRAINING_RETRY_BACKOFF_SECONDS", 10)),
            max_receive_count=int(
                _setting("TRAINING_MAX_RECEIVE_COUNT", outputs, "training_max_receive_count", 3)
            ),
        )


def aws_client(service: str, settings: WorkerSettings):
    """A boto3 client for the configured region and endpoint (LocalStack locally)."""
    import boto3

    return boto3.client(service, region_name=settings.region, endpoint_url=settings.endpoint_url)
