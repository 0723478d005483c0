"""Reads the feedback labels (layout: :mod:`mushroom.storage`): every label (training) or those
received since a monitoring window began (the monitor), one object per label."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Iterator

from adapters.s3 import list_keys
from mushroom import storage
from mushroom.records.feedback import FeedbackRecord


class FeedbackReader:
    """The data bucket's feedback labels, through a boto3/botocore S3 client."""

    def __init__(self, s3, bucket: str):
        self.s3, self.bucket = s3, bucket

    def every(self) -> list[FeedbackRecord]:
        """Every label ever received."""
        return list(self._read(storage.KeyRange(storage.FEEDBACK)))

    def received(self, start: datetime, end: datetime) -> list[FeedbackRecord]:
        """The labels received from ``start`` to the end of ``end``'s day. A label comes after
        its prediction, so those received before a window began cannot name its predictions:
        they are neither listed nor read, however many the day holds."""
        return [r for keys in storage.feedback_received(start, end) for r in self._read(keys)]

    def _read(self, keys: storage.KeyRange) -> Iterator[FeedbackRecord]:
        for key in list_keys(self.s3, self.bucket, keys.prefix, keys.start_after):
            body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            lines = (line for line in body.splitlines() if line.strip())
            yield from (FeedbackRecord.from_dict(json.loads(line)) for line in lines)
