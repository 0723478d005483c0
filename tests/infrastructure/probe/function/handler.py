"""Probe function: records every event it receives to S3, so tests can see each wiring fire.

Key: records/<source>/<request id>.json. Importing numpy (from the real `ml` layer) proves the
layers are on the import path.
"""

import json
import os

import boto3
import numpy

s3 = boto3.client("s3")


def event_source(event: dict) -> str:
    """api, s3, sqs, sns, schedule, alarm or direct."""
    records = event.get("Records") or [{}]
    source = records[0].get("eventSource") or records[0].get("EventSource") or ""
    if "httpMethod" in event:
        return "api"
    if source in ("aws:s3", "aws:sqs", "aws:sns"):
        return source.split(":")[1]
    if event.get("source") == "aws.events" or event.get("detail-type") == "Scheduled Event":
        return "schedule"
    if "alarmData" in event or event.get("source") == "aws.cloudwatch":
        return "alarm"
    return "direct"


def handler(event, context):
    source = event_source(event)
    key = f"records/{source}/{context.aws_request_id}.json"
    record = {"source": source, "numpy": numpy.__version__, "event": event}
    s3.put_object(Bucket=os.environ["RECORD_BUCKET"], Key=key, Body=json.dumps(record))
    body = {"recorded": key, "numpy": numpy.__version__}
    if source == "api":
        return {
            "statusCode": 200,
            "headers": {"Content-Type": "application/json"},
            "body": json.dumps(body),
        }
    return body
