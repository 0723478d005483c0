"""Event builders shared by every test suite: the payloads AWS services send to functions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from urllib.parse import quote_plus

REGION = "us-east-1"


def s3_object_created(
    bucket: str,
    key: str,
    *,
    version_id: str | None = None,
    etag: str | None = None,
    size: int | None = None,
    event_name: str = "ObjectCreated:Put",
) -> dict:
    """An S3 notification with one record, the key URL-encoded as S3 sends it."""
    item = {"key": quote_plus(key), "sequencer": "0055AED6DCD90281E5"}
    item.update(
        {
            k: v
            for k, v in (("versionId", version_id), ("eTag", etag), ("size", size))
            if v is not None
        }
    )
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": REGION,
                "eventTime": "2026-01-01T00:00:00.000Z",
                "eventName": event_name,
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "ingest-raw-uploads",
                    "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                    "object": item,
                },
            }
        ]
    }


def s3_event_for_object(s3, bucket: str, key: str, version_id: str | None = None) -> dict:
    """The notification S3 sends for an object that exists (ETag, version, size from HEAD)."""
    address = {"Bucket": bucket, "Key": key, **({"VersionId": version_id} if version_id else {})}
    head = s3.head_object(**address)
    return s3_object_created(
        bucket,
        key,
        version_id=head.get("VersionId"),
        etag=head["ETag"].strip('"'),
        size=head["ContentLength"],
    )


def merge_records(*events: dict) -> dict:
    """One notification carrying the records of several."""
    return {"Records": [record for event in events for record in event["Records"]]}


@dataclass
class LambdaContext:
    """The parts of the Lambda context object the handlers and Powertools read."""

    function_name: str = "mushroom-test"
    memory_limit_in_mb: int = 1024
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:123456789012:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


# ------------------------------------------------------------ prediction API (API Gateway REST)
def api_gateway_request(
    method: str, path: str, body=None, *, headers: dict | None = None, stage: str = "v1"
) -> dict:
    """A REST API (v1) Lambda proxy event; ``body`` as given if text, else JSON-encoded."""
    import json

    text = body if body is None or isinstance(body, str) else json.dumps(body)
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": {"content-type": "application/json", **(headers or {})},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "body": text,
        "isBase64Encoded": False,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": method,
            "stage": stage,
            "requestId": str(uuid.uuid4()),
            "path": f"/{stage}{path}",
            "identity": {"sourceIp": "127.0.0.1", "apiKey": "test"},
        },
    }
