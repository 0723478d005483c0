"""Helpers for tests on the deployed local stack: outputs, uploads, alerts, the champion."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Callable

import pytest

from mushroom import storage
from mushroom.records.manifest import Manifest
from scripts import localaws


def deployed_outputs() -> dict:
    """Terraform outputs of the main stack; the test is skipped when it is not deployed."""
    if not localaws.OUTPUTS.exists():
        pytest.skip(".state/outputs.json is missing: run `make deploy`")
    return localaws.outputs()


def upload_and_ingest(outputs: dict, path: Path, folder: str, timeout: float = 180) -> dict:
    """Upload a file under raw/<folder>/<random>/ and return its manifest once ingested."""
    s3, bucket = localaws.client("s3"), outputs["data_bucket_name"]
    key = f"raw/{folder}/{uuid.uuid4().hex[:8]}/{path.name}"
    s3.upload_file(str(path), bucket, key)
    head = s3.head_object(Bucket=bucket, Key=key)
    source = storage.Source(bucket, key, head.get("VersionId"), head["ETag"].strip('"'))
    manifest_key = storage.DatasetKeys(storage.dataset_id(source)).manifest
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            document = json.loads(s3.get_object(Bucket=bucket, Key=manifest_key)["Body"].read())
        except s3.exceptions.NoSuchKey:
            time.sleep(1)
        else:  # read as the record, so a manifest of another shape fails here
            return Manifest.from_dict(document).to_dict()
    pytest.fail(f"no manifest {manifest_key} after {timeout:.0f} s")


def is_decision(alert: dict) -> bool:
    """A training announcement (promoted/refused) or a final failure."""
    return "mushroom-classifier" in alert["subject"] or "dead-letter" in str(
        alert.get("message", "")
    )


def alerts_about(
    outputs: dict, needle: str, timeout: float, done: Callable[[dict], bool] = is_decision
) -> list[dict]:
    """Operator notifications (SNS → alerts-inbox) whose text contains ``needle``, until one is
    ``done`` or the timeout; matching messages are consumed, others left for their tests."""
    return localaws.collect_alerts(outputs, lambda alert: needle in alert["text"], done, timeout)


def champion_pointer(outputs: dict) -> dict:
    """The SSM champion pointer the prediction Lambda serves from."""
    value = localaws.client("ssm").get_parameter(Name=outputs["champion_parameter_name"])
    return json.loads(value["Parameter"]["Value"])
