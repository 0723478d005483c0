"""Terraform outputs and boto3 clients for the local cloud (scripts and integration tests)."""

from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

from adapters.config import OUTPUTS, StackAccess, terraform_outputs
from adapters.s3 import list_keys
from mushroom import storage

LAMBDA_LONGEST_S = 900  # a function's timeout cannot be longer


def endpoint_url() -> str:
    """LocalStack's gateway (AWS_ENDPOINT_URL, else 127.0.0.1:${LOCALSTACK_PORT:-4566})."""
    return StackAccess.from_env().localstack_url


def outputs(path: Path = OUTPUTS) -> dict[str, Any]:
    """Terraform outputs as plain values; a clear error when the stack is not deployed."""
    if not path.exists():
        raise SystemExit(f"{path} is missing: run `make deploy` first")
    return terraform_outputs(path)


def client(service: str):
    """A boto3 client pointed at LocalStack. Lambda's waits up to a function's longest run
    (botocore's 60 s read timeout would retry a longer invoke: the function runs twice)."""
    import boto3
    from botocore.config import Config

    env, access = os.environ, StackAccess.from_env()
    return boto3.client(
        service,
        endpoint_url=access.localstack_url,
        region_name=access.region,
        aws_access_key_id=env.get("AWS_ACCESS_KEY_ID", "test"),
        aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY", "test"),
        config=Config(read_timeout=LAMBDA_LONGEST_S + 10) if service == "lambda" else None,
    )


def poll(probe: Callable[[], Any], timeout: float, every: float = 1.0) -> Any:
    """``probe()``'s first truthy answer within ``timeout`` seconds, else None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(every)
    return None


def trainer_idle(out: dict) -> bool:
    """No training job waiting, delayed or being trained."""
    counts = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    found = client("sqs").get_queue_attributes(
        QueueUrl=out["training_queue_url"], AttributeNames=counts
    )["Attributes"]
    return not any(int(found[name]) for name in counts)


def every_container_refreshed(out: dict, since: datetime | None = None) -> None:
    """Wait until every predict container has re-read a pointer published at ``since`` (now
    by default): GET /model answers from one of them, the others re-read it within
    ``champion_refresh_seconds``."""
    since = since or datetime.now(timezone.utc)
    due = since + timedelta(seconds=int(out.get("champion_refresh_seconds", 30)) + 2)
    time.sleep(max(0.0, (due - datetime.now(timezone.utc)).total_seconds()))


def repeated_rows(path: Path, source: Path, target_bytes: int) -> int:
    """A file of about ``target_bytes`` at ``path``: ``source``'s rows repeated under its
    header (a large batch file); the number of rows."""
    header, body = source.read_bytes().split(b"\n", 1)
    body = body if body.endswith(b"\n") else body + b"\n"
    repeats = max(1, -(-target_bytes // len(body)))
    with path.open("wb") as out:
        out.write(header + b"\n")
        for _ in range(repeats):
            out.write(body)
    return repeats * body.count(b"\n")


def batch_log(s3, bucket: str, key: str, since: datetime) -> list[str]:
    """The prediction-log objects the batch scoring of ``key`` wrote since ``since`` (its
    rows' records: each block's object names its source on every line)."""
    source = f"batch:{bucket}/{key}@"
    found = []
    for prefix in storage.prediction_hour_partitions(since, datetime.now(timezone.utc)):
        for name in list_keys(s3, bucket, prefix):
            if "/direct-" in name and "-batch-" in name:
                head = s3.get_object(Bucket=bucket, Key=name, Range="bytes=0-4095")["Body"].read()
                if json.loads(head.split(b"\n", 1)[0])["source"].startswith(source):
                    found.append(name)
    return found


def alert_text(message: dict) -> tuple[str, str]:
    """(subject, message) of an SNS notification delivered to SQS (raw or enveloped)."""
    body = json.loads(message["Body"])
    if isinstance(body, dict) and body.get("Type") == "Notification":
        return body.get("Subject") or "", body.get("Message") or ""
    return "", message["Body"]


def read_alert(message: dict) -> dict:
    """An operators' notification: its subject, its raw text, and the fields of a JSON message
    (a plain-text message becomes the field "message")."""
    subject, text = alert_text(message)
    try:
        fields = json.loads(text)
    except ValueError:
        fields = None
    fields = fields if isinstance(fields, dict) else {"message": text}
    return {**fields, "subject": subject, "text": text}


Alert = Callable[[dict], bool]


def collect_alerts(
    out: dict,
    relevant: Alert,
    done: Alert,
    seconds: float,
    on_other: Callable[[dict], None] | None = None,
) -> list[dict]:
    """Consume the alerts inbox's ``relevant`` notifications until one is ``done`` (or time runs
    out) and return them. Others are handed to ``on_other`` (and consumed) when it is given,
    otherwise left in the inbox for whoever waits for them."""
    sqs, url, found = client("sqs"), out["alerts_inbox_url"], []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        batch = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=2, VisibilityTimeout=1
        ).get("Messages", [])
        for message in batch:
            alert = read_alert(message)
            if relevant(alert):
                found.append(alert)
            elif on_other:
                on_other(alert)
            else:
                continue
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        if any(done(alert) for alert in found):
            break
    return found


def first_alert(
    out: dict, wanted: Alert, seconds: float, on_other: Callable[[dict], None] | None = None
) -> dict | None:
    """The first operators' notification for which ``wanted`` holds (None if none came)."""
    found = collect_alerts(out, wanted, wanted, seconds, on_other)
    return found[0] if found else None


def is_alarm(name: str, state: str) -> Alert:
    """Whether a notification announces alarm ``name`` entering ``state``."""
    return lambda alert: alert.get("AlarmName") == name and alert.get("NewStateValue") == state


def rest_alarms(names, reason: str) -> None:
    """Set alarms to OK so that the next breach is a new transition (and a new notification)."""
    cloudwatch = client("cloudwatch")
    for name in names:
        cloudwatch.set_alarm_state(AlarmName=name, StateValue="OK", StateReason=reason)


@contextmanager
def alarm_actions_off(names, reason: str) -> Iterator[None]:
    """The alarms change state but act on nothing (no SNS, no retraining, no switch-back)
    inside the block; afterwards they rest at OK, then act again, so that a breach is a new
    transition. For a test that must be alone in moving the champion, whatever its traffic
    sets off (its synthetic specimens drift from the training reference, for one)."""
    names, cloudwatch = list(names), client("cloudwatch")
    cloudwatch.disable_alarm_actions(AlarmNames=names)
    try:
        yield
    finally:
        rest_alarms(names, reason)
        cloudwatch.enable_alarm_actions(AlarmNames=names)
