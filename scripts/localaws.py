"""Terraform outputs and boto3 clients for the local cloud (scripts and integration tests)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

OUTPUTS = Path(__file__).resolve().parents[1] / ".state" / "outputs.json"


def endpoint_url() -> str:
    """LocalStack's gateway (AWS_ENDPOINT_URL, else 127.0.0.1:${LOCALSTACK_PORT:-4566})."""
    port = os.environ.get("LOCALSTACK_PORT", "4566")
    return os.environ.get("AWS_ENDPOINT_URL") or f"http://127.0.0.1:{port}"


def outputs(path: Path = OUTPUTS) -> dict[str, Any]:
    """Terraform outputs as plain values; a clear error when the stack is not deployed."""
    if not path.exists():
        raise SystemExit(f"{path} is missing: run `make deploy` first")
    return {key: item.get("value") for key, item in json.loads(path.read_text()).items()}


def client(service: str):
    """A boto3 client pointed at LocalStack."""
    import boto3

    env = os.environ
    return boto3.client(service, endpoint_url=endpoint_url(),
                        region_name=env.get("AWS_DEFAULT_REGION", "us-east-1"),
                        aws_access_key_id=env.get("AWS_ACCESS_KEY_ID", "test"),
                        aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY", "test"))  # fmt: skip


def alert_text(message: dict) -> tuple[str, str]:
    """(subject, message) of an SNS notification delivered to SQS (raw or enveloped)."""
    body = json.loads(message["Body"])
    if isinstance(body, dict) and body.get("Type") == "Notification":
        return body.get("Subject") or "", body.get("Message") or ""
    return "", message["Body"]
