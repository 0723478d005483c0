"""Messages between components: training-job requests (SQS) and operator alerts (SNS).

The message bodies are built by pure functions; :class:`Messenger` sends them through boto3
clients passed in by the adapter.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

from mushroom import contract

NEW_DATA = "new-data"
SUBJECT_CHARS = 100  # SNS subject limit


def training_job(
    reason: str,
    dataset_ids: Sequence[str],
    *,
    correlation_id: str | None,
    manifests: Sequence[str] = (),
) -> dict[str, Any]:
    """The body of a training-jobs message (``manifest`` is the first manifest key)."""
    return {
        "reason": reason,
        "dataset_ids": list(dataset_ids),
        "manifest": manifests[0] if manifests else None,
        "manifests": list(manifests),
        "correlation_id": correlation_id,
        "schema_version": contract.SCHEMA_VERSION,
    }


class Messenger:
    """Sends training jobs to the queue and alerts to the operators' topic."""

    def __init__(self, sqs: Any, sns: Any, queue_url: str, topic_arn: str):
        self.sqs, self.sns, self.queue_url, self.topic_arn = sqs, sns, queue_url, topic_arn

    def request_training(self, job: dict[str, Any]) -> str:
        """Enqueue one training job; the SQS message id."""
        reason = {"DataType": "String", "StringValue": job["reason"]}
        response = self.sqs.send_message(
            QueueUrl=self.queue_url,
            MessageBody=json.dumps(job),
            MessageAttributes={"reason": reason},
        )
        return response["MessageId"]

    def alert(self, subject: str, detail: dict[str, Any]) -> str:
        """Publish an operator alert (JSON body); the SNS message id."""
        response = self.sns.publish(
            TopicArn=self.topic_arn,
            Subject=subject[:SUBJECT_CHARS],
            Message=json.dumps(detail, indent=1, default=str),
        )
        return response["MessageId"]
