"""Sends training-job requests to the queue (SQS) and operator alerts to the topic (SNS).

The training job is a record (:class:`mushroom.records.training_job.TrainingJob`);
:class:`Messenger` sends it and the alerts through boto3 clients passed in by the adapter.
"""

from __future__ import annotations

import json
from typing import Any

from mushroom.records.training_job import TrainingJob

SUBJECT_CHARS = 100  # SNS subject limit


class Messenger:
    """Sends training jobs to the queue and alerts to the operators' topic."""

    def __init__(self, sqs: Any, sns: Any, queue_url: str, topic_arn: str | None):
        self.sqs, self.sns, self.queue_url, self.topic_arn = sqs, sns, queue_url, topic_arn

    def request_training(self, job: TrainingJob) -> str:
        """Enqueue one training job; the SQS message id."""
        reason = {"DataType": "String", "StringValue": job.reason}
        response = self.sqs.send_message(
            QueueUrl=self.queue_url,
            MessageBody=job.to_json(),
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
